// Package incremental keeps the answer of kscan query --watch and kscan
// scan --watch current without re-evaluating the whole cluster on every
// change. Almost everything kscan derives is namespace-local (a Service
// selects the pods of its namespace, a pod mounts and runs as objects of
// its namespace, Pod Security is judged per workload against its
// Namespace) or goes through cluster-scoped objects, which are few. So a
// change of an object of namespace N is answered from a small graph, the
// objects of N (and of the namespaces coupled to N by a cross-namespace
// reference, see kube.Watcher.Couplings) plus the cluster-scoped objects,
// evaluated with the same pipeline (enrichers, Rego input, the compiled
// rules or query); only the rows about those namespaces are replaced.
//
// Which rows may be kept is declared, never guessed: a rule's or named
// query's METADATA custom.watch (policies.Watch). A change of a
// cluster-scoped object, a resync, an answer with an undeclared part (an
// ad-hoc expression, a --policy rule without custom.watch) or a row that
// cannot be attributed to an object of the cluster takes the full path: the
// whole graph, as before. The full path is always right; the partial one
// gives the same rows (internal/incremental's oracle test checks it over
// random sequences of changes).
package incremental

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/kscan-io/kscan/collectors/kube"
	"github.com/kscan-io/kscan/graph"
)

// Source gives graphs of a live cluster's current state (kube.Watcher).
type Source interface {
	Graph() *graph.Graph
	GraphOf(namespaces map[string]bool) *graph.Graph
	Couplings() [][2]string
}

// Spec is one answer kept current.
type Spec struct {
	// Eval answers on g. With partial, g is the graph of some namespaces
	// (Source.GraphOf) and only the namespace-local part must be answered:
	// other rows are ignored.
	Eval func(ctx context.Context, g *graph.Graph, partial bool) ([]map[string]any, error)
	// Object gives the id of the object a row is about when the row is
	// namespace-local (policies.Watch.Namespace); local is false for rows
	// a namespaced change cannot touch (kept as they are).
	Object func(row map[string]any) (id string, local bool)
	// Full reports whether a change of an object of the node type typ
	// needs the full path (a part of the answer depends on all objects of
	// that type, policies.Watch.Types). Nil: never.
	Full func(typ string) bool
	// Why, when set, is why every change takes the full path (an ad-hoc
	// expression, an undeclared rule).
	Why string
	// Now, when set, is asked before each change: a reason it gives sends
	// the change down the full path (a rule that was right to skip until
	// the last full evaluation found something for it).
	Now func() string
	// Local says the answer has a namespace-local part; without one a
	// namespaced change that no Full type covers changes nothing and is
	// not evaluated.
	Local bool
}

// Update is what one evaluation changed.
type Update struct {
	// Added and Removed are the rows that appeared and disappeared, by key
	// (a row's JSON), keys sorted.
	Added, Removed map[string]map[string]any
	// Full is set when the whole cluster was evaluated, with the reason.
	Full   bool
	Reason string
	// Namespaces is how many namespaces a partial evaluation covered;
	// Objects the nodes of the graph evaluated.
	Namespaces, Objects int
	// GraphTime is the time to build the graph, EvalTime the facts and
	// evaluation and the diff.
	GraphTime, EvalTime time.Duration
}

