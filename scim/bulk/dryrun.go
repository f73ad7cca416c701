package bulk

import (
	"fmt"
	"hash/maphash"
	"os"
	"strings"

	"github.com/scimd/scimd/store"
)

// dryState is the overlay of a dry run: what the run would have written in
// earlier chunks (users created or changed, memberships added, groups
// created), so that later rows see it exactly as a real run would, without
// anything being written to the tenant.
//
// It is built to stay small for million-row files: identifiers are kept
// as 64-bit hashes, and a user's attribute JSON is spilled to a temporary
// file and read back only when a later row matches the user (a hash hit is
// verified against the user's current attributes, which also drops stale
// keys of a renamed user). Memberships are hashes of (user, group).
type dryState struct {
	on    bool
	seed  maphash.Seed
	spill *os.File
	off   int64

	users []vuser
	byID  map[uint64]int32    // by id (a collision keeps the first; get checks the id)
	keys  [5]map[uint64]int32 // by store.UserKey; -1: several users
	multi map[[2]uint64][]int32
	mem   map[uint64]struct{} // memberships added: hash(user id, group id)
	group map[string]*store.Group
}

// vuser is one user of the overlay: its id and where its attribute JSON
// (the latest version) is in the spill file.
type vuser struct {
	id      string
	version int64
	off     int64
	n       int32
	created bool // created by the run (not an existing user changed)
}

func newDryState(on bool) *dryState {
	d := &dryState{on: on}
	if on {
		d.seed = maphash.MakeSeed()
		d.byID = map[uint64]int32{}
		for i := range d.keys {
			d.keys[i] = map[uint64]int32{}
		}
		d.multi = map[[2]uint64][]int32{}
		d.mem = map[uint64]struct{}{}
		d.group = map[string]*store.Group{}
	}
	return d
}

// close removes the spill file.
func (d *dryState) close() {
	if d.spill != nil {
		name := d.spill.Name()
		d.spill.Close()
		os.Remove(name)
		d.spill = nil
	}
}

func (d *dryState) hash(s string) uint64 { return maphash.String(d.seed, s) }

// remember records the state of a user the chunk created or changed.
func (d *dryState) remember(u *store.User, created bool) error {
	if d.spill == nil {
		f, err := os.CreateTemp("", "scimd-dryrun-*")
		if err != nil {
			return fmt.Errorf("dry run overlay: %w", err)
		}
		d.spill = f
	}
	if _, err := d.spill.WriteAt(u.Attrs, d.off); err != nil {
		return fmt.Errorf("dry run overlay: %w", err)
	}
	idx, known := int32(-1), false
	if i, ok := d.byID[d.hash(u.ID)]; ok && d.users[i].id == u.ID {
		idx, known = i, true
	}
	v := vuser{id: u.ID, version: u.Version, off: d.off, n: int32(len(u.Attrs)), created: created}
	d.off += int64(len(u.Attrs))
	if known {
		v.created = d.users[idx].created
		d.users[idx] = v
	} else {
		idx = int32(len(d.users))
		d.users = append(d.users, v)
		d.byID[d.hash(u.ID)] = idx
	}
	d.addKey(store.ByUserName, u.UserName, idx)
	d.addKey(store.ByExternalID, u.ExternalID, idx)
	for _, m := range u.Emails {
		d.addKey(store.ByEmail, m, idx)
	}
	return nil
}

func (d *dryState) addKey(by store.UserKey, v string, idx int32) {
	if v == "" {
		return
	}
	h := d.hash(normKey(by, v))
	prev, ok := d.keys[by][h]
	switch {
	case !ok:
		d.keys[by][h] = idx
	case prev == idx:
	case prev >= 0:
		d.keys[by][h] = -1
		d.multi[[2]uint64{uint64(by), h}] = []int32{prev, idx}
	default:
		k := [2]uint64{uint64(by), h}
		for _, x := range d.multi[k] {
			if x == idx {
				return
			}
		}
		d.multi[k] = append(d.multi[k], idx)
	}
}

// load returns the user at idx as it is now in the overlay.
func (d *dryState) load(idx int32) (*store.User, error) {
	v := d.users[idx]
	raw := make([]byte, v.n)
	if _, err := d.spill.ReadAt(raw, v.off); err != nil {
		return nil, fmt.Errorf("dry run overlay: %w", err)
	}
	attrs, err := store.DecodeAttrs(raw)
	if err != nil {
		return nil, err
	}
	u := &store.User{ID: v.id, Version: v.version}
	if err := u.SetAttrs(attrs); err != nil {
		return nil, err
	}
	return u, nil
}

// get returns the overlay's version of a user the run created or changed.
func (d *dryState) get(id string) (*store.User, error) {
	if !d.on {
		return nil, nil
	}
	i, ok := d.byID[d.hash(id)]
	if !ok || d.users[i].id != id {
		return nil, nil
	}
	return d.load(i)
}

// lookup returns the overlay users whose current identifier by equals v.
func (d *dryState) lookup(by store.UserKey, v string) ([]*store.User, error) {
	if !d.on || v == "" {
		return nil, nil
	}
	k := normKey(by, v)
	h := d.hash(k)
	i, ok := d.keys[by][h]
	if !ok {
		return nil, nil
	}
	cands := []int32{i}
	if i < 0 {
		cands = d.multi[[2]uint64{uint64(by), h}]
	}
	var out []*store.User
	for _, c := range cands {
		u, err := d.load(c)
		if err != nil {
			return nil, err
		}
		if hasKey(u, by, k) { // not a collision, not a stale key
			out = append(out, u)
		}
	}
	return out, nil
}

// hasKey reports whether u's identifier by equals k (normalised).
func hasKey(u *store.User, by store.UserKey, k string) bool {
	switch by {
	case store.ByUserName:
		return strings.ToLower(u.UserName) == k
	case store.ByExternalID:
		return u.ExternalID == k
	case store.ByEmail:
		for _, m := range u.Emails {
			if strings.ToLower(m) == k {
				return true
			}
		}
	}
	return false
}

func (d *dryState) memberKey(uid, gid string) uint64 {
	return d.hash(uid + "\x00" + gid)
}

// isMember reports whether the run added user uid to group gid earlier.
func (d *dryState) isMember(uid, gid string) bool {
	if !d.on {
		return false
	}
	_, ok := d.mem[d.memberKey(uid, gid)]
	return ok
}

func (d *dryState) addMember(uid, gid string) {
	d.mem[d.memberKey(uid, gid)] = struct{}{}
}

func (d *dryState) rememberGroup(g *store.Group) {
	d.group[strings.ToLower(g.DisplayName)] = g
}

func (d *dryState) groupByName(name string) *store.Group {
	if !d.on {
		return nil
	}
	return d.group[strings.ToLower(name)]
}
