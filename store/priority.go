package store

import "context"

type backgroundKey struct{}

// Background marks ctx as background bulk work (the chunks of an import
// job). A store whose database has a single writer (SQLite) lets
// interactive writes that are waiting for it go first, so that an API
// write during an import waits for at most the chunk in progress, not for
// the chunks queued behind it.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// IsBackground reports whether ctx was marked by Background.
func IsBackground(ctx context.Context) bool {
	b, _ := ctx.Value(backgroundKey{}).(bool)
	return b
}
