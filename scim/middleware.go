package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scimd/scimd/internal/reqctx"
)

func withRequestID(ctx context.Context, id string) context.Context {
	return reqctx.WithRequestID(ctx, id)
}

// recoverPanics turns a panic into a logged 500 SCIM error.
func (a *API) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				a.log.ErrorContext(c.Request().Context(), "panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return next(c)
	}
}

// observe records metrics and writes one structured log line per request.
func (a *API) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // commit the response so the status is known
		}
		res := c.Response()
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		elapsed := time.Since(start)
		a.metrics.observe(c.Request().Method, route, res.Status, elapsed)
		ctx := c.Request().Context()
		level := slog.LevelInfo
		if res.Status >= 500 {
			level = slog.LevelError
		}
		if a.log.Enabled(ctx, level) {
			a.log.LogAttrs(ctx, level, "request",
				slog.String("method", c.Request().Method),
				slog.String("route", route),
				slog.String("uri", c.Request().RequestURI),
				slog.Int("status", res.Status),
				slog.Int64("bytes", res.Size),
				slog.Float64("ms", float64(elapsed.Microseconds())/1000),
			)
		}
		return nil
	}
}

// readBody buffers a JSON request body up to MaxBodyBytes; larger bodies
// are refused with 413 before any handler runs, whether or not the client
// sent a Content-Length.
func (a *API) readBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		limit := a.cfg.MaxBodyBytes
		if req.ContentLength > limit {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		if req.Body == nil || req.Body == http.NoBody {
			return next(c)
		}
		buf, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
		if err != nil {
			return badRequest("invalidSyntax", "could not read the request body: %v", err)
		}
		if int64(len(buf)) > limit {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		if len(bytes.TrimSpace(buf)) > 0 && !json.Valid(buf) {
			return badRequest("invalidSyntax", "the request body is not valid JSON")
		}
		if bytes.Contains(buf, []byte(`\u0000`)) {
			return badRequest("invalidValue", "NUL characters (\\u0000) are not allowed in values")
		}
		req.Body = io.NopCloser(bytes.NewReader(buf))
		req.ContentLength = int64(len(buf))
		c.Set(bodyKey, buf)
		return next(c)
	}
}

const bodyKey = "scimd.body"

// body returns the buffered request body (see readBody).
func body(c echo.Context) []byte {
	b, _ := c.Get(bodyKey).([]byte)
	return b
}

// requireScope lets the request through when its token has any of scopes.
func requireScope(scopes ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			have := reqctx.Scopes(c.Request().Context())
			for _, s := range scopes {
				if slices.Contains(have, s) {
					return next(c)
				}
			}
			return forbidden("The token lacks the %s scope.", scopes[0])
		}
	}
}

// requireAllScopes lets the request through when its token has every one
// of scopes.
func requireAllScopes(scopes ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			have := reqctx.Scopes(c.Request().Context())
			for _, s := range scopes {
				if !slices.Contains(have, s) {
					return forbidden("The token lacks the %s scope.", s)
				}
			}
			return next(c)
		}
	}
}

func (a *API) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (a *API) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := a.store.Ping(ctx); err != nil {
		a.log.WarnContext(ctx, "readiness check failed", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "database unreachable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

func itoa(n int) string { return strconv.Itoa(n) }

func newBody(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }
