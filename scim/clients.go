package scim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/scimd/scimd/store"
)

// clientIDPrefix starts every generated OAuth client id.
const clientIDPrefix = "scimdc_"

// NewClientID returns a fresh OAuth client id: "scimdc_" and 128 random
// bits in hex. Client ids are public but unique across tenants (the id
// decides the tenant at the token endpoint), and they only use characters
// that need no escaping in HTTP Basic credentials or form bodies.
func NewClientID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return clientIDPrefix + hex.EncodeToString(b)
}

// CreateClient creates an OAuth 2.0 client of the named tenant allowed to
// obtain access tokens with (a subset of) scopes through the client
// credentials grant. It returns the client id and the secret, which is
// shown only this once: only its SHA-256 hash (HashToken) is stored.
func (ad *Admin) CreateClient(ctx context.Context, tenant string, scopes []string, description string) (clientID, secret string, err error) {
	if err := ValidateScopes(scopes); err != nil {
		return "", "", err
	}
	t, err := ad.Store.GetTenant(ctx, tenant)
	if err != nil {
		return "", "", fmt.Errorf("tenant %q: %w", tenant, err)
	}
	clientID, secret = NewClientID(), NewSecret()
	err = ad.Store.CreateClient(ctx, store.Client{
		ID: clientID, TenantID: t.ID, SecretHash: HashToken(secret), Scopes: uniqueScopes(scopes),
		Description: description, CreatedAt: ad.Now().UTC(),
	})
	if err != nil {
		return "", "", err
	}
	return clientID, secret, nil
}

// ListClients lists a tenant's OAuth clients. The records carry the
// secret hashes: callers show everything else.
func (ad *Admin) ListClients(ctx context.Context, tenant string) ([]store.Client, error) {
	t, err := ad.Store.GetTenant(ctx, tenant)
	if err != nil {
		return nil, fmt.Errorf("tenant %q: %w", tenant, err)
	}
	return ad.Store.ListClients(ctx, t.ID)
}

// DeleteClient deletes an OAuth client and revokes every access token
// issued to it.
func (ad *Admin) DeleteClient(ctx context.Context, tenant, clientID string) error {
	t, err := ad.Store.GetTenant(ctx, tenant)
	if err != nil {
		return fmt.Errorf("tenant %q: %w", tenant, err)
	}
	if err := ad.Store.DeleteClient(ctx, t.ID, clientID); err != nil {
		return err
	}
	ad.revoked()
	return nil
}

// uniqueScopes returns scopes without repetitions, in order.
func uniqueScopes(scopes []string) []string {
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
