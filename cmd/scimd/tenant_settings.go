package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/store"
)

// newTenantSetCmd is `scimd tenant set NAME --max-groups-per-user N …`:
// per-tenant overrides of the server's import limits (0 = the default).
func newTenantSetCmd(g *globalFlags) *cobra.Command {
	var s store.TenantSettings
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: "Set a tenant's limits (0 restores the server default)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(cmd.Context(), g, func(ad *scim.Admin) error {
				if err := ad.SetTenantSettings(cmd.Context(), args[0], s); err != nil {
					return err
				}
				t, err := ad.Store.GetTenant(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				raw, _ := json.Marshal(t.Settings)
				fmt.Fprintf(cmd.OutOrStdout(), "tenant %s settings: %s\n", t.Name, raw)
				return nil
			})
		},
	}
	cmd.Flags().IntVar(&s.MaxGroupsPerUser, "max-groups-per-user", 0, "limit of the groups column of one import row (0: server default)")
	cmd.Flags().IntVar(&s.MaxGroupsPerFile, "max-groups-per-file", 0, "limit of distinct groups in one group import file (0: server default)")
	return cmd
}
