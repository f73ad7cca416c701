package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store"
	"github.com/scimd/scimd/store/sqlstore/sqlfilter"
	"github.com/scimd/scimd/store/sqlstore/sqlitedrv"
)

// Dialect names returned by (*Store).Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// Pool sizes.
const (
	pgPoolSize      = 16
	minSQLiteReader = 4
)

// SQLite pragmas (mattn DSN parameters). The writer sets WAL (persistent
// in the file) and takes the write lock at BEGIN; readers only read.
const (
	writerParams = "_journal_mode=WAL&_busy_timeout=5000&_synchronous=NORMAL&_foreign_keys=on" +
		"&_cache_size=-65536&_txlock=immediate"
	readerParams = "_busy_timeout=5000&_foreign_keys=on&_cache_size=-16384&_query_only=true"
)

// Config configures Open.
type Config struct {
	// DSN: a SQLite file path ("scimd.db"), "sqlite:///abs/path.db",
	// "sqlite://rel.db", or a PostgreSQL URL ("postgres://…",
	// "postgresql://…").
	DSN string
	// Registry resolves filter and sort attributes; nil loads the
	// built-in schemas.
	Registry *schemas.Registry
	// Logger receives gorm's SQL trace at debug level; nil discards.
	Logger *slog.Logger
	// Now is the clock for created/modified timestamps and job claims;
	// nil is time.Now.
	Now func() time.Time
	// ReportRetention is how long a finished job's report is kept: it
	// sets Job.ReportExpiresAt (PurgeJobs deletes the lines when its
	// caller says so). Zero means DefaultReportRetention.
	ReportRetention time.Duration
}

// DefaultReportRetention is the report retention of SPEC §8.
const DefaultReportRetention = 7 * 24 * time.Hour

// Store implements store.Store on SQLite or PostgreSQL.
type Store struct {
	dialect string
	pg      bool
	writer  *gorm.DB // SQLite: one connection; PostgreSQL: the pool
	reader  *gorm.DB // SQLite: the reader pool; PostgreSQL: == writer
	stmts   *sqliteStmts
	ckpt    *checkpointer // SQLite: background WAL checkpoints
	// waitingWriters counts interactive SQLite transactions waiting for
	// the writer (writerTurn).
	waitingWriters atomic.Int64
	tr             sqlfilter.Translator
	log            *slog.Logger
	now            func() time.Time
	// reportRetention: see Config.ReportRetention.
	reportRetention time.Duration
}

var (
	_ store.Store    = (*Store)(nil)
	_ store.JobStore = (*Store)(nil)
)

