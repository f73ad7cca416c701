package sqlfilter

import (
	"strings"

	"github.com/scimd/scimd/schemas"
)

// orderBy implements Translator.OrderBy.
func (t Translator) orderBy(res Resource, sortBy string, desc bool) (string, []any, error) {
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	if strings.TrimSpace(sortBy) == "" {
		if desc {
			return "r.id DESC", nil, nil
		}
		return "r.id", nil, nil
	}
	k, err := t.sortKey(res, sortBy)
	if err != nil {
		return "", nil, err
	}
	if k.Expr == "" { // constant, or the id itself
		return "r.id" + dir, nil, nil
	}
	var b strings.Builder
	b.WriteString(k.Expr)
	b.WriteString(dir)
	if k.Nullable {
		b.WriteString(" NULLS LAST")
	}
	b.WriteString(", r.id")
	b.WriteString(dir)
	return b.String(), k.Args, nil
}

// sortKey writes the sort expression of p and reports whether it can be
// NULL. It writes nothing for a constant (meta.resourceType).
func (b *builder) sortKey(p schemas.Path) (nullable bool, err error) {
	if p.Common {
		switch {
		case p.Attr.Name == "id":
			b.w("r.id")
			return false, nil
		case p.Attr.Name == "externalId":
			b.w("r.external_id")
			b.collateC()
			return true, nil
		case p.Attr.Name == "meta" && p.Sub != nil:
			switch p.Sub.Name {
			case "created":
				b.w("r.created_at")
				return false, nil
			case "lastModified":
				b.w("r.modified_at")
				return false, nil
			case "version":
				b.w("r.version")
				return false, nil
			case "resourceType":
				return false, nil
			}
			return false, b.fail("meta." + p.Sub.Name + " depends on the request URL and cannot be sorted on")
		case p.Attr.Name == "meta":
			return false, b.fail("meta is complex: sort on one of its sub-attributes")
		}
	}
	switch b.res {
	case Users:
		switch {
		case isCore(p, "userName"):
			b.w("r.user_name_ci")
			return false, nil
		case isCore(p, "displayName"):
			b.w("r.display_name_ci")
			return true, nil
		case isCore(p, "active"):
			b.w("r.active")
			return true, nil
		case isCore(p, "groups"):
			return false, b.fail("groups is derived from group membership and cannot be sorted on")
		case p.Ext && p.Schema.ID == schemas.SAPUserURN && p.Attr.Name == "userUuid":
			b.w("r.user_uuid_ci")
			return true, nil
		}
	case Groups:
		switch {
		case isCore(p, "displayName"):
			b.w("r.display_name_ci")
			return false, nil
		case isCore(p, "members"):
			return false, b.fail("members cannot be sorted on")
		}
	}
	if p.Attr.MultiValued {
		return true, b.sortMulti(p)
	}
	if p.Attr.IsComplex() && p.Sub == nil {
		return false, b.fail(p.Attr.Name + " is complex: sort on one of its sub-attributes")
	}
	o := b.jsonOperand(p)
	return true, b.sortValue(&o)
}

// sortMulti sorts by the primary (else the first) value of a multi-valued
// attribute: its sub-attribute, or "value" when none is named.
func (b *builder) sortMulti(p schemas.Path) error {
	sub := p.Sub
	if sub == nil && p.Attr.IsComplex() {
		if sub = p.Attr.Sub("value"); sub == nil {
			return b.fail(p.Attr.Name + " has no value sub-attribute: sort on one of its sub-attributes")
		}
	}
	arr := p
	arr.Sub = nil
	ao := b.jsonOperand(arr)
	b.sc = scope{kind: scopeJSONElem, base: p}
	eo := b.elemJSON(p.Attr, sub)
	b.w("(SELECT ")
	if err := b.sortValue(&eo); err != nil {
		return err
	}
	b.jsonElements(&ao, true)
	b.w(" ORDER BY ")
	if primary := p.Attr.Sub("primary"); primary != nil && p.Attr.IsComplex() {
		po := b.elemJSON(p.Attr, primary)
		b.w("COALESCE(")
		if b.d == SQLite {
			b.jsonType(&po)
			b.w(" = 'true'")
		} else {
			b.jsonB(&po)
			b.w(" = 'true'::jsonb")
		}
		b.w(", FALSE) DESC, ")
	}
	if b.d == SQLite {
		b.w("e.key LIMIT 1)")
	} else {
		b.w("e.n LIMIT 1)")
	}
	return nil
}

// sortValue writes the sort value of a JSON operand: lower-cased unless
// caseExact, numbers as numbers, code-point order on both databases.
func (b *builder) sortValue(o *operand) error {
	switch o.attr.Type {
	case schemas.TypeComplex:
		return b.fail(o.attr.Name + " is complex: sort on one of its sub-attributes")
	case schemas.TypeInteger, schemas.TypeDecimal:
		b.numValue(o)
	case schemas.TypeBoolean:
		if b.d == SQLite {
			b.jsonValue(o)
		} else {
			b.w("(CASE WHEN jsonb_typeof(")
			b.jsonB(o)
			b.w(") = 'boolean' THEN (")
			b.jsonB(o)
			b.w(")::boolean END)")
		}
	default:
		b.strValue(o, true)
		b.collateC()
	}
	return nil
}

// collateC makes PostgreSQL order strings by code point, as SQLite does.
func (b *builder) collateC() {
	if b.d == Postgres {
		b.w(` COLLATE "C"`)
	}
}
