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

func listed(items []string, count int) string {
	s := strings.Join(items, "; ")
	if more := count - len(items); more > 0 {
		s += fmt.Sprintf("; and %d more", more)
	}
	return s
}

// Import loads the snapshot that open returns into the tenant. open is
// called twice (see the package documentation): a check pass that writes
// nothing, then the restore. Cancelling ctx stops the restore between
// chunks; committed chunks stay.
func (im *Importer) Import(ctx context.Context, tenantID int64, open func() (io.ReadCloser, error), opts ImportOptions) (ImportResult, error) {
	var res ImportResult
	if err := im.check(ctx, tenantID, open, opts, &res); err != nil {
		return res, err
	}
	return res, im.restore(ctx, tenantID, open, opts, &res)
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
// (reading the spooled snapshot, the database) pass.
func asInvalid(err error, p *problems) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		p.add("%s", fe.Error())
		return &InvalidError{Problems: p.list, Count: p.count, Syntax: true}
	}
	return err
}

// check is the first pass: it reads the whole snapshot and validates it
// against the target without writing; with mode=fail it also looks up
// every record's identifiers (one query per key kind per chunk).
func (im *Importer) check(ctx context.Context, tid int64, open func() (io.ReadCloser, error), opts ImportOptions, res *ImportResult) error {
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	rd := NewReader(rc)
	inv := &problems{max: im.maxListed()}
	h, err := rd.Header()
	if err != nil {
		return asInvalid(err, inv)
	}
	res.Header = h
	for _, p := range CheckSchemas(im.Engine.Reg, h.CustomSchemas) {
		inv.add("%s", p)
	}
	if inv.count > 0 {
		return &InvalidError{Problems: inv.list, Count: inv.count}
	}
	conf := &ConflictError{}
	keys := make([]bulk.RecordKey, 0, im.chunkSize())
	lookUp := func(users bool) error {
		defer func() { keys = keys[:0] }()
		if opts.Mode != ModeFail || len(keys) == 0 || inv.count > 0 {
			return nil
		}
		find := im.Engine.GroupConflicts
		if users {
			find = im.Engine.UserConflicts
		}
		cs, err := find(ctx, tid, keys)
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
		u, err := rd.NextUser()
		if err != nil {
			return asInvalid(err, inv)
		}
		if u == nil {
			break
		}
		if err := im.Engine.CheckRestoreUser(u); err != nil {
			inv.add("users[%d] (id %s, userName %q): %v", u.Row-1, u.ID, userNameOf(u), err)
		}
		if keys = append(keys, bulk.RecordKey{Row: u.Row, ID: u.ID, Name: userNameOf(u)}); len(keys) == cap(keys) {
			if err := lookUp(true); err != nil {
				return err
			}
		}
	}
	if err := lookUp(true); err != nil {
		return err
	}
	groupChunk := max(im.chunkSize()/10, 1)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		g, err := rd.NextGroup()
		if err != nil {
			return asInvalid(err, inv)
		}
		if g == nil {
			break
		}
		if err := im.Engine.CheckRestoreGroup(g); err != nil {
			inv.add("groups[%d] (id %s, displayName %q): %v", g.Row-1, g.ID, displayNameOf(g), err)
		}
		if keys = append(keys, bulk.RecordKey{Row: g.Row, ID: g.ID, Name: displayNameOf(g)}); len(keys) >= groupChunk {
			if err := lookUp(false); err != nil {
				return err
			}
		}
	}
	if err := lookUp(false); err != nil {
		return err
	}
	if err := rd.End(); err != nil {
		return asInvalid(err, inv)
	}
	if inv.count > 0 {
		return &InvalidError{Problems: inv.list, Count: inv.count}
	}
	res.Users, res.Groups = rd.Counts()
	if conf.Count > 0 {
		return conf
	}
	return nil
}

func userNameOf(u *User) string {
	s, _ := u.Attrs["userName"].(string)
	return s
}

func displayNameOf(g *Group) string {
	s, _ := g.Attrs["displayName"].(string)
	return s
}

// restore is the second pass: users, groups with their members, then the
// members deferred to the end, through the Bulk engine. The engine works
// under a context that is not cancelled, so that the chunk in flight
// commits; ctx is checked before each record is read, which ends the
// restore between chunks.
func (im *Importer) restore(ctx context.Context, tid int64, open func() (io.ReadCloser, error), opts ImportOptions, res *ImportResult) error {
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	rd := NewReader(rc)
	if _, err := rd.Header(); err != nil {
		return err
	}
	work := context.WithoutCancel(ctx)
	r := bulk.NewRestore()
	ro := bulk.RestoreOptions{ChunkSize: im.chunkSize(), OnMatch: opts.Mode.onMatch(), ReportJob: opts.JobID}
	sink := &countSink{c: &res.Counts}
	err = im.Engine.RestoreUsers(work, tid, r, func() (bulk.RestoreUser, bool, error) {
		if err := ctx.Err(); err != nil {
			return bulk.RestoreUser{}, false, err
		}
		u, err := rd.NextUser()
		if err != nil || u == nil {
			return bulk.RestoreUser{}, false, err
		}
		return *u, true, nil
	}, ro, sink)
	if err != nil {
		return err
	}
	err = im.Engine.RestoreGroups(work, tid, r, func() (bulk.RestoreGroup, bool, error) {
		if err := ctx.Err(); err != nil {
			return bulk.RestoreGroup{}, false, err
		}
		g, err := rd.NextGroup()
		if err != nil || g == nil {
			return bulk.RestoreGroup{}, false, err
		}
		return *g, true, nil
	}, ro, sink)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	sink.deferred = true
	if err := im.Engine.RestoreDeferred(work, tid, r, ro, sink); err != nil {
		return err
	}
	return rd.End()
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
