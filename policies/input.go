package policies

import (
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kscan-io/kscan/graph"
)

// Input is the graph as Rego sees it, converted to ast once per scan. See
// docs/policy-input.md for the shape.
type Input struct {
	Value ast.Value
	// keys maps a node key back to its node for turning results into findings.
	nodes map[string]*graph.Node
	// targets indexes the nodes for rules' applies_to (see targets.go).
	targets targetIndex
}

// Node returns the graph node behind a key found in a rule result.
func (in *Input) Node(key string) (*graph.Node, bool) {
	n, ok := in.nodes[key]
	return n, ok
}

// Facts are extra, precomputed data that packages outside policies (RBAC
// effective permissions, IAM evaluation, registry lookups) hand to Rego under
// input.facts.<name>; package enrich derives them.
type Facts = graph.Facts

// Field names of the input's objects: one term each, shared by every node.
var (
	termKey            = ast.StringTerm("key")
	termID             = ast.StringTerm("id")
	termType           = ast.StringTerm("type")
	termObject         = ast.StringTerm("object")
	termSource         = ast.StringTerm("source")
	termKind           = ast.StringTerm("kind")
	termNamespace      = ast.StringTerm("namespace")
	termName           = ast.StringTerm("name")
	termAttrs          = ast.StringTerm("attrs")
	termFile           = ast.StringTerm("file")
	termLine           = ast.StringTerm("line")
	termCluster        = ast.StringTerm("cluster")
	termPath           = ast.StringTerm("path")
	termURN            = ast.StringTerm("urn")
	termList           = ast.StringTerm("list")
	termIndex          = ast.StringTerm("index")
	termImageRef       = ast.StringTerm("image_ref")
	termResolvedDigest = ast.StringTerm("resolved_digest")
	termRaw            = ast.StringTerm("raw")
	termRegistry       = ast.StringTerm("registry")
	termRepository     = ast.StringTerm("repository")
	termTag            = ast.StringTerm("tag")
	termDigest         = ast.StringTerm("digest")
	termLongRunning    = ast.StringTerm("long_running")
	termPodMeta        = ast.StringTerm("pod_meta")
	termPodSpec        = ast.StringTerm("pod_spec")
	termSpecPath       = ast.StringTerm("spec_path")
	termServiceAccount = ast.StringTerm("service_account")
	termLabels         = ast.StringTerm("labels")
	termContainers     = ast.StringTerm("containers")
)

// BuildInput converts a frozen graph to the Rego input. Each object is
// converted to ast exactly once; derived views (workloads, containers) and
// repeated values (keys, types, namespaces, identical edge lists) share
// terms instead of copying them: the input is the largest structure of a big
// scan.
func BuildInput(g *graph.Graph, facts Facts) (*Input, error) {
	return buildInput(g, facts, nil, false)
}

// BuildInputWhile is BuildInput with the facts of derive, which runs while
// the objects of the nodes collected so far are converted to Rego values:
// derive (the enrichers) adds nodes, edges and attrs but never changes an
// object it was given (TestEnrichKeepsObjects in package scan holds it to
// that).
func BuildInputWhile(g *graph.Graph, derive func() Facts) (*Input, error) {
	early := g.Nodes()
	var pre map[*graph.Node]ast.Value
	var preErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		pre, preErr = convertObjects(early)
	}()
	facts := derive()
	<-done
	if preErr != nil {
		return nil, preErr
	}
	return buildInput(g, facts, pre, false)
}

// BuildInputSlim is BuildInputWhile for a caller that reads no more of the
// Kubernetes objects afterwards than graph.Slim keeps: derive runs
// first, then each object is converted and, at once, replaced by its slim
// form, so the parsed documents are freed while their Rego values are
// built instead of both being held at the end (the peak of a large scan).
// Objects are kept whole when an overlay's patches changed one (the
// patch-location post-processor evaluates them again).
func BuildInputSlim(g *graph.Graph, derive func() Facts) (*Input, error) {
	facts := derive()
	slim := true
	for _, n := range g.Nodes() {
		if n.Overlay != nil {
			slim = false
			break
		}
	}
	return buildInput(g, facts, nil, slim)
}

