package bulk

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store"
)

// Tenant snapshot restore (SPEC §9): the engine side of
// POST /scim/v2/.import and `scimd tenant import`. The caller (package
// scim/snapshot) reads the snapshot and hands the engine its users, then
// its groups, then asks it to finish the memberships it had to defer:
//
//	r := bulk.NewRestore()
//	e.RestoreUsers(ctx, tid, r, nextUser, opts, sink)
//	e.RestoreGroups(ctx, tid, r, nextGroup, opts, sink)
//	e.RestoreDeferred(ctx, tid, r, opts, sink)
//
// Each chunk runs in one transaction: look-ups are one query per key kind
// (users by id and by userName, groups by id and by displayName), writes
// are batched (InsertUsers/UpdateUsers, InsertGroups/UpdateGroups,
// AddMembers), and a chunk whose batch hits a uniqueness conflict is
// rolled back and replayed one record per transaction, as in ImportUsers.
//
// A record conflicts with the target tenant when a resource with the same
// id, or the same userName (users) or displayName (groups), exists there.
// opts.OnMatch decides what happens then:
//
//   - MatchIgnore: the existing resource is kept as it is (Skipped);
//   - MatchUpdate: it is overwritten with the snapshot's attributes,
//     password hash and, for groups, member list; it keeps its own id,
//     created time and SAP userUuid, and gets a new version (Updated, or
//     Unchanged when nothing differs);
//   - MatchFail: the record fails. The caller runs UserConflicts and
//     GroupConflicts over the whole snapshot first and writes nothing
//     when any record conflicts; this only catches a conflict created
//     concurrently since.
//
// When a record matches an existing resource under another id (by userName
// or displayName only), the restore remembers snapshot id → target id
// (Restore.IDs) so that group members referring to the snapshot id are
// restored as members pointing at the target resource.
//
// A new resource keeps its snapshot id, attributes, created and
// lastModified times and version, and a user its password hash, so that
// a snapshot restored into an empty tenant exports as the same snapshot.
// PrepareRestoreUser/Group validate and build a record without writing (a
// pre-pass); a record carrying what they built (Prepared) is not built
// again.

// RestoreUser is one user of a tenant snapshot.
type RestoreUser struct {
	Row int64 // 1-based position of the record in the snapshot (report row)
	ID  string
	// Attrs are the user's SCIM attributes (no id, meta, groups or
	// password); the engine does not modify them.
	Attrs        map[string]any
	PasswordHash string // argon2id or bcrypt hash; "" for none
	// Created, Modified and Version are the snapshot's meta; zero values
	// become now and 1.
	Created, Modified time.Time
	Version           int64
	// Prepared, when set, is the user PrepareRestoreUser built from this
	// record earlier (a validating pre-pass keeps it instead of the
	// record): Attrs, PasswordHash and the meta fields are then ignored,
	// and a new user is inserted without being built again.
	Prepared *store.User
}

// RestoreMember is one member of a snapshot group.
type RestoreMember struct {
	Value string // the member's snapshot id
	Type  string // store.MemberUser, store.MemberGroup or "" (unknown)
}

// RestoreGroup is one group of a tenant snapshot.
type RestoreGroup struct {
	Row               int64
	ID                string
	Attrs             map[string]any // without members
	Members           []RestoreMember
	Created, Modified time.Time
	Version           int64
	// Prepared is the group PrepareRestoreGroup built (see RestoreUser).
	Prepared *store.Group
}

// RestoreOptions configure a restore.
type RestoreOptions struct {
	// ChunkSize is the number of users per transaction (DefaultChunkSize
	// when 0); a group chunk holds a tenth as many groups, and fewer when
	// their member lists are long (restoreMaxMembers).
	ChunkSize int
	OnMatch   OnMatch
	// ReportJob, when set, is the job whose report receives a line for
	// every record that failed, written in the chunk's transaction. (The
	// job record itself may be created later: a synchronous import records
	// its job when it ends.)
	ReportJob string
}

// restoreMaxMembers bounds the snapshot members one group chunk holds.
const restoreMaxMembers = 50_000

