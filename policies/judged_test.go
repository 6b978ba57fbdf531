package policies

import (
	"slices"
	"testing"

	"github.com/kscan-io/kscan/graph"
)

func TestJudgedTypesAndMayJudge(t *testing.T) {
	collected := &graph.Node{Type: "registry:Repository", Source: graph.Source{Kind: "aws"}}
	derived := &graph.Node{Type: "registry:Repository", Source: graph.Source{Kind: graph.SourceDerived}}
	role := &graph.Node{Type: "k8s:rbac.authorization.k8s.io/ClusterRole", Attrs: map[string]any{"rbac": map[string]any{"builtin": true}}}
	custom := &graph.Node{Type: "k8s:rbac.authorization.k8s.io/ClusterRole"}
	for _, tc := range []struct {
		name      string
		appliesTo []string
		types     []string // nil: not judged by type alone
		may       map[*graph.Node]bool
	}{
		{"none declared", nil, nil, map[*graph.Node]bool{collected: true, derived: true}},
		{"collected repositories", []string{"registry:Repository -derived"}, []string{"registry:Repository"},
			map[*graph.Node]bool{collected: true, derived: false, custom: false}},
		{"derived admitted", []string{"registry:Repository"}, nil, map[*graph.Node]bool{collected: true, derived: true}},
		{"workloads", []string{"workloads"}, nil, map[*graph.Node]bool{custom: true}},
		{"builtin left out", []string{"k8s:rbac.authorization.k8s.io/ClusterRole -builtin"}, []string{"k8s:rbac.authorization.k8s.io/ClusterRole"},
			map[*graph.Node]bool{role: false, custom: true, collected: false}},
		{"edge filter not checked", []string{"k8s:rbac.authorization.k8s.io/ClusterRole -derived out:grants"}, []string{"k8s:rbac.authorization.k8s.io/ClusterRole"},
			map[*graph.Node]bool{custom: true}},
		{"one selector admits derived", []string{"registry:Repository -derived", "registry:Image"}, nil, map[*graph.Node]bool{derived: false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sels, err := parseAppliesTo(tc.appliesTo)
			if err != nil {
				t.Fatal(err)
			}
			r := Rule{AppliesTo: tc.appliesTo, appliesTo: sels}
			types, ok := r.JudgedTypes()
			if ok != (tc.types != nil) || !slices.Equal(types, tc.types) {
				t.Errorf("JudgedTypes = %v, %v; want %v", types, ok, tc.types)
			}
			for n, want := range tc.may {
				if got := r.MayJudge(n); got != want {
					t.Errorf("MayJudge(%s, %s) = %v, want %v", n.Type, n.Source.Kind, got, want)
				}
			}
		})
	}
}
