package bulk

// The RFC 7644 §3.7 path of the engine: the operations of a /Bulk request.
//
// A request's operations run in request order, each atomically, with two
// departures that RFC 7644 §3.7 allows ("the service provider MAY elect to
// optimize the sequence of operations … the client's intent is preserved"):
//
//   - Dependencies first. An operation that references "bulkId:x" needs
//     the POST that declares bulkId x to have run. When that POST comes
//     later in the request it is run first (a depth-first walk of the
//     reference graph from each operation in request order), so forward
//     references resolve as backward ones do.
//   - Cycles. POST operations that reference each other (RFC 7644 §3.7.1:
//     two groups that are members of each other) run together in one
//     transaction: every resource is created first and the group members
//     that close the cycle are added after all of them exist. Only group
//     "members" references can be deferred this way; a cycle that still
//     remains without them (e.g. two users each other's manager) fails all
//     its operations with 409 and scimType invalidValue. A cycle's
//     operations succeed or fail together: when one fails, the others fail
//     with invalidValue naming it.
//
// Consecutive POST /Users operations whose references are all resolved
// before they start are batched: one store transaction and one InsertUsers
// call per chunk. Each such operation is still atomic (it is one row), and
// per-item failures of the batch (*store.BatchError) are that operation's
// error. With failOnErrors, a batch whose errors reach the limit before its
// last operation is rolled back and rerun up to the operation that reached
// it, so that nothing after it is applied.
//
// References: a JSON string in an operation's data that is exactly
// "bulkId:<id>" (group members, the enterprise manager, any attribute or
// PATCH value), a quoted "bulkId:<id>" inside a string (a PATCH value
// filter such as members[value eq "bulkId:x"]) and a path "/Users/bulkId:<id>"
// are references to the resource that the POST with that bulkId created,
// and are replaced by its id before the operation runs. A reference to a
// bulkId that no POST of the request declares, or whose POST failed or did
// not run, fails the operation with invalidValue.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"
	elschema "github.com/elimity-com/scim/schema"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/scim/resource"
	"github.com/scimd/scimd/store"
)

// Resource is the resource type an operation addresses.
type Resource uint8

const (
	// NoResource: the operation's path names no known resource type.
	NoResource Resource = iota
	Users
	Groups
)

func (r Resource) String() string {
	switch r {
	case Users:
		return "User"
	case Groups:
		return "Group"
	}
	return "unknown"
}

// Op is one operation of a Bulk request (RFC 7644 §3.7).
type Op struct {
	Method  string // POST, PUT, PATCH or DELETE (any letter case)
	Path    string // "/Users", "/Groups", "/Users/{id}", "/Groups/bulkId:x"
	BulkID  string // required for POST
	Version string // an entity tag list, checked like If-Match
	Data    json.RawMessage
}

// OpResult is the outcome of one operation.
type OpResult struct {
	Method   string // the method, upper-cased
	BulkID   string
	Resource Resource
	// ID is the resource's id: the created one for a successful POST, the
	// addressed one (bulkId resolved) for the other methods when known.
	ID string
	// Version is the resource's version after a successful POST, PUT or
	// PATCH (0 otherwise).
	Version int64
	// Status is the HTTP status of a successful operation: 201 (POST),
	// 200 (PUT, PATCH) or 204 (DELETE); 0 when it failed or did not run.
	Status int
	// Err is why the operation failed: a store sentinel error, a
	// *resource.Error, an elimity errors.ScimError or a context error.
	Err error
	// NotRun: the operation was not attempted because failOnErrors was
	// reached first.
	NotRun bool
}

// RunOptions configure Run.
type RunOptions struct {
	// FailOnErrors stops the run once this many operations have failed;
	// 0 runs every operation.
	FailOnErrors int
	// Authorize returns an error (e.g. 403) when the caller may not write
	// resources of type res; nil allows everything.
	Authorize func(res Resource) error
	// BatchSize is the number of POST /Users per InsertUsers call and
	// transaction; 0 is DefaultChunkSize.
	BatchSize int
}

// Runner runs RFC 7644 Bulk operations with an Engine. It holds the
// validation schemas converted once; it is safe for concurrent use.
type Runner struct {
	e      *Engine
	users  *kind
	groups *kind
	// Precheck, when set, runs on the data of every POST and PUT before
	// the schema validation, as the HTTP endpoints run their own checks
	// before elimity's (the HTTP layer sets it so that /Bulk refuses what
	// the endpoints refuse). data is the operation's data as sent (bulkId
	// references not yet replaced). Set it before the first Run.
	Precheck func(rt *schemas.ResourceType, data []byte) error
}

// kind is what a Runner needs per resource type.
type kind struct {
	res      Resource
	rt       *schemas.ResourceType
	endpoint string // e.g. "Users" (no slash)
	core     elschema.Schema
	exts     []extSchema
	patch    *resource.PatchDecoder
}

type extSchema struct {
	schema   elschema.Schema
	required bool
}

// NewRunner prepares a Runner for e (e.Reg and e.Svc must be set).
func NewRunner(e *Engine) *Runner {
	return &Runner{e: e, users: newKind(Users, e.Reg.Users), groups: newKind(Groups, e.Reg.Groups)}
}

