package policies

import (
	"github.com/kscan-io/kscan/enrich/drift"
	"github.com/kscan-io/kscan/enrich/imagelink"
	"github.com/kscan-io/kscan/exposure"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/iampolicy"
	"github.com/kscan-io/kscan/pss"
	"github.com/kscan-io/kscan/rbac"
)

// PrepareOptions are the settings of the derived facts.
type PrepareOptions struct {
	// PSSVersion is the Pod Security Standards version workloads are judged
	// at: "latest" (the default) or "v1.<minor>".
	PSSVersion string
}

// Prepare computes everything derived from a collected graph, in one place
// and in a fixed order: cross-object edges, then facts for rules. Every entry
// point (kscan scan, the Pulumi analyzer, Rego unit tests) calls it, so rules
// see the same input whatever produced the graph.
func Prepare(g *graph.Graph) Facts { return PrepareWith(g, PrepareOptions{}) }

// PrepareWith is Prepare with settings.
func PrepareWith(g *graph.Graph, opts PrepareOptions) Facts {
	graph.LinkK8s(g, graph.LinkOptions{BuiltinClusterRolesFor: func(cluster string) map[string]map[string]any {
		b, _ := rbac.BootstrapOf(g, cluster) // the cluster's Kubernetes version
		return b.ClusterRoles()
	}})
	drift.Enrich(g) // Pulumi: declared vs live Kubernetes objects
	facts := Facts{}
	facts["rbac"] = rbac.Enrich(g)                                // effective permissions, aggregation, drift
	facts["iam"] = iampolicy.Enrich(g, iampolicy.EnrichOptions{}) // IAM effective permissions, trust, IRSA/Pod Identity joins
	facts["registry"] = imagelink.Enrich(g)                       // workload -> image -> repository
	facts["exposure"] = exposure.Enrich(g)                        // how each workload is reached: load balancers, node ports, Ingress, Gateway API, Istio
	// Pod Security Standards with Kubernetes' own checks, per workload.
	if f, err := pss.Enrich(g, pss.Options{Version: opts.PSSVersion}); err != nil {
		g.AddError(graph.InputError{Level: graph.LevelError, Message: err.Error()})
	} else {
		facts["pss"] = f
	}
	return facts
}
