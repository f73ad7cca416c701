package scim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scimd/scimd/store"
)

// Cursor pagination (RFC 9865). `cursor` (empty for the first page)
// switches a list or search to keyset paging: the store continues after
// the sort key and id of the previous page's last resource, so a deep
// page costs what the first one does, and a walk sees every resource
// that exists throughout exactly once, whatever is created or deleted
// meanwhile (index paging shifts under such writes and repeats or skips).
//
// A cursor is the base64url (no padding) form of
//
//	payload JSON || HMAC-SHA256(key, "scimd-cursor/1" || payload)[:16]
//
// where the payload holds the expiry, the scope (a hash of tenant,
// resource type, filter and sort), and the position: the last resource's
// sort key (with its type) and id. The key is a random secret kept in
// the database (Store.Secret), so every replica sharing the database
// accepts every other's cursors; a per-process key would not survive a
// load balancer. A cursor that fails the MAC or belongs to another scope
// (another tenant, resource type, filter or sort) is invalidCursor, an
// old one expiredCursor. Cursors hold no server state: nothing to clean
// up, and any number of walks cost nothing between requests.

const (
	// cursorSecretName names the HMAC key in Store.Secret.
	cursorSecretName = "cursor-hmac"
	// cursorMACSize is the length of the truncated HMAC-SHA256 tag.
	cursorMACSize = 16
	// cursorMACContext separates cursor MACs from any other use of the
	// key and versions the format.
	cursorMACContext = "scimd-cursor/1"
	// maxCursorLen bounds what is decoded (the sort key of a long string
	// attribute makes the longest cursors).
	maxCursorLen = 8 << 10
)

// Key types in a cursor.
const (
	cursorKeyString = "s"
	cursorKeyInt    = "i"
	cursorKeyFloat  = "f"
	cursorKeyBool   = "b"
)

// cursorPayload is the signed content of a cursor.
type cursorPayload struct {
	Expires int64  `json:"x"`           // Unix seconds
	Scope   string `json:"q"`           // cursorScope
	KeyType string `json:"t,omitempty"` // "" when the key is NULL or there is none
	Key     string `json:"k,omitempty"`
	ID      string `json:"i,omitempty"` // "" for the start (a count=0 first page)
	// Total is totalResults as counted on the walk's first page; later
	// pages repeat it instead of counting again (RFC 9865 lets
	// totalResults be an estimate), so a deep page costs what the first
	// does.
	Total int64 `json:"n"`
}

// cursorCodec signs and checks cursors.
type cursorCodec struct {
	secret func(ctx context.Context) ([]byte, error)
	now    func() time.Time
	ttl    time.Duration

	mu  sync.Mutex
	key []byte
}

func newCursorCodec(st store.Store, now func() time.Time, ttl time.Duration) *cursorCodec {
	return &cursorCodec{
		secret: func(ctx context.Context) ([]byte, error) { return st.Secret(ctx, cursorSecretName) },
		now:    now,
		ttl:    ttl,
	}
}

// hmacKey returns the shared key, read from the store once per process.
func (cc *cursorCodec) hmacKey(ctx context.Context) ([]byte, error) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.key == nil {
		k, err := cc.secret(ctx)
		if err != nil {
			return nil, fmt.Errorf("cursor key: %w", err)
		}
		cc.key = k
	}
	return cc.key, nil
}

func (cc *cursorCodec) mac(key, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(cursorMACContext))
	m.Write(payload)
	return m.Sum(nil)[:cursorMACSize]
}

// cursorScope identifies the walk a cursor belongs to. sortBy names are
// case-insensitive; the filter is compared as sent, as RFC 9865 asks
// clients to repeat every parameter but the cursor unchanged.
func cursorScope(tenantID int64, resourceType string, p *listParams) string {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(tenantID))
	h.Write(n[:])
	for _, s := range []string{resourceType, p.filterText, strings.ToLower(p.query.SortBy), strconv.FormatBool(p.query.Descending)} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}

// encode returns the cursor of position pos (nil: the start) in scope.
func (cc *cursorCodec) encode(ctx context.Context, scope string, pos *store.Position, total int) (string, error) {
	pl := cursorPayload{Expires: cc.now().Add(cc.ttl).Unix(), Scope: scope, Total: int64(total)}
	if pos != nil {
		pl.ID = pos.ID
		switch k := pos.Key.(type) {
		case nil:
		case string:
			pl.KeyType, pl.Key = cursorKeyString, k
		case int64:
			pl.KeyType, pl.Key = cursorKeyInt, strconv.FormatInt(k, 10)
		case float64:
			pl.KeyType, pl.Key = cursorKeyFloat, strconv.FormatFloat(k, 'g', -1, 64)
		case bool:
			pl.KeyType, pl.Key = cursorKeyBool, strconv.FormatBool(k)
		default:
			return "", fmt.Errorf("cursor: unsupported sort key type %T", pos.Key)
		}
	}
	raw, err := json.Marshal(pl)
	if err != nil {
		return "", err
	}
	key, err := cc.hmacKey(ctx)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(append(raw, cc.mac(key, raw)...)), nil
}

