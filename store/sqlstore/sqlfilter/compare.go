package sqlfilter

import (
	"strings"

	"github.com/scimd/scimd/schemas"
)

// compare writes the predicate "o op val" for one value (an attribute of
// r, an array element or a side-table row).
func (b *builder) compare(o *operand, op string, val any) error {
	if op == opPR || val == nil {
		switch op {
		case opPR, opNE:
			return b.present(o)
		case opEQ:
			b.w("NOT ")
			return b.present(o) // present writes one parenthesised term
		}
		return b.fail("operator " + op + " needs a value")
	}
	if o.kind == kindConst {
		return b.constCompare(o, op, val)
	}
	switch o.conv {
	case convMicros:
		return b.microsCompare(o, op, val)
	case convVersion:
		return b.versionCompare(o, op, val)
	}
	switch o.attr.Type {
	case schemas.TypeBoolean:
		return b.boolCompare(o, op, val)
	case schemas.TypeInteger, schemas.TypeDecimal:
		return b.numCompare(o, op, val)
	case schemas.TypeComplex:
		return b.fail(o.attr.Name + " is complex: compare one of its sub-attributes")
	}
	return b.strCompare(o, op, val)
}

func isStringType(t string) bool {
	switch t {
	case schemas.TypeString, schemas.TypeReference, schemas.TypeBinary, schemas.TypeDateTime:
		return true
	}
	return false
}

// present writes a never-NULL test for "o pr": not null, not "", not an
// empty array or object.
func (b *builder) present(o *operand) error {
	switch o.kind {
	case kindConst:
		if o.constVal != "" {
			b.w(sqlTrue)
		} else {
			b.w(sqlFalse)
		}
	case kindColumn:
		switch {
		case !o.nullable:
			b.w(sqlTrue)
		case isStringType(o.attr.Type):
			b.w("COALESCE(")
			b.w(o.col)
			b.w(" <> '', FALSE)")
		default:
			b.w("(")
			b.w(o.col)
			b.w(" IS NOT NULL)")
		}
	case kindJSON:
		switch {
		case o.attr.IsComplex():
			b.w("COALESCE(")
			b.jsonType(o)
			if b.d == SQLite {
				b.w(" = 'object' AND ")
				b.jsonValue(o)
				b.w(" <> '{}', FALSE)")
			} else {
				b.w(" = 'object' AND ")
				b.jsonB(o)
				b.w(" <> '{}'::jsonb, FALSE)")
			}
		case isStringType(o.attr.Type):
			b.w("COALESCE(")
			b.jsonValue(o)
			b.w(" <> '', FALSE)")
		default:
			b.w("COALESCE(")
			b.jsonType(o)
			b.w(" <> 'null', FALSE)")
		}
	}
	return nil
}

// strCompare: string, reference, binary, dateTime.
func (b *builder) strCompare(o *operand, op string, val any) error {
	s, ok := val.(string)
	if !ok {
		return b.fail("expects a string value")
	}
	switch o.attr.Type {
	case schemas.TypeBinary:
		if op != opEQ && op != opNE {
			return b.fail(op + " is not defined for binary values (only eq, ne, pr)")
		}
	case schemas.TypeDateTime:
		if op == opCO || op == opSW || op == opEW {
			return b.fail(op + " is not defined for dateTime values")
		}
		if _, err := parseTime(s); err != nil {
			return b.fail("expects an RFC 3339 dateTime such as \"2024-01-31T12:00:00Z\"")
		}
	}
	param := s
	if !o.exact {
		param = strings.ToLower(s)
	}
	// '' and NULL differ for ordering operators and an empty operand.
	keepNull := param == "" || (op != opEQ && op != opNE && op != opCO && op != opSW && op != opEW)
	if op == opNE {
		if o.nullable {
			b.w("COALESCE(")
		}
		b.strValue(o, keepNull)
		b.w(" <> ")
		b.arg(param)
		if o.nullable {
			b.w(", TRUE)")
		}
		return nil
	}
	g := b.guardOpen(o.nullable)
	if op == opEQ && o.hint && b.d == SQLite && !b.neg {
		// Without ANALYZE statistics SQLite guesses that "tenant_id = ?"
		// matches ~10 rows, as many as "tenant_id = ? AND external_id = ?"
		// on a non-unique index, and walks the primary key (or the ORDER
		// BY index) of the whole tenant to save a sort. The likelihood
		// hint keeps the look-up; the term stays an index constraint.
		b.w("likelihood(")
		b.strValue(o, keepNull)
		b.w(" = ")
		b.arg(param)
		b.w(", 0.0001)")
		b.guardClose(g)
		return nil
	}
	b.strValue(o, keepNull)
	switch op {
	case opEQ:
		b.w(" = ")
		b.arg(param)
	case opCO, opSW, opEW:
		if b.d == SQLite {
			// GLOB is case-sensitive (LIKE is not on SQLite) and, on a
			// plain column, index-backed for a prefix.
			b.w(" GLOB ")
			b.arg(globPattern(op, param))
		} else {
			// Default LIKE escape: backslash.
			b.w(" LIKE ")
			b.arg(likePattern(op, param))
		}
	default:
		if b.d == Postgres && !o.collC {
			b.w(` COLLATE "C"`)
		}
		b.w(sqlOp(op))
		b.arg(param)
	}
	b.guardClose(g)
	return nil
}

