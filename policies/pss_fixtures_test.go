package policies_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/collectors/pulumi"
	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/psstest"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/policies/frameworks"
)

// TestPSSFixtures scans every fixture Kubernetes ships with its Pod Security
// admission library, for every level and version kscan offers, through the
// real pipeline (manifest or Pulumi collector, the enrichers at that version,
// every rule of the pss-<level> framework): a fail fixture must fail at least
// one control of its level, a pass fixture none. Each fixture is scanned as
// the Pod it is, wrapped in a Deployment, wrapped in a CronJob, and as a
// Deployment in a Pulumi stack export: the verdict must not depend on the
// wrapping.
func TestPSSFixtures(t *testing.T) {
	e, err := policies.Load(context.Background(), policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fixtures := psstest.All(t)
	for _, wrap := range []string{"Pod", "Deployment", "CronJob", "Pulumi"} {
		t.Run(wrap, func(t *testing.T) {
			var summary []string
			agree, total := 0, 0
			for _, grp := range psstest.Groups(fixtures) {
				a, n := scanGroup(t, e, wrap, grp)
				agree += a
				total += n
				summary = append(summary, fmt.Sprintf("%s/%s %d/%d", grp.Level, grp.Version, a, n))
			}
			t.Logf("%s: %d/%d fixtures agree with Kubernetes (%s)", wrap, agree, total, strings.Join(summary, ", "))
		})
	}
}

// scanGroup scans the fixtures of one level and version in one graph and
// returns how many verdicts agree.
func scanGroup(t *testing.T, e *policies.Engine, wrap string, grp psstest.Group) (agree, total int) {
	t.Helper()
	fw, err := frameworks.Get("pss-" + grp.Level)
	if err != nil {
		t.Fatal(err)
	}
	var rules []policies.Rule
	for _, r := range e.Rules() {
		if fw.Covers(r.Rule) {
			rules = append(rules, r)
		}
	}
	if len(rules) < 10 {
		t.Fatalf("pss-%s: only %d rules implement it", grp.Level, len(rules))
	}
	g := graph.New()
	ids := make([]string, len(grp.Fixtures))
	var stack []any
	for i, f := range grp.Fixtures {
		pod := map[string]any{}
		if err := yaml.Unmarshal(f.Data, &pod); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		name := strings.ReplaceAll(f.Name, "_", "-")
		if f.Pass {
			name = "pass-" + name
		} else {
			name = "fail-" + name
		}
		obj := wrapPod(wrap, name, pod)
		switch wrap {
		case "Pulumi":
			stack = append(stack, map[string]any{
				"urn":    "urn:pulumi:test::pss::kubernetes:apps/v1:Deployment::" + name,
				"custom": true, "type": "kubernetes:apps/v1:Deployment", "id": "fixtures/" + name,
				"inputs": obj, "outputs": obj,
			})
			ids[i] = "urn:pulumi:test::pss::kubernetes:apps/v1:Deployment::" + name
		default:
			data, err := yaml.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			manifest.ParseInto(data, graph.Source{Kind: graph.SourceFile, File: f.Path}, "fixtures", g)
			ids[i] = "fixtures/" + obj["kind"].(string) + "/" + name
		}
	}
	if wrap == "Pulumi" {
		data, err := json.Marshal(map[string]any{"version": 3, "deployment": map[string]any{"manifest": map[string]any{}, "resources": stack}})
		if err != nil {
			t.Fatal(err)
		}
		pulumi.CollectState("stack.json", data, g)
	}
	for _, ie := range g.Errors() {
		t.Errorf("%s/%s %s: input error: %v", grp.Level, grp.Version, wrap, ie)
	}
	in, err := policies.BuildInput(g, enrich.Graph(context.Background(), g, enrich.Options{PSSVersion: grp.Version}))
	if err != nil {
		t.Fatal(err)
	}
	fs, ruleErrs, err := e.Eval(context.Background(), in, rules)
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range ruleErrs {
		t.Errorf("%v", re)
	}
	failed := map[string][]finding.Finding{}
	for _, f := range fs {
		failed[f.Resource] = append(failed[f.Resource], f)
	}
	for i, f := range grp.Fixtures {
		total++
		got := failed[ids[i]]
		if (len(got) == 0) == f.Pass {
			agree++
			continue
		}
		var msgs []string
		for _, x := range got {
			msgs = append(msgs, x.RuleID+": "+x.Message)
		}
		t.Errorf("%s %s/%s/%s: Kubernetes says pass=%v, kscan found %d: %s", wrap, grp.Level, grp.Version, f.Name, f.Pass, len(got), strings.Join(msgs, "; "))
	}
	return agree, total
}

// wrapPod returns the fixture pod as the object to scan: itself, or its
// metadata and spec as the pod template of a Deployment or CronJob.
func wrapPod(wrap, name string, pod map[string]any) map[string]any {
	meta, _ := pod["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	tmplMeta := map[string]any{}
	for k, v := range meta {
		if k != "name" && k != "namespace" {
			tmplMeta[k] = v
		}
	}
	template := map[string]any{"metadata": tmplMeta, "spec": pod["spec"]}
	switch wrap {
	case "Pod":
		meta["name"] = name
		meta["namespace"] = "fixtures"
		return pod
	case "CronJob":
		return map[string]any{"apiVersion": "batch/v1", "kind": "CronJob",
			"metadata": map[string]any{"name": name, "namespace": "fixtures"},
			"spec":     map[string]any{"schedule": "* * * * *", "jobTemplate": map[string]any{"spec": map[string]any{"template": template}}}}
	default: // Deployment, and the Deployment in Pulumi state
		return map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": name, "namespace": "fixtures"},
			"spec":     map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"app": name}}, "template": template}}
	}
}
