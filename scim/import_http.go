package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/labstack/echo/v4"

	"github.com/scimd/scimd/bulkcsv"
	"github.com/scimd/scimd/internal/reqctx"
	"github.com/scimd/scimd/store"
)

// headerPrefix is how much of an upload is read before the job is created
// to check the header (and the start of the file) at once.
const headerPrefix = 2 << 20

func (a *API) importUsers(c echo.Context) error  { return a.importFile(c, bulkcsv.TypeUsersImport) }
func (a *API) importGroups(c echo.Context) error { return a.importFile(c, bulkcsv.TypeGroupsImport) }

// importFile accepts a CSV upload (SPEC §5, §6): it checks the parameters
// and the header at once (400, no job, for a file that cannot be imported
// at all), stores the file with a queued job, and answers 202 with the
// job and its Location. A worker on any replica runs the job.
func (a *API) importFile(c echo.Context, typ string) error {
	req := c.Request()
	ctx := req.Context()
	q := c.QueryParams()
	job := store.Job{ID: a.svc.NewID(), TenantID: tenantID(c), Type: typ, Status: store.JobQueued, CreatedAt: a.now()}
	opts, err := a.importLimits(ctx, job.TenantID)
	if err != nil {
		return err
	}
	if job.DryRun, err = parseBoolParam(q.Get("dryRun")); err != nil {
		return badRequest("invalidValue", "dryRun: %v", err)
	}
	job.Description = q.Get("description")
	if len(job.Description) > 1000 {
		return badRequest("invalidValue", "description is longer than 1000 characters")
	}
	var empty bulkcsv.EmptyCells
	if typ == bulkcsv.TypeUsersImport {
		if job.Mode, err = bulkcsv.ParseMode(q.Get("mode")); err != nil {
			return badRequest("invalidValue", "%v", err)
		}
		mb, err := bulkcsv.ParseMatchBy(q.Get("matchBy"))
		if err != nil {
			return badRequest("invalidValue", "%v", err)
		}
		opts.MatchBy = string(mb)
		if empty, err = bulkcsv.ParseEmptyCells(q.Get("emptyCells")); err != nil {
			return badRequest("invalidValue", "%v", err)
		}
		if empty == bulkcsv.EmptyClear {
			opts.EmptyCells = "clear"
		}
		switch g := strings.ToLower(q.Get("groups")); g {
		case "":
		case "create":
			opts.CreateGroups = true
		default:
			return badRequest("invalidValue", "groups %q: the only value is \"create\"", q.Get("groups"))
		}
	}
	if req.ContentLength > a.cfg.MaxImportBytes {
		return errImportTooLarge(a.cfg.MaxImportBytes)
	}
	src, err := uploadedFile(req)
	if err != nil {
		return err
	}
	limited := &importLimit{r: src, left: a.cfg.MaxImportBytes, limit: a.cfg.MaxImportBytes}
	prefix, err := io.ReadAll(io.LimitReader(limited, headerPrefix))
	if err != nil {
		return err
	}
	if err := a.checkHeader(c, prefix, typ, opts, empty); err != nil {
		return err
	}
	if job.Options, err = json.Marshal(opts); err != nil {
		return err
	}
	if err := a.store.CreateJob(ctx, &job, io.MultiReader(bytes.NewReader(prefix), limited)); err != nil {
		return err
	}
	select { // this process's runners claim it now, not at their next poll
	case a.jobQueued <- struct{}{}:
	default:
	}
	rd := a.newRenderer(req, projection{})
	c.Response().Header().Set("Location", rd.base+"/Jobs/"+job.ID)
	return a.writeJob(c, http.StatusAccepted, job)
}