// convertObjects converts the objects of nodes on every processor.
func convertObjects(nodes []*graph.Node) (map[*graph.Node]ast.Value, error) {
	vals := make([]ast.Value, len(nodes))
	err := forChunks(len(nodes), func(lo, hi int, strs *interner) error {
		for i := lo; i < hi; i++ {
			v, err := strs.value(nodes[i].Object)
			if err != nil {
				return fmt.Errorf("node %s: %w", nodes[i].ID, err)
			}
			vals[i] = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make(map[*graph.Node]ast.Value, len(nodes))
	for i, n := range nodes {
		out[n] = vals[i]
	}
	return out, nil
}

// forChunks runs f over contiguous runs of [0, n) on every processor, each
// with its own interner. Neighbours in key order are alike (one namespace,
// one application), so each interner shares what they have in common.
func forChunks(n int, f func(lo, hi int, strs *interner) error) error {
	workers := runtime.GOMAXPROCS(0)
	if n < 512 {
		workers = 1 // not worth a goroutine (the Pulumi analyzer's one resource)
	}
	chunk := (n + workers - 1) / workers
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = f(lo, hi, &interner{})
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func buildInput(g *graph.Graph, facts Facts, pre map[*graph.Node]ast.Value, slim bool) (*Input, error) {
	nodes := g.Nodes()
	in := &Input{nodes: make(map[string]*graph.Node, len(nodes))}
	keys := make(map[string]*ast.Term, len(nodes))
	keyTerms := make([]*ast.Term, len(nodes))
	for i, n := range nodes {
		keyTerms[i] = ast.StringTerm(n.Key)
		keys[n.Key] = keyTerms[i]
	}
	// The edge maps need only the keys: build them beside the conversion.
	in.targets.edges = g.Edges()
	var out, inn *ast.Term
	edgesDone := make(chan struct{})
	go func() {
		defer close(edgesDone)
		out, inn = edgeMaps(in.targets.edges, keys)
	}()
	converted, err := convertNodes(nodes, keyTerms, pre, newWorkloadIndex(nodes), slim)
	<-edgesDone
	if err != nil {
		return nil, err
	}
	nodeObjs := make([][2]*ast.Term, len(nodes))
	byType := map[string][]*ast.Term{}
	byAttr := map[string][]*ast.Term{}
	in.targets.byType = map[string][]*graph.Node{}
	in.targets.byAttr = map[string][]*graph.Node{}
	var workloads []*ast.Term
	for i, n := range nodes {
		c := converted[i]
		in.nodes[n.Key] = n
		nodeObjs[i] = [2]*ast.Term{c.key, c.node}
		byType[n.Type] = append(byType[n.Type], c.key)
		in.targets.byType[n.Type] = append(in.targets.byType[n.Type], n)
		for a := range n.Attrs {
			byAttr[a] = append(byAttr[a], c.key)
			in.targets.byAttr[a] = append(in.targets.byAttr[a], n)
		}
		if c.workload != nil {
			workloads = append(workloads, c.workload)
			in.targets.workloads = append(in.targets.workloads, n)
		}
	}
	strs := &interner{}
	factsTerm := ast.NewObject()
	for _, k := range slices.Sorted(maps.Keys(facts)) {
		v, err := strs.value(facts[k])
		if err != nil {
			return nil, fmt.Errorf("facts %s: %w", k, err)
		}
		factsTerm.Insert(ast.StringTerm(k), ast.NewTerm(v))
	}

	in.Value = ast.NewObject(
		ast.Item(ast.StringTerm("nodes"), ast.ObjectTerm(nodeObjs...)),
		ast.Item(ast.StringTerm("by_type"), listMap(byType)),
		ast.Item(ast.StringTerm("by_attr"), listMap(byAttr)),
		ast.Item(ast.StringTerm("out"), out),
		ast.Item(ast.StringTerm("in"), inn),
		ast.Item(ast.StringTerm("k8s"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("workloads"), ast.ArrayTerm(workloads...)),
		)),
		ast.Item(ast.StringTerm("facts"), ast.NewTerm(factsTerm)),
	)
	return in, nil
}

// nodeTerms is one node as Rego sees it: its key, its object converted, the
// whole node value (key, id, type, object, source, kind, namespace, name,
// attrs) and its entry in input.k8s.workloads, if it has one.
type nodeTerms struct {
	key      *ast.Term
	object   ast.Value
	node     *ast.Term
	workload *ast.Term
}

// convertNodes converts every node to Rego values, with its workload entry,
// in parallel: it is the largest cost of building the input. Objects
// already converted (pre) are reused. With slim, each Kubernetes object is
// replaced by its graph.Slim once converted.
func convertNodes(nodes []*graph.Node, keys []*ast.Term, pre map[*graph.Node]ast.Value, wl workloadIndex, slim bool) ([]nodeTerms, error) {
	out := make([]nodeTerms, len(nodes))
	err := forChunks(len(nodes), func(lo, hi int, strs *interner) error {
		for i := lo; i < hi; i++ {
			n := nodes[i]
			t, err := nodeTerm(n, keys[i], pre[n], strs)
			if err != nil {
				return fmt.Errorf("node %s: %w", n.ID, err)
			}
			t.workload = wl.term(n, t.object, strs)
			if slim && graph.IsK8s(n) {
				n.Slim, n.Object = graph.SlimOf(n.Object), nil
			}
			out[i] = t
		}
		return nil
	})
	return out, err
}

// nodeTerm converts one node; key is its key's term, obj its object already
// converted, or nil.
func nodeTerm(n *graph.Node, key *ast.Term, obj ast.Value, strs *interner) (nodeTerms, error) {
	if obj == nil {
		var err error
		if obj, err = strs.value(n.Object); err != nil {
			return nodeTerms{}, err
		}
	}
	id := key
	if n.ID != n.Key {
		id = ast.StringTerm(n.ID)
	}
	fields := make([][2]*ast.Term, 0, 9)
	fields = append(fields,
		[2]*ast.Term{termKey, key},
		[2]*ast.Term{termID, id},
		[2]*ast.Term{termType, strs.str(n.Type)},
		[2]*ast.Term{termObject, ast.NewTerm(obj)},
		[2]*ast.Term{termSource, sourceTerm(n.Source, strs)},
	)
	if graph.IsK8s(n) {
		kind, ns, name := graph.K8sMeta(n)
		fields = append(fields,
			[2]*ast.Term{termKind, strs.str(kind)},
			[2]*ast.Term{termNamespace, strs.str(ns)},
			[2]*ast.Term{termName, ast.StringTerm(name)})
	}
	if len(n.Attrs) > 0 {
		attrs, err := strs.value(n.Attrs)
		if err != nil {
			return nodeTerms{}, fmt.Errorf("attrs: %w", err)
		}
		fields = append(fields, [2]*ast.Term{termAttrs, ast.NewTerm(attrs)})
	}
	return nodeTerms{key: key, object: obj, node: ast.ObjectTerm(fields...)}, nil
}

// sourceTerm is a graph.Source as Rego sees it: its JSON form (empty fields
// left out, kind always present).
func sourceTerm(s graph.Source, strs *interner) *ast.Term {
	fields := make([][2]*ast.Term, 0, 3)
	fields = append(fields, [2]*ast.Term{termKind, strs.str(string(s.Kind))})
	if s.File != "" {
		fields = append(fields, [2]*ast.Term{termFile, strs.str(s.File)})
	}
	if s.Line != 0 {
		fields = append(fields, [2]*ast.Term{termLine, ast.IntNumberTerm(s.Line)})
	}
	if s.Cluster != "" {
		fields = append(fields, [2]*ast.Term{termCluster, strs.str(s.Cluster)})
	}
	if s.Path != "" {
		fields = append(fields, [2]*ast.Term{termPath, ast.StringTerm(s.Path)})
	}
	if s.URN != "" {
		fields = append(fields, [2]*ast.Term{termURN, ast.StringTerm(s.URN)})
	}
	return ast.ObjectTerm(fields...)
}

// imageRefTerm is a graph.ImageRef as Rego sees it (its JSON form).
func imageRefTerm(r graph.ImageRef, strs *interner) *ast.Term {
	fields := [][2]*ast.Term{
		{termRaw, strs.str(r.Raw)},
		{termRegistry, strs.str(r.Registry)},
		{termRepository, strs.str(r.Repository)},
		{termTag, strs.str(r.Tag)},
	}
	if r.Digest != "" {
		fields = append(fields, [2]*ast.Term{termDigest, strs.str(r.Digest)})
	}
	return ast.ObjectTerm(fields...)
}

// edgeMaps builds input.out (from -> type -> [to]) and input.in (to -> type
// -> [from]) from edges sorted by (from, type, to). Nodes with the same
// edges (every object of a namespace has just its in-namespace edge) share
// one value.
func edgeMaps(edges []graph.Edge, keys map[string]*ast.Term) (out, in *ast.Term) {
	term := func(k string) *ast.Term {
		if t, ok := keys[k]; ok {
			return t
		}
		t := ast.StringTerm(k)
		keys[k] = t
		return t
	}
	shared := map[string]*ast.Term{}
	types := &interner{} // its own: buildWorkloads uses the other one meanwhile
	// build groups runs of (node, type, other) triples sorted by node, type
	// and other into node -> {type: [other]}.
	build := func(n int, at func(i int) (node, typ, other string)) *ast.Term {
		var items [][2]*ast.Term
		var sig []byte
		for i := 0; i < n; {
			node, _, _ := at(i)
			j := i
			sig = sig[:0]
			for ; j < n; j++ {
				nj, typ, other := at(j)
				if nj != node {
					break
				}
				sig = append(append(append(append(sig, typ...), 0), other...), 1)
			}
			v, ok := shared[string(sig)]
			if !ok {
				var typeItems [][2]*ast.Term
				for k := i; k < j; {
					_, typ, _ := at(k)
					var ends []*ast.Term
					for ; k < j; k++ {
						_, t, other := at(k)
						if t != typ {
							break
						}
						ends = append(ends, term(other))
					}
					typeItems = append(typeItems, [2]*ast.Term{types.str(typ), ast.ArrayTerm(ends...)})
				}
				v = ast.ObjectTerm(typeItems...)
				shared[string(sig)] = v
			}
			items = append(items, [2]*ast.Term{term(node), v})
			i = j
		}
		return ast.ObjectTerm(items...)
	}
	out = build(len(edges), func(i int) (string, string, string) { return edges[i].From, edges[i].Type, edges[i].To })
	rev := slices.Clone(edges)
	slices.SortFunc(rev, func(a, b graph.Edge) int {
		if c := strings.Compare(a.To, b.To); c != 0 {
			return c
		}
		if c := strings.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return strings.Compare(a.From, b.From)
	})
	in = build(len(rev), func(i int) (string, string, string) { return rev[i].To, rev[i].Type, rev[i].From })
	return out, in
}

var longRunning = map[string]bool{"Deployment": true, "StatefulSet": true, "DaemonSet": true, "ReplicaSet": true, "ReplicationController": true}

// controllerKey names a workload for the ownership test.
type controllerKey struct{ cluster, ns, kind, name string }

// workloadIndex is what deciding a node's workload entry needs of the
// whole graph: the controllers present (their ReplicaSets and Pods are
// theirs, not workloads of their own) and the digests registries resolved.
type workloadIndex struct {
	present  map[controllerKey]bool
	resolved map[string]string
}

func newWorkloadIndex(nodes []*graph.Node) workloadIndex {
	present := map[controllerKey]bool{}
	for _, n := range nodes {
		if graph.IsK8s(n) {
			kind, ns, name := graph.K8sMeta(n)
			if graph.WorkloadKinds[kind] {
				present[controllerKey{n.Source.Cluster, ns, kind, name}] = true
			}
		}
	}
	return workloadIndex{present: present, resolved: graph.ResolvedImageDigests(nodes)}
}

// term is n's entry in input.k8s.workloads, or nil: every object that
// carries a pod spec is one, except those a controller in the graph owns
// (a Deployment's ReplicaSets and Pods): their findings belong to the
// owner. obj is n's object as ast.
func (wl workloadIndex) term(n *graph.Node, obj ast.Value, strs *interner) *ast.Term {
	if !graph.IsK8s(n) {
		return nil
	}
	kind, ns, name := graph.K8sMeta(n)
	if !graph.WorkloadKinds[kind] {
		return nil
	}
	meta, spec, path := graph.PodTemplate(n.Object)
	if spec == nil {
		return nil
	}
	if ownedByPresentController(n, ns, wl.present) {
		return nil
	}
	specAST := findPath(obj, path)
	metaAST := findPath(obj, path[:len(path)-len("spec")]+"metadata")
	if kind == "Pod" {
		metaAST = findPath(obj, "metadata")
	}
	var containers []*ast.Term
	for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
		cs, _ := spec[list].([]any)
		csAST, _ := findPath(specAST, list).(*ast.Array)
		for i, c := range cs {
			cm, _ := c.(map[string]any)
			if cm == nil || csAST == nil || i >= csAST.Len() {
				continue
			}
			cobj, ok := csAST.Elem(i).Value.(ast.Object)
			if !ok {
				continue
			}
			image, _ := cm["image"].(string)
			ref := graph.ParseImageRef(image)
			// The entry is the container's fields plus list, index and
			// image_ref. It is a new object holding the same terms: converted
			// values are shared between equal containers and must not change.
			items := make([][2]*ast.Term, 0, cobj.Len()+5)
			cobj.Foreach(func(k, v *ast.Term) { items = append(items, [2]*ast.Term{k, v}) })
			if _, has := cm["name"]; !has {
				items = append(items, [2]*ast.Term{termName, ast.StringTerm(fmt.Sprintf("%s[%d]", list, i))})
			}
			items = append(items, [2]*ast.Term{termList, strs.str(list)}, [2]*ast.Term{termIndex, strs.int(int64(i))})
			// An image that is not known yet (a computed value in a Pulumi
			// preview) has no reference: rules about tags must not guess.
			if image != "" && !isUnknown(image) {
				items = append(items, [2]*ast.Term{termImageRef, imageRefTerm(ref, strs)})
			}
			// The digest the reference resolves to now, when a registry said.
			if d := wl.resolved[graph.ImageKey(ref)]; d != "" && ref.Digest == "" {
				items = append(items, [2]*ast.Term{termResolvedDigest, ast.StringTerm(d)})
			}
			containers = append(containers, ast.ObjectTerm(items...))
		}
	}
	if specAST == nil {
		specAST = ast.NewObject()
	}
	if metaAST == nil {
		metaAST = ast.NewObject()
	}
	labels, _ := strs.value(graph.Labels(meta))
	return ast.ObjectTerm(
		ast.Item(termKey, ast.StringTerm(n.Key)),
		ast.Item(termID, ast.StringTerm(n.ID)),
		ast.Item(termKind, strs.str(kind)),
		ast.Item(termNamespace, strs.str(ns)),
		ast.Item(termName, ast.StringTerm(name)),
		ast.Item(termLongRunning, ast.BooleanTerm(longRunning[kind])),
		ast.Item(termPodMeta, ast.NewTerm(metaAST)),
		ast.Item(termPodSpec, ast.NewTerm(specAST)),
		ast.Item(termSpecPath, strs.str(path)),
		ast.Item(termServiceAccount, strs.str(graph.ServiceAccountName(spec))),
		ast.Item(termLabels, ast.NewTerm(labels)),
		ast.Item(termContainers, ast.ArrayTerm(containers...)),
	)
}

func ownedByPresentController(n *graph.Node, ns string, present map[controllerKey]bool) bool {
	meta, _ := n.Object["metadata"].(map[string]any)
	refs, _ := meta["ownerReferences"].([]any)
	for _, r := range refs {
		rm, _ := r.(map[string]any)
		if c, _ := rm["controller"].(bool); !c {
			continue
		}
		kind, _ := rm["kind"].(string)
		name, _ := rm["name"].(string)
		if graph.WorkloadKinds[kind] && present[controllerKey{n.Source.Cluster, ns, kind, name}] {
			return true
		}
	}
	return false
}

// findPath follows a dotted path of object keys.
func findPath(v ast.Value, path string) ast.Value {
	cur := v
	start := 0
	for i := 0; i <= len(path); i++ {
		if i < len(path) && path[i] != '.' {
			continue
		}
		seg := path[start:i]
		start = i + 1
		if seg == "" {
			continue
		}
		obj, ok := cur.(ast.Object)
		if !ok {
			return nil
		}
		t := obj.Get(ast.StringTerm(seg))
		if t == nil {
			return nil
		}
		cur = t.Value
	}
	return cur
}

func listMap(m map[string][]*ast.Term) *ast.Term {
	items := make([][2]*ast.Term, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		items = append(items, ast.Item(ast.StringTerm(k), ast.ArrayTerm(m[k]...)))
	}
	return ast.ObjectTerm(items...)
}

// UnknownValue is how collectors write a value that is not known yet (a
// computed output during a Pulumi preview). Rules treat it as unknown, never
// as empty.
const UnknownValue = graph.UnknownMarker

func isUnknown(s string) bool { return s == UnknownValue }
