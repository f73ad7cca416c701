package scim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	ast "github.com/scim2/filter-parser/v2"

	"github.com/scimd/scimd/bulkcsv"
	"github.com/scimd/scimd/internal/reqctx"
	scimfilter "github.com/scimd/scimd/scim/filter"
	"github.com/scimd/scimd/store"
)

// exportParams are the checked query parameters of an export.
type exportParams struct {
	cols    []bulkcsv.Column // users export only
	groups  bool             // the groups column is requested
	query   store.Query
	raw     bool
	options exportOptions // as recorded on the job
}

// exportOptions are the export parameters kept on the job record.
type exportOptions struct {
	Attributes []string `json:"attributes,omitempty"` // as given; absent: the default columns
	Filter     string   `json:"filter,omitempty"`
	Group      string   `json:"group,omitempty"`   // as given (id or displayName)
	GroupID    string   `json:"groupId,omitempty"` // the group it resolved to
	Raw        bool     `json:"raw,omitempty"`
}

// describe renders the parameters for the job's description.
func (o exportOptions) describe(what string) string {
	var b strings.Builder
	b.WriteString(what)
	b.WriteString(" export")
	if len(o.Attributes) > 0 {
		b.WriteString("; attributes=")
		b.WriteString(strings.Join(o.Attributes, ","))
	}
	if o.Filter != "" {
		b.WriteString("; filter=")
		b.WriteString(o.Filter)
	}
	if o.Group != "" {
		b.WriteString("; group=")
		b.WriteString(o.Group)
		if o.GroupID != o.Group {
			b.WriteString(" (" + o.GroupID + ")")
		}
	}
	if o.Raw {
		b.WriteString("; raw=true")
	}
	s := b.String()
	if len(s) > 1000 {
		s = strings.ToValidUTF8(s[:997], "") + "…"
	}
	return s
}

// allColumns is the attributes= value that selects every exportable
// column (bulkcsv.Columns: id, externalId, every writable attribute of the
// User schema and its extensions, groups).
const allColumns = "*"

// userExportParams checks the query parameters of GET /Users/.export.
// Everything that can be refused is refused here, before the response is
// committed: an unknown or write-only column, an invalid filter (parsed,
// then translated by the store without running it), an unknown group.
func (a *API) userExportParams(ctx context.Context, tid int64, q url.Values) (exportParams, error) {
	var p exportParams
	var err error
	if p.raw, err = parseBoolParam(q.Get("raw")); err != nil {
		return p, badRequest("invalidValue", "raw: %v", err)
	}
	p.options.Raw = p.raw
	var names []string
	for _, v := range q["attributes"] {
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
	}
	p.options.Attributes = names
	switch {
	case len(names) == 1 && names[0] == allColumns:
		p.cols = bulkcsv.Columns(a.reg)
	case len(names) > 1 && slices.Contains(names, allColumns):
		return p, badRequest("invalidValue", "attributes: %q selects every column and cannot be combined with other columns", allColumns)
	default:
		if p.cols, err = bulkcsv.ExportColumns(a.reg, names); err != nil {
			return p, badRequest("invalidValue", "attributes: %v", err)
		}
	}
	for _, col := range p.cols {
		p.groups = p.groups || col.Kind == bulkcsv.KindGroups
	}
	var expr ast.Expression
	if f := strings.TrimSpace(q.Get("filter")); f != "" {
		if expr, err = scimfilter.Parse(f); err != nil {
			return p, err
		}
		p.options.Filter = f
	}
	if g := strings.TrimSpace(q.Get("group")); g != "" {
		gid, err := a.resolveGroup(ctx, tid, g)
		if err != nil {
			return p, err
		}
		p.options.Group, p.options.GroupID = g, gid
		sub := "value"
		scope := &ast.AttributeExpression{
			AttributePath: ast.AttributePath{AttributeName: "groups", SubAttribute: &sub},
			Operator:      ast.EQ, CompareValue: gid,
		}
		if expr == nil {
			expr = scope
		} else {
			expr = &ast.LogicalExpression{Left: scope, Right: expr, Operator: ast.AND}
		}
	}
	if expr != nil {
		p.query.Filter = expr
	}
	// Count 0 returns no rows: the store only translates the filter, so
	// a filter it cannot evaluate is a 400 now rather than a broken
	// stream later.
	p.query.Count = 0
	if err := a.store.ScanUsers(ctx, tid, p.query, func(*store.User) error { return nil }); err != nil {
		return p, err
	}
	p.query.Count = -1
	p.query.Lean = true // rows are flattened from Attrs
	return p, nil
}

