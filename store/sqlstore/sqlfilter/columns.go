package sqlfilter

import (
	"strings"

	"github.com/scim2/filter-parser/v2"

	"github.com/scimd/scimd/schemas"
)

type operandKind uint8

const (
	kindColumn operandKind = iota // a column (indexed copy or side-table column)
	kindJSON                      // a value inside a JSON document
	kindConst                     // a value known at translation time
)

type convKind uint8

const (
	convNone    convKind = iota
	convMicros           // dateTime compared as Unix microseconds (created_at, modified_at)
	convVersion          // meta.version ETag compared with the version column
)

// operand is the SQL-side of a comparison.
type operand struct {
	kind     operandKind
	attr     *schemas.Attribute // the attribute definition: type, caseExact
	exact    bool               // compare strings case-sensitively
	nullable bool               // the SQL value can be NULL (absent)
	conv     convKind

	// kindColumn
	col    string
	folded bool // holds strings.ToLower'ed text (a *_ci column)
	collC  bool // PostgreSQL: already COLLATE "C"
	hint   bool // non-unique index (tenant_id, col): SQLite needs a selectivity hint

	// kindJSON: doc, then keys (none: doc is an array element itself)
	doc   string
	keys  [3]string
	nkeys int
	elem  bool   // doc is the json_each / jsonb_array_elements alias
	path  string // SQLite JSON path of keys, built on first use

	// kindConst
	constVal string
}

// exactFor is the case rule of an attribute: caseExact, and always for
// binary (base64) and dateTime values.
func exactFor(a *schemas.Attribute) bool {
	return a.CaseExact || a.Type == schemas.TypeBinary || a.Type == schemas.TypeDateTime
}

func column(a *schemas.Attribute, col string, nullable, folded bool) operand {
	return operand{kind: kindColumn, attr: a, exact: exactFor(a) && !folded, nullable: nullable, col: col, folded: folded, collC: folded}
}

// hintedColumn is column() for a column with a non-unique index after
// tenant_id (see strCompare).
func hintedColumn(a *schemas.Attribute, col string, nullable, folded bool) operand {
	o := column(a, col, nullable, folded)
	o.hint = true
	return o
}

// idColumn is a column holding resource ids: case-exact whatever the schema
// says (members.value has no caseExact), so that id look-ups stay index
// look-ups.
func idColumn(a *schemas.Attribute, col string) operand {
	return operand{kind: kindColumn, attr: a, exact: true, col: col}
}

func constant(a *schemas.Attribute, v string) operand {
	return operand{kind: kindConst, attr: a, exact: exactFor(a), constVal: v}
}

func (o *operand) addKey(k string) {
	o.keys[o.nkeys] = k
	o.nkeys++
}

// jsonOperand addresses p inside r.attrs.
func (b *builder) jsonOperand(p schemas.Path) operand {
	a := p.Leaf()
	o := operand{kind: kindJSON, attr: a, exact: exactFor(a), nullable: true, doc: "r.attrs"}
	if p.Ext {
		o.addKey(p.Schema.ID)
	}
	o.addKey(p.Attr.Name)
	if p.Sub != nil {
		o.addKey(p.Sub.Name)
	}
	return o
}

// elemJSON addresses sub (nil: the element itself) in the current element
// of a JSON array; a is the attribute the value is compared as.
func (b *builder) elemJSON(a, sub *schemas.Attribute) operand {
	doc := "e.value"
	if b.d == Postgres {
		doc = "e.v"
	}
	o := operand{kind: kindJSON, nullable: true, doc: doc, elem: true}
	if sub != nil {
		o.addKey(sub.Name)
		a = sub
	}
	o.attr, o.exact = a, exactFor(a)
	return o
}

// pathExpr translates a comparison on a resolved path at resource level
// (also reached from a single-valued complex value filter: name[…]).
func (b *builder) pathExpr(p schemas.Path, op string, val any) error {
	if p.Common {
		return b.commonExpr(p, op, val)
	}
	switch b.res {
	case Users:
		switch {
		case isCore(p, "userName"):
			o := column(p.Attr, "r.user_name_ci", false, true)
			return b.compare(&o, op, val)
		case isCore(p, "displayName"):
			o := hintedColumn(p.Attr, "r.display_name_ci", true, true)
			return b.compare(&o, op, val)
		case isCore(p, "active"):
			o := column(p.Attr, "r.active", true, false)
			return b.compare(&o, op, val)
		case isCore(p, "emails") && (p.Sub == nil || p.Sub.Name == "value"):
			return b.multi(p, scopeEmailRows, op, val)
		case isCore(p, "groups"):
			return b.multi(p, scopeUserGroups, op, val)
		case p.Ext && p.Schema.ID == schemas.SAPUserURN && p.Attr.Name == "userUuid":
			o := column(p.Attr, "r.user_uuid_ci", true, true)
			return b.compare(&o, op, val)
		}
	case Groups:
		switch {
		case isCore(p, "displayName"):
			o := column(p.Attr, "r.display_name_ci", false, true)
			return b.compare(&o, op, val)
		case isCore(p, "members"):
			return b.multi(p, scopeGroupMembers, op, val)
		}
	}
	if p.Attr.MultiValued {
		return b.multi(p, scopeJSONElem, op, val)
	}
	if p.Sub == nil && p.Attr.IsComplex() {
		if !presenceOp(op, val) {
			return b.fail(p.Attr.Name + " is complex: compare one of its sub-attributes, or use pr")
		}
	}
	o := b.jsonOperand(p)
	return b.compare(&o, op, val)
}

