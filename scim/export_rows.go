package scim

import (
	"context"
	"slices"

	"github.com/scimd/scimd/bulkcsv"
	"github.com/scimd/scimd/store"
)

// userExporter writes batches of users as CSV rows. It runs on one
// goroutine (scanBatches' processing side); rows and truncated are read
// after scanBatches returns.
type userExporter struct {
	st     store.Store
	tid    int64
	groups bool // look up the groups column
	w      *bulkcsv.Writer
	dec    *attrDecoder
	out    *csvStream

	rows, truncated int64
	ids             []string
	names           []string
}

// writeBatch writes one batch: one GroupsOfUsers call for the whole batch
// when the groups column is exported, then one row per user, then a flush
// to the client.
func (x *userExporter) writeBatch(ctx context.Context, users []*store.User) error {
	var groups map[string][]store.GroupRef
	if x.groups {
		x.ids = x.ids[:0]
		for _, u := range users {
			x.ids = append(x.ids, u.ID)
		}
		var err error
		if groups, err = x.st.GroupsOfUsers(ctx, x.tid, x.ids); err != nil {
			return err
		}
	}
	for _, u := range users {
		attrs, err := x.dec.decode(u.Attrs)
		if err != nil {
			return err
		}
		attrs["id"] = u.ID
		x.names = x.names[:0]
		for _, g := range groups[u.ID] {
			x.names = append(x.names, g.Display)
		}
		// By name, not by group id, so that the same memberships export
		// the same way in every tenant.
		slices.Sort(x.names)
		n, err := x.w.Write(attrs, x.names)
		if err != nil {
			return err
		}
		x.rows++
		x.truncated += int64(n)
	}
	return x.flush()
}

// flush sends the rows written so far to the client.
func (x *userExporter) flush() error {
	if err := x.w.Flush(); err != nil {
		return err
	}
	return x.out.flush()
}

// groupExporter writes batches of groups with their member ids.
type groupExporter struct {
	st  store.Store
	tid int64
	w   *bulkcsv.GroupsWriter
	out *csvStream

	rows    int64
	ids     []string
	members []string
}

func (x *groupExporter) writeBatch(ctx context.Context, groups []*store.Group) error {
	x.ids = x.ids[:0]
	for _, g := range groups {
		x.ids = append(x.ids, g.ID)
	}
	ms, err := x.st.Members(ctx, x.tid, x.ids)
	if err != nil {
		return err
	}
	for _, g := range groups {
		x.members = x.members[:0]
		for _, m := range ms[g.ID] {
			// SPEC §7: members are the group's user ids; a nested
			// group is not a user (GET /Groups/{id} shows it).
			if m.Type == store.MemberUser {
				x.members = append(x.members, m.Value)
			}
		}
		if err := x.w.Write(g.ID, g.DisplayName, g.ExternalID, x.members); err != nil {
			return err
		}
		x.rows++
	}
	return x.flush()
}

// flush sends the rows written so far to the client.
func (x *groupExporter) flush() error {
	if err := x.w.Flush(); err != nil {
		return err
	}
	return x.out.flush()
}