// strValue writes the string value of o, lower-cased in SQL when the
// comparison is case-insensitive and the column is not stored lower-cased.
//
// keepNull: the comparison would go wrong if a NULL (absent) value turned
// into ”. sqlitedrv's scim_lower returns ” for NULL (mattn hands NULL to
// an interface{} argument as a nil []byte), so on SQLite such values are
// lower-cased only when not NULL. eq/ne/co/sw/ew with a non-empty operand
// cannot tell ” from NULL and keep the single evaluation.
func (b *builder) strValue(o *operand, keepNull bool) {
	lower := !o.exact && !o.folded
	if !lower {
		b.rawValue(o)
		return
	}
	if b.d == SQLite && keepNull && o.nullable {
		b.w("CASE WHEN ")
		b.rawValue(o)
		b.w(" IS NOT NULL THEN scim_lower(")
		b.rawValue(o)
		b.w(") END")
		return
	}
	b.w(b.lowerFn())
	b.rawValue(o)
	b.w(")")
}

func (b *builder) rawValue(o *operand) {
	if o.kind == kindColumn {
		b.w(o.col)
	} else {
		b.jsonValue(o)
	}
}

// boolCompare: eq and ne only.
func (b *builder) boolCompare(o *operand, op string, val any) error {
	v, ok := toBool(val)
	if !ok {
		return b.fail("expects true or false")
	}
	if op != opEQ && op != opNE {
		return b.fail(op + " is not defined for booleans (only eq, ne, pr)")
	}
	ne := op == opNE
	if ne && o.nullable {
		b.w("COALESCE(")
	}
	g := !ne && b.guardOpen(o.nullable)
	switch {
	case o.kind == kindColumn:
		b.w(o.col)
		b.w(sqlOp(op))
		b.arg(v)
	case b.d == SQLite:
		b.jsonType(o)
		b.w(sqlOp(op))
		if v {
			b.w("'true'")
		} else {
			b.w("'false'")
		}
	default:
		b.jsonB(o)
		b.w(sqlOp(op))
		if v {
			b.w("'true'::jsonb")
		} else {
			b.w("'false'::jsonb")
		}
	}
	if ne && o.nullable {
		b.w(", TRUE)")
	}
	b.guardClose(g)
	return nil
}

// numCompare: integer and decimal, compared numerically.
func (b *builder) numCompare(o *operand, op string, val any) error {
	n, ok := toNumber(val)
	if !ok {
		return b.fail("expects a number")
	}
	if op == opCO || op == opSW || op == opEW {
		return b.fail(op + " is not defined for numbers")
	}
	ne := op == opNE
	if ne && o.nullable {
		b.w("COALESCE(")
	}
	g := !ne && b.guardOpen(o.nullable)
	b.numValue(o)
	b.w(sqlOp(op))
	b.arg(n)
	if ne && o.nullable {
		b.w(", TRUE)")
	}
	b.guardClose(g)
	return nil
}

// numValue writes o as a number; on PostgreSQL non-numbers become NULL
// instead of a cast error.
func (b *builder) numValue(o *operand) {
	switch {
	case o.kind == kindColumn:
		b.w(o.col)
	case b.d == SQLite:
		b.jsonValue(o)
	default:
		b.w("(CASE WHEN jsonb_typeof(")
		b.jsonB(o)
		b.w(") = 'number' THEN (")
		b.jsonB(o)
		b.w(")::numeric END)")
	}
}

// microsCompare: meta.created / meta.lastModified against BIGINT Unix
// microseconds (NOT NULL columns).
func (b *builder) microsCompare(o *operand, op string, val any) error {
	s, ok := val.(string)
	if !ok {
		return b.fail("expects an RFC 3339 dateTime such as \"2024-01-31T12:00:00Z\"")
	}
	t, err := parseTime(s)
	if err != nil {
		return b.fail("expects an RFC 3339 dateTime such as \"2024-01-31T12:00:00Z\"")
	}
	if op == opCO || op == opSW || op == opEW {
		return b.fail(op + " is not defined for dateTime values")
	}
	b.w(o.col)
	b.w(sqlOp(op))
	b.arg(t.UnixMicro())
	return nil
}

// versionCompare: meta.version W/"n" against the version column.
func (b *builder) versionCompare(o *operand, op string, val any) error {
	s, ok := val.(string)
	if !ok {
		return b.fail("expects an ETag such as W/\"3\"")
	}
	v, ok := parseETag(s)
	if !ok {
		return b.fail("expects an ETag such as W/\"3\"")
	}
	if op != opEQ && op != opNE {
		return b.fail(op + " is not defined for versions (only eq, ne, pr)")
	}
	b.w(o.col)
	b.w(sqlOp(op))
	b.arg(v)
	return nil
}

// constCompare evaluates a comparison on a value known now
// (meta.resourceType, groups.type).
func (b *builder) constCompare(o *operand, op string, val any) error {
	s, ok := val.(string)
	if !ok {
		return b.fail("expects a string value")
	}
	c := o.constVal
	if !o.exact {
		c, s = strings.ToLower(c), strings.ToLower(s)
	}
	var r bool
	switch op {
	case opEQ:
		r = c == s
	case opNE:
		r = c != s
	case opCO:
		r = strings.Contains(c, s)
	case opSW:
		r = strings.HasPrefix(c, s)
	case opEW:
		r = strings.HasSuffix(c, s)
	case opGT:
		r = c > s
	case opGE:
		r = c >= s
	case opLT:
		r = c < s
	case opLE:
		r = c <= s
	}
	if r {
		b.w(sqlTrue)
	} else {
		b.w(sqlFalse)
	}
	return nil
}
