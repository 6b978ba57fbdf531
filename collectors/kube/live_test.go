package kube_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/kscan-io/kscan/collectors/kube"
	"github.com/kscan-io/kscan/collectors/kube/kubetest"
	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/testenv"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/scan"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopAll()
	os.Exit(code)
}

var (
	engineOnce sync.Once
	engine     *policies.Engine
	engineErr  error
)

func loadEngine(t testing.TB) *policies.Engine {
	t.Helper()
	engineOnce.Do(func() { engine, engineErr = policies.Load(context.Background(), policies.Options{}) })
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	return engine
}

var fixtureDirs = []string{"../../testdata/demo", "../../testdata/live"}

const secretValue = "s3cr3t-value-never-in-memory"

// setup applies the fixtures once per test binary, plus what only a live
// cluster has: a ReplicaSet and Pods owned by a Deployment (no
// controller-manager runs here, so the test creates them), Pod statuses and
// a Secret with data.
var setupOnce sync.Once

func setup(t *testing.T) *testenv.APIServer {
	t.Helper()
	srv := testenv.APIServerFor(t)
	setupOnce.Do(func() {
		kubetest.ApplyFiles(t, srv.Config, fixtureDirs...)
		cs := kubernetes.NewForConfigOrDie(srv.Config)
		ctx := context.Background()
		aggregateClusterRoles(t, cs)
		dep, err := cs.AppsV1().Deployments("shop").Get(ctx, "payments-api", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rs := &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Name: "payments-api-7d9f8", Namespace: "shop",
				Labels:          map[string]string{"app": "payments", "pod-template-hash": "7d9f8"},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: dep.Name, UID: dep.UID, Controller: ptr.To(true)}}},
			Spec: appsv1.ReplicaSetSpec{Replicas: dep.Spec.Replicas, Selector: dep.Spec.Selector, Template: dep.Spec.Template},
		}
		rs.Spec.Template.Labels = map[string]string{"app": "payments", "pod-template-hash": "7d9f8"}
		rs.Spec.Selector = &metav1.LabelSelector{MatchLabels: rs.Spec.Template.Labels}
		if rs, err = cs.AppsV1().ReplicaSets("shop").Create(ctx, rs, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("payments-api-7d9f8-%d", i), Namespace: "shop", Labels: rs.Spec.Template.Labels,
					OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: ptr.To(true)}}},
				Spec: rs.Spec.Template.Spec,
			}
			pod, err := cs.CoreV1().Pods("shop").Create(ctx, pod, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			setRunning(t, cs, pod, "acme/payments@sha256:"+strings.Repeat("ab", 32))
		}
		debug, err := cs.CoreV1().Pods("shop").Get(ctx, "debug", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		setRunning(t, cs, debug, "docker.io/library/busybox@sha256:"+strings.Repeat("cd", 32))
		_, err = cs.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "payments-db", Namespace: "shop",
				Annotations: map[string]string{"kubectl.kubernetes.io/last-applied-configuration": `{"stringData":{"password":"` + secretValue + `"}}`}},
			StringData: map[string]string{"password": secretValue},
		}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	})
	return srv
}

