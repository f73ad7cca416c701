package sqlstore

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// Planner statistics. Without sqlite_stat1 SQLite guesses that
// "tenant_id = ?" matches about ten rows and may walk a whole tenant in
// sort order instead of looking a value up (sqlfilter's doc.go). The
// bundled SQLite (3.45) only runs ANALYZE from PRAGMA optimize for tables
// the connection has already planned queries on, so at Open it would do
// nothing; Open and Optimize therefore run ANALYZE themselves, with
// PRAGMA analysis_limit so that it reads about sqliteAnalysisLimit rows
// per index, whatever the table size (milliseconds, not a full scan that
// would hold the writer). PostgreSQL has autovacuum; Optimize runs ANALYZE
// for callers that just loaded a lot of rows.

// sqliteAnalysisLimit is PRAGMA analysis_limit. Much lower limits (100)
// sample so few rows per tenant that the planner prefers walking the
// sortBy index again.
const sqliteAnalysisLimit = 1000

// statsTables are the tables Optimize analyzes.
var statsTables = []string{"tenants", "tokens", "scim_users", "user_emails", "scim_groups", "group_members",
	"jobs", "job_files", "job_report"}

// pgStatsTargets is what Optimize analyzes on PostgreSQL: the columns
// that queries compare, join or sort on. The attribute JSON of users and
// groups (filters on it use expressions that have no statistics) and the
// uploaded files' bytes are left out: sampling them was most of the
// cost of an ANALYZE during a large import.
const pgStatsTargets = "tenants, tokens, " +
	"scim_users (tenant_id, id, user_name_ci, external_id, display_name_ci, user_uuid_ci, active, created_at, modified_at), " +
	"user_emails, " +
	"scim_groups (tenant_id, id, display_name_ci, external_id, created_at, modified_at), " +
	"group_members, jobs, job_files (tenant_id, job_id, seq), job_report (tenant_id, job_id, row)"

// Optimize refreshes the query planner's statistics: on SQLite a sampled
// ANALYZE (PRAGMA analysis_limit) of scimd's tables in one write
// transaction, on PostgreSQL ANALYZE of scimd's tables. Run it after large
// imports; Open does it on SQLite when the database holds data.
func (s *Store) Optimize(ctx context.Context) error {
	if s.pg {
		if err := s.writer.WithContext(ctx).Exec("ANALYZE " + pgStatsTargets).Error; err != nil {
			return fmt.Errorf("optimize: %w", err)
		}
		return nil
	}
	err := s.writer.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		// A connection setting: the writer's one connection keeps it.
		if err := conn.Exec(fmt.Sprintf("PRAGMA analysis_limit = %d", sqliteAnalysisLimit)).Error; err != nil {
			return err
		}
		return conn.Transaction(func(tx *gorm.DB) error {
			for _, t := range statsTables {
				if err := tx.Exec("ANALYZE " + t).Error; err != nil {
					return fmt.Errorf("analyze %s: %w", t, err)
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("optimize: %w", err)
	}
	return nil
}

// optimizeAtOpen refreshes SQLite's statistics when the database holds
// resources or jobs (an empty database has nothing to analyze, and Open
// stays fast). A failure (say, another process holding the write lock
// beyond busy_timeout) is logged: the store works without statistics.
func (s *Store) optimizeAtOpen(ctx context.Context) {
	if s.pg {
		return
	}
	var hasData bool
	err := queryRow(s.writer.WithContext(ctx), "SELECT EXISTS (SELECT 1 FROM scim_users) OR EXISTS (SELECT 1 FROM scim_groups) OR EXISTS (SELECT 1 FROM jobs)",
		nil, &hasData)
	if err == nil && hasData {
		err = s.Optimize(ctx)
	}
	if err != nil {
		s.log.WarnContext(ctx, "sqlstore: planner statistics not refreshed", "err", err)
	}
}
