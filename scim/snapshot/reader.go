package snapshot

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/scimd/scimd/scim/bulk"
)

// Reader reads a snapshot document from a stream: a json.Decoder walks
// the top-level object token by token and decodes one user or group at a
// time, so memory holds one record, whatever the size of the document.
//
// Call Header, then Next until it returns no record. Members may come in
// any order (a snapshot re-serialised with sorted keys still reads), but
// the header is only complete, and checked, once Next has reached the
// end. Top-level members other than those of the format are refused (a
// typo must not drop data silently).
type Reader struct {
	dec      *json.Decoder
	state    readerState
	hdr      Header
	seen     map[string]bool
	nu, ng   int64 // users and groups read
	firstErr error
}

type readerState int

const (
	stStart  readerState = iota
	stKeys               // between top-level members
	stUsers              // inside "users"
	stGroups             // inside "groups"
	stEnd                // after the closing brace
)

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	return &Reader{dec: dec, seen: map[string]bool{}}
}

// syntax turns a decoder error into a FormatError.
func (r *Reader) syntax(where string, err error) error {
	var re *ReadError
	if errors.As(err, &re) {
		return err // the stream failed, not the document
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return formatErrorf(where, "the document ends early (at byte %d): truncated upload?", r.dec.InputOffset())
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return formatErrorf(where, "invalid JSON at byte %d: %v", se.Offset, err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return formatErrorf(where, "expected %s, got a JSON %s (byte %d)", te.Type, te.Value, te.Offset)
	}
	return err // a FormatError, or a read error of the underlying stream
}

func (r *Reader) fail(err error) error {
	if r.firstErr == nil {
		r.firstErr = err
	}
	return err
}

// Header reads the document up to its first array of records and returns
// the header members read so far (all of them for a snapshot written by
// scimd, which puts the header first).
func (r *Reader) Header() (Header, error) {
	if r.firstErr != nil {
		return r.hdr, r.firstErr
	}
	if r.state != stStart {
		return r.hdr, nil
	}
	tok, err := r.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return r.hdr, r.fail(formatErrorf("", "the document is empty"))
		}
		return r.hdr, r.fail(r.syntax("", err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return r.hdr, r.fail(formatErrorf("", "a tenant snapshot is a JSON object"))
	}
	r.state = stKeys
	if err := r.keys(); err != nil {
		return r.hdr, r.fail(err)
	}
	return r.hdr, nil
}

// Final returns the complete header, once Next has returned no record.
func (r *Reader) Final() Header { return r.hdr }

// keys reads top-level members until an array of records opens or the
// object ends (and then checks the header and that nothing follows).
func (r *Reader) keys() error {
	for r.state == stKeys {
		tok, err := r.dec.Token()
		if err != nil {
			return r.syntax("", err)
		}
		if d, ok := tok.(json.Delim); ok && d == '}' {
			if _, err := r.dec.Token(); !errors.Is(err, io.EOF) {
				return formatErrorf("", "unexpected data after the snapshot object (byte %d)", r.dec.InputOffset())
			}
			r.state = stEnd
			return r.checkHeader()
		}
		key, _ := tok.(string)
		if r.seen[key] {
			return formatErrorf(key, "given twice")
		}
		r.seen[key] = true
		switch key {
		case "users", "groups":
			if err := r.openArray(key); err != nil {
				return err
			}
			if key == "users" {
				r.state = stUsers
			} else {
				r.state = stGroups
			}
			return nil
		case "schemas", "version", "tenant", "exportedAt", "customSchemas":
			if err := r.headerValue(key); err != nil {
				return err
			}
		default:
			return formatErrorf("", "unknown member %q (a snapshot has schemas, version, tenant, exportedAt, customSchemas, users, groups)", key)
		}
	}
	return nil
}

// checkHeader checks, at the end, that the required members were there.
func (r *Reader) checkHeader() error {
	if !r.seen["schemas"] {
		return formatErrorf("schemas", "missing: a tenant snapshot has \"schemas\": [%q]", SchemaURN)
	}
	if r.hdr.Version == 0 {
		return formatErrorf("version", "missing")
	}
	return nil
}

func (r *Reader) openArray(key string) error {
	tok, err := r.dec.Token()
	if err != nil {
		return r.syntax(key, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return formatErrorf(key, "must be an array")
	}
	return nil
}

func (r *Reader) headerValue(key string) error {
	switch key {
	case "schemas":
		var s []string
		if err := r.dec.Decode(&s); err != nil {
			return r.syntax(key, err)
		}
		if !slices.ContainsFunc(s, func(v string) bool { return strings.EqualFold(v, SchemaURN) }) {
			return formatErrorf(key, "must contain %q (is this a scimd tenant snapshot?)", SchemaURN)
		}
	case "version":
		var n json.Number
		if err := r.dec.Decode(&n); err != nil {
			return r.syntax(key, err)
		}
		v, err := n.Int64()
		if err != nil || v != Version {
			return formatErrorf(key, "%s is not supported (this server reads version %d)", n, Version)
		}
		r.hdr.Version = int(v)
	case "tenant":
		if err := r.dec.Decode(&r.hdr.Tenant); err != nil {
			return r.syntax(key, err)
		}
	case "exportedAt":
		var s string
		if err := r.dec.Decode(&s); err != nil {
			return r.syntax(key, err)
		}
		t, err := parseTime("exportedAt", s)
		if err != nil {
			return formatErrorf(key, "%q is not an RFC 3339 time", s)
		}
		r.hdr.ExportedAt = t
	case "customSchemas":
		if err := r.dec.Decode(&r.hdr.CustomSchemas); err != nil {
			return r.syntax(key, err)
		}
	}
	return nil
}

// Next returns the next record in document order: a user or a group, or
// neither at the end of the document. Row is the record's 1-based
// position among the records of its kind.
func (r *Reader) Next() (*User, *Group, error) {
	if r.state == stStart {
		if _, err := r.Header(); err != nil {
			return nil, nil, err
		}
	}
	for r.firstErr == nil {
		switch r.state {
		case stEnd:
			return nil, nil, nil
		case stKeys:
			if err := r.keys(); err != nil {
				return nil, nil, r.fail(err)
			}
			continue
		}
		users := r.state == stUsers
		key, n := "groups", &r.ng
		if users {
			key, n = "users", &r.nu
		}
		if !r.dec.More() {
			if _, err := r.dec.Token(); err != nil { // ']'
				return nil, nil, r.fail(r.syntax(key, err))
			}
			r.state = stKeys
			continue
		}
		where := fmt.Sprintf("%s[%d]", key, *n)
		*n++
		var m map[string]any
		if err := r.dec.Decode(&m); err != nil {
			return nil, nil, r.fail(r.syntax(where, err))
		}
		if m == nil {
			return nil, nil, r.fail(formatErrorf(where, "must be an object, not null"))
		}
		if users {
			u, err := decodeUser(m, where)
			if err != nil {
				return nil, nil, r.fail(err)
			}
			u.Row = *n
			return u, nil, nil
		}
		g, err := decodeGroup(m, where)
		if err != nil {
			return nil, nil, r.fail(err)
		}
		g.Row = *n
		return nil, g, nil
	}
	return nil, nil, r.firstErr
}

// Counts returns how many users and groups were read.
func (r *Reader) Counts() (users, groups int64) { return r.nu, r.ng }

// decodeUser turns a user object into a restore record.
func decodeUser(m map[string]any, where string) (*User, error) {
	u := &User{}
	var err error
	if u.ID, err = recordID(m, where); err != nil {
		return nil, err
	}
	if u.Created, u.Modified, u.Version, err = recordMeta(m, where); err != nil {
		return nil, err
	}
	if h, ok := m[PasswordHashKey]; ok {
		s, ok := h.(string)
		if !ok {
			return nil, formatErrorf(where, "%s must be a string", PasswordHashKey)
		}
		u.PasswordHash = s
	}
	for k := range m {
		switch {
		case strings.EqualFold(k, "password"):
			return nil, formatErrorf(where, "a snapshot carries password hashes (%s), never a password", PasswordHashKey)
		case strings.EqualFold(k, "groups"):
			delete(m, k) // derived from the groups' members
		}
	}
	delete(m, PasswordHashKey)
	u.Attrs = m
	return u, nil
}

// decodeGroup turns a group object into a restore record.
func decodeGroup(m map[string]any, where string) (*Group, error) {
	g := &Group{}
	var err error
	if g.ID, err = recordID(m, where); err != nil {
		return nil, err
	}
	if g.Created, g.Modified, g.Version, err = recordMeta(m, where); err != nil {
		return nil, err
	}
	for k, v := range m {
		if !strings.EqualFold(k, "members") {
			continue
		}
		delete(m, k)
		if v == nil {
			continue
		}
		list, ok := v.([]any)
		if !ok {
			return nil, formatErrorf(where, "members must be an array")
		}
		g.Members = make([]bulk.RestoreMember, 0, len(list))
		for i, e := range list {
			mm, ok := e.(map[string]any)
			val, _ := mm["value"].(string)
			if !ok || val == "" {
				return nil, formatErrorf(where, "members[%d] must be an object with a string value", i)
			}
			typ, _ := mm["type"].(string)
			switch {
			case strings.EqualFold(typ, "User"):
				typ = "User"
			case strings.EqualFold(typ, "Group"):
				typ = "Group"
			case typ == "":
			default:
				return nil, formatErrorf(where, "members[%d].type %q is neither User nor Group", i, typ)
			}
			g.Members = append(g.Members, bulk.RestoreMember{Value: val, Type: typ})
		}
	}
	g.Attrs = m
	return g, nil
}

// recordID takes the id out of a record.
func recordID(m map[string]any, where string) (string, error) {
	id, ok := m["id"].(string)
	delete(m, "id")
	switch {
	case !ok || id == "":
		return "", formatErrorf(where, "id must be a non-empty string")
	case len(id) > 255:
		return "", formatErrorf(where, "id is longer than 255 bytes")
	}
	return id, nil
}

// recordMeta takes meta out of a record.
func recordMeta(m map[string]any, where string) (created, modified time.Time, version int64, err error) {
	raw, ok := m["meta"]
	delete(m, "meta")
	if !ok || raw == nil {
		return created, modified, 0, nil
	}
	meta, ok := raw.(map[string]any)
	if !ok {
		return created, modified, 0, formatErrorf(where, "meta must be an object")
	}
	if created, err = parseTime("created", meta["created"]); err == nil {
		if modified, err = parseTime("lastModified", meta["lastModified"]); err == nil {
			version, err = parseVersion(meta["version"])
		}
	}
	if err != nil {
		return created, modified, 0, formatErrorf(where, "%v", err)
	}
	return created, modified, version, nil
}

// prefetcher decodes records on a goroutine of its own, up to a buffer
// ahead of the consumer, so that JSON decoding overlaps with validation
// and database work. Memory: the buffer's records.
type prefetcher struct {
	ch   chan prefetched
	done chan struct{}
	last *prefetched // the end or an error, returned from then on
}

type prefetched struct {
	u   *User
	g   *Group
	err error
}

// prefetchRecords starts decoding rd ahead; close stops the goroutine.
func prefetchRecords(rd *Reader, ahead int) *prefetcher {
	p := &prefetcher{ch: make(chan prefetched, ahead), done: make(chan struct{})}
	go func() {
		defer close(p.ch)
		for {
			u, g, err := rd.Next()
			select {
			case p.ch <- prefetched{u, g, err}:
			case <-p.done:
				return
			}
			if err != nil || (u == nil && g == nil) {
				return
			}
		}
	}()
	return p
}

func (p *prefetcher) Next() (*User, *Group, error) {
	if p.last != nil {
		return p.last.u, p.last.g, p.last.err
	}
	r, ok := <-p.ch
	if !ok {
		r = prefetched{err: errors.New("snapshot: prefetcher closed")}
	}
	if r.err != nil || (r.u == nil && r.g == nil) {
		p.last = &r
	}
	return r.u, r.g, r.err
}

// close stops the goroutine (it may be blocked on a full buffer).
func (p *prefetcher) close() {
	select {
	case <-p.done:
	default:
		close(p.done)
	}
	for range p.ch { // let the goroutine finish its current Next
	}
}
