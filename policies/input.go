package policies

import (
	"fmt"
	"runtime"
	"sort"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kscan-io/kscan/collectors/registry/imagelink"
	"github.com/kscan-io/kscan/graph"
)

// Input is the graph as Rego sees it, converted to ast once per scan. See
// docs/policy-input.md for the shape.
type Input struct {
	Value ast.Value
	// keys maps a node key back to its node for turning results into findings.
	nodes map[string]*graph.Node
}

// Node returns the graph node behind a key found in a rule result.
func (in *Input) Node(key string) (*graph.Node, bool) {
	n, ok := in.nodes[key]
	return n, ok
}

// Facts are extra, precomputed data that packages outside policies (RBAC
// effective permissions, IAM evaluation, registry lookups) hand to Rego under
// input.facts.<name>.
type Facts map[string]any

// BuildInput converts a frozen graph to the Rego input. Each object is
// converted to ast exactly once; derived views (workloads, containers) share
// the converted values instead of copying them.
func BuildInput(g *graph.Graph, facts Facts) (*Input, error) {
	nodes := g.Nodes()
	in := &Input{nodes: make(map[string]*graph.Node, len(nodes))}

	nodeObjs := make([][2]*ast.Term, 0, len(nodes))
	byType := map[string][]*ast.Term{}
	objAST := make(map[string]ast.Value, len(nodes))
	converted, err := convertObjects(nodes)
	if err != nil {
		return nil, err
	}
	for i, n := range nodes {
		in.nodes[n.Key] = n
		obj := converted[i]
		objAST[n.Key] = obj
		fields := [][2]*ast.Term{
			ast.Item(ast.StringTerm("key"), ast.StringTerm(n.Key)),
			ast.Item(ast.StringTerm("id"), ast.StringTerm(n.ID)),
			ast.Item(ast.StringTerm("type"), ast.StringTerm(n.Type)),
			ast.Item(ast.StringTerm("object"), ast.NewTerm(obj)),
			ast.Item(ast.StringTerm("source"), mustTerm(n.Source)),
		}
		if graph.IsK8s(n) {
			kind, ns, name := graph.K8sMeta(n)
			fields = append(fields,
				ast.Item(ast.StringTerm("kind"), ast.StringTerm(kind)),
				ast.Item(ast.StringTerm("namespace"), ast.StringTerm(ns)),
				ast.Item(ast.StringTerm("name"), ast.StringTerm(name)))
		}
		if len(n.Attrs) > 0 {
			attrs, err := toAST(n.Attrs)
			if err != nil {
				return nil, fmt.Errorf("node %s attrs: %w", n.ID, err)
			}
			fields = append(fields, ast.Item(ast.StringTerm("attrs"), ast.NewTerm(attrs)))
		}
		nodeObjs = append(nodeObjs, ast.Item(ast.StringTerm(n.Key), ast.ObjectTerm(fields...)))
		byType[n.Type] = append(byType[n.Type], ast.StringTerm(n.Key))
	}

	out := map[string]map[string][]*ast.Term{}
	inn := map[string]map[string][]*ast.Term{}
	for _, e := range g.Edges() {
		addEdge(out, e.From, e.Type, e.To)
		addEdge(inn, e.To, e.Type, e.From)
	}

	workloads := buildWorkloads(nodes, objAST, in.nodes)

	factsTerm := ast.NewObject()
	for _, k := range sortedKeys(facts) {
		v, err := toAST(facts[k])
		if err != nil {
			return nil, fmt.Errorf("facts %s: %w", k, err)
		}
		factsTerm.Insert(ast.StringTerm(k), ast.NewTerm(v))
	}

	in.Value = ast.NewObject(
		ast.Item(ast.StringTerm("nodes"), ast.ObjectTerm(nodeObjs...)),
		ast.Item(ast.StringTerm("by_type"), listMap(byType)),
		ast.Item(ast.StringTerm("out"), edgeMap(out)),
		ast.Item(ast.StringTerm("in"), edgeMap(inn)),
		ast.Item(ast.StringTerm("k8s"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("workloads"), ast.ArrayTerm(workloads...)),
		)),
		ast.Item(ast.StringTerm("facts"), ast.NewTerm(factsTerm)),
	)
	return in, nil
}

// convertObjects converts every node's object to Rego values, in parallel:
// it is the largest cost of building the input.
func convertObjects(nodes []*graph.Node) ([]ast.Value, error) {
	out := make([]ast.Value, len(nodes))
	errs := make([]error, len(nodes))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			in := &interner{}
			for i := w; i < len(nodes); i += workers {
				out[i], errs[i] = in.value(nodes[i].Object)
			}
		}(w)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", nodes[i].ID, err)
		}
	}
	return out, nil
}

var longRunning = map[string]bool{"Deployment": true, "StatefulSet": true, "DaemonSet": true, "ReplicaSet": true, "ReplicationController": true}

