package rbac_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/kscan-io/kscan/collectors/kube"
	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/rbac"
	"github.com/kscan-io/kscan/scan"
)

const aggLabel = "kscan.test/aggregate-to-drift"

// desiredRBAC is the RBAC a team declares in Git for the drift scenario.
func desiredRBAC() []any {
	return []any{
		aggRole("drift-agg", map[string]string{aggLabel: "true"}),
		crole("drift-agg-src", map[string]string{aggLabel: "true"},
			rule(l("rbac.authorization.k8s.io"), l("roles"), l("get", "list"))),
		crb("drift-agg-ops", "drift-agg", group("drift-ops")),
		nsRole("drift-a", "pod-reader", rule(l(""), l("pods", "pods/log"), l("get", "list"))),
		rb("drift-a", "readers", "Role", "pod-reader", user("reader1"), sa("drift-a", "bot")),
		crb("drift-viewers", "view", user("viewer")),
	}
}

// writeDesired writes objects as the YAML files of a desired-state
// directory, one file per object.
func writeDesired(t *testing.T, objs []any) string {
	t.Helper()
	dir := t.TempDir()
	for i, o := range objs {
		var kind string
		switch v := o.(type) {
		case *rbacv1.ClusterRole:
			c := v.DeepCopy()
			c.TypeMeta = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"}
			o, kind = c, "clusterrole"
		case *rbacv1.ClusterRoleBinding:
			c := v.DeepCopy()
			c.TypeMeta = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"}
			o, kind = c, "clusterrolebinding"
		case *rbacv1.Role:
			c := v.DeepCopy()
			c.TypeMeta = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"}
			o, kind = c, "role"
		case *rbacv1.RoleBinding:
			c := v.DeepCopy()
			c.TypeMeta = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"}
			o, kind = c, "rolebinding"
		}
		data, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, kind+"-"+string(rune('a'+i))+".yaml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// driftScan runs the scan pipeline as `kscan scan --kubeconfig … --desired
// DIR --rules rbac/drift` does: the live collector, the desired state as
// the reference, the built-in rules.
func driftScan(t *testing.T, s clusterInfo, desiredDir string) []finding.Finding {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	engine, err := policies.Load(ctx, policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	live := scan.CollectorFunc{N: "cluster", F: func(ctx context.Context, g *graph.Graph) error {
		return kube.Collect(ctx, kube.Options{Clusters: []kube.Cluster{{Name: "testenv", Config: s.config}}, SkipCustomResources: true}, g)
	}}
	desired := scan.CollectorFunc{N: "desired", F: func(ctx context.Context, g *graph.Graph) error {
		ref := graph.New()
		err := manifest.Collect(ctx, manifest.Options{Paths: []string{desiredDir}}, ref)
		for _, e := range ref.Errors() {
			g.AddError(e)
		}
		rbac.AddReference(g, rbac.RefDesired, ref.Nodes())
		return err
	}}
	res, err := scan.Run(ctx, scan.Options{Engine: engine, Collectors: []scan.Collector{live, desired}, Rules: []string{"rbac/drift"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range res.Report.Notifications {
		if n.Level == "error" {
			t.Errorf("scan notification: %s", n.Message)
		}
	}
	return res.Report.Findings
}

// TestDriftAgainstDesiredState is the scenario against the real
// API server: no drift right after applying the desired state; then a new
// ClusterRoleBinding, escalate added to an aggregated role's source, and a
// deleted RoleBinding give exactly the expected findings.
func TestDriftAgainstDesiredState(t *testing.T) {
	srv, cs := cluster(t)
	s := clusterInfo{config: srv.Config}
	ensureNamespaces(t, cs, "drift-a")
	objs := desiredRBAC()
	dir := writeDesired(t, objs)
	applyRBAC(t, cs, objs...)
	waitAggregated(t, cs, "drift-agg", "get")

	if fs := driftScan(t, s, dir); len(fs) != 0 {
		t.Fatalf("right after applying the desired state, want no drift, got:%s", describe(fs))
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// 1. a ClusterRoleBinding nobody declared
	applyRBAC(t, cs, crb("drift-extra", "edit", user("mallory")))
	// 2. escalate added to the source of an aggregated role
	src, err := cs.RbacV1().ClusterRoles().Get(ctx, "drift-agg-src", metav1.GetOptions{})
	must(t, err, "get drift-agg-src")
	src.Rules[0].Verbs = append(src.Rules[0].Verbs, "escalate")
	_, err = cs.RbacV1().ClusterRoles().Update(ctx, src, metav1.UpdateOptions{})
	must(t, err, "update drift-agg-src")
	// 3. a declared RoleBinding deleted
	must(t, cs.RbacV1().RoleBindings("drift-a").Delete(ctx, "readers", metav1.DeleteOptions{}), "delete readers")
	waitAggregated(t, cs, "drift-agg", "escalate")

	fs := driftScan(t, s, dir)
	type want struct{ severity, resource, subject, grant, via string }
	wants := []want{
		{"high", "ClusterRoleBinding/drift-agg-ops", "Group drift-ops gained", "escalate roles.rbac.authorization.k8s.io (cluster-wide)",
			"ClusterRoleBinding drift-agg-ops -> ClusterRole drift-agg (aggregated from ClusterRole drift-agg-src)"},
		{"low", "drift-a/RoleBinding/readers", "ServiceAccount drift-a/bot lost", "get pods/log in drift-a", "RoleBinding drift-a/readers -> Role drift-a/pod-reader"},
		{"high", "ClusterRoleBinding/drift-extra", "User mallory gained", "create configmaps (cluster-wide)",
			"ClusterRoleBinding drift-extra -> ClusterRole edit (aggregated from ClusterRole system:aggregate-to-edit, system:aggregate-to-view)"},
		{"low", "drift-a/RoleBinding/readers", "User reader1 lost", "list pods in drift-a", "RoleBinding drift-a/readers -> Role drift-a/pod-reader"},
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].Message < fs[j].Message })
	if len(fs) != len(wants) {
		t.Fatalf("want %d drift findings, got %d:%s", len(wants), len(fs), describe(fs))
	}
	for i, w := range wants {
		f := fs[i]
		if f.RuleID != "rbac/drift" || f.Severity != w.severity || !strings.HasSuffix(f.Resource, w.resource) ||
			!strings.HasPrefix(f.Message, w.subject) || !strings.Contains(f.Message, w.grant) || !strings.HasSuffix(f.Message, "through "+w.via) {
			t.Errorf("finding %d:\n got %s %s %s: %s\nwant %s %s, message starting %q containing %q through %q", i,
				f.RuleID, f.Severity, f.Resource, f.Message, w.severity, w.resource, w.subject, w.grant, w.via)
		}
	}
	// Only escalate changed for drift-ops (sorted first).: get and list are unchanged.
	if strings.Contains(fs[0].Message, "get roles") || strings.Contains(fs[0].Message, "list roles") {
		t.Errorf("unchanged grants reported as drift: %s", fs[0].Message)
	}
}

type clusterInfo struct{ config *rest.Config }

func waitAggregated(t *testing.T, cs kubernetes.Interface, name, verb string) {
	t.Helper()
	waitFor(t, 60*time.Second, "ClusterRole "+name+" aggregated with "+verb, func(ctx context.Context) (bool, error) {
		cr, err := cs.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, r := range cr.Rules {
			for _, v := range r.Verbs {
				if v == verb {
					return true, nil
				}
			}
		}
		return false, nil
	})
}

func describe(fs []finding.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("\n  " + f.RuleID + " " + f.Severity + " " + f.Resource + ": " + f.Message)
	}
	return b.String()
}
