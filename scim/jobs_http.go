package scim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scimd/scimd/bulkcsv"
	"github.com/scimd/scimd/internal/reqctx"
	"github.com/scimd/scimd/store"
)

// listJobs answers GET /Jobs: newest first, paginated like a ListResponse.
func (a *API) listJobs(c echo.Context) error {
	ctx := c.Request().Context()
	start, count := 1, a.cfg.DefaultCount
	for name, dst := range map[string]*int{"startIndex": &start, "count": &count} {
		if s := c.QueryParam(name); s != "" {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				return badRequest("invalidValue", "query parameter %s must be an integer, got %q", name, s)
			}
			*dst = n
		}
	}
	start = max(start, 1)
	count = min(max(count, 0), a.cfg.MaxResults)
	jobs, total, err := a.store.ListJobs(ctx, tenantID(c), visibleJobTypes(reqctx.Scopes(ctx)), start-1, count)
	if err != nil {
		return err
	}
	rd := a.newRenderer(c.Request(), projection{})
	return a.writeList(c, total, start, len(jobs), func(buf *bytes.Buffer, i int) error {
		raw, err := json.Marshal(rd.job(jobs[i]))
		buf.Write(raw)
		return err
	})
}

// getJob answers GET /Jobs/{id}.
func (a *API) getJob(c echo.Context) error {
	j, err := a.requestJob(c, jobReadScopes)
	if err != nil {
		return err
	}
	return a.writeJob(c, http.StatusOK, j)
}

func (a *API) writeJob(c echo.Context, status int, j store.Job) error {
	rd := a.newRenderer(c.Request(), projection{})
	raw, err := json.Marshal(rd.job(j))
	if err != nil {
		return err
	}
	return c.Blob(status, "application/scim+json", raw)
}

// cancelJob answers DELETE /Jobs/{id}: a queued job is cancelled at once,
// a running one stops after its current chunk (rows already committed
// stay applied; the report says which).
func (a *API) cancelJob(c echo.Context) error {
	if _, err := a.requestJob(c, jobManageScopes); err != nil {
		return err
	}
	j, err := a.store.RequestCancel(c.Request().Context(), tenantID(c), c.Param("id"))
	if err != nil {
		return err
	}
	return a.writeJob(c, http.StatusOK, j)
}

// jobReport answers GET /Jobs/{id}/report: the per-row report as CSV,
// streamed (row,status,id,userName,error).
func (a *API) jobReport(c echo.Context) error {
	ctx := c.Request().Context()
	tid := tenantID(c)
	j, err := a.requestJob(c, jobReadScopes)
	if err != nil {
		return err
	}
	if j.ReportExpiresAt != nil && a.now().After(*j.ReportExpiresAt) {
		return &apiError{Status: http.StatusGone, Detail: "The report of this job has expired (reports are kept for a limited time)."}
	}
	w := c.Response()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+j.ID+`-report.csv"`)
	w.WriteHeader(http.StatusOK)
	rw, err := bulkcsv.NewReportWriter(w)
	if err != nil {
		return nil
	}
	n := 0
	err = a.store.ScanReport(ctx, tid, j.ID, func(l store.ReportLine) error {
		if err := rw.Write(l.Row, l.Status, l.ID, l.UserName, l.Error); err != nil {
			return err
		}
		if n++; n%2000 == 0 {
			if err := rw.Flush(); err != nil {
				return err
			}
			w.Flush()
		}
		return nil
	})
	if err != nil {
		a.log.WarnContext(ctx, "job report stream ended early", "job", j.ID, "err", err)
		return nil // the response is committed; the client sees a short body
	}
	return rw.Flush()
}
