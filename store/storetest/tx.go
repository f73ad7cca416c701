package storetest

import (
	"errors"
	"sync"

	"github.com/scimd/scimd/store"
)

var txCases = []testCase{
	{"tx/rollback_on_error", testTxRollback},
	{"tx/rollback_after_batch_error", testTxRollbackBatchError},
	{"tx/concurrent_read_modify_write", testTxConcurrentRMW},
	{"tx/ping", testPing},
}

func testTxRollback(e *env) {
	keep := e.newUser("keep", nil)
	group := e.newGroup("Keep", nil)
	e.insertUsers(e.a.ID, keep)
	e.insertGroups(e.a.ID, group)
	before := e.snapshot(e.a.ID)
	boom := errors.New("boom")
	err := e.s.Tx(e.ctx, e.a.ID, func(tx store.Tx) error {
		u := e.newUser("ghost", map[string]any{"emails": emails("ghost@example.com")})
		g := e.newGroup("Ghosts", nil)
		if err := tx.InsertUsers(e.ctx, []*store.User{u}); err != nil {
			return err
		}
		if err := tx.InsertGroups(e.ctx, []*store.Group{g}); err != nil {
			return err
		}
		if _, err := tx.AddMembers(e.ctx, []store.Member{
			{GroupID: g.ID, Value: u.ID, Type: store.MemberUser},
			{GroupID: group.ID, Value: keep.ID, Type: store.MemberUser},
		}); err != nil {
			return err
		}
		got, err := tx.UsersBy(e.ctx, store.ByID, []string{keep.ID})
		if err != nil {
			return err
		}
		r := got[keep.ID][0]
		e.setAttrs(r, map[string]any{"userName": "changed"})
		if err := tx.UpdateUsers(e.ctx, []*store.User{r}); err != nil {
			return err
		}
		if err := tx.TouchGroups(e.ctx, []string{group.ID}); err != nil {
			return err
		}
		if err := tx.DeleteGroups(e.ctx, []string{group.ID}); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t := e.t
		t.Fatalf("Tx returned %v, want fn's error as is", err)
	}
	eq(e, "nothing written", e.snapshot(e.a.ID), before)
	_, err = e.s.GetUser(e.ctx, e.a.ID, keep.ID)
	e.noErr("GetUser", err)
}

func testTxRollbackBatchError(e *env) {
	e.insertUsers(e.a.ID, e.newUser("taken", nil))
	before := e.snapshot(e.a.ID)
	err := e.s.Tx(e.ctx, e.a.ID, func(tx store.Tx) error {
		return tx.InsertUsers(e.ctx, []*store.User{e.newUser("fresh", nil), e.newUser("TAKEN", nil)})
	})
	e.itemErrs("Tx(InsertUsers)", err)
	eq(e, "a batch error returned from fn rolls the good items back too", e.snapshot(e.a.ID), before)
}

// testTxConcurrentRMW runs concurrent read-modify-write transactions on
// one user: look-ups lock, so none sees a stale version.
func testTxConcurrentRMW(e *env) {
	u := e.newUser("counter", nil)
	e.insertUsers(e.a.ID, u)
	const workers, rounds = 4, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				errs <- e.s.Tx(e.ctx, e.a.ID, func(tx store.Tx) error {
					got, err := tx.UsersBy(e.ctx, store.ByID, []string{u.ID})
					if err != nil {
						return err
					}
					r := got[u.ID][0]
					attrs, err := r.AttrMap()
					if err != nil {
						return err
					}
					attrs["nickName"] = r.Version
					if err := r.SetAttrs(attrs); err != nil {
						return err
					}
					return tx.UpdateUsers(e.ctx, []*store.User{r})
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		e.noErr("concurrent Tx", err)
	}
	eq(e, "final version", e.getUser(u.ID).Version, int64(1+workers*rounds))
}

func testPing(e *env) {
	e.noErr("Ping", e.s.Ping(e.ctx))
}
