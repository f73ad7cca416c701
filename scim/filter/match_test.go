package filter

import (
	"encoding/json"
	"strings"
	"testing"

	ast "github.com/scim2/filter-parser/v2"
)

func TestMatch(t *testing.T) {
	email := map[string]any{"type": "work", "value": "BJensen@Example.com", "primary": true, "display": ""}
	member := map[string]any{"value": "2819c223-7f76-453a-919d-413861904646", "$ref": "https://x/Users/2819c223", "display": "Babs"}
	nums := map[string]any{"i": 42, "i64": int64(-7), "f": 4.5, "n": json.Number("10"), "nf": json.Number("2.5"), "u": uint8(3), "big": int64(1) << 60}
	times := map[string]any{"lastModified": "2011-05-13T04:42:34Z", "created": "2011-05-13T06:42:34+02:00", "bad": "2011-05-13T04:42:34"}
	entra := map[string]any{"primary": "True", "active": "false"}
	nested := map[string]any{"type": "home", "name": map[string]any{"givenName": "Barbara"}, "tags": []any{"a", "b"}, "empty": []any{}, "obj": map[string]any{}}
	exactValue := func(name string) bool { return name == "value" }

	tests := []struct {
		name   string
		filter string
		elem   map[string]any
		exact  func(string) bool
		want   bool
	}{
		{"eq", `type eq "work"`, email, nil, true},
		{"eq case-insensitive value", `type eq "WORK"`, email, nil, true},
		{"eq case-insensitive key", `TYPE eq "work"`, email, nil, true},
		{"eq caseExact", `value eq "bjensen@example.com"`, email, exactValue, false},
		{"eq caseExact exact", `value eq "BJensen@Example.com"`, email, exactValue, true},
		{"caseExact gets element key", `VALUE eq "bjensen@example.com"`, email, exactValue, false},
		{"eq other", `type eq "home"`, email, nil, false},
		{"ne", `type ne "home"`, email, nil, true},
		{"ne equal", `type ne "WORK"`, email, nil, false},
		{"ne missing", `missing ne "x"`, email, nil, true},
		{"eq missing", `missing eq "x"`, email, nil, false},
		{"co", `value co "example"`, email, nil, true},
		{"co caseExact", `value co "example"`, email, exactValue, false},
		{"sw", `value sw "bjen"`, email, nil, true},
		{"ew", `value ew "@EXAMPLE.COM"`, email, nil, true},
		{"ew no", `value ew "@example.org"`, email, nil, false},
		{"gt string", `type gt "home"`, email, nil, true},
		{"lt string", `type lt "home"`, email, nil, false},
		{"ge string equal", `type ge "WORK"`, email, nil, true},
		{"le string", `type le "zzz"`, email, nil, true},
		{"pr", `type pr`, email, nil, true},
		{"pr empty string", `display pr`, email, nil, false},
		{"pr missing", `missing pr`, email, nil, false},
		{"pr empty array", `empty pr`, nested, nil, false},
		{"pr empty object", `obj pr`, nested, nil, false},
		{"eq null missing", `missing eq null`, email, nil, true},
		{"eq null empty", `display eq null`, email, nil, true},
		{"eq null present", `type eq null`, email, nil, false},
		{"ne null present", `type ne null`, email, nil, true},
		{"gt null", `type gt null`, email, nil, false},
		{"bool eq", `primary eq true`, email, nil, true},
		{"bool eq false", `primary eq false`, email, nil, false},
		{"bool ne", `primary ne false`, email, nil, true},
		{"bool gt unsupported", `primary gt false`, email, nil, false},
		{"bool from Entra string", `primary eq true`, entra, nil, true},
		{"bool from Entra string false", `active eq false`, entra, nil, true},
		{"bool vs string", `type eq true`, email, nil, false},
		{"string vs number", `type eq 1`, email, nil, false},
		{"number vs string", `i eq "42"`, nums, nil, false},
		{"int eq", `i eq 42`, nums, nil, true},
		{"int eq float", `i eq 42.0`, nums, nil, true},
		{"int64 lt", `i64 lt 0`, nums, nil, true},
		{"float gt", `f gt 4`, nums, nil, true},
		{"float ge exp", `f ge 45e-1`, nums, nil, true},
		{"json.Number eq", `n eq 10`, nums, nil, true},
		{"json.Number fraction", `nf lt 3`, nums, nil, true},
		{"uint8", `u le 3`, nums, nil, true},
		{"big int exact", `big eq 1152921504606846976`, nums, nil, true},
		{"big int off by one", `big eq 1152921504606846977`, nums, nil, false},
		{"number co unsupported", `i co 4`, nums, nil, false},
		{"datetime gt", `lastModified gt "2011-05-13T04:00:00Z"`, times, nil, true},
		{"datetime eq other zone", `lastModified eq "2011-05-13T06:42:34+02:00"`, times, nil, true},
		{"datetime eq fraction", `lastModified eq "2011-05-13T04:42:34.000Z"`, times, nil, true},
		{"datetime le", `created le "2011-05-13T04:42:34Z"`, times, nil, true},
		{"datetime lt zone aware", `created lt "2011-05-13T05:00:00Z"`, times, nil, true},
		{"not a datetime compares as string", `bad lt "2011-05-13T04:42:34Z"`, times, nil, true},
		{"and", `type eq "work" and primary eq true`, email, nil, true},
		{"and false", `type eq "work" and primary eq false`, email, nil, false},
		{"or", `type eq "home" or primary eq true`, email, nil, true},
		{"or false", `type eq "home" or primary eq false`, email, nil, false},
		{"not", `not (type eq "home")`, email, nil, true},
		{"not true", `not (type eq "work")`, email, nil, false},
		{"members value", `value eq "2819c223-7f76-453a-919d-413861904646"`, member, nil, true},
		{"members value upper", `value eq "2819C223-7F76-453A-919D-413861904646"`, member, nil, true},
		{"members value other", `value eq "other"`, member, nil, false},
		{"$ref", `$ref ew "/Users/2819c223"`, member, nil, true},
		{"sub-attribute", `name.givenName sw "barb"`, nested, nil, true},
		{"sub-attribute missing", `name.familyName pr`, nested, nil, false},
		{"sub-attribute of scalar", `type.x pr`, nested, nil, false},
		{"multi-valued any", `tags eq "b"`, nested, nil, true},
		{"multi-valued none", `tags eq "c"`, nested, nil, false},
		{"multi-valued ne", `tags ne "c"`, nested, nil, true},
		{"multi-valued ne equal", `tags ne "a"`, nested, nil, false},
		{"[]string", `roles eq "ADMIN"`, map[string]any{"roles": []string{"user", "admin"}}, nil, true},
		{"[]string pr empty", `roles pr`, map[string]any{"roles": []string{""}}, nil, false},
		{"uri prefix ignored", `urn:x:type eq "home"`, nested, nil, true},
		{"value path inside", `emails[type eq "work"]`, map[string]any{"emails": []any{email}}, nil, true},
		{"value path inside no", `emails[type eq "home"]`, map[string]any{"emails": []any{email}}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expr, err := Parse(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := Match(expr, tt.elem, tt.exact); got != tt.want {
				t.Fatalf("Match(%s, %v) = %v, want %v", tt.filter, tt.elem, got, tt.want)
			}
		})
	}
}