// aggregateClusterRoles does what kube-controller-manager's clusterrole
// aggregation controller does in every real cluster (none runs here): it
// fills the rules of admin, edit and view from the roles their
// aggregationRule selects.
func aggregateClusterRoles(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	ctx := context.Background()
	roles, err := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cr := range roles.Items {
		if cr.AggregationRule == nil {
			continue
		}
		var rules []rbacv1.PolicyRule
		for _, sel := range cr.AggregationRule.ClusterRoleSelectors {
			s, err := metav1.LabelSelectorAsSelector(&sel)
			if err != nil {
				t.Fatal(err)
			}
			for _, other := range roles.Items {
				if other.Name != cr.Name && s.Matches(labels.Set(other.Labels)) {
					rules = append(rules, other.Rules...)
				}
			}
		}
		cr.Rules = rules
		if _, err := cs.RbacV1().ClusterRoles().Update(ctx, &cr, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// setRunning marks a Pod's containers running through the status
// subresource, as a kubelet would.
func setRunning(t *testing.T, cs kubernetes.Interface, pod *corev1.Pod, imageID string) {
	t.Helper()
	pod.Status.Phase = corev1.PodRunning
	pod.Status.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: imageID, Ready: true, Started: ptr.To(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}},
		})
	}
	if _, err := cs.CoreV1().Pods(pod.Namespace).UpdateStatus(context.Background(), pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func scanFiles(t *testing.T) *scan.Result {
	t.Helper()
	res, err := scan.Run(context.Background(), scan.Options{Engine: loadEngine(t), Collectors: []scan.Collector{
		scan.CollectorFunc{N: "manifest", F: func(ctx context.Context, g *graph.Graph) error {
			return manifest.Collect(ctx, manifest.Options{Paths: fixtureDirs}, g)
		}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func scanLive(t testing.TB, opts kube.Options) *scan.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := scan.Run(ctx, scan.Options{Engine: loadEngine(t), Collectors: []scan.Collector{
		scan.CollectorFunc{N: "cluster", F: func(ctx context.Context, g *graph.Graph) error { return kube.Collect(ctx, opts, g) }},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

type ruleRes struct{ rule, resource string }

func findingSet(res *scan.Result, keep func(id string) bool) map[ruleRes]bool {
	out := map[ruleRes]bool{}
	for _, f := range res.Report.Findings {
		if keep(f.Resource) {
			out[ruleRes{f.RuleID, f.Resource}] = true
		}
	}
	return out
}

func diff(a, b map[ruleRes]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k.rule+" on "+k.resource)
		}
	}
	sort.Strings(out)
	return out
}

// The live scan of applied manifests gives the same (rule, identity)
// findings as the scan of the files; owned ReplicaSets and Pods are folded
// into their Deployment.
func TestLiveMatchesFiles(t *testing.T) {
	srv := setup(t)
	files := scanFiles(t)
	if files.Graph.Incomplete() {
		t.Fatalf("file scan incomplete: %v", files.Graph.Errors())
	}
	declared := map[string]bool{}
	implied := map[string]bool{} // namespaces the files only imply by holding objects
	for _, n := range files.Graph.Nodes() {
		declared[n.ID] = true // declared or derived (a namespace that holds objects)
		if n.Source.Kind == graph.SourceDerived {
			implied[n.ID] = true
		}
	}
	// A page size of 2 makes every type with more than two objects go
	// through continue tokens.
	live := scanLive(t, kube.Options{Clusters: []kube.Cluster{{Name: "testenv", Config: srv.Config}}, PageSize: 2})
	for _, e := range live.Graph.Errors() {
		t.Errorf("live scan input problem: %v", e)
	}
	want := findingSet(files, func(string) bool { return true })
	got := findingSet(live, func(id string) bool { return declared[id] })
	// k8s/namespace-without-pss judges Namespace objects: the files only imply
	// kube-system, the cluster has the object (unlabelled, as every new API
	// server creates it), so only the live scan can judge it.
	for k := range got {
		if k.rule == "k8s/namespace-without-pss" && implied[k.resource] {
			delete(got, k)
		}
	}
	// Built-in roles are judged the same whether derived from kscan's shipped
	// definitions (files) or read from the cluster (bootstrap objects): the
	// finding is on the binding that grants them in both cases.
	if missing := diff(want, got); len(missing) > 0 {
		t.Errorf("findings of the files missing from the live scan:\n  %s", strings.Join(missing, "\n  "))
	}
	if extra := diff(got, want); len(extra) > 0 {
		t.Errorf("findings of the live scan the files do not have:\n  %s", strings.Join(extra, "\n  "))
	}
	if len(want) == 0 {
		t.Fatal("the fixtures produce no findings: the comparison proves nothing")
	}
	// Folding: nothing is reported on the ReplicaSet or its Pods.
	for _, f := range live.Report.Findings {
		if strings.Contains(f.Resource, "payments-api-7d9f8") {
			t.Errorf("finding on an owned object, should be on the Deployment: %s on %s", f.RuleID, f.Resource)
		}
	}

	nodes := map[string]*graph.Node{}
	for _, n := range live.Graph.Nodes() {
		nodes[n.ID] = n
	}
	dep := nodes["shop/Deployment/payments-api"]
	if dep == nil {
		t.Fatal("no node shop/Deployment/payments-api")
	}
	if dep.Type != "k8s:apps/Deployment" || dep.Source.Kind != graph.SourceCluster || dep.Source.Cluster != "testenv" ||
		dep.Source.Path != "/apis/apps/v1/namespaces/shop/deployments/payments-api" {
		t.Errorf("Deployment node: type %s source %+v", dep.Type, dep.Source)
	}
	// Same node, any source: every declared object reads back as its
	// manifest (Pods also carry the containerStatuses set above).
	for _, fn := range files.Graph.Nodes() {
		if fn.Source.Kind != graph.SourceFile {
			continue
		}
		ln := nodes[fn.ID]
		if ln == nil {
			t.Errorf("%s not collected live", fn.ID)
			continue
		}
		lo := ln.Object
		if lo["kind"] == "Pod" {
			lo = shallowWithout(lo, "status")
		}
		if a, b := mustJSON(t, lo), mustJSON(t, fn.Object); a != b || ln.Type != fn.Type {
			t.Errorf("%s: live object differs from the manifest after normalisation:\nlive: %s %s\nfile: %s %s", fn.ID, ln.Type, a, fn.Type, b)
		}
	}
	pod := nodes["shop/Pod/debug"]
	if pod == nil {
		t.Fatal("no node shop/Pod/debug")
	}
	st, _ := pod.Object["status"].(map[string]any)
	cs, _ := st["containerStatuses"].([]any)
	if len(cs) != 1 || !strings.Contains(mustJSON(t, cs), strings.Repeat("cd", 32)) {
		t.Errorf("debug Pod containerStatuses not kept: %v", st)
	}
	if _, ok := st["phase"]; ok {
		t.Errorf("Pod status other than containerStatuses kept: %v", st)
	}
	sec := nodes["shop/Secret/payments-db"]
	if sec == nil {
		t.Fatal("Secret shop/payments-db not collected (metadata)")
	}
	if _, ok := sec.Object["data"]; ok {
		t.Error("Secret node has data")
	}
	all := mustJSON(t, live.Graph.Nodes())
	if strings.Contains(all, secretValue) {
		t.Error("the Secret's value is in the live graph")
	}
	for _, id := range []string{"Namespace/kube-system", "ClusterRole/cluster-admin", "batch/CronJob/report", "kube-system/DaemonSet/node-agent"} {
		if nodes[id] == nil {
			t.Errorf("no node %s", id)
		}
	}
}

func nodeByID(g *graph.Graph, id string) *graph.Node {
	for _, n := range g.Nodes() {
		if n.ID == id {
			return n
		}
	}
	return nil
}

func shallowWithout(m map[string]any, key string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Custom resources are discovered and scanned with their scope from
// discovery.
func TestCustomResources(t *testing.T) {
	srv := setup(t)
	crds := `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w1, namespace: shop}
spec: {size: 3}
---
apiVersion: example.com/v1
kind: Gadget
metadata: {name: g1}
spec: {color: red}
`
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "crs.yaml"), []byte(crds), 0o600); err != nil {
		t.Fatal(err)
	}
	kubetest.ApplyFiles(t, srv.Config, dir)
	g := graph.New()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Discovery may lag the CRD by a moment.
	var w, gd *graph.Node
	for i := 0; i < 20 && (w == nil || gd == nil); i++ {
		g = graph.New()
		if err := kube.Collect(ctx, kube.Options{Clusters: []kube.Cluster{{Name: "testenv", Config: srv.Config}}}, g); err != nil {
			t.Fatal(err)
		}
		w, gd = nodeByID(g, "shop/Widget/w1"), nodeByID(g, "Gadget/g1")
		if w == nil || gd == nil {
			time.Sleep(250 * time.Millisecond)
		}
	}
	if w == nil || gd == nil {
		t.Fatalf("custom resources not collected: widget %v gadget %v", w != nil, gd != nil)
	}
	if w.Type != "k8s:example.com/Widget" || gd.Type != "k8s:example.com/Gadget" {
		t.Errorf("types %s %s", w.Type, gd.Type)
	}
	if meta := gd.Object["metadata"].(map[string]any); meta["namespace"] != nil {
		t.Errorf("cluster-scoped Gadget got a namespace: %v", meta)
	}
	if gd.Source.Path != "/apis/example.com/v1/gadgets/g1" {
		t.Errorf("Gadget path %s", gd.Source.Path)
	}
	g = graph.New()
	if err := kube.Collect(ctx, kube.Options{Clusters: []kube.Cluster{{Name: "testenv", Config: srv.Config}}, SkipCustomResources: true}, g); err != nil {
		t.Fatal(err)
	}
	if nodeByID(g, "shop/Widget/w1") != nil {
		t.Error("SkipCustomResources still lists Widgets")
	}
}

// A user who may not list some types or namespaces gets warnings naming
// them, and everything else is scanned.
func TestForbiddenIsWarning(t *testing.T) {
	srv := setup(t)
	cs := kubernetes.NewForConfigOrDie(srv.Config)
	ctx := context.Background()
	// May read everything kscan lists except NetworkPolicies, and Secrets
	// only in namespace shop.
	cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "kscan-test-limited"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"", "apps", "batch", "rbac.authorization.k8s.io", "example.com"}, Resources: []string{"pods", "services", "serviceaccounts", "namespaces", "nodes", "replicationcontrollers",
			"deployments", "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs", "roles", "rolebindings", "clusterroles", "clusterrolebindings", "widgets", "gadgets"}, Verbs: []string{"get", "list"}},
		{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses"}, Verbs: []string{"get", "list"}},
	}}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "kscan-test-secrets", Namespace: "shop"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"list"}}}}
	subj := []rbacv1.Subject{{Kind: "ServiceAccount", Name: "limited", Namespace: "default"}}
	for _, err := range []error{
		ignoreExists(cs.RbacV1().ClusterRoles().Create(ctx, cr, metav1.CreateOptions{})),
		ignoreExists(cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "kscan-test-limited"},
			RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: cr.Name}, Subjects: subj}, metav1.CreateOptions{})),
		ignoreExists(cs.RbacV1().Roles("shop").Create(ctx, role, metav1.CreateOptions{})),
		ignoreExists(cs.RbacV1().RoleBindings("shop").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "kscan-test-secrets", Namespace: "shop"},
			RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: role.Name}, Subjects: subj}, metav1.CreateOptions{})),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	cfg := kubetest.ServiceAccountConfig(t, srv.Config, "default", "limited")
	g := graph.New()
	if err := kube.Collect(ctx, kube.Options{Clusters: []kube.Cluster{{Name: "testenv", Config: cfg}}}, g); err != nil {
		t.Fatal(err)
	}
	if g.Incomplete() {
		t.Fatalf("forbidden parts made the scan incomplete: %v", g.Errors())
	}
	var warnings []string
	for _, e := range g.Errors() {
		warnings = append(warnings, e.Error())
	}
	all := strings.Join(warnings, "\n")
	for _, want := range []string{"cannot list networkpolicies.networking.k8s.io", "cannot list secrets in namespace kube-system"} {
		if !strings.Contains(all, want) {
			t.Errorf("no warning %q in:\n%s", want, all)
		}
	}
	if strings.Contains(all, "namespace shop") {
		t.Errorf("warning about namespace shop, where Secrets may be listed:\n%s", all)
	}
	if nodeByID(g, "shop/Secret/payments-db") == nil || nodeByID(g, "shop/Deployment/frontend") == nil {
		t.Error("readable objects missing")
	}
	if nodeByID(g, "shop/NetworkPolicy/default-deny") != nil {
		t.Error("NetworkPolicy listed although forbidden")
	}
}

