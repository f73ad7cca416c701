package test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
)

// Cursor pagination (RFC 9865, SPEC §3): walks equal index walks on a
// static set, stay exact while users are created and deleted during the
// walk (where index paging repeats and skips), and bad cursors are 400.

// listPage is the part of a ListResponse the cursor tests read.
type listPage struct {
	TotalResults *int    `json:"totalResults"`
	ItemsPerPage *int    `json:"itemsPerPage"`
	StartIndex   *int    `json:"startIndex"`
	NextCursor   *string `json:"nextCursor"`
	Resources    []struct {
		ID          string `json:"id"`
		UserName    string `json:"userName"`
		DisplayName string `json:"displayName"`
	} `json:"Resources"`
}

func decodePage(r *response) (listPage, error) {
	var p listPage
	if r.Status != http.StatusOK {
		return p, fmt.Errorf("status %d: %s", r.Status, r.Body)
	}
	if err := json.Unmarshal(r.Body, &p); err != nil {
		return p, fmt.Errorf("list response: %v: %s", err, r.Body)
	}
	if p.TotalResults == nil || p.ItemsPerPage == nil || *p.ItemsPerPage != len(p.Resources) {
		return p, fmt.Errorf("totalResults/itemsPerPage missing or wrong: %s", r.Body)
	}
	return p, nil
}

// walkCursor follows nextCursor from an empty cursor: GET path (which
// has a query string) or, with search set, POST search to path with the
// cursor in the body. It returns the ids in order and the pages.
func (s *server) walkCursor(t testing.TB, path string, search map[string]any) ([]string, []listPage) {
	t.Helper()
	var ids []string
	var pages []listPage
	cursor := ""
	for {
		if len(pages) > 100_000 {
			t.Fatalf("%s: cursor walk does not end", path)
		}
		var r *response
		if search != nil {
			body := map[string]any{"schemas": []string{searchSchema}, "cursor": cursor}
			for k, v := range search {
				body[k] = v
			}
			r = s.do(t, "POST", path, body)
		} else {
			r = s.do(t, "GET", path+"&cursor="+cursor, nil)
		}
		p, err := decodePage(r)
		if err != nil {
			t.Fatalf("%s (page %d): %v", path, len(pages)+1, err)
		}
		if p.StartIndex != nil {
			t.Errorf("%s: a cursor page has startIndex %d", path, *p.StartIndex)
		}
		pages = append(pages, p)
		for _, res := range p.Resources {
			ids = append(ids, res.ID)
		}
		if p.NextCursor == nil {
			return ids, pages
		}
		if *p.NextCursor == "" {
			t.Fatalf("%s: empty nextCursor", path)
		}
		cursor = *p.NextCursor
	}
}

// walkIndex pages path with startIndex until past totalResults.
func (s *server) walkIndex(t testing.TB, path string, count int) []string {
	t.Helper()
	var ids []string
	for start := 1; ; start += count {
		p, err := decodePage(s.do(t, "GET", path+"&count="+strconv.Itoa(count)+"&startIndex="+strconv.Itoa(start), nil))
		if err != nil {
			t.Fatal(err)
		}
		for _, res := range p.Resources {
			ids = append(ids, res.ID)
		}
		if len(p.Resources) == 0 || start+count > *p.TotalResults {
			return ids
		}
	}
}

