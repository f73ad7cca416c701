package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/scimd/scimd/store"
)

// CreateToken stores a token. An unknown tenant is store.ErrNotFound; a
// taken hash or (tenant, id) is a *store.UniquenessError.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	var expires any
	if t.ExpiresAt != nil {
		expires = t.ExpiresAt.UnixMicro()
	}
	err := s.writer.WithContext(ctx).Exec(
		`INSERT INTO tokens (hash, tenant_id, id, scopes, description, client_id, created_at, expires_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.Hash, t.TenantID, t.ID, strings.Join(t.Scopes, " "), t.Description, t.ClientID,
		microsOr(t.CreatedAt, s.nowMicros()), expires).Error
	switch {
	case err == nil:
		return nil
	case isForeignKeyViolation(err):
		return fmt.Errorf("create token: %w", notFound("tenant", fmt.Sprint(t.TenantID)))
	}
	if c, ok := uniqueViolation(err); ok {
		v := t.ID
		if c == cTokenHash {
			v = "" // the hash is not shown
		}
		return uniquenessError(c, v, err)
	}
	return fmt.Errorf("create token: %w", err)
}

const tokenCols = "hash, tenant_id, id, scopes, description, client_id, created_at, expires_at"

// ListTokens returns the tenant's tokens, oldest first.
func (s *Store) ListTokens(ctx context.Context, tenantID int64) ([]store.Token, error) {
	rows, err := s.reader.WithContext(ctx).
		Raw("SELECT "+tokenCols+" FROM tokens WHERE tenant_id = ? ORDER BY created_at, id", tenantID).Rows()
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []store.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// DeleteToken deletes a token by its public id.
func (s *Store) DeleteToken(ctx context.Context, tenantID int64, id string) error {
	res := s.writer.WithContext(ctx).Exec("DELETE FROM tokens WHERE tenant_id = ? AND id = ?", tenantID, id)
	if res.Error != nil {
		return fmt.Errorf("delete token: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("token", id)
	}
	return nil
}

// LookupToken returns the token with the given hash, expired or not: the
// caller checks ExpiresAt.
func (s *Store) LookupToken(ctx context.Context, hash string) (store.Token, error) {
	rows, err := s.reader.WithContext(ctx).Raw("SELECT "+tokenCols+" FROM tokens WHERE hash = ?", hash).Rows()
	if err != nil {
		return store.Token{}, fmt.Errorf("lookup token: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return store.Token{}, fmt.Errorf("lookup token: %w", err)
		}
		return store.Token{}, fmt.Errorf("token: %w", store.ErrNotFound)
	}
	t, err := scanToken(rows)
	if err != nil {
		return store.Token{}, fmt.Errorf("lookup token: %w", err)
	}
	return t, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanToken(r scanner) (store.Token, error) {
	var t store.Token
	var scopes string
	var created int64
	var expires sql.NullInt64
	if err := r.Scan(&t.Hash, &t.TenantID, &t.ID, &scopes, &t.Description, &t.ClientID, &created, &expires); err != nil {
		return store.Token{}, err
	}
	t.Scopes = strings.Fields(scopes)
	t.CreatedAt = fromMicros(created)
	if expires.Valid {
		e := fromMicros(expires.Int64)
		t.ExpiresAt = &e
	}
	return t, nil
}
