package policies

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
)

// A rule's METADATA custom.applies_to lists the resources it judges, so
// that reports can list the (rule, resource) pairs that were evaluated and
// passed (JUnit test cases, PolicyReport pass results) without evaluating
// any rule once per resource. Each entry is a selector followed by
// optional filters, separated by spaces:
//
//	workloads                                    input.k8s.workloads (not owned by another workload)
//	k8s:core/Namespace                           every node of a type (input.by_type)
//	attr:pulumi                                  every node carrying an attr (input.by_attr)
//
//	-builtin        drop Kubernetes' own roles and bindings (rbac builtin) and derived nodes
//	-derived        drop nodes kscan derived (no input declared them)
//	out:<edge>      keep nodes with an outgoing edge of that type (workloads out:runs-image)
//	grants:builtin  keep bindings that grant a built-in role
//
// A rule without applies_to declares nothing: reports list its findings
// only. Findings outside the declared set still count as evaluated.
type selector struct {
	base    string // "workloads", a node type, or "attr:<name>"
	filters []string
}

// parseAppliesTo validates the selectors of one rule.
func parseAppliesTo(entries []string) ([]selector, error) {
	var out []selector
	for _, e := range entries {
		fields := strings.Fields(e)
		if len(fields) == 0 {
			return nil, fmt.Errorf("custom.applies_to has an empty entry")
		}
		s := selector{base: fields[0]}
		switch {
		case s.base == "workloads", strings.HasPrefix(s.base, "attr:") && len(s.base) > len("attr:"):
		case strings.Contains(s.base, ":") && strings.Contains(s.base, "/"), s.base == "registry:Repository", s.base == "registry:Image":
		default:
			return nil, fmt.Errorf("custom.applies_to %q: want workloads, a node type (k8s:core/Service) or attr:<name>", e)
		}
		for _, f := range fields[1:] {
			switch {
			case f == "-builtin", f == "-derived", f == "grants:builtin":
			case strings.HasPrefix(f, "out:") && len(f) > len("out:"):
			default:
				return nil, fmt.Errorf("custom.applies_to %q: unknown filter %q (want -builtin, -derived, out:<edge> or grants:builtin)", e, f)
			}
			s.filters = append(s.filters, f)
		}
		out = append(out, s)
	}
	return out, nil
}

// targetIndex is the Go side of the input that selectors read: built once
// per input on first use, shared by every rule.
type targetIndex struct {
	workloads []*graph.Node
	byType    map[string][]*graph.Node
	byAttr    map[string][]*graph.Node
	edges     []graph.Edge
	mu        sync.Mutex
	out       map[string]map[string][]string // from key -> edge type -> to keys, built on first use
	cache     map[string][]string
}

// Targets returns the ids of the resources a rule judges on this input,
// sorted and unique, and whether the rule declares them at all. Rules with
// the same selectors share one slice: callers must not modify it.
func (in *Input) Targets(r Rule) ([]string, bool) {
	if len(r.appliesTo) == 0 {
		return nil, false
	}
	key := strings.Join(r.AppliesTo, "\x00")
	t := &in.targets
	t.mu.Lock()
	defer t.mu.Unlock()
	if ids, ok := t.cache[key]; ok {
		return ids, true
	}
	if t.cache == nil {
		t.cache = map[string][]string{}
	}
	if t.out == nil && needsEdges(r.appliesTo) {
		t.out = map[string]map[string][]string{}
		for _, e := range t.edges {
			m := t.out[e.From]
			if m == nil {
				m = map[string][]string{}
				t.out[e.From] = m
			}
			m[e.Type] = append(m[e.Type], e.To)
		}
	}
	seen := map[string]bool{}
	var ids []string
	for _, s := range r.appliesTo {
		for _, n := range in.selectBase(s.base) {
			if seen[n.ID] || !in.keep(n, s.filters) {
				continue
			}
			seen[n.ID] = true
			ids = append(ids, n.ID)
		}
	}
	slices.Sort(ids)
	t.cache[key] = ids
	return ids, true
}

