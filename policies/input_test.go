package policies

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/repotest"
)

// BuildInput shares terms (strings, numbers, equal objects, edge lists) and
// builds some values by hand instead of through ast.InterfaceToValue. This
// test holds it to the plain conversion: every node's object, source and
// attrs must equal what InterfaceToValue makes of them, and shared container
// objects must not carry one workload's additions into another's.
func TestBuildInputEqualsPlainConversion(t *testing.T) {
	g := graph.New()
	for _, dir := range []string{"testdata/demo", "testdata/ci/kustomize/base"} {
		files, _ := filepath.Glob(filepath.Join(repotest.Root(), dir, "*.yaml"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			manifest.ParseInto(data, graph.Source{Kind: graph.SourceFile, File: filepath.Base(f)}, "", g)
		}
	}
	// Two workloads with identical containers at different positions: their
	// converted containers are one shared value.
	twin := func(name string, first bool) string {
		side := "{name: side, image: busybox:1.36, resources: {requests: {cpu: 10m}}}"
		app := "{name: app, image: nginx:1.27}"
		list := "[" + side + ", " + app + "]"
		if !first {
			list = "[" + app + ", " + side + "]"
		}
		return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + "}\nspec:\n  template:\n    spec:\n      containers: " + list + "\n"
	}
	manifest.ParseInto([]byte(twin("a", true)+"---\n"+twin("b", false)), graph.Source{Kind: graph.SourceFile, File: "twins.yaml"}, "", g)
	if g.Len() < 10 {
		t.Fatalf("only %d nodes read", g.Len())
	}
	in, err := BuildInput(g, derive(t.Context(), g))
	if err != nil {
		t.Fatal(err)
	}
	nodes := in.Value.(ast.Object).Get(ast.StringTerm("nodes")).Value.(ast.Object)
	for _, n := range g.Nodes() {
		got := nodes.Get(ast.StringTerm(n.Key))
		if got == nil {
			t.Fatalf("node %s missing from the input", n.Key)
		}
		obj := got.Value.(ast.Object)
		for field, want := range map[string]any{"object": n.Object, "source": n.Source, "attrs": n.Attrs} {
			if field == "attrs" && len(n.Attrs) == 0 {
				continue
			}
			wv, err := ast.InterfaceToValue(want)
			if err != nil {
				t.Fatal(err)
			}
			gv := obj.Get(ast.StringTerm(field))
			if gv == nil || gv.Value.Compare(wv) != 0 {
				t.Errorf("%s.%s = %v, want %v", n.Key, field, gv, wv)
			}
		}
	}
	workloads := in.Value.(ast.Object).Get(ast.StringTerm("k8s")).Value.(ast.Object).Get(ast.StringTerm("workloads")).Value.(*ast.Array)
	index := map[string]map[string]string{} // workload -> container -> index
	workloads.Foreach(func(w *ast.Term) {
		wo := w.Value.(ast.Object)
		key := string(wo.Get(ast.StringTerm("key")).Value.(ast.String))
		index[key] = map[string]string{}
		wo.Get(ast.StringTerm("containers")).Value.(*ast.Array).Foreach(func(c *ast.Term) {
			co := c.Value.(ast.Object)
			index[key][string(co.Get(ast.StringTerm("name")).Value.(ast.String))] = co.Get(ast.StringTerm("index")).String()
		})
	})
	if index["default/Deployment/a"]["side"] != "0" || index["default/Deployment/b"]["side"] != "1" {
		t.Errorf("container indexes leaked between workloads with equal containers: %v", index)
	}
}

// BuildInputSlim gives the input BuildInputWhile gives, and leaves each
// Kubernetes node with its graph.Slim alone (other nodes whole); with an
// overlay in the graph every object stays whole.
func TestBuildInputSlimSameInput(t *testing.T) {
	read := func() *graph.Graph {
		g := graph.New()
		for _, pattern := range []string{"testdata/demo/*.yaml", "testdata/live/*.yaml", "testdata/iam/*.json"} {
			files, _ := filepath.Glob(filepath.Join(repotest.Root(), pattern))
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				manifest.ParseInto(data, graph.Source{Kind: graph.SourceFile, File: filepath.Base(f)}, "", g)
			}
		}
		return g
	}
	whole, slim := read(), read()
	want, err := BuildInputWhile(whole, func() Facts { return derive(t.Context(), whole) })
	if err != nil {
		t.Fatal(err)
	}
	got, err := BuildInputSlim(slim, func() Facts { return derive(t.Context(), slim) })
	if err != nil {
		t.Fatal(err)
	}
	if c := got.Value.Compare(want.Value); c != 0 {
		t.Fatalf("the slim build's input differs from the whole one's")
	}
	k8s := 0
	for _, n := range slim.Nodes() {
		w, ok := whole.Node(n.Key)
		if !ok {
			t.Fatalf("%s only in the slim graph", n.Key)
		}
		if !graph.IsK8s(w) {
			if !reflect.DeepEqual(n.Object, w.Object) || n.Slim != nil {
				t.Errorf("%s: not Kubernetes, yet slimmed", n.Key)
			}
			continue
		}
		k8s++
		if n.Object != nil || !reflect.DeepEqual(n.Slim, graph.SlimOf(w.Object)) {
			t.Errorf("%s: after the slim build the node is not its graph.Slim alone", n.Key)
		}
	}
	if k8s < 10 {
		t.Fatalf("only %d Kubernetes nodes", k8s)
	}

	overlaid := read()
	var first *graph.Node
	for _, n := range overlaid.Nodes() {
		if graph.IsK8s(n) {
			first = n
			break
		}
	}
	first.Overlay = &graph.Overlay{Unpatched: first.Object}
	before := map[string]map[string]any{}
	for _, n := range overlaid.Nodes() {
		before[n.Key] = n.Object
	}
	if _, err := BuildInputSlim(overlaid, func() Facts { return derive(t.Context(), overlaid) }); err != nil {
		t.Fatal(err)
	}
	for _, n := range overlaid.Nodes() {
		if b, ok := before[n.Key]; ok && (!reflect.DeepEqual(b, n.Object) || n.Slim != nil) {
			t.Errorf("%s slimmed although an overlay is in the graph", n.Key)
		}
	}
}
