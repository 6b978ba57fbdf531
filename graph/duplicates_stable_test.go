package graph

import (
	"slices"
	"testing"
)

// Objects of one id read from two files get the same keys whichever file
// the parallel reader finished first, and edges follow them.
func TestStableKeysIndependentOfAddOrder(t *testing.T) {
	build := func(order []int) ([]string, []Edge) {
		objs := []*Node{
			NewK8sNode(map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
				"metadata": map[string]any{"name": "web", "namespace": "shop"}}, Source{Kind: SourceFile, File: "b.yaml", Line: 1}, ""),
			NewK8sNode(map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
				"metadata": map[string]any{"name": "web", "namespace": "shop"}}, Source{Kind: SourceFile, File: "a.yaml", Line: 3}, ""),
			NewK8sNode(map[string]any{"apiVersion": "v1", "kind": "Service",
				"metadata": map[string]any{"name": "web", "namespace": "shop"}}, Source{Kind: SourceFile, File: "c.yaml", Line: 1}, ""),
		}
		g := New()
		for _, i := range order {
			g.AddNode(objs[i])
		}
		g.AddEdge(objs[0].Key, objs[2].Key, EdgeRoutesTo) // the Istio Gateway's edge
		g.StableKeys()
		var keys []string
		for _, n := range g.Nodes() {
			keys = append(keys, n.Key+" "+n.Type)
		}
		return keys, g.Edges()
	}
	k1, e1 := build([]int{0, 1, 2})
	k2, e2 := build([]int{1, 0, 2})
	if !slices.Equal(k1, k2) || !slices.Equal(e1, e2) {
		t.Fatalf("added in one order: %v %v\nin the other: %v %v", k1, e1, k2, e2)
	}
	want := []string{"shop/Gateway/web k8s:gateway.networking.k8s.io/Gateway", "shop/Gateway/web@b.yaml:1 k8s:networking.istio.io/Gateway", "shop/Service/web k8s:core/Service"}
	if !slices.Equal(k1, want) {
		t.Errorf("keys %v, want %v (the source that sorts first takes the plain id)", k1, want)
	}
	if len(e1) != 1 || e1[0].From != "shop/Gateway/web@b.yaml:1" {
		t.Errorf("edges %v: the edge must follow the renamed node", e1)
	}
}
