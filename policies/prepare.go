package policies

import (
	"github.com/kscan-io/kscan/collectors/pulumi/drift"
	"github.com/kscan-io/kscan/collectors/registry/imagelink"
	"github.com/kscan-io/kscan/exposure"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/iampolicy"
	"github.com/kscan-io/kscan/rbac"
)

// Prepare computes everything derived from a collected graph, in one place
// and in a fixed order: cross-object edges, then facts for rules. Every entry
// point (kscan scan, the Pulumi analyzer, Rego unit tests) calls it, so rules
// see the same input whatever produced the graph.
func Prepare(g *graph.Graph) Facts {
	graph.LinkK8s(g, graph.LinkOptions{BuiltinClusterRoles: graph.BuiltinClusterRoles()})
	drift.Enrich(g) // Pulumi: declared vs live Kubernetes objects
	facts := Facts{}
	facts["rbac"] = rbac.Enrich(g)                                // effective permissions, aggregation, drift
	facts["iam"] = iampolicy.Enrich(g, iampolicy.EnrichOptions{}) // IAM effective permissions, trust, IRSA/Pod Identity joins
	facts["registry"] = imagelink.Enrich(g)                       // workload -> image -> repository
	facts["exposure"] = exposure.Enrich(g)                        // how each workload is reached: load balancers, node ports, Ingress, Gateway API, Istio
	return facts
}
