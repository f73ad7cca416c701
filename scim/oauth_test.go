package scim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store"
	"github.com/scimd/scimd/store/sqlstore"
)

// oauthEnv is an API on a fresh SQLite store with a clock the test moves.
type oauthEnv struct {
	t      *testing.T
	api    *API
	st     *sqlstore.Store
	mu     sync.Mutex
	now    time.Time
	tenant store.Tenant
}

func newOAuthEnv(t *testing.T, cfg Config) *oauthEnv {
	t.Helper()
	ctx := context.Background()
	reg, err := schemas.Load("")
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.Open(ctx, sqlstore.Config{DSN: filepath.Join(t.TempDir(), "oauth.db"), Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &oauthEnv{t: t, st: st, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	e.api, err = New(cfg, Deps{Store: st, Registry: reg, Now: e.clock, Logger: slog.New(slog.DiscardHandler),
		HashPassword: func(s string) (string, error) { return s, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if e.tenant, err = st.CreateTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *oauthEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *oauthEnv) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// client creates a client of tenant acme through Admin.
func (e *oauthEnv) client(scopes ...string) (id, secret string) {
	e.t.Helper()
	id, secret, err := e.api.Admin().CreateClient(context.Background(), "acme", scopes, "test")
	if err != nil {
		e.t.Fatalf("CreateClient: %v", err)
	}
	return id, secret
}

// serve sends a request to the API's handler.
func (e *oauthEnv) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.api.Handler().ServeHTTP(rec, req)
	return rec
}

// tokenReq builds a token request with a form body and optional Basic
// credentials (user and password as given: the caller encodes).
func tokenReq(form url.Values, basicUser, basicPass string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, tokenPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicUser != "" || basicPass != "" {
		req.SetBasicAuth(basicUser, basicPass)
	}
	return req
}

// token asks for a token and fails unless it is granted.
func (e *oauthEnv) token(form url.Values, user, pass string) tokenResponse {
	e.t.Helper()
	rec := e.serve(tokenReq(form, user, pass))
	if rec.Code != http.StatusOK {
		e.t.Fatalf("token request: %d %s", rec.Code, rec.Body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &tr); err != nil {
		e.t.Fatalf("token response: %v", err)
	}
	return tr
}

// get sends GET path with a bearer token and returns the status.
func (e *oauthEnv) get(token, path string) int {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return e.serve(req).Code
}

func TestOAuthTokenSuccess(t *testing.T) {
	e := newOAuthEnv(t, Config{OAuthTokenTTL: 90 * time.Minute})
	id, secret := e.client(ScopeUsersRead, ScopeGroupsRead)

	for name, req := range map[string]*http.Request{
		"basic": tokenReq(url.Values{"grant_type": {"client_credentials"}}, id, secret),
		"form":  tokenReq(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}, "", ""),
		"basic with the same client_id in the body": tokenReq(
			url.Values{"grant_type": {"client_credentials"}, "client_id": {id}}, id, secret),
	} {
		t.Run(name, func(t *testing.T) {
			rec := e.serve(req)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			h := rec.Header()
			if h.Get("Cache-Control") != "no-store" || h.Get("Pragma") != "no-cache" {
				t.Errorf("cache headers %q %q", h.Get("Cache-Control"), h.Get("Pragma"))
			}
			if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type %q", h.Get("Content-Type"))
			}
			var tr tokenResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &tr); err != nil {
				t.Fatal(err)
			}
			if tr.TokenType != "Bearer" || tr.ExpiresIn != 5400 || tr.Scope != "users:read groups:read" || tr.AccessToken == "" {
				t.Errorf("token response %+v", tr)
			}
			tok, err := e.st.LookupToken(context.Background(), HashToken(tr.AccessToken))
			if err != nil {
				t.Fatalf("LookupToken: %v", err)
			}
			if tok.ClientID != id || tok.TenantID != e.tenant.ID || tok.ExpiresAt == nil ||
				!tok.ExpiresAt.Equal(e.clock().Add(90*time.Minute)) {
				t.Errorf("stored token %+v", tok)
			}
			if got := e.get(tr.AccessToken, "/scim/v2/Users"); got != http.StatusOK {
				t.Errorf("GET /Users with the access token: %d", got)
			}
			if got := e.get(tr.AccessToken, "/scim/v2/Jobs"); got != http.StatusOK {
				t.Errorf("GET /Jobs with users:read: %d", got)
			}
		})
	}
}

func TestOAuthTokenErrors(t *testing.T) {
	e := newOAuthEnv(t, Config{})
	id, secret := e.client(ScopeUsersRead)
	grant := func(kv ...string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	raw := func(ct, body string, hdr ...string) *http.Request {
		req := httptest.NewRequest(http.MethodPost, tokenPath, strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return req
	}
	basic := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		name    string
		req     *http.Request
		status  int
		code    string
		wwwAuth bool
	}{
		{"wrong secret (basic)", tokenReq(grant(), id, secret+"x"), 401, "invalid_client", true},
		{"wrong secret (form)", tokenReq(grant("client_id", id, "client_secret", "nope"), "", ""), 401, "invalid_client", false},
		{"unknown client (basic)", tokenReq(grant(), "scimdc_nope", secret), 401, "invalid_client", true},
		{"unknown client (form)", tokenReq(grant("client_id", "scimdc_nope", "client_secret", secret), "", ""), 401, "invalid_client", false},
		{"secret that hashes to the dummy", tokenReq(grant(), "scimdc_nope", "scimd: no such client"), 401, "invalid_client", true},
		{"no credentials", tokenReq(grant(), "", ""), 401, "invalid_client", false},
		{"client_id without secret", tokenReq(grant("client_id", id), "", ""), 401, "invalid_client", false},
		{"malformed basic", raw("application/x-www-form-urlencoded", "grant_type=client_credentials", "Authorization", "Basic !!!"), 401, "invalid_client", true},
		{"basic without colon", raw("application/x-www-form-urlencoded", "grant_type=client_credentials", "Authorization", basic(id)), 401, "invalid_client", true},
		{"bad escape in basic", raw("application/x-www-form-urlencoded", "grant_type=client_credentials", "Authorization", basic(id+":%zz")), 401, "invalid_client", true},
		{"unsupported grant", tokenReq(url.Values{"grant_type": {"password"}, "client_id": {id}, "client_secret": {secret}}, "", ""), 400, "unsupported_grant_type", false},
		{"authorization_code grant", tokenReq(url.Values{"grant_type": {"authorization_code"}}, id, secret), 400, "unsupported_grant_type", false},
		{"missing grant", tokenReq(url.Values{"client_id": {id}, "client_secret": {secret}}, "", ""), 400, "invalid_request", false},
		{"empty grant", tokenReq(url.Values{"grant_type": {""}}, id, secret), 400, "invalid_request", false},
		{"both auth methods", tokenReq(grant("client_id", id, "client_secret", secret), id, secret), 400, "invalid_request", false},
		{"basic and a secret in the body", tokenReq(grant("client_secret", secret), id, secret), 400, "invalid_request", false},
		{"basic and another client_id", tokenReq(grant("client_id", "other"), id, secret), 400, "invalid_request", false},
		{"repeated parameter", raw("application/x-www-form-urlencoded", "grant_type=client_credentials&grant_type=client_credentials", "Authorization", basic(id+":"+secret)), 400, "invalid_request", false},
		{"json body", raw("application/json", `{"grant_type":"client_credentials"}`, "Authorization", basic(id+":"+secret)), 400, "invalid_request", false},
		{"no content type", raw("", "grant_type=client_credentials", "Authorization", basic(id+":"+secret)), 400, "invalid_request", false},
		{"malformed form", raw("application/x-www-form-urlencoded", "grant_type=%zz", "Authorization", basic(id+":"+secret)), 400, "invalid_request", false},
		{"secret in the URL", func() *http.Request {
			r := tokenReq(grant("client_id", id), "", "")
			r.URL.RawQuery = "client_secret=" + url.QueryEscape(secret)
			return r
		}(), 400, "invalid_request", false},
		{"too large", raw("application/x-www-form-urlencoded", "grant_type=client_credentials&x="+strings.Repeat("a", maxTokenRequestBytes)), 413, "invalid_request", false},
		{"escalation", tokenReq(grant("scope", "users:read users:manage"), id, secret), 400, "invalid_scope", false},
		{"unknown scope", tokenReq(grant("scope", "admin"), id, secret), 400, "invalid_scope", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := e.serve(c.req)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body: %v: %s", err, rec.Body)
			}
			if body["error"] != c.code || body["error_description"] == "" || body["schemas"] != nil {
				t.Errorf("body %v, want error %q", body, c.code)
			}
			wa := rec.Header().Get("WWW-Authenticate")
			if c.wwwAuth != strings.HasPrefix(wa, "Basic") {
				t.Errorf("WWW-Authenticate %q (want Basic: %v)", wa, c.wwwAuth)
			}
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", rec.Header().Get("Cache-Control"))
			}
		})
	}
	// An unknown client and a wrong secret are indistinguishable.
	unknown := e.serve(tokenReq(grant(), "scimdc_nope", secret))
	wrong := e.serve(tokenReq(grant(), id, "nope"))
	if unknown.Body.String() != wrong.Body.String() {
		t.Errorf("unknown client %s differs from wrong secret %s", unknown.Body, wrong.Body)
	}
	// No refused request left a token behind.
	tokens, err := e.st.ListTokens(context.Background(), e.tenant.ID)
	if err != nil || len(tokens) != 0 {
		t.Errorf("tokens after refused requests: %v %v", tokens, err)
	}

	t.Run("GET", func(t *testing.T) {
		rec := e.serve(httptest.NewRequest(http.MethodGet, tokenPath, nil))
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "POST" ||
			!strings.Contains(rec.Body.String(), `"invalid_request"`) {
			t.Errorf("GET %s: %d %v %s", tokenPath, rec.Code, rec.Header(), rec.Body)
		}
	})
}

func TestOAuthScopes(t *testing.T) {
	e := newOAuthEnv(t, Config{})
	id, secret := e.client(ScopeUsersRead, ScopeUsersManage, ScopeGroupsRead)
	for _, c := range []struct{ requested, granted string }{
		{"", "users:read users:manage groups:read"},
		{"users:read", "users:read"},
		{"groups:read  users:read", "users:read groups:read"}, // client order, extra spaces
		{"users:read users:read", "users:read"},
	} {
		form := url.Values{"grant_type": {"client_credentials"}}
		if c.requested != "" {
			form.Set("scope", c.requested)
		}
		tr := e.token(form, id, secret)
		if tr.Scope != c.granted {
			t.Errorf("scope %q: granted %q, want %q", c.requested, tr.Scope, c.granted)
		}
	}
	// Scopes are enforced on the SCIM endpoints.
	tr := e.token(url.Values{"grant_type": {"client_credentials"}, "scope": {"groups:read"}}, id, secret)
	if got := e.get(tr.AccessToken, "/scim/v2/Users"); got != http.StatusForbidden {
		t.Errorf("GET /Users with groups:read only: %d, want 403", got)
	}
	if got := e.get(tr.AccessToken, "/scim/v2/Groups"); got != http.StatusOK {
		t.Errorf("GET /Groups with groups:read: %d", got)
	}
}

// TestOAuthTokenExpiry: an access token works until it expires, also
// when the token cache still holds it.
func TestOAuthTokenExpiry(t *testing.T) {
	e := newOAuthEnv(t, Config{OAuthTokenTTL: time.Minute, TokenCacheTTL: time.Hour})
	id, secret := e.client(ScopeUsersRead)
	tr := e.token(url.Values{"grant_type": {"client_credentials"}}, id, secret)
	if tr.ExpiresIn != 60 {
		t.Errorf("expires_in %d, want 60", tr.ExpiresIn)
	}
	if got := e.get(tr.AccessToken, "/scim/v2/Users"); got != http.StatusOK { // now cached
		t.Fatalf("fresh token: %d", got)
	}
	e.advance(59 * time.Second)
	if got := e.get(tr.AccessToken, "/scim/v2/Users"); got != http.StatusOK {
		t.Errorf("token 1 s before expiry: %d", got)
	}
	e.advance(time.Second)
	if got := e.get(tr.AccessToken, "/scim/v2/Users"); got != http.StatusUnauthorized {
		t.Errorf("expired token (cached): %d, want 401", got)
	}
	n, err := e.st.PurgeExpiredTokens(context.Background(), e.clock().Add(time.Microsecond))
	if err != nil || n != 1 {
		t.Errorf("PurgeExpiredTokens: %d %v, want 1", n, err)
	}
}

// TestOAuthDeleteClient: deleting a client revokes its tokens at once on
// this replica (the token cache is flushed) and it can get no new ones.
func TestOAuthDeleteClient(t *testing.T) {
	e := newOAuthEnv(t, Config{TokenCacheTTL: time.Hour})
	id, secret := e.client(ScopeUsersRead)
	keepID, keepSecret := e.client(ScopeUsersRead)
	tr := e.token(url.Values{"grant_type": {"client_credentials"}}, id, secret)
	keep := e.token(url.Values{"grant_type": {"client_credentials"}}, keepID, keepSecret)
	if got := e.get(tr.AccessToken, "/scim/v2/Users"); got != http.StatusOK {
		t.Fatalf("token before delete: %d", got)
	}
	if err := e.api.Admin().DeleteClient(context.Background(), "acme", id); err != nil {
		t.Fatal(err)
	}
	if got := e.get(tr.AccessToken, "/scim/v2/Users"); got != http.StatusUnauthorized {
		t.Errorf("token of a deleted client: %d, want 401", got)
	}
	if got := e.get(keep.AccessToken, "/scim/v2/Users"); got != http.StatusOK {
		t.Errorf("token of another client: %d", got)
	}
	rec := e.serve(tokenReq(url.Values{"grant_type": {"client_credentials"}}, id, secret))
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "invalid_client") {
		t.Errorf("token request of a deleted client: %d %s", rec.Code, rec.Body)
	}
	if err := e.api.Admin().DeleteClient(context.Background(), "acme", id); err == nil {
		t.Errorf("deleting a client twice succeeded")
	}
}

