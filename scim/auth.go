package scim

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/scimd/scimd/internal/reqctx"
	"github.com/scimd/scimd/store"
)

// NewID returns a new resource id: a UUIDv7 (time-ordered, so inserts stay
// fast and id order is creation order).
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// NewSecret returns a fresh bearer secret ("scimd_" + 256 random bits).
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return "scimd_" + base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns the stored form of a bearer secret: hex SHA-256. Secrets
// are 256-bit random values, so a fast hash is the right tool (a slow KDF
// protects low-entropy passwords, not random tokens).
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

var errUnauthorized = &apiError{Status: http.StatusUnauthorized, Detail: "A valid bearer token is required."}

// bearer extracts the token from an Authorization header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	t := strings.TrimSpace(h[7:])
	return t, t != ""
}

// authenticate resolves the bearer token to a tenant and scopes.
func (a *API) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		secret, ok := bearer(c.Request())
		if !ok {
			return errUnauthorized
		}
		req := c.Request()
		ctx := req.Context()
		ent, err := a.tokens.get(HashToken(secret), func(hash string) (tokenEntry, error) {
			tok, err := a.store.LookupToken(ctx, hash)
			if err != nil {
				return tokenEntry{}, err
			}
			ten, err := a.store.GetTenantByID(ctx, tok.TenantID)
			if err != nil {
				return tokenEntry{}, err
			}
			return tokenEntry{tenant: reqctx.Tenant{ID: ten.ID, Name: ten.Name}, scopes: tok.Scopes, expires: tok.ExpiresAt}, nil
		})
		if errors.Is(err, store.ErrNotFound) {
			return errUnauthorized
		}
		if err != nil {
			return err
		}
		if ent.expires != nil && !a.now().Before(*ent.expires) {
			return &apiError{Status: http.StatusUnauthorized, Detail: "The bearer token has expired."}
		}
		ctx = reqctx.WithScopes(reqctx.WithTenant(ctx, ent.tenant), ent.scopes)
		c.SetRequest(req.WithContext(ctx))
		return next(c)
	}
}

// adminAuth guards the admin API with the configured admin token.
func (a *API) adminAuth(next echo.HandlerFunc) echo.HandlerFunc {
	want := sha256.Sum256([]byte(a.cfg.AdminToken))
	return func(c echo.Context) error {
		if a.cfg.AdminToken == "" {
			return &apiError{Status: http.StatusNotFound, Detail: "The admin API is disabled (start the server with --admin-token)."}
		}
		secret, ok := bearer(c.Request())
		got := sha256.Sum256([]byte(secret))
		if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			return &apiError{Status: http.StatusUnauthorized, Detail: "A valid admin bearer token is required."}
		}
		return next(c)
	}
}

type tokenEntry struct {
	tenant  reqctx.Tenant
	scopes  []string
	expires *time.Time
	fetched time.Time
}

// tokenCache remembers verified tokens for a short TTL so that most
// requests skip the database look-up. It is bounded: when full it is
// cleared.
type tokenCache struct {
	mu  sync.RWMutex
	m   map[string]tokenEntry
	ttl time.Duration
	now func() time.Time
	max int
}

func newTokenCache(ttl time.Duration, now func() time.Time) *tokenCache {
	return &tokenCache{m: map[string]tokenEntry{}, ttl: ttl, now: now, max: 10000}
}

func (tc *tokenCache) get(hash string, load func(string) (tokenEntry, error)) (tokenEntry, error) {
	now := tc.now()
	if tc.ttl > 0 {
		tc.mu.RLock()
		e, ok := tc.m[hash]
		tc.mu.RUnlock()
		if ok && now.Sub(e.fetched) < tc.ttl {
			return e, nil
		}
	}
	e, err := load(hash)
	if err != nil {
		return e, err
	}
	e.fetched = now
	if tc.ttl > 0 {
		tc.mu.Lock()
		if len(tc.m) >= tc.max {
			clear(tc.m)
		}
		tc.m[hash] = e
		tc.mu.Unlock()
	}
	return e, nil
}

// flush forgets every cached token (after a revocation on this replica).
func (tc *tokenCache) flush() {
	tc.mu.Lock()
	clear(tc.m)
	tc.mu.Unlock()
}
