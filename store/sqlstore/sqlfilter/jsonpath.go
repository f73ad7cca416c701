package sqlfilter

import "strings"

// sqlitePath renders the SQLite JSON path of o's keys, each quoted:
// $."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"."manager"."value".
// Keys are schema names (no '"'); the path is passed as a parameter.
func (o *operand) sqlitePath() string {
	if o.path == "" {
		n := 1
		for i := 0; i < o.nkeys; i++ {
			n += len(o.keys[i]) + 3
		}
		var sb strings.Builder
		sb.Grow(n)
		sb.WriteByte('$')
		for i := 0; i < o.nkeys; i++ {
			sb.WriteString(`."`)
			sb.WriteString(o.keys[i])
			sb.WriteByte('"')
		}
		o.path = sb.String()
	}
	return o.path
}

// jsonValue writes the SQL scalar at o: text for strings; on SQLite
// numbers stay numbers and booleans become 1/0; NULL when absent or JSON
// null.
//
//	SQLite:     json_extract(r.attrs, ?)      | e.value (array element)
//	PostgreSQL: (r.attrs -> ? ->> ?)          | (e.v #>> '{}')
func (b *builder) jsonValue(o *operand) {
	if o.nkeys == 0 {
		if b.d == SQLite {
			b.w(o.doc)
		} else {
			b.w("(")
			b.w(o.doc)
			b.w(" #>> '{}')")
		}
		return
	}
	if b.d == SQLite {
		b.w("json_extract(")
		b.w(o.doc)
		b.w(", ")
		b.arg(o.sqlitePath())
		b.w(")")
		return
	}
	b.w("(")
	b.w(o.doc)
	for i := 0; i < o.nkeys; i++ {
		if i == o.nkeys-1 {
			b.w(" ->> ")
		} else {
			b.w(" -> ")
		}
		b.arg(o.keys[i])
	}
	b.w(")")
}

// jsonType writes the JSON type name at o, NULL when absent. SQLite:
// null true false integer real text array object; PostgreSQL: null
// boolean number string array object.
func (b *builder) jsonType(o *operand) {
	if b.d == SQLite {
		if o.nkeys == 0 {
			b.w("e.type")
			return
		}
		b.w("json_type(")
		b.w(o.doc)
		b.w(", ")
		b.arg(o.sqlitePath())
		b.w(")")
		return
	}
	b.w("jsonb_typeof(")
	b.jsonB(o)
	b.w(")")
}

// jsonB writes the jsonb value at o (PostgreSQL only).
func (b *builder) jsonB(o *operand) {
	if o.nkeys == 0 {
		b.w(o.doc)
		return
	}
	b.w("(")
	b.w(o.doc)
	for i := 0; i < o.nkeys; i++ {
		b.w(" -> ")
		b.arg(o.keys[i])
	}
	b.w(")")
}

// lowerFn is the SQL lower-casing function that agrees with Go's
// strings.ToLower: scim_lower (registered by sqlitedrv) on SQLite.
func (b *builder) lowerFn() string {
	if b.d == SQLite {
		return "scim_lower("
	}
	return "lower("
}
