package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/scimd/scimd/internal/password"
	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/bulk"
	"github.com/scimd/scimd/scim/resource"
	"github.com/scimd/scimd/scim/snapshot"
	"github.com/scimd/scimd/store"
	"github.com/scimd/scimd/store/sqlstore"
)

// `scimd tenant export|import`: tenant snapshots (SPEC §9) offline, on
// the database directly, with the code of GET/POST /scim/v2/.export and
// /.import (package scim/snapshot). Both are recorded as jobs of the
// tenant, like their HTTP twins.

// withSnapshot opens the database and the schemas (--schemas-dir matters:
// the snapshot carries the custom schemas) and runs fn.
func withSnapshot(ctx context.Context, g *globalFlags, fn func(st *sqlstore.Store, reg *schemas.Registry) error) error {
	reg, err := schemas.Load(g.schemas)
	if err != nil {
		return fmt.Errorf("load schemas: %w", err)
	}
	st, err := sqlstore.Open(ctx, sqlstore.Config{DSN: g.database, Registry: reg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer st.Close()
	return fn(st, reg)
}

func cliNow() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func newTenantExportCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "export NAME",
		Short: "Write tenant NAME as a snapshot (JSON) to standard output",
		Long: `Writes the whole tenant (custom schemas, users with password hashes, groups,
memberships) as the JSON snapshot of GET /scim/v2/.export to standard output:

    scimd tenant export acme > acme.json

Streamed: memory does not grow with the tenant.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return withSnapshot(ctx, g, func(st *sqlstore.Store, reg *schemas.Registry) error {
				t, err := st.GetTenant(ctx, args[0])
				if err != nil {
					return fmt.Errorf("tenant %s: %w", args[0], err)
				}
				started := cliNow()
				w := bufio.NewWriterSize(cmd.OutOrStdout(), 256<<10)
				x := &snapshot.Exporter{Store: st, Reg: reg, Now: cliNow}
				stats, err := x.Export(ctx, t, w, w.Flush)
				job := snapshot.ExportJob(scim.NewID(), t.ID, "tenant export (scimd tenant export)", started, cliNow(), stats, err)
				recordJob(ctx, st, job, cmd.ErrOrStderr())
				if err != nil {
					return exitError{code: 2, msg: fmt.Sprintf("export of tenant %s broke off after %d users and %d groups: %v", t.Name, stats.Users, stats.Groups, err)}
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "exported tenant %s: %d users, %d groups, %d memberships\n", t.Name, stats.Users, stats.Groups, stats.Members)
				return nil
			})
		},
	}
}

func newTenantImportCmd(g *globalFlags) *cobra.Command {
	var mode, description string
	var chunk int
	cmd := &cobra.Command{
		Use:   "import NAME FILE",
		Short: "Load a tenant snapshot into tenant NAME",
		Long: `Loads a snapshot written by "scimd tenant export" or GET /scim/v2/.export into
tenant NAME, as POST /scim/v2/.import does: a check pass reads FILE ("-":
standard input) once and writes nothing to the database (a snapshot that
cannot be imported is refused whole), then the restore writes.

--mode decides what happens to a record whose id or userName (displayName
for groups) exists in the tenant: ignore keeps the existing one, update
overwrites it, fail imports nothing and lists the conflicts.

Exit status: 0 when the import ran to the end (failed records, if any, are
counted and in the job's report), 2 when the snapshot was refused or the
import stopped early.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			m, err := snapshot.ParseMode(mode)
			if err != nil {
				return err
			}
			in := cmd.InOrStdin()
			if args[1] != "-" {
				f, err := os.Open(args[1])
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			return withSnapshot(ctx, g, func(st *sqlstore.Store, reg *schemas.Registry) error {
				t, err := st.GetTenant(ctx, args[0])
				if err != nil {
					return fmt.Errorf("tenant %s: %w", args[0], err)
				}
				hasher := password.Hasher{P: password.Default}
				svc := &resource.Service{Reg: reg, Hash: hasher.Hash, NewID: scim.NewID, Now: cliNow}
				log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
				im := &snapshot.Importer{Engine: &bulk.Engine{Store: st, Svc: svc, Reg: reg, Log: log}, ChunkSize: chunk}
				started := cliNow()
				jobID := scim.NewID()
				res, err := im.Import(ctx, t.ID, bufio.NewReaderSize(in, 256<<10), snapshot.ImportOptions{Mode: m, JobID: jobID})
				var inv *snapshot.InvalidError
				var rerr *snapshot.ReadError
				if errors.As(err, &inv) || errors.As(err, &rerr) {
					return exitError{code: 2, msg: err.Error()}
				}
				desc := description
				if desc == "" {
					desc = "tenant import (scimd tenant import)"
				}
				job := snapshot.ImportJob(jobID, t.ID, m, desc, started, cliNow(), res, err)
				recordJob(ctx, st, job, cmd.ErrOrStderr())
				c := res.Counts
				fmt.Fprintf(cmd.ErrOrStderr(), "tenant %s, mode=%s: %d records (%d users, %d groups): created %d, updated %d, unchanged %d, skipped %d, failed %d; memberships added %d; job %s\n",
					t.Name, m, res.Users+res.Groups, res.Users, res.Groups, c.Created, c.Updated, c.Unchanged, c.Skipped, c.Failed, c.MembershipsAdded, job.ID)
				if err != nil {
					return exitError{code: 2, msg: err.Error()}
				}
				if c.Failed > 0 {
					fmt.Fprintf(cmd.ErrOrStderr(), "%d records failed; see the report of job %s (GET /scim/v2/Jobs/%s/report)\n", c.Failed, job.ID, job.ID)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&mode, "mode", "ignore", "what to do with a record that exists: ignore, update or fail")
	f.StringVar(&description, "description", "", "free text kept on the job record")
	f.IntVar(&chunk, "chunk", bulk.DefaultChunkSize, "users per transaction")
	return cmd
}

// recordJob stores a finished job; a failure is reported, not fatal.
func recordJob(ctx context.Context, st store.Store, j *store.Job, stderr io.Writer) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := st.CreateJob(ctx, j, nil); err != nil {
		fmt.Fprintf(stderr, "scimd: job %s not recorded: %v\n", j.ID, err)
	}
}
