package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/scimd/scimd/store"
)

// OnMatch says what a user upsert does when the user exists.
type OnMatch uint8

const (
	// MatchUpdate updates the matched user (mode=update).
	MatchUpdate OnMatch = iota
	// MatchIgnore skips the row (mode=ignore).
	MatchIgnore
	// MatchFail fails the row (mode=fail; the importer's pre-check makes
	// sure no row matches before anything is written).
	MatchFail
)

// Key is a user identifier to match by.
type Key struct {
	By    store.UserKey
	Value string
}

// UserKey is an identifier kind (store.UserKey).
type UserKey = store.UserKey

// Identifier kinds for Key.By, re-exported so that callers (bulkcsv) need
// not import the store.
const (
	ByID         = store.ByID
	ByUserName   = store.ByUserName
	ByExternalID = store.ByExternalID
	ByEmail      = store.ByEmail
	ByUserUUID   = store.ByUserUUID
)

// UserUpsert is one user-import row as an operation: with ID it updates
// that user only (an unknown id fails, never creates); otherwise the first
// Match key that finds a user selects it, and no match creates a user.
type UserUpsert struct {
	Row      int64
	UserName string // for the report when the row fails before matching
	// Err fails the row at once (it could not be mapped); nothing is written.
	Err     error
	ID      string
	Match   []Key
	OnMatch OnMatch
	// Create returns the attributes of a new user.
	Create func() map[string]any
	// Merge returns the attributes of the matched user after applying the
	// row to its stored attributes (which it must not modify).
	Merge       func(stored map[string]any) map[string]any
	Password    string
	HasPassword bool
	// Groups are group display names to add the user to (add-only).
	Groups []string

	// prepared is the user the row would create, built ahead of the chunk
	// by prepareUser (on another goroutine); prepErr its error.
	prepared *store.User
	prepErr  error
	isPrep   bool
	newID    string // reserved by reserveID
}

// prefetchBatch is the number of operations pulled and prepared ahead at
// a time.
const prefetchBatch = 256

// reserveID assigns, in operation order, the id the operation's user gets
// if it is created; prepareUser may then run on any goroutine without ids
// losing that order (id order is the default list order).
func (e *Engine) reserveID(op *UserUpsert) {
	if op.Err == nil && op.ID == "" && op.Create != nil && op.newID == "" {
		op.newID = e.Svc.NewID()
	}
}

// prepareUser builds, ahead of time, the user an operation would create
// (the resource rules, JSON encoding and password hashing: most of a
// create's CPU), on another core while earlier chunks are applied. It is
// safe to call concurrently on distinct operations; work for a row that
// turns out to update an existing user is discarded.
func (e *Engine) prepareUser(op *UserUpsert) {
	if op.Err != nil || op.ID != "" || op.Create == nil || op.isPrep {
		return
	}
	op.isPrep = true
	u, err := e.Svc.NewUserWithID(op.Create(), op.newID)
	if err == nil && op.HasPassword {
		u.PasswordHash, err = e.Svc.Hash(op.Password)
	}
	op.prepared, op.prepErr = u, err
}

// newUser returns the user op creates: the prepared one, or a new one.
func (c *usersChunk) newUser(op *UserUpsert, attrs map[string]any) (*store.User, error) {
	if op.isPrep {
		return op.prepared, op.prepErr
	}
	u, err := c.e.Svc.NewUserWithID(attrs, op.newID)
	if err == nil && op.HasPassword {
		u.PasswordHash, err = c.e.Svc.Hash(op.Password)
	}
	return u, err
}

// UsersOptions configure ImportUsers.
type UsersOptions struct {
	ChunkSize int
	// DryRun computes the same outcomes without writing users, groups or
	// memberships (the checkpoint and report are still written).
	DryRun bool
	// CreateGroups creates groups named in Groups that do not exist;
	// otherwise such a row fails.
	CreateGroups bool
}

// ImportUsers applies user upserts from next in chunks, one transaction
// per chunk, reporting each chunk to sink.
func (e *Engine) ImportUsers(ctx context.Context, tenantID int64, next func() (UserUpsert, bool, error), opts UsersOptions, sink Sink) error {
	dry := newDryState(opts.DryRun)
	defer dry.close()
	// Operations are pulled and the users they would create are built
	// (resource rules, JSON, password hashing) on other cores while the
	// chunk before them is applied; ids are reserved in operation order.
	pull, stop := prefetch(ctx, func() (UserUpsert, bool, error) {
		op, ok, err := next()
		if ok {
			e.reserveID(&op)
		}
		return op, ok, err
	}, e.prepareUser, prefetchBatch, chunkSize(opts.ChunkSize))
	defer stop()
	var stats statsRefresh
	return chunked(ctx, opts.ChunkSize, pull, func(ops []UserUpsert) error {
		if err := e.usersChunk(ctx, tenantID, ops, opts, dry, sink); err != nil {
			return err
		}
		if !opts.DryRun {
			stats.add(ctx, e, len(ops))
		}
		return nil
	})
}

