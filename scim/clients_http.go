package scim

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// oauthRoutes wires the OAuth 2.0 token endpoint (outside /scim/v2, no
// bearer auth: the client authenticates itself) and the admin API for
// OAuth clients (adm is the /admin/v1 group with its body limit and admin
// auth).
func (a *API) oauthRoutes(e *echo.Echo, adm *echo.Group) {
	e.POST(tokenPath, a.oauthToken)
	e.Match([]string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete},
		tokenPath, a.oauthMethodNotAllowed)

	adm.POST("/tenants/:name/clients", a.adminCreateClient)
	adm.GET("/tenants/:name/clients", a.adminListClients)
	adm.DELETE("/tenants/:name/clients/:client_id", a.adminDeleteClient)
}

// adminCreateClient: POST /admin/v1/tenants/{name}/clients
// {"scopes":[…],"description"} → 201 {"client_id","client_secret","scopes"}.
// The secret is shown only in this response.
func (a *API) adminCreateClient(c echo.Context) error {
	var in struct {
		Scopes      []string `json:"scopes"`
		Description string   `json:"description"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	id, secret, err := a.admin.CreateClient(c.Request().Context(), c.Param("name"), in.Scopes, in.Description)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, map[string]any{
		"client_id": id, "client_secret": secret, "scopes": uniqueScopes(in.Scopes),
	})
}

// clientJSON is a client in the admin API (never its secret or hash).
type clientJSON struct {
	ClientID    string    `json:"client_id"`
	Scopes      []string  `json:"scopes"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
}

// adminListClients: GET /admin/v1/tenants/{name}/clients → {"clients":[…]}.
func (a *API) adminListClients(c echo.Context) error {
	cs, err := a.admin.ListClients(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	out := make([]clientJSON, 0, len(cs))
	for _, cl := range cs {
		out = append(out, clientJSON{ClientID: cl.ID, Scopes: cl.Scopes, Description: cl.Description, CreatedAt: cl.CreatedAt.UTC()})
	}
	return c.JSON(http.StatusOK, map[string]any{"clients": out})
}

// adminDeleteClient: DELETE /admin/v1/tenants/{name}/clients/{client_id}
// → 204; the client's access tokens are revoked with it.
func (a *API) adminDeleteClient(c echo.Context) error {
	if err := a.admin.DeleteClient(c.Request().Context(), c.Param("name"), c.Param("client_id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
