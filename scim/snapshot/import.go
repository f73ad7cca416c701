package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/scimd/scimd/scim/bulk"
)

// Mode says what an import does with a record that matches an existing
// resource (same id, or same userName / displayName).
type Mode string

// Import modes (SPEC §9).
const (
	ModeIgnore Mode = "ignore" // keep the existing resource (the default)
	ModeUpdate Mode = "update" // overwrite it
	ModeFail   Mode = "fail"   // import nothing and list the conflicts
)

// ParseMode reads the mode parameter; "" is ModeIgnore.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return ModeIgnore, nil
	case ModeIgnore, ModeUpdate, ModeFail:
		return m, nil
	}
	return "", fmt.Errorf("mode %q: want ignore, update or fail", s)
}

func (m Mode) onMatch() bulk.OnMatch {
	switch m {
	case ModeUpdate:
		return bulk.MatchUpdate
	case ModeFail:
		return bulk.MatchFail
	}
	return bulk.MatchIgnore
}

// Importer loads tenant snapshots through the Bulk engine.
type Importer struct {
	Engine *bulk.Engine
	// ChunkSize is the number of users per transaction
	// (bulk.DefaultChunkSize when 0).
	ChunkSize int
	// MaxListed bounds the problems or conflicts an error lists (10 when
	// 0); the error counts them all.
	MaxListed int
	// TempDir is where the validated records are spooled between the two
	// passes ("": the system's temporary directory).
	TempDir string
}

// ImportOptions configure one import.
type ImportOptions struct {
	Mode Mode
	// JobID names the job whose report gets a line per failed record.
	JobID string
}

// ImportResult is what an import did (so far, when it ended early).
type ImportResult struct {
	Header        Header
	Users, Groups int64 // records in the snapshot (known after the check pass)
	Counts        bulk.Counts
}

// InvalidError is a snapshot that cannot be imported at all; nothing was
// written.
type InvalidError struct {
	Problems []string // the first ones
	Count    int      // all of them
	// Syntax is set when the document is not JSON or not of this format
	// (rather than records or schemas this server cannot take).
	Syntax bool
}

func (e *InvalidError) Error() string {
	return "the snapshot cannot be imported (nothing was written): " + listed(e.Problems, e.Count)
}

// ConflictError is a mode=fail import whose records match existing
// resources; nothing was written.
type ConflictError struct {
	Conflicts []bulk.Conflict // the first ones
	Count     int             // all of them
}

func (e *ConflictError) Error() string {
	s := make([]string, len(e.Conflicts))
	for i, c := range e.Conflicts {
		s[i] = c.String()
	}
	what := "records conflict"
	if e.Count == 1 {
		what = "record conflicts"
	}
	return fmt.Sprintf("mode=fail: %d %s with existing resources, nothing was written: %s", e.Count, what, listed(s, e.Count))
}

// ReadError is a failure to read the snapshot itself (e.g. an upload
// cut short, or over a size limit); nothing was written.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return "reading the snapshot: " + e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// readErrors marks the errors of the underlying stream.
type readErrors struct{ r io.Reader }

func (r readErrors) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = &ReadError{Err: err}
	}
	return n, err
}

func listed(items []string, count int) string {
	s := strings.Join(items, "; ")
	if more := count - len(items); more > 0 {
		s += fmt.Sprintf("; and %d more", more)
	}
	return s
}

// Import loads the snapshot read from src into the tenant, in two passes
// (see the package documentation): src is read once, by the check pass,
// which writes nothing to the database and spools the validated records
// to a temporary directory; the restore pass writes them. Cancelling ctx
// stops the check pass at once and the restore between chunks (committed
// chunks stay).
func (im *Importer) Import(ctx context.Context, tenantID int64, src io.Reader, opts ImportOptions) (ImportResult, error) {
	var res ImportResult
	sp, err := newSpool(im.TempDir)
	if err != nil {
		return res, err
	}
	defer sp.remove()
	if err := im.check(ctx, tenantID, readErrors{src}, opts, sp, &res); err != nil {
		return res, err
	}
	return res, im.restore(ctx, tenantID, sp, opts, &res)
}