func TestMatchPathFilter(t *testing.T) {
	// As the PATCH handler uses it: the ValueExpression of a parsed path
	// against each element of the multi-valued attribute.
	p, err := ParsePath(`emails[type eq "work" and primary eq true].value`)
	if err != nil {
		t.Fatal(err)
	}
	var emails []map[string]any
	if err := json.NewDecoder(strings.NewReader(`[
		{"type":"home","value":"h@x","primary":true},
		{"type":"Work","value":"w@x","primary":true},
		{"type":"work","value":"w2@x"}]`)).Decode(&emails); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range emails {
		if Match(p.ValueExpression, e, nil) {
			got = append(got, e["value"].(string))
		}
	}
	if len(got) != 1 || got[0] != "w@x" {
		t.Fatalf("matched %v, want [w@x]", got)
	}
}

func TestMatchEdgeCases(t *testing.T) {
	elem := map[string]any{"a": "x"}
	if !Match(nil, elem, nil) {
		t.Error("nil filter should match")
	}
	var nilAttr *ast.AttributeExpression
	if Match(nilAttr, elem, nil) {
		t.Error("typed nil node should not match")
	}
	upper := &ast.AttributeExpression{AttributePath: ast.AttributePath{AttributeName: "a"}, Operator: "EQ", CompareValue: "X"}
	if !Match(upper, elem, nil) {
		t.Error("upper-case operator from a hand-built AST should work")
	}
	orUpper := &ast.LogicalExpression{Left: upper, Right: upper, Operator: "OR"}
	if !Match(orUpper, elem, nil) {
		t.Error("upper-case logical operator should work")
	}
	if Match(upper, nil, nil) {
		t.Error("nil element should not match eq")
	}
}
