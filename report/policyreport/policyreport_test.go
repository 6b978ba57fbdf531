package policyreport_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/kscan-io/kscan/collectors/kube"
	"github.com/kscan-io/kscan/collectors/kube/kubetest"
	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/repotest"
	"github.com/kscan-io/kscan/internal/testenv"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/report/policyreport"
	"github.com/kscan-io/kscan/scan"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopAll()
	os.Exit(code)
}

const secretValue = "s3cr3t-value-never-in-memory"

var (
	setupOnce sync.Once
	engine    *policies.Engine
)

// setup applies the fixtures, a Secret with data, and kscan's own deploy/
// (CRDs and base) exactly as shipped.
func setup(t *testing.T) *testenv.APIServer {
	t.Helper()
	srv := testenv.APIServerFor(t)
	setupOnce.Do(func() {
		var err error
		if engine, err = policies.Load(context.Background(), policies.Options{}); err != nil {
			t.Fatal(err)
		}
		kubetest.ApplyFiles(t, srv.Config, filepath.Join(repotest.Root(), "testdata/demo"), filepath.Join(repotest.Root(), "testdata/live"))
		cs := kubernetes.NewForConfigOrDie(srv.Config)
		_, err = cs.CoreV1().Secrets("shop").Create(context.Background(), &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "payments-db", Namespace: "shop"},
			StringData: map[string]string{"password": secretValue},
		}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		a, err := kubetest.NewApplier(srv.Config)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, dir := range []string{filepath.Join(repotest.Root(), "deploy/crds"), filepath.Join(repotest.Root(), "deploy/base")} {
			objs, err := kubetest.Kustomize(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Apply(ctx, objs, false); err != nil {
				t.Fatal(err)
			}
		}
	})
	return srv
}

// recorder logs every request the scanner's client makes and the bodies it
// receives, to prove on the wire that Secrets are only ever requested as
// metadata.
type recorder struct {
	mu       sync.Mutex
	secrets  []string // Accept headers of requests for secrets
	bodies   bytes.Buffer
	requests int
}

func (r *recorder) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		resp, err := rt.RoundTrip(req)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.requests++
		if strings.Contains(req.URL.Path, "/secrets") {
			r.secrets = append(r.secrets, req.Method+" "+req.URL.Path+" Accept: "+req.Header.Get("Accept"))
		}
		if err == nil && resp.Body != nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			r.bodies.Write(body)
			resp.Body = io.NopCloser(bytes.NewReader(body))
		}
		return resp, err
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// scanAs runs the CronJob's scan (kscan scan --in-cluster --report
// policyreport --kube-skip-custom-resources) with the given credentials.
func scanAs(t *testing.T, cfg *rest.Config, opts policyreport.Options) *scan.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	clusters := []kube.Cluster{{Name: "in-cluster", Config: cfg}}
	opts.Cluster = "in-cluster"
	res, err := scan.Run(ctx, scan.Options{
		Engine: engine,
		Collectors: []scan.Collector{scan.CollectorFunc{N: "cluster", F: func(ctx context.Context, g *graph.Graph) error {
			// The CronJob's flags (deploy/base/cronjob.yaml).
			return kube.Collect(ctx, kube.Options{Clusters: clusters, SkipCustomResources: true, SkipSecrets: true}, g)
		}}},
		PostProcessors: []scan.PostProcessor{&policyreport.Processor{Config: cfg, Options: opts}},
		Passes:         true, // as kscan scan --report asks
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range res.Report.Notifications {
		if n.Level == "error" {
			t.Errorf("scan error: %s %s", n.Resource, n.Message)
		}
	}
	return res
}

// counts are the results a report object should hold.
type counts struct{ fail, pass int }

// expected counts, per namespace ("" for cluster-scoped), one fail or skip
// result per (rule, object) with findings and one pass result per (rule,
// object) the rule evaluated (Report.Evaluated) without a finding.
func expected(res *scan.Result) map[string]counts {
	byID := map[string]*graph.Node{}
	for _, n := range res.Graph.Nodes() {
		byID[n.ID] = n
	}
	nsOf := func(id string) (string, bool) {
		n := byID[id]
		if n == nil || !graph.IsK8s(n) {
			return "", false
		}
		kind, ns, _ := graph.K8sMeta(n)
		if graph.IsClusterScoped(kind) {
			ns = ""
		}
		return ns, true
	}
	seen := map[[2]string]bool{}
	out := map[string]counts{}
	for _, f := range res.Report.Findings {
		ns, ok := nsOf(f.Resource)
		if !ok || seen[[2]string{f.RuleID, f.Resource}] {
			continue
		}
		seen[[2]string{f.RuleID, f.Resource}] = true
		c := out[ns]
		c.fail++
		out[ns] = c
	}
	for rule, ids := range res.Report.Evaluated {
		for _, id := range ids {
			ns, ok := nsOf(id)
			if !ok || seen[[2]string{rule, id}] {
				continue
			}
			c := out[ns]
			c.pass++
			out[ns] = c
		}
	}
	return out
}

func listReports(t *testing.T, cfg *rest.Config, k policyreport.Kinds) map[string]*unstructured.Unstructured {
	t.Helper()
	dyn := dynamic.NewForConfigOrDie(cfg)
	out := map[string]*unstructured.Unstructured{}
	for _, res := range []struct {
		gvr     any
		cluster bool
	}{{k.Resource, false}, {k.ClusterRes, true}} {
		_ = res
	}
	l, err := dyn.Resource(k.Resource).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range l.Items {
		out[l.Items[i].GetNamespace()] = &l.Items[i]
		if l.Items[i].GetName() != policyreport.ReportName {
			t.Errorf("unexpected report %s/%s", l.Items[i].GetNamespace(), l.Items[i].GetName())
		}
	}
	cl, err := dyn.Resource(k.ClusterRes).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cl.Items) > 1 {
		t.Errorf("%d cluster reports", len(cl.Items))
	}
	for i := range cl.Items {
		out[""] = &cl.Items[i]
	}
	return out
}