func (im *Importer) maxListed() int {
	if im.MaxListed > 0 {
		return im.MaxListed
	}
	return 10
}

func (im *Importer) chunkSize() int {
	if im.ChunkSize > 0 {
		return im.ChunkSize
	}
	return bulk.DefaultChunkSize
}

// prefetchAhead is how many records are decoded ahead of their use.
const prefetchAhead = 256

// problems collects the first problems and counts all.
type problems struct {
	max   int
	list  []string
	count int
}

func (p *problems) add(format string, args ...any) {
	p.count++
	if len(p.list) < p.max {
		p.list = append(p.list, fmt.Sprintf(format, args...))
	}
}

// asInvalid turns a format error into an InvalidError; other errors
// (reading the snapshot, the database) pass.
func asInvalid(err error, p *problems) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		p.add("%s", fe.Error())
		return &InvalidError{Problems: p.list, Count: p.count, Syntax: true}
	}
	return err
}

// check is the first pass: it reads the whole snapshot, validates every
// record against the target (PrepareRestoreUser/Group) and spools the
// results; with mode=fail it also looks up every record's identifiers in
// the target (one query per key kind per chunk). It writes nothing to the
// database.
func (im *Importer) check(ctx context.Context, tid int64, src io.Reader, opts ImportOptions, sp *spool, res *ImportResult) error {
	rd := NewReader(src)
	recs := &problems{max: im.maxListed()}
	h, err := rd.Header()
	if err != nil {
		return asInvalid(err, recs)
	}
	// The custom schemas come first in a snapshot scimd wrote: check them
	// before the records, which would fail for the same reason.
	checked := h.CustomSchemas != nil
	if p := CheckSchemas(im.Engine.Reg, h.CustomSchemas); len(p) > 0 {
		return invalid(p, recs)
	}
	pf := prefetchRecords(rd, prefetchAhead)
	defer pf.close()
	conf := &ConflictError{}
	userKeys := make([]bulk.RecordKey, 0, im.chunkSize())
	groupKeys := make([]bulk.RecordKey, 0, max(im.chunkSize()/10, 1))
	lookUp := func(users bool) error {
		keys, find := &groupKeys, im.Engine.GroupConflicts
		if users {
			keys, find = &userKeys, im.Engine.UserConflicts
		}
		defer func() { *keys = (*keys)[:0] }()
		if opts.Mode != ModeFail || len(*keys) == 0 || recs.count > 0 {
			return nil
		}
		cs, err := find(ctx, tid, *keys)
		if err != nil {
			return err
		}
		for _, c := range cs {
			conf.Count++
			if len(conf.Conflicts) < im.maxListed() {
				conf.Conflicts = append(conf.Conflicts, c)
			}
		}
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		u, g, err := pf.Next()
		if err != nil {
			return asInvalid(err, recs)
		}
		switch {
		case u != nil:
			built, err := im.Engine.PrepareRestoreUser(u)
			if err != nil {
				recs.add("users[%d] (id %s, userName %q): %v", u.Row-1, u.ID, userNameOf(u), err)
				continue
			}
			if recs.count == 0 {
				if err := sp.addUser(u.Row, built); err != nil {
					return err
				}
			}
			if userKeys = append(userKeys, bulk.RecordKey{Row: u.Row, ID: u.ID, Name: built.UserName}); len(userKeys) == cap(userKeys) {
				if err := lookUp(true); err != nil {
					return err
				}
			}
			continue
		case g != nil:
			built, err := im.Engine.PrepareRestoreGroup(g)
			if err != nil {
				recs.add("groups[%d] (id %s, displayName %q): %v", g.Row-1, g.ID, displayNameOf(g), err)
				continue
			}
			if recs.count == 0 {
				if err := sp.addGroup(g.Row, built, g.Members); err != nil {
					return err
				}
			}
			if groupKeys = append(groupKeys, bulk.RecordKey{Row: g.Row, ID: g.ID, Name: built.DisplayName}); len(groupKeys) == cap(groupKeys) {
				if err := lookUp(false); err != nil {
					return err
				}
			}
			continue
		}
		break
	}
	if err := lookUp(true); err != nil {
		return err
	}
	if err := lookUp(false); err != nil {
		return err
	}
	res.Header = rd.Final()
	if !checked {
		if p := CheckSchemas(im.Engine.Reg, res.Header.CustomSchemas); len(p) > 0 {
			return invalid(p, recs)
		}
	}
	if recs.count > 0 {
		return &InvalidError{Problems: recs.list, Count: recs.count}
	}
	res.Users, res.Groups = rd.Counts()
	if conf.Count > 0 {
		return conf
	}
	return sp.finish()
}

