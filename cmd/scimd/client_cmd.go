package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/scimd/scimd/scim"
)

// newClientCmd is `scimd client create|list|delete`: OAuth 2.0 clients
// (client credentials grant) managed in the database directly, like
// `scimd token`.
func newClientCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "client",
		Short: "Manage OAuth 2.0 clients (client credentials grant) in the database (offline)",
		Long: `Manage OAuth 2.0 clients in the database (offline). A client exchanges its
id and secret at POST /oauth2/token (grant_type=client_credentials) for a
short-lived bearer token limited to (a subset of) the client's scopes.`,
	}
	var scopes, description string
	create := &cobra.Command{
		Use: "create TENANT", Short: "Create an OAuth client (its secret is printed once)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(cmd.Context(), g, func(ad *scim.Admin) error {
				ss := splitScopes(scopes)
				id, secret, err := ad.CreateClient(cmd.Context(), args[0], ss, description)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "client_id: %s\nclient_secret (shown once): %s\nscopes: %s\n",
					id, secret, strings.Join(ss, " "))
				return nil
			})
		},
	}
	create.Flags().StringVar(&scopes, "scopes", strings.Join(scim.AllScopes, ","), "comma-separated scopes the client may request")
	create.Flags().StringVar(&description, "description", "", "free text")
	cmd.AddCommand(create, &cobra.Command{
		Use: "list TENANT", Short: "List a tenant's OAuth clients (never the secrets)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(cmd.Context(), g, func(ad *scim.Admin) error {
				cs, err := ad.ListClients(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CLIENT_ID\tSCOPES\tCREATED\tDESCRIPTION")
				for _, c := range cs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, strings.Join(c.Scopes, ","),
						c.CreatedAt.UTC().Format(time.RFC3339), c.Description)
				}
				return tw.Flush()
			})
		},
	}, &cobra.Command{
		Use: "delete TENANT CLIENT_ID", Short: "Delete an OAuth client and revoke its access tokens", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(cmd.Context(), g, func(ad *scim.Admin) error {
				if err := ad.DeleteClient(cmd.Context(), args[0], args[1]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted client %s and revoked its access tokens\n", args[1])
				return nil
			})
		},
	})
	return cmd
}
