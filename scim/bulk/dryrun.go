package bulk

import (
	"encoding/binary"
	"errors"
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
// It is built to stay small for million-row files (about 50 bytes per
// user in memory). Each user the run created or changed is a record in a
// temporary spill file: its id, version, attribute JSON and the groups the
// run added it to; a later version is appended and the user's slot points
// at it. In memory are only the slots and 64-bit hashes of identifiers:
// by id, and by each identifier kind that rows actually match by (userName
// always, for uniqueness; e-mails or externalId only once a row asks for
// them — the index of a kind is then built from the spill file). A hash hit
// is verified against the record, which also drops stale keys of a
// renamed user.
type dryState struct {
	on    bool
	seed  maphash.Seed
	spill *os.File
	off   int64
	buf   []byte

	users []vslot // outside the Go heap (appendSlot)
	byID  hindex  // by hash of the id (hits are checked against the record)
	// keys by store.UserKey (nil: kind not indexed yet)
	keys [5]*hindex
	// mem: memberships the run added to users it did not import (group
	// assignment files): hash(user id, group id). A user import keeps them
	// in the user's record instead.
	mem   map[uint64]struct{}
	group map[string]*store.Group
}

// appendSlot appends to the slots, which live outside the Go heap.
func appendSlot(users []vslot, v vslot) []vslot {
	if len(users) == cap(users) {
		grown := allocOffHeap[vslot](max(4096, 2*cap(users)))[:len(users)]
		copy(grown, users)
		freeOffHeap(users)
		users = grown
	}
	return append(users, v)
}

// vslot is where the latest record of an overlay user is in the spill
// file.
type vslot struct {
	off int64
	n   uint32
}

// dryUser is an overlay user: its latest version and the groups the run
// added it to.
type dryUser struct {
	user   *store.User
	groups []string
}

func newDryState(on bool) *dryState {
	d := &dryState{on: on}
	if on {
		d.seed = maphash.MakeSeed()
		d.keys[store.ByUserName] = &hindex{}
		d.mem = map[uint64]struct{}{}
		d.group = map[string]*store.Group{}
	}
	return d
}

// close releases the indexes and removes the spill file.
func (d *dryState) close() {
	d.byID.free()
	for _, x := range d.keys {
		if x != nil {
			x.free()
		}
	}
	freeOffHeap(d.users)
	d.users = nil
	if d.spill != nil {
		name := d.spill.Name()
		d.spill.Close()
		os.Remove(name)
		d.spill = nil
	}
}

func (d *dryState) hash(s string) uint64 { return maphash.String(d.seed, s) }

// encodeRecord appends a spill record: id, version, attributes, groups.
func encodeRecord(b []byte, u *store.User, groups []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(u.ID)))
	b = append(b, u.ID...)
	b = binary.AppendVarint(b, u.Version)
	b = binary.AppendUvarint(b, uint64(len(u.Attrs)))
	b = append(b, u.Attrs...)
	b = binary.AppendUvarint(b, uint64(len(groups)))
	for _, g := range groups {
		b = binary.AppendUvarint(b, uint64(len(g)))
		b = append(b, g...)
	}
	return b
}

var errBadRecord = errors.New("dry run overlay: corrupt spill record")

// decodeRecord reads a spill record.
func decodeRecord(b []byte) (id string, version int64, attrs []byte, groups []string, err error) {
	bytesOf := func() ([]byte, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return nil, false
		}
		v := b[k : k+int(n)]
		b = b[k+int(n):]
		return v, true
	}
	raw, ok := bytesOf()
	if !ok {
		return "", 0, nil, nil, errBadRecord
	}
	id = string(raw)
	version, k := binary.Varint(b)
	if k <= 0 {
		return "", 0, nil, nil, errBadRecord
	}
	b = b[k:]
	if attrs, ok = bytesOf(); !ok {
		return "", 0, nil, nil, errBadRecord
	}
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return "", 0, nil, nil, errBadRecord
	}
	b = b[k:]
	for ; n > 0; n-- {
		g, ok := bytesOf()
		if !ok {
			return "", 0, nil, nil, errBadRecord
		}
		groups = append(groups, string(g))
	}
	return id, version, attrs, groups, nil
}

// remember records the state of a user the chunk created, changed or
// added to groups; groups are all the groups the run has added it to.
func (d *dryState) remember(u *store.User, groups []string) error {
	if d.spill == nil {
		f, err := os.CreateTemp("", "scimd-dryrun-*")
		if err != nil {
			return fmt.Errorf("dry run overlay: %w", err)
		}
		d.spill = f
	}
	d.buf = encodeRecord(d.buf[:0], u, groups)
	if _, err := d.spill.WriteAt(d.buf, d.off); err != nil {
		return fmt.Errorf("dry run overlay: %w", err)
	}
	slot := vslot{off: d.off, n: uint32(len(d.buf))}
	d.off += int64(len(d.buf))
	idx, err := d.find(u.ID)
	if err != nil {
		return err
	}
	if idx >= 0 {
		d.users[idx] = slot
	} else {
		idx = int32(len(d.users))
		d.users = appendSlot(d.users, slot)
		d.byID.add(d.hash(u.ID), idx)
	}
	d.indexUser(u, idx)
	return nil
}