func checkReports(t *testing.T, got map[string]*unstructured.Unstructured, want map[string]counts, k policyreport.Kinds) {
	t.Helper()
	var gotNS, wantNS []string
	for ns := range got {
		gotNS = append(gotNS, ns)
	}
	for ns := range want {
		wantNS = append(wantNS, ns)
	}
	sort.Strings(gotNS)
	sort.Strings(wantNS)
	if strings.Join(gotNS, ",") != strings.Join(wantNS, ",") {
		t.Fatalf("reports in namespaces %q, want %q", gotNS, wantNS)
	}
	for ns, r := range got {
		results, _, _ := unstructured.NestedSlice(r.Object, "results")
		fail, _, _ := unstructured.NestedInt64(r.Object, "summary", "fail")
		skip, _, _ := unstructured.NestedInt64(r.Object, "summary", "skip")
		pass, _, _ := unstructured.NestedInt64(r.Object, "summary", "pass")
		w := want[ns]
		if len(results) != w.fail+w.pass || int(fail+skip) != w.fail || int(pass) != w.pass {
			t.Errorf("%s %q: %d results, summary fail %d skip %d pass %d; want %d fail or skip and %d pass", r.GetKind(), ns, len(results), fail, skip, pass, w.fail, w.pass)
		}
		var passes int
		for _, it := range results {
			if it.(map[string]any)["result"] == "pass" {
				passes++
			}
		}
		if passes != int(pass) {
			t.Errorf("%s %q: %d pass results, summary says %d", r.GetKind(), ns, passes, pass)
		}
		if r.GetLabels()[policyreport.LabelManagedBy] != policyreport.ManagedBy {
			t.Errorf("%s %q not labelled: %v", r.GetKind(), ns, r.GetLabels())
		}
		if (ns == "" && r.GetKind() != k.ClusterKind) || (ns != "" && r.GetKind() != k.Kind) {
			t.Errorf("kind %s in %q", r.GetKind(), ns)
		}
		for _, it := range results {
			m := it.(map[string]any)
			if m["source"] != "kscan" || m["result"] == nil || m["severity"] == nil || m["category"] == nil || m["message"] == "" {
				t.Errorf("incomplete result %v", m)
			}
			refs, _ := m["resources"].([]any)
			if len(refs) != 1 {
				t.Errorf("result without resource: %v", m)
				continue
			}
			ref := refs[0].(map[string]any)
			if ref["namespace"] != nil && ref["namespace"] != ns || ref["apiVersion"] == "" || ref["kind"] == "" {
				t.Errorf("bad resource ref %v in %q", ref, ns)
			}
			// Every object of a live scan has its uid.
			if uid, _ := ref["uid"].(string); uid == "" {
				t.Errorf("resource ref without uid: %v", ref)
			}
		}
	}
}

