package scim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	scimfilter "github.com/scimd/scimd/scim/filter"
	"github.com/scimd/scimd/store"
)

// listParams are the query parameters of a list or search request.
type listParams struct {
	query      store.Query
	startIndex int
	proj       projection
	// cursor is the cursor parameter when the client asked for cursor
	// paging ("" for the first page), nil for index paging; next is the
	// response's nextCursor (cursor.go). filterText is the filter as sent.
	cursor *string
	// cursorTotal is the total carried by the request's cursor.
	cursorTotal int
	next        string
	filterText  string
}

// searchRequest is the body of POST /.search (RFC 7644 §3.4.3).
type searchRequest struct {
	Schemas            []string `json:"schemas"`
	Attributes         []string `json:"attributes"`
	ExcludedAttributes []string `json:"excludedAttributes"`
	Filter             string   `json:"filter"`
	SortBy             string   `json:"sortBy"`
	SortOrder          string   `json:"sortOrder"`
	StartIndex         *int     `json:"startIndex"`
	Count              *int     `json:"count"`
	Cursor             *string  `json:"cursor"` // RFC 9865
}

const searchRequestURN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

// fromQuery reads list parameters from the URL query.
func (a *API) fromQuery(c echo.Context) (listParams, error) {
	q := c.QueryParams()
	var sr searchRequest
	sr.Filter = q.Get("filter")
	sr.SortBy = q.Get("sortBy")
	sr.SortOrder = q.Get("sortOrder")
	if q.Has("cursor") { // "?cursor" and "?cursor=" start a cursor walk
		c := q.Get("cursor")
		sr.Cursor = &c
	}
	for _, name := range []string{"startIndex", "count"} {
		s := q.Get(name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return listParams{}, badRequest("invalidValue", "query parameter %s must be an integer, got %q", name, s)
		}
		if name == "count" {
			sr.Count = &n
		} else {
			sr.StartIndex = &n
		}
	}
	sr.Attributes = splitList(q.Get("attributes"))
	sr.ExcludedAttributes = splitList(q.Get("excludedAttributes"))
	return a.listParams(sr)
}

// fromSearchBody reads list parameters from a SearchRequest body.
func (a *API) fromSearchBody(c echo.Context) (listParams, error) {
	var sr searchRequest
	dec := json.NewDecoder(bytes.NewReader(body(c)))
	if err := dec.Decode(&sr); err != nil {
		return listParams{}, badRequest("invalidSyntax", "the search request is not valid JSON: %v", err)
	}
	ok := false
	for _, s := range sr.Schemas {
		ok = ok || s == searchRequestURN
	}
	if !ok {
		return listParams{}, badRequest("invalidValue", "schemas must contain %q", searchRequestURN)
	}
	return a.listParams(sr)
}

func (a *API) listParams(sr searchRequest) (listParams, error) {
	p := listParams{startIndex: 1}
	p.query.Lean = true // pages render Attrs only
	p.query.Count = a.cfg.DefaultCount
	if sr.Count != nil {
		p.query.Count = min(max(*sr.Count, 0), a.cfg.MaxResults)
	}
	if sr.StartIndex != nil && *sr.StartIndex > 1 {
		p.startIndex = *sr.StartIndex
	}
	p.query.Offset = p.startIndex - 1
	if sr.Cursor != nil {
		if sr.StartIndex != nil {
			return p, badRequest("invalidValue", "cursor and startIndex cannot be combined: use cursor for cursor paging, startIndex for index paging")
		}
		p.cursor = sr.Cursor
	}
	if f := strings.TrimSpace(sr.Filter); f != "" {
		p.filterText = f
		if strings.ContainsRune(f, 0) || strings.Contains(f, `\u0000`) {
			return p, badRequest("invalidFilter", "NUL characters are not allowed in filters")
		}
		expr, err := scimfilter.Parse(f)
		if err != nil {
			return p, err
		}
		p.query.Filter = expr
	}
	p.query.SortBy = strings.TrimSpace(sr.SortBy)
	switch strings.ToLower(strings.TrimSpace(sr.SortOrder)) {
	case "", "ascending":
	case "descending":
		p.query.Descending = true
	default:
		return p, badRequest("invalidValue", "sortOrder must be \"ascending\" or \"descending\", got %q", sr.SortOrder)
	}
	p.proj = projection{attrs: sr.Attributes, excluded: sr.ExcludedAttributes}
	return p, nil
}

const listResponseHead = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":`

// writeList writes a ListResponse whose Resources are produced by each.
func (a *API) writeList(c echo.Context, total, startIndex, n int, each func(buf *bytes.Buffer, i int) error) error {
	return a.writeListWith(c, total, n, func(buf *bytes.Buffer) {
		buf.WriteString(`,"startIndex":`)
		buf.WriteString(strconv.Itoa(startIndex))
	}, each)
}

// writeListWith writes a ListResponse whose paging members (startIndex,
// nextCursor) come from paging.
func (a *API) writeListWith(c echo.Context, total, n int, paging func(buf *bytes.Buffer), each func(buf *bytes.Buffer, i int) error) error {
	buf := a.bufs.get(256 + n*1024)
	defer a.bufs.put(buf)
	buf.WriteString(listResponseHead)
	buf.WriteString(strconv.Itoa(total))
	buf.WriteString(`,"itemsPerPage":`)
	buf.WriteString(strconv.Itoa(n))
	paging(buf)
	buf.WriteString(`,"Resources":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := each(buf, i); err != nil {
			return err
		}
	}
	buf.WriteString("]}")
	return c.Blob(http.StatusOK, "application/scim+json", buf.Bytes())
}

// notModified reports whether the client's If-None-Match matches version.
func notModified(r *http.Request, version int64) bool {
	inm := r.Header.Get("If-None-Match")
	return inm != "" && etagMatches(inm, version)
}

// etagMatches reports whether a list of entity tags (If-Match or
// If-None-Match) matches version; "*" matches any version. Weak and strong
// forms compare equal (weak comparison, RFC 7232 §2.3.2).
func etagMatches(header string, version int64) bool {
	want := strconv.FormatInt(version, 10)
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		t = strings.TrimPrefix(t, "W/")
		if strings.Trim(t, `"`) == want {
			return true
		}
	}
	return false
}

// checkIfMatch enforces If-Match on writes.
func checkIfMatch(r *http.Request, version int64) error {
	if im := r.Header.Get("If-Match"); im != "" && !etagMatches(im, version) {
		return errPreconditionFailed
	}
	return nil
}
