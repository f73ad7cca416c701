package sqlfilter

import (
	"slices"
	"strings"
	"testing"

	"github.com/scim2/filter-parser/v2"

	"github.com/scimd/scimd/internal/testdb"
)

const (
	ent    = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
	sapC   = "urn:sap:cloud:scim:schemas:extension:custom:2.0:User:"
	tst    = "urn:example:params:scim:schemas:extension:test:2.0:User:"
	tstGrp = "urn:example:params:scim:schemas:extension:test:2.0:Group:"
)

type filterCase struct {
	name   string
	res    Resource
	filter string
	expr   filter.Expression // instead of filter, for values the parser cannot express
	want   []string          // ids, in id order
}

func ids(s ...string) []string { return s }

var allUsers = ids("u1", "u2", "u3", "u4", "u5")

func strp(s string) *string { return &s }

var filterCases = []filterCase{
	// userName: indexed, case-insensitive (Go lower-casing, non-ASCII too)
	{name: "userName eq", filter: `userName eq "alice.smith"`, want: ids("u1")},
	{name: "userName eq other case", filter: `userName eq "ALICE.SMITH"`, want: ids("u1")},
	{name: "userName eq non-ASCII lower", filter: `userName eq "élodie.dupont"`, want: ids("u3")},
	{name: "userName eq non-ASCII upper", filter: `userName eq "ÉLODIE.DUPONT"`, want: ids("u3")},
	{name: "userName ne", filter: `userName ne "BOB"`, want: ids("u1", "u3", "u4", "u5")},
	{name: "userName co escapes LIKE _", filter: `userName co "e_"`, want: ids("u4")},
	{name: "userName co escapes LIKE %", filter: `userName co "%"`, want: ids("u4")},
	{name: "userName co escapes GLOB *", filter: `userName co "*"`, want: ids("u5")},
	{name: "userName co escapes GLOB ? [", filter: `userName co "?[x]"`, want: ids("u5")},
	{name: "userName sw", filter: `userName sw "A"`, want: ids("u1")},
	{name: "userName sw non-ASCII", filter: `userName sw "ÉL"`, want: ids("u3")},
	{name: "userName ew", filter: `userName ew "SMITH"`, want: ids("u1")},
	{name: "userName gt code-point order", filter: `userName gt "d"`, want: ids("u3", "u4", "u5")},
	{name: "userName le", filter: `userName le "BOB"`, want: ids("u1", "u2")},
	{name: "userName pr", filter: `userName pr`, want: allUsers},
	{name: "URN-qualified core attribute", filter: `urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob"`, want: ids("u2")},
	{name: "attribute name case-insensitive", filter: `USERNAME eq "bob"`, want: ids("u2")},
	{name: "URN and name case-insensitive", filter: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:EMPLOYEENUMBER eq "1001"`, want: ids("u1")},

	// externalId, id: case-exact columns
	{name: "externalId eq", filter: `externalId eq "ext-A"`, want: ids("u1")},
	{name: "externalId eq is caseExact", filter: `externalId eq "EXT-A"`, want: ids("u2")},
	{name: "externalId caseExact non-ASCII miss", filter: `externalId eq "élodie"`, want: ids()},
	{name: "externalId caseExact non-ASCII hit", filter: `externalId eq "Élodie"`, want: ids("u3")},
	{name: "externalId co caseExact", filter: `externalId co "xt"`, want: ids("u1")},
	{name: "externalId sw caseExact", filter: `externalId sw "E"`, want: ids("u2")},
	{name: "externalId pr", filter: `externalId pr`, want: ids("u1", "u2", "u3")},
	{name: "not externalId pr", filter: `not (externalId pr)`, want: ids("u4", "u5")},
	{name: "externalId ne matches absent", filter: `externalId ne "ext-A"`, want: ids("u2", "u3", "u4", "u5")},
	{name: "not externalId eq matches absent", filter: `not (externalId eq "ext-A")`, want: ids("u2", "u3", "u4", "u5")},
	{name: "URN-qualified common attribute", filter: `urn:ietf:params:scim:schemas:core:2.0:User:externalId eq "EXT-A"`, want: ids("u2")},
	{name: "id eq", filter: `id eq "u3"`, want: ids("u3")},
	{name: "id eq is caseExact", filter: `id eq "U3"`, want: ids()},
	{name: "id ne", filter: `id ne "u1"`, want: ids("u2", "u3", "u4", "u5")},
	{name: "id sw", filter: `id sw "u"`, want: allUsers},

	// displayName, active, SAP userUuid: indexed, nullable
	{name: "displayName eq", filter: `displayName eq "ALICE SMITH"`, want: ids("u1")},
	{name: "displayName co non-ASCII", filter: `displayName co "É"`, want: ids("u3")},
	{name: "displayName pr", filter: `displayName pr`, want: ids("u1", "u2", "u3")},
	{name: "active eq true", filter: `active eq true`, want: ids("u1")},
	{name: "active eq false", filter: `active eq false`, want: ids("u2")},
	{name: "active eq string True", filter: `active eq "True"`, want: ids("u1")},
	{name: "active ne true matches absent", filter: `active ne true`, want: ids("u2", "u3", "u4", "u5")},
	{name: "not active eq true matches absent", filter: `not (active eq true)`, want: ids("u2", "u3", "u4", "u5")},
	{name: "not active eq false", filter: `not (active eq false)`, want: ids("u1", "u3", "u4", "u5")},
	{name: "active pr", filter: `active pr`, want: ids("u1", "u2")},
	{name: "SAP userUuid", filter: `urn:ietf:params:scim:schemas:extension:sap:2.0:User:userUuid eq "uuid-A"`, want: ids("u1")},
	{name: "SAP mailVerified", filter: `urn:ietf:params:scim:schemas:extension:sap:2.0:User:mailVerified eq true`, want: ids("u1")},

	// meta
	{name: "meta.created eq", filter: `meta.created eq "2024-01-01T12:00:00Z"`, want: ids("u1")},
	{name: "meta.created lt", filter: `meta.created lt "2024-02-01T12:00:00Z"`, want: ids("u1")},
	{name: "meta.created le offset", filter: `meta.created le "2024-02-01T14:00:00+02:00"`, want: ids("u1", "u2")},
	{name: "meta.created gt offset", filter: `meta.created gt "2024-03-01T13:00:00+02:00"`, want: ids("u3", "u4", "u5")},
	{name: "meta.lastModified gt", filter: `meta.lastModified gt "2024-05-15T00:00:00Z"`, want: ids("u1")},
	{name: "meta.lastModified ge fraction", filter: `meta.lastModified ge "2024-06-01T12:00:00.000000Z"`, want: ids("u1")},
	{name: "meta.lastModified ne", filter: `meta.lastModified ne "2024-06-01T12:00:00Z"`, want: ids("u2", "u3", "u4", "u5")},
	{name: "meta.resourceType", filter: `meta.resourceType eq "User"`, want: allUsers},
	{name: "meta.resourceType other", filter: `meta.resourceType eq "Group"`, want: ids()},
	{name: "meta.version", filter: `meta.version eq "1"`, want: allUsers},
	{name: "meta.version weak ETag", expr: &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "meta", SubAttribute: strp("version")}, Operator: filter.EQ, CompareValue: `W/"2"`}, want: ids()},
	{name: "meta pr", filter: `meta pr`, want: allUsers},
	{name: "meta[created]", filter: `meta[created lt "2024-02-01T12:00:00Z"]`, want: ids("u1")},
	{name: "schemas eq", filter: `schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`, want: ids("u1", "u2", "u3")},

	// emails: user_emails side table for value, JSON for the rest
	{name: "emails.value eq", filter: `emails.value eq "ALICE@example.com"`, want: ids("u1")},
	{name: "emails eq means value", filter: `emails eq "bob@example.com"`, want: ids("u2")},
	{name: "emails.value sw", filter: `emails.value sw "alice"`, want: ids("u1")},
	{name: "emails.value ew", filter: `emails.value ew "@EXAMPLE.fr"`, want: ids("u3")},
	{name: "emails co", filter: `emails co "home@"`, want: ids("u1")},
	{name: "emails.value gt", filter: `emails.value gt "b"`, want: ids("u2", "u3")},
	{name: "emails ne is none-equal", filter: `emails ne "alice@example.com"`, want: ids("u2", "u3", "u4", "u5")},
	{name: "emails pr", filter: `emails pr`, want: ids("u1", "u2", "u3")},
	{name: "emails.value pr", filter: `emails.value pr`, want: ids("u1", "u2", "u3")},
	{name: "not emails pr", filter: `not (emails pr)`, want: ids("u4", "u5")},
	{name: "emails eq null", filter: `emails eq null`, want: ids("u4", "u5")},
	{name: "emails other tenant", filter: `emails.value eq "only-b@example.com"`, want: ids()},
	{name: "emails.type eq", filter: `emails.type eq "work"`, want: ids("u1", "u2", "u3")},
	{name: "emails.type eq other case", filter: `emails.type eq "WORK"`, want: ids("u1", "u2", "u3")},
	{name: "emails.type ne is none-equal", filter: `emails.type ne "work"`, want: ids("u4", "u5")},
	{name: "emails[type ne] is per value", filter: `emails[type ne "work"]`, want: ids("u1", "u3")},
	{name: "emails[value eq] side table", filter: `emails[value eq "A2@example.fr"]`, want: ids("u3")},
	{name: "emails[type and value co]", filter: `emails[type eq "work" and value co "@example.com"]`, want: ids("u1", "u2")},
	{name: "emails[type and value eq] same element", filter: `emails[type eq "home" and value eq "alice@example.com"]`, want: ids()},
	{name: "emails[type and value eq] Entra", filter: `emails[type eq "work" and value eq "Alice@Example.com"]`, want: ids("u1")},
	{name: "emails[not]", filter: `emails[not (type eq "work")]`, want: ids("u1", "u3")},
	{name: "emails[primary]", filter: `emails[primary eq true]`, want: ids("u1", "u3")},
	{name: "emails[primary and type] same element", filter: `emails[primary eq true and type eq "work"]`, want: ids("u1")},
	{name: "emails.primary and emails.type any element", filter: `emails.primary eq true and emails.type eq "work"`, want: ids("u1", "u3")},
	{name: "not emails[type pr]", filter: `not (emails[type pr])`, want: ids("u4", "u5")},
	{name: "phoneNumbers co", filter: `phoneNumbers.value co "+33"`, want: ids("u3")},

	// JSON attributes: complex, simple, NULL semantics
	{name: "name.givenName eq", filter: `name.givenName eq "alice"`, want: ids("u1")},
	{name: "name.givenName ne matches absent", filter: `name.givenName ne "alice"`, want: ids("u2", "u3", "u4", "u5")},
	{name: "name[givenName]", filter: `name[givenName eq "BOB"]`, want: ids("u2")},
	{name: "name[not] matches absent", filter: `name[not (givenName eq "alice")]`, want: ids("u2", "u3", "u4", "u5")},
	{name: "name pr skips empty object", filter: `name pr`, want: ids("u1", "u2")},
	{name: "not name pr", filter: `not (name pr)`, want: ids("u3", "u4", "u5")},
	{name: "name.familyName pr", filter: `name.familyName pr`, want: ids("u1")},
	{name: "title eq non-ASCII case-insensitive", filter: `title eq "élodie"`, want: ids("u3")},
	{name: "title pr skips empty string", filter: `title pr`, want: ids("u1", "u3")},
	{name: "not title eq matches absent", filter: `not (title eq "Engineer")`, want: ids("u2", "u3", "u4", "u5")},
	{name: "title ne matches absent", filter: `title ne "engineer"`, want: ids("u2", "u3", "u4", "u5")},
	{name: "title eq null", filter: `title eq null`, want: ids("u2", "u4", "u5")},
	{name: "title ne null", filter: `title ne null`, want: ids("u1", "u3")},
	{name: "title lt skips absent", filter: `title lt "f"`, want: ids("u1", "u5")},
	{name: "not title lt matches absent", filter: `not (title lt "f")`, want: ids("u2", "u3", "u4")},
	{name: "title eq empty string", filter: `title eq ""`, want: ids("u5")},
	{name: "title co empty string", filter: `title co ""`, want: ids("u1", "u3", "u5")},
	{name: "title ge empty string", filter: `title ge ""`, want: ids("u1", "u3", "u5")},
	{name: "nickName ew backslash", expr: &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "nickName"}, Operator: filter.EW, CompareValue: `K\SLASH`}, want: ids("u5")},
	{name: "nickName co backslash only", expr: &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "nickName"}, Operator: filter.CO, CompareValue: `\`}, want: ids("u5")},

	// enterprise extension
	{name: "employeeNumber", filter: ent + `employeeNumber eq "1001"`, want: ids("u1")},
	{name: "manager.value", filter: ent + `manager.value eq "u2"`, want: ids("u1")},
	{name: "manager pr", filter: ent + `manager pr`, want: ids("u1", "u3")},
	{name: "manager.displayName", filter: ent + `manager.displayName eq "ALICE"`, want: ids("u3")},
	{name: "department", filter: ent + `department eq "r&d"`, want: ids("u1")},

	// SAP custom attributes: multi-valued complex extension
	{name: "SAP custom name and value", filter: sapC + `attributes[name eq "customAttribute1" and value eq "x"]`, want: ids("u2")},
	{name: "SAP custom value case-insensitive", filter: sapC + `attributes[name eq "customAttribute1" and value eq "BLUE"]`, want: ids("u1")},
	{name: "SAP custom name caseExact", filter: sapC + `attributes[name eq "CUSTOMATTRIBUTE1"]`, want: ids()},
	{name: "SAP custom value any element", filter: sapC + `attributes.value eq "x"`, want: ids("u2", "u5")},
	{name: "SAP custom default value", filter: sapC + `attributes eq "X"`, want: ids("u2", "u5")},

	// custom schema: every type
	{name: "integer gt", filter: tst + `level gt 4`, want: ids("u1", "u2")},
	{name: "integer ge", filter: tst + `level ge 10`, want: ids("u2")},
	{name: "integer lt negative", filter: tst + `level lt 0`, want: ids("u3")},
	{name: "integer eq", filter: tst + `level eq 5`, want: ids("u1")},
	{name: "integer ne matches absent", filter: tst + `level ne 5`, want: ids("u2", "u3", "u4", "u5")},
	{name: "integer not gt", filter: `not (` + tst + `level gt 4)`, want: ids("u3", "u4", "u5")},
	{name: "integer pr", filter: tst + `level pr`, want: ids("u1", "u2", "u3")},
	{name: "decimal gt", filter: tst + `score gt 4.4`, want: ids("u1", "u2")},
	{name: "decimal le", filter: tst + `score le 0.25`, want: ids("u3")},
	{name: "decimal eq integer", filter: tst + `score eq 10`, want: ids("u2")},
	{name: "dateTime gt", filter: tst + `hired gt "2020-12-31T00:00:00Z"`, want: ids("u2")},
	{name: "dateTime lt", filter: tst + `hired lt "2021-01-01T00:00:00Z"`, want: ids("u1")},
	{name: "boolean eq true", filter: tst + `vip eq true`, want: ids("u1")},
	{name: "boolean eq false", filter: tst + `vip eq false`, want: ids("u2")},
	{name: "boolean ne matches absent", filter: tst + `vip ne true`, want: ids("u2", "u3", "u4", "u5")},
	{name: "boolean not eq", filter: `not (` + tst + `vip eq true)`, want: ids("u2", "u3", "u4", "u5")},
	{name: "boolean pr", filter: tst + `vip pr`, want: ids("u1", "u2")},
	{name: "binary eq", filter: tst + `badge eq "QUJD"`, want: ids("u1")},
	{name: "binary eq caseExact", filter: tst + `badge eq "qujd"`, want: ids()},
	{name: "caseExact eq", filter: tst + `code eq "xy-1"`, want: ids("u3")},
	{name: "caseExact sw", filter: tst + `code sw "X"`, want: ids("u1")},
	{name: "caseExact gt", filter: tst + `code gt "Y"`, want: ids("u3")},
	{name: "multi-valued string eq", filter: tst + `tags eq "green"`, want: ids("u1")},
	{name: "multi-valued string co", filter: tst + `tags co "E"`, want: ids("u1", "u2")},
	{name: "multi-valued string pr", filter: tst + `tags pr`, want: ids("u1", "u2")},
	{name: "multi-valued string ne", filter: tst + `tags ne "blue"`, want: ids("u1", "u3", "u4", "u5")},
	{name: "complex multi caseExact sub", filter: tst + `projects[role eq "lead"]`, want: ids()},
	{name: "complex multi and numeric", filter: tst + `projects[role eq "Lead" and hours gt 20]`, want: ids("u1")},
	{name: "complex multi same element", filter: tst + `projects[role eq "dev" and hours gt 20]`, want: ids()},
	{name: "complex multi numeric any", filter: tst + `projects.hours gt 20`, want: ids("u1")},
	{name: "complex multi default value", filter: tst + `projects co "ZEU"`, want: ids("u1")},

	// user groups: group_members (+ scim_groups)
	{name: "groups.value eq", filter: `groups.value eq "g1"`, want: ids("u1", "u2")},
	{name: "groups eq", filter: `groups eq "g2"`, want: ids("u1", "u3")},
	{name: "groups.display eq", filter: `groups.display eq "admins"`, want: ids("u1", "u2")},
	{name: "groups.display sw non-ASCII", filter: `groups.display sw "ÉLITE"`, want: ids("u1", "u3")},
	{name: "groups pr", filter: `groups pr`, want: ids("u1", "u2", "u3")},
	{name: "not groups pr", filter: `not (groups pr)`, want: ids("u4", "u5")},
	{name: "groups[value and display]", filter: `groups[value eq "g2" and display co "USERS"]`, want: ids("u1", "u3")},
	{name: "groups.value ne", filter: `groups.value ne "g1"`, want: ids("u3", "u4", "u5")},
	{name: "groups.type", filter: `groups.type eq "direct"`, want: ids("u1", "u2", "u3")},
	{name: "groups other tenant", filter: `groups.display eq "Bravo"`, want: ids()},

	// logic
	{name: "or", filter: `userName eq "bob" or userName eq "dave_100%"`, want: ids("u2", "u4")},
	{name: "and binds tighter than or", filter: `active eq true or title pr and name.givenName eq "bob"`, want: ids("u1")},
	{name: "grouping", filter: `(active eq true or title pr) and not (name pr)`, want: ids("u3")},
	{name: "not or", filter: `not (userName eq "bob" or emails pr)`, want: ids("u4", "u5")},
	{name: "double not", filter: `not (not (title eq "Engineer"))`, want: ids("u1")},
	{name: "not value path and not", filter: `not (emails[type eq "work"]) and not (externalId eq "x")`, want: ids("u4", "u5")},
	{name: "value path or value path", filter: `emails[type eq "home"] or emails[type eq "other"]`, want: ids("u1", "u3")},
	{name: "no filter", want: allUsers},

	// groups
	{name: "group displayName eq", res: Groups, filter: `displayName eq "admins"`, want: ids("g1")},
	{name: "group displayName non-ASCII", res: Groups, filter: `displayName eq "ÉLITE USERS"`, want: ids("g2")},
	{name: "group displayName sw", res: Groups, filter: `displayName sw "e"`, want: ids("g3")},
	{name: "group displayName co", res: Groups, filter: `displayName co "I"`, want: ids("g1", "g2")},
	{name: "group externalId", res: Groups, filter: `externalId eq "gx1"`, want: ids("g1")},
	{name: "group externalId caseExact", res: Groups, filter: `externalId eq "GX1"`, want: ids("g2")},
	{name: "members.value eq", res: Groups, filter: `members.value eq "u1"`, want: ids("g1", "g2")},
	{name: "members eq", res: Groups, filter: `members eq "u3"`, want: ids("g2")},
	{name: "members[value eq]", res: Groups, filter: `members[value eq "u2"]`, want: ids("g1")},
	{name: "members pr", res: Groups, filter: `members pr`, want: ids("g1", "g2")},
	{name: "not members pr", res: Groups, filter: `not (members pr)`, want: ids("g3")},
	{name: "members.type", res: Groups, filter: `members.type eq "group"`, want: ids("g2")},
	{name: "members[type and value]", res: Groups, filter: `members[type eq "Group" and value eq "g1"]`, want: ids("g2")},
	{name: "members.display user displayName", res: Groups, filter: `members.display eq "Alice Smith"`, want: ids("g1", "g2")},
	{name: "members.display non-ASCII", res: Groups, filter: `members.display eq "ÉLODIE"`, want: ids("g2")},
	{name: "members.display group", res: Groups, filter: `members.display eq "admins"`, want: ids("g2")},
	{name: "members.value ne", res: Groups, filter: `members.value ne "u1"`, want: ids("g3")},
	{name: "members other tenant", res: Groups, filter: `members.value eq "u4"`, want: ids()},
	{name: "group extension string", res: Groups, filter: tstGrp + `costCenter eq "cc-1"`, want: ids("g1")},
	{name: "group extension integer", res: Groups, filter: tstGrp + `size gt 1`, want: ids("g1")},
	{name: "group meta.resourceType", res: Groups, filter: `meta.resourceType eq "Group"`, want: ids("g1", "g2", "g3")},
}

func TestWhereBehaviour(t *testing.T) {
	for _, kind := range testdb.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			d := openDB(t, kind)
			d.seed(t)
			for _, c := range filterCases {
				t.Run(c.name, func(t *testing.T) {
					got := d.run(t, c.res, c.filter, c.expr, "", false)
					if !slices.Equal(got, c.want) {
						t.Errorf("%s: got %v, want %v", c.describe(), got, c.want)
					}
				})
			}
		})
	}
}

func (c filterCase) describe() string {
	if c.expr != nil {
		return strings.TrimSpace(c.name)
	}
	return c.filter
}

// run lists tenant A's ids for the case's filter.
func (d *testDB) run(tb testing.TB, res Resource, f string, expr filter.Expression, sortBy string, desc bool) []string {
	tb.Helper()
	if expr == nil {
		expr = parse(tb, f)
	}
	return d.idsExpr(tb, res, tenantA, expr, sortBy, desc)
}

type sortCase struct {
	name   string
	res    Resource
	filter string
	sortBy string
	desc   bool
	want   []string
}

var sortCases = []sortCase{
	{name: "default", want: ids("u1", "u2", "u3", "u4", "u5")},
	{name: "default desc", desc: true, want: ids("u5", "u4", "u3", "u2", "u1")},
	{name: "id desc", sortBy: "id", desc: true, want: ids("u5", "u4", "u3", "u2", "u1")},
	{name: "userName", sortBy: "userName", want: ids("u1", "u2", "u4", "u5", "u3")},
	{name: "userName desc", sortBy: "USERNAME", desc: true, want: ids("u3", "u5", "u4", "u2", "u1")},
	{name: "displayName nulls last", sortBy: "displayName", want: ids("u1", "u2", "u3", "u4", "u5")},
	{name: "displayName desc nulls last", sortBy: "displayName", desc: true, want: ids("u3", "u2", "u1", "u5", "u4")},
	{name: "title", sortBy: "title", want: ids("u5", "u1", "u3", "u2", "u4")},
	{name: "title desc", sortBy: "title", desc: true, want: ids("u3", "u1", "u5", "u4", "u2")},
	{name: "name.givenName", sortBy: "name.givenName", want: ids("u1", "u2", "u3", "u4", "u5")},
	{name: "name.givenName desc", sortBy: "name.givenName", desc: true, want: ids("u2", "u1", "u5", "u4", "u3")},
	{name: "emails primary else first", sortBy: "emails", want: ids("u3", "u1", "u2", "u4", "u5")},
	{name: "emails.value desc", sortBy: "emails.value", desc: true, want: ids("u2", "u1", "u3", "u5", "u4")},
	{name: "emails.type primary", sortBy: "emails.type", want: ids("u3", "u1", "u2", "u4", "u5")},
	{name: "active", sortBy: "active", want: ids("u2", "u1", "u3", "u4", "u5")},
	{name: "active desc", sortBy: "active", desc: true, want: ids("u1", "u2", "u5", "u4", "u3")},
	{name: "externalId code-point order", sortBy: "externalId", want: ids("u2", "u1", "u3", "u4", "u5")},
	{name: "meta.lastModified desc", sortBy: "meta.lastModified", desc: true, want: ids("u1", "u5", "u4", "u3", "u2")},
	{name: "meta.created", sortBy: "meta.created", want: ids("u1", "u2", "u3", "u4", "u5")},
	{name: "meta.resourceType is constant", sortBy: "meta.resourceType", desc: true, want: ids("u5", "u4", "u3", "u2", "u1")},
	{name: "enterprise employeeNumber", sortBy: ent + "employeeNumber", desc: true, want: ids("u2", "u1", "u5", "u4", "u3")},
	{name: "integer numeric order", sortBy: tst + "level", want: ids("u3", "u1", "u2", "u4", "u5")},
	{name: "integer desc", sortBy: tst + "level", desc: true, want: ids("u2", "u1", "u3", "u5", "u4")},
	{name: "decimal", sortBy: tst + "score", want: ids("u3", "u1", "u2", "u4", "u5")},
	{name: "boolean", sortBy: tst + "vip", want: ids("u2", "u1", "u3", "u4", "u5")},
	{name: "caseExact code-point order", sortBy: tst + "code", want: ids("u1", "u3", "u2", "u4", "u5")},
	{name: "multi-valued complex primary", sortBy: tst + "projects", want: ids("u1", "u2", "u3", "u4", "u5")},
	{name: "SAP custom first", sortBy: sapC + "attributes.value", want: ids("u1", "u2", "u5", "u3", "u4")},
	{name: "with filter", filter: `emails pr`, sortBy: "userName", desc: true, want: ids("u3", "u2", "u1")},
	{name: "groups displayName", res: Groups, sortBy: "displayName", want: ids("g1", "g3", "g2")},
	{name: "groups displayName desc", res: Groups, sortBy: "displayName", desc: true, want: ids("g2", "g3", "g1")},
	{name: "groups extension", res: Groups, sortBy: tstGrp + "costCenter", want: ids("g1", "g2", "g3")},
}

func TestOrderByBehaviour(t *testing.T) {
	for _, kind := range testdb.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			d := openDB(t, kind)
			d.seed(t)
			for _, c := range sortCases {
				t.Run(c.name, func(t *testing.T) {
					got := d.ids(t, c.res, tenantA, c.filter, c.sortBy, c.desc)
					if !slices.Equal(got, c.want) {
						t.Errorf("sortBy=%q desc=%v filter=%q: got %v, want %v", c.sortBy, c.desc, c.filter, got, c.want)
					}
				})
			}
		})
	}
}
