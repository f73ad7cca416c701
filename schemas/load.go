package schemas

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

//go:embed builtin/*.json
var builtinFS embed.FS

// Registry holds the resource types of a server: Users and Groups with their
// extensions. It is immutable after Load.
type Registry struct {
	Users  *ResourceType
	Groups *ResourceType
	custom []*Schema
}

// customFile is the on-disk form of a custom extension schema: an RFC 7643
// §7 schema plus the resource type it extends ("User" when omitted) and
// whether resources must carry it.
type customFile struct {
	Schema
	ResourceType string `json:"resourceType"`
	Required     bool   `json:"required"`
}

// Load builds the registry from the built-in schemas plus every *.json file
// in dir (custom extension schemas). An empty dir loads the built-ins only.
func Load(dir string) (*Registry, error) {
	builtin := map[string]*Schema{}
	for _, name := range []string{"user", "group", "enterprise_user", "sap_user", "sap_custom"} {
		raw, err := builtinFS.ReadFile("builtin/" + name + ".json")
		if err != nil {
			return nil, fmt.Errorf("read built-in schema %s: %w", name, err)
		}
		s, err := parseSchema(raw)
		if err != nil {
			return nil, fmt.Errorf("built-in schema %s: %w", name, err)
		}
		builtin[s.ID] = s
	}
	reg := &Registry{
		Users: &ResourceType{
			ID: "User", Name: "User", Endpoint: "/Users", Description: "User Account",
			Schema: builtin[UserURN],
			Extensions: []Extension{
				{Schema: builtin[EnterpriseURN]},
				{Schema: builtin[SAPUserURN]},
				{Schema: builtin[SAPCustomURN]},
			},
		},
		Groups: &ResourceType{
			ID: "Group", Name: "Group", Endpoint: "/Groups", Description: "Group",
			Schema: builtin[GroupURN],
		},
	}
	if dir == "" {
		return reg, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("list schemas dir: %w", err)
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("schemas dir: %w", err)
	}
	sort.Strings(files)
	seen := map[string]bool{}
	for id := range builtin {
		seen[strings.ToLower(id)] = true
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read schema %s: %w", f, err)
		}
		var cf customFile
		if err := json.Unmarshal(raw, &cf); err != nil {
			return nil, fmt.Errorf("schema %s: invalid JSON: %w", filepath.Base(f), err)
		}
		s := cf.Schema
		if err := normalizeSchema(&s); err != nil {
			return nil, fmt.Errorf("schema %s: %w", filepath.Base(f), err)
		}
		if seen[strings.ToLower(s.ID)] {
			return nil, fmt.Errorf("schema %s: duplicate schema id %q", filepath.Base(f), s.ID)
		}
		seen[strings.ToLower(s.ID)] = true
		var rt *ResourceType
		switch strings.ToLower(cf.ResourceType) {
		case "", "user":
			rt = reg.Users
		case "group":
			rt = reg.Groups
		default:
			return nil, fmt.Errorf("schema %s: unknown resourceType %q (want User or Group)", filepath.Base(f), cf.ResourceType)
		}
		sp := &s
		rt.Extensions = append(rt.Extensions, Extension{Schema: sp, Required: cf.Required})
		reg.custom = append(reg.custom, sp)
	}
	return reg, nil
}

// ResourceTypes returns Users and Groups.
func (r *Registry) ResourceTypes() []*ResourceType { return []*ResourceType{r.Users, r.Groups} }

// Schemas returns every schema of every resource type, core schemas first.
func (r *Registry) Schemas() []*Schema {
	var out []*Schema
	for _, rt := range r.ResourceTypes() {
		out = append(out, rt.Schema)
		for _, e := range rt.Extensions {
			out = append(out, e.Schema)
		}
	}
	return out
}

// Schema returns the schema with the given URN (case-insensitive), or nil.
func (r *Registry) Schema(urn string) *Schema {
	for _, s := range r.Schemas() {
		if strings.EqualFold(s.ID, urn) {
			return s
		}
	}
	return nil
}

