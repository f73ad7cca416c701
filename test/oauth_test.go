package test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
	"github.com/scimd/scimd/store/sqlstore/sqlitedrv"
)

// OAuth 2.0 client credentials (SPEC §2): clients created through the
// admin API and the offline CLI exchange their credentials at
// POST /oauth2/token for expiring bearer tokens limited to their scopes.

// tokenGrant is a successful token response.
type tokenGrant struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

// oauthClient creates an OAuth client of tenant through the admin API.
func (s *server) oauthClient(t testing.TB, tenant string, scopes ...string) (id, secret string) {
	t.Helper()
	r := s.adminDo(t, "POST", "/admin/v1/tenants/"+url.PathEscape(tenant)+"/clients",
		map[string]any{"scopes": scopes, "description": "e2e client"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create client for %s: %d %s", tenant, r.Status, r.Body)
	}
	m := r.JSON(t)
	id, secret = jstr(m, "client_id"), jstr(m, "client_secret")
	if id == "" || secret == "" || !slices.Equal(toStrings(m["scopes"]), scopes) {
		t.Fatalf("create client: %s", r.Body)
	}
	return id, secret
}

// scimdCLI runs an offline scimd command on the server's database.
func (s *server) scimdCLI(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, append(args, "--database", s.DSN)...)
	cmd.Env = os.Environ()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("scimd %v: %v\n%s%s", args, err, out.String(), errb.String())
	}
	return out.String()
}

var (
	cliClientID     = regexp.MustCompile(`(?m)^client_id: (\S+)$`)
	cliClientSecret = regexp.MustCompile(`(?m)^client_secret \(shown once\): (\S+)$`)
)

// cliClient creates an OAuth client with `scimd client create`.
func (s *server) cliClient(t testing.TB, tenant, scopes string) (id, secret string) {
	t.Helper()
	out := s.scimdCLI(t, "client", "create", tenant, "--scopes", scopes, "--description", "from the CLI")
	idm, sm := cliClientID.FindStringSubmatch(out), cliClientSecret.FindStringSubmatch(out)
	if idm == nil || sm == nil {
		t.Fatalf("scimd client create printed:\n%s", out)
	}
	return idm[1], sm[1]
}

