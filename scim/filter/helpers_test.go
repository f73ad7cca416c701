package filter

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"

	ast "github.com/scim2/filter-parser/v2"
)

// AST builders for expected values.

func strp(s string) *string { return &s }

// apath builds an AttributePath from "uri:name.sub" (the URI is everything
// before the last ':').
func apath(s string) ast.AttributePath {
	var ap ast.AttributePath
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		ap.URIPrefix = strp(s[:i])
		s = s[i+1:]
	}
	if i := strings.IndexByte(s, '.'); i >= 0 {
		ap.SubAttribute = strp(s[i+1:])
		s = s[:i]
	}
	ap.AttributeName = s
	return ap
}

func attr(path string, op ast.CompareOperator, v any) *ast.AttributeExpression {
	return &ast.AttributeExpression{AttributePath: apath(path), Operator: op, CompareValue: v}
}

func pr(path string) *ast.AttributeExpression { return attr(path, ast.PR, nil) }

func and(l, r ast.Expression) *ast.LogicalExpression {
	return &ast.LogicalExpression{Left: l, Right: r, Operator: ast.AND}
}

func or(l, r ast.Expression) *ast.LogicalExpression {
	return &ast.LogicalExpression{Left: l, Right: r, Operator: ast.OR}
}

func not(e ast.Expression) *ast.NotExpression { return &ast.NotExpression{Expression: e} }

func vpath(path string, f ast.Expression) *ast.ValuePath {
	return &ast.ValuePath{AttributePath: apath(path), ValueFilter: f}
}

// show renders an AST with every field visible, for failure messages.
func show(e any) string {
	switch e := e.(type) {
	case nil:
		return "<nil>"
	case *ast.AttributeExpression:
		return fmt.Sprintf("Attr{%s %s %T(%#v)}", showPath(e.AttributePath), e.Operator, e.CompareValue, e.CompareValue)
	case *ast.LogicalExpression:
		return fmt.Sprintf("(%s %q %s)", show(e.Left), e.Operator, show(e.Right))
	case *ast.NotExpression:
		return fmt.Sprintf("Not(%s)", show(e.Expression))
	case *ast.ValuePath:
		return fmt.Sprintf("VP{%s [%s]}", showPath(e.AttributePath), show(e.ValueFilter))
	case ast.Path:
		sub := "<nil>"
		if e.SubAttribute != nil {
			sub = *e.SubAttribute
		}
		return fmt.Sprintf("Path{%s [%s] .%s}", showPath(e.AttributePath), show(e.ValueExpression), sub)
	case ast.AttributePath:
		return showPath(e)
	}
	return fmt.Sprintf("%T %#v", e, e)
}

func showPath(p ast.AttributePath) string {
	o := func(s *string) string {
		if s == nil {
			return "<nil>"
		}
		return fmt.Sprintf("%q", *s)
	}
	return fmt.Sprintf("uri=%s name=%q sub=%s", o(p.URIPrefix), p.AttributeName, o(p.SubAttribute))
}

// reconcile walks filter-parser's AST (theirs) alongside ours and, where a
// compare value differs only by a documented difference, sets theirs to
// ours so that reflect.DeepEqual can compare the rest:
//
//   - filter-parser keeps string escapes verbatim; we decode them.
//   - filter-parser turns integers into int via float64 (precision loss
//     above 2^53, wrap-around beyond the int range); we parse exactly, and
//     give float64 when the integer does not fit in an int.
//
// It returns how many values it reconciled.
func reconcile(ours, theirs any) int {
	n := 0
	switch t := theirs.(type) {
	case *ast.AttributeExpression:
		if o, ok := ours.(*ast.AttributeExpression); ok && o != nil && t != nil {
			if v, ok := reconcileValue(o.CompareValue, t.CompareValue); ok {
				t.CompareValue = v
				n++
			}
		}
	case *ast.LogicalExpression:
		if o, ok := ours.(*ast.LogicalExpression); ok && o != nil && t != nil {
			n += reconcile(o.Left, t.Left) + reconcile(o.Right, t.Right)
		}
	case *ast.NotExpression:
		if o, ok := ours.(*ast.NotExpression); ok && o != nil && t != nil {
			n += reconcile(o.Expression, t.Expression)
		}
	case *ast.ValuePath:
		if o, ok := ours.(*ast.ValuePath); ok && o != nil && t != nil {
			n += reconcile(o.ValueFilter, t.ValueFilter)
		}
	}
	return n
}

func reconcilePath(ours, theirs *ast.Path) int {
	return reconcile(ours.ValueExpression, theirs.ValueExpression)
}

func reconcileValue(ours, theirs any) (any, bool) {
	switch t := theirs.(type) {
	case string:
		o, ok := ours.(string)
		if !ok || o == t || !strings.Contains(t, `\`) {
			return nil, false
		}
		var dec string
		if err := json.Unmarshal([]byte(`"`+t+`"`), &dec); err == nil && dec == o {
			return ours, true
		}
	case int:
		switch o := ours.(type) {
		case int:
			if o != t && (o > 1<<53 || o < -(1<<53)) && int(float64(o)) == t {
				return ours, true
			}
		case float64:
			if o == math.Trunc(o) && math.Abs(o) >= math.MaxInt64 && int(o) == t {
				return ours, true
			}
		}
	}
	return nil, false
}

// sameAST reports whether ours and theirs (after reconcile) are deeply
// equal.
func sameAST(ours, theirs any) bool { return reflect.DeepEqual(ours, theirs) }
