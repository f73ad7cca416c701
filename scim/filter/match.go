package filter

import (
	"encoding/json"
	"math"
	"strings"
	"time"

	ast "github.com/scim2/filter-parser/v2"
)

// Match reports whether one element of a multi-valued attribute (a map of
// sub-attribute values, e.g. {"type":"work","value":"a@x","primary":true})
// satisfies the value filter expr, as in emails[type eq "work"] or
// members[value eq "…"]. A nil expr matches every element.
//
// Semantics:
//   - Attribute names match element keys case-insensitively (an exact key
//     wins). A sub-attribute (x.y eq …) looks inside a map value. URI
//     prefixes are ignored: an element has no schema.
//   - Strings compare case-insensitively (Go's strings.ToLower on both
//     sides, as the store does) unless caseExact reports true for the
//     attribute; caseExact gets the element's key (with ".sub" appended
//     for a sub-attribute path, and the parent's key and "." prepended in
//     a nested value path) and may be nil.
//   - eq, ne, gt, ge, lt, le on two strings that both parse as RFC 3339
//     date-times compare instants.
//   - Numbers (int*, uint*, float*, json.Number) compare numerically with
//     int or float64 compare values. Booleans support eq and ne; an element
//     value "true"/"false" (any case, as Entra sends) matches a boolean.
//   - pr: the value is present and not null, "", an empty array or an
//     empty object. "eq null" is the negation of pr (RFC 7643 §2.5).
//   - ne is the negation of eq, so it matches a missing attribute.
//   - A multi-valued value ([]any, []string, []map[string]any) matches if
//     any of its items does.
//   - Mismatched types, and co/sw/ew/gt/… on booleans or null, do not
//     match.
func Match(expr ast.Expression, elem map[string]any, caseExact func(subAttr string) bool) bool {
	switch e := expr.(type) {
	case nil:
		return true
	case *ast.AttributeExpression:
		if e == nil {
			return false
		}
		return matchAttr(e, elem, caseExact)
	case *ast.LogicalExpression:
		if e == nil {
			return false
		}
		if strings.EqualFold(string(e.Operator), string(ast.OR)) {
			return Match(e.Left, elem, caseExact) || Match(e.Right, elem, caseExact)
		}
		return Match(e.Left, elem, caseExact) && Match(e.Right, elem, caseExact)
	case *ast.NotExpression:
		if e == nil {
			return false
		}
		return !Match(e.Expression, elem, caseExact)
	case *ast.ValuePath:
		if e == nil {
			return false
		}
		v, key, _ := resolve(elem, &e.AttributePath)
		var inner func(string) bool
		if caseExact != nil {
			inner = func(sub string) bool { return caseExact(key + "." + sub) }
		}
		return anyItem(v, func(x any) bool {
			m, ok := x.(map[string]any)
			return ok && Match(e.ValueFilter, m, inner)
		})
	}
	return false
}

func matchAttr(e *ast.AttributeExpression, elem map[string]any, caseExact func(string) bool) bool {
	v, key, _ := resolve(elem, &e.AttributePath)
	op := e.Operator
	if op != "" && op[0] < 'a' {
		op = ast.CompareOperator(strings.ToLower(string(op)))
	}
	switch op {
	case ast.PR:
		return present(v)
	case ast.NE:
		return !compare(ast.EQ, v, e.CompareValue, key, caseExact)
	}
	return compare(op, v, e.CompareValue, key, caseExact)
}

func compare(op ast.CompareOperator, v, cv any, key string, caseExact func(string) bool) bool {
	if cv == nil {
		return op == ast.EQ && !present(v)
	}
	exact := false
	if _, ok := cv.(string); ok && caseExact != nil {
		exact = caseExact(key)
	}
	return anyItem(v, func(x any) bool { return compareScalar(op, x, cv, exact) })
}

// anyItem applies f to v, or to each item when v is a []any.
func anyItem(v any, f func(any) bool) bool {
	switch v := v.(type) {
	case nil:
		return false
	case []any:
		for _, x := range v {
			if f(x) {
				return true
			}
		}
		return false
	case []map[string]any:
		for _, x := range v {
			if f(x) {
				return true
			}
		}
		return false
	case []string:
		for _, x := range v {
			if f(x) {
				return true
			}
		}
		return false
	}
	return f(v)
}

func compareScalar(op ast.CompareOperator, v, cv any, exact bool) bool {
	switch c := cv.(type) {
	case string:
		s, ok := v.(string)
		if !ok {
			return false
		}
		return compareString(op, s, c, exact)
	case bool:
		var b bool
		switch x := v.(type) {
		case bool:
			b = x
		case string:
			switch {
			case strings.EqualFold(x, "true"):
				b = true
			case strings.EqualFold(x, "false"):
				b = false
			default:
				return false
			}
		default:
			return false
		}
		return op == ast.EQ && b == c
	}
	cn, ok := toNumber(cv)
	if !ok {
		return false
	}
	vn, ok := toNumber(v)
	if !ok {
		return false
	}
	cmp, ok := compareNumbers(vn, cn)
	return ok && ordered(op, cmp)
}

