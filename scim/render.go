package scim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store"
)

// baseURL returns the public URL prefix for locations.
func (a *API) baseURL(r *http.Request) string {
	if a.cfg.BaseURL != "" {
		return a.cfg.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// buffers recycles response buffers of reads: c.Blob copies the bytes
// into the response before the handler returns. (A list of 100 users is
// ~110 KB; allocating and growing its buffer per request was a third of
// the bytes a list allocated.)
type buffers struct{ pool sync.Pool }

// maxPooledBuffer keeps a rare huge response from staying in the pool.
const maxPooledBuffer = 1 << 20

// get returns an empty buffer with room for about size bytes.
func (b *buffers) get(size int) *bytes.Buffer {
	buf, _ := b.pool.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Grow(size)
	return buf
}

// put returns buf to the pool; its bytes must no longer be used.
func (b *buffers) put(buf *bytes.Buffer) {
	if buf.Cap() > maxPooledBuffer {
		return
	}
	buf.Reset()
	b.pool.Put(buf)
}

// etag renders a resource version as a weak entity tag.
func etag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// appendTime writes formatTime(t) to buf without allocating.
func appendTime(buf *bytes.Buffer, t time.Time) {
	buf.Write(t.UTC().AppendFormat(buf.AvailableBuffer(), time.RFC3339Nano))
}

// renderer writes SCIM resource JSON. Without a projection it splices the
// stored attribute object between id and meta without decoding it; with
// one it builds the full map and projects it (RFC 7644 §3.4.2.5).
type renderer struct {
	base string // e.g. https://host/scim/v2
	proj projection
}

func (a *API) newRenderer(r *http.Request, p projection) renderer {
	return renderer{base: a.baseURL(r) + "/scim/v2", proj: p}
}

func (rd renderer) userLocation(id string) string  { return rd.base + "/Users/" + id }
func (rd renderer) groupLocation(id string) string { return rd.base + "/Groups/" + id }

// user appends the JSON of u (with its groups) to buf.
func (rd renderer) user(buf *bytes.Buffer, rt *schemas.ResourceType, u *store.User, groups []store.GroupRef) error {
	loc := rd.userLocation(u.ID)
	if rd.proj.active() {
		m, err := u.AttrMap()
		if err != nil {
			return err
		}
		m["id"] = u.ID
		if len(groups) > 0 {
			gs := make([]any, 0, len(groups))
			for _, g := range groups {
				gs = append(gs, map[string]any{"value": g.GroupID, "display": g.Display, "$ref": rd.groupLocation(g.GroupID), "type": "direct"})
			}
			m["groups"] = gs
		}
		m["meta"] = metaMap("User", u.Created, u.Modified, loc, u.Version)
		return encodeMap(buf, rd.proj.apply(rt, m))
	}
	buf.WriteString(`{"id":`)
	writeJSONString(buf, u.ID)
	spliceAttrs(buf, u.Attrs)
	if len(groups) > 0 {
		buf.WriteString(`,"groups":[`)
		for i, g := range groups {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(`{"value":`)
			writeJSONString(buf, g.GroupID)
			buf.WriteString(`,"display":`)
			writeJSONString(buf, g.Display)
			buf.WriteString(`,"$ref":`)
			writeJSONString(buf, rd.groupLocation(g.GroupID))
			buf.WriteString(`,"type":"direct"}`)
		}
		buf.WriteByte(']')
	}
	writeMeta(buf, "User", u.Created, u.Modified, loc, u.Version)
	buf.WriteByte('}')
	return nil
}

// group appends the JSON of g to buf; members nil means "not returned".
func (rd renderer) group(buf *bytes.Buffer, rt *schemas.ResourceType, g *store.Group, members []store.Member, withMembers bool) error {
	loc := rd.groupLocation(g.ID)
	if rd.proj.active() {
		m, err := g.AttrMap()
		if err != nil {
			return err
		}
		m["id"] = g.ID
		if withMembers {
			ms := make([]any, 0, len(members))
			for _, mem := range members {
				ms = append(ms, rd.memberMap(mem))
			}
			m["members"] = ms
		}
		m["meta"] = metaMap("Group", g.Created, g.Modified, loc, g.Version)
		return encodeMap(buf, rd.proj.apply(rt, m))
	}
	buf.WriteString(`{"id":`)
	writeJSONString(buf, g.ID)
	spliceAttrs(buf, g.Attrs)
	if withMembers {
		buf.WriteString(`,"members":[`)
		for i, mem := range members {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(`{"value":`)
			writeJSONString(buf, mem.Value)
			if mem.Display != "" {
				buf.WriteString(`,"display":`)
				writeJSONString(buf, mem.Display)
			}
			buf.WriteString(`,"type":`)
			writeJSONString(buf, mem.Type)
			buf.WriteString(`,"$ref":`)
			writeJSONString(buf, rd.memberRef(mem))
			buf.WriteByte('}')
		}
		buf.WriteByte(']')
	}
	writeMeta(buf, "Group", g.Created, g.Modified, loc, g.Version)
	buf.WriteByte('}')
	return nil
}

func (rd renderer) memberRef(m store.Member) string {
	if m.Type == store.MemberGroup {
		return rd.groupLocation(m.Value)
	}
	return rd.userLocation(m.Value)
}

func (rd renderer) memberMap(m store.Member) map[string]any {
	out := map[string]any{"value": m.Value, "type": m.Type, "$ref": rd.memberRef(m)}
	if m.Display != "" {
		out["display"] = m.Display
	}
	return out
}

func metaMap(rt string, created, modified time.Time, loc string, version int64) map[string]any {
	return map[string]any{
		"resourceType": rt,
		"created":      formatTime(created),
		"lastModified": formatTime(modified),
		"location":     loc,
		"version":      etag(version),
	}
}

func writeMeta(buf *bytes.Buffer, rt string, created, modified time.Time, loc string, version int64) {
	buf.WriteString(`,"meta":{"resourceType":"`)
	buf.WriteString(rt)
	buf.WriteString(`","created":"`)
	appendTime(buf, created)
	buf.WriteString(`","lastModified":"`)
	appendTime(buf, modified)
	buf.WriteString(`","location":`)
	writeJSONString(buf, loc)
	buf.WriteString(`,"version":"W/\"`) // etag(version) as a JSON string
	buf.Write(strconv.AppendInt(buf.AvailableBuffer(), version, 10))
	buf.WriteString(`\""}`)
}

// spliceAttrs appends ",<members of the stored JSON object>" (nothing for
// an empty object).
func spliceAttrs(buf *bytes.Buffer, attrs []byte) {
	inner := bytes.TrimSpace(attrs)
	if len(inner) < 2 {
		return
	}
	inner = bytes.TrimSpace(inner[1 : len(inner)-1])
	if len(inner) == 0 {
		return
	}
	buf.WriteByte(',')
	buf.Write(inner)
}

func encodeMap(buf *bytes.Buffer, m map[string]any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1) // Encode appends a newline
	return nil
}

const hexDigits = "0123456789abcdef"

// writeJSONString appends s as a JSON string literal.
func writeJSONString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				buf.WriteByte('\\')
				buf.WriteByte(c)
			case '\n':
				buf.WriteString(`\n`)
			case '\r':
				buf.WriteString(`\r`)
			case '\t':
				buf.WriteString(`\t`)
			default:
				buf.WriteString(`\u00`)
				buf.WriteByte(hexDigits[c>>4])
				buf.WriteByte(hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf.WriteString(s[start:i])
			buf.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf.WriteString(s[start:i])
			buf.WriteString(`\u202`)
			buf.WriteByte(hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf.WriteString(s[start:])
	buf.WriteByte('"')
}
