package scim

import (
	"bytes"
	"context"
	"net/http"

	elimity "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/scimd/scimd/internal/reqctx"
	"github.com/scimd/scimd/scim/resource"
	"github.com/scimd/scimd/store"
)

// userHandler is the elimity ResourceHandler for Users. elimity validates
// the request body against the schemas before calling it. Reads (Get,
// GetAll) are routed to our own handlers and never reach elimity.
type userHandler struct{ a *API }

var _ elimity.ResourceHandler = (*userHandler)(nil)

// single unwraps the error of a one-item batch.
func single(err error) error {
	if errs := store.ItemErrors(err); errs != nil {
		for _, e := range errs {
			return e
		}
	}
	return err
}

// fail maps err to the ScimError value elimity requires.
func (a *API) fail(ctx context.Context, err error) error {
	return toScimError(ctx, a.log, err)
}

func tenantOf(ctx context.Context) int64 {
	t, _ := reqctx.TenantFrom(ctx)
	return t.ID
}

// done returns a minimal non-empty attribute set for elimity so that it
// answers 200/201; the override writer substitutes our rendering. It must
// be a fresh map per call: elimity writes id, schemas and meta into it.
func done() elimity.ResourceAttributes { return elimity.ResourceAttributes{"ok": true} }

func (h *userHandler) Create(r *http.Request, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	ctx := r.Context()
	a := h.a
	u, err := a.svc.NewUser(attrs)
	if err != nil {
		return elimity.Resource{}, a.fail(ctx, err)
	}
	err = a.store.Tx(ctx, tenantOf(ctx), func(tx store.Tx) error {
		return single(tx.InsertUsers(ctx, []*store.User{u}))
	})
	if err != nil {
		return elimity.Resource{}, a.fail(ctx, err)
	}
	if err := a.respondUser(r, u, nil); err != nil {
		return elimity.Resource{}, a.fail(ctx, err)
	}
	return elimity.Resource{ID: u.ID, Attributes: done()}, nil
}

// lockUser reads one user for update inside tx and checks If-Match.
func lockUser(ctx context.Context, tx store.Tx, r *http.Request, id string) (*store.User, error) {
	m, err := tx.UsersBy(ctx, store.ByID, []string{id})
	if err != nil {
		return nil, err
	}
	us := m[id]
	if len(us) == 0 {
		return nil, notFound("User %s not found.", id)
	}
	if err := checkIfMatch(r, us[0].Version); err != nil {
		return nil, err
	}
	return us[0], nil
}

func (h *userHandler) Replace(r *http.Request, id string, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	ctx := r.Context()
	a := h.a
	var out *store.User
	err := a.store.Tx(ctx, tenantOf(ctx), func(tx store.Tx) error {
		old, err := lockUser(ctx, tx, r, id)
		if err != nil {
			return err
		}
		if out, err = a.svc.ReplaceUser(old, attrs); err != nil {
			return err
		}
		return single(tx.UpdateUsers(ctx, []*store.User{out}))
	})
	if err != nil {
		return elimity.Resource{}, a.fail(ctx, err)
	}
	if err := a.respondUserWithGroups(r, out); err != nil {
		return elimity.Resource{}, a.fail(ctx, err)
	}
	return elimity.Resource{ID: out.ID, Attributes: done()}, nil
}

func (h *userHandler) Patch(r *http.Request, id string, ops []elimity.PatchOperation) (elimity.Resource, error) {
	ctx := r.Context()
	a := h.a
	var out *store.User
	err := a.store.Tx(ctx, tenantOf(ctx), func(tx store.Tx) error {
		old, err := lockUser(ctx, tx, r, id)
		if err != nil {
			return err
		}
		nu, changed, err := a.svc.PatchUser(old, convertOps(ops))
		if err != nil {
			return err
		}
		if !changed {
			out = old
			return nil
		}
		out = nu
		return single(tx.UpdateUsers(ctx, []*store.User{nu}))
	})
	if err != nil {
		return elimity.Resource{}, a.fail(ctx, err)
	}
	if err := a.respondUserWithGroups(r, out); err != nil {
		return elimity.Resource{}, a.fail(ctx, err)
	}
	return elimity.Resource{ID: out.ID, Attributes: done()}, nil
}

func (h *userHandler) Delete(r *http.Request, id string) error {
	ctx := r.Context()
	a := h.a
	err := a.store.Tx(ctx, tenantOf(ctx), func(tx store.Tx) error {
		if r.Header.Get("If-Match") != "" {
			if _, err := lockUser(ctx, tx, r, id); err != nil {
				return err
			}
		}
		return single(tx.DeleteUsers(ctx, []string{id}))
	})
	if err != nil {
		return a.fail(ctx, err)
	}
	return nil
}

// Get is required by elimity's interface; GET requests are served by
// API.getUser and never reach elimity.
func (h *userHandler) Get(r *http.Request, id string) (elimity.Resource, error) {
	return elimity.Resource{}, scimerrors.ScimError{Status: http.StatusNotFound, Detail: "not routed"}
}

// GetAll is required by elimity's interface; list requests are served by
// API.listUsers and never reach elimity.
func (h *userHandler) GetAll(r *http.Request, _ elimity.ListRequestParams) (elimity.Page, error) {
	return elimity.Page{}, scimerrors.ScimError{Status: http.StatusNotFound, Detail: "not routed"}
}

func convertOps(ops []elimity.PatchOperation) []resource.Op {
	out := make([]resource.Op, len(ops))
	for i, op := range ops {
		out[i] = resource.Op{Op: op.Op, Path: op.Path, Value: op.Value}
	}
	return out
}

// respondUserWithGroups renders u with its groups as the response.
func (a *API) respondUserWithGroups(r *http.Request, u *store.User) error {
	ctx := r.Context()
	gm, err := a.store.GroupsOfUsers(ctx, tenantOf(ctx), []string{u.ID})
	if err != nil {
		return err
	}
	return a.respondUser(r, u, gm[u.ID])
}

// respondUser records our rendering of u for the override writer.
func (a *API) respondUser(r *http.Request, u *store.User, groups []store.GroupRef) error {
	rd := a.newRenderer(r, parseProjection(r.URL.Query().Get("attributes"), r.URL.Query().Get("excludedAttributes")))
	var buf bytes.Buffer
	if err := rd.user(&buf, a.reg.Users, u, groups); err != nil {
		return err
	}
	ov := overrideFrom(r.Context())
	ov.set, ov.body, ov.etag, ov.location = true, buf.Bytes(), etag(u.Version), rd.userLocation(u.ID)
	return nil
}
