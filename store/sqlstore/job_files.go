package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/scimd/scimd/store"
)

// An uploaded file lives in job_files in chunks of fileChunkSize bytes
// (the last one shorter), seq 0, 1, 2, … It is written and read one chunk
// at a time through database/sql (not gorm), so memory stays at about one
// chunk whatever the file size.
const (
	fileChunkSize = 1 << 20
	// fileDeleteChunks is the number of chunks one DELETE removes.
	fileDeleteChunks = 16
)

// writeFile stores r as the chunks of a job's file, each INSERT its own
// short transaction, and returns the number of bytes. A read error of r
// (io.ErrUnexpectedEOF included: a truncated upload) is returned wrapped.
func (s *Store) writeFile(ctx context.Context, tenantID int64, id string, r io.Reader) (int64, error) {
	db, err := s.writer.DB()
	if err != nil {
		return 0, err
	}
	ins := rebind(s.pg, "INSERT INTO job_files (tenant_id, job_id, seq, data) VALUES (?, ?, ?, ?)")
	buf := make([]byte, fileChunkSize)
	var size int64
	for seq := int64(0); ; seq++ {
		n, rerr := fill(r, buf)
		if n > 0 {
			if _, err := db.ExecContext(ctx, ins, tenantID, id, seq, buf[:n]); err != nil {
				return size, fmt.Errorf("store file chunk %d: %w", seq, err)
			}
			size += int64(n)
		}
		switch {
		case errors.Is(rerr, io.EOF):
			return size, nil
		case rerr != nil:
			return size, fmt.Errorf("read file: %w", rerr)
		}
	}
}

// fill reads into buf until it is full or r fails; unlike io.ReadFull it
// passes the reader's own io.ErrUnexpectedEOF on instead of treating it as
// the end of the data.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// deleteFile deletes a job's chunks, last ones first and a few per
// statement, so that no statement holds the writer for long and an
// interrupted deletion always leaves chunk 0 (which PurgeJobs looks for).
func (s *Store) deleteFile(ctx context.Context, tenantID int64, id string) error {
	db, err := s.writer.DB()
	if err != nil {
		return err
	}
	var last sql.NullInt64
	err = db.QueryRowContext(ctx, rebind(s.pg, "SELECT MAX(seq) FROM job_files WHERE tenant_id = ? AND job_id = ?"),
		tenantID, id).Scan(&last)
	if err != nil {
		return fmt.Errorf("delete file of job %q: %w", id, err)
	}
	del := rebind(s.pg, "DELETE FROM job_files WHERE tenant_id = ? AND job_id = ? AND seq > ? AND seq <= ?")
	for hi := last.Int64; last.Valid && hi >= 0; hi -= fileDeleteChunks {
		if _, err := db.ExecContext(ctx, del, tenantID, id, hi-fileDeleteChunks, hi); err != nil {
			return fmt.Errorf("delete file of job %q: %w", id, err)
		}
	}
	return nil
}

// OpenJobFile streams a job's file, one chunk per query.
func (s *Store) OpenJobFile(ctx context.Context, tenantID int64, id string) (io.ReadCloser, error) {
	j, err := s.GetJob(ctx, tenantID, id)
	if err != nil {
		return nil, fmt.Errorf("open job file: %w", err)
	}
	if finalStatus(j.Status) {
		return nil, fmt.Errorf("open job file: job %q is %s: %w", id, j.Status, store.ErrNotFound)
	}
	db, err := s.reader.DB()
	if err != nil {
		return nil, fmt.Errorf("open job file: %w", err)
	}
	return &jobFile{ctx: ctx, db: db, tenant: tenantID, id: id, left: j.FileSize,
		query: rebind(s.pg, "SELECT data FROM job_files WHERE tenant_id = ? AND job_id = ? AND seq = ?")}, nil
}

// jobFile reads a job's chunks in seq order until FileSize bytes are read.
// It keeps OpenJobFile's context: io.Reader has no context of its own.
type jobFile struct {
	ctx    context.Context
	db     *sql.DB
	query  string
	tenant int64
	id     string
	seq    int64
	left   int64  // bytes not fetched yet
	buf    []byte // the current chunk
	pos    int    // read position in buf
	closed bool
}

func (f *jobFile) Read(p []byte) (int, error) {
	if f.closed {
		return 0, fmt.Errorf("job file %q: read after close", f.id)
	}
	for f.pos >= len(f.buf) {
		if f.left <= 0 {
			return 0, io.EOF
		}
		if err := f.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, f.buf[f.pos:])
	f.pos += n
	return n, nil
}

// next fetches the next chunk into buf (reusing its memory).
func (f *jobFile) next() error {
	rows, err := f.db.QueryContext(f.ctx, f.query, f.tenant, f.id, f.seq)
	if err != nil {
		return fmt.Errorf("job file %q chunk %d: %w", f.id, f.seq, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return fmt.Errorf("job file %q chunk %d: %w", f.id, f.seq, err)
		}
		// Deleted meanwhile (the job finished or was cancelled).
		return fmt.Errorf("job file %q chunk %d: %w", f.id, f.seq, store.ErrNotFound)
	}
	var raw sql.RawBytes
	if err := rows.Scan(&raw); err != nil {
		return fmt.Errorf("job file %q chunk %d: %w", f.id, f.seq, err)
	}
	if len(raw) == 0 || int64(len(raw)) > f.left {
		return fmt.Errorf("job file %q chunk %d: %d bytes, %d expected at most", f.id, f.seq, len(raw), f.left)
	}
	f.buf = append(f.buf[:0], raw...)
	f.pos = 0
	f.left -= int64(len(raw))
	f.seq++
	return rows.Close()
}

func (f *jobFile) Close() error {
	f.closed = true
	f.buf = nil
	return nil
}