func (e *Engine) usersChunk(ctx context.Context, tenantID int64, ops []UserUpsert, opts UsersOptions, dry *dryState, sink Sink) error {
	err := e.runChunk(ctx, tenantID, sink, func(tx store.Tx) ([]Result, ChunkInfo, error) {
		c := &usersChunk{e: e, ctx: ctx, tx: tx, tenantID: tenantID, opts: opts, dry: dry}
		return c.run(ops)
	})
	if errors.Is(err, errReplay) && len(ops) > 1 {
		e.Log.WarnContext(ctx, "bulk: chunk hit a write conflict; replaying it one operation per transaction", "ops", len(ops))
		for i := range ops {
			if err := e.usersChunk(ctx, tenantID, ops[i:i+1], opts, dry, sink); err != nil {
				return err
			}
		}
		return nil
	}
	return err
}

// entry is a user known to the chunk: loaded from the database or created
// by an earlier operation of the chunk.
type entry struct {
	user    *store.User
	attrs   map[string]any // decoded attributes (lazily)
	isNew   bool           // inserted by this chunk
	dirty   bool           // updated by this chunk (not new): written by UpdateUsers
	changed bool           // changed by this chunk (new or not)
	virtual bool           // dry run: the overlay's version (created or changed by an earlier chunk)
	rows    []int          // indexes of results whose effect depends on this entry
	// dry run: groups earlier chunks added the user to (dryGroups) and
	// groups this chunk adds it to (added).
	dryGroups, added []string
}

type usersChunk struct {
	e        *Engine
	ctx      context.Context
	tx       store.Tx
	tenantID int64
	opts     UsersOptions
	dry      *dryState

	byID   map[string]*entry
	byKey  [5]map[string][]*entry // by store.UserKey, keys normalised
	groups map[string]*store.Group
	// memberships already present: userID -> set of groupIDs
	memberOf  map[string]map[string]bool
	newGroups []*store.Group
	inserts   []*entry
	members   []store.Member
	touched   map[string]bool
}

func normKey(by store.UserKey, v string) string {
	switch by {
	case store.ByUserName, store.ByEmail, store.ByUserUUID:
		return strings.ToLower(v)
	}
	return v
}

func (c *usersChunk) index(en *entry) {
	u := en.user
	c.byID[u.ID] = en
	add := func(by store.UserKey, v string) {
		if v == "" {
			return
		}
		k := normKey(by, v)
		for _, x := range c.byKey[by][k] {
			if x == en {
				return
			}
		}
		c.byKey[by][k] = append(c.byKey[by][k], en)
	}
	add(store.ByUserName, u.UserName)
	add(store.ByExternalID, u.ExternalID)
	add(store.ByUserUUID, u.UserUUID)
	for _, m := range u.Emails {
		add(store.ByEmail, m)
	}
}

// unindex removes en from the identifier indexes (before re-indexing it
// with changed identifiers).
func (c *usersChunk) unindex(en *entry) {
	for by := range c.byKey {
		for k, list := range c.byKey[by] {
			for i, x := range list {
				if x == en {
					c.byKey[by][k] = append(list[:i:i], list[i+1:]...)
					break
				}
			}
		}
	}
}