func TestCursorPaging(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		s.seedUsers(t, "Cur", 23, func(i int) map[string]any {
			m := map[string]any{"title": []string{"Engineer", "Manager", "engineer"}[i%3]}
			if i%4 != 0 {
				m["displayName"] = fmt.Sprintf("D%d", (i*7)%5) // ties and absent values
			}
			return m
		})
		all := resourceIDs(s.list(t, "/scim/v2/Users?count=1000"))
		if len(all) != 23 {
			t.Fatalf("%d users", len(all))
		}

		t.Run("default order equals index paging", func(t *testing.T) {
			ids, pages := s.walkCursor(t, "/scim/v2/Users?count=5", nil)
			if !slices.Equal(ids, all) || !slices.Equal(s.walkIndex(t, "/scim/v2/Users?", 5), all) {
				t.Errorf("cursor walk %v\nindex walk %v\nwant %v", ids, s.walkIndex(t, "/scim/v2/Users?", 5), all)
			}
			if len(pages) != 5 || len(pages[4].Resources) != 3 || *pages[0].TotalResults != 23 {
				t.Errorf("%d pages, last of %d, total %d; want 5 pages, the last of 3, total 23",
					len(pages), len(pages[len(pages)-1].Resources), *pages[0].TotalResults)
			}
		})
		t.Run("no nextCursor on the last page", func(t *testing.T) {
			for _, count := range []int{1, 23, 1000} {
				ids, pages := s.walkCursor(t, "/scim/v2/Users?count="+strconv.Itoa(count), nil)
				if !slices.Equal(ids, all) || len(pages) != (23+count-1)/count {
					t.Errorf("count %d: %d pages, ids %v", count, len(pages), ids)
				}
			}
			// A page that ends exactly at the end is the last page.
			r := s.must(t, http.StatusOK, "GET", "/scim/v2/Users?count=23&cursor", nil)
			if m := r.JSON(t); m["nextCursor"] != nil || m["startIndex"] != nil || m["totalResults"] != float64(23) {
				t.Errorf("single full page: nextCursor %v, startIndex %v, totalResults %v", m["nextCursor"], m["startIndex"], m["totalResults"])
			}
		})
		t.Run("count 0", func(t *testing.T) {
			p, err := decodePage(s.do(t, "GET", "/scim/v2/Users?count=0&cursor=", nil))
			if err != nil || len(p.Resources) != 0 || *p.TotalResults != 23 || p.NextCursor == nil {
				t.Fatalf("count=0: %+v %v", p, err)
			}
			// Its nextCursor starts where it stood: at the beginning.
			p, err = decodePage(s.do(t, "GET", "/scim/v2/Users?count=0&cursor="+*p.NextCursor, nil))
			if err != nil || p.NextCursor == nil {
				t.Fatalf("count=0 again: %+v %v", p, err)
			}
			p, _ = decodePage(s.do(t, "GET", "/scim/v2/Users?count=2&cursor="+*p.NextCursor, nil))
			if len(p.Resources) != 2 || p.Resources[0].ID != all[0] {
				t.Errorf("after count=0 pages: %+v", p.Resources)
			}
		})
		t.Run("sorted, descending, filtered, searched", func(t *testing.T) {
			for _, c := range []struct{ query, search string }{
				{"sortBy=userName&sortOrder=descending", ""},
				{"sortBy=displayName", ""}, // nullable: absent values last
				{"sortBy=displayName&sortOrder=descending", ""},
				{"sortBy=title&filter=" + strings.ReplaceAll(`title eq "engineer" or displayName pr`, " ", "%20"), ""},
				{"", `{"sortBy":"userName","sortOrder":"descending","filter":"title eq \"Manager\""}`},
			} {
				var want, got []string
				if c.search == "" {
					want = resourceIDs(s.list(t, "/scim/v2/Users?count=1000&"+c.query))
					got, _ = s.walkCursor(t, "/scim/v2/Users?count=4&"+c.query, nil)
				} else {
					var body map[string]any
					_ = json.Unmarshal([]byte(c.search), &body)
					full := map[string]any{"schemas": []string{searchSchema}, "count": 1000}
					for k, v := range body {
						full[k] = v
					}
					want = resourceIDs(s.must(t, http.StatusOK, "POST", "/scim/v2/Users/.search", full).JSON(t))
					body["count"] = 3
					got, _ = s.walkCursor(t, "/scim/v2/Users/.search", body)
				}
				if len(want) == 0 || len(want) == 23 && strings.Contains(c.query+c.search, "filter") || !slices.Equal(got, want) {
					t.Errorf("%s%s:\ncursor walk %v\nwant        %v", c.query, c.search, got, want)
				}
			}
		})
		t.Run("groups", func(t *testing.T) {
			for i := range 7 {
				s.createGroup(t, fmt.Sprintf("G%d", (i*3)%7), all[i])
			}
			want := resourceIDs(s.list(t, "/scim/v2/Groups?count=1000&sortBy=displayName"))
			got, pages := s.walkCursor(t, "/scim/v2/Groups?count=3&sortBy=displayName&excludedAttributes=members", nil)
			if len(want) != 7 || !slices.Equal(got, want) || len(pages) != 3 {
				t.Errorf("groups cursor walk %v (%d pages), want %v", got, len(pages), want)
			}
			got, _ = s.walkCursor(t, "/scim/v2/Groups/.search", map[string]any{"count": 2, "sortBy": "displayName"})
			if !slices.Equal(got, want) {
				t.Errorf("groups search cursor walk %v, want %v", got, want)
			}
		})
	})
}

