package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/scimd/scimd/bulkcsv"
	"github.com/scimd/scimd/store"
)

// attrDecoder decodes, per exported user, only the top-level keys of the
// stored attribute object that the export columns read, and skips the rest
// unparsed. It produces what store.DecodeAttrs would for those keys
// (objects as map[string]any, arrays as []any, numbers as json.Number)
// at a fraction of the cost: encoding/json's reflective decoder was most
// of an export's CPU time. Anything it does not understand falls back to
// store.DecodeAttrs. Not safe for concurrent use; the map it returns is
// reused by the next call.
type attrDecoder struct {
	keys   map[string]bool // nil: every key
	m      map[string]any
	intern map[string]string
	pool   valuePool
}

// valuePool recycles the objects and arrays of the previous user: the
// Writer reads a user's values only while it writes the row, so the next
// decode may reuse them, which saves most of the allocations.
type valuePool struct {
	maps   []map[string]any
	nmaps  int
	arrays [][]any
	narr   int
}

// maxPooled bounds what the pool keeps (a user with thousands of values
// should not pin them for the rest of the export).
const maxPooled = 256

func (vp *valuePool) reset() { vp.nmaps, vp.narr = 0, 0 }

func (vp *valuePool) newMap() map[string]any {
	if vp.nmaps < len(vp.maps) {
		m := vp.maps[vp.nmaps]
		vp.nmaps++
		clear(m)
		return m
	}
	m := make(map[string]any, 8)
	if len(vp.maps) < maxPooled {
		vp.maps = append(vp.maps, m)
		vp.nmaps++
	}
	return m
}

// array returns an empty array to append to; keep must be called with
// the final array so that its grown backing store is reused next time.
func (vp *valuePool) array() ([]any, int) {
	if vp.narr < len(vp.arrays) {
		i := vp.narr
		vp.narr++
		a := vp.arrays[i]
		clear(a[:cap(a)])
		return a[:0], i
	}
	if len(vp.arrays) < maxPooled {
		vp.arrays = append(vp.arrays, make([]any, 0, 4))
		vp.narr++
		return vp.arrays[len(vp.arrays)-1], len(vp.arrays) - 1
	}
	return make([]any, 0, 4), -1
}

func (vp *valuePool) keep(i int, a []any) {
	if i >= 0 {
		vp.arrays[i] = a
	}
}

// newAttrDecoder returns a decoder for the keys cols read: core attribute
// names and extension URNs (an extension object is decoded whole).
func newAttrDecoder(cols []bulkcsv.Column) *attrDecoder {
	d := &attrDecoder{keys: map[string]bool{}, m: map[string]any{}, intern: map[string]string{}}
	for _, c := range cols {
		if c.Kind != bulkcsv.KindAttr {
			continue
		}
		if urn := c.Path.URN(); urn != "" {
			d.keys[urn] = true
		} else {
			d.keys[c.Path.Attr.Name] = true
		}
	}
	return d
}

func (d *attrDecoder) decode(raw []byte) (map[string]any, error) {
	clear(d.m)
	if d.intern == nil {
		d.intern = map[string]string{}
	}
	d.pool.reset()
	p := jsonParser{s: raw, intern: d.intern, pool: &d.pool}
	if err := p.topLevel(d.keys, d.m); err != nil {
		m, err2 := store.DecodeAttrs(raw)
		if err2 != nil {
			return nil, err2
		}
		return m, nil
	}
	return d.m, nil
}

var errJSON = errors.New("unexpected JSON")

// jsonParser is a small recursive-descent JSON parser for stored
// attribute objects (json.Marshal or PostgreSQL jsonb output).
type jsonParser struct {
	s     []byte
	i     int
	depth int
	// intern holds the keys of nested objects seen so far (value, type,
	// primary, …): every user has the same few, so they are allocated
	// once per export rather than once per user.
	intern map[string]string
	pool   *valuePool // nil: allocate every object and array
}

// maxInterned bounds the intern table (keys are attribute names, a small
// set, but a stored object could have arbitrary ones).
const maxInterned = 512

// key reads an object key after its opening quote.
func (p *jsonParser) key() (string, error) {
	start := p.i
	s, raw, err := p.strBytes()
	if err != nil || !raw {
		return s, err
	}
	b := p.s[start : p.i-1]
	if k, ok := p.intern[string(b)]; ok {
		return k, nil
	}
	k := string(b)
	if p.intern != nil && len(p.intern) < maxInterned {
		p.intern[k] = k
	}
	return k, nil
}

const maxJSONDepth = 64

func (p *jsonParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) peek() byte {
	p.ws()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// topLevel reads the top-level object, decoding the values of keys (all
// when keys is nil) into m.
func (p *jsonParser) topLevel(keys map[string]bool, m map[string]any) error {
	if p.peek() != '{' {
		return errJSON
	}
	p.i++
	if p.peek() == '}' {
		p.i++
		return p.end()
	}
	for {
		if p.peek() != '"' {
			return errJSON
		}
		p.i++
		start := p.i
		k, raw, err := p.strBytes()
		if err != nil {
			return err
		}
		end := p.i - 1 // raw key: p.s[start:end]
		if p.peek() != ':' {
			return errJSON
		}
		p.i++
		want := keys == nil
		if !want {
			if raw {
				want = keys[string(p.s[start:end])]
			} else {
				want = keys[k]
			}
		}
		if want {
			if raw {
				k = string(p.s[start:end])
			}
			v, err := p.value()
			if err != nil {
				return err
			}
			m[k] = v
		} else if err := p.skip(); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return p.end()
		default:
			return errJSON
		}
	}
}