// TestOAuthBasicURLEncoding: HTTP Basic credentials are form-urlencoded
// before base64 (RFC 6749 §2.3.1).
func TestOAuthBasicURLEncoding(t *testing.T) {
	e := newOAuthEnv(t, Config{})
	const id, secret = "client:with spaces&more", "se+cret/=:%"
	err := e.st.CreateClient(context.Background(), store.Client{ID: id, TenantID: e.tenant.ID,
		SecretHash: HashToken(secret), Scopes: []string{ScopeUsersRead}})
	if err != nil {
		t.Fatal(err)
	}
	grant := url.Values{"grant_type": {"client_credentials"}}
	e.token(grant, url.QueryEscape(id), url.QueryEscape(secret))
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	e.token(form, "", "")
}

func TestOAuthAdminClients(t *testing.T) {
	e := newOAuthEnv(t, Config{AdminToken: "admin-token-0123456789"})
	do := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer admin-token-0123456789")
		req.Header.Set("Content-Type", "application/json")
		return e.serve(req)
	}
	rec := do("POST", "/admin/v1/tenants/acme/clients", `{"scopes":["users:read","users:read"],"description":"Okta"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	var created struct {
		ClientID     string   `json:"client_id"`
		ClientSecret string   `json:"client_secret"`
		Scopes       []string `json:"scopes"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.ClientID, clientIDPrefix) || created.ClientSecret == "" ||
		len(created.Scopes) != 1 || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("created %+v %v", created, rec.Header())
	}
	stored, err := e.st.GetClient(context.Background(), created.ClientID)
	if err != nil || stored.SecretHash != HashToken(created.ClientSecret) || stored.SecretHash == created.ClientSecret {
		t.Errorf("stored client %+v %v", stored, err)
	}

	rec = do("GET", "/admin/v1/tenants/acme/clients", "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), created.ClientID) ||
		strings.Contains(rec.Body.String(), created.ClientSecret) || strings.Contains(rec.Body.String(), stored.SecretHash) {
		t.Errorf("list: %d %s", rec.Code, rec.Body)
	}
	for _, c := range []struct {
		name, method, path, body string
		status                   int
	}{
		{"unknown scope", "POST", "/admin/v1/tenants/acme/clients", `{"scopes":["admin"]}`, 400},
		{"no scopes", "POST", "/admin/v1/tenants/acme/clients", `{}`, 400},
		{"unknown tenant", "POST", "/admin/v1/tenants/nope/clients", `{"scopes":["users:read"]}`, 404},
		{"list of unknown tenant", "GET", "/admin/v1/tenants/nope/clients", "", 404},
		{"delete unknown client", "DELETE", "/admin/v1/tenants/acme/clients/scimdc_nope", "", 404},
		{"delete", "DELETE", "/admin/v1/tenants/acme/clients/" + created.ClientID, "", 204},
		{"delete again", "DELETE", "/admin/v1/tenants/acme/clients/" + created.ClientID, "", 404},
	} {
		if rec := do(c.method, c.path, c.body); rec.Code != c.status {
			t.Errorf("%s: %d, want %d: %s", c.name, rec.Code, c.status, rec.Body)
		}
	}
}

func TestOAuthServiceProviderConfig(t *testing.T) {
	e := newOAuthEnv(t, Config{})
	_, tok, err := e.api.Admin().CreateToken(context.Background(), "acme", []string{ScopeUsersRead}, "")
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/scim/v2/ServiceProviderConfig", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := e.serve(req)
	var spc struct {
		AuthenticationSchemes []map[string]any `json:"authenticationSchemes"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &spc); err != nil {
		t.Fatal(err)
	}
	for _, s := range spc.AuthenticationSchemes {
		if s["type"] == "oauth2" {
			if s["specUri"] == nil || s["documentationUri"] == nil || !strings.Contains(s["description"].(string), tokenPath) {
				t.Errorf("oauth2 scheme %v", s)
			}
			return
		}
	}
	t.Errorf("no oauth2 scheme in %s", rec.Body)
}
