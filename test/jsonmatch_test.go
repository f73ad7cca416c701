package test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// This file holds the JSON helpers shared by the golden-file replays and
// the Go-written tests: path look-up, subset matching and {var}
// substitution.
//
// # Paths
//
// A path is dot-separated: "meta.version", "Resources.0.id",
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager.value".
// At an object the longest key that equals the rest of the path or is
// followed by a "." in it wins, so keys that contain dots (schema URNs,
// Entra's "name.givenName") need no quoting. At an array a segment is a
// 0-based index, or "*" (every element; only for look-ups that collect).
//
// # Matching rules (expect)
//
// match(want, got) reports where got does not satisfy want:
//
//   - scalars compare by JSON type and value: "1" ≠ 1, 1 = 1.0, true ≠ "True";
//   - an object matches when every key of want is in got (same spelling)
//     and its value matches; extra keys in got are fine;
//   - an array is a SUBSET pattern: every element of want must match a
//     distinct element of got, in any order; extra elements are fine;
//   - operator objects (one key starting with "$") say more:
//     {"$exact": [...]}    same length as got and every pattern matches a
//     distinct element, any order (the array holds exactly these);
//     {"$ordered": [...]}  same length, element i matches pattern i;
//     {"$len": n}          array (or object) of n elements;
//     {"$empty": true}     absent, null, [] or {} (as a key's value);
//     {"$absent": true}    the key must not be there (as a key's value);
//     {"$ne": v}           present and does not match v;
//     {"$type": "string"|"integer"|"number"|"boolean"|"object"|"array"|"null"};
//     {"$regex": "re"}     a string matching re;
//     {"$ci": "s"}         a string equal to s ignoring case;
//     {"$any": [a, b]}     matches at least one alternative.

// lookupAll returns every value at path ("*" fans out over arrays).
func lookupAll(v any, path string) []any {
	if path == "" {
		return []any{v}
	}
	switch x := v.(type) {
	case map[string]any:
		// Longest key first.
		keys := make([]string, 0, len(x))
		for k := range x {
			if k == path || strings.HasPrefix(path, k+".") {
				keys = append(keys, k)
			}
		}
		sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
		for _, k := range keys {
			rest := strings.TrimPrefix(strings.TrimPrefix(path, k), ".")
			if got := lookupAll(x[k], rest); len(got) > 0 {
				return got
			}
		}
		return nil
	case []any:
		seg, rest, _ := strings.Cut(path, ".")
		if seg == "*" {
			var out []any
			for _, e := range x {
				out = append(out, lookupAll(e, rest)...)
			}
			return out
		}
		i, err := strconv.Atoi(seg)
		if err != nil || i < 0 || i >= len(x) {
			return nil
		}
		return lookupAll(x[i], rest)
	}
	return nil
}

// lookup returns the one value at path.
func lookup(v any, path string) (any, bool) {
	got := lookupAll(v, path)
	if len(got) == 0 {
		return nil, false
	}
	return got[0], true
}

// jget is lookup for Go-written tests: the value at path or nil.
func jget(v any, path string) any {
	got, _ := lookup(v, path)
	return got
}

// jstr is jget for a string value ("" when absent or not a string).
func jstr(v any, path string) string {
	s, _ := jget(v, path).(string)
	return s
}

// jlen is the length of the array at path (0 when absent or not an array).
func jlen(v any, path string) int {
	a, _ := jget(v, path).([]any)
	return len(a)
}

// match reports every way got fails want (nil: it matches). at names the
// position for messages.
func match(want, got any, at string) []string {
	if op, arg, ok := operator(want); ok {
		return matchOp(op, arg, got, true, at)
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want an object, got %s", at, short(got))}
		}
		var out []string
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, present := g[k]
			sub := at + "." + k
			if op, arg, ok := operator(w[k]); ok {
				out = append(out, matchOp(op, arg, gv, present, sub)...)
				continue
			}
			if !present {
				out = append(out, fmt.Sprintf("%s: missing (want %s)", sub, short(w[k])))
				continue
			}
			out = append(out, match(w[k], gv, sub)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want an array, got %s", at, short(got))}
		}
		if !matchDistinct(w, g) {
			return []string{fmt.Sprintf("%s: %s does not contain (as distinct elements) %s", at, short(got), short(want))}
		}
		return nil
	default:
		if !scalarEqual(want, got) {
			return []string{fmt.Sprintf("%s: want %s, got %s", at, short(want), short(got))}
		}
		return nil
	}
}

