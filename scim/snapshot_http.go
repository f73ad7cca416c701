package scim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/labstack/echo/v4"

	"github.com/scimd/scimd/internal/reqctx"
	"github.com/scimd/scimd/scim/bulk"
	"github.com/scimd/scimd/scim/snapshot"
	"github.com/scimd/scimd/store"
)

// Tenant snapshot endpoints (SPEC §9); the format and the import passes
// are documented in package scim/snapshot.

// exportTenant answers GET /.export: the token's tenant as a snapshot
// (application/json), streamed and flushed every batch, with the
// tenant-export job named in X-Scimd-Job and recorded once the export
// ends. Like the CSV exports, a failure after the first byte cuts the
// connection so that a client never takes a short document for a whole
// one (a truncated document is also invalid JSON).
func (a *API) exportTenant(c echo.Context) error {
	ctx := c.Request().Context()
	tid := tenantID(c)
	t, err := a.store.GetTenantByID(ctx, tid)
	if err != nil {
		return err
	}
	release, err := a.exportSlot(ctx)
	if err != nil {
		return err
	}
	defer release()
	job := a.newExportJob(tid, store.JobTenantExport, exportOptions{}, "tenant")
	res := c.Response()
	h := res.Header()
	h.Set(echo.HeaderContentType, "application/json; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="tenant-%s-%s.json"`,
		safeFileName(t.Name), a.now().Format("20060102T150405Z")))
	h.Set("X-Scimd-Job", job.ID)
	h.Set("Cache-Control", "no-store")
	h.Set(echo.HeaderXContentTypeOptions, "nosniff")
	res.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(res)
	defer func() { _ = rc.SetWriteDeadline(time.Time{}) }()
	buf := bufio.NewWriterSize(writeErrWrapper{res}, 64<<10)
	_ = rc.SetWriteDeadline(time.Now().Add(exportWriteTimeout))
	x := &snapshot.Exporter{Store: a.store, Reg: a.reg, Now: a.now}
	st, err := x.Export(ctx, t, buf, func() error {
		if err := buf.Flush(); err != nil {
			return err
		}
		if err := rc.Flush(); err != nil {
			return &clientGoneError{err}
		}
		_ = rc.SetWriteDeadline(time.Now().Add(exportWriteTimeout)) // for the next batch
		return nil
	})
	return a.endExport(c, job, st.Users+st.Groups, 0, err)
}

// safeFileName keeps a tenant name usable in Content-Disposition.
func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r == '/' || r < 0x20 || r > 0x7e {
			return '_'
		}
		return r
	}, s)
}

// importTenant answers POST /.import?mode=ignore|update|fail: it loads a
// snapshot into the token's tenant, synchronously, and answers 204 with
// the tenant-import job in X-Scimd-Job (its counts say what was created,
// updated, unchanged, skipped or failed; its report lists the failures).
//
//   - The body (the snapshot, or the "file" part of a multipart form) is
//     limited by the CSV import limit (--import-max-size), not the JSON
//     body limit. It is read once, streamed, by the check pass, which
//     writes nothing to the database but spools the validated records to
//     a temporary directory for the restore pass.
//   - A snapshot that cannot be imported at all (not JSON, not a
//     snapshot, a custom schema or attribute this server lacks, an invalid
//     record) is a 400 naming the problems; no job, nothing written.
//   - mode=fail with records matching existing ones: 409 uniqueness whose
//     detail lists the first conflicts and their count; the job is
//     recorded failed; nothing written.
//
// The server has no write timeout, so a long import is not cut. A client
// that disconnects stops the import between two chunks (the chunk in
// flight commits, earlier chunks stay); the job is recorded failed with
// the counts so far. Graceful shutdown waits --shutdown-timeout for the
// request like any other; past that the chunk in flight rolls back.
func (a *API) importTenant(c echo.Context) error {
	req := c.Request()
	ctx := req.Context()
	tid := tenantID(c)
	q := c.QueryParams()
	mode, err := snapshot.ParseMode(q.Get("mode"))
	if err != nil {
		return badRequest("invalidValue", "%v", err)
	}
	description := q.Get("description")
	if len(description) > 1000 {
		return badRequest("invalidValue", "description is longer than 1000 characters")
	}
	if req.ContentLength > a.cfg.MaxImportBytes {
		return errImportTooLarge(a.cfg.MaxImportBytes)
	}
	src, err := uploadedFile(req)
	if err != nil {
		return err
	}
	started := a.now()
	jobID := a.svc.NewID()
	im := &snapshot.Importer{Engine: &bulk.Engine{Store: a.store, Svc: a.svc, Reg: a.reg, Log: a.log}}
	body := &importLimit{r: src, left: a.cfg.MaxImportBytes, limit: a.cfg.MaxImportBytes}
	res, err := im.Import(ctx, tid, body, snapshot.ImportOptions{Mode: mode, JobID: jobID})
	var rerr *snapshot.ReadError
	if errors.As(err, &rerr) {
		var ae *apiError
		if errors.As(err, &ae) {
			return ae // over the size limit
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return badRequest("invalidSyntax", "%v", err)
	}
	if err != nil && ctx.Err() != nil && res.Users+res.Groups == 0 {
		return ctx.Err() // the client went away during the check pass: nothing written
	}
	var inv *snapshot.InvalidError
	if errors.As(err, &inv) {
		if inv.Syntax {
			return badRequest("invalidSyntax", "%s", inv.Error())
		}
		return badRequest("invalidValue", "%s", inv.Error())
	}
	if description == "" {
		description = "tenant import"
		if res.Header.Tenant != "" {
			description += " from " + res.Header.Tenant
		}
	}
	job := snapshot.ImportJob(jobID, tid, mode, description, started, a.now(), res, err)
	var conflict *snapshot.ConflictError
	clientGone := err != nil && ctx.Err() != nil
	switch {
	case err == nil, errors.As(err, &conflict):
	case clientGone:
		job.Error = fmt.Sprintf("aborted after %d of %d records: the client closed the connection", res.Counts.Processed, job.Total)
		a.log.WarnContext(ctx, "tenant import aborted by the client", "job", job.ID, "processed", res.Counts.Processed)
	default:
		job.Error = fmt.Sprintf("aborted after %d of %d records: internal error (request id %s)", res.Counts.Processed, job.Total, reqctx.RequestID(ctx))
		a.log.ErrorContext(ctx, "tenant import failed", "job", job.ID, "err", err)
	}
	// Recorded even when the client has gone.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if cerr := a.store.CreateJob(sctx, job, nil); cerr != nil {
		a.log.ErrorContext(ctx, "tenant import job not recorded", "job", job.ID, "err", cerr)
	}
	c.Response().Header().Set("X-Scimd-Job", job.ID)
	if conflict != nil {
		return &apiError{Status: http.StatusConflict, ScimType: scimerrors.ScimTypeUniqueness, Detail: conflict.Error()}
	}
	if err != nil {
		return err
	}
	a.log.InfoContext(ctx, "tenant import", "job", job.ID, "mode", mode, "total", job.Total,
		"created", job.Created, "updated", job.Updated, "unchanged", job.Unchanged,
		"skipped", job.Skipped, "failed", job.Failed, "memberships", job.MembershipsAdded)
	return c.NoContent(http.StatusNoContent)
}
