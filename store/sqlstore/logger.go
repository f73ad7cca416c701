package sqlstore

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm/logger"
)

// gormLogger sends gorm's messages and SQL traces to slog at debug level:
// errors are returned to callers (and many, like expected uniqueness
// violations, are handled), so they are not logged as errors here.
type gormLogger struct{ log *slog.Logger }

// newGormLogger returns a debug-level adapter when log has debug enabled,
// else gorm's discarding logger.
func newGormLogger(log *slog.Logger) logger.Interface {
	if !log.Enabled(context.Background(), slog.LevelDebug) {
		return logger.Discard
	}
	return gormLogger{log: log}
}

func (l gormLogger) LogMode(logger.LogLevel) logger.Interface { return l }

func (l gormLogger) Info(ctx context.Context, msg string, data ...any) {
	l.log.DebugContext(ctx, "gorm: "+fmt.Sprintf(msg, data...))
}

func (l gormLogger) Warn(ctx context.Context, msg string, data ...any) {
	l.log.DebugContext(ctx, "gorm: "+fmt.Sprintf(msg, data...))
}

func (l gormLogger) Error(ctx context.Context, msg string, data ...any) {
	l.log.DebugContext(ctx, "gorm: "+fmt.Sprintf(msg, data...))
}

func (l gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if !l.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	sql, rows := fc()
	attrs := []any{"sql", sql, "rows", rows, "duration", time.Since(begin)}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	l.log.DebugContext(ctx, "sqlstore: query", attrs...)
}

// ParamsFilter keeps parameters out of the trace (they may be personal
// data or password hashes).
func (l gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}
