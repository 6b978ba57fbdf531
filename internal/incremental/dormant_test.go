package incremental_test

import (
	"context"
	"testing"

	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/incremental"
	"github.com/kscan-io/kscan/policies"
)

// TestDormantRuleWakes: registry/mutable-tags declares no custom.watch; a
// full evaluation that finds a collected repository (ECR, Pulumi) must
// send every later change down the full path, one that finds none must not.
func TestDormantRuleWakes(t *testing.T) {
	ctx := context.Background()
	engine, err := policies.Load(ctx, policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var rules []policies.Rule
	for _, r := range engine.Rules() {
		if r.ID == "registry/mutable-tags" {
			rules = append(rules, r)
		}
	}
	if len(rules) != 1 || rules[0].Watch.Declared() {
		t.Fatalf("want the undeclared registry/mutable-tags, got %d rules", len(rules))
	}
	for _, tc := range []struct {
		name   string
		source graph.SourceKind
		awake  bool
	}{
		{"derived repository", graph.SourceDerived, false},
		{"collected repository", "aws", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := incremental.Scan(engine, rules, enrich.Options{})
			if spec.Why != "" {
				t.Fatalf("Why = %q, want the rule taken as dormant", spec.Why)
			}
			g := graph.New()
			g.AddNode(&graph.Node{ID: "123.dkr.ecr.eu-west-1.amazonaws.com/app", Type: graph.TypeRegistryRepository,
				Object: map[string]any{"name": "app", "imageTagMutability": "IMMUTABLE"}, Source: graph.Source{Kind: tc.source}})
			if _, err := spec.Eval(ctx, g, false); err != nil {
				t.Fatal(err)
			}
			if why := spec.Now(); (why != "") != tc.awake {
				t.Errorf("Now() = %q, want awake %v", why, tc.awake)
			}
		})
	}
}