// resolveGroup turns the group= parameter, a group id or display name,
// into the group's id. A value that names no group is a 400 invalidValue
// (the endpoint exists; the parameter is wrong).
func (a *API) resolveGroup(ctx context.Context, tid int64, v string) (string, error) {
	g, err := a.store.GetGroup(ctx, tid, v)
	if err == nil {
		return g.ID, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	f := &ast.AttributeExpression{AttributePath: ast.AttributePath{AttributeName: "displayName"}, Operator: ast.EQ, CompareValue: v}
	gs, _, err := a.store.ListGroups(ctx, tid, store.Query{Filter: f, Count: 2})
	if err != nil {
		return "", err
	}
	if len(gs) != 1 {
		return "", badRequest("invalidValue", "group %q: no group has this id or displayName", v)
	}
	return gs[0].ID, nil
}

// exportUsers answers GET /Users/.export (SPEC §7): the users matching
// filter= (and, with group=, the direct members of that group) as CSV
// with the attributes= columns, streamed in id (creation) order.
//
// The response starts as soon as the parameters are checked; the
// X-Scimd-Job header names the users-export job that records the export
// once it ends (GET /Jobs/{id} is 404 until then; GET /Jobs lists it
// newest first). A failure after the first byte cannot change the status
// any more: the job is recorded as failed and the connection is aborted
// so that the client sees a truncated transfer, never a short file that
// looks complete.
func (a *API) exportUsers(c echo.Context) error {
	ctx := c.Request().Context()
	tid := tenantID(c)
	p, err := a.userExportParams(ctx, tid, c.QueryParams())
	if err != nil {
		return err
	}
	release, err := a.exportSlot(ctx)
	if err != nil {
		return err
	}
	defer release()
	job := a.newExportJob(tid, store.JobUsersExport, p.options, "users")
	out := a.startCSV(c, job.ID, "users")
	defer out.close()
	ux := &userExporter{st: a.store, tid: tid, groups: p.groups, dec: newAttrDecoder(p.cols), out: out}
	ux.w, err = bulkcsv.NewWriter(out, p.cols, bulkcsv.WriterOptions{Raw: p.raw})
	if err == nil {
		err = ux.flush() // the header leaves at once, before the first row is read
	}
	if err == nil {
		err = scanBatches(ctx, exportUserBatch, func(ctx context.Context, fn func(*store.User) error) error {
			return a.store.ScanUsers(ctx, tid, p.query, fn)
		}, ux.writeBatch)
	}
	return a.endExport(c, job, ux.rows, ux.truncated, err)
}

// exportGroups answers GET /Groups/.export (SPEC §7):
// id,displayName,externalId,members with members as ';'-separated member
// ids, every group of the tenant in id order, streamed; raw=true turns
// formula neutralisation off. Recorded as a groups-export job like the
// users export.
func (a *API) exportGroups(c echo.Context) error {
	ctx := c.Request().Context()
	tid := tenantID(c)
	raw, err := parseBoolParam(c.QueryParam("raw"))
	if err != nil {
		return badRequest("invalidValue", "raw: %v", err)
	}
	release, err := a.exportSlot(ctx)
	if err != nil {
		return err
	}
	defer release()
	job := a.newExportJob(tid, store.JobGroupsExport, exportOptions{Raw: raw}, "groups")
	out := a.startCSV(c, job.ID, "groups")
	defer out.close()
	gx := &groupExporter{st: a.store, tid: tid, out: out}
	gx.w, err = bulkcsv.NewGroupsWriter(out, bulkcsv.WriterOptions{Raw: raw})
	if err == nil {
		err = gx.flush()
	}
	if err == nil {
		err = scanBatches(ctx, exportGroupBatch, func(ctx context.Context, fn func(*store.Group) error) error {
			return a.store.ScanGroups(ctx, tid, store.Query{Count: -1}, fn)
		}, gx.writeBatch)
	}
	return a.endExport(c, job, gx.rows, 0, err)
}

// newExportJob starts the job record of an export; it is stored by
// endExport, in its final state.
func (a *API) newExportJob(tid int64, typ string, o exportOptions, what string) *store.Job {
	now := a.now()
	j := &store.Job{ID: a.svc.NewID(), TenantID: tid, Type: typ, Description: o.describe(what), CreatedAt: now, StartedAt: &now}
	if raw, err := json.Marshal(o); err == nil && string(raw) != "{}" {
		j.Options = raw
	}
	return j
}

// endExport records the export's job (succeeded, or failed with the
// reason) and ends the response: normally when the export is complete,
// by aborting the connection when it is not.
func (a *API) endExport(c echo.Context, j *store.Job, rows, truncated int64, err error) error {
	req := c.Request()
	ctx := req.Context()
	fin := a.now()
	j.FinishedAt = &fin
	j.Total, j.Processed, j.Truncated = rows, rows, truncated
	j.Status = store.JobSucceeded
	var gone *clientGoneError
	clientGone := errors.As(err, &gone) || ctx.Err() != nil
	if err != nil {
		j.Status = store.JobFailed
		if clientGone {
			j.Error = "aborted after " + itoa(int(rows)) + " rows: the client closed the connection or stopped reading"
			a.log.WarnContext(ctx, "export aborted by the client", "job", j.ID, "rows", rows, "err", err)
		} else {
			j.Error = "aborted after " + itoa(int(rows)) + " rows: internal error (request id " + reqctx.RequestID(ctx) + ")"
			a.log.ErrorContext(ctx, "export failed", "job", j.ID, "rows", rows, "err", err)
		}
	}
	// The request context is cancelled when the client has gone; the
	// record must be written anyway.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if cerr := a.store.CreateJob(sctx, j, nil); cerr != nil {
		a.log.ErrorContext(ctx, "export job not recorded", "job", j.ID, "err", cerr)
	}
	if err != nil && !clientGone {
		// The status line is gone; only a cut connection tells the client
		// that the body is incomplete.
		panic(http.ErrAbortHandler)
	}
	return nil
}