// invalid is the error of schema problems, listed before the records'.
func invalid(schemaProblems []string, recs *problems) error {
	p := &problems{max: max(recs.max, len(schemaProblems))}
	for _, s := range schemaProblems {
		p.add("%s", s)
	}
	p.list = append(p.list, recs.list...)
	p.count += recs.count
	return &InvalidError{Problems: p.list, Count: p.count}
}

func userNameOf(u *User) string {
	s, _ := u.Attrs["userName"].(string)
	return s
}

func displayNameOf(g *Group) string {
	s, _ := g.Attrs["displayName"].(string)
	return s
}

// restore is the second pass: the spooled users, the groups with their
// members, then the members deferred to the end, through the Bulk engine.
// The engine works under a context that is not cancelled, so that the
// chunk in flight commits; ctx is checked before each record is pulled,
// which ends the restore between chunks.
func (im *Importer) restore(ctx context.Context, tid int64, sp *spool, opts ImportOptions, res *ImportResult) error {
	work := context.WithoutCancel(ctx)
	r := bulk.NewRestore()
	ro := bulk.RestoreOptions{ChunkSize: im.chunkSize(), OnMatch: opts.Mode.onMatch(), ReportJob: opts.JobID}
	sink := &countSink{c: &res.Counts}
	nextUser, err := sp.readUsers()
	if err != nil {
		return err
	}
	err = im.Engine.RestoreUsers(work, tid, r, func() (bulk.RestoreUser, bool, error) {
		if err := ctx.Err(); err != nil {
			return bulk.RestoreUser{}, false, err
		}
		return nextUser()
	}, ro, sink)
	if err != nil {
		return err
	}
	nextGroup, err := sp.readGroups(res.Users) // report rows: users 1..U, then groups
	if err != nil {
		return err
	}
	err = im.Engine.RestoreGroups(work, tid, r, func() (bulk.RestoreGroup, bool, error) {
		if err := ctx.Err(); err != nil {
			return bulk.RestoreGroup{}, false, err
		}
		return nextGroup()
	}, ro, sink)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	sink.deferred = true
	return im.Engine.RestoreDeferred(work, tid, r, ro, sink)
}

// countSink adds each committed chunk's results to the counts. Results of
// the deferred-members phase only add memberships and failures (their
// groups were counted already).
type countSink struct {
	c        *bulk.Counts
	deferred bool
}

func (s *countSink) Prepare([]bulk.Result, bulk.ChunkInfo) *bulk.Checkpoint { return nil }

func (s *countSink) Committed(results []bulk.Result, _ bulk.ChunkInfo) {
	if !s.deferred {
		s.c.Add(results)
		return
	}
	for _, r := range results {
		s.c.MembershipsAdded += int64(r.MembershipsAdded)
		if r.Outcome == bulk.Failed {
			s.c.Failed++
		}
	}
}
