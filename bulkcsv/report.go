package bulkcsv

import (
	"encoding/csv"
	"io"
	"strconv"
)

// ReportHeader is the header of a job report (SPEC §8).
var ReportHeader = []string{"row", "status", "id", "userName", "error"}

// ReportWriter writes a job's per-row report as CSV. Cells that a
// spreadsheet would run as a formula are neutralised like export cells.
type ReportWriter struct {
	cw  *csv.Writer
	rec []string
}

// NewReportWriter writes the report header to w.
func NewReportWriter(w io.Writer) (*ReportWriter, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(ReportHeader); err != nil {
		return nil, err
	}
	return &ReportWriter{cw: cw, rec: make([]string, len(ReportHeader))}, nil
}

// Write writes one report line.
func (r *ReportWriter) Write(row int64, status, id, userName, errMsg string) error {
	r.rec[0] = strconv.FormatInt(row, 10)
	r.rec[1] = status
	r.rec[2] = neutralise(cleanCell(id), false)
	r.rec[3] = neutralise(cleanCell(userName), false)
	r.rec[4] = neutralise(cleanCell(errMsg), false)
	return r.cw.Write(r.rec)
}

// Flush flushes buffered lines to the underlying writer.
func (r *ReportWriter) Flush() error {
	r.cw.Flush()
	return r.cw.Error()
}
