package scim

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scimd/scimd/store"
)

func (a *API) adminRoutes(g *echo.Group) {
	g.POST("/tenants", a.adminCreateTenant)
	g.GET("/tenants", a.adminListTenants)
	g.DELETE("/tenants/:name", a.adminDeleteTenant)
	g.GET("/tenants/:name", a.adminGetTenant)
	g.PATCH("/tenants/:name", a.adminPatchTenant)
	g.POST("/tenants/:name/tokens", a.adminCreateToken)
	g.GET("/tenants/:name/tokens", a.adminListTokens)
	g.DELETE("/tenants/:name/tokens/:id", a.adminDeleteToken)
}

type tenantJSON struct {
	ID        int64                `json:"id"`
	Name      string               `json:"name"`
	CreatedAt time.Time            `json:"createdAt"`
	Settings  store.TenantSettings `json:"settings"`
}

func tenantOut(t store.Tenant) tenantJSON {
	return tenantJSON{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt.UTC(), Settings: t.Settings}
}

func (a *API) adminGetTenant(c echo.Context) error {
	t, err := a.store.GetTenant(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, tenantOut(t))
}

// adminPatchTenant changes the settings named in {"settings": {…}}; the
// others keep their values, and null restores the server's default. An
// unknown setting is refused (a misspelt name must not pass silently).
func (a *API) adminPatchTenant(c echo.Context) error {
	var in struct {
		Settings map[string]json.RawMessage `json:"settings"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Settings == nil {
		return badRequest("invalidValue", "the body must have a settings object")
	}
	ctx := c.Request().Context()
	t, err := a.store.GetTenant(ctx, c.Param("name"))
	if err != nil {
		return err
	}
	for name, raw := range in.Settings {
		dst := t.Settings.Field(name)
		if dst == nil {
			return badRequest("invalidPath", "unknown tenant setting %q (known: %s)", name, strings.Join(store.TenantSettingNames, ", "))
		}
		var n *int
		if err := json.Unmarshal(raw, &n); err != nil {
			return badRequest("invalidValue", "setting %q must be a whole number or null, got %s", name, raw)
		}
		*dst = 0
		if n != nil {
			*dst = *n
		}
	}
	if err := a.admin.SetTenantSettings(ctx, t.Name, t.Settings); err != nil {
		return err
	}
	return a.adminGetTenant(c)
}

func decodeJSON(c echo.Context, v any) error {
	if err := json.Unmarshal(body(c), v); err != nil {
		return badRequest("invalidSyntax", "request body is not valid JSON: %v", err)
	}
	return nil
}

func (a *API) adminCreateTenant(c echo.Context) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	t, err := a.admin.CreateTenant(c.Request().Context(), in.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, tenantOut(t))
}

func (a *API) adminListTenants(c echo.Context) error {
	ts, err := a.store.ListTenants(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]tenantJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, tenantOut(t))
	}
	return c.JSON(http.StatusOK, map[string]any{"tenants": out})
}

func (a *API) adminDeleteTenant(c echo.Context) error {
	if err := a.admin.DeleteTenant(c.Request().Context(), c.Param("name")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *API) adminCreateToken(c echo.Context) error {
	var in struct {
		Scopes      []string `json:"scopes"`
		Description string   `json:"description"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	id, secret, err := a.admin.CreateToken(c.Request().Context(), c.Param("name"), in.Scopes, in.Description)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"id": id, "token": secret, "scopes": in.Scopes})
}

func (a *API) adminListTokens(c echo.Context) error {
	ts, err := a.admin.ListTokens(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	type tokenJSON struct {
		ID          string     `json:"id"`
		Scopes      []string   `json:"scopes"`
		Description string     `json:"description,omitempty"`
		ClientID    string     `json:"clientId,omitempty"`
		CreatedAt   time.Time  `json:"createdAt"`
		ExpiresAt   *time.Time `json:"expiresAt,omitempty"`
	}
	out := make([]tokenJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, tokenJSON{ID: t.ID, Scopes: t.Scopes, Description: t.Description, ClientID: t.ClientID, CreatedAt: t.CreatedAt.UTC(), ExpiresAt: t.ExpiresAt})
	}
	return c.JSON(http.StatusOK, map[string]any{"tokens": out})
}

func (a *API) adminDeleteToken(c echo.Context) error {
	if err := a.admin.DeleteToken(c.Request().Context(), c.Param("name"), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
