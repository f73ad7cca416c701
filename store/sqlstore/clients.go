package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/scimd/scimd/store"
)

var _ store.ClientStore = (*Store)(nil)

// tokenPurgeBatch is the number of expired tokens one purge statement
// deletes.
const tokenPurgeBatch = 1000

const clientCols = "client_id, tenant_id, secret_hash, scopes, description, created_at"

// CreateClient stores an OAuth client (see store.ClientStore).
func (s *Store) CreateClient(ctx context.Context, c store.Client) error {
	err := s.writer.WithContext(ctx).Exec(
		"INSERT INTO oauth_clients ("+clientCols+") VALUES (?, ?, ?, ?, ?, ?)",
		c.ID, c.TenantID, c.SecretHash, strings.Join(c.Scopes, " "), c.Description,
		microsOr(c.CreatedAt, s.nowMicros())).Error
	switch {
	case err == nil:
		return nil
	case isForeignKeyViolation(err):
		return fmt.Errorf("create client: %w", notFound("tenant", fmt.Sprint(c.TenantID)))
	}
	if _, ok := uniqueViolation(err); ok {
		// Both keys of the table contain client_id.
		return &store.UniquenessError{Attr: "client_id", Value: c.ID}
	}
	return fmt.Errorf("create client: %w", err)
}

// GetClient returns a client by its globally unique id.
func (s *Store) GetClient(ctx context.Context, clientID string) (store.Client, error) {
	rows, err := s.reader.WithContext(ctx).
		Raw("SELECT "+clientCols+" FROM oauth_clients WHERE client_id = ?", clientID).Rows()
	if err != nil {
		return store.Client{}, fmt.Errorf("get client: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return store.Client{}, fmt.Errorf("get client: %w", err)
		}
		return store.Client{}, notFound("client", clientID)
	}
	c, err := scanClient(rows)
	if err != nil {
		return store.Client{}, fmt.Errorf("get client: %w", err)
	}
	return c, nil
}

// ListClients returns the tenant's clients, oldest first.
func (s *Store) ListClients(ctx context.Context, tenantID int64) ([]store.Client, error) {
	rows, err := s.reader.WithContext(ctx).
		Raw("SELECT "+clientCols+" FROM oauth_clients WHERE tenant_id = ? ORDER BY created_at, client_id", tenantID).Rows()
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	defer rows.Close()
	var out []store.Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, fmt.Errorf("list clients: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return out, nil
}

// DeleteClient deletes a client and its access tokens in one transaction.
// The client row goes first: on PostgreSQL its row lock waits for a
// CreateClientToken holding the row FOR SHARE, so the token delete that
// follows sees that token.
func (s *Store) DeleteClient(ctx context.Context, tenantID int64, clientID string) error {
	err := s.writer.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec("DELETE FROM oauth_clients WHERE tenant_id = ? AND client_id = ?", tenantID, clientID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return notFound("client", clientID)
		}
		// "client_id <> ''" lets the planner use the partial index
		// tokens_client.
		return tx.Exec("DELETE FROM tokens WHERE tenant_id = ? AND client_id = ? AND client_id <> ''",
			tenantID, clientID).Error
	})
	if err != nil {
		return fmt.Errorf("delete client: %w", err)
	}
	return nil
}

// CreateClientToken stores an access token of an existing client. The
// client row is read in the same write transaction (FOR SHARE on
// PostgreSQL; SQLite serialises writers), so a concurrent DeleteClient
// either sees the new token or makes this call fail with ErrNotFound.
func (s *Store) CreateClientToken(ctx context.Context, t store.Token) error {
	if t.ClientID == "" {
		return errors.New("create client token: the token has no client id")
	}
	lock := ""
	if s.pg {
		lock = " FOR SHARE"
	}
	err := s.writer.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var one int
		err := queryRow(tx, "SELECT 1 FROM oauth_clients WHERE tenant_id = ? AND client_id = ?"+lock,
			[]any{t.TenantID, t.ClientID}, &one)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("client", t.ClientID)
		}
		if err != nil {
			return err
		}
		return s.insertToken(tx, t)
	})
	if err != nil {
		return fmt.Errorf("create client token: %w", err)
	}
	return nil
}

// insertToken inserts t on db (a transaction), translating errors as
// CreateToken does.
func (s *Store) insertToken(db *gorm.DB, t store.Token) error {
	var expires any
	if t.ExpiresAt != nil {
		expires = t.ExpiresAt.UnixMicro()
	}
	err := db.Exec("INSERT INTO tokens ("+tokenCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		t.Hash, t.TenantID, t.ID, strings.Join(t.Scopes, " "), t.Description, t.ClientID,
		microsOr(t.CreatedAt, s.nowMicros()), expires).Error
	if err == nil {
		return nil
	}
	if c, ok := uniqueViolation(err); ok {
		v := t.ID
		if c == cTokenHash {
			v = "" // the hash is not shown
		}
		return uniquenessError(c, v, err)
	}
	return err
}

// PurgeExpiredTokens deletes tokens that expired before the given time,
// tokenPurgeBatch at a time (short statements: the SQLite writer and
// PostgreSQL locks are never held long).
func (s *Store) PurgeExpiredTokens(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		res := s.writer.WithContext(ctx).Exec(
			"DELETE FROM tokens WHERE hash IN (SELECT hash FROM tokens WHERE expires_at < ? LIMIT ?)",
			before.UnixMicro(), tokenPurgeBatch)
		if res.Error != nil {
			return total, fmt.Errorf("purge expired tokens: %w", res.Error)
		}
		total += int(res.RowsAffected)
		if res.RowsAffected < tokenPurgeBatch {
			return total, nil
		}
	}
}

func scanClient(r scanner) (store.Client, error) {
	var c store.Client
	var scopes string
	var created int64
	if err := r.Scan(&c.ID, &c.TenantID, &c.SecretHash, &scopes, &c.Description, &created); err != nil {
		return store.Client{}, err
	}
	c.Scopes = strings.Fields(scopes)
	c.CreatedAt = fromMicros(created)
	return c, nil
}
