package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

type importFlags struct {
	clientFlags
	mode, matchBy, emptyCells, description, report string
	dryRun, createGroups                           bool
}

func newImportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import a CSV file through a running server (users or group assignments)",
	}
	cmd.AddCommand(newImportSub("users", "/scim/v2/Users/.import", true), newImportSub("groups", "/scim/v2/Groups/.import", false))
	return cmd
}

func newImportSub(what, endpoint string, users bool) *cobra.Command {
	f := &importFlags{}
	cmd := &cobra.Command{
		Use:   what + " FILE",
		Short: "Upload FILE as a " + what + " import job, follow it and save its report",
		Long: `Uploads FILE, shows a progress bar while the job runs, prints the counts and
saves the per-row report (default: FILE with the suffix .report.csv).
Exit status: 0 when every row succeeded, 1 when rows failed, 2 when the job
itself failed, was cancelled or the upload was refused.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd, f, endpoint, args[0], users)
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&f.dryRun, "dry-run", false, "validate and report what would happen; write nothing")
	fl.StringVar(&f.description, "description", "", "free text kept on the job record")
	fl.StringVar(&f.report, "report", "", "where to save the per-row report CSV (default FILE.report.csv; '-' for stdout)")
	if users {
		fl.StringVar(&f.mode, "mode", "update", "matched users: update, ignore or fail")
		fl.StringVar(&f.matchBy, "match-by", "userName", "identifier for rows without id: userName, emails or externalId")
		fl.StringVar(&f.emptyCells, "empty-cells", "keep", "empty cells: keep (leave unchanged) or clear (remove the attribute)")
		fl.BoolVar(&f.createGroups, "create-groups", false, "create groups named in the groups column that do not exist")
	}
	return cmd
}

func runImport(cmd *cobra.Command, f *importFlags, endpoint, path string, users bool) error {
	ctx := cmd.Context()
	cl, err := f.client()
	if err != nil {
		return err
	}
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return err
	}
	q := url.Values{}
	if f.dryRun {
		q.Set("dryRun", "true")
	}
	if f.description != "" {
		q.Set("description", f.description)
	}
	if users {
		q.Set("mode", f.mode)
		q.Set("matchBy", f.matchBy)
		q.Set("emptyCells", f.emptyCells)
		if f.createGroups {
			q.Set("groups", "create")
		}
	}
	stderr := cmd.ErrOrStderr()
	var body io.Reader = file
	var upBar *progressbar.ProgressBar
	if f.progress {
		upBar = progressbar.NewOptions64(st.Size(), progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("upload"), progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100_000_000), progressbar.OptionClearOnFinish())
		r := progressbar.NewReader(file, upBar)
		body = &r
	}
	resp, err := cl.do(ctx, http.MethodPost, endpoint+"?"+q.Encode(), body, "text/csv")
	if err != nil {
		return exitError{code: 2, msg: fmt.Sprintf("upload: %v", err)}
	}
	if upBar != nil {
		_ = upBar.Finish()
	}
	if resp.StatusCode != http.StatusAccepted {
		defer resp.Body.Close()
		return exitError{code: 2, msg: scimErr(resp).Error()}
	}
	var j job
	err = json.NewDecoder(resp.Body).Decode(&j)
	resp.Body.Close()
	if err != nil {
		return exitError{code: 2, msg: fmt.Sprintf("decode job: %v", err)}
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		loc = j.Meta.Location
	}
	fmt.Fprintf(stderr, "job %s queued\n", j.ID)
	var bar *progressbar.ProgressBar
	final, err := cl.waitJob(ctx, loc, func(j *job) {
		if !f.progress || j.Total == 0 {
			return
		}
		if bar == nil {
			bar = progressbar.NewOptions64(j.Total, progressbar.OptionSetWriter(stderr),
				progressbar.OptionSetDescription("rows"), progressbar.OptionShowCount(),
				progressbar.OptionShowIts(), progressbar.OptionSetItsString("rows"),
				progressbar.OptionThrottle(200_000_000))
		}
		_ = bar.Set64(j.Processed)
	})
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return exitError{code: 2, msg: fmt.Sprintf("follow job %s: %v", j.ID, err)}
	}
	printCounts(cmd.OutOrStdout(), final, users)
	reportPath := f.report
	if reportPath == "" {
		reportPath = strings.TrimSuffix(path, filepath.Ext(path)) + ".report.csv"
	}
	if err := saveReport(cmd, cl, loc+"/report", reportPath); err != nil {
		fmt.Fprintf(stderr, "warning: report not saved: %v\n", err)
	} else if reportPath != "-" {
		fmt.Fprintf(stderr, "report saved to %s\n", reportPath)
	}
	switch {
	case final.Status != "succeeded":
		msg := "job " + final.Status
		if final.Error != "" {
			msg += ": " + final.Error
		}
		return exitError{code: 2, msg: msg}
	case final.Failed > 0:
		return exitError{code: 1, msg: fmt.Sprintf("%d row(s) failed; see the report", final.Failed)}
	}
	return nil
}

func printCounts(w io.Writer, j *job, users bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	what := "users"
	if !users {
		what = "groups"
	}
	dry := ""
	if j.DryRun {
		dry = " (dry run: nothing was written)"
	}
	fmt.Fprintf(tw, "job\t%s\t%s%s\n", j.ID, j.Status, dry)
	fmt.Fprintf(tw, "rows\t%d of %d processed\n", j.Processed, j.Total)
	fmt.Fprintf(tw, "%s created\t%d\n", what, j.Created)
	fmt.Fprintf(tw, "%s updated\t%d\n", what, j.Updated)
	fmt.Fprintf(tw, "unchanged\t%d\n", j.Unchanged)
	fmt.Fprintf(tw, "skipped\t%d\n", j.Skipped)
	fmt.Fprintf(tw, "failed\t%d\n", j.Failed)
	if j.MembershipsAdded > 0 || !users {
		fmt.Fprintf(tw, "memberships added\t%d\n", j.MembershipsAdded)
	}
	if j.Error != "" {
		fmt.Fprintf(tw, "error\t%s\n", j.Error)
	}
	tw.Flush()
}

func saveReport(cmd *cobra.Command, cl *client, loc, path string) error {
	resp, err := cl.do(cmd.Context(), http.MethodGet, loc, nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return scimErr(resp)
	}
	var w io.Writer = cmd.OutOrStdout()
	if path != "-" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	_, err = io.Copy(w, resp.Body)
	return err
}
