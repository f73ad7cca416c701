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
// Call Header first, then NextUser until it returns nil, then NextGroup
// until it returns nil, then End. Top-level members other than those of
// the format are refused (a typo must not drop data silently), as are
// header members after "users" and "users" after "groups".
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
	var fe *FormatError
	if errors.As(err, &fe) {
		return err
	}
	return err // a read error of the underlying stream
}

func (r *Reader) fail(err error) error {
	if r.firstErr == nil {
		r.firstErr = err
	}
	return err
}

// Header reads the document up to its users (or groups, or end) and
// returns the header.
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
	if !r.seen["schemas"] {
		return r.hdr, r.fail(formatErrorf("schemas", "missing: a tenant snapshot starts with \"schemas\": [%q]", SchemaURN))
	}
	if r.hdr.Version == 0 {
		return r.hdr, r.fail(formatErrorf("version", "missing"))
	}
	return r.hdr, nil
}

// keys reads top-level members until an array of records opens or the
// object ends.
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
			return nil
		}
		key, _ := tok.(string)
		if r.seen[key] {
			return formatErrorf(key, "given twice")
		}
		r.seen[key] = true
		switch key {
		case "users", "groups":
			if key == "users" && r.seen["groups"] {
				return formatErrorf("users", "must come before \"groups\"")
			}
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
			if r.seen["users"] || r.seen["groups"] {
				return formatErrorf(key, "must come before \"users\" and \"groups\"")
			}
			if err := r.headerValue(key); err != nil {
				return err
			}
		default:
			return formatErrorf("", "unknown member %q (a snapshot has schemas, version, tenant, exportedAt, customSchemas, users, groups)", key)
		}
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

// NextUser returns the next user, or nil after the last one.
func (r *Reader) NextUser() (*User, error) {
	if r.firstErr != nil {
		return nil, r.firstErr
	}
	if r.state == stStart {
		if _, err := r.Header(); err != nil {
			return nil, err
		}
	}
	if r.state != stUsers {
		return nil, nil
	}
	where := fmt.Sprintf("users[%d]", r.nu)
	m, ok, err := r.element("users", where)
	if err != nil || !ok {
		return nil, err
	}
	r.nu++
	u, err := decodeUser(m, where)
	if err != nil {
		return nil, r.fail(err)
	}
	u.Row = r.nu
	return u, nil
}

// NextGroup returns the next group, or nil after the last one. Users not
// read yet are skipped.
func (r *Reader) NextGroup() (*Group, error) {
	for r.firstErr == nil && (r.state == stStart || r.state == stUsers) {
		if _, err := r.NextUser(); err != nil {
			return nil, err
		}
	}
	if r.firstErr != nil {
		return nil, r.firstErr
	}
	if r.state != stGroups {
		return nil, nil
	}
	where := fmt.Sprintf("groups[%d]", r.ng)
	m, ok, err := r.element("groups", where)
	if err != nil || !ok {
		return nil, err
	}
	r.ng++
	g, err := decodeGroup(m, where)
	if err != nil {
		return nil, r.fail(err)
	}
	g.Row = r.ng
	return g, nil
}

// element decodes the next object of the open array, or closes the array
// and reads on to the next one (ok false).
func (r *Reader) element(key, where string) (map[string]any, bool, error) {
	if !r.dec.More() {
		if _, err := r.dec.Token(); err != nil { // ']'
			return nil, false, r.fail(r.syntax(key, err))
		}
		r.state = stKeys
		if err := r.keys(); err != nil {
			return nil, false, r.fail(err)
		}
		return nil, false, nil
	}
	var m map[string]any
	if err := r.dec.Decode(&m); err != nil {
		return nil, false, r.fail(r.syntax(where, err))
	}
	if m == nil {
		return nil, false, r.fail(formatErrorf(where, "must be an object, not null"))
	}
	return m, true, nil
}

// End reads the rest of the document (skipping records not read) and
// checks that nothing follows it.
func (r *Reader) End() error {
	for r.firstErr == nil && r.state != stEnd {
		if _, err := r.NextGroup(); err != nil {
			return err
		}
	}
	return r.firstErr
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
