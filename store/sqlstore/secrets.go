package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
)

// secretSize is the length of a generated server secret.
const secretSize = 32

// Secret returns the server-wide secret called name, creating it on first
// use. Replicas starting together race on the INSERT; ON CONFLICT makes
// the first one win and everyone reads the winner's value.
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	const read = "SELECT value FROM server_secrets WHERE name = ?"
	db := s.writer.WithContext(ctx)
	var value []byte
	err := queryRow(db, read, []any{name}, &value)
	if errors.Is(err, sql.ErrNoRows) {
		fresh := make([]byte, secretSize)
		if _, err := rand.Read(fresh); err != nil {
			return nil, fmt.Errorf("secret %s: %w", name, err)
		}
		err = db.Exec("INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
			name, fresh, s.nowMicros()).Error
		if err == nil {
			err = queryRow(db, read, []any{name}, &value)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	if len(value) < secretSize {
		return nil, fmt.Errorf("secret %s: stored value is %d bytes, want %d", name, len(value), secretSize)
	}
	return value, nil
}