func (p *jsonParser) end() error {
	p.ws()
	if p.i != len(p.s) {
		return errJSON
	}
	return nil
}

// strBytes reads a string after its opening quote and leaves p.i after
// the closing quote. Without escapes (the common case) it returns raw
// true and the text is p.s[start:p.i-1]; otherwise the decoded string.
// Invalid UTF-8 becomes U+FFFD, as with encoding/json.
func (p *jsonParser) strBytes() (string, bool, error) {
	start := p.i
	ascii := true
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			if !ascii && !utf8.Valid(p.s[start:p.i-1]) {
				return strings.ToValidUTF8(string(p.s[start:p.i-1]), "\uFFFD"), false, nil
			}
			return "", true, nil
		case c == '\\':
			return p.escaped(start)
		case c < 0x20:
			return "", false, errJSON
		case c >= 0x80:
			ascii = false
		}
		p.i++
	}
	return "", false, errJSON
}

// str reads a string after its opening quote and returns it.
func (p *jsonParser) str() (string, error) {
	start := p.i
	s, raw, err := p.strBytes()
	if raw {
		return string(p.s[start : p.i-1]), nil
	}
	return s, err
}

// escaped decodes a string with escapes; p.i is at the first backslash.
func (p *jsonParser) escaped(start int) (string, bool, error) {
	b := make([]byte, 0, p.i-start+16)
	b = append(b, p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return strings.ToValidUTF8(string(b), "\uFFFD"), false, nil
		case c < 0x20:
			return "", false, errJSON
		case c != '\\':
			b = append(b, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			return "", false, errJSON
		}
		e := p.s[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", false, errJSON
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
					save := p.i
					p.i += 2
					if x, ok := p.hex4(); ok {
						r2 = x
					} else {
						return "", false, errJSON
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						b = utf8.AppendRune(b, dec)
						continue
					}
					p.i = save // not a pair: the second escape stands alone
				}
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", false, errJSON
		}
	}
	return "", false, errJSON
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	var r rune
	for _, c := range p.s[p.i : p.i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	p.i += 4
	return r, true
}

// value decodes any JSON value.
func (p *jsonParser) value() (any, error) {
	switch c := p.peek(); {
	case c == '"':
		p.i++
		return p.str()
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == 't':
		return true, p.lit("true")
	case c == 'f':
		return false, p.lit("false")
	case c == 'n':
		return nil, p.lit("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil, errJSON
}

func (p *jsonParser) lit(word string) error {
	if len(p.s)-p.i < len(word) || string(p.s[p.i:p.i+len(word)]) != word {
		return errJSON
	}
	p.i += len(word)
	return nil
}

func (p *jsonParser) number() (json.Number, error) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.s) && p.s[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return "", errJSON
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return "", errJSON
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return "", errJSON
		}
	}
	return json.Number(p.s[start:p.i]), nil
}

func (p *jsonParser) object() (map[string]any, error) {
	if p.depth++; p.depth > maxJSONDepth {
		return nil, errJSON
	}
	defer func() { p.depth-- }()
	p.i++ // {
	var m map[string]any
	if p.pool != nil {
		m = p.pool.newMap()
	} else {
		m = make(map[string]any, 8)
	}
	if p.peek() == '}' {
		p.i++
		return m, nil
	}
	for {
		if p.peek() != '"' {
			return nil, errJSON
		}
		p.i++
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		if p.peek() != ':' {
			return nil, errJSON
		}
		p.i++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		m[k] = v
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return m, nil
		default:
			return nil, errJSON
		}
	}
}

func (p *jsonParser) array() ([]any, error) {
	if p.depth++; p.depth > maxJSONDepth {
		return nil, errJSON
	}
	defer func() { p.depth-- }()
	p.i++ // [
	if p.peek() == ']' {
		p.i++
		return []any{}, nil
	}
	var a []any
	slot := -1
	if p.pool != nil {
		a, slot = p.pool.array()
	}
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			if p.pool != nil {
				p.pool.keep(slot, a)
			}
			return a, nil
		default:
			return nil, errJSON
		}
	}
}

// skip passes over one value without decoding it. Objects, arrays and
// strings are only delimited, not validated (stored attributes are valid
// JSON: json.Marshal or jsonb output); scalars are parsed.
func (p *jsonParser) skip() error {
	switch c := p.peek(); {
	case c == '"':
		p.i++
		return p.skipString()
	case c == '{' || c == '[':
		depth := 0
		for p.i < len(p.s) {
			switch p.s[p.i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					p.i++
					return nil
				}
			case '"':
				p.i++
				if err := p.skipString(); err != nil {
					return err
				}
				continue
			}
			p.i++
		}
		return errJSON
	default:
		_, err := p.value()
		return err
	}
}

// skipString passes over a string after its opening quote.
func (p *jsonParser) skipString() error {
	for {
		j := bytes.IndexByte(p.s[p.i:], '"')
		if j < 0 {
			return errJSON
		}
		end := p.i + j
		k := end - 1 // an escaped quote has an odd number of backslashes before it
		for k >= p.i && p.s[k] == '\\' {
			k--
		}
		p.i = end + 1
		if (end-1-k)%2 == 0 {
			return nil
		}
	}
}
