package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/reqctx"
	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store"
	"github.com/scimd/scimd/store/sqlstore"
)

// failingScan is a store whose user scan breaks after some rows, as a
// database that goes away mid-export would.
type failingScan struct {
	store.Store
	after int
}

func (f *failingScan) ScanUsers(ctx context.Context, tid int64, q store.Query, fn func(*store.User) error) error {
	n := 0
	err := f.Store.ScanUsers(ctx, tid, q, func(u *store.User) error {
		if q.Count != 0 && n == f.after {
			return errors.New("database connection lost")
		}
		n++
		return fn(u)
	})
	return err
}

// An export that fails after its first bytes is recorded as a failed job
// and the connection is aborted (http.ErrAbortHandler), so that the client
// sees a broken transfer rather than a short file.
func TestExportFailureMidStream(t *testing.T) {
	ctx := context.Background()
	reg, err := schemas.Load("")
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.Open(ctx, sqlstore.Config{DSN: filepath.Join(t.TempDir(), "x.db"), Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tenant, err := st.CreateTenant(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	var users []*store.User
	for i := 0; i < 1200; i++ {
		u := &store.User{ID: NewID()}
		if err := u.SetAttrs(map[string]any{"userName": fmt.Sprintf("u%04d", i)}); err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	if err := st.Tx(ctx, tenant.ID, func(tx store.Tx) error { return tx.InsertUsers(ctx, users) }); err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{}, Deps{Store: &failingScan{Store: st, after: 700}, Registry: reg, HashPassword: func(s string) (string, error) { return s, nil }})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/scim/v2/Users/.export?attributes=userName", nil)
	rctx := reqctx.WithScopes(reqctx.WithTenant(req.Context(), reqctx.Tenant{ID: tenant.ID, Name: "t"}), AllScopes)
	rec := httptest.NewRecorder()
	func() {
		defer func() {
			if r := recover(); r != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", r)
			}
		}()
		_ = a.exportUsers(a.echo.NewContext(req.WithContext(rctx), rec))
	}()
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), "userName\nu0000\n") {
		t.Errorf("response %d %.40q", rec.Code, rec.Body.String())
	}
	j, err := st.GetJob(ctx, tenant.ID, rec.Header().Get("X-Scimd-Job"))
	if err != nil {
		t.Fatal(err)
	}
	if j.Type != store.JobUsersExport || j.Status != store.JobFailed || j.Total != 500 || !strings.Contains(j.Error, "internal error") {
		t.Errorf("job %+v, want a failed users-export of the 500 rows written (one batch) with an internal error", j)
	}
	if strings.Contains(j.Error, "database connection lost") {
		t.Errorf("job error %q shows internal details", j.Error)
	}
}