func TestCursorErrors(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		s.seedUsers(t, "Err", 5, nil)
		first, err := decodePage(s.do(t, "GET", "/scim/v2/Users?count=2&sortBy=userName&filter=userName%20sw%20%22err%22&cursor", nil))
		if err != nil || first.NextCursor == nil {
			t.Fatalf("first page: %+v %v", first, err)
		}
		next := *first.NextCursor
		ok := "/scim/v2/Users?count=2&sortBy=userName&filter=userName%20sw%20%22err%22&cursor="
		if r := s.do(t, "GET", ok+next, nil); r.Status != http.StatusOK {
			t.Fatalf("the cursor itself: %d %s", r.Status, r.Body)
		}
		tampered := []byte(next)
		tampered[len(tampered)/2] ^= 1 // still base64url
		otherTenant := s.withToken(s.newTenant(t, "other"))
		for _, c := range []struct {
			name, path, scimType string
			srv                  *server
		}{
			{"garbage", ok + "not-a-cursor", "invalidCursor", s},
			{"tampered", ok + string(tampered), "invalidCursor", s},
			{"reserved characters", ok + "%2F%2B%3D", "invalidCursor", s},
			{"another filter", "/scim/v2/Users?count=2&sortBy=userName&filter=userName%20sw%20%22e%22&cursor=" + next, "invalidCursor", s},
			{"without the filter", "/scim/v2/Users?count=2&sortBy=userName&cursor=" + next, "invalidCursor", s},
			{"another sortOrder", "/scim/v2/Users?count=2&sortBy=userName&sortOrder=descending&filter=userName%20sw%20%22err%22&cursor=" + next, "invalidCursor", s},
			{"another resource type", "/scim/v2/Groups?count=2&sortBy=userName&filter=userName%20sw%20%22err%22&cursor=" + next, "invalidCursor", s},
			{"another tenant", ok + next, "invalidCursor", otherTenant},
			{"with startIndex", ok + next + "&startIndex=3", "invalidValue", s},
			{"empty cursor with startIndex", "/scim/v2/Users?startIndex=1&cursor=", "invalidValue", s},
		} {
			r := c.srv.do(t, "GET", c.path, nil)
			if p := scimErrorProblems(r, http.StatusBadRequest, c.scimType); len(p) > 0 {
				t.Errorf("%s: %s\n%s", c.name, strings.Join(p, "; "), r.Body)
			}
		}
		for name, body := range map[string]map[string]any{
			"search: cursor with startIndex": {"schemas": []string{searchSchema}, "cursor": "", "startIndex": 1},
			"search: tampered cursor":        {"schemas": []string{searchSchema}, "cursor": string(tampered), "sortBy": "userName", "filter": `userName sw "err"`},
			"search: cursor not a string":    {"schemas": []string{searchSchema}, "cursor": 7},
		} {
			r := s.do(t, "POST", "/scim/v2/Users/.search", body)
			want := "invalidCursor"
			if strings.Contains(name, "startIndex") {
				want = "invalidValue"
			} else if strings.Contains(name, "not a string") {
				want = "invalidSyntax"
			}
			if p := scimErrorProblems(r, http.StatusBadRequest, want); len(p) > 0 {
				t.Errorf("%s: %s\n%s", name, strings.Join(p, "; "), r.Body)
			}
		}
		// Replicas share the signing key through the database: a second
		// server on the same database continues the walk.
		replica := startServer(t, serverOpts{kind: kind, dsn: s.DSN})
		p, err := decodePage(replica.do(t, "GET", ok+next, nil))
		if err != nil || len(p.Resources) != 2 || p.Resources[0].ID == first.Resources[0].ID {
			t.Errorf("replica rejects or misreads the cursor: %+v %v", p, err)
		}
	})
}

func TestCursorServiceProviderConfig(t *testing.T) {
	s := startServer(t, serverOpts{})
	spc := s.list(t, "/scim/v2/ServiceProviderConfig")
	expectJSON(t, spc["pagination"], `{"cursor": true, "index": true, "defaultPaginationMethod": "index",
		"defaultPageSize": 100, "maxPageSize": 1000, "cursorTimeout": 3600}`)
	// Without cursor nor startIndex, a list is index-paged (the default
	// method): startIndex, no nextCursor.
	s.seedUsers(t, "Spc", 3, nil)
	p, err := decodePage(s.do(t, "GET", "/scim/v2/Users?count=1", nil))
	if err != nil || p.StartIndex == nil || *p.StartIndex != 1 || p.NextCursor != nil {
		t.Errorf("default paging: %+v %v", p, err)
	}
	// count is clamped under cursor paging too.
	p, err = decodePage(s.do(t, "GET", "/scim/v2/Users?count=100000&cursor", nil))
	if err != nil || len(p.Resources) != 3 || p.NextCursor != nil {
		t.Errorf("count above maxPageSize: %+v %v", p, err)
	}
}

