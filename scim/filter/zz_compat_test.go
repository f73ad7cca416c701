package filter

import (
	"strings"
	"testing"
	"unicode/utf8"
	"math/rand/v2"
)

func FuzzZZCompat(f *testing.F) {
	for _, s := range rfcFilters { f.Add(s) }
	for _, s := range rfcPaths { f.Add(s) }
	g := gen{rand.New(rand.NewPCG(1, 2))}
	for range 50 { f.Add(g.filter(2)); f.Add(g.path()) }
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) { return }
		if _, terr := parseTheirs(s); terr == nil {
			if _, err := Parse(s); err != nil && !glued(err) {
				t.Fatalf("they accept, we reject %q: %v", s, err)
			}
		}
		if _, terr := parsePathTheirs(s); terr == nil {
			if _, err := ParsePath(s); err != nil && !glued(err) {
				t.Fatalf("they accept path, we reject %q: %v", s, err)
			}
		}
	})
}

func glued(err error) bool {
	m := strings.ToLower(err.Error())
	return strings.Contains(m, `found "and`) || strings.Contains(m, `found "or`) || strings.Contains(m, `found "pr`) || strings.Contains(m, `found "true`) || strings.Contains(m, `found "false`) || strings.Contains(m, `found "null`) || strings.Contains(m, "after the compare value") || strings.Contains(m, "invalid number") || strings.Contains(m, "found \"\\\"")
}
