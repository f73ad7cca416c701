package resource

import (
	"errors"
	"fmt"
	"time"

	"github.com/scimd/scimd/internal/password"
	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store"
)

// Service applies the Users and Groups rules. Its fields are the only
// outside dependencies: tests swap the clock, the ids and the hasher.
type Service struct {
	Reg   *schemas.Registry
	Hash  func(password string) (string, error) // argon2id via internal/password
	NewID func() string                         // UUIDv7
	Now   func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Service) newID() (string, error) {
	if s.NewID == nil {
		return "", errors.New("resource: Service.NewID is not set")
	}
	id := s.NewID()
	if id == "" {
		return "", errors.New("resource: Service.NewID returned an empty id")
	}
	return id, nil
}

func (s *Service) users() (*schemas.ResourceType, error) {
	if s.Reg == nil || s.Reg.Users == nil {
		return nil, errors.New("resource: Service.Reg is not set")
	}
	return s.Reg.Users, nil
}

func (s *Service) groups() (*schemas.ResourceType, error) {
	if s.Reg == nil || s.Reg.Groups == nil {
		return nil, errors.New("resource: Service.Reg is not set")
	}
	return s.Reg.Groups, nil
}

// hash hashes a password received from a client. A value that already
// looks like an argon2id or bcrypt hash is hashed like any other string:
// clients cannot set hashes (see NewUserWithHash).
func (s *Service) hash(pw string) (string, error) {
	if s.Hash == nil {
		return "", errors.New("resource: Service.Hash is not set")
	}
	h, err := s.Hash(pw)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// NewUser builds a user from a create body (POST /Users, Bulk POST, an
// import row). It assigns the id, sets the SAP userUuid to the id when
// absent and hashes the password.
func (s *Service) NewUser(attrs map[string]any) (*store.User, error) {
	return s.newUser(attrs, "", "")
}

// NewUserWithID is NewUser with an id reserved beforehand (callers that
// build users in parallel reserve ids in order, so that id order stays
// creation order).
func (s *Service) NewUserWithID(attrs map[string]any, id string) (*store.User, error) {
	return s.newUser(attrs, id, "")
}

// NewUserWithHash builds a user from a tenant snapshot: id is kept when
// not empty (else assigned) and hash, an argon2id or bcrypt hash exported
// by scimd, becomes the password hash; a password in attrs is ignored.
// This path is not reachable from SCIM input.
func (s *Service) NewUserWithHash(attrs map[string]any, id, hash string) (*store.User, error) {
	if hash != "" && !password.IsHash(hash) {
		return nil, errorf(InvalidValue, "password hash: not an argon2id or bcrypt hash")
	}
	return s.newUser(attrs, id, hash)
}

func (s *Service) newUser(attrs map[string]any, id, hash string) (*store.User, error) {
	rt, err := s.users()
	if err != nil {
		return nil, err
	}
	e := &editor{rt: rt, attrs: map[string]any{}, lenient: true}
	if err := e.applyMap(opAdd, attrs); err != nil {
		return nil, err
	}
	prune(e.attrs)
	if id == "" {
		if id, err = s.newID(); err != nil {
			return nil, err
		}
	}
	defaultUserUUID(rt, e.attrs, id)
	if err := checkRequired(rt, e.attrs); err != nil {
		return nil, err
	}
	if hash == "" && e.pwOp == pwSet {
		if hash, err = s.hash(e.pw); err != nil {
			return nil, err
		}
	}
	now := s.now()
	u := &store.User{ID: id, PasswordHash: hash, Created: now, Modified: now}
	if err := u.SetAttrs(e.attrs); err != nil {
		return nil, err
	}
	return u, nil
}

// defaultUserUUID sets the SAP extension's userUuid to the id when absent.
func defaultUserUUID(rt *schemas.ResourceType, attrs map[string]any, id string) {
	sap := rt.Extension(schemas.SAPUserURN)
	if sap == nil || sap.Attr("userUuid") == nil {
		return
	}
	m, _ := attrs[sap.ID].(map[string]any)
	if m == nil {
		m = map[string]any{}
		attrs[sap.ID] = m
	}
	if isEmpty(m["userUuid"]) {
		m["userUuid"] = id
	}
}

// ReplaceUser applies a PUT: every readWrite attribute is replaced by the
// body's. Immutable attributes (userUuid, …) may be repeated unchanged or
// omitted (they keep their value) but not changed. Without a password the
// old hash stays. id and meta in the body are ignored.
func (s *Service) ReplaceUser(old *store.User, attrs map[string]any) (*store.User, error) {
	rt, err := s.users()
	if err != nil {
		return nil, err
	}
	before, err := decodeAttrs(old.Attrs)
	if err != nil {
		return nil, err
	}
	e := &editor{rt: rt, attrs: map[string]any{}, lenient: true}
	if err := e.applyMap(opAdd, attrs); err != nil {
		return nil, err
	}
	prune(e.attrs)
	if err := checkImmutable(rt, before, e.attrs, true); err != nil {
		return nil, err
	}
	if err := checkRequired(rt, e.attrs); err != nil {
		return nil, err
	}
	hash := old.PasswordHash
	if e.pwOp == pwSet {
		if hash, err = s.hash(e.pw); err != nil {
			return nil, err
		}
	}
	u := &store.User{ID: old.ID, Version: old.Version, Created: old.Created, PasswordHash: hash, Modified: s.now()}
	if err := u.SetAttrs(e.attrs); err != nil {
		return nil, err
	}
	return u, nil
}

// PatchUser applies PATCH operations in order (RFC 7644 §3.5.2). changed
// is false when the result equals old (the caller skips the write; u is
// then a copy of old). Setting a password always counts as a change (the
// new hash differs even for the same password).
func (s *Service) PatchUser(old *store.User, ops []Op) (u *store.User, changed bool, err error) {
	rt, err := s.users()
	if err != nil {
		return nil, false, err
	}
	before, err := decodeAttrs(old.Attrs)
	if err != nil {
		return nil, false, err
	}
	e := &editor{rt: rt, attrs: copyMap(before)}
	for _, op := range ops {
		if err := e.apply(op); err != nil {
			return nil, false, err
		}
	}
	prune(e.attrs)
	if err := checkImmutable(rt, before, e.attrs, false); err != nil {
		return nil, false, err
	}
	if err := checkRequired(rt, e.attrs); err != nil {
		return nil, false, err
	}
	hash := old.PasswordHash
	switch e.pwOp {
	case pwSet:
		if hash, err = s.hash(e.pw); err != nil {
			return nil, false, err
		}
	case pwClear:
		hash = ""
	}
	if e.pwOp != pwSet && hash == old.PasswordHash && equalValues(before, e.attrs) {
		cp := *old
		return &cp, false, nil
	}
	u = &store.User{ID: old.ID, Version: old.Version, Created: old.Created, PasswordHash: hash, Modified: s.now()}
	if err := u.SetAttrs(e.attrs); err != nil {
		return nil, false, err
	}
	return u, true, nil
}

// NewGroup builds a group from a create body. Members are returned apart
// (they are rows, never attributes), with GroupID set and Type as given
// ("" when not given: the caller fills it while checking existence).
func (s *Service) NewGroup(attrs map[string]any) (*store.Group, []store.Member, error) {
	rt, err := s.groups()
	if err != nil {
		return nil, nil, err
	}
	id, err := s.newID()
	if err != nil {
		return nil, nil, err
	}
	me := &memberEditor{groupID: id, replaceAll: true}
	e := &editor{rt: rt, attrs: map[string]any{}, lenient: true, members: me}
	if err := e.applyMap(opAdd, attrs); err != nil {
		return nil, nil, err
	}
	prune(e.attrs)
	if err := checkRequired(rt, e.attrs); err != nil {
		return nil, nil, err
	}
	now := s.now()
	g := &store.Group{ID: id, Created: now, Modified: now}
	if err := g.SetAttrs(e.attrs); err != nil {
		return nil, nil, err
	}
	return g, me.set.list(), nil
}

// ReplaceGroup applies a PUT. The member list is replaced too: the delta
// is always ReplaceAll (members absent from the body means no members,
// RFC 7644 §3.5.1; elimity drops an empty "members": [] anyway).
func (s *Service) ReplaceGroup(old *store.Group, attrs map[string]any) (*store.Group, MemberDelta, error) {
	rt, err := s.groups()
	if err != nil {
		return nil, MemberDelta{}, err
	}
	before, err := decodeAttrs(old.Attrs)
	if err != nil {
		return nil, MemberDelta{}, err
	}
	me := &memberEditor{groupID: old.ID, replaceAll: true}
	e := &editor{rt: rt, attrs: map[string]any{}, lenient: true, members: me}
	if err := e.applyMap(opAdd, attrs); err != nil {
		return nil, MemberDelta{}, err
	}
	prune(e.attrs)
	if err := checkImmutable(rt, before, e.attrs, true); err != nil {
		return nil, MemberDelta{}, err
	}
	if err := checkRequired(rt, e.attrs); err != nil {
		return nil, MemberDelta{}, err
	}
	g := &store.Group{ID: old.ID, Version: old.Version, Created: old.Created, Modified: s.now()}
	if err := g.SetAttrs(e.attrs); err != nil {
		return nil, MemberDelta{}, err
	}
	return g, me.delta(), nil
}

// PatchGroup applies PATCH operations to a group. Membership changes come
// back as a MemberDelta built without the member list; members is called
// (at most once) only for a member filter that is not `value eq "…"`
// (e.g. members[type eq "User"]). changed reports whether the group's own
// attributes changed (when false, g is a copy of old); membership changes
// are reported by d alone (d.Empty()).
func (s *Service) PatchGroup(old *store.Group, ops []Op, members func() ([]store.Member, error)) (g *store.Group, d MemberDelta, changed bool, err error) {
	rt, err := s.groups()
	if err != nil {
		return nil, d, false, err
	}
	before, err := decodeAttrs(old.Attrs)
	if err != nil {
		return nil, d, false, err
	}
	me := &memberEditor{groupID: old.ID, load: members}
	e := &editor{rt: rt, attrs: copyMap(before), members: me}
	for _, op := range ops {
		if err := e.apply(op); err != nil {
			return nil, d, false, err
		}
	}
	prune(e.attrs)
	if err := checkImmutable(rt, before, e.attrs, false); err != nil {
		return nil, d, false, err
	}
	if err := checkRequired(rt, e.attrs); err != nil {
		return nil, d, false, err
	}
	d = me.delta()
	if equalValues(before, e.attrs) {
		cp := *old
		return &cp, d, false, nil
	}
	g = &store.Group{ID: old.ID, Version: old.Version, Created: old.Created, Modified: s.now()}
	if err := g.SetAttrs(e.attrs); err != nil {
		return nil, d, false, err
	}
	return g, d, true, nil
}

// decodeAttrs decodes stored attributes without the derived "schemas".
func decodeAttrs(raw []byte) (map[string]any, error) {
	m, err := store.DecodeAttrs(raw)
	if err != nil {
		return nil, err
	}
	delete(m, "schemas")
	return m, nil
}

// checkRequired verifies that required attributes are present: those of
// the core schema, of every extension present, and required extensions.
func checkRequired(rt *schemas.ResourceType, attrs map[string]any) error {
	for _, a := range rt.Schema.Attributes {
		if a.Required && isEmpty(attrs[a.Name]) {
			return errorf(InvalidValue, "%s is required", a.Name)
		}
	}
	for _, ext := range rt.Extensions {
		m, _ := attrs[ext.Schema.ID].(map[string]any)
		if len(m) == 0 {
			if ext.Required {
				return errorf(InvalidValue, "extension %s is required", ext.Schema.ID)
			}
			continue
		}
		for _, a := range ext.Schema.Attributes {
			if a.Required && isEmpty(m[a.Name]) {
				return errorf(InvalidValue, "%s:%s is required", ext.Schema.ID, a.Name)
			}
		}
	}
	return nil
}

// checkImmutable enforces immutable attributes (RFC 7643 §2.2): once set
// they keep their value. With carry (PUT) an omitted immutable value is
// copied from before; without it (PATCH) removing it fails.
func checkImmutable(rt *schemas.ResourceType, before, after map[string]any, carry bool) error {
	for i := -1; i < len(rt.Extensions); i++ {
		s, urn := rt.Schema, ""
		if i >= 0 {
			s = rt.Extensions[i].Schema
			urn = s.ID
		}
		bc, ac := before, after
		if urn != "" {
			bc, _ = before[urn].(map[string]any)
			ac, _ = after[urn].(map[string]any)
		}
		if len(bc) == 0 {
			continue
		}
		for _, a := range s.Attributes {
			if a.MultiValued {
				continue
			}
			name := a.Name
			if urn != "" {
				name = urn + ":" + a.Name
			}
			if a.Mutability == schemas.Immutable {
				nv, err := keepImmutable(name, a, bc[a.Name], ac[a.Name], carry)
				if err != nil {
					return err
				}
				if nv != nil {
					ac = ensure(after, urn, ac)
					ac[a.Name] = nv
				}
				continue
			}
			if !a.IsComplex() {
				continue
			}
			bm, _ := bc[a.Name].(map[string]any)
			am, _ := ac[a.Name].(map[string]any)
			for _, sub := range a.SubAttributes {
				if sub.Mutability != schemas.Immutable {
					continue
				}
				nv, err := keepImmutable(name+"."+sub.Name, sub, bm[sub.Name], am[sub.Name], carry)
				if err != nil {
					return err
				}
				if nv != nil {
					ac = ensure(after, urn, ac)
					if am == nil {
						am = map[string]any{}
						ac[a.Name] = am
					}
					am[sub.Name] = nv
				}
			}
		}
	}
	return nil
}

// keepImmutable checks one immutable value and returns the value to store
// when it differs from now (nil: leave as is).
func keepImmutable(name string, a *schemas.Attribute, old, now any, carry bool) (any, error) {
	if isEmpty(old) {
		return nil, nil
	}
	if isEmpty(now) {
		if carry {
			return old, nil
		}
		return nil, errorf(Mutability, "%s is immutable and cannot be removed", name)
	}
	if !scalarEqual(old, now, a.CaseExact) {
		return nil, errorf(Mutability, "%s is immutable: it is %s and cannot be changed to %s", name, kindOf(old), kindOf(now))
	}
	if !equalValues(old, now) {
		return old, nil // equal but for letter case: keep the stored spelling
	}
	return nil, nil
}

// ensure returns the container for urn in attrs, creating it.
func ensure(attrs map[string]any, urn string, c map[string]any) map[string]any {
	if urn == "" {
		return attrs
	}
	if c == nil {
		c = map[string]any{}
		attrs[urn] = c
	}
	return c
}
