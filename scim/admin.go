package scim

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/scimd/scimd/store"
)

// Admin manages tenants and tokens. The admin HTTP API and the offline
// `scimd tenant|token` commands both use it.
type Admin struct {
	Store    store.Store
	NewID    func() string
	Now      func() time.Time
	OnRevoke func() // called after a token or tenant is deleted
}

var tenantNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidateScopes checks that every scope is known and there is at least one.
func ValidateScopes(scopes []string) error {
	if len(scopes) == 0 {
		return badRequest("invalidValue", "at least one scope is required (one of %v)", AllScopes)
	}
	for _, s := range scopes {
		if !slices.Contains(AllScopes, s) {
			return badRequest("invalidValue", "unknown scope %q (known: %v)", s, AllScopes)
		}
	}
	return nil
}

// CreateTenant creates a tenant.
func (ad *Admin) CreateTenant(ctx context.Context, name string) (store.Tenant, error) {
	if !tenantNameRe.MatchString(name) {
		return store.Tenant{}, badRequest("invalidValue", "tenant name %q must be 1-64 characters of letters, digits, '.', '_' or '-'", name)
	}
	return ad.Store.CreateTenant(ctx, name)
}

// EnsureTenant returns the tenant, creating it when missing.
func (ad *Admin) EnsureTenant(ctx context.Context, name string) (t store.Tenant, created bool, err error) {
	t, err = ad.Store.GetTenant(ctx, name)
	if err == nil {
		return t, false, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return t, false, err
	}
	t, err = ad.CreateTenant(ctx, name)
	if errors.Is(err, store.ErrUniqueness) { // another replica won the race
		t, err = ad.Store.GetTenant(ctx, name)
		return t, false, err
	}
	return t, err == nil, err
}

// SetTenantSettings replaces a tenant's settings (zero values mean the
// server's defaults).
func (ad *Admin) SetTenantSettings(ctx context.Context, name string, s store.TenantSettings) error {
	if s.MaxGroupsPerUser < 0 || s.MaxGroupsPerFile < 0 {
		return badRequest("invalidValue", "limits must be positive (0 means the server's default)")
	}
	return ad.Store.SetTenantSettings(ctx, name, s)
}

// DeleteTenant deletes a tenant and everything it owns.
func (ad *Admin) DeleteTenant(ctx context.Context, name string) error {
	if err := ad.Store.DeleteTenant(ctx, name); err != nil {
		return err
	}
	ad.revoked()
	return nil
}

// CreateToken creates a token for the named tenant and returns its id and
// the secret, which is shown only this once.
func (ad *Admin) CreateToken(ctx context.Context, tenant string, scopes []string, description string) (id, secret string, err error) {
	secret = NewSecret()
	id, err = ad.addToken(ctx, tenant, secret, scopes, description, nil)
	return id, secret, err
}

// EnsureToken makes sure a token with exactly this secret exists for the
// tenant (used by --bootstrap-token). It reports whether it was created.
func (ad *Admin) EnsureToken(ctx context.Context, tenant, secret string, scopes []string, description string) (bool, error) {
	if len(secret) < 16 {
		return false, fmt.Errorf("bootstrap token must be at least 16 characters")
	}
	if _, err := ad.Store.LookupToken(ctx, HashToken(secret)); err == nil {
		return false, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	_, err := ad.addToken(ctx, tenant, secret, scopes, description, nil)
	if errors.Is(err, store.ErrUniqueness) {
		return false, nil
	}
	return err == nil, err
}

func (ad *Admin) addToken(ctx context.Context, tenant, secret string, scopes []string, description string, expires *time.Time) (string, error) {
	if err := ValidateScopes(scopes); err != nil {
		return "", err
	}
	t, err := ad.Store.GetTenant(ctx, tenant)
	if err != nil {
		return "", fmt.Errorf("tenant %q: %w", tenant, err)
	}
	id := ad.NewID()
	err = ad.Store.CreateToken(ctx, store.Token{
		ID: id, TenantID: t.ID, Hash: HashToken(secret), Scopes: scopes,
		Description: description, CreatedAt: ad.Now().UTC(), ExpiresAt: expires,
	})
	return id, err
}

// ListTokens lists a tenant's tokens (without secrets).
func (ad *Admin) ListTokens(ctx context.Context, tenant string) ([]store.Token, error) {
	t, err := ad.Store.GetTenant(ctx, tenant)
	if err != nil {
		return nil, fmt.Errorf("tenant %q: %w", tenant, err)
	}
	return ad.Store.ListTokens(ctx, t.ID)
}

// DeleteToken revokes a token.
func (ad *Admin) DeleteToken(ctx context.Context, tenant, id string) error {
	t, err := ad.Store.GetTenant(ctx, tenant)
	if err != nil {
		return fmt.Errorf("tenant %q: %w", tenant, err)
	}
	if err := ad.Store.DeleteToken(ctx, t.ID, id); err != nil {
		return err
	}
	ad.revoked()
	return nil
}

func (ad *Admin) revoked() {
	if ad.OnRevoke != nil {
		ad.OnRevoke()
	}
}
