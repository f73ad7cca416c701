package scim

import (
	"bytes"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scimd/scimd/store"
)

func (a *API) getGroup(c echo.Context) error {
	ctx := c.Request().Context()
	tid := tenantID(c)
	id := c.Param("id")
	g, err := a.store.GetGroup(ctx, tid, id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", etag(g.Version))
	if notModified(c.Request(), g.Version) {
		return c.NoContent(http.StatusNotModified)
	}
	proj := parseProjection(c.QueryParam("attributes"), c.QueryParam("excludedAttributes"))
	withMembers := proj.includes(a.reg.Groups, "members")
	var members []store.Member
	if withMembers {
		mm, err := a.store.Members(ctx, tid, []string{id})
		if err != nil {
			return err
		}
		members = mm[id]
	}
	rd := a.newRenderer(c.Request(), proj)
	var buf bytes.Buffer
	if err := rd.group(&buf, a.reg.Groups, &g, members, withMembers); err != nil {
		return err
	}
	c.Response().Header().Set("Content-Location", rd.groupLocation(id))
	return c.Blob(http.StatusOK, "application/scim+json", buf.Bytes())
}

func (a *API) listGroups(c echo.Context) error {
	p, err := a.fromQuery(c)
	if err != nil {
		return err
	}
	return a.respondGroupList(c, p)
}

func (a *API) searchGroups(c echo.Context) error {
	p, err := a.fromSearchBody(c)
	if err != nil {
		return err
	}
	return a.respondGroupList(c, p)
}

func (a *API) respondGroupList(c echo.Context, p listParams) error {
	ctx := c.Request().Context()
	tid := tenantID(c)
	groups, total, err := a.queryGroups(ctx, tid, &p)
	if err != nil {
		return err
	}
	withMembers := p.proj.includes(a.reg.Groups, "members")
	var members map[string][]store.Member
	if withMembers && len(groups) > 0 {
		ids := make([]string, len(groups))
		for i := range groups {
			ids[i] = groups[i].ID
		}
		if members, err = a.store.Members(ctx, tid, ids); err != nil {
			return err
		}
	}
	rd := a.newRenderer(c.Request(), p.proj)
	return a.writeListPage(c, &p, total, len(groups), func(buf *bytes.Buffer, i int) error {
		return rd.group(buf, a.reg.Groups, &groups[i], members[groups[i].ID], withMembers)
	})
}