// load fetches every user the chunk may touch: one query per identifier
// kind.
func (c *usersChunk) load(ops []UserUpsert) error {
	c.byID = map[string]*entry{}
	for i := range c.byKey {
		c.byKey[i] = map[string][]*entry{}
	}
	want := map[store.UserKey][]string{}
	seen := map[store.UserKey]map[string]bool{}
	ask := func(by store.UserKey, v string) {
		if v == "" {
			return
		}
		if seen[by] == nil {
			seen[by] = map[string]bool{}
		}
		if k := normKey(by, v); !seen[by][k] {
			seen[by][k] = true
			want[by] = append(want[by], v)
		}
	}
	for i := range ops {
		op := &ops[i]
		if op.Err != nil {
			continue
		}
		if op.ID != "" {
			ask(store.ByID, op.ID)
			// A row with an id may rename the user: load the holder of
			// the new userName so that the conflict is seen.
			ask(store.ByUserName, op.UserName)
			continue
		}
		for _, k := range op.Match {
			ask(k.By, k.Value)
		}
		switch { // uniqueness of a user the row may create
		case op.isPrep && op.prepared != nil:
			ask(store.ByUserName, op.prepared.UserName)
		case op.Create != nil && !op.isPrep:
			if un, _ := op.Create()["userName"].(string); un != "" {
				ask(store.ByUserName, un)
			}
		}
	}
	for by, values := range want {
		found, err := c.tx.UsersBy(c.ctx, by, values)
		if err != nil {
			return err
		}
		for _, us := range found {
			for _, u := range us {
				if c.byID[u.ID] != nil {
					continue
				}
				en := &entry{user: u}
				// A dry run sees its own earlier changes of this user.
				if du, ok, err := c.dry.get(u.ID); err != nil {
					return err
				} else if ok {
					en = &entry{user: du.user, virtual: true, dryGroups: du.groups}
				}
				c.index(en)
			}
		}
	}
	if !c.dry.on {
		return nil
	}
	// Users a dry run created or renamed in earlier chunks, by the keys
	// this chunk asks for.
	for by, values := range want {
		if by == store.ByID {
			continue
		}
		if err := c.dry.need(by); err != nil {
			return err
		}
		for _, v := range values {
			dus, err := c.dry.lookup(by, v)
			if err != nil {
				return err
			}
			for _, du := range dus {
				if c.byID[du.user.ID] == nil {
					c.index(&entry{user: du.user, virtual: true, dryGroups: du.groups})
				}
			}
		}
	}
	return nil
}

