package scim

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scimd/scimd/store"
)

// The OAuth 2.0 token endpoint (RFC 6749 §4.4, client credentials grant).
// Clients of a tenant (Admin.CreateClient) exchange their id and secret
// for a short-lived access token, stored hashed like any bearer token
// (store.Token with ClientID and ExpiresAt), which then works on every
// SCIM endpoint until it expires or its client is deleted.
//
// Errors are RFC 6749 §5.2 bodies ({"error","error_description"}), not
// SCIM errors. Checks run in this order: the request itself
// (invalid_request: content type, size, syntax, repeated parameters, two
// client authentication methods, missing grant_type), the grant type
// (unsupported_grant_type), client authentication (invalid_client; the
// same answer for an unknown client and a wrong secret), the scope
// (invalid_scope).

// tokenPath is the token endpoint.
const tokenPath = "/oauth2/token"

// DefaultOAuthTokenTTL is the lifetime of an access token when
// Config.OAuthTokenTTL is not set.
const DefaultOAuthTokenTTL = time.Hour

// maxTokenRequestBytes limits a token request body: it holds four short
// parameters.
const maxTokenRequestBytes = 16 << 10

// grantClientCredentials is the one supported grant type.
const grantClientCredentials = "client_credentials"

// RFC 6749 §5.2 error codes.
const (
	oauthInvalidRequest       = "invalid_request"
	oauthInvalidClient        = "invalid_client"
	oauthUnsupportedGrantType = "unsupported_grant_type"
	oauthInvalidScope         = "invalid_scope"
	oauthServerError          = "server_error"
)

// oauthError is an RFC 6749 §5.2 error response.
type oauthError struct {
	status      int
	code        string
	description string
	// basic: the client tried HTTP Basic authentication, so a 401 names
	// that scheme in WWW-Authenticate (RFC 6749 §5.2).
	basic bool
}

func oauthBadRequest(code, description string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: code, description: description}
}

// errClientAuthDescription is the one answer to a failed client
// authentication, so that client ids cannot be probed.
const errClientAuthDescription = "Client authentication failed."

// tokenRequest is a parsed token request.
type tokenRequest struct {
	grantType string
	clientID  string
	secret    string
	scope     string // "" when absent
	basic     bool   // credentials came by HTTP Basic
	// authErr is set when the client credentials are missing or
	// malformed; it is reported after the grant type is checked.
	authErr *oauthError
}

// oauthTTL returns the access token lifetime.
func (a *API) oauthTTL() time.Duration {
	if a.cfg.OAuthTokenTTL > 0 {
		return a.cfg.OAuthTokenTTL
	}
	return DefaultOAuthTokenTTL
}

// oauthToken serves POST /oauth2/token.
func (a *API) oauthToken(c echo.Context) error {
	tr, oe := parseTokenRequest(c.Request())
	if oe != nil {
		return writeOAuthError(c, oe)
	}
	res, oe := a.issueToken(c.Request().Context(), tr)
	if oe != nil {
		return writeOAuthError(c, oe)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	return writeJSON(c, http.StatusOK, res)
}

// tokenResponse is a successful token response (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

// oauthMethodNotAllowed answers other methods on the token endpoint.
func (a *API) oauthMethodNotAllowed(c echo.Context) error {
	c.Response().Header().Set("Allow", http.MethodPost)
	return writeOAuthError(c, &oauthError{status: http.StatusMethodNotAllowed, code: oauthInvalidRequest,
		description: "The token endpoint only accepts POST."})
}

// parseTokenRequest reads and checks the form body and the client
// credentials (RFC 6749 §2.3.1, §3.2, §4.4.2).
func parseTokenRequest(r *http.Request) (tokenRequest, *oauthError) {
	var tr tokenRequest
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return tr, oauthBadRequest(oauthInvalidRequest, "The request body must be application/x-www-form-urlencoded.")
	}
	if r.ContentLength > maxTokenRequestBytes {
		return tr, &oauthError{status: http.StatusRequestEntityTooLarge, code: oauthInvalidRequest, description: "The request body is too large."}
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxTokenRequestBytes+1))
	if err != nil {
		return tr, oauthBadRequest(oauthInvalidRequest, "Could not read the request body.")
	}
	if len(raw) > maxTokenRequestBytes {
		return tr, &oauthError{status: http.StatusRequestEntityTooLarge, code: oauthInvalidRequest, description: "The request body is too large."}
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		return tr, oauthBadRequest(oauthInvalidRequest, "The request body is not a valid form.")
	}
	for k, v := range form {
		if len(v) > 1 {
			return tr, oauthBadRequest(oauthInvalidRequest, "Parameter "+k+" is repeated.")
		}
	}
	if r.URL.Query().Has("client_secret") {
		return tr, oauthBadRequest(oauthInvalidRequest, "The client secret must not be sent in the URL.")
	}
	// A parameter without a value counts as omitted (RFC 6749 §3.1).
	tr.grantType, tr.scope = form.Get("grant_type"), form.Get("scope")
	formID, formSecret := form.Get("client_id"), form.Get("client_secret")

	if h := r.Header.Get("Authorization"); len(h) >= 6 && strings.EqualFold(h[:6], "basic ") {
		tr.basic = true
		if formSecret != "" || (formID != "" && formID != basicClientID(r)) {
			return tr, oauthBadRequest(oauthInvalidRequest,
				"Use one client authentication method: HTTP Basic or client_id and client_secret in the body, not both.")
		}
		tr.clientID, tr.secret, tr.authErr = basicCredentials(r)
	} else {
		tr.clientID, tr.secret = formID, formSecret
		if formID == "" || formSecret == "" {
			tr.authErr = &oauthError{status: http.StatusUnauthorized, code: oauthInvalidClient,
				description: "Client authentication is required: HTTP Basic, or client_id and client_secret in the body."}
		}
	}
	if tr.grantType == "" {
		return tr, oauthBadRequest(oauthInvalidRequest, "The grant_type parameter is required.")
	}
	return tr, nil
}

