package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/scimd/scimd/internal/logging"
	"github.com/scimd/scimd/internal/password"
	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/bulk"
	"github.com/scimd/scimd/store/sqlstore"
)

type serveFlags struct {
	addr            string
	baseURL         string
	bootstrapToken  string
	adminToken      string
	maxBody         byteSize
	tokenCacheTTL   time.Duration
	bulkMaxOps      int
	cursorTimeout   time.Duration
	oauthTokenTTL   time.Duration
	shutdownTimeout time.Duration
	importMax       byteSize
	importWorkers   int
	importChunk     int
	jobRetention    time.Duration
	reportRetention time.Duration
	maxGroupsUser   int
	maxGroupsFile   int
	cpuProfile      string // hidden: write a pprof CPU profile until shutdown
}

// sqliteImportChunk is the default import chunk on SQLite. Its one writer
// is held for a whole chunk, so API writes during an import wait for the
// chunk in progress: with 1,000 rows a PATCH's p99 during a 100k-row
// import was ~0.1 s, with 2,500 rows ~0.25 s, for 6 % more import speed
// (BenchmarkImportWhileServing). PostgreSQL locks rows, not the database,
// and takes bulk.DefaultChunkSize.
const sqliteImportChunk = 1000

// importChunk resolves --import-chunk (0: the database's default).
func importChunk(flag int, dialect string) int {
	switch {
	case flag > 0:
		return flag
	case dialect == sqlstore.DialectSQLite:
		return sqliteImportChunk
	}
	return bulk.DefaultChunkSize
}

// validate rejects flag values that have no meaning (zero or negative
// sizes and limits), instead of silently falling back to a default.
func (sf *serveFlags) validate() error {
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"--import-chunk", sf.importChunk >= 0},
		{"--import-workers", sf.importWorkers >= 0},
		{"--max-groups-per-user", sf.maxGroupsUser > 0},
		{"--max-groups-per-file", sf.maxGroupsFile > 0},
		{"--bulk-max-operations", sf.bulkMaxOps > 0},
		{"--cursor-timeout", sf.cursorTimeout >= time.Second},
	} {
		if !c.ok {
			return fmt.Errorf("%s: value out of range", c.name)
		}
	}
	return nil
}

