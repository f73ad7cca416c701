package resource

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/scim2/filter-parser/v2"

	"github.com/scimd/scimd/schemas"
	sfilter "github.com/scimd/scimd/scim/filter"
)

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
// matches the value filter expr (with decoded compare values, see
// decodeExpr). Strings compare by the sub-attribute's caseExact rule.
func matchElem(expr filter.Expression, el any, a *schemas.Attribute) bool {
	if !a.IsComplex() {
		return sfilter.Match(expr, map[string]any{"value": el}, func(string) bool { return a.CaseExact })
	}
	m, ok := el.(map[string]any)
	if !ok {
		return false
	}
	return sfilter.Match(expr, m, func(sub string) bool {
		s := a.Sub(sub)
		return s != nil && s.CaseExact
	})
}

// decodeExpr returns expr with its string compare values decoded. The
// scim2 PEG parser (used by elimity, whose ASTs the HTTP handlers pass
// on) keeps JSON escapes as written: `"a\"b"` gives the value a\"b.
// DecodePatch produces the same convention (see encodeExpr), so every
// operation reaching PatchUser is decoded exactly once, here. expr is
// returned as is when it has no escapes.
func decodeExpr(expr filter.Expression) filter.Expression {
	return mapStrings(expr, func(s string) string {
		if !strings.Contains(s, `\`) {
			return s
		}
		var out string
		if json.Unmarshal([]byte(`"`+s+`"`), &out) == nil {
			return out
		}
		return s
	})
}

// encodeExpr gives a decoded AST (from the scimd parser) the escaped
// compare strings of the scim2 parser, so that DecodePatch hands over what
// elimity would.
func encodeExpr(expr filter.Expression) filter.Expression {
	return mapStrings(expr, func(s string) string {
		if !strings.ContainsAny(s, "\"\\") && !hasControl(s) {
			return s
		}
		b, err := marshalRaw(s)
		if err != nil {
			return s
		}
		return string(b[1 : len(b)-1])
	})
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 {
			return true
		}
	}
	return false
}

// mapStrings rewrites the string compare values of expr, copying only
// the nodes that change.
func mapStrings(expr filter.Expression, f func(string) string) filter.Expression {
	switch x := expr.(type) {
	case *filter.AttributeExpression:
		s, ok := x.CompareValue.(string)
		if !ok {
			return x
		}
		if n := f(s); n != s {
			cp := *x
			cp.CompareValue = n
			return &cp
		}
		return x
	case *filter.LogicalExpression:
		l, r := mapStrings(x.Left, f), mapStrings(x.Right, f)
		if l != x.Left || r != x.Right {
			return &filter.LogicalExpression{Left: l, Right: r, Operator: x.Operator}
		}
		return x
	case *filter.NotExpression:
		if e := mapStrings(x.Expression, f); e != x.Expression {
			return &filter.NotExpression{Expression: e}
		}
		return x
	case *filter.ValuePath:
		if e := mapStrings(x.ValueFilter, f); e != x.ValueFilter {
			return &filter.ValuePath{AttributePath: x.AttributePath, ValueFilter: e}
		}
		return x
	}
	return expr
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
		v, err := normValue(sub, x.CompareValue, sub.Name)
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
