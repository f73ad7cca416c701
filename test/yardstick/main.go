// Command yardstick is a minimal SCIM server on github.com/elimity-com/scim
// with an in-memory store: the reference point of the load benchmarks
// (BenchmarkYardstickLoad in ../load_bench_test.go; see
// ../../../shared/notes/perf-limits.md). It serves /scim/v2/ behind a
// bearer token and /healthz, and logs nothing per request.
//
//	yardstick --addr 127.0.0.1:8080 --token secret
package main

import (
	"context"
	"crypto/subtle"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/elimity-com/scim"
	"github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
	"github.com/google/uuid"
	"github.com/scim2/filter-parser/v2"
)

// store is the ResourceHandler of one resource type: resources by id, ids
// in insertion order (stable paging) and, when key is set (userName), an
// index of the case-folded key attribute, which is unique.
type store struct {
	core schema.Schema
	exts map[string]schema.Schema
	key  string

	mu    sync.RWMutex
	res   map[string]scim.Resource
	order []string
	byKey map[string]string
	ver   uint64
}

func newStore(core schema.Schema, key string, exts ...schema.Schema) *store {
	s := &store{core: core, key: key, exts: map[string]schema.Schema{},
		res: map[string]scim.Resource{}, byKey: map[string]string{}}
	for _, e := range exts {
		s.exts[e.ID] = e
	}
	return s
}

// keyOf returns the case-folded key attribute of attrs.
func (s *store) keyOf(attrs scim.ResourceAttributes) (string, bool) {
	v, ok := attrs[s.key].(string)
	return strings.ToLower(v), ok
}

// out returns a copy of res whose top-level map the server may extend with
// id, schemas and meta (it writes into Resource.Attributes); the stored
// maps are never modified.
func out(res scim.Resource) scim.Resource {
	attrs := make(scim.ResourceAttributes, len(res.Attributes)+3)
	maps.Copy(attrs, res.Attributes)
	res.Attributes = attrs
	return res
}

// put stores attrs as resource id (created when absent) under s.mu.
func (s *store) put(id string, attrs scim.ResourceAttributes, created *time.Time) (scim.Resource, error) {
	old, exists := s.res[id]
	if s.key != "" {
		k, ok := s.keyOf(attrs)
		if !ok {
			return scim.Resource{}, errors.ScimErrorInvalidValue
		}
		if other, taken := s.byKey[k]; taken && other != id {
			return scim.Resource{}, errors.ScimErrorUniqueness
		}
		if exists {
			oldKey, _ := s.keyOf(old.Attributes)
			delete(s.byKey, oldKey)
		}
		s.byKey[k] = id
	}
	if !exists {
		s.order = append(s.order, id)
	}
	now := time.Now()
	if created == nil {
		created = &now
	}
	s.ver++
	res := scim.Resource{ID: id, Attributes: attrs,
		Meta: scim.Meta{Created: created, LastModified: &now, Version: `W/"` + strconv.FormatUint(s.ver, 10) + `"`}}
	s.res[id] = res
	return out(res), nil
}

func (s *store) Create(_ *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.put(uuid.NewString(), attrs, nil)
}

func (s *store) Get(_ *http.Request, id string) (scim.Resource, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	res, ok := s.res[id]
	if !ok {
		return scim.Resource{}, errors.ScimErrorResourceNotFound(id)
	}
	return out(res), nil
}

func (s *store) GetAll(_ *http.Request, p scim.ListRequestParams) (scim.Page, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	page := scim.Page{Resources: []scim.Resource{}}
	add := func(id string) {
		if page.TotalResults++; page.TotalResults >= p.StartIndex && len(page.Resources) < p.Count {
			page.Resources = append(page.Resources, out(s.res[id]))
		}
	}
	switch {
	case p.FilterValidator == nil:
		page.TotalResults = len(s.order)
		lo := min(p.StartIndex-1, len(s.order))
		for _, id := range s.order[lo:min(lo+p.Count, len(s.order))] {
			page.Resources = append(page.Resources, out(s.res[id]))
		}
	case s.isKeyEq(p.FilterValidator.GetFilter()):
		v, _ := p.FilterValidator.GetFilter().(*filter.AttributeExpression).CompareValue.(string)
		if id, ok := s.byKey[strings.ToLower(v)]; ok {
			add(id)
		}
	default:
		for _, id := range s.order {
			if p.FilterValidator.PassesFilter(s.filterView(s.res[id].Attributes)) == nil {
				add(id)
			}
		}
	}
	return page, nil
}

// isKeyEq reports whether e is `<key> eq "value"`, answered by the index.
func (s *store) isKeyEq(e filter.Expression) bool {
	a, ok := e.(*filter.AttributeExpression)
	if !ok || s.key == "" || a.Operator != filter.EQ || a.AttributePath.SubAttribute != nil ||
		!strings.EqualFold(a.AttributePath.AttributeName, s.key) {
		return false
	}
	if uri := a.AttributePath.URI(); uri != "" && uri != s.core.ID {
		return false
	}
	_, isString := a.CompareValue.(string)
	return isString
}

// filterView adds the extension attributes, stored nested under the
// schema URI, as "urn:…:name" keys, where elimity's filter looks for them.
func (s *store) filterView(attrs scim.ResourceAttributes) map[string]interface{} {
	view := attrs
	for uri := range s.exts {
		if ext, ok := attrs[uri].(map[string]interface{}); ok {
			view = maps.Clone(view)
			for k, v := range ext {
				view[uri+":"+k] = v
			}
		}
	}
	return view
}