// operator recognises {"$op": arg}.
func operator(v any) (string, any, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", nil, false
	}
	for k, a := range m {
		if strings.HasPrefix(k, "$") {
			return k, a, true
		}
	}
	return "", nil, false
}

func matchOp(op string, arg, got any, present bool, at string) []string {
	fail := func(format string, args ...any) []string {
		return []string{at + ": " + fmt.Sprintf(format, args...)}
	}
	switch op {
	case "$absent":
		if present {
			return fail("must be absent, got %s", short(got))
		}
		return nil
	case "$empty":
		if !present || got == nil {
			return nil
		}
		switch g := got.(type) {
		case []any:
			if len(g) == 0 {
				return nil
			}
		case map[string]any:
			if len(g) == 0 {
				return nil
			}
		}
		return fail("want absent/null/empty, got %s", short(got))
	}
	if !present {
		return fail("missing (want %s %s)", op, short(arg))
	}
	switch op {
	case "$exact", "$ordered":
		w, ok1 := arg.([]any)
		g, ok2 := got.([]any)
		if !ok1 || !ok2 {
			return fail("%s wants arrays, got %s", op, short(got))
		}
		if len(w) != len(g) {
			return fail("want exactly %d elements %s, got %d: %s", len(w), short(arg), len(g), short(got))
		}
		if op == "$ordered" {
			var out []string
			for i := range w {
				out = append(out, match(w[i], g[i], fmt.Sprintf("%s[%d]", at, i))...)
			}
			return out
		}
		if !matchDistinct(w, g) {
			return fail("want exactly %s, got %s", short(arg), short(got))
		}
		return nil
	case "$len":
		n, _ := arg.(float64)
		switch g := got.(type) {
		case []any:
			if len(g) == int(n) {
				return nil
			}
		case map[string]any:
			if len(g) == int(n) {
				return nil
			}
		}
		return fail("want length %v, got %s", arg, short(got))
	case "$ne":
		if len(match(arg, got, at)) == 0 {
			return fail("must differ from %s", short(arg))
		}
		return nil
	case "$type":
		if jsonType(got) == arg || (arg == "number" && jsonType(got) == "integer") {
			return nil
		}
		return fail("want type %v, got %s", arg, short(got))
	case "$regex":
		s, ok := got.(string)
		re, err := regexp.Compile(fmt.Sprint(arg))
		if err != nil {
			return fail("bad $regex %q: %v", arg, err)
		}
		if !ok || !re.MatchString(s) {
			return fail("want a string matching %q, got %s", arg, short(got))
		}
		return nil
	case "$ci":
		s, ok := got.(string)
		if !ok || !strings.EqualFold(s, fmt.Sprint(arg)) {
			return fail("want %q (any case), got %s", arg, short(got))
		}
		return nil
	case "$any":
		alts, _ := arg.([]any)
		for _, a := range alts {
			if len(match(a, got, at)) == 0 {
				return nil
			}
		}
		return fail("matches none of %s: %s", short(arg), short(got))
	}
	return fail("unknown operator %s", op)
}

// matchDistinct reports whether every pattern in want matches a distinct
// element of got (bipartite matching, Kuhn's algorithm).
func matchDistinct(want, got []any) bool {
	if len(want) > len(got) {
		return false
	}
	ok := make([][]bool, len(want))
	for i, w := range want {
		ok[i] = make([]bool, len(got))
		for j, g := range got {
			ok[i][j] = len(match(w, g, "")) == 0
		}
	}
	owner := make([]int, len(got))
	for j := range owner {
		owner[j] = -1
	}
	var try func(i int, seen []bool) bool
	try = func(i int, seen []bool) bool {
		for j := range got {
			if ok[i][j] && !seen[j] {
				seen[j] = true
				if owner[j] < 0 || try(owner[j], seen) {
					owner[j] = i
					return true
				}
			}
		}
		return false
	}
	for i := range want {
		if !try(i, make([]bool, len(got))) {
			return false
		}
	}
	return true
}

func scalarEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		return ok && x == y
	}
	return false
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// short renders v as compact JSON, cut to a readable length.
func short(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	const max = 400
	if len(raw) > max {
		return string(raw[:max]) + "…"
	}
	return string(raw)
}

