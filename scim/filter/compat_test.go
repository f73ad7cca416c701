package filter

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCompat looks for inputs that filter-parser (and so elimity) accepts
// but this parser rejects. The only known ones are deliberate and are
// skipped here:
//
//   - invalid UTF-8 inside a string value;
//   - a keyword glued to the token before it inside a value filter, which
//     filter-parser allows there (SP* around and/or): `a[b pr and c pr]`
//     is fine, but `a[b prand c pr]`, `a[b eq 1or c pr]` and
//     `a[b eq trueAnd c pr]` are rejected. (A keyword right after a closing
//     quote, `a[b eq "x"and c pr]`, is accepted.)
//
// Run it with: go test -fuzz=FuzzCompat ./scim/filter/
func FuzzCompat(f *testing.F) {
	for _, s := range rfcFilters {
		f.Add(s)
	}
	for _, s := range rfcPaths {
		f.Add(s)
	}
	g := gen{rand.New(rand.NewPCG(3, 4))}
	for range 50 {
		f.Add(g.filter(2))
		f.Add(g.path())
	}
	f.Add(`0:A pr`)
	f.Add(`emails[type eq "work"and value pr]`)
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		if _, terr := parseTheirs(s); terr == nil {
			if _, err := Parse(s); err != nil && !gluedKeyword(err) {
				t.Fatalf("filter-parser accepts %q, Parse rejects it: %v", s, err)
			}
		}
		if _, terr := parsePathTheirs(s); terr == nil {
			if _, err := ParsePath(s); err != nil && !gluedKeyword(err) {
				t.Fatalf("filter-parser accepts path %q, ParsePath rejects it: %v", s, err)
			}
		}
	})
}

// gluedKeyword recognises our errors for a keyword glued to the token
// before it (see FuzzCompat).
func gluedKeyword(err error) bool {
	m := strings.ToLower(err.(*SyntaxError).Msg)
	for _, w := range []string{`found "and`, `found "or`, `found "pr`, `found "true`, `found "false`, `found "null`,
		"after the compare value", "invalid number"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}
