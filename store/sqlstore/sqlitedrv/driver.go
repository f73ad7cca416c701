// Package sqlitedrv registers the mattn/go-sqlite3 driver under the name
// DriverName with the SQL functions scimd needs: scim_lower(text), which
// lower-cases with Go's strings.ToLower so that values lower-cased in Go
// (the *_ci columns, filter parameters) and in SQL agree on every Unicode
// letter (SQLite's own lower() only folds ASCII).
package sqlitedrv

import (
	"database/sql"
	"strings"
	"sync"

	"github.com/mattn/go-sqlite3"
)

// DriverName is the database/sql driver name to open SQLite with.
const DriverName = "sqlite3_scimd"

var once sync.Once

// Register registers DriverName (idempotent).
func Register() {
	once.Do(func() {
		sql.Register(DriverName, &sqlite3.SQLiteDriver{
			ConnectHook: func(c *sqlite3.SQLiteConn) error {
				// Checkpoint the WAL every 8192 pages (32 MiB) rather than
				// every 1000: bulk imports rewrite the same index pages
				// chunk after chunk, and fewer checkpoints copy each page
				// once instead of once per chunk (commit cost of an import
				// chunk fell from ~8 ms to a fraction of that). The store
				// checkpoints in the background well before that
				// (sqlstore/checkpoint.go); this is the safety net.
				if _, err := c.Exec("PRAGMA wal_autocheckpoint=8192", nil); err != nil {
					return err
				}
				return c.RegisterFunc("scim_lower", lower, true)
			},
		})
	})
}

func lower(s any) any {
	switch v := s.(type) {
	case string:
		return strings.ToLower(v)
	case []byte:
		if v == nil { // mattn passes SQL NULL as a nil []byte
			return nil
		}
		return strings.ToLower(string(v))
	default:
		return v
	}
}
