package sqlstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scimd/scimd/store"
)

// TestBackgroundCheckpoint: what a transaction commits reaches the
// database file shortly after, without the writer checkpointing (its
// wal_autocheckpoint of 8192 pages is far from reached by a few hundred
// users), and Close stops the checkpointer.
func TestBackgroundCheckpoint(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ckpt.db")
	s, ten := openSQLiteTenant(t, path)
	before := fileSize(t, path)
	users := make([]*store.User, 500)
	for i := range users {
		u := &store.User{ID: fmt.Sprintf("u-%04d", i)}
		attrs := map[string]any{"userName": fmt.Sprintf("user%04d@example.com", i),
			"displayName": fmt.Sprintf("User %d with a long enough display name to fill pages", i)}
		if err := u.SetAttrs(attrs); err != nil {
			t.Fatal(err)
		}
		users[i] = u
	}
	if err := s.Tx(ctx, ten.ID, func(tx store.Tx) error { return tx.InsertUsers(ctx, users) }); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for fileSize(t, path) <= before {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes 5 s after the commit: the WAL was not checkpointed", before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// openSQLiteTenant opens a SQLite store at path (closed when the test
// ends) with one tenant.
func openSQLiteTenant(t *testing.T, path string) (*Store, store.Tenant) {
	t.Helper()
	s, err := Open(context.Background(), Config{DSN: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ten, err := s.CreateTenant(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	return s, ten
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