// buildWorkloads lists every object that carries a pod spec, except those a
// controller in the graph owns (a Deployment's ReplicaSets and Pods): their
// findings belong to the owner.
func buildWorkloads(nodes []*graph.Node, objAST map[string]ast.Value, byKey map[string]*graph.Node) []*ast.Term {
	present := map[string]bool{}
	for _, n := range nodes {
		if graph.IsK8s(n) {
			kind, ns, name := graph.K8sMeta(n)
			present[n.Source.Cluster+"|"+ns+"|"+kind+"|"+name] = true
		}
	}
	resolved := imagelink.ResolvedDigests(nodes) // registry collector results, if any
	var out []*ast.Term
	for _, n := range nodes {
		if !graph.IsK8s(n) {
			continue
		}
		kind, ns, name := graph.K8sMeta(n)
		if !graph.WorkloadKinds[kind] {
			continue
		}
		meta, spec, path := graph.PodTemplate(n.Object)
		if spec == nil {
			continue
		}
		if ownedByPresentController(n, ns, present) {
			continue
		}
		obj := objAST[n.Key]
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
				// The container object itself gains list, index and image_ref: it is
				// kscan's own converted copy, and copying every container would cost
				// tens of MB on large scans.
				entry := cobj
				if _, has := cm["name"]; !has {
					entry.Insert(ast.StringTerm("name"), ast.StringTerm(fmt.Sprintf("%s[%d]", list, i)))
				}
				entry.Insert(ast.StringTerm("list"), ast.StringTerm(list))
				entry.Insert(ast.StringTerm("index"), ast.IntNumberTerm(i))
				// An image that is not known yet (a computed value in a Pulumi
				// preview) has no reference: rules about tags must not guess.
				if image != "" && !isUnknown(image) {
					entry.Insert(ast.StringTerm("image_ref"), mustTerm(ref))
				}
				// The digest the reference resolves to now, when a registry said.
				if d := resolved[imagelink.Key(ref)]; d != "" && ref.Digest == "" {
					entry.Insert(ast.StringTerm("resolved_digest"), ast.StringTerm(d))
				}
				containers = append(containers, ast.NewTerm(entry))
			}
		}
		if specAST == nil {
			specAST = ast.NewObject()
		}
		if metaAST == nil {
			metaAST = ast.NewObject()
		}
		out = append(out, ast.ObjectTerm(
			ast.Item(ast.StringTerm("key"), ast.StringTerm(n.Key)),
			ast.Item(ast.StringTerm("id"), ast.StringTerm(n.ID)),
			ast.Item(ast.StringTerm("kind"), ast.StringTerm(kind)),
			ast.Item(ast.StringTerm("namespace"), ast.StringTerm(ns)),
			ast.Item(ast.StringTerm("name"), ast.StringTerm(name)),
			ast.Item(ast.StringTerm("long_running"), ast.BooleanTerm(longRunning[kind])),
			ast.Item(ast.StringTerm("pod_meta"), ast.NewTerm(metaAST)),
			ast.Item(ast.StringTerm("pod_spec"), ast.NewTerm(specAST)),
			ast.Item(ast.StringTerm("spec_path"), ast.StringTerm(path)),
			ast.Item(ast.StringTerm("service_account"), ast.StringTerm(graph.ServiceAccountName(spec))),
			ast.Item(ast.StringTerm("labels"), mustTerm(graph.Labels(meta))),
			ast.Item(ast.StringTerm("containers"), ast.ArrayTerm(containers...)),
		))
	}
	return out
}

func ownedByPresentController(n *graph.Node, ns string, present map[string]bool) bool {
	meta, _ := n.Object["metadata"].(map[string]any)
	refs, _ := meta["ownerReferences"].([]any)
	for _, r := range refs {
		rm, _ := r.(map[string]any)
		if c, _ := rm["controller"].(bool); !c {
			continue
		}
		kind, _ := rm["kind"].(string)
		name, _ := rm["name"].(string)
		if graph.WorkloadKinds[kind] && present[n.Source.Cluster+"|"+ns+"|"+kind+"|"+name] {
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

func addEdge(m map[string]map[string][]*ast.Term, a, typ, b string) {
	inner := m[a]
	if inner == nil {
		inner = map[string][]*ast.Term{}
		m[a] = inner
	}
	inner[typ] = append(inner[typ], ast.StringTerm(b))
}

func listMap(m map[string][]*ast.Term) *ast.Term {
	items := make([][2]*ast.Term, 0, len(m))
	for _, k := range sortedKeys(m) {
		items = append(items, ast.Item(ast.StringTerm(k), ast.ArrayTerm(m[k]...)))
	}
	return ast.ObjectTerm(items...)
}

func edgeMap(m map[string]map[string][]*ast.Term) *ast.Term {
	items := make([][2]*ast.Term, 0, len(m))
	for _, k := range sortedKeys(m) {
		items = append(items, ast.Item(ast.StringTerm(k), listMap(m[k])))
	}
	return ast.ObjectTerm(items...)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func mustTerm(v any) *ast.Term {
	val, err := ast.InterfaceToValue(v)
	if err != nil {
		panic(fmt.Sprintf("kscan: converting %T to Rego: %v", v, err)) // only called on kscan's own plain structs
	}
	return ast.NewTerm(val)
}

// UnknownValue is how collectors write a value that is not known yet (a
// computed output during a Pulumi preview). Rules treat it as unknown, never
// as empty.
const UnknownValue = "[unknown]"

func isUnknown(s string) bool { return s == UnknownValue }