var errInvalidCursor = badRequest("invalidCursor",
	"The cursor is not valid for this request. Send an empty cursor for the first page, then each response's "+
		"nextCursor with the same filter, sortBy and sortOrder.")

// decode checks cursor against scope and returns its position (nil: the
// start). Errors are invalidCursor or expiredCursor SCIM errors, or
// failures to read the key.
func (cc *cursorCodec) decode(ctx context.Context, scope, cursor string) (*store.Position, int, error) {
	if len(cursor) > maxCursorLen {
		return nil, 0, errInvalidCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(raw) <= cursorMACSize {
		return nil, 0, errInvalidCursor
	}
	payload, tag := raw[:len(raw)-cursorMACSize], raw[len(raw)-cursorMACSize:]
	key, err := cc.hmacKey(ctx)
	if err != nil {
		return nil, 0, err
	}
	if !hmac.Equal(tag, cc.mac(key, payload)) {
		return nil, 0, errInvalidCursor
	}
	var pl cursorPayload
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pl); err != nil || pl.Scope != scope {
		return nil, 0, errInvalidCursor
	}
	if cc.now().Unix() > pl.Expires {
		return nil, 0, badRequest("expiredCursor",
			"The cursor has expired: a cursor is valid for %d seconds after its page. Start again with an empty cursor.",
			int64(cc.ttl/time.Second))
	}
	if pl.ID == "" {
		return nil, int(pl.Total), nil
	}
	pos := &store.Position{ID: pl.ID}
	switch pl.KeyType {
	case "":
	case cursorKeyString:
		pos.Key = pl.Key
	case cursorKeyInt:
		pos.Key, err = strconv.ParseInt(pl.Key, 10, 64)
	case cursorKeyFloat:
		pos.Key, err = strconv.ParseFloat(pl.Key, 64)
	case cursorKeyBool:
		pos.Key, err = strconv.ParseBool(pl.Key)
	default:
		err = fmt.Errorf("key type %q", pl.KeyType)
	}
	if err != nil {
		return nil, 0, errInvalidCursor
	}
	return pos, int(pl.Total), nil
}

// startCursor turns p's cursor parameter into the store query's position.
func (a *API) startCursor(ctx context.Context, tenantID int64, resourceType string, p *listParams) error {
	if *p.cursor == "" {
		return nil
	}
	pos, total, err := a.cursors.decode(ctx, cursorScope(tenantID, resourceType, p), *p.cursor)
	if err != nil {
		return err
	}
	p.query.After = pos
	p.query.NoTotal = true
	p.cursorTotal = total
	return nil
}

// nextCursor sets p.next from a keyset page: the cursor after its last
// resource, or after the same position again when count=0 returned none;
// empty on the last page.
func (a *API) nextCursor(ctx context.Context, tenantID int64, resourceType string, p *listParams, page store.Page) error {
	if !page.More {
		return nil
	}
	pos := page.Last
	if pos == nil {
		pos = p.query.After
	}
	next, err := a.cursors.encode(ctx, cursorScope(tenantID, resourceType, p), pos, page.Total)
	p.next = next
	return err
}

// queryUsers runs the store query of a user list: index paging, or keyset
// paging when the request has a cursor.
func (a *API) queryUsers(ctx context.Context, tenantID int64, p *listParams) ([]store.User, int, error) {
	if p.cursor == nil {
		return a.store.ListUsers(ctx, tenantID, p.query)
	}
	if err := a.startCursor(ctx, tenantID, "User", p); err != nil {
		return nil, 0, err
	}
	users, page, err := a.store.ListUsersPage(ctx, tenantID, p.query)
	if err != nil {
		return nil, 0, err
	}
	if page.Total < 0 {
		page.Total = p.cursorTotal
	}
	return users, page.Total, a.nextCursor(ctx, tenantID, "User", p, page)
}

// queryGroups is queryUsers for groups.
func (a *API) queryGroups(ctx context.Context, tenantID int64, p *listParams) ([]store.Group, int, error) {
	if p.cursor == nil {
		return a.store.ListGroups(ctx, tenantID, p.query)
	}
	if err := a.startCursor(ctx, tenantID, "Group", p); err != nil {
		return nil, 0, err
	}
	groups, page, err := a.store.ListGroupsPage(ctx, tenantID, p.query)
	if err != nil {
		return nil, 0, err
	}
	if page.Total < 0 {
		page.Total = p.cursorTotal
	}
	return groups, page.Total, a.nextCursor(ctx, tenantID, "Group", p, page)
}

// writeListPage writes the ListResponse of p's page: with startIndex under
// index paging, with nextCursor (absent on the last page) and without
// startIndex under cursor paging.
func (a *API) writeListPage(c echo.Context, p *listParams, total, n int, each func(buf *bytes.Buffer, i int) error) error {
	if p.cursor == nil {
		return a.writeList(c, total, p.startIndex, n, each)
	}
	return a.writeListWith(c, total, n, func(buf *bytes.Buffer) {
		if p.next != "" {
			buf.WriteString(`,"nextCursor":"`)
			buf.WriteString(p.next) // base64url: nothing to escape
			buf.WriteByte('"')
		}
	}, each)
}
