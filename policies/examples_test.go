package policies

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
)

var (
	builtinOnce   sync.Once
	builtinEngine *Engine
	builtinErr    error
)

// testEngine loads the built-in rules once for all tests of the package.
func testEngine(t *testing.T) *Engine {
	t.Helper()
	builtinOnce.Do(func() { builtinEngine, builtinErr = Load(context.Background(), Options{}) })
	if builtinErr != nil {
		t.Fatal(builtinErr)
	}
	return builtinEngine
}

// manifestFile is one input file of a scan: its name (as reported in
// locations) and content.
type manifestFile struct {
	name string
	data []byte
}

// scanManifests runs files through the real pipeline: the manifest
// collector, the enrichers, BuildInput and one evaluation of every built-in rule.
// Input errors and rule errors fail the test: examples and fixtures must be
// read completely and no rule may break on them.
func scanManifests(t *testing.T, e *Engine, files ...manifestFile) []finding.Finding {
	t.Helper()
	g := graph.New()
	for _, f := range files {
		manifest.ParseInto(f.data, graph.Source{Kind: graph.SourceFile, File: f.name}, "", g)
	}
	for _, ie := range g.Errors() {
		t.Errorf("input error: %v", ie)
	}
	in, err := BuildInput(g, derive(t.Context(), g))
	if err != nil {
		t.Fatal(err)
	}
	fs, ruleErrs, err := e.Eval(context.Background(), in, e.Rules())
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range ruleErrs {
		t.Errorf("%v", re)
	}
	return fs
}

// findingsOf keeps the findings of the given rules.
func findingsOf(fs []finding.Finding, ruleIDs ...string) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		for _, id := range ruleIDs {
			if f.RuleID == id {
				out = append(out, f)
			}
		}
	}
	return out
}

func describeFindings(fs []finding.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("\n  " + f.RuleID + " " + f.Resource + ": " + f.Message)
	}
	return b.String()
}

// manifestRule reports whether a rule is judged from Kubernetes manifests
// alone, so that its examples can go through the manifest collector: the
// k8s and rbac domains, except rules whose scope needs a reference state
// beyond the scanned objects (rbac/drift: scope cluster). Examples of other
// domains (aws, iam, pulumi, registry) are read by their own collectors.
func manifestRule(r Rule) bool {
	domain := r.ID[:strings.Index(r.ID+"/", "/")]
	return (domain == "k8s" || domain == "rbac") && (r.Scope == "resource" || r.Scope == "stack")
}

// TestRuleExamples scans every example manifest of every built-in
// Kubernetes rule (rules/<domain>/testdata/<rule>/{failure,success}.<scenario>.yaml)
// through the real pipeline: a failure.* file must give at least one finding
// of its rule, a success.* file none of it.
func TestRuleExamples(t *testing.T) {
	e := testEngine(t)
	type exampleCase struct {
		rule, file, content string
		wantFinding         bool
	}
	var cases []exampleCase
	var others []string
	for _, r := range e.Rules() {
		if r.Custom {
			continue
		}
		if !manifestRule(r) {
			others = append(others, r.ID)
			continue
		}
		names := make([]string, 0, len(r.Examples))
		for n := range r.Examples {
			names = append(names, n)
		}
		sort.Strings(names)
		var failures, successes int
		for _, n := range names {
			switch {
			case strings.HasPrefix(n, "failure."):
				failures++
				cases = append(cases, exampleCase{r.ID, n, r.Examples[n], true})
			case strings.HasPrefix(n, "success."):
				successes++
				cases = append(cases, exampleCase{r.ID, n, r.Examples[n], false})
			default:
				t.Errorf("%s: example %s is named neither failure.* nor success.*", r.ID, n)
			}
		}
		if failures == 0 || successes == 0 {
			t.Errorf("%s: needs at least one failure.* and one success.* example (has %d and %d)", r.ID, failures, successes)
		}
	}
	if len(others) > 0 {
		t.Logf("examples not read by the manifest collector, left to their collectors' tests: %s", strings.Join(others, ", "))
	}
	for _, c := range cases {
		t.Run(c.rule+"/"+c.file, func(t *testing.T) {
			fs := findingsOf(scanManifests(t, e, manifestFile{c.file, []byte(c.content)}), c.rule)
			switch {
			case c.wantFinding && len(fs) == 0:
				t.Errorf("want at least one %s finding, got none", c.rule)
			case !c.wantFinding && len(fs) > 0:
				t.Errorf("want no %s finding, got:%s", c.rule, describeFindings(fs))
			}
		})
	}
}

// TestFormerRuleIDFingerprint: the load balancer case of
// k8s/internet-exposed carries the fingerprint k8s/public-loadbalancer gave
// it (rule, resource, discriminator "public"), for baselines written then.
func TestFormerRuleIDFingerprint(t *testing.T) {
	e := testEngine(t)
	r, ok := e.Rule("k8s/public-loadbalancer")
	if !ok || r.ID != "k8s/internet-exposed" {
		t.Fatalf("Rule(k8s/public-loadbalancer) = %v, %v; want k8s/internet-exposed", r, ok)
	}
	fs := findingsOf(scanManifests(t, e, manifestFile{"lb.yaml", []byte(r.Examples["failure.public.yaml"])}), "k8s/internet-exposed")
	if len(fs) != 1 {
		t.Fatalf("want one finding, got:%s", describeFindings(fs))
	}
	f := fs[0]
	if want := finding.Fingerprint("k8s/public-loadbalancer", "shop/Service/web", "public"); len(f.LegacyFingerprints) != 1 || f.LegacyFingerprints[0] != want {
		t.Errorf("legacy fingerprints %v, want [%s]", f.LegacyFingerprints, want)
	}
	if len(f.Aliases) != 1 || f.Aliases[0] != "k8s/public-loadbalancer" {
		t.Errorf("aliases %v", f.Aliases)
	}
	if f.Severity != "high" || f.Message != "Service shop/web is a public load balancer open to everyone (no loadBalancerSourceRanges), exposing shop/Deployment/web" {
		t.Errorf("the load balancer case changed: %s: %s", f.Severity, f.Message)
	}
}