// The CronJob's ServiceAccount, with exactly the permissions of deploy/,
// reads what the scan needs, never gets Secret data, and writes one report
// per namespace with the right counts; a second run updates them in place;
// results and reports that no longer apply are removed.
func TestCronJobServiceAccountWritesReports(t *testing.T) {
	srv := setup(t)
	sa := kubetest.ServiceAccountConfig(t, srv.Config, "kscan", "kscan")
	rec := &recorder{}
	cfg := rest.CopyConfig(sa)
	cfg.WrapTransport = rec.wrap
	kinds, _ := policyreport.KindsOf(policyreport.APIPolicyReport)

	res := scanAs(t, cfg, policyreport.Options{SnapshotNamespace: "kscan"})
	for _, e := range res.Graph.Errors() {
		t.Errorf("the ServiceAccount could not read everything: %v", e)
	}
	for _, n := range res.Report.Notifications {
		if strings.Contains(n.Message, "forbidden") {
			t.Errorf("the ServiceAccount was refused something it needs: %s %s", n.Resource, n.Message)
		}
	}
	if nodeCount(res.Graph, "k8s:apps/Deployment") == 0 {
		t.Fatal("Deployments not collected")
	}
	// The CronJob skips Secrets, so on the wire there is no request for them
	// and no response carries the value (plain or base64).
	if nodeCount(res.Graph, "k8s:core/Secret") != 0 || len(rec.secrets) != 0 {
		t.Errorf("Secrets collected with --kube-skip-secrets: %d nodes, requests %q", nodeCount(res.Graph, "k8s:core/Secret"), rec.secrets)
	}
	b64 := base64.StdEncoding.EncodeToString([]byte(secretValue))
	if body := rec.bodies.String(); strings.Contains(body, secretValue) || strings.Contains(body, b64) {
		t.Error("a response to the scanner carried the Secret's value")
	}
	// The RBAC of deploy/ itself: the ServiceAccount has no permission on
	// Secrets, asked of the API server (SubjectAccessReview) and tried for real.
	sar := kubernetes.NewForConfigOrDie(srv.Config).AuthorizationV1().SubjectAccessReviews()
	for _, verb := range []string{"get", "list", "watch"} {
		for _, ns := range []string{"shop", "kscan", ""} {
			r, err := sar.Create(context.Background(), &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User: "system:serviceaccount:kscan:kscan", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:kscan", "system:authenticated"},
				ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: verb, Resource: "secrets", Namespace: ns},
			}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Status.Allowed {
				t.Errorf("the kscan ServiceAccount may %s secrets in %q", verb, ns)
			}
		}
	}
	saClient := kubernetes.NewForConfigOrDie(sa).CoreV1()
	if _, err := saClient.Secrets("shop").Get(context.Background(), "payments-db", metav1.GetOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("get secret as the kscan ServiceAccount: %v, want forbidden", err)
	}
	if _, err := saClient.Secrets("").List(context.Background(), metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("list secrets as the kscan ServiceAccount: %v, want forbidden", err)
	}
	// The shipped CronJob passes the flag the ServiceAccount's RBAC relies on.
	if !cronJobArgs(t)["--kube-skip-secrets"] {
		t.Error("deploy/base's CronJob does not pass --kube-skip-secrets, which its ClusterRole requires")
	}

	want := expected(res)
	if want["shop"].fail == 0 || want[""].fail == 0 || want["shop"].pass == 0 {
		t.Fatalf("fixtures give no namespaced or no cluster findings: %v", want)
	}
	first := listReports(t, srv.Config, kinds)
	checkReports(t, first, want, kinds)

	// The snapshot for the next run.
	data, format, err := policyreport.ReadSnapshot(context.Background(), srv.Config, "kscan")
	if err != nil {
		t.Fatal(err)
	}
	if format != policyreport.DefaultFormat {
		t.Errorf("snapshot format %q", format)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var nodes []graph.Node
	if err := json.NewDecoder(zr).Decode(&nodes); err != nil {
		t.Fatal(err)
	}
	if len(nodes) < 20 {
		t.Errorf("snapshot holds %d nodes", len(nodes))
	}
	raw, _ := json.Marshal(nodes)
	if strings.Contains(string(raw), secretValue) {
		t.Error("the snapshot holds the Secret's value")
	}

	// Second run: same objects, updated in place.
	scanAs(t, cfg, policyreport.Options{SnapshotNamespace: "kscan"})
	second := listReports(t, srv.Config, kinds)
	checkReports(t, second, want, kinds)
	for ns, r := range second {
		if r.GetUID() != first[ns].GetUID() {
			t.Errorf("report %q was recreated, not updated", ns)
		}
	}

	// Fix things: remove the payments Deployment (its results go) and
	// everything in namespace batch (its report goes).
	cs := kubernetes.NewForConfigOrDie(srv.Config)
	ctx := context.Background()
	// Background propagation: no orphan finalizer, which only a
	// controller-manager (absent here) would remove.
	bg := metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)}
	must(t, cs.AppsV1().Deployments("shop").Delete(ctx, "payments-api", bg))
	must(t, cs.BatchV1().CronJobs("batch").Delete(ctx, "report", bg))
	must(t, cs.BatchV1().Jobs("batch").Delete(ctx, "migrate", bg))
	res3 := scanAs(t, cfg, policyreport.Options{SnapshotNamespace: "kscan"})
	want3 := expected(res3)
	if want3["batch"].fail > 0 {
		for _, f := range res3.Report.Findings {
			if strings.HasPrefix(f.Resource, "batch/") {
				t.Logf("%s %s", f.RuleID, f.Resource)
			}
		}
		t.Fatalf("namespace batch still has findings: %v", want3)
	}
	third := listReports(t, srv.Config, kinds)
	checkReports(t, third, want3, kinds)
	if strings.Contains(toJSON(t, third["shop"]), "payments-api") {
		t.Error("results of the deleted Deployment are still in the shop report")
	}
}

