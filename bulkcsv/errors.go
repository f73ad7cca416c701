package bulkcsv

import (
	"errors"
	"fmt"
)

// FileError is a problem with the file as a whole: it cannot be imported at
// all (not CSV, not UTF-8, empty, an unknown, duplicated or missing column,
// a row beyond the size limit). The import endpoint answers 400 with Msg;
// a job runner that meets one mid-file ends the job failed.
type FileError struct {
	Column string // the column concerned, "" when none
	Msg    string // names the problem (and the column)
}

func (e *FileError) Error() string { return e.Msg }

// RowError is a problem with one data row: that row fails, the rows before
// and after still apply.
type RowError struct {
	Num    int    // 1-based data row number, the header not counted
	Column string // the column concerned (as named in the header), "" when none
	Msg    string // the reason
}

func (e *RowError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("row %d: column %s: %s", e.Num, e.Column, e.Msg)
	}
	return fmt.Sprintf("row %d: %s", e.Num, e.Msg)
}

// ColumnError reports a column name that does not resolve to a column of
// the resource schema, or that cannot be used the way it is named.
type ColumnError struct {
	Column  string
	Reason  string
	Unknown bool // the name is no column at all (rather than one that cannot be used so)
}

func (e *ColumnError) Error() string {
	if e.Unknown {
		return fmt.Sprintf("unknown column %q: %s", e.Column, e.Reason)
	}
	return fmt.Sprintf("column %q: %s", e.Column, e.Reason)
}

// IsFileError reports whether err is (or wraps) a *FileError.
func IsFileError(err error) bool {
	var fe *FileError
	return errors.As(err, &fe)
}

// IsRowError reports whether err is (or wraps) a *RowError.
func IsRowError(err error) bool {
	var re *RowError
	return errors.As(err, &re)
}

func fileErrorf(column, format string, args ...any) *FileError {
	return &FileError{Column: column, Msg: fmt.Sprintf(format, args...)}
}
