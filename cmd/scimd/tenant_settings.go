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
// Only the limits given change.
func newTenantSetCmd(g *globalFlags) *cobra.Command {
	var given store.TenantSettings
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: "Set a tenant's limits (0 restores the server default)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(cmd.Context(), g, func(ad *scim.Admin) error {
				t, err := ad.Store.GetTenant(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				for flag, name := range settingFlags {
					if cmd.Flags().Changed(flag) {
						*t.Settings.Field(name) = *given.Field(name)
					}
				}
				if err := ad.SetTenantSettings(cmd.Context(), args[0], t.Settings); err != nil {
					return err
				}
				raw, _ := json.Marshal(t.Settings)
				fmt.Fprintf(cmd.OutOrStdout(), "tenant %s settings: %s\n", t.Name, raw)
				return nil
			})
		},
	}
	cmd.Flags().IntVar(&given.MaxGroupsPerUser, "max-groups-per-user", 0, "limit of the groups column of one import row (0: server default)")
	cmd.Flags().IntVar(&given.MaxGroupsPerFile, "max-groups-per-file", 0, "limit of distinct groups in one group import file (0: server default)")
	return cmd
}

// settingFlags maps `tenant set` flags to the settings' JSON names.
var settingFlags = map[string]string{
	"max-groups-per-user": "maxGroupsPerUser",
	"max-groups-per-file": "maxGroupsPerFile",
}