// cursorWalkUsers is the tenant size of TestCursorWalkUnderWrites.
func cursorWalkUsers(t *testing.T) int {
	n := 100_000
	if v := os.Getenv("SCIMD_CURSOR_USERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			t.Fatalf("SCIMD_CURSOR_USERS=%q: want a positive integer", v)
		}
	}
	return n
}

// TestCursorWalkUnderWrites walks 100,000 users sorted by userName, once
// with cursors and once with startIndex, while other clients create users
// with random names (they land all over the order) and delete some of
// them again. The cursor walk returns every user that existed before it
// began exactly once, in order, and nothing twice; the index walk, as a
// demonstration, repeats users (creations before its offset push rows
// into the next page) and skips users (deletions before it pull them
// into the page already read).
func TestCursorWalkUnderWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: seeds 100,000 users")
	}
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		n := cursorWalkUsers(t)
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
		randomName := func(tag string) string { return fmt.Sprintf("u%012x%s", rng.Uint64()>>16, tag) }
		seeded := make(map[string]bool, n)
		names := make([]string, 0, n)
		for len(names) < n {
			if name := randomName(""); !seeded[name] {
				seeded[name] = true
				names = append(names, name)
			}
		}
		dsn := testdb.DSN(t, kind)
		began := time.Now()
		seedUsersDirect(t, dsn, n, func(i int) map[string]any { return map[string]any{"userName": names[i]} })
		t.Logf("%s: seeded %d users in %v", kind, n, time.Since(began).Round(time.Millisecond))
		s := startServer(t, serverOpts{kind: kind, dsn: dsn})

		// Writers: create users with random names, delete every third. They
		// are paced by the walks: one creation per 10 rows walked (so the
		// index walk, chasing a growing total, still ends).
		var (
			stop           atomic.Bool
			walkedRows     atomic.Int64
			created, gone  atomic.Int64
			writeErr       atomic.Value
			wg             sync.WaitGroup
			namesMu        sync.Mutex
			writerRNGs     = []*rand.Rand{rand.New(rand.NewPCG(1, uint64(began.UnixNano()))), rand.New(rand.NewPCG(2, uint64(began.UnixNano())))}
			newUserNameSet = map[string]bool{}
		)
		for w := range writerRNGs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := writerRNGs[w]
				var mine []string
				for i := 0; !stop.Load(); {
					if created.Load() >= 20+walkedRows.Load()/10 {
						time.Sleep(time.Millisecond)
						continue
					}
					i++
					name := fmt.Sprintf("u%012x-new%d", r.Uint64()>>16, w)
					resp := s.try("POST", "/scim/v2/Users", userBody(name, nil))
					if resp.Status != http.StatusCreated {
						if resp.Status != http.StatusConflict {
							writeErr.Store(fmt.Sprintf("create: %d %s", resp.Status, resp.Body))
							return
						}
						continue
					}
					var u struct{ ID string }
					_ = json.Unmarshal(resp.Body, &u)
					mine = append(mine, u.ID)
					namesMu.Lock()
					newUserNameSet[name] = true
					namesMu.Unlock()
					created.Add(1)
					if i%3 == 0 {
						k := r.IntN(len(mine))
						if resp := s.try("DELETE", "/scim/v2/Users/"+mine[k], nil); resp.Status != http.StatusNoContent {
							writeErr.Store(fmt.Sprintf("delete: %d %s", resp.Status, resp.Body))
							return
						}
						mine = slices.Delete(mine, k, k+1)
						gone.Add(1)
					}
				}
			}()
		}
		// Let the writers get going, then walk both ways at once.
		for created.Load() < 20 && writeErr.Load() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		type walked struct {
			ids, names []string
			pages      int
			took       time.Duration
			createdBy  int64
			err        error
		}
		const pageSize = 1000 // the maximum: the fewest OFFSET scans for the index walk
		path := "/scim/v2/Users?sortBy=userName&attributes=userName&count=" + strconv.Itoa(pageSize)
		var cursorWalk, indexWalk walked
		var walks sync.WaitGroup
		walks.Add(2)
		go func() {
			defer walks.Done()
			w := &cursorWalk
			start, c0 := time.Now(), created.Load()
			cursor := ""
			for {
				p, err := decodePage(s.try("GET", path+"&cursor="+cursor, nil))
				if err != nil {
					w.err = err
					return
				}
				if p.StartIndex != nil {
					w.err = fmt.Errorf("cursor page with startIndex")
					return
				}
				w.pages++
				walkedRows.Add(int64(len(p.Resources)))
				for _, r := range p.Resources {
					w.ids, w.names = append(w.ids, r.ID), append(w.names, r.UserName)
				}
				if p.NextCursor == nil {
					break
				}
				cursor = *p.NextCursor
			}
			w.took, w.createdBy = time.Since(start), created.Load()-c0
		}()
		go func() {
			defer walks.Done()
			w := &indexWalk
			start, c0 := time.Now(), created.Load()
			for at := 1; ; at += pageSize {
				p, err := decodePage(s.try("GET", path+"&startIndex="+strconv.Itoa(at), nil))
				if err != nil {
					w.err = err
					return
				}
				w.pages++
				walkedRows.Add(int64(len(p.Resources)))
				for _, r := range p.Resources {
					w.ids, w.names = append(w.ids, r.ID), append(w.names, r.UserName)
				}
				if len(p.Resources) == 0 || at+pageSize > *p.TotalResults {
					break
				}
			}
			w.took, w.createdBy = time.Since(start), created.Load()-c0
		}()
		walks.Wait()
		stop.Store(true)
		wg.Wait()
		if e := writeErr.Load(); e != nil {
			t.Fatalf("writer: %v\n%s", e, s.logTail(20))
		}
		for name, w := range map[string]*walked{"cursor": &cursorWalk, "index": &indexWalk} {
			if w.err != nil {
				t.Fatalf("%s walk: %v\n%s", name, w.err, s.logTail(20))
			}
		}
		if cursorWalk.createdBy < 100 {
			t.Fatalf("only %d users were created during the cursor walk: the test shows nothing", cursorWalk.createdBy)
		}

		// Cursor walk: every seeded user exactly once, in order, nothing
		// twice; users created meanwhile may or may not be seen.
		check := func(w *walked) (dups, missing, seenNew int) {
			count := map[string]int{}
			for _, id := range w.ids {
				count[id]++
			}
			for _, c := range count {
				if c > 1 {
					dups += c - 1
				}
			}
			seen := map[string]int{}
			for _, name := range w.names {
				seen[name]++
			}
			for name := range seeded {
				if seen[name] == 0 {
					missing++
				}
			}
			namesMu.Lock()
			for name := range seen {
				if newUserNameSet[name] {
					seenNew++
				}
			}
			namesMu.Unlock()
			return dups, missing, seenNew
		}
		dups, missing, seenNew := check(&cursorWalk)
		if dups != 0 || missing != 0 || len(cursorWalk.ids) != n+seenNew {
			t.Errorf("cursor walk: %d repeated, %d seeded users missing, %d returned for %d seeded + %d new",
				dups, missing, len(cursorWalk.ids), n, seenNew)
		}
		if !slices.IsSorted(cursorWalk.names) {
			t.Error("cursor walk is not in userName order")
		}
		t.Logf("%s cursor walk: %d pages in %v (%.0f µs/page) while %d users were created and %d deleted; "+
			"%d seeded users each seen once, %d new users seen, 0 repeated",
			kind, cursorWalk.pages, cursorWalk.took.Round(time.Millisecond),
			float64(cursorWalk.took.Microseconds())/float64(cursorWalk.pages), created.Load(), gone.Load(), n, seenNew)

		// Index walk: a demonstration, asserted loosely.
		dups, missing, seenNew = check(&indexWalk)
		t.Logf("%s index walk: %d pages in %v (%.0f µs/page) while %d users were created: %d users repeated, %d seeded users skipped, %d new users seen",
			kind, indexWalk.pages, indexWalk.took.Round(time.Millisecond),
			float64(indexWalk.took.Microseconds())/float64(indexWalk.pages), indexWalk.createdBy, dups, missing, seenNew)
		if indexWalk.createdBy >= 500 && dups == 0 {
			t.Errorf("index walk repeated no user although %d users were created during it", indexWalk.createdBy)
		}
	})
}
