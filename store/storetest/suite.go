package storetest

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store"
)

// testCase is one named conformance case.
type testCase struct {
	name string
	fn   func(e *env)
}

// cases lists every case, grouped by area.
func cases() []testCase {
	var all []testCase
	for _, group := range [][]testCase{
		tenantCases, tokenCases, userCases, usersByCases, groupCases,
		memberCases, listCases, batchCases, txCases, jobCases, jobClaimCases, clientCases,
		cursorCases,
	} {
		all = append(all, group...)
	}
	return all
}

// Run runs the conformance suite. open returns a fresh, empty store for
// one subtest (and closes it at the subtest's cleanup).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, open(t))
			c.fn(e)
			if !t.Failed() {
				e.checkIsolation()
			}
		})
	}
}

// env is one case's store and tenants.
type env struct {
	t    *testing.T
	ctx  context.Context
	s    store.Store
	a, b store.Tenant
}

func newEnv(t *testing.T, s store.Store) *env {
	t.Helper()
	e := &env{t: t, ctx: t.Context(), s: s}
	var err error
	if e.a, err = s.CreateTenant(e.ctx, "a"); err != nil {
		t.Fatalf("CreateTenant(a): %v", err)
	}
	if e.b, err = s.CreateTenant(e.ctx, "b"); err != nil {
		t.Fatalf("CreateTenant(b): %v", err)
	}
	return e
}

// errRollback makes a Tx roll back after read-only work.
var errRollback = errors.New("storetest: roll back")

// tx runs fn in a transaction of tenant and fails the test on error.
func (e *env) tx(tenant int64, fn func(tx store.Tx)) {
	e.t.Helper()
	err := e.s.Tx(e.ctx, tenant, func(tx store.Tx) error {
		fn(tx)
		return nil
	})
	if err != nil {
		e.t.Fatalf("Tx(%d): %v", tenant, err)
	}
}

// read runs fn in a transaction of tenant that is rolled back.
func (e *env) read(tenant int64, fn func(tx store.Tx)) {
	e.t.Helper()
	err := e.s.Tx(e.ctx, tenant, func(tx store.Tx) error {
		fn(tx)
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		e.t.Fatalf("Tx(%d): %v", tenant, err)
	}
}

// newID returns a UUIDv7 string, as the service layer assigns.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// newUser builds a user through SetAttrs, as the service layer does.
func (e *env) newUser(userName string, attrs map[string]any) *store.User {
	e.t.Helper()
	m := map[string]any{"userName": userName}
	maps.Copy(m, attrs)
	u := &store.User{ID: newID()}
	if err := u.SetAttrs(m); err != nil {
		e.t.Fatalf("SetAttrs: %v", err)
	}
	return u
}

// setAttrs replaces u's attributes (keeping ID and Version).
func (e *env) setAttrs(u *store.User, attrs map[string]any) {
	e.t.Helper()
	if err := u.SetAttrs(attrs); err != nil {
		e.t.Fatalf("SetAttrs: %v", err)
	}
}

// attrMap decodes a user's attributes.
func (e *env) attrMap(u *store.User) map[string]any {
	e.t.Helper()
	m, err := u.AttrMap()
	if err != nil {
		e.t.Fatalf("AttrMap: %v", err)
	}
	return m
}

// newGroup builds a group through SetAttrs.
func (e *env) newGroup(displayName string, attrs map[string]any) *store.Group {
	e.t.Helper()
	m := map[string]any{"displayName": displayName}
	maps.Copy(m, attrs)
	g := &store.Group{ID: newID()}
	if err := g.SetAttrs(m); err != nil {
		e.t.Fatalf("SetAttrs: %v", err)
	}
	return g
}

// emails builds an "emails" attribute value.
func emails(values ...string) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = map[string]any{"value": v, "type": "work"}
	}
	return out
}

// sap builds the SAP User extension object with a userUuid.
func sap(userUUID string) map[string]any {
	return map[string]any{"userUuid": userUUID}
}

const sapURN = schemas.SAPUserURN