// importLimits returns the import limits of a tenant: its own settings,
// else the server's defaults.
func (a *API) importLimits(ctx context.Context, tenantID int64) (bulkcsv.ImportOptions, error) {
	opts := bulkcsv.ImportOptions{MaxGroupsPerUser: a.cfg.MaxGroupsPerUser, MaxGroupsPerFile: a.cfg.MaxGroupsPerFile}
	t, err := a.store.GetTenantByID(ctx, tenantID)
	if err != nil {
		return opts, err
	}
	if n := t.Settings.MaxGroupsPerUser; n > 0 {
		opts.MaxGroupsPerUser = n
	}
	if n := t.Settings.MaxGroupsPerFile; n > 0 {
		opts.MaxGroupsPerFile = n
	}
	return opts, nil
}

// checkHeader refuses a file that cannot be imported at all.
func (a *API) checkHeader(c echo.Context, prefix []byte, typ string, opts bulkcsv.ImportOptions, empty bulkcsv.EmptyCells) error {
	if len(bytes.TrimSpace(bytes.TrimPrefix(prefix, []byte("\xef\xbb\xbf")))) == 0 {
		return badRequest("invalidValue", "the file is empty (a header row is required)")
	}
	rd, err := bulkcsv.NewReader(bytes.NewReader(prefix), bulkcsv.ReaderOptions{})
	if err != nil {
		return fileError(err)
	}
	header := rd.Header()
	if typ == bulkcsv.TypeGroupsImport {
		_, err := bulkcsv.NewGroupMapper(a.reg, header, bulkcsv.GroupMapperOptions{MaxGroupsPerUser: opts.MaxGroupsPerUser})
		return fileError(err)
	}
	mb, _ := bulkcsv.ParseMatchBy(opts.MatchBy)
	_, err = bulkcsv.NewMapper(a.reg, bulkcsv.DetectDialect(a.reg, header), header, bulkcsv.MapperOptions{
		EmptyCells: empty, MatchBy: mb, MaxGroupsPerUser: opts.MaxGroupsPerUser,
	})
	if err != nil {
		return fileError(err)
	}
	for _, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), "groups") && !reqctx.HasScope(c.Request().Context(), ScopeGroupsManage) {
			return forbidden("The file has a groups column: importing group memberships needs the %s scope too.", ScopeGroupsManage)
		}
	}
	return nil
}

// fileError turns a file-level CSV problem into a 400 naming it.
func fileError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) {
		return badRequest("invalidValue", "the file is empty (a header row is required)")
	}
	var fe *bulkcsv.FileError
	var ce *bulkcsv.ColumnError
	if errors.As(err, &fe) || errors.As(err, &ce) {
		return badRequest("invalidValue", "the file cannot be imported: %v", err)
	}
	return badRequest("invalidValue", "the file cannot be imported: %v", err)
}

// uploadedFile returns the CSV bytes of the request: the body itself, or
// the "file" part of a multipart/form-data body (streamed, not buffered).
func uploadedFile(req *http.Request) (io.Reader, error) {
	mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return req.Body, nil
	}
	mr, err := req.MultipartReader()
	if err != nil {
		return nil, badRequest("invalidSyntax", "malformed multipart/form-data body: %v", err)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, badRequest("invalidValue", "the multipart/form-data body has no \"file\" field")
		}
		if err != nil {
			return nil, badRequest("invalidSyntax", "malformed multipart/form-data body: %v", err)
		}
		if part.FormName() == "file" {
			return part, nil
		}
		part.Close()
	}
}

func errImportTooLarge(limit int64) error {
	return &apiError{Status: http.StatusRequestEntityTooLarge, ScimType: scimerrors.ScimTypeTooMany,
		Detail: fmt.Sprintf("The upload exceeds the import size limit of %d bytes.", limit)}
}

// importLimit fails the upload once it exceeds the import size limit.
type importLimit struct {
	r           io.Reader
	left, limit int64
}

func (l *importLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, errImportTooLarge(l.limit)
	}
	return n, err
}

func parseBoolParam(s string) (bool, error) {
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(strings.ToLower(s))
	if err != nil {
		return false, fmt.Errorf("%q is not a boolean", s)
	}
	return b, nil
}
