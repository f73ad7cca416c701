package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/scimd/scimd/store"
)

// CreateTenant creates a tenant; a taken name is a *store.UniquenessError.
func (s *Store) CreateTenant(ctx context.Context, name string) (store.Tenant, error) {
	t := store.Tenant{Name: name}
	now := s.nowMicros()
	err := queryRow(s.writer.WithContext(ctx),
		"INSERT INTO tenants (name, created_at) VALUES (?, ?) RETURNING id", []any{name, now}, &t.ID)
	if err != nil {
		if c, ok := uniqueViolation(err); ok {
			return store.Tenant{}, uniquenessError(c, name, err)
		}
		return store.Tenant{}, fmt.Errorf("create tenant %q: %w", name, err)
	}
	t.CreatedAt = fromMicros(now)
	return t, nil
}

// GetTenant returns the tenant with the given name.
func (s *Store) GetTenant(ctx context.Context, name string) (store.Tenant, error) {
	return s.getTenant(ctx, "name = ?", name, name)
}

// GetTenantByID returns the tenant with the given id.
func (s *Store) GetTenantByID(ctx context.Context, id int64) (store.Tenant, error) {
	return s.getTenant(ctx, "id = ?", id, fmt.Sprint(id))
}

func (s *Store) getTenant(ctx context.Context, cond string, arg any, label string) (store.Tenant, error) {
	var t store.Tenant
	var created int64
	var settings string
	err := queryRow(s.reader.WithContext(ctx),
		"SELECT id, name, created_at, settings FROM tenants WHERE "+cond, []any{arg}, &t.ID, &t.Name, &created, &settings)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Tenant{}, notFound("tenant", label)
	}
	if err != nil {
		return store.Tenant{}, fmt.Errorf("get tenant %q: %w", label, err)
	}
	t.CreatedAt = fromMicros(created)
	if err := json.Unmarshal([]byte(settings), &t.Settings); err != nil {
		return store.Tenant{}, fmt.Errorf("get tenant %q: settings: %w", label, err)
	}
	return t, nil
}

// SetTenantSettings replaces the tenant's settings.
func (s *Store) SetTenantSettings(ctx context.Context, name string, ts store.TenantSettings) error {
	raw, err := json.Marshal(ts)
	if err != nil {
		return err
	}
	res := s.writer.WithContext(ctx).Exec("UPDATE tenants SET settings = ? WHERE name = ?", string(raw), name)
	if res.Error != nil {
		return fmt.Errorf("set tenant settings %q: %w", name, res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("tenant", name)
	}
	return nil
}

// ListTenants returns every tenant in creation order.
func (s *Store) ListTenants(ctx context.Context) ([]store.Tenant, error) {
	rows, err := s.reader.WithContext(ctx).Raw("SELECT id, name, created_at, settings FROM tenants ORDER BY id").Rows()
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	defer rows.Close()
	var out []store.Tenant
	for rows.Next() {
		var t store.Tenant
		var created int64
		var settings string
		if err := rows.Scan(&t.ID, &t.Name, &created, &settings); err != nil {
			return nil, fmt.Errorf("list tenants: %w", err)
		}
		t.CreatedAt = fromMicros(created)
		if err := json.Unmarshal([]byte(settings), &t.Settings); err != nil {
			return nil, fmt.Errorf("list tenants: settings of %q: %w", t.Name, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	return out, nil
}

// tenantTables lists every table with a tenant_id column, children first.
var tenantTables = []string{"group_members", "user_emails", "scim_groups", "scim_users", "oauth_clients", "tokens",
	"job_report", "job_files", "jobs"}

// DeleteTenant removes the tenant and every row it owns, in one
// transaction.
func (s *Store) DeleteTenant(ctx context.Context, name string) error {
	err := s.writer.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var id int64
		err := queryRow(tx, "SELECT id FROM tenants WHERE name = ?", []any{name}, &id)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("tenant", name)
		}
		if err != nil {
			return err
		}
		for _, table := range tenantTables {
			if err := tx.Exec("DELETE FROM "+table+" WHERE tenant_id = ?", id).Error; err != nil {
				return fmt.Errorf("delete from %s: %w", table, err)
			}
		}
		if !s.pg { // the counters of migrations/sqlite/0007_resource_counts.sql
			if err := tx.Exec("DELETE FROM resource_counts WHERE tenant_id = ?", id).Error; err != nil {
				return fmt.Errorf("delete from resource_counts: %w", err)
			}
		}
		return tx.Exec("DELETE FROM tenants WHERE id = ?", id).Error
	})
	if err != nil {
		return fmt.Errorf("delete tenant %q: %w", name, err)
	}
	return nil
}
