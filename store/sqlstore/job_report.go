package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/scimd/scimd/store"
)

// reportDeleteRows is the number of report lines one DELETE removes.
const reportDeleteRows = 10_000

// ScanReport streams a job's report lines in row order.
func (s *Store) ScanReport(ctx context.Context, tenantID int64, id string, fn func(store.ReportLine) error) error {
	if _, err := s.GetJob(ctx, tenantID, id); err != nil {
		return fmt.Errorf("scan report: %w", err)
	}
	rows, err := s.reader.WithContext(ctx).Raw(
		"SELECT row, status, resource_id, user_name, error FROM job_report WHERE tenant_id = ? AND job_id = ? ORDER BY row",
		tenantID, id).Rows()
	if err != nil {
		return fmt.Errorf("scan report: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("scan report: %w", err)
		}
		var l store.ReportLine
		if err := rows.Scan(&l.Row, &l.Status, &l.ID, &l.UserName, &l.Error); err != nil {
			return fmt.Errorf("scan report: %w", err)
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan report: %w", err)
	}
	return nil
}

// deleteReport deletes a job's report lines, reportDeleteRows per
// statement (each its own short transaction).
func (s *Store) deleteReport(ctx context.Context, tenantID int64, id string) error {
	db, err := s.writer.DB()
	if err != nil {
		return err
	}
	cut := rebind(s.pg, "SELECT row FROM job_report WHERE tenant_id = ? AND job_id = ? ORDER BY row LIMIT 1 OFFSET ?")
	delUpTo := rebind(s.pg, "DELETE FROM job_report WHERE tenant_id = ? AND job_id = ? AND row <= ?")
	for {
		var last int64
		err := db.QueryRowContext(ctx, cut, tenantID, id, reportDeleteRows-1).Scan(&last)
		if err == sql.ErrNoRows { // fewer lines left than a batch
			_, err = db.ExecContext(ctx, rebind(s.pg, "DELETE FROM job_report WHERE tenant_id = ? AND job_id = ?"), tenantID, id)
			return err
		}
		if err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, delUpTo, tenantID, id, last); err != nil {
			return err
		}
	}
}
