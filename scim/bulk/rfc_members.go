package bulk

import (
	"context"
	"fmt"

	"github.com/scimd/scimd/scim/resource"
	"github.com/scimd/scimd/store"
)

// invalidValue is a client error with scimType invalidValue (400).
func invalidValue(format string, args ...any) error {
	return &resource.Error{ScimType: resource.InvalidValue, Detail: fmt.Sprintf(format, args...)}
}

// ResolveMembers checks that every member exists in the tenant and fills
// its GroupID and Type. A member that is neither a user nor a group of the
// tenant, or the group itself, fails with invalidValue. The HTTP Group
// handlers and /Bulk share it.
func ResolveMembers(ctx context.Context, tx store.Tx, groupID string, ms []store.Member) error {
	if len(ms) == 0 {
		return nil
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.Value
	}
	users, groups, err := tx.ExistingIDs(ctx, ids)
	if err != nil {
		return err
	}
	for i := range ms {
		m := &ms[i]
		m.GroupID = groupID
		switch {
		case m.Value == groupID:
			return invalidValue("a group cannot be a member of itself (%s)", m.Value)
		case users[m.Value] && m.Type != store.MemberGroup:
			m.Type = store.MemberUser
		case groups[m.Value] && m.Type != store.MemberUser:
			m.Type = store.MemberGroup
		default:
			return invalidValue("member %q is not a user or group of this tenant", m.Value)
		}
	}
	return nil
}

// ApplyDelta writes a group's member delta inside tx and reports whether
// the membership changed. Members to add are checked with ResolveMembers.
func ApplyDelta(ctx context.Context, tx store.Tx, groupID string, d resource.MemberDelta) (bool, error) {
	changed := false
	if d.ReplaceAll {
		if err := tx.RemoveAllMembers(ctx, groupID); err != nil {
			return false, err
		}
		changed = true
		if err := ResolveMembers(ctx, tx, groupID, d.Set); err != nil {
			return false, err
		}
		if _, err := tx.AddMembers(ctx, d.Set); err != nil {
			return false, err
		}
	}
	if len(d.Remove) > 0 {
		rm := make([]store.Member, len(d.Remove))
		for i, id := range d.Remove {
			rm[i] = store.Member{GroupID: groupID, Value: id}
		}
		n, err := tx.RemoveMembers(ctx, rm)
		if err != nil {
			return false, err
		}
		changed = changed || n > 0
	}
	if len(d.Add) > 0 {
		if err := ResolveMembers(ctx, tx, groupID, d.Add); err != nil {
			return false, err
		}
		n, err := tx.AddMembers(ctx, d.Add)
		if err != nil {
			return false, err
		}
		changed = changed || n > 0
	}
	return changed, nil
}
