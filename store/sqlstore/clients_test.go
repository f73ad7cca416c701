package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
	"github.com/scimd/scimd/store"
)

// TestClientTokenVersusDelete: access tokens issued while their client is
// being deleted never outlive it (the client-row lock on PostgreSQL, the
// single writer on SQLite).
func TestClientTokenVersusDelete(t *testing.T) {
	for _, kind := range testdb.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			s := openStore(t, kind)
			ctx := context.Background()
			ten, err := s.CreateTenant(ctx, "race")
			if err != nil {
				t.Fatal(err)
			}
			for round := range 5 {
				c := store.Client{ID: fmt.Sprintf("client-%d", round), TenantID: ten.ID, SecretHash: "h", Scopes: []string{"users:read"}}
				if err := s.CreateClient(ctx, c); err != nil {
					t.Fatal(err)
				}
				var wg sync.WaitGroup
				errc := make(chan error, 64)
				for w := range 4 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := 0; ; i++ {
							exp := time.Now().Add(time.Hour)
							err := s.CreateClientToken(ctx, store.Token{ID: fmt.Sprintf("%d-%d-%d", round, w, i), TenantID: ten.ID,
								Hash: fmt.Sprintf("h-%d-%d-%d", round, w, i), ClientID: c.ID, ExpiresAt: &exp})
							if errors.Is(err, store.ErrNotFound) {
								return // the client is gone
							}
							if err != nil {
								errc <- err
								return
							}
						}
					}()
				}
				time.Sleep(20 * time.Millisecond)
				if err := s.DeleteClient(ctx, ten.ID, c.ID); err != nil {
					t.Fatal(err)
				}
				wg.Wait()
				close(errc)
				for err := range errc {
					t.Errorf("CreateClientToken: %v", err)
				}
				tokens, err := s.ListTokens(ctx, ten.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, tk := range tokens {
					t.Errorf("round %d: token %s of the deleted client %s survived", round, tk.ID, tk.ClientID)
				}
			}
		})
	}
}
