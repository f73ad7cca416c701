package scim

import (
	"bytes"
	"context"
	"net/http"

	elimity "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/scimd/scimd/scim/bulk"
	"github.com/scimd/scimd/scim/resource"
	"github.com/scimd/scimd/store"
)

// groupHandler is the elimity ResourceHandler for Groups. Members are rows:
// PATCH adds or removes single rows and never loads the member list unless
// a member filter needs it.
type groupHandler struct{ a *API }

var _ elimity.ResourceHandler = (*groupHandler)(nil)

// resolveMembers and applyDelta are shared with the Bulk engine, which
// owns them (scim/bulk/rfc_members.go).
func resolveMembers(ctx context.Context, tx store.Tx, groupID string, ms []store.Member) error {
	return bulk.ResolveMembers(ctx, tx, groupID, ms)
}

func applyDelta(ctx context.Context, tx store.Tx, groupID string, d resource.MemberDelta) (bool, error) {
	return bulk.ApplyDelta(ctx, tx, groupID, d)
}

func (h *groupHandler) Create(r *http.Request, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	ctx := r.Context()
	a := h.a
	g, members, err := a.svc.NewGroup(attrs)
	if err != nil {
		return elimity.Resource{}, a.fail(ctx, err)
	}
	err = a.store.Tx(ctx, tenantOf(ctx), func(tx store.Tx) error {
		if err := resolveMembers(ctx, tx, g.ID, members); err != nil {
			return err
		}
		if err := single(tx.InsertGroups(ctx, []*store.Group{g})); err != nil {
			return err
		}
		_, err := tx.AddMembers(ctx, members)
		return err
	})
	if err != nil {
		return elimity.Resource{}, a.fail(ctx, err)
	}
	if err := a.respondGroup(r, g, true); err != nil {
		return elimity.Resource{}, a.fail(ctx, err)
	}
	return elimity.Resource{ID: g.ID, Attributes: done()}, nil
}

func lockGroup(ctx context.Context, tx store.Tx, r *http.Request, id string) (*store.Group, error) {
	m, err := tx.GroupsBy(ctx, false, []string{id})
	if err != nil {
		return nil, err
	}
	gs := m[id]
	if len(gs) == 0 {
		return nil, notFound("Group %s not found.", id)
	}
	if err := checkIfMatch(r, gs[0].Version); err != nil {
		return nil, err
	}
	return gs[0], nil
}

func (h *groupHandler) Replace(r *http.Request, id string, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	ctx := r.Context()
	a := h.a
	var out *store.Group
	err := a.store.Tx(ctx, tenantOf(ctx), func(tx store.Tx) error {
		old, err := lockGroup(ctx, tx, r, id)
		if err != nil {
			return err
		}
		g, delta, err := a.svc.ReplaceGroup(old, attrs)
		if err != nil {
			return err
		}
		if _, err := applyDelta(ctx, tx, id, delta); err != nil {
			return err
		}
		out = g
		return single(tx.UpdateGroups(ctx, []*store.Group{g}))
	})
	if err != nil {
		return elimity.Resource{}, a.fail(ctx, err)
	}
	if err := a.respondGroup(r, out, true); err != nil {
		return elimity.Resource{}, a.fail(ctx, err)
	}
	return elimity.Resource{ID: out.ID, Attributes: done()}, nil
}

func (h *groupHandler) Patch(r *http.Request, id string, ops []elimity.PatchOperation) (elimity.Resource, error) {
	ctx := r.Context()
	a := h.a
	tid := tenantOf(ctx)
	var out *store.Group
	err := a.store.Tx(ctx, tid, func(tx store.Tx) error {
		old, err := lockGroup(ctx, tx, r, id)
		if err != nil {
			return err
		}
		loader := func() ([]store.Member, error) {
			mm, err := a.store.Members(ctx, tid, []string{id})
			return mm[id], err
		}
		g, delta, changed, err := a.svc.PatchGroup(old, convertOps(ops), loader)
		if err != nil {
			return err
		}
		membersChanged, err := applyDelta(ctx, tx, id, delta)
		if err != nil {
			return err
		}
		switch {
		case changed:
			out = g
			return single(tx.UpdateGroups(ctx, []*store.Group{g}))
		case membersChanged:
			if err := tx.TouchGroups(ctx, []string{id}); err != nil {
				return err
			}
			touched := *old
			touched.Version++
			touched.Modified = a.now()
			out = &touched
		default:
			out = old
		}
		return nil
	})
	if err != nil {
		return elimity.Resource{}, a.fail(ctx, err)
	}
	q := r.URL.Query()
	if q.Get("attributes") == "" && q.Get("excludedAttributes") == "" {
		// 204: membership PATCH on a large group must not render it.
		ov := overrideFrom(ctx)
		ov.set, ov.etag = true, etag(out.Version)
		return elimity.Resource{ID: out.ID}, nil
	}
	if err := a.respondGroup(r, out, true); err != nil {
		return elimity.Resource{}, a.fail(ctx, err)
	}
	return elimity.Resource{ID: out.ID, Attributes: done()}, nil
}

func (h *groupHandler) Delete(r *http.Request, id string) error {
	ctx := r.Context()
	a := h.a
	err := a.store.Tx(ctx, tenantOf(ctx), func(tx store.Tx) error {
		if r.Header.Get("If-Match") != "" {
			if _, err := lockGroup(ctx, tx, r, id); err != nil {
				return err
			}
		}
		return single(tx.DeleteGroups(ctx, []string{id}))
	})
	if err != nil {
		return a.fail(ctx, err)
	}
	return nil
}

// Get is required by elimity's interface; GET is served by API.getGroup.
func (h *groupHandler) Get(r *http.Request, id string) (elimity.Resource, error) {
	return elimity.Resource{}, scimerrors.ScimError{Status: http.StatusNotFound, Detail: "not routed"}
}

// GetAll is required by elimity's interface; lists are served by API.listGroups.
func (h *groupHandler) GetAll(r *http.Request, _ elimity.ListRequestParams) (elimity.Page, error) {
	return elimity.Page{}, scimerrors.ScimError{Status: http.StatusNotFound, Detail: "not routed"}
}

// respondGroup records our rendering of g for the override writer,
// loading members when the projection returns them.
func (a *API) respondGroup(r *http.Request, g *store.Group, loadMembers bool) error {
	ctx := r.Context()
	proj := parseProjection(r.URL.Query().Get("attributes"), r.URL.Query().Get("excludedAttributes"))
	withMembers := loadMembers && proj.includes(a.reg.Groups, "members")
	var members []store.Member
	if withMembers {
		mm, err := a.store.Members(ctx, tenantOf(ctx), []string{g.ID})
		if err != nil {
			return err
		}
		members = mm[g.ID]
	}
	rd := a.newRenderer(r, proj)
	var buf bytes.Buffer
	if err := rd.group(&buf, a.reg.Groups, g, members, withMembers); err != nil {
		return err
	}
	ov := overrideFrom(ctx)
	ov.set, ov.body, ov.etag, ov.location = true, buf.Bytes(), etag(g.Version), rd.groupLocation(g.ID)
	return nil
}