// loadGroups fetches the named groups and the existing memberships of the
// loaded users.
func (c *usersChunk) loadGroups(ops []UserUpsert) error {
	c.groups = map[string]*store.Group{}
	c.touched = map[string]bool{}
	var names []string
	seen := map[string]bool{}
	for i := range ops {
		for _, g := range ops[i].Groups {
			if k := strings.ToLower(g); !seen[k] {
				seen[k] = true
				names = append(names, g)
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	found, err := c.tx.GroupsBy(c.ctx, true, names)
	if err != nil {
		return err
	}
	for _, gs := range found {
		for _, g := range gs {
			c.groups[strings.ToLower(g.DisplayName)] = g
		}
	}
	for _, name := range names {
		if g := c.dry.groupByName(name); g != nil && c.groups[strings.ToLower(name)] == nil {
			c.groups[strings.ToLower(name)] = g
		}
	}
	ids := make([]string, 0, len(c.byID))
	for id := range c.byID {
		ids = append(ids, id)
	}
	c.memberOf = map[string]map[string]bool{}
	for id, en := range c.byID { // a dry run's earlier additions
		for _, g := range en.dryGroups {
			c.memberSet(id)[g] = true
		}
	}
	if len(ids) == 0 {
		return nil
	}
	refs, err := c.e.Store.GroupsOfUsers(c.ctx, c.tenantID, ids)
	if err != nil {
		return err
	}
	for uid, rs := range refs {
		set := c.memberSet(uid)
		for _, r := range rs {
			set[r.GroupID] = true
		}
	}
	return nil
}

// memberSet returns the set of groups user uid is known to be in.
func (c *usersChunk) memberSet(uid string) map[string]bool {
	set := c.memberOf[uid]
	if set == nil {
		set = map[string]bool{}
		c.memberOf[uid] = set
	}
	return set
}

func (c *usersChunk) run(ops []UserUpsert) ([]Result, ChunkInfo, error) {
	if err := c.load(ops); err != nil {
		return nil, ChunkInfo{}, err
	}
	if err := c.loadGroups(ops); err != nil {
		return nil, ChunkInfo{}, err
	}
	results := make([]Result, len(ops))
	for i := range ops {
		results[i] = c.apply(&ops[i], i)
	}
	info, err := c.write(results)
	return results, info, err
}

// find returns the entry an operation targets, or a failure.
func (c *usersChunk) find(op *UserUpsert) (*entry, error) {
	if op.ID != "" {
		if en := c.byID[op.ID]; en != nil {
			return en, nil
		}
		return nil, rowErrorf("no user with id %q in this tenant (a row with an id never creates a user)", op.ID)
	}
	for _, k := range op.Match {
		if k.Value == "" {
			continue
		}
		list := c.byKey[k.By][normKey(k.By, k.Value)]
		switch len(list) {
		case 0:
			continue
		case 1:
			return list[0], nil
		default:
			return nil, rowErrorf("%d users match %s %q; the row is ambiguous", len(list), keyName(k.By), k.Value)
		}
	}
	return nil, nil
}

func keyName(by store.UserKey) string {
	switch by {
	case store.ByID:
		return "id"
	case store.ByUserName:
		return "userName"
	case store.ByExternalID:
		return "externalId"
	case store.ByEmail:
		return "emails"
	case store.ByUserUUID:
		return "userUuid"
	}
	return "key"
}

// groupsFor resolves the row's group names, creating missing groups when
// allowed. It returns the group ids, or a failure naming the first missing
// group.
func (c *usersChunk) groupsFor(op *UserUpsert) ([]*store.Group, error) {
	out := make([]*store.Group, 0, len(op.Groups))
	for _, name := range op.Groups {
		g := c.groups[strings.ToLower(name)]
		if g == nil {
			if !c.opts.CreateGroups {
				return nil, rowErrorf("group %q does not exist (use groups=create to create missing groups)", name)
			}
			ng, _, err := c.e.Svc.NewGroup(map[string]any{"displayName": name})
			if err != nil {
				return nil, err
			}
			c.groups[strings.ToLower(name)] = ng
			c.newGroups = append(c.newGroups, ng)
			g = ng
		}
		out = append(out, g)
	}
	return out, nil
}

func (c *usersChunk) apply(op *UserUpsert, idx int) Result {
	if op.Err != nil {
		return failed(op.Row, op.UserName, op.Err)
	}
	en, err := c.find(op)
	if err != nil {
		return failed(op.Row, op.UserName, err)
	}
	if en != nil {
		switch op.OnMatch {
		case MatchIgnore:
			return Result{Row: op.Row, Outcome: Skipped, ID: en.user.ID, UserName: en.user.UserName}
		case MatchFail:
			return failed(op.Row, en.user.UserName, rowErrorf("matches existing user %q (mode=fail)", en.user.UserName))
		}
	}
	groups, err := c.groupsFor(op)
	if err != nil {
		return failed(op.Row, op.UserName, err)
	}
	if en == nil {
		return c.create(op, idx, groups)
	}
	return c.update(op, idx, en, groups)
}

func (c *usersChunk) create(op *UserUpsert, idx int, groups []*store.Group) Result {
	if op.Create == nil {
		return failed(op.Row, op.UserName, rowErrorf("no user matches the row and it cannot create one"))
	}
	var attrs map[string]any
	un := ""
	if op.isPrep {
		if op.prepared != nil {
			un = op.prepared.UserName
		}
	} else {
		attrs = op.Create()
		un, _ = attrs["userName"].(string)
	}
	if un == "" && (!op.isPrep || op.prepErr == nil) {
		return failed(op.Row, op.UserName, rowErrorf("no user matches the row and it has no userName to create one with"))
	}
	if un != "" && len(c.byKey[store.ByUserName][normKey(store.ByUserName, un)]) > 0 {
		return failed(op.Row, un, &store.UniquenessError{Attr: "userName", Value: un})
	}
	u, err := c.newUser(op, attrs)
	if err != nil {
		if un == "" {
			un = op.UserName
		}
		return failed(op.Row, un, err)
	}
	if u.UserUUID != "" && len(c.byKey[store.ByUserUUID][normKey(store.ByUserUUID, u.UserUUID)]) > 0 {
		return failed(op.Row, un, &store.UniquenessError{Attr: "userUuid", Value: u.UserUUID})
	}
	en := &entry{user: u, isNew: true, changed: true, rows: []int{idx}}
	c.index(en)
	c.inserts = append(c.inserts, en)
	added := c.addMemberships(en, groups)
	return Result{Row: op.Row, Outcome: Created, ID: u.ID, UserName: u.UserName, MembershipsAdded: added}
}

func (c *usersChunk) update(op *UserUpsert, idx int, en *entry, groups []*store.Group) Result {
	old := en.user
	stored := en.attrs
	if stored == nil {
		m, err := old.AttrMap()
		if err != nil {
			return failed(op.Row, old.UserName, err)
		}
		stored = m
	}
	merged := op.Merge(stored)
	nu, err := c.e.Svc.ReplaceUser(old, merged)
	if err != nil {
		return failed(op.Row, old.UserName, err)
	}
	changed := !sameAttrs(stored, nu.Attrs)
	if nu.UserName != old.UserName && !strings.EqualFold(nu.UserName, old.UserName) {
		for _, x := range c.byKey[store.ByUserName][normKey(store.ByUserName, nu.UserName)] {
			if x != en {
				return failed(op.Row, nu.UserName, &store.UniquenessError{Attr: "userName", Value: nu.UserName})
			}
		}
	}
	if op.HasPassword {
		if nu.PasswordHash, err = c.e.Svc.Hash(op.Password); err != nil {
			return failed(op.Row, old.UserName, err)
		}
		changed = true
	}
	if changed {
		if !en.isNew && !en.virtual {
			nu.Version = old.Version // UpdateUsers checks the version read
		}
		c.unindex(en)
		en.user = nu
		en.attrs = nil
		en.changed = true
		if !en.isNew && !en.virtual {
			en.dirty = true
		}
		c.index(en)
	}
	en.rows = append(en.rows, idx)
	added := c.addMemberships(en, groups)
	out := Unchanged
	if changed || added > 0 {
		out = Updated
	}
	return Result{Row: op.Row, Outcome: out, ID: nu.ID, UserName: nu.UserName, MembershipsAdded: added}
}

// addMemberships queues memberships of en in groups that it does not
// have yet and returns how many.
func (c *usersChunk) addMemberships(en *entry, groups []*store.Group) int {
	added := 0
	uid := en.user.ID
	for _, g := range groups {
		set := c.memberSet(uid)
		if set[g.ID] {
			continue
		}
		set[g.ID] = true
		if c.dry.on {
			en.added = append(en.added, g.ID)
		}
		c.members = append(c.members, store.Member{GroupID: g.ID, Value: uid, Type: store.MemberUser})
		c.touched[g.ID] = true
		added++
	}
	return added
}

// write performs the chunk's batched writes (none in a dry run).
func (c *usersChunk) write(results []Result) (ChunkInfo, error) {
	var info ChunkInfo
	created := map[string]bool{}
	for _, g := range c.newGroups {
		created[g.ID] = true
		info.GroupsCreated = append(info.GroupsCreated, g.ID)
	}
	for id := range c.touched {
		if !created[id] {
			info.GroupsUpdated = append(info.GroupsUpdated, id)
		}
	}
	if c.dry.on {
		for _, en := range c.byID {
			if en.changed || len(en.added) > 0 {
				groups := append(slices.Clip(en.dryGroups), en.added...)
				if err := c.dry.remember(en.user, groups); err != nil {
					return info, err
				}
			}
		}
		for _, g := range c.newGroups {
			c.dry.rememberGroup(g)
		}
		return info, nil
	}
	ctx := c.ctx
	if len(c.newGroups) > 0 {
		if err := c.tx.InsertGroups(ctx, c.newGroups); err != nil {
			if store.ItemErrors(err) != nil {
				return info, errReplay // a concurrent writer created the group
			}
			return info, err
		}
	}
	if len(c.inserts) > 0 {
		users := make([]*store.User, len(c.inserts))
		for i, en := range c.inserts {
			users[i] = en.user
		}
		if err := c.tx.InsertUsers(ctx, users); err != nil {
			if errs := store.ItemErrors(err); errs != nil {
				if len(results) > 1 {
					return info, errReplay
				}
				for _, e := range errs {
					results[0] = failed(results[0].Row, results[0].UserName, e)
				}
				return info, nil
			}
			return info, err
		}
	}
	var updates []*store.User
	for _, en := range c.byID {
		if en.dirty {
			updates = append(updates, en.user)
		}
	}
	if len(updates) > 0 {
		if err := c.tx.UpdateUsers(ctx, updates); err != nil {
			if errs := store.ItemErrors(err); errs != nil {
				if len(results) > 1 {
					return info, errReplay
				}
				for _, e := range errs {
					results[0] = failed(results[0].Row, results[0].UserName, e)
				}
				return info, nil
			}
			return info, err
		}
	}
	if len(c.members) > 0 {
		if _, err := c.tx.AddMembers(ctx, c.members); err != nil {
			return info, err
		}
		if len(info.GroupsUpdated) > 0 {
			if err := c.tx.TouchGroups(ctx, info.GroupsUpdated); err != nil {
				return info, err
			}
		}
	}
	return info, nil
}

// sameAttrs reports whether stored (decoded attributes) encode to raw.
func sameAttrs(stored map[string]any, raw json.RawMessage) bool {
	enc, err := store.CanonicalJSON(stored)
	if err != nil {
		return false
	}
	return bytes.Equal(enc, raw)
}
