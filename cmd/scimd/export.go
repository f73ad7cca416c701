package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

type exportFlags struct {
	clientFlags
	attributes, filter, group, output string
	raw                               bool
}

func newExportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export users or groups as CSV through a running server",
	}
	cmd.AddCommand(newExportSub("users", "/scim/v2/Users/.export", true), newExportSub("groups", "/scim/v2/Groups/.export", false))
	return cmd
}

func newExportSub(what, endpoint string, users bool) *cobra.Command {
	f := &exportFlags{}
	cmd := &cobra.Command{
		Use:   what,
		Short: "Stream the " + what + " export to stdout (or --output FILE)",
		Long: `Streams the CSV export to stdout or to --output FILE and prints the number
of rows (and, for users, of values cut off) on stderr. The export is recorded
as a job on the server (see GET /scim/v2/Jobs).
Exit status: 0 on success, 2 when the server refused the export or the
transfer broke off (an --output file is then removed).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExport(cmd, f, endpoint, users)
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "write the CSV to FILE instead of stdout")
	fl.BoolVar(&f.raw, "raw", false, "do not neutralise cells a spreadsheet would run as a formula")
	if users {
		fl.StringVar(&f.attributes, "attributes", "", `comma-separated columns (default: active,userName,userType,emails[0].*); "*" for every column; "emails" = emails[0..2].*`)
		fl.StringVar(&f.filter, "filter", "", `SCIM filter, e.g. 'active eq true and emails.value ew "@example.com"'`)
		fl.StringVar(&f.group, "group", "", "only the direct members of this group (id or displayName)")
	}
	return cmd
}

func runExport(cmd *cobra.Command, f *exportFlags, endpoint string, users bool) (err error) {
	ctx := cmd.Context()
	cl, err := f.client()
	if err != nil {
		return err
	}
	q := url.Values{}
	if f.raw {
		q.Set("raw", "true")
	}
	if users {
		for k, v := range map[string]string{"attributes": f.attributes, "filter": f.filter, "group": f.group} {
			if v != "" {
				q.Set(k, v)
			}
		}
	}
	path := endpoint
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	resp, err := cl.do(ctx, http.MethodGet, path, nil, "")
	if err != nil {
		return exitError{code: 2, msg: fmt.Sprintf("export: %v", err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return exitError{code: 2, msg: scimErr(resp).Error()}
	}
	var out io.Writer = cmd.OutOrStdout()
	if f.output != "" {
		file, err := os.Create(f.output)
		if err != nil {
			return exitError{code: 2, msg: err.Error()}
		}
		defer func() {
			if cerr := file.Close(); err == nil && cerr != nil {
				err = exitError{code: 2, msg: cerr.Error()}
			}
			if err != nil {
				os.Remove(f.output) // never leave a truncated file that looks complete
			}
		}()
		out = file
	}
	stderr := cmd.ErrOrStderr()
	if f.progress && f.output != "" {
		bar := progressbar.NewOptions64(-1, progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("export"), progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(200_000_000), progressbar.OptionClearOnFinish())
		defer bar.Finish()
		out = io.MultiWriter(out, bar)
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		return exitError{code: 2, msg: fmt.Sprintf("export broke off: %v", err)}
	}
	// The server records the export as a job before it ends the response.
	if id := resp.Header.Get("X-Scimd-Job"); id != "" {
		if j, err := cl.getJob(ctx, "/scim/v2/Jobs/"+url.PathEscape(id)); err == nil {
			msg := fmt.Sprintf("exported %d rows (job %s)", j.Total, j.ID)
			if j.Truncated > 0 {
				msg += fmt.Sprintf("; %d values did not fit in the columns and were cut", j.Truncated)
			}
			if f.output != "" {
				msg += " to " + filepath.Clean(f.output)
			}
			fmt.Fprintln(stderr, msg)
		}
	}
	return nil
}