// insertUsers inserts users in tenant and fails on any error.
func (e *env) insertUsers(tenant int64, users ...*store.User) {
	e.t.Helper()
	e.tx(tenant, func(tx store.Tx) {
		if err := tx.InsertUsers(e.ctx, users); err != nil {
			e.t.Fatalf("InsertUsers: %v", err)
		}
	})
}

// insertGroups inserts groups in tenant and fails on any error.
func (e *env) insertGroups(tenant int64, groups ...*store.Group) {
	e.t.Helper()
	e.tx(tenant, func(tx store.Tx) {
		if err := tx.InsertGroups(e.ctx, groups); err != nil {
			e.t.Fatalf("InsertGroups: %v", err)
		}
	})
}

// addMembers adds member rows in tenant.
func (e *env) addMembers(tenant int64, ms ...store.Member) int {
	e.t.Helper()
	var n int
	e.tx(tenant, func(tx store.Tx) {
		var err error
		if n, err = tx.AddMembers(e.ctx, ms); err != nil {
			e.t.Fatalf("AddMembers: %v", err)
		}
	})
	return n
}

// getUser reads a user of tenant a that must exist.
func (e *env) getUser(id string) store.User {
	e.t.Helper()
	u, err := e.s.GetUser(e.ctx, e.a.ID, id)
	if err != nil {
		e.t.Fatalf("GetUser(%s): %v", id, err)
	}
	return u
}

// getGroup reads a group of tenant a that must exist.
func (e *env) getGroup(id string) store.Group {
	e.t.Helper()
	g, err := e.s.GetGroup(e.ctx, e.a.ID, id)
	if err != nil {
		e.t.Fatalf("GetGroup(%s): %v", id, err)
	}
	return g
}

// wantErr fails unless errors.Is(err, target).
func (e *env) wantErr(what string, err, target error) {
	e.t.Helper()
	if !errors.Is(err, target) {
		e.t.Errorf("%s: error %v, want %v", what, err, target)
	}
}

// noErr fails on err.
func (e *env) noErr(what string, err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
}

// eq fails unless got and want are deeply equal.
func eq[T any](e *env, what string, got, want T) {
	e.t.Helper()
	if !reflect.DeepEqual(got, want) {
		e.t.Errorf("%s:\n got  %#v\n want %#v", what, got, want)
	}
}

// itemErrs returns the per-item errors of a batch call (nil error: none).
func (e *env) itemErrs(what string, err error) map[int]error {
	e.t.Helper()
	if err == nil {
		return map[int]error{}
	}
	errs := store.ItemErrors(err)
	if errs == nil {
		e.t.Fatalf("%s: error %v is not a *store.BatchError", what, err)
	}
	return errs
}

// wantItemErrs checks a batch error: exactly the listed indexes fail, each
// with an error matching its target.
func (e *env) wantItemErrs(what string, err error, want map[int]error) {
	e.t.Helper()
	got := e.itemErrs(what, err)
	if len(got) != len(want) {
		e.t.Errorf("%s: %d failed items %v, want %d", what, len(got), got, len(want))
	}
	for i, target := range want {
		if !errors.Is(got[i], target) {
			e.t.Errorf("%s: item %d error %v, want %v", what, i, got[i], target)
		}
	}
}

// wantUniqueness checks that err is a *store.UniquenessError on attr/value.
func (e *env) wantUniqueness(what string, err error, attr, value string) {
	e.t.Helper()
	var ue *store.UniquenessError
	if !errors.As(err, &ue) {
		e.t.Errorf("%s: error %v, want *store.UniquenessError", what, err)
		return
	}
	if ue.Attr != attr || ue.Value != value {
		e.t.Errorf("%s: uniqueness on %s=%q, want %s=%q", what, ue.Attr, ue.Value, attr, value)
	}
	if !errors.Is(err, store.ErrUniqueness) {
		e.t.Errorf("%s: errors.Is(%v, ErrUniqueness) is false", what, err)
	}
}

// sameTime fails unless got equals want (stores keep microseconds).
func (e *env) sameTime(what string, got, want time.Time) {
	e.t.Helper()
	if !got.Equal(want) {
		e.t.Errorf("%s: %v, want %v", what, got, want)
	}
}

// ids returns the ids of users.
func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func userID(u store.User) string   { return u.ID }
func groupID(g store.Group) string { return g.ID }
