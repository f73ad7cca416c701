package bulk

import (
	"slices"
	"testing"

	"github.com/scimd/scimd/store"
)

func dryUserOf(t *testing.T, id string, version int64, attrs map[string]any) *store.User {
	t.Helper()
	u := &store.User{ID: id, Version: version}
	if err := u.SetAttrs(attrs); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestDryStateOverlay: the overlay finds users by the identifiers they
// have now (not by stale ones of a renamed user), returns their latest
// version and the groups the run added them to, and indexes an
// identifier kind first asked for after users were remembered.
func TestDryStateOverlay(t *testing.T) {
	d := newDryState(true)
	defer d.close()
	ann := dryUserOf(t, "id-ann", 1, map[string]any{"userName": "ann@example.com", "externalId": "ext-1",
		"emails": []any{map[string]any{"value": "Ann@Mail.example"}}})
	bob := dryUserOf(t, "id-bob", 1, map[string]any{"userName": "bob@example.com", "externalId": "ext-1"})
	if err := d.remember(ann, []string{"g1"}); err != nil {
		t.Fatal(err)
	}
	if err := d.remember(bob, nil); err != nil {
		t.Fatal(err)
	}
	// ann renamed, then added to a second group
	ann2 := dryUserOf(t, "id-ann", 2, map[string]any{"userName": "anna@example.com", "externalId": "ext-1",
		"emails": []any{map[string]any{"value": "Ann@Mail.example"}}})
	if err := d.remember(ann2, []string{"g1", "g2"}); err != nil {
		t.Fatal(err)
	}

	ids := func(dus []dryUser) []string {
		var out []string
		for _, du := range dus {
			out = append(out, du.user.ID)
		}
		slices.Sort(out)
		return out
	}
	lookup := func(by store.UserKey, v string) []dryUser {
		t.Helper()
		if err := d.need(by); err != nil {
			t.Fatal(err)
		}
		dus, err := d.lookup(by, v)
		if err != nil {
			t.Fatal(err)
		}
		return dus
	}
	if got := ids(lookup(store.ByUserName, "ann@example.com")); got != nil {
		t.Errorf("old userName of a renamed user finds %v, want nobody", got)
	}
	got := lookup(store.ByUserName, "ANNA@example.com")
	if len(got) != 1 || got[0].user.Version != 2 || !slices.Equal(got[0].groups, []string{"g1", "g2"}) {
		t.Fatalf("lookup by new userName = %+v, want id-ann version 2 in g1, g2", got)
	}
	// e-mails and externalId were not indexed until asked for now
	if got := ids(lookup(store.ByEmail, "ann@mail.EXAMPLE")); !slices.Equal(got, []string{"id-ann"}) {
		t.Errorf("lookup by e-mail = %v, want [id-ann]", got)
	}
	if got := ids(lookup(store.ByExternalID, "ext-1")); !slices.Equal(got, []string{"id-ann", "id-bob"}) {
		t.Errorf("lookup by shared externalId = %v, want both users", got)
	}
	if got := ids(lookup(store.ByExternalID, "EXT-1")); got != nil {
		t.Errorf("externalId is case-exact, but EXT-1 finds %v", got)
	}
	// a kind indexed before a user is remembered picks the user up at once
	carl := dryUserOf(t, "id-carl", 1, map[string]any{"userName": "carl@example.com", "externalId": "ext-3"})
	if err := d.remember(carl, nil); err != nil {
		t.Fatal(err)
	}
	if got := ids(lookup(store.ByExternalID, "ext-3")); !slices.Equal(got, []string{"id-carl"}) {
		t.Errorf("lookup by externalId after remember = %v, want [id-carl]", got)
	}
	du, ok, err := d.get("id-bob")
	if err != nil || !ok || du.user.UserName != "bob@example.com" || du.groups != nil {
		t.Errorf("get(id-bob) = %+v, %v, %v", du, ok, err)
	}
	if _, ok, err := d.get("id-nobody"); ok || err != nil {
		t.Errorf("get(unknown) = %v, %v; want not found", ok, err)
	}
}

// TestDryStateOff: a real run's overlay is inert.
func TestDryStateOff(t *testing.T) {
	d := newDryState(false)
	defer d.close()
	if _, ok, err := d.get("x"); ok || err != nil {
		t.Errorf("get on a real run = %v, %v", ok, err)
	}
	if dus, err := d.lookup(store.ByUserName, "x"); dus != nil || err != nil {
		t.Errorf("lookup on a real run = %v, %v", dus, err)
	}
	if err := d.need(store.ByEmail); err != nil {
		t.Error(err)
	}
}