// Restore carries the state of one snapshot restore across its phases:
// the id mapping and the memberships deferred to the end. Its memory is
// proportional to the records that matched under another id and to the
// group members that named a group not restored yet, not to the snapshot.
type Restore struct {
	// IDs maps a snapshot id to the id of the target resource it was
	// matched with, where the two differ.
	IDs      IDMap
	deferred []restoreDeferral
}

// NewRestore starts a restore.
func NewRestore() *Restore { return &Restore{IDs: IDMap{}} }

// IDMap maps snapshot ids to target ids.
type IDMap map[string]string

// Resolve returns the target id of a snapshot id.
func (m IDMap) Resolve(id string) string {
	if t, ok := m[id]; ok {
		return t
	}
	return id
}

// restoreDeferral is a member that named a group not (yet) in the target
// when its group's chunk ran.
type restoreDeferral struct {
	row     int64
	groupID string // target id of the group
	value   string // snapshot id of the member
}

// Conflict is a snapshot record that matches an existing resource.
type Conflict struct {
	Row        int64
	Resource   string // "User" or "Group"
	ID         string // the record's snapshot id
	Name       string // its userName or displayName
	By         string // "id", "userName" or "displayName"
	ExistingID string // the id of the existing resource
}

func (c Conflict) String() string {
	what := "user"
	if c.Resource == "Group" {
		what = "group"
	}
	if c.By == "id" {
		return fmt.Sprintf("%s %q (id %s): a %s with this id exists", what, c.Name, c.ID, what)
	}
	return fmt.Sprintf("%s %q (id %s): %s %q is taken by %s %s", what, c.Name, c.ID, c.By, c.Name, what, c.ExistingID)
}

// RecordKey identifies a snapshot record for Conflicts.
type RecordKey struct {
	Row  int64
	ID   string
	Name string // userName or displayName
}

// PrepareRestoreUser validates a snapshot user against the target's
// schemas and builds the user RestoreUsers would create from it (same id,
// attributes, password hash and meta), writing nothing. A pre-pass keeps
// the result in RestoreUser.Prepared so the restore does not build it
// again.
func (e *Engine) PrepareRestoreUser(op *RestoreUser) (*store.User, error) {
	attrs, err := op.attrs()
	if err != nil {
		return nil, err
	}
	return e.restoredUser(op, op.ID, attrs)
}

// PrepareRestoreGroup does the same for a group (members apart).
func (e *Engine) PrepareRestoreGroup(op *RestoreGroup) (*store.Group, error) {
	attrs, err := op.attrs()
	if err != nil {
		return nil, err
	}
	return e.restoredGroup(op, op.ID, attrs)
}

func (op *RestoreUser) userName() string {
	if op.Prepared != nil {
		return op.Prepared.UserName
	}
	un, _ := op.Attrs["userName"].(string)
	return un
}

// attrs returns the record's attributes (decoded from Prepared if set).
func (op *RestoreUser) attrs() (map[string]any, error) {
	if op.Prepared != nil {
		return decodeRestored(op.Prepared.Attrs)
	}
	return op.Attrs, nil
}

func (op *RestoreUser) hash() string {
	if op.Prepared != nil {
		return op.Prepared.PasswordHash
	}
	return op.PasswordHash
}

func (op *RestoreGroup) displayName() string {
	if op.Prepared != nil {
		return op.Prepared.DisplayName
	}
	n, _ := op.Attrs["displayName"].(string)
	return n
}

func (op *RestoreGroup) attrs() (map[string]any, error) {
	if op.Prepared != nil {
		return decodeRestored(op.Prepared.Attrs)
	}
	return op.Attrs, nil
}

// decodeRestored decodes prepared attributes for building again.
func decodeRestored(raw []byte) (map[string]any, error) {
	m, err := store.DecodeAttrs(raw)
	if err != nil {
		return nil, err
	}
	delete(m, "schemas") // derived
	return m, nil
}

