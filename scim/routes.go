package scim

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes wires every endpoint. Static segments (/.search) win over
// parameters (/:id) in echo's router.
func (a *API) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = a.errorHandler
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		RequestIDHandler: func(c echo.Context, id string) {
			c.SetRequest(c.Request().WithContext(withRequestID(c.Request().Context(), id)))
		},
	}))
	e.Use(a.recoverPanics)
	e.Use(a.observe)

	e.GET("/healthz", a.healthz)
	e.GET("/readyz", a.readyz)
	e.GET("/metrics", echo.WrapHandler(a.metrics.handler()))

	adm := e.Group("/admin/v1", a.readBody, a.adminAuth)
	a.adminRoutes(adm)
	a.oauthRoutes(e, adm) // POST /oauth2/token and the admin API for OAuth clients

	g := e.Group("/scim/v2", a.authenticate)
	json := a.readBody // SCIM JSON bodies: size-limited and buffered

	g.GET("/ServiceProviderConfig", a.serviceProviderConfig)
	g.GET("/Schemas", a.viaElimity)
	g.GET("/Schemas/*", a.viaElimity)
	g.GET("/ResourceTypes", a.viaElimity)
	g.GET("/ResourceTypes/*", a.viaElimity)
	g.Any("/Me", a.viaElimity)

	usersRead, usersManage := requireScope(ScopeUsersRead, ScopeUsersManage), requireScope(ScopeUsersManage)
	groupsRead, groupsManage := requireScope(ScopeGroupsRead, ScopeGroupsManage), requireScope(ScopeGroupsManage)

	g.GET("/Users", a.listUsers, usersRead)
	g.POST("/Users/.search", a.searchUsers, json, usersRead)
	g.GET("/Users/:id", a.getUser, usersRead)
	g.POST("/Users", a.prechecked(a.reg.Users, a.viaElimity), json, usersManage)
	g.PUT("/Users/:id", a.prechecked(a.reg.Users, a.viaElimity), json, usersManage)
	g.PATCH("/Users/:id", a.patchViaElimity, json, usersManage)
	g.DELETE("/Users/:id", a.viaElimity, usersManage)

	g.GET("/Groups", a.listGroups, groupsRead)
	g.POST("/Groups/.search", a.searchGroups, json, groupsRead)
	g.GET("/Groups/:id", a.getGroup, groupsRead)
	g.POST("/Groups", a.prechecked(a.reg.Groups, a.viaElimity), json, groupsManage)
	g.PUT("/Groups/:id", a.prechecked(a.reg.Groups, a.viaElimity), json, groupsManage)
	g.PATCH("/Groups/:id", a.patchViaElimity, json, groupsManage)
	g.DELETE("/Groups/:id", a.viaElimity, groupsManage)

	g.POST("/Bulk", a.bulk, json) // scopes are checked per operation

	g.POST("/Users/.import", a.importUsers, usersManage)
	g.POST("/Groups/.import", a.importGroups, requireAllScopes(ScopeGroupsManage, ScopeUsersManage))
	g.GET("/Users/.export", a.exportUsers, usersRead)
	g.GET("/Groups/.export", a.exportGroups, groupsRead)
	g.GET("/.export", a.exportTenant, requireScope(ScopeTenantManage))  // tenant snapshot (snapshot_http.go)
	g.POST("/.import", a.importTenant, requireScope(ScopeTenantManage)) // tenant snapshot (snapshot_http.go)

	jobsRead := requireScope(ScopeTenantManage, ScopeUsersManage, ScopeGroupsManage, ScopeUsersRead, ScopeGroupsRead)
	jobsManage := requireScope(ScopeTenantManage, ScopeUsersManage, ScopeGroupsManage)
	g.GET("/Jobs", a.listJobs, jobsRead)
	g.GET("/Jobs/:id", a.getJob, jobsRead)
	g.GET("/Jobs/:id/report", a.jobReport, jobsRead)
	g.DELETE("/Jobs/:id", a.cancelJob, jobsManage)

	// Anything else under /scim/v2 is a SCIM 404 (or 405 via echo).
	g.Any("/*", func(c echo.Context) error { return echo.NewHTTPError(http.StatusNotFound) })
	return e
}
