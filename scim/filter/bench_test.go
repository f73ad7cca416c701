package filter

import (
	"testing"

	ast "github.com/scim2/filter-parser/v2"
)

var benchCases = []struct {
	name, in string
	path     bool
}{
	{"simple", `userName eq "bjensen"`, false},
	{"complex", `userType eq "Employee" and (emails co "example.com" or emails.value co "example.org") and not (title pr) or ` +
		`emails[type eq "work" and value co "@example.com"] or ` +
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915" or meta.lastModified gt "2011-05-13T04:42:34Z"`, false},
	{"path", `members[value eq "2819c223-7f76-453a-919d-413861904646"]`, true},
	{"path-sub", `emails[type eq "work"].value`, true},
	{"path-urn", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`, true},
}

// BenchmarkParse compares this parser ("scimd") with filter-parser
// ("filter-parser") on the same inputs.
func BenchmarkParse(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name+"/scimd", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.in)))
			for b.Loop() {
				var err error
				if bc.path {
					_, err = ParsePath(bc.in)
				} else {
					_, err = Parse(bc.in)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/filter-parser", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.in)))
			for b.Loop() {
				var err error
				if bc.path {
					_, err = ast.ParsePath([]byte(bc.in))
				} else {
					_, err = ast.ParseFilter([]byte(bc.in))
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseAttrPath(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAttrPath("name.familyName"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	expr, err := Parse(`type eq "work" and value co "@example.com"`)
	if err != nil {
		b.Fatal(err)
	}
	elem := map[string]any{"type": "Work", "value": "bjensen@example.com", "primary": true}
	b.ReportAllocs()
	for b.Loop() {
		if !Match(expr, elem, nil) {
			b.Fatal("no match")
		}
	}
}
