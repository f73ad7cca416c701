package bulk

import (
	"strings"

	"github.com/scimd/scimd/store"
)

// restoreKind names a resource type in a restore's messages: "User" with
// its unique name attribute "userName", or "Group" with "displayName".
type restoreKind struct {
	resource, nameAttr string
}

var (
	userRestore  = restoreKind{"User", "userName"}
	groupRestore = restoreKind{"Group", "displayName"}
)

// restoreIndex is a chunk's view of the tenant for one resource type:
// resources by id and by lower-cased name, the target ids the chunk has
// already created or overwritten, and the snapshot id → target id
// mappings it commits.
type restoreIndex[T comparable] struct {
	byID   map[string]T
	byName map[string]T
	taken  map[string]bool
	maps   map[string]string
}

func newRestoreIndex[T comparable]() restoreIndex[T] {
	return restoreIndex[T]{byID: map[string]T{}, byName: map[string]T{}, taken: map[string]bool{}, maps: map[string]string{}}
}

// decide matches a record (its snapshot id and name) by id, then by
// name, and applies the rules shared by users and groups: a record
// without id, one whose id or match an earlier record of the snapshot has
// taken, mode=fail and mode=ignore on a match, and an id and a name that
// match two different resources. It returns the existing resource the
// record restores into, or create (none matches), or the record's settled
// result (skipped, or failed through fail).
func (ix *restoreIndex[T]) decide(k restoreKind, opts RestoreOptions, row int64, id, name string,
	idOf, nameOf func(T) string, fail func(error) Result) (target T, create bool, settled *Result) {
	var zero T
	failed := func(err error) (T, bool, *Result) { r := fail(err); return zero, false, &r }
	lower := strings.ToLower(k.resource)
	if id == "" {
		return failed(rowErrorf("the record has no id"))
	}
	if ix.taken[id] {
		return failed(rowErrorf("id %s: an earlier record of this snapshot has the same id or was matched with the same %s", id, lower))
	}
	mi := ix.byID[id]
	mn := ix.byName[strings.ToLower(name)]
	if mn == mi {
		mn = zero
	}
	if mi == zero && mn == zero {
		return zero, true, nil
	}
	target, by := mi, "id"
	if target == zero {
		target, by = mn, k.nameAttr
	}
	tid := idOf(target)
	if ix.taken[tid] {
		return failed(rowErrorf("matches %s %s by %s, which an earlier record of this snapshot was already restored into", lower, tid, by))
	}
	switch opts.OnMatch {
	case MatchFail:
		return failed(conflictError(Conflict{Row: row, Resource: k.resource, ID: id, Name: name, By: by, ExistingID: tid}))
	case MatchIgnore:
		if tid != id {
			ix.maps[id] = tid
		}
		return zero, false, &Result{Row: row, Outcome: Skipped, ID: tid, UserName: nameOf(target)}
	}
	if mi != zero && mn != zero {
		return failed(&store.UniquenessError{Attr: k.nameAttr, Value: name})
	}
	return target, false, nil
}

// restoreInto records that the record id overwrites target id tid.
func (ix *restoreIndex[T]) restoreInto(id, tid string) {
	if tid != id {
		ix.maps[id] = tid
	}
	ix.taken[tid] = true
}

// index records u (replacing old; zero: none) under id and name.
func (ix *restoreIndex[T]) index(old T, oldName string, u T, id, name string) {
	var zero T
	if old != zero && ix.byName[strings.ToLower(oldName)] == old {
		delete(ix.byName, strings.ToLower(oldName))
	}
	ix.byID[id] = u
	ix.byName[strings.ToLower(name)] = u
	ix.taken[id] = true
}
