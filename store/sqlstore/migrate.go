package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// migrationLockKey is the first key of the PostgreSQL advisory lock that
// serialises migrations of replicas; the second is the schema's hash.
const migrationLockKey = 0x5c1d

type migration struct {
	version int64
	name    string
	sql     string
}

// loadMigrations returns the dialect's migration files in version order.
// File names are NNNN_description.sql.
func loadMigrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version and '_'", name)
		}
		raw, err := fs.ReadFile(migrationFS, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(raw)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a version", ms[i-1].name, ms[i].name)
		}
	}
	return ms, nil
}

// migrate applies pending migrations, each in its own transaction, and
// records them in schema_migrations. On PostgreSQL a session advisory lock
// serialises replicas starting together; on SQLite the writer's
// BEGIN IMMEDIATE does.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations(s.dialect)
	if err != nil {
		return fmt.Errorf("sqlstore: %w", err)
	}
	db := s.writer.WithContext(ctx)
	if !s.pg {
		return s.applyMigrations(db, ms)
	}
	return db.Connection(func(conn *gorm.DB) error {
		const lock = "SELECT pg_advisory_lock(?, hashtext(current_schema()))"
		const unlock = "SELECT pg_advisory_unlock(?, hashtext(current_schema()))"
		if err := conn.Exec(lock, migrationLockKey).Error; err != nil {
			return fmt.Errorf("sqlstore: migration lock: %w", err)
		}
		defer func() {
			// Unlock even when ctx is done: the connection goes back to
			// the pool.
			if err := conn.WithContext(context.WithoutCancel(ctx)).Exec(unlock, migrationLockKey).Error; err != nil {
				s.log.ErrorContext(ctx, "sqlstore: release migration lock", "err", err)
			}
		}()
		return s.applyMigrations(conn, ms)
	})
}

func (s *Store) applyMigrations(db *gorm.DB, ms []migration) error {
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    BIGINT PRIMARY KEY,
  applied_at BIGINT NOT NULL
)`
	if err := db.Exec(create).Error; err != nil {
		return fmt.Errorf("sqlstore: create schema_migrations: %w", err)
	}
	var done []int64
	if err := db.Raw("SELECT version FROM schema_migrations").Scan(&done).Error; err != nil {
		return fmt.Errorf("sqlstore: read schema_migrations: %w", err)
	}
	applied := make(map[int64]bool, len(done))
	for _, v := range done {
		applied[v] = true
	}
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		ran := false
		err := db.Transaction(func(tx *gorm.DB) error {
			// Another process may have applied it since the read above.
			var n int64
			if err := tx.Raw("SELECT COUNT(*) FROM schema_migrations WHERE version = ?", m.version).Scan(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if err := tx.Exec(m.sql).Error; err != nil {
				return err
			}
			ran = true
			return tx.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
				m.version, s.nowMicros()).Error
		})
		if err != nil {
			return fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
		}
		if ran {
			s.log.Info("sqlstore: applied migration", "dialect", s.dialect, "migration", m.name)
		}
	}
	return nil
}
