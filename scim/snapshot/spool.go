package snapshot

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/scimd/scimd/scim/bulk"
	"github.com/scimd/scimd/store"
)

// spool keeps the records the check pass validated, built as the store
// will hold them, in two temporary files (users, groups) of gob records,
// so that the restore reads neither the snapshot nor its JSON again and
// builds nothing twice. On disk: about the size of the snapshot.
type spool struct {
	dir    string
	users  spoolFile
	groups spoolFile
}

type spoolFile struct {
	f   *os.File
	w   *bufio.Writer
	enc *gob.Encoder
	n   int64
}

// spooledUser and spooledGroup are the records of the spool files.
type spooledUser struct {
	Row  int64
	User *store.User
}

type spooledGroup struct {
	Row     int64
	Group   *store.Group
	Members []bulk.RestoreMember
}

// newSpool creates the spool files in a new directory under parent ("":
// the system's temporary directory).
func newSpool(parent string) (*spool, error) {
	dir, err := os.MkdirTemp(parent, "scimd-snapshot-*")
	if err != nil {
		return nil, fmt.Errorf("snapshot spool: %w", err)
	}
	s := &spool{dir: dir}
	for _, x := range []struct {
		f    *spoolFile
		name string
	}{{&s.users, "users.gob"}, {&s.groups, "groups.gob"}} {
		f, err := os.Create(filepath.Join(dir, x.name))
		if err != nil {
			s.remove()
			return nil, fmt.Errorf("snapshot spool: %w", err)
		}
		x.f.f = f
		x.f.w = bufio.NewWriterSize(f, 256<<10)
		x.f.enc = gob.NewEncoder(x.f.w)
	}
	return s, nil
}

func (s *spool) addUser(row int64, u *store.User) error {
	s.users.n++
	return s.users.enc.Encode(spooledUser{Row: row, User: u})
}

func (s *spool) addGroup(row int64, g *store.Group, members []bulk.RestoreMember) error {
	s.groups.n++
	return s.groups.enc.Encode(spooledGroup{Row: row, Group: g, Members: members})
}

// finish flushes the files for reading.
func (s *spool) finish() error {
	for _, f := range []*spoolFile{&s.users, &s.groups} {
		if err := f.w.Flush(); err != nil {
			return fmt.Errorf("snapshot spool: %w", err)
		}
	}
	return nil
}

// remove deletes the spool.
func (s *spool) remove() {
	for _, f := range []*spoolFile{&s.users, &s.groups} {
		if f.f != nil {
			f.f.Close()
		}
	}
	os.RemoveAll(s.dir)
}

// readUsers returns a pull function over the spooled users.
func (s *spool) readUsers() (func() (bulk.RestoreUser, bool, error), error) {
	dec, err := s.reader(&s.users)
	if err != nil {
		return nil, err
	}
	return func() (bulk.RestoreUser, bool, error) {
		var r spooledUser
		if err := dec.Decode(&r); err != nil {
			if errors.Is(err, io.EOF) {
				return bulk.RestoreUser{}, false, nil
			}
			return bulk.RestoreUser{}, false, fmt.Errorf("snapshot spool: %w", err)
		}
		return bulk.RestoreUser{Row: r.Row, ID: r.User.ID, Prepared: r.User}, true, nil
	}, nil
}

// readGroups returns a pull function over the spooled groups; rowOffset
// is added to their rows (report rows: users first, then groups).
func (s *spool) readGroups(rowOffset int64) (func() (bulk.RestoreGroup, bool, error), error) {
	dec, err := s.reader(&s.groups)
	if err != nil {
		return nil, err
	}
	return func() (bulk.RestoreGroup, bool, error) {
		var r spooledGroup
		if err := dec.Decode(&r); err != nil {
			if errors.Is(err, io.EOF) {
				return bulk.RestoreGroup{}, false, nil
			}
			return bulk.RestoreGroup{}, false, fmt.Errorf("snapshot spool: %w", err)
		}
		return bulk.RestoreGroup{Row: r.Row + rowOffset, ID: r.Group.ID, Prepared: r.Group, Members: r.Members}, true, nil
	}, nil
}

func (s *spool) reader(f *spoolFile) (*gob.Decoder, error) {
	if _, err := f.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("snapshot spool: %w", err)
	}
	return gob.NewDecoder(bufio.NewReaderSize(f.f, 256<<10)), nil
}