// Keys lists m's keys, sorted.
func Keys(m map[string]map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Evaluator keeps the rows of one Spec over a Source.
type Evaluator struct {
	spec Spec
	src  Source
	rows map[string]map[string]any
	// byNS holds the keys of the namespace-local rows by the namespace of
	// their object ("" for a cluster-scoped object other than a Namespace).
	byNS map[string]map[string]bool
	// groups are the namespaces' couplings at the last evaluation: rows of
	// one namespace may depend on every namespace of its group.
	groups *groups
	// sticky, when set, sends every later change down the full path: a
	// row could not be attributed (its declaration does not hold).
	sticky string
	done   bool
}

// New returns an Evaluator; call Full first.
func New(src Source, spec Spec) *Evaluator {
	return &Evaluator{spec: spec, src: src, rows: map[string]map[string]any{}, byNS: map[string]map[string]bool{}}
}

// Rows are the current rows by key.
func (e *Evaluator) Rows() map[string]map[string]any { return e.rows }

// Full evaluates the whole cluster (the first answer, a resync, and every
// change the partial path cannot take).
func (e *Evaluator) Full(ctx context.Context, reason string) (*Update, error) {
	start := time.Now()
	g := e.src.Graph()
	built := time.Since(start)
	rows, err := e.spec.Eval(ctx, g, false)
	if err != nil {
		return nil, err
	}
	cur := make(map[string]map[string]any, len(rows))
	byNS := map[string]map[string]bool{}
	for _, r := range rows {
		k := key(r)
		cur[k] = r
		if ns, local, ok := e.attribute(g, r); local && ok {
			add(byNS, ns, k)
		}
	}
	u := diff(e.rows, cur)
	e.rows, e.byNS = cur, byNS
	e.groups = newGroups(e.src.Couplings())
	e.done = true
	u.Full, u.Reason, u.Objects = true, reason, g.Len()
	u.GraphTime, u.EvalTime = built, time.Since(start)-built
	return u, nil
}

// Apply re-evaluates after changes: the namespaces they touched when every
// part of the answer allows it, else the whole cluster.
func (e *Evaluator) Apply(ctx context.Context, changes []kube.Change) (*Update, error) {
	if why := e.fullReason(changes); why != "" {
		return e.Full(ctx, why)
	}
	if !e.spec.Local {
		return &Update{Added: map[string]map[string]any{}, Removed: map[string]map[string]any{}}, nil
	}
	start := time.Now()
	dirty := map[string]bool{}
	for _, c := range changes {
		dirty[c.Namespace] = true
	}
	next := newGroups(e.src.Couplings())
	// Rows of a namespace coupled to a changed one before or after the
	// change may change; evaluating them needs every namespace they are
	// coupled to now (the closure under the new couplings, which takes in
	// those coupled after the change).
	affected := next.closure(union(e.groups.closure(dirty), dirty))
	g := e.src.GraphOf(affected)
	built := time.Since(start)
	rows, err := e.spec.Eval(ctx, g, true)
	if err != nil {
		return nil, err
	}
	fresh := map[string]map[string]any{}
	freshNS := map[string]map[string]bool{}
	for _, r := range rows {
		ns, local, ok := e.attribute(g, r)
		if !local {
			continue
		}
		if !ok {
			return e.Full(ctx, e.sticky)
		}
		if ns == "" || !affected[ns] {
			// About another namespace or a cluster-scoped object: only
			// right in a full evaluation.
			continue
		}
		k := key(r)
		fresh[k] = r
		add(freshNS, ns, k)
	}
	old := map[string]map[string]any{}
	for ns := range affected {
		for k := range e.byNS[ns] {
			old[k] = e.rows[k]
		}
	}
	u := diff(old, fresh)
	for k := range u.Removed {
		delete(e.rows, k)
	}
	for k, r := range u.Added {
		e.rows[k] = r
	}
	for ns := range affected {
		if freshNS[ns] == nil {
			delete(e.byNS, ns)
		} else {
			e.byNS[ns] = freshNS[ns]
		}
	}
	e.groups = next
	u.Namespaces, u.Objects = len(affected), g.Len()
	u.GraphTime, u.EvalTime = built, time.Since(start)-built
	return u, nil
}

// attribute gives the namespace the row r of an evaluation of g belongs to
// (namespaceOf its object); local is false for a row a namespaced change
// cannot touch. ok is false when the row is about no node of g: the
// declaration does not hold, and every later change takes the full path.
func (e *Evaluator) attribute(g *graph.Graph, r map[string]any) (ns string, local, ok bool) {
	id, local := e.spec.Object(r)
	if !local {
		return "", false, true
	}
	if ns, ok = namespaceOf(g, id); !ok {
		e.sticky = fmt.Sprintf("a row is about %q, not a node of the graph", id)
	}
	return ns, true, ok
}

// fullReason says why changes need the full path ("" when they do not).
func (e *Evaluator) fullReason(changes []kube.Change) string {
	switch {
	case !e.done:
		return "first evaluation"
	case e.spec.Why != "":
		return e.spec.Why
	case e.sticky != "":
		return e.sticky
	}
	if e.spec.Now != nil {
		if why := e.spec.Now(); why != "" {
			return why
		}
	}
	for _, c := range changes {
		switch {
		case c.Unknown:
			return "an object of unknown state was deleted"
		case c.Resync:
			return "resync"
		case c.Namespace == "":
			return "a cluster-scoped " + c.Type + " changed"
		case e.spec.Full != nil && e.spec.Full(c.Type):
			return "a " + c.Type + " changed and part of the answer depends on all of them"
		}
	}
	return ""
}

// namespaceOf gives the namespace an object's rows belong to: its own, the
// name of a Namespace, "" for any other node (a cluster-scoped object, or
// one of IAM, a registry or Pulumi, never namespaced); false when id is not
// a node of g.
func namespaceOf(g *graph.Graph, id string) (string, bool) {
	n, ok := g.Node(id)
	if !ok {
		return "", false
	}
	if !graph.IsK8s(n) {
		return "", true
	}
	kind, ns, name := graph.K8sMeta(n)
	if n.Type == "k8s:core/Namespace" && kind == "Namespace" {
		return name, true
	}
	return ns, true
}

func key(r map[string]any) string {
	b, _ := json.Marshal(r) // map keys sorted: one row, one string
	return string(b)
}

func add(m map[string]map[string]bool, ns, k string) {
	if m[ns] == nil {
		m[ns] = map[string]bool{}
	}
	m[ns][k] = true
}

func union(a, b map[string]bool) map[string]bool {
	out := make(map[string]bool, len(a)+len(b))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// diff: the rows of cur missing from prev (added) and of prev missing from
// cur (removed).
func diff(prev, cur map[string]map[string]any) *Update {
	u := &Update{Added: map[string]map[string]any{}, Removed: map[string]map[string]any{}}
	for k, r := range cur {
		if _, ok := prev[k]; !ok {
			u.Added[k] = r
		}
	}
	for k, r := range prev {
		if _, ok := cur[k]; !ok {
			u.Removed[k] = r
		}
	}
	return u
}

// groups partitions namespaces by couplings (union-find): a namespace in
// no coupling is a group of its own.
type groups struct {
	parent  map[string]string
	members map[string][]string // by root
}

func newGroups(pairs [][2]string) *groups {
	g := &groups{parent: map[string]string{}, members: map[string][]string{}}
	for _, p := range pairs {
		a, b := g.find(p[0]), g.find(p[1])
		if a != b {
			g.parent[a] = b
		}
	}
	for ns := range g.parent {
		r := g.find(ns)
		g.members[r] = append(g.members[r], ns)
	}
	return g
}

func (g *groups) find(ns string) string {
	p, ok := g.parent[ns]
	if !ok {
		g.parent[ns] = ns
		return ns
	}
	if p == ns {
		return ns
	}
	r := g.find(p)
	g.parent[ns] = r
	return r
}

// closure is the set of every namespace in the group of one of nss.
func (g *groups) closure(nss map[string]bool) map[string]bool {
	out := map[string]bool{}
	for ns := range nss {
		out[ns] = true
		if _, ok := g.parent[ns]; !ok {
			continue
		}
		for _, m := range g.members[g.find(ns)] {
			out[m] = true
		}
	}
	return out
}
