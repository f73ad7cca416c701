package sqlstore

import (
	"context"
	"fmt"
	"slices"
)

// emailRow is one user_emails row of the transaction's tenant.
type emailRow struct{ value, user string }

// emailRows returns the rows of a user's lower-cased e-mail set.
func emailRows(rows []emailRow, userID string, set []string) []emailRow {
	for _, v := range set {
		rows = append(rows, emailRow{v, userID})
	}
	return rows
}

// emailDiff returns the rows to delete and to insert to go from the
// stored set old to new.
func emailDiff(del, ins []emailRow, userID string, old, new []string) ([]emailRow, []emailRow) {
	for _, v := range old {
		if !slices.Contains(new, v) {
			del = append(del, emailRow{v, userID})
		}
	}
	for _, v := range new {
		if !slices.Contains(old, v) {
			ins = append(ins, emailRow{v, userID})
		}
	}
	return del, ins
}

// insertEmails adds rows (existing ones are ignored): prepared one-row
// INSERTs on SQLite; COPY, or multi-row INSERT … ON CONFLICT DO NOTHING,
// on PostgreSQL.
func (t *tx) insertEmails(ctx context.Context, rows []emailRow) error {
	if !t.pg {
		st := t.stmt(ctx, t.s.stmts.insertEmail)
		for _, r := range rows {
			if _, err := rowExec(ctx, st, t.tenant, r.value, r.user); err != nil {
				return fmt.Errorf("insert e-mail: %w", err)
			}
		}
		return nil
	}
	cols := []string{"tenant_id", "value_ci", "user_id"}
	b := &binder{pg: true}
	for part := range slices.Chunk(rows, copyChunkRows) {
		done, err := t.tryCopy(ctx, "user_emails", cols, len(part),
			func(k int) []any { return []any{t.tenant, part[k].value, part[k].user} })
		if err != nil {
			return err
		}
		if done {
			continue
		}
		for chunk := range slices.Chunk(part, 5*pgBatchRows) {
			b.reset()
			b.sql("INSERT INTO user_emails (tenant_id, value_ci, user_id) VALUES ")
			b.bind(t.tenant) // $1, referenced by tenantRef
			for i, r := range chunk {
				if i > 0 {
					b.sql(", ")
				}
				b.tuple(tenantRef, r.value, r.user)
			}
			b.sql(" ON CONFLICT DO NOTHING")
			if _, err := t.exec(ctx, b.String(), b.args...); err != nil {
				return fmt.Errorf("insert e-mails: %w", err)
			}
		}
	}
	return nil
}

// deleteEmails removes rows by their full primary key (there is no index
// on user_id alone).
func (t *tx) deleteEmails(ctx context.Context, rows []emailRow) error {
	if !t.pg {
		st := t.stmt(ctx, t.s.stmts.deleteEmail)
		for _, r := range rows {
			if _, err := rowExec(ctx, st, t.tenant, r.value, r.user); err != nil {
				return fmt.Errorf("delete e-mail: %w", err)
			}
		}
		return nil
	}
	b := &binder{pg: true}
	for chunk := range slices.Chunk(rows, 5*pgBatchRows) {
		b.reset()
		b.sql("DELETE FROM user_emails WHERE tenant_id = ").arg(t.tenant).sql(" AND (value_ci, user_id) IN (")
		for i, r := range chunk {
			if i > 0 {
				b.sql(", ")
			}
			b.tuple(r.value, r.user)
		}
		b.sql(")")
		if _, err := t.exec(ctx, b.String(), b.args...); err != nil {
			return fmt.Errorf("delete e-mails: %w", err)
		}
	}
	return nil
}

// storedEmails returns the stored e-mail sets of users about to be
// updated: from the transaction's cache, else from their attrs (one query
// per 1000 ids).
func (t *tx) storedEmails(ctx context.Context, ids []string) (map[string][]string, error) {
	out := make(map[string][]string, len(ids))
	var missing []string
	for _, id := range ids {
		if set, ok := t.emails[id]; ok {
			out[id] = set
		} else {
			missing = append(missing, id)
		}
	}
	for chunk := range slices.Chunk(distinct(missing), maxInList) {
		b := &binder{pg: t.pg}
		b.sql("SELECT id, attrs FROM scim_users WHERE tenant_id = ").arg(t.tenant).sql(" AND id IN ").list(chunk)
		rows, err := t.query(ctx, b.String(), b.args...)
		if err != nil {
			return nil, fmt.Errorf("read e-mails: %w", err)
		}
		for rows.Next() {
			var id string
			var attrs []byte
			if err := rows.Scan(&id, &attrs); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read e-mails: %w", err)
			}
			emails, _ := derivedUserAttrs(attrs)
			out[id] = lowerSet(emails)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("read e-mails: %w", err)
		}
	}
	return out, nil
}