func newKind(res Resource, rt *schemas.ResourceType) *kind {
	k := &kind{res: res, rt: rt, endpoint: strings.Trim(rt.Endpoint, "/"), patch: resource.NewPatchDecoder(rt)}
	// As elimity's ResourceType.schemaWithCommon: the core schema plus
	// the common attribute externalId.
	k.core = rt.Schema.Elimity()
	k.core.Attributes = append(slices.Clip(k.core.Attributes), elschema.SimpleCoreAttribute(
		elschema.SimpleStringParams(elschema.StringParams{
			CaseExact:  true,
			Mutability: elschema.AttributeMutabilityReadWrite(),
			Name:       elschema.CommonAttributeExternalID,
			Uniqueness: elschema.AttributeUniquenessNone(),
		})))
	for _, ext := range rt.Extensions {
		k.exts = append(k.exts, extSchema{schema: ext.Schema.Elimity(), required: ext.Required})
	}
	return k
}

// validate checks a POST or PUT body exactly as the HTTP endpoints do
// (elimity's ResourceType.validate): the core schema with externalId,
// then each extension present under its URN. It returns the attributes
// with canonical names.
func (k *kind) validate(data any) (map[string]any, error) {
	m, ok := data.(map[string]any)
	if !ok {
		return nil, scimerrors.ScimErrorInvalidSyntax
	}
	attrs, serr := k.core.Validate(m)
	if serr != nil {
		return nil, *serr
	}
	for _, ext := range k.exts {
		field := m[ext.schema.ID]
		if field == nil {
			if ext.required {
				return nil, scimerrors.ScimErrorInvalidValue
			}
			continue
		}
		ea, serr := ext.schema.Validate(field)
		if serr != nil {
			return nil, *serr
		}
		attrs[ext.schema.ID] = ea
	}
	return attrs, nil
}

// Run applies ops for tenantID and returns one result per operation, in
// request order. Failures are per operation; Run itself does not fail.
func (r *Runner) Run(ctx context.Context, tenantID int64, ops []Op, opts RunOptions) []OpResult {
	x := &run{r: r, ctx: ctx, tenant: tenantID, opts: opts, ops: ops}
	if x.opts.BatchSize <= 0 {
		x.opts.BatchSize = DefaultChunkSize
	}
	x.plan()
	x.execute(x.schedule())
	for i := range x.res {
		if x.state[i] == pending {
			x.res[i].NotRun = true
		}
	}
	return x.res
}

type opState uint8

const (
	pending opState = iota
	succeeded
	failedOp
)

// run is the state of one Run call.
type run struct {
	r      *Runner
	ctx    context.Context
	tenant int64
	opts   RunOptions
	ops    []Op
	plans  []plan
	defs   map[string]int // bulkId -> index of the POST that declares it
	res    []OpResult
	state  []opState
	errs   int
}

// stopped reports whether failOnErrors has been reached.
func (x *run) stopped() bool {
	return x.opts.FailOnErrors > 0 && x.errs >= x.opts.FailOnErrors
}

func (x *run) fail(i int, err error) {
	x.res[i].Err = err
	x.res[i].Status = 0
	x.state[i] = failedOp
	x.errs++
}

func (x *run) succeed(i int, status int, id string, version int64) {
	x.res[i].Status, x.res[i].ID, x.res[i].Version = status, id, version
	x.state[i] = succeeded
}

// execute runs the schedule's units, batching runs of POST /Users.
func (x *run) execute(units [][]int) {
	for u := 0; u < len(units); {
		if x.stopped() {
			return
		}
		if err := x.ctx.Err(); err != nil {
			for _, unit := range units[u:] {
				for _, i := range unit {
					x.fail(i, err)
				}
			}
			return
		}
		unit := units[u]
		if len(unit) == 1 && x.batchable(unit[0]) {
			batch := []int{unit[0]}
			for u++; u < len(units) && len(batch) < x.opts.BatchSize; u++ {
				next := units[u]
				if len(next) != 1 || !x.batchable(next[0]) {
					break
				}
				batch = append(batch, next[0])
			}
			x.postUsers(batch)
			continue
		}
		if len(unit) == 1 && !x.plans[unit[0]].selfRef {
			x.runOne(unit[0])
		} else {
			x.runCycle(unit)
		}
		u++
	}
}

// batchable reports whether operation i is a POST /Users whose
// references have all been settled (so it can join a batch).
func (x *run) batchable(i int) bool {
	p := &x.plans[i]
	if p.err != nil || p.method != http.MethodPost || p.kind == nil || p.kind.res != Users || p.selfRef {
		return false
	}
	for _, d := range p.deps {
		if x.state[d] == pending {
			return false
		}
	}
	return true
}

func (x *run) authorize(p *plan) error {
	if x.opts.Authorize == nil {
		return nil
	}
	return x.opts.Authorize(p.kind.res)
}

// single unwraps the error of a one-item batch.
func single(err error) error {
	if errs := store.ItemErrors(err); errs != nil {
		for _, e := range errs {
			return e
		}
	}
	return err
}

// errNotFound is the 404 of an operation whose resource does not exist,
// worded as the HTTP endpoints word it.
func errNotFound(k *kind, id string) error {
	return scimerrors.ScimError{Status: http.StatusNotFound, Detail: fmt.Sprintf("%s %s not found.", k.res, id)}
}

// errCycle fails the operations of a reference cycle that cannot be
// resolved (RFC 7644 §3.7.1 allows 409).
func errCycle(ops []int) error {
	nums := make([]string, len(ops))
	for k, i := range ops {
		nums[k] = fmt.Sprint(i + 1)
	}
	return scimerrors.ScimError{Status: http.StatusConflict, ScimType: scimerrors.ScimTypeInvalidValue,
		Detail: fmt.Sprintf("operations %s reference each other through bulkId in a cycle that cannot be resolved (only group members can close a cycle)", strings.Join(nums, ", "))}
}

var errShrink = errors.New("bulk: rerun a shorter batch")