// Custom returns the custom extension schemas loaded from the schemas dir.
func (r *Registry) Custom() []*Schema { return r.custom }

// IsCustom reports whether urn is a custom extension loaded from the schemas dir.
func (r *Registry) IsCustom(urn string) bool {
	for _, s := range r.custom {
		if strings.EqualFold(s.ID, urn) {
			return true
		}
	}
	return false
}

func parseSchema(raw []byte) (*Schema, error) {
	var s Schema
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if err := normalizeSchema(&s); err != nil {
		return nil, err
	}
	return &s, nil
}

var (
	attrNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)
	urnRe      = regexp.MustCompile(`^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[A-Za-z0-9()+,\-.:=@;$_!*'%/?#]+$`)
)

var validTypes = map[string]bool{
	TypeString: true, TypeBoolean: true, TypeDecimal: true, TypeInteger: true,
	TypeDateTime: true, TypeBinary: true, TypeReference: true, TypeComplex: true,
}

// normalizeSchema checks a schema and fills RFC 7643 defaults.
func normalizeSchema(s *Schema) error {
	if !urnRe.MatchString(s.ID) {
		return fmt.Errorf("schema id %q is not a URN", s.ID)
	}
	if len(s.Attributes) == 0 {
		return errors.New("schema has no attributes")
	}
	return normalizeAttrs(s.Attributes, true, "")
}

func normalizeAttrs(attrs []*Attribute, top bool, parent string) error {
	seen := map[string]bool{}
	for _, a := range attrs {
		if a == nil {
			return fmt.Errorf("%snull attribute", parent)
		}
		name := a.Name
		if !(attrNameRe.MatchString(name) || (!top && name == "$ref")) {
			return fmt.Errorf("invalid attribute name %q", parent+name)
		}
		switch strings.ToLower(name) {
		case "id", "externalid", "meta", "schemas":
			if top {
				return fmt.Errorf("attribute name %q is reserved", name)
			}
		}
		if seen[strings.ToLower(name)] {
			return fmt.Errorf("duplicate attribute name %q", parent+name)
		}
		seen[strings.ToLower(name)] = true
		if a.Type == "" {
			a.Type = TypeString
		}
		if !validTypes[a.Type] {
			return fmt.Errorf("attribute %q has unknown type %q", parent+name, a.Type)
		}
		if a.Mutability == "" {
			a.Mutability = ReadWrite
		}
		switch a.Mutability {
		case ReadOnly, ReadWrite, Immutable, WriteOnly:
		default:
			return fmt.Errorf("attribute %q has unknown mutability %q", parent+name, a.Mutability)
		}
		if a.Returned == "" {
			a.Returned = ReturnedDefault
		}
		switch a.Returned {
		case ReturnedAlways, ReturnedNever, ReturnedDefault, ReturnedRequest:
		default:
			return fmt.Errorf("attribute %q has unknown returned %q", parent+name, a.Returned)
		}
		if a.Uniqueness == "" {
			a.Uniqueness = UniqueNone
		}
		switch a.Uniqueness {
		case UniqueNone, UniqueServer, UniqueGlobal:
		default:
			return fmt.Errorf("attribute %q has unknown uniqueness %q", parent+name, a.Uniqueness)
		}
		if a.Type == TypeComplex {
			if !top {
				return fmt.Errorf("attribute %q: sub-attributes cannot be complex", parent+name)
			}
			if len(a.SubAttributes) == 0 {
				return fmt.Errorf("complex attribute %q has no sub-attributes", name)
			}
			if err := normalizeAttrs(a.SubAttributes, false, name+"."); err != nil {
				return err
			}
		} else if len(a.SubAttributes) > 0 {
			return fmt.Errorf("attribute %q of type %s cannot have sub-attributes", parent+name, a.Type)
		}
	}
	return nil
}