// tokenRequest posts a form to /oauth2/token; with basic set, the client
// id and secret go in HTTP Basic credentials (form-urlencoded first, RFC
// 6749 §2.3.1).
func (s *server) tokenRequest(t testing.TB, form url.Values, basicID, basicSecret string) *response {
	t.Helper()
	hdr := []string{"Content-Type", "application/x-www-form-urlencoded"}
	if basicID != "" || basicSecret != "" {
		cred := url.QueryEscape(basicID) + ":" + url.QueryEscape(basicSecret)
		hdr = append(hdr, "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
	}
	return s.doToken(t, "", "POST", "/oauth2/token", form.Encode(), hdr...)
}

// grant asks for a token and fails unless it is issued.
func (s *server) grant(t testing.TB, form url.Values, basicID, basicSecret string) tokenGrant {
	t.Helper()
	r := s.tokenRequest(t, form, basicID, basicSecret)
	if r.Status != http.StatusOK {
		t.Fatalf("token request: %d %s", r.Status, r.Body)
	}
	var g tokenGrant
	if err := json.Unmarshal(r.Body, &g); err != nil {
		t.Fatalf("token response: %v: %s", err, r.Body)
	}
	if g.AccessToken == "" || g.TokenType != "Bearer" || g.ExpiresIn <= 0 {
		t.Fatalf("token response: %s", r.Body)
	}
	if r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("Pragma") != "no-cache" {
		t.Errorf("token response cache headers: %q, %q", r.Header.Get("Cache-Control"), r.Header.Get("Pragma"))
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("token response Content-Type %q", ct)
	}
	return g
}

// clientCredentials is the form of a client credentials request.
func clientCredentials(kv ...string) url.Values {
	v := url.Values{"grant_type": {"client_credentials"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// mustOAuthError fails unless r is an RFC 6749 §5.2 error (not a SCIM
// error) with the status and code.
func mustOAuthError(t testing.TB, r *response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, r.Body)
	}
	if m["error"] != code {
		t.Errorf("error %v, want %q: %s", m["error"], code, r.Body)
	}
	if d, _ := m["error_description"].(string); d == "" {
		t.Errorf("no error_description: %s", r.Body)
	}
	if m["schemas"] != nil || m["scimType"] != nil {
		t.Errorf("a SCIM error body, want an OAuth one: %s", r.Body)
	}
}

func TestOAuthClientCredentials(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		// A short token cache: offline (CLI) deletions reach the server
		// sooner.
		s := startServer(t, serverOpts{kind: kind, extraArgs: []string{"--token-cache-ttl", "1s"}})
		var secrets []string // every client secret and access token handed out

		t.Run("admin API client with Basic credentials", func(t *testing.T) {
			id, secret := s.oauthClient(t, "default", "users:read")
			secrets = append(secrets, secret)
			g := s.grant(t, clientCredentials(), id, secret)
			secrets = append(secrets, g.AccessToken)
			if g.ExpiresIn != 3600 || g.Scope != "users:read" {
				t.Errorf("grant %+v, want expires_in 3600 and scope users:read", g)
			}
			s.createUser(t, "oauth.alice@example.com", nil)
			list := s.mustToken(t, g.AccessToken, http.StatusOK, "GET", "/scim/v2/Users", nil).JSON(t)
			if len(resourceIDs(list)) == 0 {
				t.Errorf("the access token sees no users: %s", short(list))
			}
			// users:read only: writes are refused.
			r := s.doToken(t, g.AccessToken, "POST", "/scim/v2/Users", userBody("oauth.nope@example.com", nil))
			mustSCIMError(t, r, http.StatusForbidden)
			r = s.doToken(t, g.AccessToken, "GET", "/scim/v2/Groups", nil)
			mustSCIMError(t, r, http.StatusForbidden)

			// The client is listed without its secret.
			r = s.adminDo(t, "GET", "/admin/v1/tenants/default/clients", nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), id) || strings.Contains(string(r.Body), secret) {
				t.Errorf("list clients: %d %s", r.Status, r.Body)
			}
			// The access token is listed with the tenant's tokens.
			r = s.adminDo(t, "GET", "/admin/v1/tenants/default/tokens", nil)
			if !strings.Contains(string(r.Body), `"clientId":"`+id+`"`) || strings.Contains(string(r.Body), g.AccessToken) {
				t.Errorf("list tokens: %s", r.Body)
			}
		})

		t.Run("form credentials", func(t *testing.T) {
			id, secret := s.oauthClient(t, "default", "users:read", "users:manage")
			secrets = append(secrets, secret)
			g := s.grant(t, clientCredentials("client_id", id, "client_secret", secret), "", "")
			secrets = append(secrets, g.AccessToken)
			if g.Scope != "users:read users:manage" {
				t.Errorf("scope %q", g.Scope)
			}
			s.mustToken(t, g.AccessToken, http.StatusCreated, "POST", "/scim/v2/Users", userBody("oauth.bob@example.com", nil))
		})

		t.Run("CLI client", func(t *testing.T) {
			id, secret := s.cliClient(t, "default", "users:read,users:manage")
			secrets = append(secrets, secret)
			if out := s.scimdCLI(t, "client", "list", "default"); !strings.Contains(out, id) || strings.Contains(out, secret) {
				t.Errorf("scimd client list:\n%s", out)
			}
			g := s.grant(t, clientCredentials(), id, secret)
			secrets = append(secrets, g.AccessToken)
			u := s.mustToken(t, g.AccessToken, http.StatusCreated, "POST", "/scim/v2/Users", userBody("oauth.carol@example.com", nil)).JSON(t)
			s.mustToken(t, g.AccessToken, http.StatusOK, "GET", "/scim/v2/Users/"+jstr(u, "id"), nil)

			// Offline deletion revokes the token once the server's token
			// cache lets go of it.
			if out := s.scimdCLI(t, "client", "delete", "default", id); !strings.Contains(out, id) {
				t.Errorf("scimd client delete printed %q", out)
			}
			deadline := time.Now().Add(15 * time.Second)
			for {
				r := s.doToken(t, g.AccessToken, "GET", "/scim/v2/Users", nil)
				if r.Status == http.StatusUnauthorized {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("token of a client deleted offline still works: %d", r.Status)
				}
				time.Sleep(250 * time.Millisecond)
			}
			mustOAuthError(t, s.tokenRequest(t, clientCredentials(), id, secret), http.StatusUnauthorized, "invalid_client")
		})

		t.Run("scope subset and escalation", func(t *testing.T) {
			id, secret := s.oauthClient(t, "default", "users:read", "users:manage", "groups:read")
			secrets = append(secrets, secret)
			g := s.grant(t, clientCredentials("scope", "users:read"), id, secret)
			secrets = append(secrets, g.AccessToken)
			if g.Scope != "users:read" {
				t.Errorf("granted %q, want users:read", g.Scope)
			}
			s.mustToken(t, g.AccessToken, http.StatusOK, "GET", "/scim/v2/Users", nil)
			r := s.doToken(t, g.AccessToken, "POST", "/scim/v2/Users", userBody("oauth.subset@example.com", nil))
			mustSCIMError(t, r, http.StatusForbidden)

			g = s.grant(t, clientCredentials("scope", "groups:read users:read"), id, secret)
			if g.Scope != "users:read groups:read" {
				t.Errorf("granted %q, want users:read groups:read", g.Scope)
			}
			for _, scope := range []string{"groups:manage", "users:read tenant:manage", "admin"} {
				mustOAuthError(t, s.tokenRequest(t, clientCredentials("scope", scope), id, secret),
					http.StatusBadRequest, "invalid_scope")
			}
		})

		t.Run("refused requests", func(t *testing.T) {
			id, secret := s.oauthClient(t, "default", "users:read")
			secrets = append(secrets, secret)
			wrong := s.tokenRequest(t, clientCredentials(), id, secret+"x")
			mustOAuthError(t, wrong, http.StatusUnauthorized, "invalid_client")
			if wa := wrong.Header.Get("WWW-Authenticate"); !strings.HasPrefix(wa, "Basic") {
				t.Errorf("WWW-Authenticate %q after failed Basic authentication", wa)
			}
			unknown := s.tokenRequest(t, clientCredentials(), "scimdc_00000000000000000000000000000000", secret)
			mustOAuthError(t, unknown, http.StatusUnauthorized, "invalid_client")
			if !bytes.Equal(wrong.Body, unknown.Body) {
				t.Errorf("unknown client %s and wrong secret %s answer differently", unknown.Body, wrong.Body)
			}
			mustOAuthError(t, s.tokenRequest(t, clientCredentials("client_id", id, "client_secret", "nope"), "", ""),
				http.StatusUnauthorized, "invalid_client")
			mustOAuthError(t, s.tokenRequest(t, clientCredentials(), "", ""), http.StatusUnauthorized, "invalid_client")
			mustOAuthError(t, s.tokenRequest(t, url.Values{"grant_type": {"password"}, "username": {"x"}, "password": {"y"}}, id, secret),
				http.StatusBadRequest, "unsupported_grant_type")
			mustOAuthError(t, s.tokenRequest(t, url.Values{"client_id": {id}, "client_secret": {secret}}, "", ""),
				http.StatusBadRequest, "invalid_request")
			mustOAuthError(t, s.tokenRequest(t, clientCredentials("client_id", id, "client_secret", secret), id, secret),
				http.StatusBadRequest, "invalid_request")
			r := s.doToken(t, "", "POST", "/oauth2/token", `{"grant_type":"client_credentials"}`,
				"Content-Type", "application/json")
			mustOAuthError(t, r, http.StatusBadRequest, "invalid_request")
			// Nothing was issued by the refused requests.
			r = s.adminDo(t, "GET", "/admin/v1/tenants/default/tokens", nil)
			if strings.Contains(string(r.Body), id) {
				t.Errorf("a refused request left a token: %s", r.Body)
			}
		})

		t.Run("deleting the client revokes its tokens", func(t *testing.T) {
			id, secret := s.oauthClient(t, "default", "users:read")
			secrets = append(secrets, secret)
			g1 := s.grant(t, clientCredentials(), id, secret)
			g2 := s.grant(t, clientCredentials(), id, secret)
			secrets = append(secrets, g1.AccessToken, g2.AccessToken)
			s.mustToken(t, g1.AccessToken, http.StatusOK, "GET", "/scim/v2/Users", nil)
			if r := s.adminDo(t, "DELETE", "/admin/v1/tenants/default/clients/"+id, nil); r.Status != http.StatusNoContent {
				t.Fatalf("delete client: %d %s", r.Status, r.Body)
			}
			for _, tok := range []string{g1.AccessToken, g2.AccessToken} {
				mustSCIMError(t, s.doToken(t, tok, "GET", "/scim/v2/Users", nil), http.StatusUnauthorized)
			}
			mustOAuthError(t, s.tokenRequest(t, clientCredentials(), id, secret), http.StatusUnauthorized, "invalid_client")
			if r := s.adminDo(t, "DELETE", "/admin/v1/tenants/default/clients/"+id, nil); r.Status != http.StatusNotFound {
				t.Errorf("delete a deleted client: %d", r.Status)
			}
		})

		t.Run("tenant isolation", func(t *testing.T) {
			s.newTenant(t, "oauth-other")
			id, secret := s.oauthClient(t, "oauth-other", "users:read", "users:manage")
			secrets = append(secrets, secret)
			g := s.grant(t, clientCredentials(), id, secret)
			secrets = append(secrets, g.AccessToken)
			s.mustToken(t, g.AccessToken, http.StatusCreated, "POST", "/scim/v2/Users", userBody("oauth.other@example.com", nil))
			list := s.mustToken(t, g.AccessToken, http.StatusOK, "GET", "/scim/v2/Users", nil).JSON(t)
			if n := len(resourceIDs(list)); n != 1 {
				t.Errorf("the other tenant's token sees %d users, want its own 1", n)
			}
			// Tenant default neither lists nor deletes the other tenant's client.
			if r := s.adminDo(t, "GET", "/admin/v1/tenants/default/clients", nil); strings.Contains(string(r.Body), id) {
				t.Errorf("tenant default lists the other tenant's client: %s", r.Body)
			}
			if r := s.adminDo(t, "DELETE", "/admin/v1/tenants/default/clients/"+id, nil); r.Status != http.StatusNotFound {
				t.Errorf("delete through another tenant: %d", r.Status)
			}
			s.mustToken(t, g.AccessToken, http.StatusOK, "GET", "/scim/v2/Users", nil)
		})

		t.Run("ServiceProviderConfig advertises oauth2", func(t *testing.T) {
			spc := s.must(t, http.StatusOK, "GET", "/scim/v2/ServiceProviderConfig", nil).JSON(t)
			schemes, _ := spc["authenticationSchemes"].([]any)
			for _, sc := range schemes {
				m, _ := sc.(map[string]any)
				if m["type"] == "oauth2" {
					if jstr(m, "specUri") == "" || jstr(m, "documentationUri") == "" {
						t.Errorf("oauth2 scheme without specUri/documentationUri: %v", m)
					}
					return
				}
			}
			t.Errorf("no oauth2 authentication scheme: %v", schemes)
		})

		t.Run("secrets are stored hashed", func(t *testing.T) {
			if len(secrets) < 10 {
				t.Fatalf("only %d secrets collected", len(secrets))
			}
			checkSecretsHashed(t, s, kind, secrets)
		})
	})
}

