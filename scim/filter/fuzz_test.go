package filter

import (
	"errors"
	"math/rand/v2"
	"testing"

	ast "github.com/scim2/filter-parser/v2"
)

// FuzzParse checks that Parse and ParsePath never panic, that every error
// is a *SyntaxError pointing into the input, and that whenever
// filter-parser also accepts the input, both ASTs agree.
func FuzzParse(f *testing.F) {
	for _, s := range rfcFilters {
		f.Add(s)
	}
	for _, s := range rfcPaths {
		f.Add(s)
	}
	g := gen{rand.New(rand.NewPCG(1, 2))}
	for range 50 {
		f.Add(g.filter(2))
		f.Add(g.path())
	}
	for _, s := range []string{
		``, `(`, `not(`, `a[`, `a eq "\`, `a eq "\u`, `a eq "\uD83D\u`, `a eq 1e`, `a eq -`, `urn:`, `a.`, `$`,
		`emails[type eq "work"].value eq "x"`, "a eq \"\xff\"", `a eq 12345678901234567890`, `a eq 9007199254740993`,
		`emails[type eq "work"and value pr]`, `not pr`, `not [a pr]`, `a pr and(b pr)`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ours, err := Parse(s)
		checkErr(t, s, err)
		if theirs, terr := parseTheirs(s); err == nil && terr == nil {
			n := reconcile(ours, theirs)
			if !sameAST(ours, theirs) {
				t.Fatalf("Parse(%q) disagrees with filter-parser (%d reconciled)\n ours   %s\n theirs %s", s, n, show(ours), show(theirs))
			}
		}

		ourPath, err := ParsePath(s)
		checkErr(t, s, err)
		if theirPath, terr := parsePathTheirs(s); err == nil && terr == nil {
			reconcilePath(&ourPath, &theirPath)
			if !sameAST(ourPath, theirPath) {
				t.Fatalf("ParsePath(%q) disagrees with filter-parser\n ours   %s\n theirs %s", s, show(ourPath), show(theirPath))
			}
		}

		_, err = ParseAttrPath(s)
		checkErr(t, s, err)

		// Whatever parses must be safe to evaluate.
		if ours != nil {
			Match(ours, map[string]any{"type": "work", "value": 1, "primary": true, "x": []any{"a", map[string]any{"y": 2}}}, nil)
		}
	})
}

func checkErr(t *testing.T, s string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("%q: error %T %v is not a *SyntaxError", s, err, err)
	}
	if se.Input != s || se.Offset < 0 || se.Offset > len(s) || se.Msg == "" {
		t.Fatalf("%q: bad SyntaxError %+v", s, se)
	}
}

// parseTheirs runs filter-parser, turning a panic into an error.
func parseTheirs(s string) (e ast.Expression, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, err = nil, errors.New("filter-parser panicked")
		}
	}()
	return ast.ParseFilter([]byte(s))
}

func parsePathTheirs(s string) (p ast.Path, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = ast.Path{}, errors.New("filter-parser panicked")
		}
	}()
	return ast.ParsePath([]byte(s))
}