// presenceOp: pr, eq null, ne null.
func presenceOp(op string, val any) bool {
	return op == opPR || (val == nil && (op == opEQ || op == opNE))
}

// commonExpr: id, externalId, meta.*, schemas.
func (b *builder) commonExpr(p schemas.Path, op string, val any) error {
	var o operand
	switch p.Attr.Name {
	case "id":
		o = idColumn(p.Attr, "r.id")
	case "externalId":
		o = hintedColumn(p.Attr, "r.external_id", true, false)
	case "schemas":
		return b.multi(p, scopeJSONElem, op, val)
	case "meta":
		if p.Sub == nil {
			if !presenceOp(op, val) {
				return b.fail("meta is complex: compare one of its sub-attributes, or use pr")
			}
			o = constant(p.Attr, "meta")
			break
		}
		switch p.Sub.Name {
		case "created":
			o = column(p.Sub, "r.created_at", false, false)
			o.conv = convMicros
		case "lastModified":
			o = column(p.Sub, "r.modified_at", false, false)
			o.conv = convMicros
		case "version":
			o = column(p.Sub, "r.version", false, false)
			o.conv = convVersion
		case "resourceType":
			o = constant(p.Sub, b.rt.Name)
		default:
			return b.fail("meta." + p.Sub.Name + " depends on the request URL and cannot be " + b.verb())
		}
	default:
		return b.fail("not supported")
	}
	return b.compare(&o, op, val)
}

func (b *builder) verb() string {
	if b.sort {
		return "sorted on"
	}
	return "filtered on"
}

// scope is the context of comparisons inside a value filter: which rows or
// elements the sub-attribute names refer to.
type scope struct {
	kind  scopeKind
	base  schemas.Path          // the multi-valued or complex attribute
	outer *filter.AttributePath // the value path as written (for messages)
}

type scopeKind uint8

const (
	scopeResource     scopeKind = iota // attributes of r
	scopeComplex                       // sub-attributes of a single-valued complex attribute
	scopeJSONElem                      // elements of a JSON array in r.attrs (alias e)
	scopeEmailRows                     // user_emails rows of a user (alias ue)
	scopeUserGroups                    // group_members rows of a user (alias m; g = the group)
	scopeGroupMembers                  // group_members rows of a group (alias m; u, g = the member)
)

// memberDisplay is a member's display: the user's displayName, else its
// userName, or the member group's displayName. All *_ci columns.
const memberDisplay = "COALESCE(NULLIF(u.display_name_ci, ''), u.user_name_ci, g.display_name_ci)"

// elemOperand returns the operand for sub-attribute sub (nil: the element
// itself) of the current row/element scope.
func (b *builder) elemOperand(sub *schemas.Attribute) (operand, error) {
	base := b.sc.base.Attr
	switch b.sc.kind {
	case scopeJSONElem:
		return b.elemJSON(base, sub), nil
	case scopeEmailRows:
		if sub != nil && sub.Name == "value" {
			o := column(sub, "ue.value_ci", false, true)
			return o, nil
		}
	case scopeUserGroups:
		switch {
		case sub == nil:
		case sub.Name == "value":
			return idColumn(sub, "m.group_id"), nil
		case sub.Name == "display":
			return column(sub, "g.display_name_ci", false, true), nil
		case sub.Name == "type":
			return constant(sub, "direct"), nil
		}
	case scopeGroupMembers:
		switch {
		case sub == nil:
		case sub.Name == "value":
			return idColumn(sub, "m.member_id"), nil
		case sub.Name == "display":
			return column(sub, memberDisplay, true, true), nil
		case sub.Name == "type":
			return column(sub, "m.member_type", false, false), nil
		}
	}
	name := base.Name
	if sub != nil {
		name += "." + sub.Name
	}
	if strings.HasSuffix(name, "$ref") {
		return operand{}, b.fail(name + " depends on the request URL and cannot be " + b.verb())
	}
	return operand{}, b.fail(name + " cannot be " + b.verb())
}