func compareString(op ast.CompareOperator, s, c string, exact bool) bool {
	switch op {
	case ast.EQ, ast.GT, ast.GE, ast.LT, ast.LE:
		if looksLikeDateTime(s) && looksLikeDateTime(c) {
			ts, err1 := time.Parse(time.RFC3339, s)
			tc, err2 := time.Parse(time.RFC3339, c)
			if err1 == nil && err2 == nil {
				return ordered(op, ts.Compare(tc))
			}
		}
	}
	if !exact {
		s, c = strings.ToLower(s), strings.ToLower(c)
	}
	switch op {
	case ast.CO:
		return strings.Contains(s, c)
	case ast.SW:
		return strings.HasPrefix(s, c)
	case ast.EW:
		return strings.HasSuffix(s, c)
	}
	return ordered(op, strings.Compare(s, c))
}

// ordered turns a three-way comparison into the result of op.
func ordered(op ast.CompareOperator, cmp int) bool {
	switch op {
	case ast.EQ:
		return cmp == 0
	case ast.GT:
		return cmp > 0
	case ast.GE:
		return cmp >= 0
	case ast.LT:
		return cmp < 0
	case ast.LE:
		return cmp <= 0
	}
	return false
}

// looksLikeDateTime is a cheap pre-check for RFC 3339 date-times
// (yyyy-mm-ddThh:mm:ss…).
func looksLikeDateTime(s string) bool {
	return len(s) >= 20 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't') && s[13] == ':'
}

// present implements "pr": not missing, not null, not "", not an empty
// array or object.
func present(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return v != ""
	case []any:
		for _, x := range v {
			if present(x) {
				return true
			}
		}
		return false
	case map[string]any:
		return len(v) > 0
	case []map[string]any:
		return len(v) > 0
	case []string:
		for _, x := range v {
			if x != "" {
				return true
			}
		}
		return false
	}
	return true
}

// resolve looks the attribute path up in elem and returns the value and
// the element's key (with ".sub" for a sub-attribute).
func resolve(elem map[string]any, ap *ast.AttributePath) (any, string, bool) {
	v, key, ok := lookup(elem, ap.AttributeName)
	if !ok || ap.SubAttribute == nil {
		return v, key, ok
	}
	sub := *ap.SubAttribute
	switch x := v.(type) {
	case map[string]any:
		sv, skey, ok := lookup(x, sub)
		if !ok {
			skey = sub
		}
		return sv, key + "." + skey, ok
	case []any:
		var out []any
		skey := sub
		for _, item := range x {
			if m, ok := item.(map[string]any); ok {
				if sv, k, ok := lookup(m, sub); ok {
					out = append(out, sv)
					skey = k
				}
			}
		}
		return out, key + "." + skey, out != nil
	}
	return nil, key + "." + sub, false
}

// lookup finds name in m, exactly or else case-insensitively.
func lookup(m map[string]any, name string) (any, string, bool) {
	if v, ok := m[name]; ok {
		return v, name, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, k, true
		}
	}
	return nil, name, false
}

type number struct {
	i     int64
	f     float64
	isInt bool
}

func toNumber(v any) (number, bool) {
	switch x := v.(type) {
	case int:
		return number{i: int64(x), isInt: true}, true
	case int8:
		return number{i: int64(x), isInt: true}, true
	case int16:
		return number{i: int64(x), isInt: true}, true
	case int32:
		return number{i: int64(x), isInt: true}, true
	case int64:
		return number{i: x, isInt: true}, true
	case uint:
		return fromUint(uint64(x)), true
	case uint8:
		return number{i: int64(x), isInt: true}, true
	case uint16:
		return number{i: int64(x), isInt: true}, true
	case uint32:
		return number{i: int64(x), isInt: true}, true
	case uint64:
		return fromUint(x), true
	case float32:
		return number{f: float64(x)}, true
	case float64:
		return number{f: x}, true
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return number{i: i, isInt: true}, true
		}
		if f, err := x.Float64(); err == nil {
			return number{f: f}, true
		}
	}
	return number{}, false
}

func fromUint(u uint64) number {
	if u <= math.MaxInt64 {
		return number{i: int64(u), isInt: true}
	}
	return number{f: float64(u)}
}

// compareNumbers compares a and b; false means unordered (NaN).
func compareNumbers(a, b number) (int, bool) {
	if a.isInt && b.isInt {
		switch {
		case a.i < b.i:
			return -1, true
		case a.i > b.i:
			return 1, true
		}
		return 0, true
	}
	af, bf := a.f, b.f
	if a.isInt {
		af = float64(a.i)
	}
	if b.isInt {
		bf = float64(b.i)
	}
	switch {
	case af < bf:
		return -1, true
	case af > bf:
		return 1, true
	case af == bf:
		return 0, true
	}
	return 0, false
}