var placeholderRe = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// substitute replaces {name} placeholders in s with vars[name]; esc
// transforms each value (e.g. JSON string escaping). A name starting with
// "rand" that is not defined yet gets a fresh random value. Unknown names
// are an error, so a typo never silently reaches the server.
func substitute(s string, vars map[string]string, esc func(string) string) (string, error) {
	var missing []string
	out := placeholderRe.ReplaceAllStringFunc(s, func(m string) string {
		name := m[1 : len(m)-1]
		v, ok := vars[name]
		if !ok && strings.HasPrefix(name, "rand") {
			v = randomHex(6)
			vars[name] = v
			ok = true
		}
		if !ok {
			missing = append(missing, name)
			return m
		}
		return esc(v)
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("undefined placeholder(s) %v", missing)
	}
	return out, nil
}

// jsonEscape escapes s for use inside a JSON string literal.
func jsonEscape(s string) string {
	raw, _ := json.Marshal(s)
	return string(raw[1 : len(raw)-1])
}

func identity(s string) string { return s }

// TestMatchRules pins the matcher itself, so a replay can never pass
// vacuously.
func TestMatchRules(t *testing.T) {
	doc := `{"a":1,"s":"x","b":[{"v":"1","t":"w"},{"v":"2"}],"urn:x:2.0:U":{"m":{"value":"9"}},"n.g":"lit","n":{"g":"nested"},"e":[]}`
	var got any
	if err := json.Unmarshal([]byte(doc), &got); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		want string
		ok   bool
	}{
		{`{"a":1}`, true},
		{`{"a":"1"}`, false},
		{`{"a":1.0}`, true},
		{`{"zz":1}`, false},
		{`{"b":[{"v":"2"}]}`, true},
		{`{"b":[{"v":"2"},{"v":"2"}]}`, false},
		{`{"b":{"$exact":[{"v":"2"},{"v":"1"}]}}`, true},
		{`{"b":{"$exact":[{"v":"2"}]}}`, false},
		{`{"b":{"$ordered":[{"v":"2"},{"v":"1"}]}}`, false},
		{`{"b":{"$ordered":[{"v":"1"},{"v":"2"}]}}`, true},
		{`{"b":{"$len":2}}`, true},
		{`{"e":{"$empty":true},"zz":{"$empty":true}}`, true},
		{`{"b":{"$empty":true}}`, false},
		{`{"zz":{"$absent":true}}`, true},
		{`{"a":{"$absent":true}}`, false},
		{`{"a":{"$ne":2}}`, true},
		{`{"a":{"$ne":1}}`, false},
		{`{"zz":{"$ne":1}}`, false},
		{`{"a":{"$type":"integer"},"s":{"$type":"string"}}`, true},
		{`{"s":{"$type":"integer"}}`, false},
		{`{"s":{"$regex":"^x$"}}`, true},
		{`{"s":{"$ci":"X"}}`, true},
		{`{"a":{"$any":[2,1]}}`, true},
		{`{"n.g":"lit","n":{"g":"nested"}}`, true},
	}
	for _, c := range cases {
		var want any
		if err := json.Unmarshal([]byte(c.want), &want); err != nil {
			t.Fatal(err)
		}
		if errs := match(want, got, "$"); (len(errs) == 0) != c.ok {
			t.Errorf("match(%s) = %v, want ok=%v", c.want, errs, c.ok)
		}
	}
	paths := map[string]any{
		"urn:x:2.0:U.m.value": "9",
		"n.g":                 "lit",
		"b.1.v":               "2",
		"b.*.t":               "w",
	}
	for p, want := range paths {
		if v, ok := lookup(got, p); !ok || v != want {
			t.Errorf("lookup(%q) = %v, %v; want %v", p, v, ok, want)
		}
	}
	vars := map[string]string{"id": `a"b`}
	s, err := substitute(`{"x":"{id}","y":"{randA}","z":"{randA}"}`, vars, jsonEscape)
	if err != nil || !json.Valid([]byte(s)) || vars["randA"] == "" || strings.Count(s, vars["randA"]) != 2 {
		t.Errorf("substitute: %s %v", s, err)
	}
	if _, err := substitute(`{nope}`, vars, identity); err == nil {
		t.Error("substitute accepted an undefined placeholder")
	}
}
