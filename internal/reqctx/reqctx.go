// Package reqctx holds the request-scoped values that travel in a
// context.Context: the request id, the authenticated tenant and the token's
// scopes. Keys are unexported; use the typed getters and setters.
package reqctx

import (
	"context"
	"slices"
)

type key int

const (
	requestIDKey key = iota
	tenantKey
	scopesKey
)

// Tenant identifies the tenant a request acts for.
type Tenant struct {
	ID   int64
	Name string
}

// WithRequestID returns ctx carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the request id, or "".
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// WithTenant returns ctx carrying the authenticated tenant.
func WithTenant(ctx context.Context, t Tenant) context.Context {
	return context.WithValue(ctx, tenantKey, t)
}

// TenantFrom returns the authenticated tenant and whether there is one.
func TenantFrom(ctx context.Context) (Tenant, bool) {
	t, ok := ctx.Value(tenantKey).(Tenant)
	return t, ok
}

// WithScopes returns ctx carrying the token's scopes.
func WithScopes(ctx context.Context, scopes []string) context.Context {
	return context.WithValue(ctx, scopesKey, scopes)
}

// Scopes returns the token's scopes.
func Scopes(ctx context.Context) []string {
	s, _ := ctx.Value(scopesKey).([]string)
	return s
}

// HasScope reports whether the request's token carries scope.
func HasScope(ctx context.Context, scope string) bool {
	return slices.Contains(Scopes(ctx), scope)
}
