package scim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/labstack/echo/v4"

	"github.com/scimd/scimd/scim/filter"
	"github.com/scimd/scimd/scim/resource"
	"github.com/scimd/scimd/store"
)

// apiError is an error that already knows its SCIM status and scimType.
type apiError struct {
	Status   int
	ScimType scimerrors.ScimType
	Detail   string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.ScimType, e.Detail) }

func badRequest(scimType scimerrors.ScimType, format string, args ...any) error {
	return &apiError{Status: http.StatusBadRequest, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &apiError{Status: http.StatusNotFound, Detail: fmt.Sprintf(format, args...)}
}

func forbidden(format string, args ...any) error {
	return &apiError{Status: http.StatusForbidden, Detail: fmt.Sprintf(format, args...)}
}

// errPreconditionFailed is returned when If-Match does not match.
var errPreconditionFailed = &apiError{Status: http.StatusPreconditionFailed,
	Detail: "The resource has changed since the version given in If-Match."}

// toScimError is the one mapping from any error to a SCIM error value.
// Errors without a known mapping become a 500 whose detail is logged, not
// shown.
func toScimError(ctx context.Context, log *slog.Logger, err error) scimerrors.ScimError {
	var (
		ae   *apiError
		ue   *store.UniquenessError
		qe   *store.QueryError
		re   *resource.Error
		se   *filter.SyntaxError
		he   *echo.HTTPError
		sErr scimerrors.ScimError
	)
	switch {
	case errors.As(err, &ae):
		return scimerrors.ScimError{Status: ae.Status, ScimType: ae.ScimType, Detail: ae.Detail}
	case errors.As(err, &sErr):
		return sErr
	case errors.As(err, &ue):
		return scimerrors.ScimError{Status: http.StatusConflict, ScimType: scimerrors.ScimTypeUniqueness, Detail: ue.Error()}
	case errors.Is(err, store.ErrUniqueness):
		return scimerrors.ScimError{Status: http.StatusConflict, ScimType: scimerrors.ScimTypeUniqueness, Detail: "A unique attribute value is already in use."}
	case errors.Is(err, store.ErrNotFound):
		return scimerrors.ScimError{Status: http.StatusNotFound, Detail: "Resource not found."}
	case errors.Is(err, store.ErrVersionMismatch):
		return scimerrors.ScimError{Status: errPreconditionFailed.Status, Detail: errPreconditionFailed.Detail}
	case errors.As(err, &qe):
		t := scimerrors.ScimTypeInvalidFilter
		if qe.Sort {
			t = scimerrors.ScimTypeInvalidValue
		}
		return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: t, Detail: qe.Error()}
	case errors.As(err, &se):
		return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidFilter, Detail: se.Error()}
	case errors.As(err, &re):
		return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimType(re.ScimType), Detail: re.Detail}
	case errors.As(err, &he):
		return echoError(he)
	case errors.Is(err, context.DeadlineExceeded):
		return scimerrors.ScimError{Status: http.StatusServiceUnavailable, Detail: "The request took too long."}
	case errors.Is(err, context.Canceled):
		return scimerrors.ScimError{Status: 499, Detail: "The client closed the request."}
	}
	log.ErrorContext(ctx, "internal error", "err", err)
	return scimerrors.ScimError{Status: http.StatusInternalServerError, Detail: "Internal server error."}
}

// echoError turns echo's own errors (404 no route, 405, 413, 429, …) into
// SCIM errors.
func echoError(he *echo.HTTPError) scimerrors.ScimError {
	detail := http.StatusText(he.Code)
	if m, ok := he.Message.(string); ok && m != "" {
		detail = m
	}
	e := scimerrors.ScimError{Status: he.Code, Detail: detail}
	switch he.Code {
	case http.StatusNotFound:
		e.Detail = "Specified endpoint does not exist."
	case http.StatusMethodNotAllowed:
		e.Detail = "Method not allowed on this endpoint."
	case http.StatusRequestEntityTooLarge:
		e.ScimType = scimerrors.ScimTypeTooMany
		e.Detail = "The request body exceeds the maximum payload size."
	case http.StatusTooManyRequests:
		e.Detail = "Too many requests; retry later."
	}
	return e
}

// writeScimError writes err as a SCIM error body.
func writeScimError(w http.ResponseWriter, e scimerrors.ScimError) {
	raw, _ := json.Marshal(e)
	h := w.Header()
	h.Set("Content-Type", "application/scim+json")
	if e.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="scimd"`)
	}
	w.WriteHeader(e.Status)
	_, _ = w.Write(raw)
}

// errorHandler is echo's HTTPErrorHandler: every error leaves as a SCIM body.
func (a *API) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	req := c.Request()
	writeScimError(c.Response(), toScimError(req.Context(), a.log, err))
}
