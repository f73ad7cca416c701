package scim

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	elimity "github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"
	"github.com/labstack/echo/v4"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/scim/resource"
)

// newElimityServer builds the elimity server for resource writes,
// /Schemas and /ResourceTypes from the schemas registry.
func (a *API) newElimityServer() (elimity.Server, error) {
	rt := func(r *schemas.ResourceType, h elimity.ResourceHandler) elimity.ResourceType {
		exts := make([]elimity.SchemaExtension, 0, len(r.Extensions))
		for _, e := range r.Extensions {
			exts = append(exts, elimity.SchemaExtension{Schema: e.Schema.Elimity(), Required: e.Required})
		}
		return elimity.ResourceType{
			ID:               optional.NewString(r.ID),
			Name:             r.Name,
			Description:      optional.NewString(r.Description),
			Endpoint:         r.Endpoint,
			Schema:           r.Schema.Elimity(),
			SchemaExtensions: exts,
			Handler:          h,
		}
	}
	return elimity.NewServer(&elimity.ServerArgs{
		ServiceProviderConfig: &elimity.ServiceProviderConfig{
			MaxResults: a.cfg.MaxResults, SupportFiltering: true, SupportPatch: true,
		},
		ResourceTypes: []elimity.ResourceType{
			rt(a.reg.Users, &userHandler{a: a}),
			rt(a.reg.Groups, &groupHandler{a: a}),
		},
	}, elimity.WithLogger(elimityLogger{a}))
}

type elimityLogger struct{ a *API }

func (l elimityLogger) Error(args ...interface{}) {
	l.a.log.Error("elimity", "msg", fmt.Sprint(args...))
}

// viaElimity hands the request to the elimity server. Our handlers render
// successful responses themselves (absolute meta.location, Location
// header, accurate schemas); the override writer puts that rendering in
// place of elimity's.
func (a *API) viaElimity(c echo.Context) error {
	r2, ov := a.elimityRequest(c.Request())
	w := &overrideWriter{ResponseWriter: c.Response(), ov: ov}
	a.elim.ServeHTTP(w, r2)
	return nil
}

// elimityRequest is req as elimity (and so our handlers) get it: without
// the /scim prefix, with an override in the context.
func (a *API) elimityRequest(req *http.Request) (*http.Request, *override) {
	ov := &override{}
	ctx := context.WithValue(req.Context(), overrideKey{}, ov)
	r2 := req.Clone(ctx)
	r2.URL.Path = strings.TrimPrefix(req.URL.Path, "/scim")
	r2.URL.RawPath = ""
	return r2, ov
}

// patchViaElimity normalises IdP quirks that the pinned elimity version
// rejects (Entra's bare-string manager, extension objects in path-less
// replace) before elimity validates the PATCH body.
func (a *API) patchViaElimity(c echo.Context) error {
	rt, dec, fast := a.reg.Users, a.patchUsers, a.patchFastUsers
	var h elimity.ResourceHandler = &userHandler{a: a}
	if strings.Contains(c.Path(), "/Groups") {
		rt, dec, fast = a.reg.Groups, a.patchGroups, a.patchFastGroups
		h = &groupHandler{a: a}
	}
	in := body(c)
	out, err := resource.NormalizePatchBody(rt, in)
	if err != nil {
		return err
	}
	// Our decoder names the problem precisely (noTarget, mutability,
	// invalidPath …); elimity's messages are generic.
	ops, err := dec.Decode(out)
	if err != nil {
		return err
	}
	// elimity would accept the body and hand the handler these ops: skip
	// its second parse (patch_direct.go).
	if fast.accepts(out) && a.patchDirect(c, rt.Endpoint, h, ops) {
		return nil
	}
	if len(out) != len(in) || (len(out) > 0 && &out[0] != &in[0]) {
		req := c.Request()
		req.Body = newBody(out)
		req.ContentLength = int64(len(out))
	}
	return a.viaElimity(c)
}

type overrideKey struct{}

// override carries our rendering of a successful write from the handler
// (called inside elimity) to the response writer.
type override struct {
	set      bool
	body     []byte
	etag     string
	location string
}

func overrideFrom(ctx context.Context) *override {
	ov, _ := ctx.Value(overrideKey{}).(*override)
	if ov == nil {
		ov = &override{} // not under viaElimity (e.g. a direct call): discard
	}
	return ov
}

// overrideWriter replaces elimity's success body with ours and passes
// errors through.
type overrideWriter struct {
	http.ResponseWriter
	ov      *override
	wrote   bool
	swallow bool
}

func (w *overrideWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	if !w.ov.set || code < 200 || code > 299 {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	h := w.Header()
	if w.ov.etag != "" {
		h.Set("ETag", w.ov.etag)
	}
	if w.ov.location != "" {
		h.Set("Location", w.ov.location)
		if code == http.StatusCreated {
			h.Set("Content-Location", w.ov.location)
		}
	}
	w.swallow = true
	if code == http.StatusNoContent || w.ov.body == nil {
		h.Del("Content-Type")
		w.ResponseWriter.WriteHeader(code)
		return
	}
	h.Set("Content-Type", "application/scim+json")
	h.Set("Content-Length", strconv.Itoa(len(w.ov.body)))
	w.ResponseWriter.WriteHeader(code)
	_, _ = w.ResponseWriter.Write(w.ov.body)
}

func (w *overrideWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.swallow {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}