func (in *Input) selectBase(base string) []*graph.Node {
	switch {
	case base == "workloads":
		return in.targets.workloads
	case strings.HasPrefix(base, "attr:"):
		return in.targets.byAttr[strings.TrimPrefix(base, "attr:")]
	}
	return in.targets.byType[base]
}

func (in *Input) keep(n *graph.Node, filters []string) bool {
	for _, f := range filters {
		switch {
		case f == "-derived":
			if n.Source.Kind == graph.SourceDerived {
				return false
			}
		case f == "-builtin":
			if isBuiltin(n) {
				return false
			}
		case f == "grants:builtin":
			ok := false
			for _, to := range in.targets.out[n.Key][graph.EdgeGrants] {
				if r, found := in.nodes[to]; found && isBuiltin(r) {
					ok = true
					break
				}
			}
			if !ok {
				return false
			}
		case strings.HasPrefix(f, "out:"):
			if len(in.targets.out[n.Key][strings.TrimPrefix(f, "out:")]) == 0 {
				return false
			}
		}
	}
	return true
}

// isBuiltin is rbac.builtin of policies/lib/rbac.rego: derived, or
// recognised as Kubernetes' own object by the RBAC enricher.
func isBuiltin(n *graph.Node) bool {
	if n.Source.Kind == graph.SourceDerived {
		return true
	}
	attr, _ := n.Attrs["rbac"].(map[string]any)
	b, _ := attr["builtin"].(bool)
	return b
}

func needsEdges(sels []selector) bool {
	for _, s := range sels {
		for _, f := range s.filters {
			if f == "grants:builtin" || strings.HasPrefix(f, "out:") {
				return true
			}
		}
	}
	return false
}

// ObjectRefs describes every Kubernetes object of the graph by id (the
// first node of an id in key order: the one whose source sorts first once
// graph.StableKeys has run, as scan.Collect does), for reports that name
// objects.
func ObjectRefs(g *graph.Graph) map[string]finding.ObjectRef {
	objs := map[string]finding.ObjectRef{}
	for _, n := range g.Nodes() {
		if !graph.IsK8s(n) {
			continue
		}
		if _, dup := objs[n.ID]; dup {
			continue
		}
		kind, ns, name := graph.K8sMeta(n)
		if graph.IsClusterScoped(kind) {
			ns = ""
		}
		apiVersion := graph.APIVersion(n)
		objs[n.ID] = finding.ObjectRef{APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name, UID: n.Source.UID, Location: finding.LocationOf(n.Source)}
	}
	return objs
}

// JudgedTypes gives the node types a rule's findings can be about when its
// applies_to names only node types and excludes derived nodes (-derived,
// or -builtin, which takes them out too): such a rule judges only nodes a
// collector read, of those types. False for any other rule (none declared,
// workloads, attr:, or derived nodes admitted, which enrichers may add
// while reading any object).
func (r Rule) JudgedTypes() ([]string, bool) {
	if len(r.appliesTo) == 0 {
		return nil, false
	}
	var types []string
	for _, s := range r.appliesTo {
		if s.base == "workloads" || strings.HasPrefix(s.base, "attr:") ||
			!(slices.Contains(s.filters, "-derived") || slices.Contains(s.filters, "-builtin")) {
			return nil, false
		}
		types = append(types, s.base)
	}
	return types, true
}

// MayJudge reports whether the rule could judge n by its applies_to: n's
// type and the -derived and -builtin filters. Edge filters (out:,
// grants:builtin) are not checked, so the answer errs towards true. A rule
// without applies_to may judge anything.
func (r Rule) MayJudge(n *graph.Node) bool {
	if len(r.appliesTo) == 0 {
		return true
	}
	for _, s := range r.appliesTo {
		switch {
		case s.base == "workloads", strings.HasPrefix(s.base, "attr:"):
			return true
		case s.base != n.Type:
			continue
		}
		ok := true
		for _, f := range s.filters {
			switch f {
			case "-derived":
				ok = ok && n.Source.Kind != graph.SourceDerived
			case "-builtin":
				ok = ok && !isBuiltin(n)
			}
		}
		if ok {
			return true
		}
	}
	return false
}
