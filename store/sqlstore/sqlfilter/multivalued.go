package sqlfilter

import (
	"strings"

	"github.com/scim2/filter-parser/v2"

	"github.com/scimd/scimd/schemas"
)

// multi translates a comparison on a multi-valued attribute without
// brackets (emails.type eq "work", emails co "@x", members.value eq "…",
// groups pr): true when some value matches. "ne v" is "not (eq v)",
// "eq null" is "not pr", and "pr" without a sub-attribute asks for any
// value at all.
func (b *builder) multi(p schemas.Path, kind scopeKind, op string, val any) error {
	negate := false
	if val == nil {
		switch op {
		case opEQ:
			op, negate = opPR, true
		case opNE:
			op = opPR
		case opPR:
		default:
			return b.fail("operator " + op + " needs a value")
		}
	} else if op == opNE {
		op, negate = opEQ, true
	}
	sub := p.Sub
	if sub == nil && op != opPR && p.Attr.IsComplex() {
		if sub = p.Attr.Sub("value"); sub == nil {
			return b.fail(p.Attr.Name + " has no value sub-attribute: name the sub-attribute to compare")
		}
	}
	anyValue := op == opPR && p.Sub == nil
	if negate {
		b.w("NOT (")
	}
	join := sub != nil && sub.Name == "display"
	b.openContainer(p, kind, join, !anyValue)
	saved, savedNeg := b.sc, b.neg
	b.sc, b.neg = scope{kind: kind, base: p}, false
	var err error
	if !anyValue {
		var o operand
		if o, err = b.elemOperand(sub); err == nil {
			err = b.compare(&o, op, val)
		}
	}
	b.sc, b.neg = saved, savedNeg
	b.w(")")
	if negate {
		b.w(")")
	}
	return err
}

// valuePath translates attr[filter].
func (b *builder) valuePath(x *filter.ValuePath, depth int) error {
	b.cur = &x.AttributePath
	if b.sc.kind != scopeResource {
		return b.fail("value filters cannot be nested")
	}
	p, err := b.resolve(x.AttributePath)
	if err != nil {
		return err
	}
	if p.Sub != nil {
		return b.fail("a value filter applies to a complex attribute, not to a sub-attribute")
	}
	if !p.Attr.IsComplex() {
		return b.fail(p.Attr.Name + " is not complex: a value filter needs sub-attributes")
	}
	inner := x.ValueFilter
	saved, savedNeg := b.sc, b.neg
	defer func() { b.sc, b.neg = saved, savedNeg }()
	if !p.Attr.MultiValued {
		// name[givenName eq "x"]: the same as name.givenName eq "x".
		b.sc = scope{kind: scopeComplex, base: p, outer: &x.AttributePath}
		return b.expr(inner, depth+1)
	}
	kind := scopeJSONElem
	prefilter := ""
	switch {
	case b.res == Users && isCore(p, "emails"):
		if refersOnlyTo(inner, "value") {
			kind = scopeEmailRows
		} else if v, ok := conjunctEq(inner, "value"); ok {
			// Same element in JSON, but first an index look-up on
			// user_emails so that Entra's emails[type eq "work" and
			// value eq "…"] does not scan.
			prefilter = v
		}
	case b.res == Users && isCore(p, "groups"):
		kind = scopeUserGroups
	case b.res == Groups && isCore(p, "members"):
		kind = scopeGroupMembers
	}
	if prefilter != "" {
		b.w("(r.id IN (SELECT ue.user_id FROM user_emails ue WHERE ue.tenant_id = ")
		b.arg(b.tenant)
		b.w(" AND ue.value_ci = ")
		b.arg(strings.ToLower(prefilter))
		b.w(") AND ")
	}
	b.openContainer(p, kind, refersTo(inner, "display"), true)
	b.sc, b.neg = scope{kind: kind, base: p, outer: &x.AttributePath}, false
	if err := b.expr(inner, depth+1); err != nil {
		return err
	}
	b.w(")")
	if prefilter != "" {
		b.w(")")
	}
	return nil
}

// scopedExpr translates a comparison inside brackets.
func (b *builder) scopedExpr(x *filter.AttributeExpression, op string) error {
	sub, err := b.subAttr(b.sc.base, x.AttributePath)
	if err != nil {
		return err
	}
	if b.sc.kind == scopeComplex {
		p := b.sc.base
		p.Sub = sub
		return b.pathExpr(p, op, x.CompareValue)
	}
	o, err := b.elemOperand(sub)
	if err != nil {
		return err
	}
	return b.compare(&o, op, x.CompareValue)
}

// openContainer writes the start of a sub-query that is true when some
// element (JSON array element or side-table row) of p satisfies the
// predicate that follows; the caller writes the predicate (when where) and
// the closing parenthesis. join adds the tables the display sub-attribute
// of groups/members needs.
func (b *builder) openContainer(p schemas.Path, kind scopeKind, join, where bool) {
	switch kind {
	case scopeEmailRows:
		b.w("r.id IN (SELECT ue.user_id FROM user_emails ue WHERE ue.tenant_id = ")
		b.arg(b.tenant)
		if where {
			b.w(" AND ")
		}
		return
	case scopeUserGroups:
		b.w("r.id IN (SELECT m.member_id FROM group_members m")
		if join {
			b.w(" JOIN scim_groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id")
		}
	case scopeGroupMembers:
		b.w("r.id IN (SELECT m.group_id FROM group_members m")
		if join {
			b.w(" LEFT JOIN scim_users u ON u.tenant_id = m.tenant_id AND u.id = m.member_id" +
				" LEFT JOIN scim_groups g ON g.tenant_id = m.tenant_id AND g.id = m.member_id")
		}
	default: // scopeJSONElem
		arr := p
		arr.Sub = nil
		o := b.jsonOperand(arr)
		b.jsonElements(&o, false)
		if where {
			b.w(" WHERE ")
		}
		return
	}
	b.w(" WHERE m.tenant_id = ")
	b.arg(b.tenant)
	if where {
		b.w(" AND ")
	}
}

// jsonElements writes "EXISTS (SELECT 1 FROM <elements of o> e" (or, for
// ordinal, the FROM clause of a sub-select that keeps the array index).
func (b *builder) jsonElements(o *operand, ordinal bool) {
	if !ordinal {
		b.w("EXISTS (SELECT 1")
	}
	if b.d == SQLite {
		b.w(" FROM json_each(")
		b.w(o.doc)
		b.w(", ")
		b.arg(o.sqlitePath())
		b.w(") e")
		return
	}
	// jsonb_array_elements raises an error on anything but an array.
	b.w(" FROM jsonb_array_elements(CASE WHEN jsonb_typeof(")
	b.jsonB(o)
	b.w(") = 'array' THEN ")
	b.jsonB(o)
	if ordinal {
		b.w(" END) WITH ORDINALITY AS e(v, n)")
	} else {
		b.w(" END) AS e(v)")
	}
}
