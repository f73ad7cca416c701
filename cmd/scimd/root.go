package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// exitError ends the program with a specific status.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

func asExit(err error, target *exitError) bool { return errors.As(err, target) }

// globalFlags are shared by every command.
type globalFlags struct {
	database  string
	schemas   string
	logLevel  string
	logFormat string
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:           "scimd",
		Short:         "SCIM 2.0 server for Users and Groups with bulk CSV import/export",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return applyEnv(cmd)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&g.database, "database", "scimd.db", "database: a SQLite file path, sqlite:///path/file.db, or postgres://… (env SCIMD_DATABASE)")
	pf.StringVar(&g.schemas, "schemas-dir", "", "directory of custom extension schema JSON files (env SCIMD_SCHEMAS_DIR)")
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error (env SCIMD_LOG_LEVEL)")
	pf.StringVar(&g.logFormat, "log-format", "text", "log format: text or json (env SCIMD_LOG_FORMAT)")
	root.AddCommand(newServeCmd(g), newTenantCmd(g), newTokenCmd(g), newClientCmd(g), newImportCmd(), newExportCmd())
	return root
}

// applyEnv gives every flag an environment twin SCIMD_<FLAG> (upper case,
// '-' → '_'). A flag given on the command line wins over the environment.
func applyEnv(cmd *cobra.Command) error {
	var errs []error
	visit := func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		name := "SCIMD_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		}
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	return errors.Join(errs...)
}