// indexedKinds are the identifier kinds the overlay can index.
var indexedKinds = [...]store.UserKey{store.ByUserName, store.ByExternalID, store.ByUserUUID, store.ByEmail}

// userKeys returns u's identifiers of kind by (as stored, not normalised).
func userKeys(u *store.User, by store.UserKey) []string {
	switch by {
	case store.ByUserName:
		return []string{u.UserName}
	case store.ByExternalID:
		return []string{u.ExternalID}
	case store.ByUserUUID:
		return []string{u.UserUUID}
	case store.ByEmail:
		return u.Emails
	}
	return nil
}

// indexUser adds u's identifiers of the indexed kinds.
func (d *dryState) indexUser(u *store.User, idx int32) {
	for _, by := range indexedKinds {
		if d.keys[by] == nil {
			continue
		}
		for _, v := range userKeys(u, by) {
			d.addKey(by, v, idx)
		}
	}
}

func (d *dryState) addKey(by store.UserKey, v string, idx int32) {
	if v != "" {
		d.keys[by].add(d.hash(normKey(by, v)), idx)
	}
}

// need makes sure identifiers of kind by are indexed: the first time a
// row matches by a kind, its index is built from the users remembered so
// far.
func (d *dryState) need(by store.UserKey) error {
	if !d.on || by == store.ByID || d.keys[by] != nil {
		return nil
	}
	d.keys[by] = &hindex{}
	for i := range d.users {
		du, err := d.load(int32(i))
		if err != nil {
			return err
		}
		for _, v := range userKeys(du.user, by) {
			d.addKey(by, v, int32(i))
		}
	}
	return nil
}

// read returns the record at idx.
func (d *dryState) read(idx int32) (id string, version int64, attrs []byte, groups []string, err error) {
	v := d.users[idx]
	raw := make([]byte, v.n)
	if _, err := d.spill.ReadAt(raw, v.off); err != nil {
		return "", 0, nil, nil, fmt.Errorf("dry run overlay: %w", err)
	}
	return decodeRecord(raw)
}

// load returns the user at idx as it is now in the overlay.
func (d *dryState) load(idx int32) (dryUser, error) {
	id, version, raw, groups, err := d.read(idx)
	if err != nil {
		return dryUser{}, err
	}
	attrs, err := store.DecodeAttrs(raw)
	if err != nil {
		return dryUser{}, err
	}
	u := &store.User{ID: id, Version: version}
	if err := u.SetAttrs(attrs); err != nil {
		return dryUser{}, err
	}
	return dryUser{user: u, groups: groups}, nil
}

// find returns the slot of the user with this id, or -1.
func (d *dryState) find(id string) (int32, error) {
	found := int32(-1)
	var err error
	d.byID.get(d.hash(id), func(i int32) bool {
		var got string
		if got, _, _, _, err = d.read(i); err != nil || got == id {
			found = i
			return false
		}
		return true // another id with the same hash half
	})
	if err != nil {
		return -1, err
	}
	return found, nil
}

// get returns the overlay's version of a user the run created or changed
// (ok false if it has none).
func (d *dryState) get(id string) (du dryUser, ok bool, err error) {
	if !d.on {
		return dryUser{}, false, nil
	}
	i, err := d.find(id)
	if err != nil || i < 0 {
		return dryUser{}, false, err
	}
	du, err = d.load(i)
	return du, err == nil, err
}

// lookup returns the overlay users whose current identifier by equals v
// (need(by) must have been called).
func (d *dryState) lookup(by store.UserKey, v string) ([]dryUser, error) {
	if !d.on || v == "" || d.keys[by] == nil {
		return nil, nil
	}
	k := normKey(by, v)
	var cands []int32
	d.keys[by].get(d.hash(k), func(i int32) bool { cands = append(cands, i); return true })
	var out []dryUser
	for _, c := range cands {
		du, err := d.load(c)
		if err != nil {
			return nil, err
		}
		if hasKey(du.user, by, k) { // not a collision, not a stale key
			out = append(out, du)
		}
	}
	return out, nil
}

// hasKey reports whether u's identifier by equals k (normalised).
func hasKey(u *store.User, by store.UserKey, k string) bool {
	for _, v := range userKeys(u, by) {
		if normKey(by, v) == k {
			return true
		}
	}
	return false
}

func (d *dryState) memberKey(uid, gid string) uint64 {
	return d.hash(uid + "\x00" + gid)
}

// isMember reports whether a group assignment run added user uid to group
// gid earlier.
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
