package scim

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// serviceProviderConfig advertises what scimd supports (RFC 7643 §5).
// elimity's own endpoint is hard-coded (bulk, sort and etag "false"), so
// this one is served in front of it.
func (a *API) serviceProviderConfig(c echo.Context) error {
	loc := a.baseURL(c.Request()) + "/scim/v2/ServiceProviderConfig"
	spc := map[string]any{
		"schemas":          []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"documentationUri": "https://github.com/scimd/scimd",
		"patch":            map[string]any{"supported": true},
		"bulk": map[string]any{
			"supported":      true,
			"maxOperations":  a.cfg.BulkMaxOperations,
			"maxPayloadSize": a.cfg.MaxBodyBytes,
		},
		"filter":         map[string]any{"supported": true, "maxResults": a.cfg.MaxResults},
		"changePassword": map[string]any{"supported": true},
		"sort":           map[string]any{"supported": true},
		"etag":           map[string]any{"supported": true},
		"pagination": map[string]any{
			"index":                   true,
			"cursor":                  true,
			"defaultPaginationMethod": "index",
			"defaultPageSize":         a.cfg.DefaultCount,
			"maxPageSize":             a.cfg.MaxResults,
			"cursorTimeout":           int64(a.cfg.CursorTimeout / time.Second),
		},
		"authenticationSchemes": []map[string]any{{
			"type":        "oauthbearertoken",
			"name":        "OAuth Bearer Token",
			"description": "Authentication with a tenant bearer token (Authorization: Bearer <token>).",
			"primary":     true,
		}, {
			"type": "oauth2",
			"name": "OAuth 2.0 Client Credentials",
			"description": "Access tokens for a tenant's OAuth client: POST " + a.baseURL(c.Request()) + tokenPath +
				" with grant_type=client_credentials (client_id and client_secret by HTTP Basic or in the form body," +
				" optional scope); send the access_token as Authorization: Bearer <token> until it expires.",
			"specUri":          "https://www.rfc-editor.org/rfc/rfc6749#section-4.4",
			"documentationUri": "https://github.com/scimd/scimd",
			"primary":          false,
		}},
		"meta": map[string]any{
			"resourceType": "ServiceProviderConfig",
			"location":     loc,
		},
	}
	raw, err := json.Marshal(spc)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/scim+json", raw)
}
