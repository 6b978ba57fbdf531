package policies

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
)

// TestAppliesToCoversFindings: on every example of every built-in
// Kubernetes and RBAC rule, each finding of a rule that declares
// custom.applies_to is on a resource of the declared set. A declaration
// narrower than what the rule judges would hide that resource's passes and
// failures from JUnit and PolicyReports.
func TestAppliesToCoversFindings(t *testing.T) {
	e := testEngine(t)
	declared := 0
	for _, r := range e.Rules() {
		if len(r.AppliesTo) > 0 {
			declared++
		}
	}
	// Every built-in rule but those whose judged set depends on facts
	// (exposure, IAM joins, drift, bootstrap names, registry lookups).
	if declared < 56 {
		t.Errorf("%d built-in rules declare applies_to, want at least 56", declared)
	}
	for _, r := range e.Rules() {
		if !manifestRule(r) {
			continue
		}
		for name, content := range r.Examples {
			g := graph.New()
			manifest.ParseInto([]byte(content), graph.Source{Kind: graph.SourceFile, File: name}, "", g)
			in, err := BuildInput(g, derive(t.Context(), g))
			if err != nil {
				t.Fatal(err)
			}
			fs, _, err := e.Eval(context.Background(), in, e.Rules())
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				rule, _ := e.Rule(f.RuleID)
				targets, ok := in.Targets(*rule)
				if !ok {
					continue
				}
				if _, found := slices.BinarySearch(targets, f.Resource); !found {
					t.Errorf("%s example %s: %s finding on %s, outside its applies_to %q (targets %v)", r.ID, name, f.RuleID, f.Resource, rule.AppliesTo, targets)
				}
			}
		}
	}
}

// The selectors pick what they say on a small graph: workloads (not the
// Pods a Deployment in the graph owns), a type, and the RBAC filters.
func TestTargets(t *testing.T) {
	e := testEngine(t)
	src := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: a, image: nginx:1.27}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, controller: true, uid: x}]
spec: {containers: [{name: a, image: nginx:1.27}]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: shop}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: own, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: ServiceAccount, name: ci, namespace: shop}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: admins, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
subjects: [{kind: ServiceAccount, name: ci, namespace: shop}]
`
	g := graph.New()
	manifest.ParseInto([]byte(src), graph.Source{Kind: graph.SourceFile, File: "x.yaml"}, "", g)
	in, err := BuildInput(g, derive(t.Context(), g))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ rule, want string }{
		{"k8s/run-as-root", "shop/Deployment/web"},
		{"k8s/namespace-without-networkpolicy", "Namespace/shop"},
		// The declared Role, and the binding of the built-in admin
		// ClusterRole (derived: no input declares it); not the binding of
		// the declared Role, whose findings go on the Role.
		{"rbac/secrets-read", "shop/Role/reader shop/RoleBinding/admins"},
		{"rbac/default-sa-binding", "shop/RoleBinding/admins shop/RoleBinding/own"},
		// Derived repositories (from image references) are not judged.
		{"registry/mutable-tags", ""},
	} {
		r, _ := e.Rule(c.rule)
		got, ok := in.Targets(*r)
		if !ok || strings.Join(got, " ") != c.want {
			t.Errorf("%s: targets %q (declared %v), want %q", c.rule, got, ok, c.want)
		}
	}
	r, _ := e.Rule("k8s/internet-exposed")
	if _, ok := in.Targets(*r); ok {
		t.Error("k8s/internet-exposed declares no applies_to, yet Targets says it does")
	}
}

func TestAppliesToErrors(t *testing.T) {
	for _, c := range []struct{ meta, want string }{
		{`applies_to: ["pods"]`, `want workloads, a node type`},
		{`applies_to: ["workloads +fast"]`, `unknown filter "+fast"`},
		{`applies_to: "workloads"`, `must be a list`},
	} {
		dir := t.TempDir()
		src := "# METADATA\n# title: t\n# custom:\n#   id: my/rule\n#   severity: low\n#   " + c.meta + "\npackage kscan.rules.my.rule\n\ndeny contains {\"key\": \"x\", \"message\": \"m\"} if false\n"
		if err := os.WriteFile(filepath.Join(dir, "r.rego"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(context.Background(), Options{PolicyDirs: []string{dir}})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "r.rego") {
			t.Errorf("%s: error %v, want one naming r.rego and %q", c.meta, err, c.want)
		}
	}
}

// Two objects with one id (an Istio and a Gateway API Gateway of one name
// and namespace, read from two files): which node gets the plain key
// depends on which file the parallel reader finishes first, and the
// object reference of that id must not.
func TestObjectRefsIndependentOfReadOrder(t *testing.T) {
	gateway := func(apiVersion, file string) *graph.Node {
		return graph.NewK8sNode(map[string]any{"apiVersion": apiVersion, "kind": "Gateway",
			"metadata": map[string]any{"name": "web", "namespace": "shop"}},
			graph.Source{Kind: graph.SourceFile, File: file, Line: 1}, "")
	}
	refs := func(first, second *graph.Node) finding.ObjectRef {
		g := graph.New()
		g.AddNode(first)
		g.AddNode(second)
		g.StableKeys() // as scan.Collect does once collection is done
		return ObjectRefs(g)["shop/Gateway/web"]
	}
	a := refs(gateway("networking.istio.io/v1", "a.yaml"), gateway("gateway.networking.k8s.io/v1", "b.yaml"))
	b := refs(gateway("gateway.networking.k8s.io/v1", "b.yaml"), gateway("networking.istio.io/v1", "a.yaml"))
	if a != b {
		t.Errorf("read in one order %+v, in the other %+v", a, b)
	}
	if a.APIVersion != "networking.istio.io/v1" {
		t.Errorf("got %s, want the object of a.yaml, whose source sorts first", a.APIVersion)
	}
}
