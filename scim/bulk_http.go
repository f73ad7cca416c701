package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/labstack/echo/v4"

	"github.com/scimd/scimd/internal/reqctx"
	"github.com/scimd/scimd/scim/bulk"
)

// POST /Bulk (RFC 7644 §3.7). The operations run through the Bulk engine
// (scim/bulk: ordering, bulkId references and cycles, batching); this file
// parses the BulkRequest, enforces the limits and renders the
// BulkResponse.
//
// Decisions:
//
//   - Limits: a body over MaxBodyBytes (maxPayloadSize) is refused by
//     readBody, and more than BulkMaxOperations operations with 413
//     tooMany, before any operation runs.
//   - A request that is not a BulkRequest (invalid JSON, schemas without
//     the BulkRequest URN, no Operations, failOnErrors not an integer ≥ 1,
//     an operation that is not an object of the right member types) is a
//     400 for the whole request and nothing runs. Everything else is judged
//     per operation: a bad method or path, a POST without bulkId (RFC 7644
//     requires one; scimd does not make one up), a duplicated bulkId or
//     bad data fail that operation only.
//   - Scopes apply per operation: users:manage for /Users operations,
//     groups:manage for /Groups operations (403 for that operation only).
//     The route itself needs no scope.
//   - The response lists every operation in request order with method,
//     bulkId, location (absolute, as meta.location; absent for a failed
//     POST), version (the new ETag after POST, PUT and PATCH) and status as
//     a string; a failed operation carries its SCIM error as response,
//     with exactly the status and scimType the single-resource endpoint
//     would answer.
//   - failOnErrors: once that many operations have failed, the rest do not
//     run. RFC 7644 returns only the processed operations; scimd lists the
//     others too, with status "424" (Failed Dependency) and a response
//     whose detail says they were not run, so a client can tell "not run"
//     from "lost" without counting.
//   - The whole response is 200 whatever the operations' outcomes.

const (
	bulkRequestURN  = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	bulkResponseURN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
)

type bulkRequest struct {
	Schemas      []string        `json:"schemas"`
	FailOnErrors json.RawMessage `json:"failOnErrors"`
	Operations   []bulkOperation `json:"Operations"`
}

type bulkOperation struct {
	Method  string          `json:"method"`
	Path    string          `json:"path"`
	BulkID  string          `json:"bulkId"`
	Version string          `json:"version"`
	Data    json.RawMessage `json:"data"`
}

type bulkResult struct {
	Method   string `json:"method"`
	BulkID   string `json:"bulkId,omitempty"`
	Version  string `json:"version,omitempty"`
	Location string `json:"location,omitempty"`
	Status   string `json:"status"`
	Response any    `json:"response,omitempty"`
}

type bulkResponse struct {
	Schemas    []string     `json:"schemas"`
	Operations []bulkResult `json:"Operations"`
}

// statusNotRun is the status of operations that did not run because
// failOnErrors was reached.
const statusNotRun = http.StatusFailedDependency

// newBulkRunner builds the RFC 7644 runner of the Bulk engine (New calls
// it). Operation data gets the endpoints' precheck before elimity's
// validation, as POST and PUT bodies do.
func (a *API) newBulkRunner() *bulk.Runner {
	r := bulk.NewRunner(&bulk.Engine{Store: a.store, Svc: a.svc, Reg: a.reg, Log: a.log})
	r.Precheck = precheck
	return r
}

// bulk handles POST /Bulk.
func (a *API) bulk(c echo.Context) error {
	req := c.Request()
	ctx := req.Context()
	var br bulkRequest
	if err := json.Unmarshal(body(c), &br); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && strings.HasPrefix(te.Field, "Operations") {
			return badRequest("invalidSyntax", "Operations: every operation must be an object with string method, path, bulkId and version: %v", err)
		}
		return badRequest("invalidSyntax", "the request is not a BulkRequest JSON object: %v", err)
	}
	if !slices.ContainsFunc(br.Schemas, func(s string) bool { return strings.EqualFold(s, bulkRequestURN) }) {
		return badRequest("invalidValue", "schemas must contain %q", bulkRequestURN)
	}
	if len(br.Operations) == 0 {
		return badRequest("invalidValue", "Operations must hold at least one operation")
	}
	if max := a.cfg.BulkMaxOperations; len(br.Operations) > max {
		return &apiError{Status: http.StatusRequestEntityTooLarge, ScimType: scimerrors.ScimTypeTooMany,
			Detail: fmt.Sprintf("The request has %d operations; maxOperations is %d.", len(br.Operations), max)}
	}
	failOnErrors, err := parseFailOnErrors(br.FailOnErrors)
	if err != nil {
		return err
	}
	ops := make([]bulk.Op, len(br.Operations))
	for k, bo := range br.Operations {
		ops[k] = bulk.Op{Method: bo.Method, Path: bo.Path, BulkID: bo.BulkID, Version: bo.Version, Data: bo.Data}
	}
	scopes := reqctx.Scopes(ctx)
	results := a.bulkRunner.Run(ctx, tenantOf(ctx), ops, bulk.RunOptions{
		FailOnErrors: failOnErrors,
		Authorize: func(res bulk.Resource) error {
			need := ScopeUsersManage
			if res == bulk.Groups {
				need = ScopeGroupsManage
			}
			if !slices.Contains(scopes, need) {
				return forbidden("The token lacks the %s scope.", need)
			}
			return nil
		},
	})
	rd := renderer{base: a.baseURL(req) + "/scim/v2"}
	out := bulkResponse{Schemas: []string{bulkResponseURN}, Operations: make([]bulkResult, len(results))}
	for k, r := range results {
		o := &out.Operations[k]
		o.Method, o.BulkID = r.Method, r.BulkID
		if r.ID != "" && (r.Err == nil || r.Method != http.MethodPost) {
			switch r.Resource {
			case bulk.Users:
				o.Location = rd.userLocation(r.ID)
			case bulk.Groups:
				o.Location = rd.groupLocation(r.ID)
			}
		}
		switch {
		case r.NotRun:
			e := scimerrors.ScimError{Status: statusNotRun,
				Detail: fmt.Sprintf("Not run: failOnErrors (%d) was reached before this operation.", failOnErrors)}
			o.Status, o.Response = strconv.Itoa(e.Status), e
		case r.Err != nil:
			e := toScimError(ctx, a.log, r.Err)
			o.Status, o.Response = strconv.Itoa(e.Status), e
		default:
			o.Status = strconv.Itoa(r.Status)
			if r.Version > 0 {
				o.Version = etag(r.Version)
			}
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/scim+json", buf.Bytes())
}

// parseFailOnErrors reads the optional failOnErrors: an integer ≥ 1 (0
// when absent: never stop).
func parseFailOnErrors(raw json.RawMessage) (int, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, badRequest("invalidValue", "failOnErrors must be an integer of at least 1, got %s", s)
	}
	return n, nil
}
