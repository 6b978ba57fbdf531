// Package enrich derives what rules need from a collected graph and no
// source provides by itself: the edges between objects (Service →
// workloads, bindings → roles), Pulumi drift, and facts computed in Go —
// effective RBAC and IAM permissions, image links, exposure, Pod Security
// Standards verdicts. Every entry point (kscan scan, the Pulumi analyzer,
// kscan query, the Rego test built-in kscan.graph) runs the same list, so
// rules see the same input whatever produced the graph.
package enrich

import (
	"context"
	"maps"
	"sync"

	"github.com/kscan-io/kscan/enrich/drift"
	"github.com/kscan-io/kscan/enrich/imagelink"
	"github.com/kscan-io/kscan/exposure"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/iampolicy"
	"github.com/kscan-io/kscan/pss"
	"github.com/kscan-io/kscan/rbac"
)

// Options are the enrichers' settings.
type Options struct {
	// PSSVersion is the Pod Security Standards version workloads are judged
	// at: "latest" (the default) or "v1.<minor>".
	PSSVersion string
}

// Enricher derives edges, attributes or facts from the collected graph. It
// adds to g and to facts (its facts under its own name) and never changes an
// object it was given: the rules' input converts objects while enrichers run.
// An error means its facts could not be derived; Run records it in the graph
// and the other enrichers still run.
type Enricher interface {
	Name() string
	Enrich(ctx context.Context, g *graph.Graph, facts graph.Facts) error
}

// All lists every enricher in the order they run; this is the one place
// where an enricher is registered. Edges come first: every fact follows
// them.
func All(opts Options) []Enricher {
	return []Enricher{
		step{"edges", linkEdges},              // cross-object edges, with each cluster's built-in ClusterRoles
		step{"drift", pulumiDrift},            // Pulumi: declared vs live Kubernetes objects
		podSecurity{version: opts.PSSVersion}, // Pod Security Standards with Kubernetes' own checks, per workload; runs beside the next ones
		fact{"rbac", rbac.Enrich},             // effective permissions, aggregation, drift
		iamFacts{},                            // IAM effective permissions, trust, IRSA/Pod Identity joins
		fact{"registry", imagelink.Enrich},    // workload -> image -> repository
		fact{"exposure", exposure.Enrich},     // how each workload is reached: load balancers, node ports, Ingress, Gateway API, Istio
	}
}

// beside marks an enricher that reads only what collection and the
// enrichers before it left (objects, namespaces) and adds nothing to the
// graph but input errors: Run starts it on its own goroutine where the list
// reaches it and lets the enrichers after it run meanwhile. Its facts are
// stored when all have finished; input errors are sorted when read, so the
// report is the same.
type beside interface{ beside() }

// Graph runs every enricher (All) on g and returns the facts.
func Graph(ctx context.Context, g *graph.Graph, opts Options) graph.Facts {
	return Run(ctx, g, All(opts))
}

// Run runs enrichers in order on g and returns their facts. An enricher's
// error is an input error of the scan (its message as is), never a reason
// to stop.
func Run(ctx context.Context, g *graph.Graph, enrichers []Enricher) graph.Facts {
	facts := graph.Facts{}
	record := func(err error) {
		if err != nil {
			g.AddError(graph.InputError{Level: graph.LevelError, Message: err.Error()})
		}
	}
	var wg sync.WaitGroup
	type started struct {
		facts graph.Facts
		err   error
	}
	var side []*started
	for _, e := range enrichers {
		if _, ok := e.(beside); ok {
			st := &started{facts: graph.Facts{}}
			side = append(side, st)
			wg.Go(func() { st.err = e.Enrich(ctx, g, st.facts) })
			continue
		}
		record(e.Enrich(ctx, g, facts))
	}
	wg.Wait()
	for _, st := range side {
		record(st.err)
		maps.Copy(facts, st.facts)
	}
	return facts
}

// step is an enricher that adds edges or attributes and no fact.
type step struct {
	name string
	fn   func(g *graph.Graph)
}

func (s step) Name() string { return s.name }

func (s step) Enrich(_ context.Context, g *graph.Graph, _ graph.Facts) error {
	s.fn(g)
	return nil
}

// fact is an enricher whose result is the fact of its name.
type fact struct {
	name string
	fn   func(g *graph.Graph) map[string]any
}

func (f fact) Name() string { return f.name }

func (f fact) Enrich(_ context.Context, g *graph.Graph, facts graph.Facts) error {
	facts[f.name] = f.fn(g)
	return nil
}

// podSecurity judges workloads with the Pod Security Standards of a
// version; an unknown version is an error and no pss fact.
type podSecurity struct{ version string }

func (podSecurity) Name() string { return "pss" }

// The checks read each workload's pod template and its namespace's labels,
// which no enricher changes, and take as long as rbac, iam, registry and
// exposure together.
func (podSecurity) beside() {}

func (p podSecurity) Enrich(_ context.Context, g *graph.Graph, facts graph.Facts) error {
	f, err := pss.Enrich(g, pss.Options{Version: p.version})
	if err != nil {
		return err
	}
	facts["pss"] = f
	return nil
}

func linkEdges(g *graph.Graph) {
	graph.LinkK8s(g, graph.LinkOptions{BuiltinClusterRolesFor: func(cluster string) map[string]map[string]any {
		b, _ := rbac.BootstrapOf(g, cluster) // the cluster's Kubernetes version
		return b.ClusterRoles()
	}})
}

func pulumiDrift(g *graph.Graph) { drift.Enrich(g) }

// iamFacts evaluates IAM under the scan's context: a large or
// pathological export can take minutes, and --timeout and signals must stop
// it (the principals not judged are named in an input error).
type iamFacts struct{}

func (iamFacts) Name() string { return "iam" }

func (iamFacts) Enrich(ctx context.Context, g *graph.Graph, facts graph.Facts) error {
	facts["iam"] = iampolicy.Enrich(g, iampolicy.EnrichOptions{Context: ctx})
	return nil
}