func (s *store) Replace(_ *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.res[id]
	if !ok {
		return scim.Resource{}, errors.ScimErrorResourceNotFound(id)
	}
	return s.put(id, attrs, old.Meta.Created)
}

func (s *store) Delete(_ *http.Request, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	res, ok := s.res[id]
	if !ok {
		return errors.ScimErrorResourceNotFound(id)
	}
	if s.key != "" {
		k, _ := s.keyOf(res.Attributes)
		delete(s.byKey, k)
	}
	delete(s.res, id)
	s.order = slices.DeleteFunc(s.order, func(x string) bool { return x == id })
	return nil
}

// Patch applies the operations to a copy of the resource (copy on write:
// readers may hold the stored maps) and stores it.
func (s *store) Patch(_ *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.res[id]
	if !ok {
		return scim.Resource{}, errors.ScimErrorResourceNotFound(id)
	}
	attrs := maps.Clone(old.Attributes)
	for _, op := range ops {
		if op.Path != nil {
			if err := s.apply(attrs, op.Op, *op.Path, op.Value); err != nil {
				return scim.Resource{}, err
			}
			continue
		}
		values, _ := op.Value.(map[string]interface{}) // validated: path → value
		for raw, v := range values {
			p, err := filter.ParsePath([]byte(raw))
			if err != nil {
				return scim.Resource{}, errors.ScimErrorInvalidPath
			}
			if err := s.apply(attrs, op.Op, p, v); err != nil {
				return scim.Resource{}, err
			}
		}
	}
	return s.put(id, attrs, old.Meta.Created)
}

// apply applies one add/replace/remove to a simple path: attr, attr.sub,
// urn:…:attr or urn:…:attr.sub. Value filters ("emails[type eq …]") are
// not supported.
func (s *store) apply(attrs map[string]interface{}, op string, p filter.Path, value interface{}) error {
	ap := p.AttributePath
	if p.ValueExpression != nil || p.SubAttribute != nil {
		return errors.ScimErrorInvalidPath
	}
	target, sch := attrs, s.core
	if uri := ap.URI(); uri != "" && uri != s.core.ID {
		if sch = s.exts[uri]; sch.ID == "" {
			return errors.ScimErrorInvalidPath
		}
		target = child(target, uri)
	}
	attr, ok := sch.Attributes.ContainsAttribute(ap.AttributeName)
	name := attr.Name()
	if !ok {
		if !strings.EqualFold(ap.AttributeName, schema.CommonAttributeExternalID) {
			return errors.ScimErrorInvalidPath
		}
		name = schema.CommonAttributeExternalID
	}
	if sub := ap.SubAttributeName(); sub != "" {
		subAttr, ok := attr.SubAttributes().ContainsAttribute(sub)
		if !ok {
			return errors.ScimErrorInvalidPath
		}
		target, name = child(target, name), subAttr.Name()
	}
	switch op {
	case scim.PatchOperationRemove:
		delete(target, name)
	case scim.PatchOperationAdd:
		cur, isList := target[name].([]interface{})
		if more, ok := value.([]interface{}); ok && isList {
			value = append(slices.Clip(cur), more...)
		}
		target[name] = value
	default:
		target[name] = value
	}
	return nil
}

// child replaces the complex attribute m[name] by a copy (a new map when
// absent) and returns it.
func child(m map[string]interface{}, name string) map[string]interface{} {
	c, _ := m[name].(map[string]interface{})
	c = maps.Clone(c)
	if c == nil {
		c = map[string]interface{}{}
	}
	m[name] = c
	return c
}

func main() {
	addr := flag.String("addr", "", "listen address, e.g. 127.0.0.1:8080 (required)")
	token := flag.String("token", "", "bearer token clients must send (required)")
	flag.Parse()
	if *addr == "" || *token == "" {
		fmt.Fprintln(os.Stderr, "yardstick: --addr and --token are required")
		os.Exit(2)
	}
	enterprise := schema.ExtensionEnterpriseUser()
	srv, err := scim.NewServer(&scim.ServerArgs{
		ServiceProviderConfig: &scim.ServiceProviderConfig{SupportFiltering: true, SupportPatch: true, MaxResults: 100},
		ResourceTypes: []scim.ResourceType{
			{ID: optional.NewString("User"), Name: "User", Endpoint: "/Users", Schema: schema.CoreUserSchema(),
				SchemaExtensions: []scim.SchemaExtension{{Schema: enterprise}},
				Handler:          newStore(schema.CoreUserSchema(), "userName", enterprise)},
			{ID: optional.NewString("Group"), Name: "Group", Endpoint: "/Groups", Schema: schema.CoreGroupSchema(),
				Handler: newStore(schema.CoreGroupSchema(), "")},
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "yardstick:", err)
		os.Exit(1)
	}
	want := []byte("Bearer " + *token)
	authed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("Content-Type", "application/scim+json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401","detail":"unauthorized"}`)
			return
		}
		srv.ServeHTTP(w, r)
	})
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim", authed)) // the server wants /v2/…
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	hs := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.ListenAndServe() }()
	select {
	case err := <-errc:
		fmt.Fprintln(os.Stderr, "yardstick:", err)
		os.Exit(1)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	hs.Shutdown(sctx)
}
