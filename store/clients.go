package store

import (
	"context"
	"time"
)

// Client is an OAuth 2.0 client of a tenant (SPEC §2, client credentials
// grant). Its id is public and globally unique: at the token endpoint the
// client id decides the tenant, as a token hash does for bearer tokens.
// Only the SHA-256 hash of the secret is stored.
type Client struct {
	ID          string // client_id: public, unique across tenants
	TenantID    int64
	SecretHash  string // hex SHA-256 of the client secret
	Scopes      []string
	Description string
	CreatedAt   time.Time
}

// ClientStore persists OAuth clients and the access tokens issued to them.
// A client of another tenant is ErrNotFound for every method taking a
// tenant.
type ClientStore interface {
	// CreateClient stores a client. CreatedAt defaults to now. An unknown
	// tenant is ErrNotFound; a taken id (in any tenant) is a
	// *UniquenessError on "client_id".
	CreateClient(ctx context.Context, c Client) error
	// GetClient returns the client with the given id, whatever its
	// tenant: like LookupToken it is a query without a tenant, used by the
	// token endpoint before the tenant is known.
	GetClient(ctx context.Context, clientID string) (Client, error)
	// ListClients returns the tenant's clients, oldest first.
	ListClients(ctx context.Context, tenantID int64) ([]Client, error)
	// DeleteClient deletes a client and every access token issued to it
	// (tokens whose ClientID is the client's id), in one transaction.
	DeleteClient(ctx context.Context, tenantID int64, clientID string) error
	// CreateClientToken stores an access token issued to client
	// t.ClientID of tenant t.TenantID (see CreateToken). It fails with
	// ErrNotFound when that client does not exist (any more): the check
	// and the insert are atomic with respect to DeleteClient, so no token
	// outlives its client.
	CreateClientToken(ctx context.Context, t Token) error
	// PurgeExpiredTokens deletes tokens (of any tenant) whose ExpiresAt is
	// before the given time, in small batches, and returns how many it
	// deleted. Tokens without an expiry are never purged.
	PurgeExpiredTokens(ctx context.Context, before time.Time) (int, error)
}
