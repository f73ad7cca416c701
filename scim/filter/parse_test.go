package filter

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	ast "github.com/scim2/filter-parser/v2"
)

const (
	enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	coreUser   = "urn:ietf:params:scim:schemas:core:2.0:User"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     ast.Expression
	}{
		// RFC 7644 §3.4.2.2 examples.
		{"rfc eq", `userName eq "bjensen"`, attr("userName", ast.EQ, "bjensen")},
		{"rfc co apostrophe", `name.familyName co "O'Malley"`, attr("name.familyName", ast.CO, "O'Malley")},
		{"rfc sw", `userName sw "J"`, attr("userName", ast.SW, "J")},
		{"rfc urn", `urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`, attr(coreUser+":userName", ast.SW, "J")},
		{"rfc pr", `title pr`, pr("title")},
		{"rfc gt", `meta.lastModified gt "2011-05-13T04:42:34Z"`, attr("meta.lastModified", ast.GT, "2011-05-13T04:42:34Z")},
		{"rfc ge", `meta.lastModified ge "2011-05-13T04:42:34Z"`, attr("meta.lastModified", ast.GE, "2011-05-13T04:42:34Z")},
		{"rfc lt", `meta.lastModified lt "2011-05-13T04:42:34Z"`, attr("meta.lastModified", ast.LT, "2011-05-13T04:42:34Z")},
		{"rfc le", `meta.lastModified le "2011-05-13T04:42:34Z"`, attr("meta.lastModified", ast.LE, "2011-05-13T04:42:34Z")},
		{"rfc and", `title pr and userType eq "Employee"`, and(pr("title"), attr("userType", ast.EQ, "Employee"))},
		{"rfc or", `title pr or userType eq "Intern"`, or(pr("title"), attr("userType", ast.EQ, "Intern"))},
		{"rfc schemas", `schemas eq "` + enterprise + `"`, attr("schemas", ast.EQ, enterprise)},
		{"rfc grouping", `userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
			and(attr("userType", ast.EQ, "Employee"), or(attr("emails", ast.CO, "example.com"), attr("emails.value", ast.CO, "example.org")))},
		{"rfc not", `userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
			and(attr("userType", ast.NE, "Employee"), not(or(attr("emails", ast.CO, "example.com"), attr("emails.value", ast.CO, "example.org"))))},
		{"rfc single group", `userType eq "Employee" and (emails.type eq "work")`,
			and(attr("userType", ast.EQ, "Employee"), attr("emails.type", ast.EQ, "work"))},
		{"rfc value path", `userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
			and(attr("userType", ast.EQ, "Employee"), vpath("emails", and(attr("type", ast.EQ, "work"), attr("value", ast.CO, "@example.com"))))},
		{"rfc two value paths", `emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
			or(vpath("emails", and(attr("type", ast.EQ, "work"), attr("value", ast.CO, "@example.com"))),
				vpath("ims", and(attr("type", ast.EQ, "xmpp"), attr("value", ast.CO, "@foo.com"))))},

		// Operators and keywords.
		{"operator upper case", `userName EQ "x"`, attr("userName", ast.EQ, "x")},
		{"operator mixed case", `userName eQ "x"`, attr("userName", ast.EQ, "x")},
		{"all operators", `a ne 1 and b co "x" and c sw "x" and d ew "x" and e gt 1 and f ge 1 and g lt 1 and h le 1 and i PR`,
			and(and(and(and(and(and(and(and(attr("a", ast.NE, 1), attr("b", ast.CO, "x")), attr("c", ast.SW, "x")),
				attr("d", ast.EW, "x")), attr("e", ast.GT, 1)), attr("f", ast.GE, 1)), attr("g", ast.LT, 1)), attr("h", ast.LE, 1)), pr("i"))},
		{"AND OR upper", `a pr AND b pr OR c pr`, or(and(pr("a"), pr("b")), pr("c"))},
		{"NOT upper", `NOT (a pr)`, not(pr("a"))},
		{"not without space", `not(a pr)`, not(pr("a"))},
		{"not inside and", `a pr and not(b pr) and c pr`, and(and(pr("a"), not(pr("b"))), pr("c"))},
		{"double not", `not (not (a pr))`, not(not(pr("a")))},
		{"attribute named not", `not pr`, pr("not")},
		{"attribute named not with op", `not eq "x"`, attr("not", ast.EQ, "x")},
		{"attribute named and", `and eq "x" and or pr`, and(attr("and", ast.EQ, "x"), pr("or"))},

		// Precedence and associativity.
		{"and binds tighter than or", `a pr or b pr and c pr`, or(pr("a"), and(pr("b"), pr("c")))},
		{"and binds tighter than or left", `a pr and b pr or c pr`, or(and(pr("a"), pr("b")), pr("c"))},
		{"and left assoc", `a pr and b pr and c pr`, and(and(pr("a"), pr("b")), pr("c"))},
		{"or left assoc", `a pr or b pr or c pr or d pr`, or(or(or(pr("a"), pr("b")), pr("c")), pr("d"))},
		{"parens override", `(a pr or b pr) and c pr`, and(or(pr("a"), pr("b")), pr("c"))},
		{"parens leave no node", `((a pr))`, pr("a")},
		{"parens right", `a pr and (b pr or (c pr and d pr))`, and(pr("a"), or(pr("b"), and(pr("c"), pr("d"))))},

		// Whitespace leniency.
		{"extra spaces", `  userName   eq    "x"   and  (  a pr  )  `, and(attr("userName", ast.EQ, "x"), pr("a"))},
		{"tabs and newlines", "userName\teq\t\"x\"\nand\r\na pr", and(attr("userName", ast.EQ, "x"), pr("a"))},
		{"and after quote", `a eq "x"and b pr`, and(attr("a", ast.EQ, "x"), pr("b"))},
		{"and after paren", `(a pr)and(b pr)`, and(pr("a"), pr("b"))},
		{"or before paren", `a pr or(b pr)`, or(pr("a"), pr("b"))},
		{"space before bracket", `emails [ type eq "work" ]`, vpath("emails", attr("type", ast.EQ, "work"))},

		// Compare values.
		{"true", `a eq true`, attr("a", ast.EQ, true)},
		{"false upper", `a eq FALSE`, attr("a", ast.EQ, false)},
		{"null mixed", `a eq NuLL`, attr("a", ast.EQ, nil)},
		{"int", `a eq 42`, attr("a", ast.EQ, 42)},
		{"zero", `a eq 0`, attr("a", ast.EQ, 0)},
		{"negative int", `a gt -17`, attr("a", ast.GT, -17)},
		{"negative zero", `a eq -0`, attr("a", ast.EQ, 0)},
		{"fraction", `a eq 4.5`, attr("a", ast.EQ, 4.5)},
		{"exponent", `a eq -1e3`, attr("a", ast.EQ, -1000.0)},
		{"exponent upper signed", `a eq 1.5E+3`, attr("a", ast.EQ, 1500.0)},
		{"exponent negative", `a eq 25e-2`, attr("a", ast.EQ, 0.25)},
		{"integral fraction is float", `a eq 1.0`, attr("a", ast.EQ, 1.0)},
		{"max int", `a eq 9223372036854775807`, attr("a", ast.EQ, 9223372036854775807)},
		{"int beyond int range is float", `a eq 12345678901234567890`, attr("a", ast.EQ, 12345678901234567890.0)},
		{"empty string", `a eq ""`, attr("a", ast.EQ, "")},
		{"escapes", `a eq "q\"b\\s\/f\bb\ff\nn\rr\tt"`, attr("a", ast.EQ, "q\"b\\s/f\bb\ff\nn\rr\tt")},
		{"unicode escape lower hex", `a eq "caf\u00e9"`, attr("a", ast.EQ, "café")},
		{"unicode escape upper hex", `a eq "caf\u00E9"`, attr("a", ast.EQ, "café")},
		{"surrogate pair", `a eq "\uD83D\uDE00!"`, attr("a", ast.EQ, "😀!")},
		{"lone high surrogate", `a eq "\uD83Dx"`, attr("a", ast.EQ, "\uFFFDx")},
		{"lone low surrogate", `a eq "\uDE00"`, attr("a", ast.EQ, "\uFFFD")},
		{"high surrogate then non-surrogate", `a eq "\uD83D\u0041"`, attr("a", ast.EQ, "\uFFFDA")},
		{"raw utf8", `a eq "Zoë 😀"`, attr("a", ast.EQ, "Zoë 😀")},
		{"etag value", `meta.version eq "W/\"990-6468886345120203448\""`, attr("meta.version", ast.EQ, `W/"990-6468886345120203448"`)},
		{"brackets and parens in string", `a eq "x) or (b[c]"`, attr("a", ast.EQ, "x) or (b[c]")},

		// Attribute paths.
		{"enterprise sub-attribute", enterprise + `:manager.value eq "x"`, attr(enterprise+":manager.value", ast.EQ, "x")},
		{"enterprise attribute", enterprise + `:employeeNumber eq "7"`, attr(enterprise+":employeeNumber", ast.EQ, "7")},
		{"custom urn with hyphen", `urn:acme-corp:scim:2.0:User:cost_center-1 pr`, pr("urn:acme-corp:scim:2.0:User:cost_center-1")},
		{"dollar ref", `members[$ref eq "x"]`, vpath("members", attr("$ref", ast.EQ, "x"))},
		{"dollar ref sub", `members.$ref pr`, pr("members.$ref")},
		{"name chars", `a-b_c9 pr`, pr("a-b_c9")},
		{"urn value path", enterprise + `:manager[value eq "x"]`, vpath(enterprise+":manager", attr("value", ast.EQ, "x"))},

		// Value paths.
		{"value path single", `emails[type eq "work"]`, vpath("emails", attr("type", ast.EQ, "work"))},
		{"value path three terms", `emails[type eq "work" and value co "@x" and primary eq true]`,
			vpath("emails", and(and(attr("type", ast.EQ, "work"), attr("value", ast.CO, "@x")), attr("primary", ast.EQ, true)))},
		{"value path precedence", `emails[type eq "a" or type eq "b" and primary eq true]`,
			vpath("emails", or(attr("type", ast.EQ, "a"), and(attr("type", ast.EQ, "b"), attr("primary", ast.EQ, true))))},
		{"value path parens", `emails[(type eq "a" or type eq "b") and primary eq true]`,
			vpath("emails", and(or(attr("type", ast.EQ, "a"), attr("type", ast.EQ, "b")), attr("primary", ast.EQ, true)))},
		{"value path not", `emails[not (type eq "work")]`, vpath("emails", not(attr("type", ast.EQ, "work")))},
		{"value path not no space", `emails[not(type eq "work")]`, vpath("emails", not(attr("type", ast.EQ, "work")))},
		{"not of value path", `not (emails[type eq "work"])`, not(vpath("emails", attr("type", ast.EQ, "work")))},
		{"attribute named not with value path", `not[a pr]`, vpath("not", pr("a"))},

		// Entra ID: sub-attribute after a value path.
		{"entra value path sub-attribute", `emails[type eq "work"].value eq "a@x"`,
			vpath("emails", and(attr("type", ast.EQ, "work"), attr("value", ast.EQ, "a@x")))},
		{"entra value path sub-attribute or", `emails[type eq "work" or primary eq true].value pr and userName eq "u"`,
			and(vpath("emails", and(or(attr("type", ast.EQ, "work"), attr("primary", ast.EQ, true)), pr("value"))), attr("userName", ast.EQ, "u"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q)\n got %s\nwant %s", tt.in, show(got), show(tt.want))
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in string
		offset   int
		msg      string // substring of the message
	}{
		{"empty", ``, 0, `expected attribute path, "(" or "not", found end of input`},
		{"blank", `   `, 3, `found end of input`},
		{"unquoted value (Entra)", `externalId eq jyoung`, 14, `found "jyoung"; string values must be in double quotes`},
		{"unknown operator", `userName xx "a"`, 9, `expected operator (eq, ne, co, sw, ew, gt, lt, ge, le or pr), found "xx"`},
		{"missing operator", `userName`, 8, `expected operator`},
		{"missing value", `userName eq`, 11, `expected compare value`},
		{"missing value after space", `userName eq `, 12, `expected compare value`},
		{"no space after operator", `userName eq"x"`, 11, `expected space after operator "eq"`},
		{"no space before operator", `userName="x"`, 8, `expected space and operator after attribute path, found "="`},
		{"operator glued", `userName eqq "x"`, 9, `expected operator`},
		{"pr with value", `title pr "x"`, 9, `expected "and", "or" or end of filter, found "\""`},
		{"pr glued", `title prx`, 6, `expected operator`},
		{"unterminated string", `userName eq "abc`, 12, `unterminated string`},
		{"bad escape", `a eq "x\q"`, 7, `invalid escape "\\q"`},
		{"short unicode escape", `a eq "\u12"`, 6, `expected four hex digits`},
		{"control character", "a eq \"x\ty\"", 7, `control character in string`},
		{"invalid utf8", "a eq \"x\xffy\"", 7, `invalid UTF-8`},
		{"leading zero", `a eq 01`, 5, `invalid number "01"`},
		{"bare minus", `a eq -`, 5, `expected a digit after "-"`},
		{"fraction without digits", `a eq 1.`, 7, `expected a digit after "."`},
		{"exponent without digits", `a eq 1e+`, 8, `expected a digit in the exponent`},
		{"number out of range", `a eq 1e999`, 5, `out of range`},
		{"number glued to word", `a eq 12ab`, 5, `invalid number "12ab"`},
		{"keyword glued", `a eq trueand b pr`, 5, `found "trueand"`},
		{"value glued to paren", `a eq 1(`, 6, `expected space, ")" or "]" after the compare value`},
		{"dangling and", `a pr and`, 8, `expected attribute path, "(" or "not", found end of input`},
		{"dangling or", `a pr or `, 8, `found end of input`},
		{"and without space", `a pr andb pr`, 5, `expected "and", "or" or end of filter, found "andb"`},
		{"unknown keyword", `a pr xor b pr`, 5, `found "xor"`},
		{"unclosed paren", `(a pr`, 5, `expected "and", "or" or ")" closing the "(" at offset 0, found end of input`},
		{"unmatched close paren", `a pr)`, 4, `unexpected ")" without a matching "("`},
		{"empty parens", `()`, 1, `expected attribute path, "(" or "not", found ")"`},
		{"not without parens", `not userName eq "x"`, 4, `expected "(" after "not", found "userName"`},
		{"not at end", `a pr and not`, 12, `expected "(" after "not"`},
		{"unclosed bracket", `emails[type eq "work"`, 21, `expected "and", "or" or "]" closing the "[" at offset 6`},
		{"unmatched close bracket", `a pr]`, 4, `unexpected "]" without a matching "["`},
		{"nested value path", `emails[type[value pr]]`, 11, `value filters cannot be nested`},
		{"empty value filter", `emails[]`, 7, `expected attribute path`},
		{"value path needs filter after sub", `emails[type eq "work"].value`, 28, `expected operator`},
		{"value path sub twice", `emails.value[type eq "work"].display eq "x"`, 28, `already has a sub-attribute`},
		{"value path bad sub", `emails[type eq "w"].1x eq "x"`, 20, `expected attribute name, found "1x"`},
		{"two sub-attributes", `name.givenName.x pr`, 14, `unexpected "." after sub-attribute name`},
		{"name starts with digit", `1abc pr`, 0, `expected attribute name, found "1abc"`},
		{"urn segment starts with digit", `0:A pr and 1.x:9 pr`, 15, `expected attribute name, found "9"`},
		{"empty sub-attribute", `name. pr`, 5, `expected attribute name`},
		{"bad name char", `user#name eq "x"`, 4, `expected space and operator after attribute path, found "#"`},
		{"empty uri segment", `urn::x pr`, 4, `empty segment in schema URI prefix`},
		{"colon at end", `urn:x: pr`, 6, `expected attribute name`},
		{"dollar in uri", `urn:$x:y pr`, 4, `unexpected "$" in schema URI prefix`},
		{"too deep", strings.Repeat("(", 150) + "a pr" + strings.Repeat(")", 150), 100, `nested too deeply`},
		{"garbage", `*`, 0, `expected attribute path, "(" or "not", found "*"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want error", tt.in, show(got))
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %T %v, want *SyntaxError", tt.in, err, err)
			}
			if se.Input != tt.in || se.Offset != tt.offset || !strings.Contains(se.Msg, tt.msg) {
				t.Fatalf("Parse(%q): offset %d msg %q\nwant offset %d msg containing %q", tt.in, se.Offset, se.Msg, tt.offset, tt.msg)
			}
			if want := "syntax error at offset "; !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("Error() = %q", err.Error())
			}
		})
	}
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		name, in string
		want     ast.Path
	}{
		{"attribute", `members`, ast.Path{AttributePath: apath("members")}},
		{"sub-attribute", `name.givenName`, ast.Path{AttributePath: apath("name.givenName")}},
		{"value path sub-attribute", `emails[type eq "work"].value`,
			ast.Path{AttributePath: apath("emails"), ValueExpression: attr("type", ast.EQ, "work"), SubAttribute: strp("value")}},
		{"members value path", `members[value eq "2819c223"]`,
			ast.Path{AttributePath: apath("members"), ValueExpression: attr("value", ast.EQ, "2819c223")}},
		{"members value path displayName", `members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName`,
			ast.Path{AttributePath: apath("members"), ValueExpression: attr("value", ast.EQ, "2819c223-7f76-453a-919d-413861904646"), SubAttribute: strp("displayName")}},
		{"enterprise manager", enterprise + `:manager`, ast.Path{AttributePath: apath(enterprise + ":manager")}},
		{"enterprise manager value", enterprise + `:manager.value`, ast.Path{AttributePath: apath(enterprise + ":manager.value")}},
		{"core family name", coreUser + `:name.familyName`, ast.Path{AttributePath: apath(coreUser + ":name.familyName")}},
		{"bare extension urn", enterprise, ast.Path{AttributePath: apath(enterprise)}},
		{"value path and", `emails[type eq "work" and value ew "example.com"]`,
			ast.Path{AttributePath: apath("emails"), ValueExpression: and(attr("type", ast.EQ, "work"), attr("value", ast.EW, "example.com"))}},
		{"value path three terms", `emails[type eq "work" and primary eq true or value ew "x"].display`,
			ast.Path{AttributePath: apath("emails"), ValueExpression: or(and(attr("type", ast.EQ, "work"), attr("primary", ast.EQ, true)), attr("value", ast.EW, "x")), SubAttribute: strp("display")}},
		{"value path not", `emails[not(type eq "work")]`, ast.Path{AttributePath: apath("emails"), ValueExpression: not(attr("type", ast.EQ, "work"))}},
		{"urn value path", enterprise + `:manager[value eq "x"].displayName`,
			ast.Path{AttributePath: apath(enterprise + ":manager"), ValueExpression: attr("value", ast.EQ, "x"), SubAttribute: strp("displayName")}},
		{"surrounding whitespace", "  members[value eq \"x\"]\t", ast.Path{AttributePath: apath("members"), ValueExpression: attr("value", ast.EQ, "x")}},
		{"space before bracket", `members [value eq "x"]`, ast.Path{AttributePath: apath("members"), ValueExpression: attr("value", ast.EQ, "x")}},
		{"dollar ref", `members.$ref`, ast.Path{AttributePath: apath("members.$ref")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePath(tt.in)
			if err != nil {
				t.Fatalf("ParsePath(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParsePath(%q)\n got %s\nwant %s", tt.in, show(got), show(tt.want))
			}
		})
	}
}

func TestParsePathErrors(t *testing.T) {
	tests := []struct {
		name, in string
		offset   int
		msg      string
	}{
		{"empty", ``, 0, `expected attribute path, found end of input`},
		{"filter is not a path", `userName eq "x"`, 9, `expected "[" or end of path, found "eq"`},
		{"trailing after bracket", `members[value eq "x"] x`, 22, `expected "." or end of path, found "x"`},
		{"space before sub-attribute", `members[value eq "x"] .display`, 22, `expected "." or end of path`},
		{"bad sub-attribute", `members[value eq "x"].`, 22, `expected attribute name, found end of input`},
		{"sub-sub-attribute", `members[value eq "x"].a.b`, 23, `unexpected "." after sub-attribute name`},
		{"nested", `a[b[c pr]]`, 3, `value filters cannot be nested`},
		{"unclosed", `members[value eq "x"`, 20, `closing the "[" at offset 7`},
		{"unquoted value", `members[value eq 2819c223]`, 17, `invalid number "2819c223"`},
		{"unquoted word", `members[value eq abc]`, 17, `string values must be in double quotes`},
		{"paren", `(members)`, 0, `expected attribute path, found "("`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePath(tt.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParsePath(%q) = %s, %v; want *SyntaxError", tt.in, show(got), err)
			}
			if se.Offset != tt.offset || !strings.Contains(se.Msg, tt.msg) {
				t.Fatalf("ParsePath(%q): offset %d msg %q\nwant offset %d msg containing %q", tt.in, se.Offset, se.Msg, tt.offset, tt.msg)
			}
		})
	}
}

func TestParseAttrPath(t *testing.T) {
	valid := []struct{ in, want string }{
		{"userName", "userName"},
		{"name.familyName", "name.familyName"},
		{" meta.lastModified ", "meta.lastModified"},
		{enterprise + ":manager.value", enterprise + ":manager.value"},
		{coreUser + ":emails", coreUser + ":emails"},
		{"$ref", "$ref"},
	}
	for _, tt := range valid {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAttrPath(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if want := apath(tt.want); !reflect.DeepEqual(got, want) {
				t.Fatalf("got %s want %s", showPath(got), showPath(want))
			}
		})
	}
	invalid := []struct {
		in     string
		offset int
	}{
		{"", 0}, {"a,b", 1}, {"a b", 2}, {"emails[type eq \"x\"]", 6}, {"a.b.c", 3}, {"9a", 0}, {"a.", 2},
	}
	for _, tt := range invalid {
		t.Run("invalid "+tt.in, func(t *testing.T) {
			_, err := ParseAttrPath(tt.in)
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset != tt.offset {
				t.Fatalf("ParseAttrPath(%q): %v, want SyntaxError at %d", tt.in, err, tt.offset)
			}
		})
	}
}

// TestNoSharedState checks that parsed values do not alias each other:
// the *string fields of different nodes are distinct.
func TestNoSharedState(t *testing.T) {
	e, err := Parse(enterprise + `:manager.value eq "x" and ` + enterprise + `:manager.displayName eq "y"`)
	if err != nil {
		t.Fatal(err)
	}
	l := e.(*ast.LogicalExpression)
	a, b := l.Left.(*ast.AttributeExpression), l.Right.(*ast.AttributeExpression)
	*a.AttributePath.SubAttribute = "changed"
	if *b.AttributePath.SubAttribute != "displayName" || *a.AttributePath.URIPrefix != enterprise {
		t.Fatal("nodes share storage")
	}
}
