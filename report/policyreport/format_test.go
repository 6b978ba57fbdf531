package policyreport_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kscan-io/kscan/collectors/kube/kubetest"
	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/repotest"
	"github.com/kscan-io/kscan/report"
	"github.com/kscan-io/kscan/report/policyreport"
	"github.com/kscan-io/kscan/scan"
)

// unitReport: a live Deployment (with uid) that fails one rule and passes
// another, a file Deployment that passes both, a cluster-scoped Namespace
// that passes its rule, and a rule that declares nothing.
func unitReport() *finding.Report {
	live := finding.Location{Kind: "cluster", Cluster: "prod", Path: "/apis/apps/v1/namespaces/shop/deployments/api"}
	return &finding.Report{
		Rules: []finding.Rule{
			{ID: "k8s/run-as-root", Title: "Runs as root", Severity: "medium"},
			{ID: "k8s/privileged-container", Title: "Privileged", Severity: "critical"},
			{ID: "k8s/namespace-without-networkpolicy", Title: "No NetworkPolicy", Severity: "medium"},
			{ID: "k8s/internet-exposed", Title: "Exposed", Severity: "high"},
		},
		Findings: []finding.Finding{
			{RuleID: "k8s/run-as-root", Title: "Runs as root", Severity: "medium", Message: "api runs as root", Resource: "prod:shop/Deployment/api", Location: live, Fingerprint: "x"},
		},
		Evaluated: map[string][]string{
			"k8s/run-as-root":                     {"prod:shop/Deployment/api", "shop/Deployment/web"},
			"k8s/privileged-container":            {"prod:shop/Deployment/api", "shop/Deployment/web"},
			"k8s/namespace-without-networkpolicy": {"prod:Namespace/shop"},
		},
		Objects: map[string]finding.ObjectRef{
			"prod:shop/Deployment/api": {APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "api", UID: "uid-api", Location: live},
			"shop/Deployment/web":      {APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web", Location: finding.Location{Kind: "file", File: "web.yaml"}},
			"prod:Namespace/shop":      {APIVersion: "v1", Kind: "Namespace", Name: "shop", UID: "uid-ns", Location: finding.Location{Kind: "cluster", Cluster: "prod", Path: "/api/v1/namespaces/shop"}},
		},
	}
}

type result struct{ rule, result, name, uid string }

func resultsOf(t *testing.T, o *unstructured.Unstructured) []result {
	t.Helper()
	items, _, _ := unstructured.NestedSlice(o.Object, "results")
	var out []result
	for _, it := range items {
		m := it.(map[string]any)
		ref := m["resources"].([]any)[0].(map[string]any)
		uid, _ := ref["uid"].(string)
		out = append(out, result{m["policy"].(string), m["result"].(string), ref["name"].(string), uid})
	}
	return out
}

func TestBuildPassResults(t *testing.T) {
	now := func() time.Time { return time.Unix(1700000000, 0) }
	// In-cluster: only prod's objects, with their uids.
	b, err := policyreport.Build(nil, unitReport(), policyreport.Options{Cluster: "prod", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Objects) != 2 || b.Objects[0].GetNamespace() != "shop" || b.Objects[1].GetKind() != "ClusterPolicyReport" {
		t.Fatalf("objects: %v", b.Objects)
	}
	got := resultsOf(t, b.Objects[0])
	want := []result{
		{"k8s/run-as-root", "fail", "api", "uid-api"},
		{"k8s/privileged-container", "pass", "api", "uid-api"},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("shop results %v, want %v", got, want)
	}
	if got := resultsOf(t, b.Objects[1]); len(got) != 1 || got[0] != (result{"k8s/namespace-without-networkpolicy", "pass", "shop", "uid-ns"}) {
		t.Errorf("cluster results %v", got)
	}
	if p, _, _ := unstructured.NestedInt64(b.Objects[0].Object, "summary", "pass"); p != 1 {
		t.Errorf("summary pass %d, want 1", p)
	}
	// Offline: the file Deployment too (no uid), two passes; with a cap of
	// 1 each kind of result is capped on its own, the failure kept.
	b, err = policyreport.Build(nil, unitReport(), policyreport.Options{Offline: true, MaxResults: 1})
	if err != nil {
		t.Fatal(err)
	}
	got = resultsOf(t, b.Objects[0])
	// Passes in order: privileged-container (critical) on api, then web.
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("capped offline shop results %v", got)
	}
	if b.CappedPass["shop/kscan"] != 2 || b.Capped["shop/kscan"] != 0 {
		t.Errorf("capped %v, pass %v; want 2 passes dropped", b.Capped, b.CappedPass)
	}
	if a := b.Objects[0].GetAnnotations(); a[policyreport.AnnotationPassDropped] != "2" || a[policyreport.AnnotationTotal] != "4" {
		t.Errorf("annotations %v", a)
	}
}

func TestOfflineWriter(t *testing.T) {
	var a, b bytes.Buffer
	w := policyreport.Writer(policyreport.APIOpenReports)
	if err := w(&a, unitReport(), report.Options{MaxResults: 1}); err != nil {
		t.Fatal(err)
	}
	if err := w(&b, unitReport(), report.Options{MaxResults: 1}); err != nil {
		t.Fatal(err)
	}
	out := a.String()
	if out != b.String() {
		t.Error("offline YAML differs between two renderings")
	}
	// Capped at 1: the failure and the first pass (critical rule) stay.
	for _, s := range []string{"apiVersion: openreports.io/v1alpha1\nkind: Report\n", "kind: ClusterReport\n", "uid: uid-api", "result: pass", "# warning: report shop/kscan holds the first 1 pass results; 2 more were dropped"} {
		if !strings.Contains(out, s) {
			t.Errorf("offline YAML lacks %q:\n%s", s, out)
		}
	}
	// Uncapped: the file Deployment's passes too, without a uid.
	var full bytes.Buffer
	if err := w(&full, unitReport(), report.Options{}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(full.String(), "name: web\n"); n != 2 || strings.Contains(full.String(), "# warning") {
		t.Errorf("uncapped YAML: %d results on web, want 2 (run-as-root and privileged-container passes), and no warning:\n%s", n, full.String())
	}
	if strings.Contains(out, "timestamp") {
		t.Error("offline YAML has a timestamp")
	}
}

// The offline YAML of a scan of the demo files, in both APIs, is accepted
// by a real API server with kscan's CRDs (server-side dry-run apply), and
// one with a result the CRD does not allow is refused: the server does
// validate what it is given.
func TestOfflineYAMLAcceptedByAPIServer(t *testing.T) {
	srv := setup(t)
	a, err := kubetest.NewApplier(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	demo := filepath.Join(repotest.Root(), "testdata/demo")
	res, err := scan.Run(context.Background(), scan.Options{Engine: engine, Collectors: []scan.Collector{scan.CollectorFunc{N: "file", F: func(ctx context.Context, g *graph.Graph) error {
		return manifest.Collect(ctx, manifest.Options{Paths: []string{demo}, BaseDir: demo}, g)
	}}}, Passes: true}) // as kscan scan --format policyreport asks
	if err != nil {
		t.Fatal(err)
	}
	for _, api := range []string{policyreport.APIPolicyReport, policyreport.APIOpenReports} {
		t.Run(api, func(t *testing.T) {
			var buf bytes.Buffer
			if err := policyreport.Writer(api)(&buf, res.Report, report.Options{}); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "reports.yaml")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			objs, err := kubetest.Decode(path)
			if err != nil {
				t.Fatal(err)
			}
			var fails, passes int
			for _, o := range objs {
				for _, r := range resultsOf(t, o) {
					switch r.result {
					case "fail":
						fails++
					case "pass":
						passes++
					}
				}
			}
			if len(objs) < 2 || fails == 0 || passes == 0 {
				t.Fatalf("%d objects, %d fail and %d pass results: the test proves little\n%s", len(objs), fails, passes, buf.String())
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := a.Apply(ctx, objs, true); err != nil {
				t.Fatalf("the API server refused the offline YAML: %v", err)
			}
			bad := objs[0].DeepCopy()
			items, _, _ := unstructured.NestedSlice(bad.Object, "results")
			items[0].(map[string]any)["result"] = "passed-ish"
			_ = unstructured.SetNestedSlice(bad.Object, items, "results")
			if err := a.Apply(ctx, []*unstructured.Unstructured{bad}, true); err == nil || !strings.Contains(err.Error(), "passed-ish") {
				t.Errorf("a result outside the CRD's enum was not refused: %v", err)
			}
		})
	}
}

// A rule whose findings carry different severities (a finding may set its
// own) sorts by the highest of them: the results come in one order,
// however the findings' groups are visited (a map, in random order). Run
// 40 times, the order before this held differed between builds.
func TestBuildOrderIsStable(t *testing.T) {
	rep := &finding.Report{
		Rules: []finding.Rule{
			{ID: "rbac/secrets-read", Title: "Secrets", Severity: "high"},
			{ID: "k8s/run-as-root", Title: "Root", Severity: "medium"},
			{ID: "k8s/internet-exposed", Title: "Exposed", Severity: "high"},
		},
		Findings: []finding.Finding{
			{RuleID: "rbac/secrets-read", Severity: "high", Message: "all Secrets", Resource: "shop/Role/a", Fingerprint: "1"},
			{RuleID: "rbac/secrets-read", Severity: "low", Message: "one Secret", Resource: "shop/Role/b", Fingerprint: "2"},
			{RuleID: "k8s/run-as-root", Severity: "medium", Message: "root", Resource: "shop/Deployment/c", Fingerprint: "3"},
			// Two Gateways of one namespace and name, in two API groups.
			{RuleID: "k8s/internet-exposed", Severity: "high", Message: "open", Resource: "shop/Gateway/g", Fingerprint: "4"},
			{RuleID: "k8s/internet-exposed", Severity: "high", Message: "open", Resource: "shop/Gateway/g@b.yaml", Fingerprint: "5"},
		},
		Objects: map[string]finding.ObjectRef{
			"shop/Role/a":           {APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role", Namespace: "shop", Name: "a"},
			"shop/Role/b":           {APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role", Namespace: "shop", Name: "b"},
			"shop/Deployment/c":     {APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "c"},
			"shop/Gateway/g":        {APIVersion: "networking.istio.io/v1", Kind: "Gateway", Namespace: "shop", Name: "g"},
			"shop/Gateway/g@b.yaml": {APIVersion: "gateway.networking.k8s.io/v1", Kind: "Gateway", Namespace: "shop", Name: "g"},
		},
	}
	var first []result
	for i := 0; i < 40; i++ {
		b, err := policyreport.Build(nil, rep, policyreport.Options{Offline: true})
		if err != nil {
			t.Fatal(err)
		}
		got := resultsOf(t, b.Objects[0])
		// The reference's API version tells the two Gateways apart.
		items, _, _ := unstructured.NestedSlice(b.Objects[0].Object, "results")
		for j, it := range items {
			ref := it.(map[string]any)["resources"].([]any)[0].(map[string]any)
			if j < len(got) {
				got[j].uid = ref["apiVersion"].(string)
			}
		}
		if i == 0 {
			first = got
			if len(got) != 5 || got[0].rule != "k8s/internet-exposed" || got[2].rule != "rbac/secrets-read" || got[4].rule != "k8s/run-as-root" {
				t.Fatalf("results %v: want both rbac/secrets-read results (highest: high) before k8s/run-as-root (medium)", got)
			}
			continue
		}
		for j := range got {
			if got[j] != first[j] {
				t.Fatalf("build %d gave %v, the first %v", i, got, first)
			}
		}
	}
}
