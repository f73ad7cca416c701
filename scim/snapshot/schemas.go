package snapshot

import (
	"fmt"
	"strings"

	"github.com/scimd/scimd/schemas"
)

// CheckSchemas compares a snapshot's custom schemas with the target's
// registry and returns the problems: a schema the target does not load, a
// schema extending another resource type, an attribute it lacks or
// defines with another type or multiplicity. The target may define more
// (attributes, schemas) than the snapshot.
func CheckSchemas(reg *schemas.Registry, custom []CustomSchema) []string {
	var out []string
	for _, cs := range custom {
		rt, rtName := reg.Users, "User"
		if strings.EqualFold(cs.ResourceType, "Group") {
			rt, rtName = reg.Groups, "Group"
		}
		target := rt.Extension(cs.ID)
		if target == nil {
			if reg.Users.Extension(cs.ID) != nil || reg.Groups.Extension(cs.ID) != nil {
				out = append(out, fmt.Sprintf("custom schema %s extends another resource type on this server than in the snapshot (%s)", cs.ID, rtName))
			} else {
				out = append(out, fmt.Sprintf("custom schema %s (%s extension) is not loaded on this server: add it to --schemas-dir", cs.ID, rtName))
			}
			continue
		}
		out = append(out, compareAttrs(cs.ID+":", cs.Attributes, target.Attributes)...)
	}
	return out
}

func compareAttrs(prefix string, snap, target []*schemas.Attribute) []string {
	var out []string
	for _, a := range snap {
		if a == nil {
			continue
		}
		var t *schemas.Attribute
		for _, x := range target {
			if strings.EqualFold(x.Name, a.Name) {
				t = x
			}
		}
		name := prefix + a.Name
		switch {
		case t == nil:
			out = append(out, fmt.Sprintf("custom attribute %s is not defined on this server", name))
		case !strings.EqualFold(t.Type, a.Type) || t.MultiValued != a.MultiValued:
			out = append(out, fmt.Sprintf("custom attribute %s is %s here, %s in the snapshot", name, describe(t), describe(a)))
		case len(a.SubAttributes) > 0:
			out = append(out, compareAttrs(name+".", a.SubAttributes, t.SubAttributes)...)
		}
	}
	return out
}

func describe(a *schemas.Attribute) string {
	if a.MultiValued {
		return "a multi-valued " + a.Type
	}
	return "a single " + a.Type
}
