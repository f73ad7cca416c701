package bulk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	scimerrors "github.com/elimity-com/scim/errors"
	elschema "github.com/elimity-com/scim/schema"
	"github.com/google/uuid"

	"github.com/scimd/scimd/internal/testdb"
	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/scim/bulk"
	"github.com/scimd/scimd/scim/resource"
	"github.com/scimd/scimd/store"
	"github.com/scimd/scimd/store/sqlstore"
)

func TestMain(m *testing.M) {
	// scim.New turns this process-wide elimity switch on (Entra ID sends
	// "True"/"False"); the engine's validation runs under it.
	elschema.SetAllowStringValues(true)
	os.Exit(m.Run())
}

// env is a store on a fresh database with one tenant and an engine.
type env struct {
	ctx    context.Context
	st     *sqlstore.Store
	reg    *schemas.Registry
	tenant int64
	eng    *bulk.Engine
	run    *bulk.Runner
}

func fakeHash(pw string) (string, error) { return "hashed:" + pw, nil }

func newEnv(tb testing.TB, kind testdb.Kind) *env {
	tb.Helper()
	ctx := context.Background()
	reg, err := schemas.Load("")
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlstore.Open(ctx, sqlstore.Config{DSN: testdb.DSN(tb, kind), Registry: reg, Logger: log})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	tn, err := st.CreateTenant(ctx, "t1")
	if err != nil {
		tb.Fatal(err)
	}
	svc := &resource.Service{
		Reg:   reg,
		Hash:  fakeHash,
		NewID: func() string { return uuid.Must(uuid.NewV7()).String() },
		Now:   func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	}
	eng := &bulk.Engine{Store: st, Svc: svc, Reg: reg, Log: log}
	return &env{ctx: ctx, st: st, reg: reg, tenant: tn.ID, eng: eng, run: bulk.NewRunner(eng)}
}

// forEachDB runs f on SQLite, and on PostgreSQL when configured.
func forEachDB(t *testing.T, f func(t *testing.T, e *env)) {
	for _, kind := range testdb.Kinds() {
		t.Run(string(kind), func(t *testing.T) { f(t, newEnv(t, kind)) })
	}
}

// op builds an operation; data is JSON text ("" for none).
func op(method, path, bulkID, data string) bulk.Op {
	o := bulk.Op{Method: method, Path: path, BulkID: bulkID}
	if data != "" {
		o.Data = json.RawMessage(data)
	}
	return o
}

func userJSON(userName string, more ...string) string {
	s := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":` + fmt.Sprintf("%q", userName)
	for _, m := range more {
		s += "," + m
	}
	return s + "}"
}

func groupJSON(displayName string, memberValues ...string) string {
	ms := make([]string, len(memberValues))
	for i, v := range memberValues {
		ms[i] = fmt.Sprintf(`{"value":%q}`, v)
	}
	return fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":%q,"members":[%s]}`,
		displayName, strings.Join(ms, ","))
}

const patchHead = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":`

func (e *env) do(opts bulk.RunOptions, ops ...bulk.Op) []bulk.OpResult {
	return e.run.Run(e.ctx, e.tenant, ops, opts)
}

// classify maps an operation error to status and scimType the way
// scim.toScimError does for the kinds the engine returns (the end-to-end
// tests check the real mapping).
func classify(err error) (int, string) {
	var (
		se scimerrors.ScimError
		re *resource.Error
	)
	switch {
	case errors.As(err, &se):
		return se.Status, string(se.ScimType)
	case errors.Is(err, store.ErrUniqueness):
		return 409, "uniqueness"
	case errors.Is(err, store.ErrNotFound):
		return 404, ""
	case errors.Is(err, store.ErrVersionMismatch):
		return 412, ""
	case errors.As(err, &re):
		return 400, re.ScimType
	}
	return 500, err.Error()
}

// outcome is a compact form of a result: "201", "409 uniqueness",
// "not run".
func outcome(r bulk.OpResult) string {
	switch {
	case r.NotRun:
		return "not run"
	case r.Err != nil:
		st, typ := classify(r.Err)
		if typ == "" {
			return fmt.Sprint(st)
		}
		return fmt.Sprintf("%d %s", st, typ)
	}
	return fmt.Sprint(r.Status)
}

// wantOutcomes checks every result's outcome.
func wantOutcomes(t *testing.T, rs []bulk.OpResult, want ...string) {
	t.Helper()
	if len(rs) != len(want) {
		t.Fatalf("%d results, want %d", len(rs), len(want))
	}
	for i, r := range rs {
		if got := outcome(r); got != want[i] {
			t.Errorf("operation %d (%s): %s, want %s (err: %v)", i+1, r.Method, got, want[i], r.Err)
		}
	}
}

func (e *env) user(t *testing.T, id string) store.User {
	t.Helper()
	u, err := e.st.GetUser(e.ctx, e.tenant, id)
	if err != nil {
		t.Fatalf("get user %s: %v", id, err)
	}
	return u
}

func (e *env) members(t *testing.T, groupID string) map[string]string {
	t.Helper()
	mm, err := e.st.Members(e.ctx, e.tenant, []string{groupID})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range mm[groupID] {
		out[m.Value] = m.Type
	}
	return out
}

func (e *env) countUsers(t *testing.T) int {
	t.Helper()
	_, n, err := e.st.ListUsers(e.ctx, e.tenant, store.Query{Count: 0})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) countGroups(t *testing.T) int {
	t.Helper()
	_, n, err := e.st.ListGroups(e.ctx, e.tenant, store.Query{Count: 0})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