// restoredUser builds the user of a snapshot record with the given id and
// attributes, keeping the record's password hash and meta. With the
// record's own id and a prepared user, that is a copy of it.
func (e *Engine) restoredUser(op *RestoreUser, id string, attrs map[string]any) (*store.User, error) {
	if p := op.Prepared; p != nil && id == p.ID && attrs == nil {
		u := *p
		return &u, nil
	}
	if err := unknownAttr(e.Reg.Users, attrs); err != nil {
		return nil, err
	}
	u, err := e.Svc.NewUserWithHash(attrs, id, op.hash())
	if err != nil {
		return nil, err
	}
	if p := op.Prepared; p != nil {
		u.Version, u.Created, u.Modified = p.Version, p.Created, p.Modified
		return u, nil
	}
	u.Version = op.Version
	if !op.Created.IsZero() {
		u.Created = op.Created
	}
	if !op.Modified.IsZero() {
		u.Modified = op.Modified
	}
	return u, nil
}

// restoredGroup builds the group of a snapshot record with the given id
// (a copy of the prepared group for its own id and attrs nil).
func (e *Engine) restoredGroup(op *RestoreGroup, id string, attrs map[string]any) (*store.Group, error) {
	if p := op.Prepared; p != nil && id == p.ID && attrs == nil {
		g := *p
		return &g, nil
	}
	if err := unknownAttr(e.Reg.Groups, attrs); err != nil {
		return nil, err
	}
	g, _, err := e.Svc.NewGroup(attrs)
	if err != nil {
		return nil, err
	}
	g.ID = id
	if p := op.Prepared; p != nil {
		g.Version, g.Created, g.Modified = p.Version, p.Created, p.Modified
		return g, nil
	}
	g.Version = op.Version
	if !op.Created.IsZero() {
		g.Created = op.Created
	}
	if !op.Modified.IsZero() {
		g.Modified = op.Modified
	}
	return g, nil
}

// unknownAttr fails attributes that rt does not define. The resource
// rules drop unknown attributes silently (lenient, as IdPs need); a
// snapshot must not lose data that way, e.g. an extension the target
// server does not load.
func unknownAttr(rt *schemas.ResourceType, attrs map[string]any) error {
	for k, v := range attrs {
		switch strings.ToLower(k) {
		case "schemas", "id", "meta":
			continue
		}
		if s := rt.SchemaByURN(k); s != nil {
			inner, ok := v.(map[string]any)
			if !ok {
				return rowErrorf("%s: expected an object of %s attributes", k, s.ID)
			}
			for k2 := range inner {
				if s.Attr(k2) == nil {
					return rowErrorf("%s:%s is not an attribute of schema %s on this server", k, k2, s.ID)
				}
			}
			continue
		}
		if strings.HasPrefix(strings.ToLower(k), "urn:") {
			return rowErrorf("%s: schema extension not loaded on this server", k)
		}
		if rt.Schema.Attr(k) == nil && schemas.CommonAttr(k) == nil {
			return rowErrorf("%s is not an attribute of the %s resource on this server", k, rt.Name)
		}
	}
	return nil
}

// chunkedBy is chunked with a second bound: a chunk also ends when the
// weights of its items reach maxWeight.
func chunkedBy[T any](ctx context.Context, size, maxWeight int, weight func(T) int, next func() (T, bool, error), run func([]T) error) error {
	buf := make([]T, 0, size)
	w := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		op, ok, err := next()
		if err != nil {
			return err
		}
		if ok {
			buf = append(buf, op)
			w += weight(op)
		}
		if len(buf) >= size || (len(buf) > 0 && (w >= maxWeight || !ok)) {
			if err := run(buf); err != nil {
				return err
			}
			buf, w = buf[:0], 0
		}
		if !ok {
			return nil
		}
	}
}

// reportFailures appends a report line for each failed result.
func reportFailures(ctx context.Context, tx store.Tx, job string, results []Result) error {
	if job == "" {
		return nil
	}
	var lines []store.ReportLine
	for _, r := range results {
		if r.Outcome != Failed {
			continue
		}
		msg := ""
		if r.Err != nil {
			msg = r.Err.Error()
		}
		lines = append(lines, store.ReportLine{Row: r.Row, Status: string(Failed), ID: r.ID, UserName: r.UserName, Error: msg})
	}
	if len(lines) == 0 {
		return nil
	}
	if err := tx.AppendReport(ctx, job, lines); err != nil {
		return fmt.Errorf("append report: %w", err)
	}
	return nil
}

// conflictError is the failure of a record that matches an existing
// resource under mode=fail.
func conflictError(c Conflict) error {
	return rowErrorf("conflicts with an existing resource (mode=fail): %s", c.String())
}
