package scim

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	elimity "github.com/elimity-com/scim"
	"github.com/elimity-com/scim/schema"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/scim/bulk"
	"github.com/scimd/scimd/scim/resource"
	"github.com/scimd/scimd/store"
)

// Scopes a token may carry (SPEC §2).
const (
	ScopeUsersRead    = "users:read"
	ScopeUsersManage  = "users:manage"
	ScopeGroupsRead   = "groups:read"
	ScopeGroupsManage = "groups:manage"
	ScopeTenantManage = "tenant:manage"
)

// AllScopes lists every scope, e.g. for the bootstrap token.
var AllScopes = []string{ScopeUsersRead, ScopeUsersManage, ScopeGroupsRead, ScopeGroupsManage, ScopeTenantManage}

// Config holds the HTTP-facing settings.
type Config struct {
	// BaseURL is the public URL prefix used in meta.location and Location
	// headers, e.g. "https://id.example.com". Empty: derived per request
	// from the scheme and Host header.
	BaseURL string
	// MaxBodyBytes limits every SCIM JSON request body; it is also the
	// advertised Bulk maxPayloadSize.
	MaxBodyBytes int64
	// MaxResults caps count on list requests; DefaultCount is the page
	// size when count is absent.
	MaxResults   int
	DefaultCount int
	// BulkMaxOperations is the advertised and enforced Bulk maxOperations.
	BulkMaxOperations int
	// AdminToken guards /admin/v1; empty disables the admin API.
	AdminToken string
	// MaxImportBytes limits a CSV upload (default 1 GiB); it is separate
	// from the much smaller JSON body limit.
	MaxImportBytes int64
	// MaxGroupsPerUser limits the groups column of one row (default 500);
	// MaxGroupsPerFile the distinct groups of a group import (25,000).
	MaxGroupsPerUser int
	MaxGroupsPerFile int
	// TokenCacheTTL bounds how long a verified token is trusted without a
	// database look-up (revocations take at most this long to apply on
	// other replicas).
	TokenCacheTTL time.Duration
	// CursorTimeout is how long a pagination cursor stays valid (RFC
	// 9865 cursorTimeout; default one hour).
	CursorTimeout time.Duration
	// OAuthTokenTTL is the lifetime of access tokens issued by
	// POST /oauth2/token (0: DefaultOAuthTokenTTL, one hour).
	OAuthTokenTTL time.Duration
}

func (c *Config) defaults() {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 2 << 20
	}
	if c.MaxResults <= 0 {
		c.MaxResults = 1000
	}
	if c.DefaultCount <= 0 {
		c.DefaultCount = 100
	}
	if c.DefaultCount > c.MaxResults {
		c.DefaultCount = c.MaxResults
	}
	if c.BulkMaxOperations <= 0 {
		c.BulkMaxOperations = 1000
	}
	if c.MaxImportBytes <= 0 {
		c.MaxImportBytes = 1 << 30
	}
	if c.MaxGroupsPerUser <= 0 {
		c.MaxGroupsPerUser = 500
	}
	if c.MaxGroupsPerFile <= 0 {
		c.MaxGroupsPerFile = 25000
	}
	if c.TokenCacheTTL == 0 {
		c.TokenCacheTTL = 5 * time.Second
	}
	if c.CursorTimeout <= 0 {
		c.CursorTimeout = time.Hour
	}
}

// Deps are the collaborators of the API.
type Deps struct {
	Store    store.Store
	Registry *schemas.Registry
	Logger   *slog.Logger
	// Metrics registers the HTTP metrics; nil uses a private registry.
	Metrics prometheus.Registerer
	// Gatherer serves /metrics; nil serves the private registry.
	Gatherer     prometheus.Gatherer
	Now          func() time.Time
	NewID        func() string
	HashPassword func(string) (string, error)
}

// API is the scimd HTTP application.
type API struct {
	bufs    buffers // response buffers of reads
	cfg     Config
	store   store.Store
	reg     *schemas.Registry
	log     *slog.Logger
	now     func() time.Time
	svc     *resource.Service
	elim    elimity.Server
	echo    *echo.Echo
	tokens  *tokenCache
	metrics *httpMetrics
	admin   *Admin
	// jobQueued wakes an idle import runner of this process when an
	// upload queued a job (buffered 1: one pending wake-up is enough).
	jobQueued chan struct{}
	// patchUsers and patchGroups decode PATCH bodies with precise errors
	// before elimity validates them.
	patchUsers, patchGroups *resource.PatchDecoder
	// patchFastUsers and patchFastGroups decide when a PATCH may skip
	// elimity (patch_direct.go).
	patchFastUsers, patchFastGroups *patchFast
	// exportSlots bounds concurrent CSV exports (export_stream.go).
	exportSlots chan struct{}
	// bulkRunner runs /Bulk operations (bulk_http.go).
	bulkRunner *bulk.Runner
	// cursors signs and checks pagination cursors (cursor.go).
	cursors *cursorCodec
}

// New builds the API and its routes.
func New(cfg Config, d Deps) (*API, error) {
	cfg.defaults()
	if d.Store == nil || d.Registry == nil {
		return nil, errors.New("scim: store and registry are required")
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	// Stored timestamps have microsecond precision; truncate so a response
	// shows the same instant a later GET does.
	now := d.Now
	d.Now = func() time.Time { return now().UTC().Truncate(time.Microsecond) }
	if d.NewID == nil {
		d.NewID = NewID
	}
	if d.HashPassword == nil {
		return nil, errors.New("scim: a password hasher is required")
	}
	// Entra ID sends booleans as "True"/"False"; the pinned elimity version
	// only accepts them with this process-wide switch.
	schema.SetAllowStringValues(true)

	a := &API{
		cfg:   cfg,
		store: d.Store,
		reg:   d.Registry,
		log:   d.Logger,
		now:   d.Now,
		svc: &resource.Service{
			Reg:   d.Registry,
			Hash:  d.HashPassword,
			NewID: d.NewID,
			Now:   d.Now,
		},
		tokens:      newTokenCache(cfg.TokenCacheTTL, d.Now),
		exportSlots: make(chan struct{}, exportSlotsPerAPI),
		jobQueued:   make(chan struct{}, 1),
	}
	a.admin = &Admin{Store: d.Store, NewID: d.NewID, Now: d.Now, OnRevoke: a.tokens.flush}
	a.patchUsers, a.patchGroups = resource.NewPatchDecoder(d.Registry.Users), resource.NewPatchDecoder(d.Registry.Groups)
	a.patchFastUsers, a.patchFastGroups = newPatchFast(d.Registry.Users), newPatchFast(d.Registry.Groups)
	a.bulkRunner = a.newBulkRunner()
	a.cursors = newCursorCodec(d.Store, d.Now, cfg.CursorTimeout)
	m, err := newHTTPMetrics(d.Metrics, d.Gatherer)
	if err != nil {
		return nil, err
	}
	a.metrics = m
	elim, err := a.newElimityServer()
	if err != nil {
		return nil, err
	}
	a.elim = elim
	a.echo = a.routes()
	return a, nil
}

// Handler returns the root HTTP handler.
func (a *API) Handler() http.Handler { return a.echo }

// Admin returns the tenant/token administration service (shared with the
// offline CLI).
func (a *API) Admin() *Admin { return a.admin }