func newServeCmd(g *globalFlags) *cobra.Command {
	sf := &serveFlags{maxBody: 2 << 20, importMax: 1 << 30}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the SCIM server",
		Long: `Run the SCIM server. On first start it creates tenant "default" and prints
a bearer token for it once (only its hash is stored).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			log, err := logging.New(cmd.ErrOrStderr(), g.logLevel, g.logFormat)
			if err != nil {
				return err
			}
			if err := sf.validate(); err != nil {
				return err
			}
			tuneGC(os.Getenv)
			if sf.cpuProfile != "" {
				stop, err := startCPUProfile(sf.cpuProfile)
				if err != nil {
					return err
				}
				defer stop()
			}
			srv, err := openServer(ctx, log, g, sf, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			return srv.run(ctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&sf.addr, "addr", ":8080", "listen address (env SCIMD_ADDR)")
	f.StringVar(&sf.baseURL, "base-url", "", "public base URL used in meta.location, e.g. https://id.example.com (env SCIMD_BASE_URL; default: from the request Host)")
	f.StringVar(&sf.bootstrapToken, "bootstrap-token", "", "ensure tenant default and a token with exactly this value and every scope (env SCIMD_BOOTSTRAP_TOKEN)")
	f.StringVar(&sf.adminToken, "admin-token", "", "bearer token guarding /admin/v1; empty disables the admin API (env SCIMD_ADMIN_TOKEN)")
	f.Var(&sf.maxBody, "max-body", "maximum SCIM JSON request body and Bulk maxPayloadSize, e.g. 2MiB (env SCIMD_MAX_BODY)")
	f.DurationVar(&sf.tokenCacheTTL, "token-cache-ttl", 5*time.Second, "how long a verified token is cached (env SCIMD_TOKEN_CACHE_TTL)")
	f.DurationVar(&sf.oauthTokenTTL, "oauth-token-ttl", scim.DefaultOAuthTokenTTL, "lifetime of access tokens issued by POST /oauth2/token (env SCIMD_OAUTH_TOKEN_TTL)")
	f.IntVar(&sf.bulkMaxOps, "bulk-max-operations", 1000, "advertised and enforced /Bulk maxOperations (env SCIMD_BULK_MAX_OPERATIONS)")
	f.DurationVar(&sf.cursorTimeout, "cursor-timeout", time.Hour, "how long a pagination cursor stays valid, advertised as cursorTimeout (env SCIMD_CURSOR_TIMEOUT)")
	f.Var(&sf.importMax, "import-max-size", "maximum CSV upload size, e.g. 1GiB (env SCIMD_IMPORT_MAX_SIZE)")
	f.IntVar(&sf.importWorkers, "import-workers", 1, "import jobs run concurrently by this process (env SCIMD_IMPORT_WORKERS)")
	f.IntVar(&sf.importChunk, "import-chunk", 0, "rows per import transaction; 0: 1000 on SQLite, 2500 on PostgreSQL (env SCIMD_IMPORT_CHUNK)")
	f.DurationVar(&sf.jobRetention, "job-retention", 2*365*24*time.Hour, "how long job records are kept (env SCIMD_JOB_RETENTION)")
	f.DurationVar(&sf.reportRetention, "report-retention", 7*24*time.Hour, "how long job reports are kept (env SCIMD_REPORT_RETENTION)")
	f.IntVar(&sf.maxGroupsUser, "max-groups-per-user", 500, "limit of the groups column of one import row (env SCIMD_MAX_GROUPS_PER_USER)")
	f.IntVar(&sf.maxGroupsFile, "max-groups-per-file", 25000, "limit of distinct groups in one group import file (env SCIMD_MAX_GROUPS_PER_FILE)")
	f.DurationVar(&sf.shutdownTimeout, "shutdown-timeout", 30*time.Second, "grace period for in-flight requests on SIGTERM (env SCIMD_SHUTDOWN_TIMEOUT)")
	f.StringVar(&sf.cpuProfile, "cpuprofile", "", "write a pprof CPU profile to this file until shutdown (for benchmarks)")
	_ = f.MarkHidden("cpuprofile")
	return cmd
}

// server is the running program: store, API and HTTP listener. Tests start
// it on 127.0.0.1:0.
type server struct {
	log     *slog.Logger
	store   *sqlstore.Store
	api     *scim.API
	http    *http.Server
	ln      net.Listener
	timeout time.Duration
	flags   *serveFlags
}

func openServer(ctx context.Context, log *slog.Logger, g *globalFlags, sf *serveFlags, stdout io.Writer) (*server, error) {
	reg, err := schemas.Load(g.schemas)
	if err != nil {
		return nil, fmt.Errorf("load schemas: %w", err)
	}
	st, err := sqlstore.Open(ctx, sqlstore.Config{DSN: g.database, Registry: reg, Logger: log, ReportRetention: sf.reportRetention})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	promReg := prometheus.NewRegistry()
	promReg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	hasher := password.Hasher{P: password.Default}
	api, err := scim.New(scim.Config{
		BaseURL:           sf.baseURL,
		MaxBodyBytes:      int64(sf.maxBody),
		AdminToken:        sf.adminToken,
		TokenCacheTTL:     sf.tokenCacheTTL,
		OAuthTokenTTL:     sf.oauthTokenTTL,
		MaxImportBytes:    int64(sf.importMax),
		MaxGroupsPerUser:  sf.maxGroupsUser,
		MaxGroupsPerFile:  sf.maxGroupsFile,
		BulkMaxOperations: sf.bulkMaxOps,
		CursorTimeout:     sf.cursorTimeout,
	}, scim.Deps{
		Store: st, Registry: reg, Logger: log,
		Metrics: promReg, Gatherer: promReg,
		HashPassword: hasher.Hash,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	if err := bootstrap(ctx, api.Admin(), sf.bootstrapToken, stdout); err != nil {
		st.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", sf.addr)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("listen: %w", err)
	}
	s := &server{
		log: log, store: st, api: api, ln: ln, timeout: sf.shutdownTimeout, flags: sf,
		http: &http.Server{
			Handler:           api.Handler(),
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       120 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
	}
	log.Info("listening", "addr", ln.Addr().String(), "database", st.Dialect())
	return s, nil
}

// bootstrap creates tenant "default" on first start and prints its token
// once; with --bootstrap-token it ensures that exact token exists.
func bootstrap(ctx context.Context, ad *scim.Admin, token string, stdout io.Writer) error {
	const name = "default"
	_, created, err := ad.EnsureTenant(ctx, name)
	if err != nil {
		return fmt.Errorf("ensure tenant %s: %w", name, err)
	}
	if token != "" {
		if _, err := ad.EnsureToken(ctx, name, token, scim.AllScopes, "bootstrap token"); err != nil {
			return fmt.Errorf("bootstrap token: %w", err)
		}
		return nil
	}
	if !created {
		return nil
	}
	_, secret, err := ad.CreateToken(ctx, name, scim.AllScopes, "created on first start")
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	fmt.Fprintf(stdout, `Created tenant %q. Its bearer token (shown once; only a hash is stored):

    %s

Example:
    curl -H "Authorization: Bearer %s" http://localhost:8080/scim/v2/Users

`, name, secret, secret)
	return nil
}

// Addr is the address the server listens on.
func (s *server) Addr() string { return s.ln.Addr().String() }

// run serves until ctx is cancelled, then shuts down gracefully: in-flight
// requests finish (up to the shutdown timeout) before the store closes.
func (s *server) run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.ln) }()

	// Background work: import workers and the retention purge. They stop
	// when the server shuts down; a running import stops after its current
	// chunk commits and is released to the queue.
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for i := range s.flags.importWorkers {
		r := s.api.ImportRunner(workerID(i), importChunk(s.flags.importChunk, s.store.Dialect()))
		wg.Add(1)
		go func() { defer wg.Done(); r.Run(bg) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); s.purgeJobs(bg) }()

	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		s.log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		defer cancel()
		err = s.http.Shutdown(sctx)
		if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	stopBG()
	wg.Wait()
	if cerr := s.store.Close(); err == nil {
		err = cerr
	}
	s.log.Info("stopped")
	return err
}

// workerID names this process's job claims: host, pid, worker index and a
// random suffix (a restarted process must not look like its predecessor).
func workerID(i int) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%d/%s", host, os.Getpid(), i, scim.NewSecret()[6:14])
}

// purgeJobs deletes expired job records and reports, and expired OAuth
// access tokens, every hour.
func (s *server) purgeJobs(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		now := time.Now()
		if err := s.store.PurgeJobs(ctx, now.Add(-s.flags.jobRetention), now.Add(-s.flags.reportRetention)); err != nil && ctx.Err() == nil {
			s.log.Warn("purge jobs", "err", err)
		}
		if n, err := s.store.PurgeExpiredTokens(ctx, now); err != nil && ctx.Err() == nil {
			s.log.Warn("purge expired tokens", "err", err)
		} else if n > 0 {
			s.log.Info("purged expired tokens", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