// basicCredentials decodes HTTP Basic client credentials: each part is
// form-urlencoded first (RFC 6749 §2.3.1).
func basicCredentials(r *http.Request) (id, secret string, oe *oauthError) {
	fail := &oauthError{status: http.StatusUnauthorized, code: oauthInvalidClient, basic: true,
		description: "Malformed HTTP Basic client credentials."}
	u, p, ok := r.BasicAuth()
	if !ok {
		return "", "", fail
	}
	id, err1 := url.QueryUnescape(u)
	secret, err2 := url.QueryUnescape(p)
	if err1 != nil || err2 != nil || id == "" || secret == "" {
		return "", "", fail
	}
	return id, secret, nil
}

// basicClientID returns the client id of HTTP Basic credentials ("" when
// malformed).
func basicClientID(r *http.Request) string {
	id, _, _ := basicCredentials(r)
	return id
}

// dummySecretHash is compared against when the client is unknown, so that
// both failures cost the same hashing and comparison.
var dummySecretHash = HashToken("scimd: no such client")

// issueToken authenticates the client and issues an access token.
func (a *API) issueToken(ctx context.Context, tr tokenRequest) (tokenResponse, *oauthError) {
	if tr.grantType != grantClientCredentials {
		return tokenResponse{}, oauthBadRequest(oauthUnsupportedGrantType, "Only the client_credentials grant type is supported.")
	}
	if tr.authErr != nil {
		return tokenResponse{}, tr.authErr
	}
	authFailed := &oauthError{status: http.StatusUnauthorized, code: oauthInvalidClient,
		description: errClientAuthDescription, basic: tr.basic}
	cl, err := a.store.GetClient(ctx, tr.clientID)
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		a.log.ErrorContext(ctx, "oauth: look up client", "err", err)
		return tokenResponse{}, &oauthError{status: http.StatusInternalServerError, code: oauthServerError, description: "Internal server error."}
	}
	want := dummySecretHash
	if found {
		want = cl.SecretHash
	}
	got := HashToken(tr.secret)
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 || !found {
		a.log.InfoContext(ctx, "oauth: client authentication failed", "client_id", tr.clientID)
		return tokenResponse{}, authFailed
	}

	granted, oe := grantScopes(cl.Scopes, tr.scope)
	if oe != nil {
		return tokenResponse{}, oe
	}
	now := a.now()
	ttl := a.oauthTTL()
	expires := now.Add(ttl)
	secret := NewSecret()
	err = a.store.CreateClientToken(ctx, store.Token{
		ID: a.admin.NewID(), TenantID: cl.TenantID, Hash: HashToken(secret), Scopes: granted,
		Description: "OAuth access token", ClientID: cl.ID, CreatedAt: now, ExpiresAt: &expires,
	})
	if errors.Is(err, store.ErrNotFound) { // the client was deleted meanwhile
		return tokenResponse{}, authFailed
	}
	if err != nil {
		a.log.ErrorContext(ctx, "oauth: store access token", "err", err)
		return tokenResponse{}, &oauthError{status: http.StatusInternalServerError, code: oauthServerError, description: "Internal server error."}
	}
	return tokenResponse{
		AccessToken: secret,
		TokenType:   "Bearer",
		ExpiresIn:   int64(math.Ceil(ttl.Seconds())),
		Scope:       strings.Join(granted, " "),
	}, nil
}

// grantScopes returns the scopes to grant: those requested (a
// space-separated list, RFC 6749 §3.3), which must all be the client's,
// or every scope of the client when none is requested. Order follows the
// client's scopes.
func grantScopes(clientScopes []string, requested string) ([]string, *oauthError) {
	want := strings.Fields(requested)
	if len(want) == 0 {
		return clientScopes, nil
	}
	for _, s := range want {
		if !slices.Contains(clientScopes, s) {
			return nil, oauthBadRequest(oauthInvalidScope, "Scope "+s+" is not granted to this client.")
		}
	}
	var out []string
	for _, s := range clientScopes {
		if slices.Contains(want, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// writeOAuthError writes an RFC 6749 §5.2 error response.
func writeOAuthError(c echo.Context, oe *oauthError) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if oe.status == http.StatusUnauthorized && oe.basic {
		h.Set("WWW-Authenticate", `Basic realm="scimd"`)
	}
	return writeJSON(c, oe.status, map[string]string{"error": oe.code, "error_description": oe.description})
}

// writeJSON writes v as application/json.
func writeJSON(c echo.Context, status int, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Blob(status, "application/json", raw)
}
