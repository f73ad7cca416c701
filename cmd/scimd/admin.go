package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/store/sqlstore"
)

// withAdmin opens the database directly (no server needed) and runs fn.
func withAdmin(ctx context.Context, g *globalFlags, fn func(*scim.Admin) error) error {
	reg, err := schemas.Load(g.schemas)
	if err != nil {
		return fmt.Errorf("load schemas: %w", err)
	}
	st, err := sqlstore.Open(ctx, sqlstore.Config{DSN: g.database, Registry: reg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer st.Close()
	return fn(&scim.Admin{Store: st, NewID: scim.NewID, Now: time.Now})
}

func newTenantCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "tenant", Short: "Manage tenants in the database (offline)"}
	cmd.AddCommand(&cobra.Command{
		Use: "create NAME", Short: "Create a tenant", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(cmd.Context(), g, func(ad *scim.Admin) error {
				t, err := ad.CreateTenant(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created tenant %s (id %d)\n", t.Name, t.ID)
				return nil
			})
		},
	}, &cobra.Command{
		Use: "list", Short: "List tenants", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withAdmin(cmd.Context(), g, func(ad *scim.Admin) error {
				ts, err := ad.Store.ListTenants(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tCREATED")
				for _, t := range ts {
					fmt.Fprintf(tw, "%d\t%s\t%s\n", t.ID, t.Name, t.CreatedAt.UTC().Format(time.RFC3339))
				}
				return tw.Flush()
			})
		},
	}, &cobra.Command{
		Use: "delete NAME", Short: "Delete a tenant and all its users, groups, tokens and jobs", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(cmd.Context(), g, func(ad *scim.Admin) error {
				if err := ad.DeleteTenant(cmd.Context(), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted tenant %s\n", args[0])
				return nil
			})
		},
	}, newTenantExportCmd(g), newTenantImportCmd(g)) // tenant_snapshot.go
	cmd.AddCommand(newTenantSetCmd(g))
	return cmd
}

func newTokenCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Manage bearer tokens in the database (offline)"}
	var scopes, description string
	create := &cobra.Command{
		Use: "create TENANT", Short: "Create a bearer token (printed once)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(cmd.Context(), g, func(ad *scim.Admin) error {
				id, secret, err := ad.CreateToken(cmd.Context(), args[0], splitScopes(scopes), description)
				if err != nil {
					return err
				}
				printToken(cmd.OutOrStdout(), id, secret)
				return nil
			})
		},
	}
	create.Flags().StringVar(&scopes, "scopes", strings.Join(scim.AllScopes, ","), "comma-separated scopes")
	create.Flags().StringVar(&description, "description", "", "free text")
	cmd.AddCommand(create, &cobra.Command{
		Use: "list TENANT", Short: "List a tenant's tokens (never the secrets)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(cmd.Context(), g, func(ad *scim.Admin) error {
				ts, err := ad.ListTokens(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSCOPES\tCREATED\tDESCRIPTION")
				for _, t := range ts {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, strings.Join(t.Scopes, ","), t.CreatedAt.UTC().Format(time.RFC3339), t.Description)
				}
				return tw.Flush()
			})
		},
	}, &cobra.Command{
		Use: "delete TENANT ID", Short: "Revoke a token", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(cmd.Context(), g, func(ad *scim.Admin) error {
				if err := ad.DeleteToken(cmd.Context(), args[0], args[1]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "revoked token %s\n", args[1])
				return nil
			})
		},
	})
	return cmd
}

func splitScopes(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, p)
	}
	return out
}

func printToken(w io.Writer, id, secret string) {
	fmt.Fprintf(w, "token id: %s\ntoken (shown once): %s\n", id, secret)
}
