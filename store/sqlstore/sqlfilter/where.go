package sqlfilter

import (
	"strings"

	"github.com/scim2/filter-parser/v2"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store"
)

// maxDepth bounds the nesting of and/or/not so that a hostile filter cannot
// exhaust the stack; real filters stay far below it.
const maxDepth = 200

// builder accumulates one SQL fragment and its arguments.
type builder struct {
	d      Dialect
	rt     *schemas.ResourceType
	res    Resource
	tenant int64
	sb     strings.Builder
	args   []any
	// neg is true under an odd number of "not"s within the current scope:
	// predicates that can be NULL must then be made FALSE explicitly.
	neg  bool
	sc   scope
	sort bool // building ORDER BY: errors are sort errors
	// for error messages
	cur      *filter.AttributePath
	sortPath string
}

// init prepares b (kept on the caller's stack) for one translation.
func (b *builder) init(t Translator, res Resource, tenantID int64, sort bool) error {
	if t.Reg == nil || t.Reg.Users == nil || t.Reg.Groups == nil {
		return &store.QueryError{Sort: sort, Msg: "no schemas registry configured"}
	}
	b.d, b.res, b.tenant, b.sort = t.Dialect, res, tenantID, sort
	switch res {
	case Users:
		b.rt = t.Reg.Users
	case Groups:
		b.rt = t.Reg.Groups
	default:
		return &store.QueryError{Sort: sort, Msg: "unknown resource type"}
	}
	b.sb.Grow(256)
	b.args = make([]any, 0, 12)
	return nil
}

func (b *builder) w(s string) { b.sb.WriteString(s) }

// arg writes a placeholder for v.
func (b *builder) arg(v any) {
	b.sb.WriteByte('?')
	b.args = append(b.args, v)
}

// guardOpen / guardClose wrap a predicate that is NULL on a missing value
// in COALESCE(…, FALSE) when it sits under a "not". nullable says whether
// the predicate can be NULL at all.
func (b *builder) guardOpen(nullable bool) bool {
	if nullable && b.neg {
		b.w("COALESCE(")
		return true
	}
	return false
}

func (b *builder) guardClose(opened bool) {
	if opened {
		b.w(", FALSE)")
	}
}

func isNilExpr(e any) bool {
	switch x := e.(type) {
	case nil:
		return true
	case *filter.AttributeExpression:
		return x == nil
	case *filter.LogicalExpression:
		return x == nil
	case *filter.NotExpression:
		return x == nil
	case *filter.ValuePath:
		return x == nil
	}
	return false
}

// expr translates one node of the filter AST.
func (b *builder) expr(e any, depth int) error {
	if depth > maxDepth {
		return b.failMsg("filter is nested too deeply")
	}
	switch x := e.(type) {
	case *filter.AttributeExpression:
		if x != nil {
			return b.attrExpr(x)
		}
	case filter.AttributeExpression:
		return b.attrExpr(&x)
	case *filter.LogicalExpression:
		if x != nil {
			return b.logical(x, depth)
		}
	case filter.LogicalExpression:
		return b.logical(&x, depth)
	case *filter.NotExpression:
		if x != nil {
			return b.not(x.Expression, depth)
		}
	case filter.NotExpression:
		return b.not(x.Expression, depth)
	case *filter.ValuePath:
		if x != nil {
			return b.valuePath(x, depth)
		}
	case filter.ValuePath:
		return b.valuePath(&x, depth)
	default:
		if e != nil {
			return b.failMsg("unsupported filter expression")
		}
	}
	return b.failMsg("empty filter expression")
}

func (b *builder) logical(x *filter.LogicalExpression, depth int) error {
	var op string
	switch {
	case strings.EqualFold(string(x.Operator), "and"):
		op = " AND "
	case strings.EqualFold(string(x.Operator), "or"):
		op = " OR "
	default:
		return b.failMsg("unknown logical operator " + string(x.Operator))
	}
	b.w("(")
	if err := b.expr(x.Left, depth+1); err != nil {
		return err
	}
	b.w(op)
	if err := b.expr(x.Right, depth+1); err != nil {
		return err
	}
	b.w(")")
	return nil
}

func (b *builder) not(e filter.Expression, depth int) error {
	b.w("NOT (")
	b.neg = !b.neg
	err := b.expr(e, depth+1)
	b.neg = !b.neg
	b.w(")")
	return err
}

// attrExpr translates "path op value", at the top level or inside brackets.
func (b *builder) attrExpr(x *filter.AttributeExpression) error {
	b.cur = &x.AttributePath
	op, ok := normOp(x.Operator)
	if !ok {
		return b.fail("unknown operator " + strings.ToLower(string(x.Operator)))
	}
	if b.sc.kind != scopeResource {
		return b.scopedExpr(x, op)
	}
	p, err := b.resolve(x.AttributePath)
	if err != nil {
		return err
	}
	return b.pathExpr(p, op, x.CompareValue)
}

// Compare operators, normalised.
const (
	opEQ = "eq"
	opNE = "ne"
	opCO = "co"
	opSW = "sw"
	opEW = "ew"
	opPR = "pr"
	opGT = "gt"
	opGE = "ge"
	opLT = "lt"
	opLE = "le"
)

func normOp(o filter.CompareOperator) (string, bool) {
	s := string(o)
	if len(s) != 2 {
		return "", false
	}
	for _, k := range [...]string{opEQ, opNE, opCO, opSW, opEW, opPR, opGT, opGE, opLT, opLE} {
		if strings.EqualFold(s, k) {
			return k, true
		}
	}
	return "", false
}

// sqlOp maps an ordering or equality operator to SQL.
func sqlOp(op string) string {
	switch op {
	case opEQ:
		return " = "
	case opNE:
		return " <> "
	case opGT:
		return " > "
	case opGE:
		return " >= "
	case opLT:
		return " < "
	case opLE:
		return " <= "
	}
	return ""
}

// Boolean literals (SQLite ≥ 3.23 and PostgreSQL).
const (
	sqlTrue  = "TRUE"
	sqlFalse = "FALSE"
)
