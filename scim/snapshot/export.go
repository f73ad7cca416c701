package snapshot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store"
)

// Export batching: the output is flushed after every batch of users, and
// the members of a batch of groups are read with one Members call.
const (
	exportUserBatch  = 500
	exportGroupBatch = 100
)

// Exporter writes tenant snapshots.
type Exporter struct {
	Store store.Store
	Reg   *schemas.Registry
	Now   func() time.Time
}

// ExportStats counts what an export wrote.
type ExportStats struct {
	Users, Groups, Members int64
}

// Export writes the snapshot of tenant t to w, streamed: users are written
// as the store scans them and flush (which may be nil) is called after
// every batch, so memory holds one batch of users or of groups with their
// members, never the tenant. w should be buffered. A write error ends the
// export with that error (unwrapped, so the caller can tell a client that
// went away); the document is then incomplete.
func (x *Exporter) Export(ctx context.Context, t store.Tenant, w io.Writer, flush func() error) (ExportStats, error) {
	var st ExportStats
	if flush == nil {
		flush = func() error { return nil }
	}
	now := time.Now
	if x.Now != nil {
		now = x.Now
	}
	var buf bytes.Buffer
	if err := x.writeHeader(&buf, t, now()); err != nil {
		return st, err
	}
	buf.WriteString(`,"users":[`)
	emit := func() error {
		_, err := w.Write(buf.Bytes())
		buf.Reset()
		return err
	}
	if err := emit(); err != nil {
		return st, err
	}
	if err := flush(); err != nil {
		return st, err
	}
	pending := 0
	err := x.Store.ScanUsers(ctx, t.ID, store.Query{Count: -1}, func(u *store.User) error {
		if st.Users > 0 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
		if err := writeUser(&buf, u); err != nil {
			return err
		}
		st.Users++
		if buf.Len() >= 32<<10 {
			if err := emit(); err != nil {
				return err
			}
		}
		if pending++; pending == exportUserBatch {
			pending = 0
			if err := emit(); err != nil {
				return err
			}
			return flush()
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	buf.WriteString("\n],\"groups\":[")
	if err := emit(); err != nil {
		return st, err
	}
	batch := make([]*store.Group, 0, exportGroupBatch)
	writeGroups := func() error {
		if len(batch) == 0 {
			return nil
		}
		ids := make([]string, len(batch))
		for i, g := range batch {
			ids[i] = g.ID
		}
		members, err := x.Store.Members(ctx, t.ID, ids)
		if err != nil {
			return err
		}
		for _, g := range batch {
			if st.Groups > 0 {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
			ms := members[g.ID]
			if err := writeGroup(&buf, g, ms); err != nil {
				return err
			}
			st.Groups++
			st.Members += int64(len(ms))
			if buf.Len() >= 32<<10 {
				if err := emit(); err != nil {
					return err
				}
			}
		}
		batch = batch[:0]
		if err := emit(); err != nil {
			return err
		}
		return flush()
	}
	err = x.Store.ScanGroups(ctx, t.ID, store.Query{Count: -1}, func(g *store.Group) error {
		batch = append(batch, g)
		if len(batch) == exportGroupBatch {
			return writeGroups()
		}
		return nil
	})
	if err == nil {
		err = writeGroups()
	}
	if err != nil {
		return st, err
	}
	buf.WriteString("\n]}\n")
	if err := emit(); err != nil {
		return st, err
	}
	return st, flush()
}

// writeHeader writes the document up to the custom schemas included.
func (x *Exporter) writeHeader(buf *bytes.Buffer, t store.Tenant, at time.Time) error {
	custom := make([]CustomSchema, 0, len(x.Reg.Custom()))
	for _, s := range x.Reg.Custom() {
		cs := CustomSchema{Schema: *s, ResourceType: "User"}
		rt := x.Reg.Users
		if x.Reg.Groups.Extension(s.ID) != nil {
			cs.ResourceType, rt = "Group", x.Reg.Groups
		}
		for _, e := range rt.Extensions {
			if strings.EqualFold(e.Schema.ID, s.ID) {
				cs.Required = e.Required
			}
		}
		custom = append(custom, cs)
	}
	cj, err := json.Marshal(custom)
	if err != nil {
		return fmt.Errorf("encode custom schemas: %w", err)
	}
	fmt.Fprintf(buf, `{"schemas":[%q],"version":%d,"tenant":`, SchemaURN, Version)
	writeString(buf, t.Name)
	buf.WriteString(`,"exportedAt":`)
	writeString(buf, formatTime(at))
	buf.WriteString(`,"customSchemas":`)
	buf.Write(cj)
	return nil
}

// writeUser writes a user: id, the stored attributes, meta and the hash.
func writeUser(buf *bytes.Buffer, u *store.User) error {
	buf.WriteString(`{"id":`)
	writeString(buf, u.ID)
	if err := spliceAttrs(buf, u.Attrs); err != nil {
		return fmt.Errorf("user %s: %w", u.ID, err)
	}
	writeMeta(buf, "User", u.Created, u.Modified, u.Version)
	if u.PasswordHash != "" {
		buf.WriteString(`,"` + PasswordHashKey + `":`)
		writeString(buf, u.PasswordHash)
	}
	buf.WriteByte('}')
	return nil
}

// writeGroup writes a group: id, attributes, meta and members.
func writeGroup(buf *bytes.Buffer, g *store.Group, members []store.Member) error {
	buf.WriteString(`{"id":`)
	writeString(buf, g.ID)
	if err := spliceAttrs(buf, g.Attrs); err != nil {
		return fmt.Errorf("group %s: %w", g.ID, err)
	}
	writeMeta(buf, "Group", g.Created, g.Modified, g.Version)
	buf.WriteString(`,"members":[`)
	for i, m := range members {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"value":`)
		writeString(buf, m.Value)
		buf.WriteString(`,"type":`)
		typ := m.Type
		if typ == "" {
			typ = store.MemberUser
		}
		writeString(buf, typ)
		buf.WriteByte('}')
	}
	buf.WriteString("]}")
	return nil
}

func writeMeta(buf *bytes.Buffer, rt string, created, modified time.Time, version int64) {
	buf.WriteString(`,"meta":{"resourceType":"` + rt + `","created":"`)
	buf.WriteString(formatTime(created))
	buf.WriteString(`","lastModified":"`)
	buf.WriteString(formatTime(modified))
	buf.WriteString(`","version":`)
	writeString(buf, etag(version))
	buf.WriteByte('}')
}

// spliceAttrs writes the members of a stored attribute object (without
// its braces), preceded by a comma.
func spliceAttrs(buf *bytes.Buffer, raw json.RawMessage) error {
	s := bytes.TrimSpace(raw)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return fmt.Errorf("stored attributes are not a JSON object")
	}
	inner := bytes.TrimSpace(s[1 : len(s)-1])
	if len(inner) > 0 {
		buf.WriteByte(',')
		buf.Write(inner)
	}
	return nil
}

func writeString(buf *bytes.Buffer, s string) {
	raw, _ := json.Marshal(s) // a string always encodes
	buf.Write(raw)
}
