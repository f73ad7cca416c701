package resource

import (
	"sort"
	"strings"
)

// isEmpty reports whether v counts as absent: nil, "", {} or [].
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

// prune removes absent values from m, recursively.
func prune(m map[string]any) {
	for k, v := range m {
		v = pruneValue(v)
		if isEmpty(v) {
			delete(m, k)
			continue
		}
		m[k] = v
	}
}

func pruneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		prune(x)
		return x
	case []any:
		out := x[:0]
		for _, e := range x {
			e = pruneValue(e)
			if !isEmpty(e) {
				out = append(out, e)
			}
		}
		return out
	}
	return v
}

// deepCopy copies maps and slices; scalars are shared.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return copyMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopy(v)
	}
	return out
}

// equalValues compares two attribute values; numbers compare by value
// whatever their Go type (json.Number from the store, int64/float64 from
// input).
func equalValues(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equalValues(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValues(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	if ia, ok := toInt(a); ok {
		if ib, ok := toInt(b); ok {
			return ia == ib
		}
	}
	fa, ok1 := toFloat(a)
	fb, ok2 := toFloat(b)
	return ok1 && ok2 && fa == fb
}

// scalarEqual compares two simple values, strings by the caseExact rule.
func scalarEqual(a, b any, caseExact bool) bool {
	if sa, ok := a.(string); ok {
		sb, ok := b.(string)
		if !ok {
			return false
		}
		if caseExact {
			return sa == sb
		}
		return strings.EqualFold(sa, sb)
	}
	return equalValues(a, b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