func ignoreExists[T any](_ T, err error) error {
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// --all-contexts: one cluster dimension per context, identities prefixed.
func TestAllContexts(t *testing.T) {
	srv := setup(t)
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: %s, insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: %s}
contexts:
- name: east
  context: {cluster: c, user: u}
- name: west
  context: {cluster: c, user: u}
current-context: east
`, srv.URL, srv.Token)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	one, err := kube.LoadClusters(kube.ConfigOptions{Kubeconfig: path})
	if err != nil || len(one) != 1 || one[0].Name != "east" {
		t.Fatalf("current context: %v %v", one, err)
	}
	if _, err := kube.LoadClusters(kube.ConfigOptions{Kubeconfig: path, Context: "north"}); err == nil || !strings.Contains(err.Error(), `no context "north"`) {
		t.Errorf("unknown context error: %v", err)
	}
	clusters, err := kube.LoadClusters(kube.ConfigOptions{Kubeconfig: path, AllContexts: true})
	if err != nil || len(clusters) != 2 {
		t.Fatalf("all contexts: %v %v", clusters, err)
	}
	res := scanLive(t, kube.Options{Clusters: clusters, SkipCustomResources: true})
	for _, c := range []string{"east", "west"} {
		n := nodeByID(res.Graph, c+":shop/Deployment/payments-api")
		if n == nil || n.Source.Cluster != c {
			t.Fatalf("no node %s:shop/Deployment/payments-api with cluster %s", c, c)
		}
	}
	if nodeByID(res.Graph, "shop/Deployment/payments-api") != nil {
		t.Error("unprefixed identity with two clusters")
	}
	// Findings are per cluster, and owned Pods are still folded per cluster.
	perCluster := map[string]int{}
	for _, f := range res.Report.Findings {
		if strings.HasSuffix(f.Resource, ":shop/Deployment/payments-api") && f.RuleID == "k8s/image-tag-latest" {
			perCluster[f.Location.Cluster]++
		}
		if strings.Contains(f.Resource, "payments-api-7d9f8") {
			t.Errorf("owned object reported: %s", f.Resource)
		}
	}
	if perCluster["east"] != 1 || perCluster["west"] != 1 {
		t.Errorf("image-tag-latest per cluster: %v", perCluster)
	}
}

// Failures: unreachable server, rejected credentials, a server that never
// answers. Each is an input error naming the cluster, returned promptly.
func TestClusterFailures(t *testing.T) {
	srv := setup(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "https://" + l.Addr().String()
	l.Close()
	hang := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}))
	defer hang.Close()
	bad := rest.CopyConfig(srv.Config)
	bad.BearerToken = "not-a-valid-token"
	cases := []struct {
		name string
		cfg  *rest.Config
		want string
	}{
		{"unreachable", &rest.Config{Host: closedURL, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}, "cannot reach API server"},
		{"bad-token", bad, "rejected the credentials"},
		{"hang", &rest.Config{Host: hang.URL, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}, "did not answer in time"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := graph.New()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := kube.Collect(ctx, kube.Options{Clusters: []kube.Cluster{{Name: tc.name, Config: tc.cfg}}, RequestTimeout: 300 * time.Millisecond}, g)
			if err != nil {
				t.Fatalf("Collect returned %v; want the failure recorded in the graph", err)
			}
			errs := g.Errors()
			if len(errs) != 1 || errs[0].Level != graph.LevelError || errs[0].Source.Cluster != tc.name || !strings.Contains(errs[0].Message, tc.want) {
				t.Fatalf("want one error on cluster %s containing %q, got %v", tc.name, tc.want, errs)
			}
			if strings.Contains(errs[0].Message, "not-a-valid-token") {
				t.Error("the token is in the error message")
			}
		})
	}
	// The scan's own deadline ends a collection that is still retrying.
	g := graph.New()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err = kube.Collect(ctx, kube.Options{Clusters: []kube.Cluster{{Name: "hang", Config: &rest.Config{Host: hang.URL, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}}}}, g)
	if err == nil || ctx.Err() == nil {
		t.Errorf("Collect past the deadline returned %v", err)
	}
}

var _ = schema.GroupVersionResource{}
