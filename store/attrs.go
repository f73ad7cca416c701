package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/scimd/scimd/schemas"
)

// Keys that never live in Attrs: they are columns or derived at read time.
var reservedKeys = []string{"id", "meta", "groups", "members", "password", "schemas"}

// SetAttrs stores attrs (a SCIM User attribute map with canonical names) in
// u.Attrs and refreshes the indexed copies (UserName, ExternalID,
// DisplayName, Active, UserUUID, Emails). attrs is not modified.
func (u *User) SetAttrs(attrs map[string]any) error {
	raw, err := encodeAttrs(attrs, schemas.UserURN)
	if err != nil {
		return err
	}
	u.Attrs = raw
	u.UserName, _ = attrs["userName"].(string)
	u.ExternalID, _ = attrs["externalId"].(string)
	u.DisplayName, _ = attrs["displayName"].(string)
	u.Active = nil
	if b, ok := attrs["active"].(bool); ok {
		u.Active = &b
	}
	u.UserUUID = ""
	if sap, ok := attrs[schemas.SAPUserURN].(map[string]any); ok {
		u.UserUUID, _ = sap["userUuid"].(string)
	}
	u.Emails = u.Emails[:0]
	if list, ok := attrs["emails"].([]any); ok {
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				if v, ok := m["value"].(string); ok && v != "" {
					u.Emails = append(u.Emails, v)
				}
			}
		}
	}
	return nil
}

// SetAttrs stores attrs (a SCIM Group attribute map without members) in
// g.Attrs and refreshes DisplayName and ExternalID.
func (g *Group) SetAttrs(attrs map[string]any) error {
	raw, err := encodeAttrs(attrs, schemas.GroupURN)
	if err != nil {
		return err
	}
	g.Attrs = raw
	g.DisplayName, _ = attrs["displayName"].(string)
	g.ExternalID, _ = attrs["externalId"].(string)
	return nil
}

// AttrMap decodes Attrs (numbers as json.Number) into a fresh map.
func (u *User) AttrMap() (map[string]any, error) { return DecodeAttrs(u.Attrs) }

// AttrMap decodes Attrs (numbers as json.Number) into a fresh map.
func (g *Group) AttrMap() (map[string]any, error) { return DecodeAttrs(g.Attrs) }

// DecodeAttrs decodes a stored attribute object; numbers stay json.Number.
func DecodeAttrs(raw []byte) (map[string]any, error) {
	m := map[string]any{}
	if len(raw) == 0 {
		return m, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode attributes: %w", err)
	}
	return m, nil
}

// encodeAttrs marshals attrs without the reserved keys and with a
// "schemas" list: the core URN plus every extension URN present.
func encodeAttrs(attrs map[string]any, coreURN string) (json.RawMessage, error) {
	out := make(map[string]any, len(attrs)+1)
	var urns []string
	for k, v := range attrs {
		if isReserved(k) || v == nil {
			continue
		}
		out[k] = v
		if strings.HasPrefix(k, "urn:") {
			urns = append(urns, k)
		}
	}
	sort.Strings(urns)
	out["schemas"] = append([]string{coreURN}, urns...)
	raw, err := CanonicalJSON(out)
	if err != nil {
		return nil, fmt.Errorf("encode attributes: %w", err)
	}
	return raw, nil
}

func isReserved(k string) bool {
	for _, r := range reservedKeys {
		if k == r {
			return true
		}
	}
	return false
}