// Open connects to the database named by cfg.DSN, applies pending
// migrations and, on SQLite, refreshes the planner statistics of a
// database holding data (optimize.go).
func Open(ctx context.Context, cfg Config) (*Store, error) {
	s := &Store{log: cfg.Logger, now: cfg.Now, reportRetention: cfg.ReportRetention}
	if s.reportRetention <= 0 {
		s.reportRetention = DefaultReportRetention
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	reg := cfg.Registry
	if reg == nil {
		var err error
		if reg, err = schemas.Load(""); err != nil {
			return nil, fmt.Errorf("sqlstore: load built-in schemas: %w", err)
		}
	}
	kind, dsn, err := parseDSN(cfg.DSN)
	if err != nil {
		return nil, err
	}
	s.dialect = kind
	switch kind {
	case DialectSQLite:
		s.tr = sqlfilter.Translator{Dialect: sqlfilter.SQLite, Reg: reg}
		err = s.openSQLite(dsn)
	default:
		s.pg = true
		s.tr = sqlfilter.Translator{Dialect: sqlfilter.Postgres, Reg: reg}
		err = s.openPostgres(dsn)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	if !s.pg {
		if err := s.prepareSQLite(ctx); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	s.optimizeAtOpen(ctx)
	return s, nil
}

// parseDSN returns the dialect and the driver DSN.
func parseDSN(dsn string) (kind, driverDSN string, err error) {
	switch {
	case dsn == "":
		return "", "", errors.New("sqlstore: empty DSN")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return DialectPostgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite://"):
		// sqlite:///abs/path.db → /abs/path.db; sqlite://rel.db → rel.db
		path := strings.TrimPrefix(dsn, "sqlite://")
		return DialectSQLite, path, checkSQLitePath(path)
	case strings.Contains(dsn, "://"):
		return "", "", fmt.Errorf("sqlstore: unsupported DSN scheme in %q", redact(dsn))
	}
	return DialectSQLite, dsn, checkSQLitePath(dsn)
}

// checkSQLitePath rejects in-memory databases: the writer and the reader
// pool must share one file.
func checkSQLitePath(path string) error {
	if path == "" || strings.HasPrefix(path, ":memory:") || strings.Contains(path, "mode=memory") {
		return fmt.Errorf("sqlstore: SQLite needs a file path, not %q", path)
	}
	return nil
}

// redact hides a password in a URL DSN for error messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}

func (s *Store) gormConfig() *gorm.Config {
	return &gorm.Config{
		SkipDefaultTransaction: true,
		Logger:                 newGormLogger(s.log),
	}
}

// withParams appends DSN query parameters to a SQLite path.
func withParams(path, params string) string {
	if strings.Contains(path, "?") {
		return path + "&" + params
	}
	return path + "?" + params
}

func (s *Store) openSQLite(path string) error {
	sqlitedrv.Register()
	w, err := gorm.Open(sqlite.New(sqlite.Config{
		DriverName: sqlitedrv.DriverName,
		DSN:        withParams(path, writerParams),
	}), s.gormConfig())
	if err != nil {
		return fmt.Errorf("sqlstore: open sqlite writer: %w", err)
	}
	wdb, err := w.DB()
	if err != nil {
		return fmt.Errorf("sqlstore: sqlite writer: %w", err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	s.writer = w

	// The readers need the file (and WAL mode) in place: the writer's
	// first connection creates both.
	if err := wdb.Ping(); err != nil {
		_ = wdb.Close()
		return fmt.Errorf("sqlstore: open sqlite writer: %w", err)
	}
	cfg := s.gormConfig()
	cfg.PrepareStmt = true
	cfg.PrepareStmtMaxSize = 256
	r, err := gorm.Open(sqlite.New(sqlite.Config{
		DriverName: sqlitedrv.DriverName,
		DSN:        withParams(path, readerParams),
	}), cfg)
	if err != nil {
		_ = wdb.Close()
		return fmt.Errorf("sqlstore: open sqlite readers: %w", err)
	}
	rdb, err := r.DB()
	if err != nil {
		_ = wdb.Close()
		return fmt.Errorf("sqlstore: sqlite readers: %w", err)
	}
	n := max(minSQLiteReader, runtime.GOMAXPROCS(0))
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	rdb.SetConnMaxIdleTime(5 * time.Minute)
	s.reader = r
	if s.ckpt, err = startCheckpointer(path, s.log); err != nil {
		_ = wdb.Close()
		_ = rdb.Close()
		return err
	}
	return nil
}

func (s *Store) openPostgres(dsn string) error {
	db, err := gorm.Open(postgres.New(postgres.Config{DSN: dsn}), s.gormConfig())
	if err != nil {
		return fmt.Errorf("sqlstore: open postgres %s: %w", redact(dsn), err)
	}
	sdb, err := db.DB()
	if err != nil {
		return fmt.Errorf("sqlstore: postgres: %w", err)
	}
	sdb.SetMaxOpenConns(pgPoolSize)
	sdb.SetMaxIdleConns(pgPoolSize)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	sdb.SetConnMaxLifetime(time.Hour)
	s.writer, s.reader = db, db
	return nil
}

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// DB returns the gorm handle used for writes (for tests and benchmarks in
// this module; on SQLite it has exactly one connection).
func (s *Store) DB() *gorm.DB { return s.writer }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	for _, db := range s.handles() {
		sdb, err := db.DB()
		if err != nil {
			return fmt.Errorf("ping: %w", err)
		}
		if err := sdb.PingContext(ctx); err != nil {
			return fmt.Errorf("ping: %w", err)
		}
	}
	return nil
}

// Close closes the connection pools.
func (s *Store) Close() error {
	errs := []error{s.ckpt.close(), s.stmts.close()}
	for _, db := range s.handles() {
		sdb, err := db.DB()
		if err == nil {
			err = sdb.Close()
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}

// handles returns the distinct gorm handles.
func (s *Store) handles() []*gorm.DB {
	var out []*gorm.DB
	if s.writer != nil {
		out = append(out, s.writer)
	}
	if s.reader != nil && s.reader != s.writer {
		out = append(out, s.reader)
	}
	return out
}

// nowMicros returns the current time as stored (Unix microseconds).
func (s *Store) nowMicros() int64 { return s.now().UnixMicro() }