// checkSecretsHashed reads the database directly: client secret hashes
// are SHA-256 of the secrets, and no secret or access token appears in
// any text column (nor, for SQLite, anywhere in the files).
func checkSecretsHashed(t *testing.T, s *server, kind testdb.Kind, secrets []string) {
	t.Helper()
	var db *sql.DB
	var err error
	if kind == testdb.SQLite {
		sqlitedrv.Register()
		db, err = sql.Open(sqlitedrv.DriverName, "file:"+s.DSN+"?_busy_timeout=5000&mode=ro")
	} else {
		db, err = sql.Open("pgx", s.DSN)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	hashes := map[string]bool{}
	for _, sec := range secrets {
		sum := sha256.Sum256([]byte(sec))
		hashes[hex.EncodeToString(sum[:])] = true
	}
	var stored []string
	for _, q := range []string{
		"SELECT client_id || ' ' || secret_hash || ' ' || scopes || ' ' || description FROM oauth_clients",
		"SELECT hash || ' ' || id || ' ' || scopes || ' ' || description || ' ' || client_id FROM tokens",
	} {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var row string
			if err := rows.Scan(&row); err != nil {
				t.Fatal(err)
			}
			stored = append(stored, row)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	found := 0
	for _, row := range stored {
		for _, sec := range secrets {
			if strings.Contains(row, sec) {
				t.Errorf("plaintext secret stored: %q", row)
			}
		}
		for _, f := range strings.Fields(row) {
			if hashes[f] {
				found++
			}
		}
	}
	// Deleted clients and their tokens are gone, but most remain.
	if found < len(secrets)/2 {
		t.Errorf("only %d of %d secrets found as SHA-256 hashes in %d rows", found, len(secrets), len(stored))
	}
	if kind != testdb.SQLite {
		return
	}
	for _, f := range []string{s.DSN, s.DSN + "-wal"} {
		raw, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, sec := range secrets {
			if bytes.Contains(raw, []byte(sec)) {
				t.Errorf("plaintext secret %s… in %s", sec[:10], f)
			}
		}
	}
}

// TestOAuthTokenExpiry: access tokens stop working when they expire; the
// lifetime comes from --oauth-token-ttl or SCIMD_OAUTH_TOKEN_TTL.
func TestOAuthTokenExpiry(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		t.Run("expired token refused", func(t *testing.T) {
			const ttl = 2 * time.Second
			s := startServer(t, serverOpts{kind: kind, extraArgs: []string{"--oauth-token-ttl", ttl.String()}})
			id, secret := s.oauthClient(t, "default", "users:read")
			g := s.grant(t, clientCredentials(), id, secret)
			issued := time.Now()
			if g.ExpiresIn != 2 {
				t.Errorf("expires_in %d, want 2", g.ExpiresIn)
			}
			s.mustToken(t, g.AccessToken, http.StatusOK, "GET", "/scim/v2/Users", nil) // also caches it
			time.Sleep(time.Until(issued.Add(ttl + 500*time.Millisecond)))
			r := s.doToken(t, g.AccessToken, "GET", "/scim/v2/Users", nil)
			mustSCIMError(t, r, http.StatusUnauthorized)
			// A new token works again.
			g = s.grant(t, clientCredentials(), id, secret)
			s.mustToken(t, g.AccessToken, http.StatusOK, "GET", "/scim/v2/Users", nil)
		})
		t.Run("env twin", func(t *testing.T) {
			s := startServer(t, serverOpts{kind: kind, env: []string{"SCIMD_OAUTH_TOKEN_TTL=2m"}})
			id, secret := s.oauthClient(t, "default", "users:read")
			if g := s.grant(t, clientCredentials(), id, secret); g.ExpiresIn != 120 {
				t.Errorf("expires_in %d with SCIMD_OAUTH_TOKEN_TTL=2m, want 120", g.ExpiresIn)
			}
		})
	})
}
