package resource

import (
	"encoding/json"
	"fmt"
	"strings"

	datetime "github.com/di-wu/xsd-datetime"
	"github.com/scim2/filter-parser/v2"

	"github.com/scimd/scimd/schemas"
)

// TODO: use github.com/scimd/scimd/scim/filter.Match once that package
// exports it; this private matcher covers PATCH value filters only.

// checkFilter verifies that every attribute a value filter names is a
// sub-attribute of the multi-valued attribute a ("value" for a
// multi-valued simple attribute).
func checkFilter(expr filter.Expression, a *schemas.Attribute) error {
	switch x := expr.(type) {
	case *filter.AttributeExpression:
		return checkFilterAttr(x.AttributePath, a)
	case *filter.LogicalExpression:
		if err := checkFilter(x.Left, a); err != nil {
			return err
		}
		return checkFilter(x.Right, a)
	case *filter.NotExpression:
		return checkFilter(x.Expression, a)
	}
	return fmt.Errorf("unsupported expression %v inside a value filter", expr)
}

func checkFilterAttr(p filter.AttributePath, a *schemas.Attribute) error {
	if p.SubAttribute != nil {
		return fmt.Errorf("%s is not a sub-attribute of %s", p.String(), a.Name)
	}
	if filterSub(a, p.AttributeName) == nil {
		return fmt.Errorf("%s is not a sub-attribute of %s", p.AttributeName, a.Name)
	}
	return nil
}

// filterSub returns the attribute that a filter attribute name refers to
// inside elements of the multi-valued attribute a.
func filterSub(a *schemas.Attribute, name string) *schemas.Attribute {
	if a.IsComplex() {
		return a.Sub(name)
	}
	if strings.EqualFold(name, "value") {
		return a
	}
	return nil
}

// matchElem reports whether element el of the multi-valued attribute a
// matches the value filter expr. Strings compare by the sub-attribute's
// caseExact rule.
func matchElem(expr filter.Expression, el any, a *schemas.Attribute) bool {
	switch x := expr.(type) {
	case *filter.AttributeExpression:
		return matchAttrExpr(x, el, a)
	case *filter.LogicalExpression:
		if strings.EqualFold(string(x.Operator), string(filter.AND)) {
			return matchElem(x.Left, el, a) && matchElem(x.Right, el, a)
		}
		return matchElem(x.Left, el, a) || matchElem(x.Right, el, a)
	case *filter.NotExpression:
		return !matchElem(x.Expression, el, a)
	}
	return false
}

func matchAttrExpr(x *filter.AttributeExpression, el any, a *schemas.Attribute) bool {
	sub := filterSub(a, x.AttributePath.AttributeName)
	if sub == nil || x.AttributePath.SubAttribute != nil {
		return false
	}
	val := el
	if a.IsComplex() {
		m, _ := el.(map[string]any)
		val = m[sub.Name]
	}
	return compare(strings.ToLower(string(x.Operator)), val, compareValue(x.CompareValue), sub)
}

// compareValue unescapes a string compare value: the scim2 parser keeps
// JSON escapes (\" and \\) as written.
func compareValue(v any) any {
	s, ok := v.(string)
	if !ok || !strings.Contains(s, `\`) {
		return v
	}
	var out string
	if json.Unmarshal([]byte(`"`+s+`"`), &out) == nil {
		return out
	}
	return s
}

// compare applies a filter operator to an attribute value. An absent
// value matches "eq null", "ne <anything but null>" and nothing else.
func compare(op string, val, cmp any, a *schemas.Attribute) bool {
	if op == "pr" {
		return !isEmpty(val)
	}
	if cmp == nil {
		switch op {
		case "eq":
			return isEmpty(val)
		case "ne":
			return !isEmpty(val)
		}
		return false
	}
	if isEmpty(val) {
		return op == "ne"
	}
	switch c := cmp.(type) {
	case bool:
		b, ok := val.(bool)
		if !ok {
			s, isStr := val.(string)
			b, ok = parseBool(s)
			ok = ok && isStr
		}
		switch op {
		case "eq":
			return ok && b == c
		case "ne":
			return !ok || b != c
		}
		return false
	case string:
		s, ok := val.(string)
		if !ok {
			return op == "ne"
		}
		if a.Type == schemas.TypeDateTime {
			if t1, err := datetime.Parse(s); err == nil {
				if t2, err := datetime.Parse(c); err == nil {
					return ordered(op, t1.Compare(t2))
				}
			}
		}
		if !a.CaseExact {
			s, c = strings.ToLower(s), strings.ToLower(c)
		}
		switch op {
		case "co":
			return strings.Contains(s, c)
		case "sw":
			return strings.HasPrefix(s, c)
		case "ew":
			return strings.HasSuffix(s, c)
		}
		return ordered(op, strings.Compare(s, c))
	}
	f2, ok := toFloat(cmp)
	if !ok {
		return false
	}
	f1, ok := toFloat(val)
	if !ok {
		return op == "ne"
	}
	switch {
	case f1 < f2:
		return ordered(op, -1)
	case f1 > f2:
		return ordered(op, 1)
	}
	return ordered(op, 0)
}

// ordered applies a comparison operator to the result of a three-way
// comparison.
func ordered(op string, c int) bool {
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}

// filterTemplate returns the element that a filter made only of `eq`
// comparisons joined by `and` describes, e.g. {"type": "work"} for
// `type eq "work"`: the element to create when a replace targets a value
// that does not exist yet (Entra ID's emails[type eq "work"].value).
func filterTemplate(expr filter.Expression, a *schemas.Attribute) (map[string]any, bool) {
	if !a.IsComplex() {
		return nil, false
	}
	out := map[string]any{}
	if !collectTemplate(expr, a, out) || len(out) == 0 {
		return nil, false
	}
	return out, true
}

func collectTemplate(expr filter.Expression, a *schemas.Attribute, out map[string]any) bool {
	switch x := expr.(type) {
	case *filter.AttributeExpression:
		if !strings.EqualFold(string(x.Operator), string(filter.EQ)) || x.CompareValue == nil || x.AttributePath.SubAttribute != nil {
			return false
		}
		sub := a.Sub(x.AttributePath.AttributeName)
		if sub == nil || sub.Mutability == schemas.ReadOnly {
			return false
		}
		v, err := normValue(sub, compareValue(x.CompareValue), sub.Name)
		if err != nil || v == nil {
			return false
		}
		if prev, ok := out[sub.Name]; ok && !equalValues(prev, v) {
			return false
		}
		out[sub.Name] = v
		return true
	case *filter.LogicalExpression:
		return strings.EqualFold(string(x.Operator), string(filter.AND)) &&
			collectTemplate(x.Left, a, out) && collectTemplate(x.Right, a, out)
	}
	return false
}