// --report-api openreports writes Report/ClusterReport; a cap on results is
// applied and reported.
func TestOpenReportsAndCap(t *testing.T) {
	srv := setup(t)
	cfg := kubetest.ServiceAccountConfig(t, srv.Config, "kscan", "kscan")
	kinds, _ := policyreport.KindsOf(policyreport.APIOpenReports)
	res := scanAs(t, cfg, policyreport.Options{API: policyreport.APIOpenReports, MaxResults: 1})
	want := expected(res)
	got := listReports(t, srv.Config, kinds)
	capped, cappedPass := map[string]int{}, map[string]int{}
	for ns, c := range want {
		if c.fail > 1 {
			capped[ns] = c.fail - 1
			c.fail = 1
		}
		if c.pass > 1 {
			cappedPass[ns] = c.pass - 1
			c.pass = 1
		}
		want[ns] = c
	}
	checkReports(t, got, want, kinds)
	if len(capped) == 0 || len(cappedPass) == 0 {
		t.Fatal("no report was capped: the test proves nothing")
	}
	for ns, dropped := range capped {
		if a := got[ns].GetAnnotations()[policyreport.AnnotationDropped]; a != strconv.Itoa(dropped) {
			t.Errorf("report %q: dropped annotation %q, want %d", ns, a, dropped)
		}
	}
	for ns, dropped := range cappedPass {
		if a := got[ns].GetAnnotations()[policyreport.AnnotationPassDropped]; a != strconv.Itoa(dropped) {
			t.Errorf("report %q: pass-dropped annotation %q, want %d", ns, a, dropped)
		}
	}
	warned := 0
	for _, n := range res.Report.Notifications {
		if n.Level == "warning" && strings.Contains(n.Message, "more were dropped") {
			warned++
		}
	}
	if warned != len(capped)+len(cappedPass) {
		t.Errorf("%d cap warnings, want %d", warned, len(capped)+len(cappedPass))
	}
}

