package sqlfilter

import (
	"errors"
	"strings"
	"testing"

	"github.com/scim2/filter-parser/v2"

	"github.com/scimd/scimd/store"
)

type errCase struct {
	name   string
	res    Resource
	filter string
	expr   filter.Expression
	want   string // substring of the message
}

var whereErrCases = []errCase{
	{name: "unknown attribute", filter: `foo eq "x"`, want: `attribute "foo": no such attribute`},
	{name: "unknown schema URN", filter: `urn:example:nope:2.0:User:foo eq "x"`, want: "unknown schema urn:example:nope:2.0:User"},
	{name: "sub-attribute of a simple attribute", filter: `userName.foo eq "x"`, want: "userName has no sub-attributes"},
	{name: "unknown sub-attribute", filter: `name.nope eq "x"`, want: "no sub-attribute nope in name"},
	{name: "password", filter: `password eq "x"`, want: "password is never returned and cannot be filtered"},
	{name: "custom write-only", filter: tst + `secret pr`, want: "secret is never returned"},
	{name: "boolean from string", filter: `active eq "yes"`, want: "expects true or false"},
	{name: "boolean ordering", filter: `active gt true`, want: "gt is not defined for booleans"},
	{name: "string from number", filter: `userName eq 42`, want: "expects a string value"},
	{name: "number from string", filter: tst + `level eq "5"`, want: "expects a number"},
	{name: "number co", filter: tst + `level co 5`, want: "co is not defined for numbers"},
	{name: "meta dateTime invalid", filter: `meta.lastModified gt "yesterday"`, want: "RFC 3339"},
	{name: "meta dateTime co", filter: `meta.created co "2024-01-01T00:00:00Z"`, want: "co is not defined for dateTime"},
	{name: "JSON dateTime invalid", filter: tst + `hired gt "2024-13-01"`, want: "RFC 3339"},
	{name: "JSON dateTime sw", filter: tst + `hired sw "2024"`, want: "sw is not defined for dateTime"},
	{name: "binary ordering", filter: tst + `badge gt "QUJD"`, want: "not defined for binary"},
	{name: "binary co", filter: tst + `badge co "Q"`, want: "not defined for binary"},
	{name: "complex without sub-attribute", filter: `name eq "x"`, want: "name is complex"},
	{name: "meta without sub-attribute", filter: `meta eq "x"`, want: "meta is complex"},
	{name: "meta.location", filter: `meta.location eq "x"`, want: "depends on the request URL"},
	{name: "meta.version not an ETag", filter: `meta.version eq "abc"`, want: "ETag"},
	{name: "value filter on simple attribute", filter: `userName[value eq "x"]`, want: "userName is not complex"},
	{name: "unknown sub-attribute in brackets", filter: `emails[nope eq "x"]`, want: "no sub-attribute nope in emails"},
	{name: "dotted path in brackets", filter: `emails[type.x eq "x"]`, want: "name a sub-attribute of emails"},
	{name: "operator needs a value", filter: `title gt null`, want: "gt needs a value"},
	{name: "multi-valued complex without value", filter: `addresses co "x"`, want: "addresses has no value sub-attribute"},
	{name: "group member on users", filter: `members.value eq "x"`, want: `attribute "members.value": no such attribute`},
	{name: "user attribute on groups", res: Groups, filter: `userName eq "x"`, want: "no such attribute in urn:ietf:params:scim:schemas:core:2.0:Group"},
	{name: "members.$ref", res: Groups, filter: `members[$ref eq "x"]`, want: "members.$ref depends on the request URL"},
	{name: "groups.$ref", expr: &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "groups", SubAttribute: strp("$ref")}, Operator: filter.EQ, CompareValue: "x"}, want: "groups.$ref depends on the request URL"},
	{name: "unknown operator", expr: &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "userName"}, Operator: "xx", CompareValue: "x"}, want: "unknown operator xx"},
	{name: "nested value filters", expr: &filter.ValuePath{AttributePath: filter.AttributePath{AttributeName: "emails"}, ValueFilter: &filter.ValuePath{AttributePath: filter.AttributePath{AttributeName: "emails"}, ValueFilter: &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "type"}, Operator: filter.PR}}}, want: "cannot be nested"},
}

func TestWhereErrors(t *testing.T) {
	reg := testRegistry(t)
	for _, c := range whereErrCases {
		t.Run(c.name, func(t *testing.T) {
			expr := c.expr
			if expr == nil {
				expr = parse(t, c.filter)
			}
			for _, d := range []Dialect{SQLite, Postgres} {
				_, _, err := Translator{Dialect: d, Reg: reg}.Where(c.res, 1, expr)
				checkQueryErr(t, err, false, c.want)
			}
		})
	}
	t.Run("unsupported node type", func(t *testing.T) {
		_, _, err := Translator{Reg: reg}.Where(Users, 1, 42)
		checkQueryErr(t, err, false, "unsupported filter expression")
	})
	t.Run("no registry", func(t *testing.T) {
		_, _, err := Translator{}.Where(Users, 1, parse(t, `userName eq "x"`))
		checkQueryErr(t, err, false, "no schemas registry")
	})
	t.Run("too deep", func(t *testing.T) {
		var e filter.Expression = &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "userName"}, Operator: filter.PR}
		for i := 0; i < maxDepth+5; i++ {
			e = &filter.NotExpression{Expression: e}
		}
		_, _, err := Translator{Reg: reg}.Where(Users, 1, e)
		checkQueryErr(t, err, false, "nested too deeply")
	})
}

var sortErrCases = []errCase{
	{name: "unknown attribute", filter: "nope", want: `attribute "nope": no such attribute`},
	{name: "unknown URN", filter: "urn:example:nope:2.0:User:x", want: "no such attribute"},
	{name: "complex", filter: "name", want: "name is complex"},
	{name: "password", filter: "password", want: "cannot be sorted on"},
	{name: "groups", filter: "groups", want: "groups is derived"},
	{name: "members", res: Groups, filter: "members", want: "members cannot be sorted on"},
	{name: "meta.location", filter: "meta.location", want: "depends on the request URL"},
	{name: "meta", filter: "meta", want: "meta is complex"},
	{name: "multi-valued without value", filter: "addresses", want: "addresses has no value sub-attribute"},
}

func TestOrderByErrors(t *testing.T) {
	reg := testRegistry(t)
	for _, c := range sortErrCases {
		t.Run(c.name, func(t *testing.T) {
			for _, d := range []Dialect{SQLite, Postgres} {
				_, _, err := Translator{Dialect: d, Reg: reg}.OrderBy(c.res, c.filter, false)
				checkQueryErr(t, err, true, c.want)
			}
		})
	}
}

func checkQueryErr(t *testing.T, err error, sort bool, want string) {
	t.Helper()
	var qe *store.QueryError
	if !errors.As(err, &qe) {
		t.Fatalf("got %v (%T), want a *store.QueryError", err, err)
	}
	if !errors.Is(err, store.ErrInvalidQuery) {
		t.Errorf("errors.Is(err, ErrInvalidQuery) = false")
	}
	if qe.Sort != sort {
		t.Errorf("Sort = %v, want %v", qe.Sort, sort)
	}
	if !strings.Contains(qe.Msg, want) {
		t.Errorf("message %q does not contain %q", qe.Msg, want)
	}
}
