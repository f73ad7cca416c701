package scim

import (
	"bytes"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scimd/scimd/internal/reqctx"
	"github.com/scimd/scimd/store"
)

func tenantID(c echo.Context) int64 {
	t, _ := reqctx.TenantFrom(c.Request().Context())
	return t.ID
}

func (a *API) getUser(c echo.Context) error {
	ctx := c.Request().Context()
	tid := tenantID(c)
	id := c.Param("id")
	u, err := a.store.GetUser(ctx, tid, id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", etag(u.Version))
	if notModified(c.Request(), u.Version) {
		return c.NoContent(http.StatusNotModified)
	}
	proj := parseProjection(c.QueryParam("attributes"), c.QueryParam("excludedAttributes"))
	var groups []store.GroupRef
	if proj.includes(a.reg.Users, "groups") {
		gm, err := a.store.GroupsOfUsers(ctx, tid, []string{id})
		if err != nil {
			return err
		}
		groups = gm[id]
	}
	rd := a.newRenderer(c.Request(), proj)
	buf := a.bufs.get(2048)
	defer a.bufs.put(buf)
	if err := rd.user(buf, a.reg.Users, &u, groups); err != nil {
		return err
	}
	c.Response().Header().Set("Content-Location", rd.userLocation(id))
	return c.Blob(http.StatusOK, "application/scim+json", buf.Bytes())
}

func (a *API) listUsers(c echo.Context) error {
	p, err := a.fromQuery(c)
	if err != nil {
		return err
	}
	return a.respondUserList(c, p)
}

func (a *API) searchUsers(c echo.Context) error {
	p, err := a.fromSearchBody(c)
	if err != nil {
		return err
	}
	return a.respondUserList(c, p)
}

func (a *API) respondUserList(c echo.Context, p listParams) error {
	ctx := c.Request().Context()
	tid := tenantID(c)
	users, total, err := a.queryUsers(ctx, tid, &p)
	if err != nil {
		return err
	}
	var groups map[string][]store.GroupRef
	if len(users) > 0 && p.proj.includes(a.reg.Users, "groups") {
		ids := make([]string, len(users))
		for i := range users {
			ids[i] = users[i].ID
		}
		if groups, err = a.store.GroupsOfUsers(ctx, tid, ids); err != nil {
			return err
		}
	}
	rd := a.newRenderer(c.Request(), p.proj)
	return a.writeListPage(c, &p, total, len(users), func(buf *bytes.Buffer, i int) error {
		return rd.user(buf, a.reg.Users, &users[i], groups[users[i].ID])
	})
}
