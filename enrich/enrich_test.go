package enrich

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/kscan-io/kscan/graph"
)

// failing is an enricher whose facts cannot be derived.
type failing struct{}

func (failing) Name() string { return "failing" }
func (failing) Enrich(context.Context, *graph.Graph, graph.Facts) error {
	return errors.New("cannot derive")
}

// An enricher's error is an input error of the scan and the enrichers after
// it still run.
func TestRunRecordsErrorsAndGoesOn(t *testing.T) {
	g := graph.New()
	facts := Run(t.Context(), g, []Enricher{failing{}, fact{"x", func(*graph.Graph) map[string]any { return map[string]any{"ok": true} }}})
	if _, ok := facts["x"]; !ok {
		t.Errorf("facts = %v: the enricher after the failing one did not run", facts)
	}
	errs := g.Errors()
	if len(errs) != 1 || errs[0].Message != "cannot derive" || errs[0].Level != graph.LevelError {
		t.Errorf("input errors = %+v, want one error \"cannot derive\"", errs)
	}
}

// Every enricher has a distinct name, each fact is stored under its
// enricher's name, and an unknown PSS version is an input error with no pss
// fact while the other facts are still derived.
func TestAll(t *testing.T) {
	var names []string
	for _, e := range All(Options{}) {
		if slices.Contains(names, e.Name()) {
			t.Errorf("two enrichers are named %s", e.Name())
		}
		names = append(names, e.Name())
	}
	obj := map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p", "namespace": "default"},
		"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": "nginx:1.27"}}}}
	g := graph.New()
	g.AddNode(graph.NewK8sNode(obj, graph.Source{Kind: graph.SourceFile, File: "p.yaml", Line: 1}, "default"))
	facts := Graph(t.Context(), g, Options{})
	for k := range facts {
		if !slices.Contains(names, k) {
			t.Errorf("fact %q is not the name of an enricher (%v)", k, names)
		}
	}
	for _, want := range []string{"rbac", "iam", "registry", "exposure", "pss"} {
		if _, ok := facts[want]; !ok {
			t.Errorf("no %s fact: %v", want, facts)
		}
	}
	g = graph.New()
	g.AddNode(graph.NewK8sNode(obj, graph.Source{Kind: graph.SourceFile, File: "p.yaml", Line: 1}, "default"))
	facts = Graph(t.Context(), g, Options{PSSVersion: "v9.99"})
	if _, ok := facts["pss"]; ok {
		t.Error("an unknown PSS version still gave a pss fact")
	}
	if _, ok := facts["exposure"]; !ok {
		t.Error("the enrichers stopped at the PSS error")
	}
	if len(g.Errors()) != 1 {
		t.Errorf("input errors = %+v, want the PSS version's", g.Errors())
	}
}