// deploy/ passes a server-side dry-run apply, and kscan's own rules pass on
// it at the default gate.
func TestDeployManifests(t *testing.T) {
	srv := setup(t)
	a, err := kubetest.NewApplier(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var all []*unstructured.Unstructured
	for _, dir := range []string{filepath.Join(repotest.Root(), "deploy/crds"), filepath.Join(repotest.Root(), "deploy/base")} {
		objs, err := kubetest.Kustomize(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Apply(ctx, objs, true); err != nil {
			t.Fatalf("server-side dry-run of %s: %v", dir, err)
		}
		all = append(all, objs...)
	}
	kinds := map[string]bool{}
	for _, o := range all {
		kinds[o.GetKind()] = true
	}
	for _, k := range []string{"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "CronJob", "CustomResourceDefinition"} {
		if !kinds[k] {
			t.Errorf("deploy/ has no %s", k)
		}
	}
	// Scan the rendered base as files.
	g := graph.New()
	for _, o := range all {
		if o.GetKind() == "CustomResourceDefinition" {
			continue
		}
		g.AddNode(graph.NewK8sNode(o.DeepCopy().Object, graph.Source{Kind: graph.SourceFile, File: "deploy/base"}, ""))
	}
	rules, err := scan.SelectRules(engine.Rules(), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := scan.Evaluate(ctx, engine, g, rules)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		waived := map[string]bool{"k8s/sa-token-automount": true}
		switch {
		case waived[f.RuleID]:
			// Waived in deploy/ with kscan.io/ignore and a reason (checked below).
		case f.RuleID == "k8s/image-not-pinned":
			// Pinned by the user with the digest make image prints.
		default:
			t.Errorf("kscan's own deploy/ fails %s (%s): %s", f.RuleID, f.Severity, f.Message)
		}
		if finding.AtLeast(f.Severity, finding.High) && !waived[f.RuleID] {
			t.Errorf("deploy/ would fail the default gate: %s", f.RuleID)
		}
	}
	// The waivers are in the manifests, with reasons.
	for _, o := range all {
		ann := o.GetAnnotations()
		if o.GetKind() == "CronJob" {
			ann, _, _ = unstructured.NestedStringMap(o.Object, "spec", "jobTemplate", "spec", "template", "metadata", "annotations")
		}
		if ann["kscan.io/ignore"] != "" && ann["kscan.io/ignore-reason"] == "" {
			t.Errorf("%s %s waives %s without a reason", o.GetKind(), o.GetName(), ann["kscan.io/ignore"])
		}
	}
}

// cronJobArgs reads the container arguments of deploy/base's CronJob.
func cronJobArgs(t *testing.T) map[string]bool {
	t.Helper()
	objs, err := kubetest.Kustomize(filepath.Join(repotest.Root(), "deploy/base"))
	if err != nil {
		t.Fatal(err)
	}
	args := map[string]bool{}
	for _, o := range objs {
		if o.GetKind() != "CronJob" {
			continue
		}
		cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "jobTemplate", "spec", "template", "spec", "containers")
		for _, c := range cs {
			a, _, _ := unstructured.NestedStringSlice(c.(map[string]any), "args")
			for _, x := range a {
				args[x] = true
			}
		}
	}
	if len(args) == 0 {
		t.Fatal("deploy/base has no CronJob with args")
	}
	return args
}

func nodeCount(g *graph.Graph, typ string) int {
	n := 0
	for _, x := range g.Nodes() {
		if x.Type == typ {
			n++
		}
	}
	return n
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
