package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kscan-io/kscan/collectors/kube/kubetest"
	"github.com/kscan-io/kscan/internal/testenv"
	"github.com/kscan-io/kscan/report/policyreport"
)

// The CronJob remembers: each --report run reads what the last one left
// (its reports and its graph snapshot) and says what changed. On a real API
// server: run, change a Deployment (fix one, add a broken one) and a
// RoleBinding, run again; the second run names exactly those changes.
func TestReportRemembersLastRun(t *testing.T) {
	srv := testenv.APIServerFor(t)
	t.Cleanup(testenv.StopAll)
	ctx := context.Background()
	crds, err := kubetest.Kustomize("../../deploy/crds")
	if err != nil {
		t.Fatal(err)
	}
	a, err := kubetest.NewApplier(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Apply(ctx, crds, false); err != nil {
		t.Fatal(err)
	}
	const ns, state = "remember", "remember-state"
	kubetest.EnsureNamespace(t, srv.Config, ns)
	kubetest.EnsureNamespace(t, srv.Config, state)
	cs := kubernetes.NewForConfigOrDie(srv.Config)
	dyn := dynamic.NewForConfigOrDie(srv.Config)
	kinds, _ := policyreport.KindsOf(policyreport.APIPolicyReport)
	// Other tests of this package share the API server: start from no
	// reports and no snapshot, so the first run here is a first run.
	// (The CRDs may take a moment to be served after they are created.)
	for _, res := range []schema.GroupVersionResource{kinds.Resource, kinds.ClusterRes} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			l, err := dyn.Resource(res).List(ctx, metav1.ListOptions{LabelSelector: policyreport.LabelManagedBy + "=" + policyreport.ManagedBy})
			if err == nil {
				for _, it := range l.Items {
					var c dynamic.ResourceInterface = dyn.Resource(res)
					if it.GetNamespace() != "" {
						c = dyn.Resource(res).Namespace(it.GetNamespace())
					}
					if err := c.Delete(ctx, it.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
						t.Fatal(err)
					}
				}
				break
			}
			if !apierrors.IsNotFound(err) || time.Now().After(deadline) {
				t.Fatalf("clearing %s: %v", res.Resource, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if err := cs.CoreV1().ConfigMaps(state).Delete(ctx, policyreport.SnapshotConfigMap, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}

	deploy := func(name, image string) *appsv1.Deployment {
		labels := map[string]string{"app": name}
		return &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
				},
			},
		}
	}
	mustCreate := func(err error) {
		t.Helper()
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	_, err = cs.AppsV1().Deployments(ns).Create(ctx, deploy("web", "nginx:latest"), metav1.CreateOptions{})
	mustCreate(err)
	_, err = cs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "deployer", Namespace: ns},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "update"}}},
	}, metav1.CreateOptions{})
	mustCreate(err)
	_, err = cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "deployers", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "deployer"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "alice", APIGroup: "rbac.authorization.k8s.io"}},
	}, metav1.CreateOptions{})
	mustCreate(err)

	scanOnce := func() string {
		t.Helper()
		var out, errOut bytes.Buffer
		code := run(ctx, []string{"scan", "--kubeconfig", srv.Kubeconfig, "--report", "policyreport", "--snapshot-namespace", state,
			"--kube-skip-custom-resources", "--fail-on", "none", "--quiet", "--format", "json"}, strings.NewReader(""), &out, &errOut)
		if code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", code, errOut.String())
		}
		return errOut.String()
	}
	first := scanOnce()
	if !strings.Contains(first, "kscan: first run") {
		t.Errorf("first run not reported as such:\n%s", first)
	}

	// Fix web (pinned by digest), add a broken Deployment, give bob the role.
	web, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	web.Spec.Template.Spec.Containers[0].Image = "nginx:1.27.3@sha256:" + strings.Repeat("ab", 32)
	if _, err := cs.AppsV1().Deployments(ns).Update(ctx, web, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = cs.AppsV1().Deployments(ns).Create(ctx, deploy("worker", "busybox:latest"), metav1.CreateOptions{})
	mustCreate(err)
	rb, err := cs.RbacV1().RoleBindings(ns).Get(ctx, "deployers", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rb.Subjects = append(rb.Subjects, rbacv1.Subject{Kind: "User", Name: "bob", APIGroup: "rbac.authorization.k8s.io"})
	if _, err := cs.RbacV1().RoleBindings(ns).Update(ctx, rb, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	second := scanOnce()
	for _, want := range []string{
		"kscan: since the last run:",
		"fixed k8s/image-tag-latest " + ns + "/Deployment/web",
		"new k8s/image-tag-latest " + ns + "/Deployment/worker",
	} {
		if !strings.Contains(second, want) {
			t.Errorf("second run's log lacks %q:\n%s", want, second)
		}
	}
	// Nothing about web is new, nothing about worker is fixed.
	for _, l := range strings.Split(second, "\n") {
		if (strings.HasPrefix(strings.TrimSpace(l), "new ") && strings.Contains(l, "/Deployment/web")) ||
			(strings.HasPrefix(strings.TrimSpace(l), "fixed ") && strings.Contains(l, "/Deployment/worker")) {
			t.Errorf("wrong change: %s", l)
		}
	}

	// The report in the namespace: worker's results are marked new, the
	// fixed one is counted, and rbac/drift names bob's new grant.
	rep, err := dyn.Resource(kinds.Resource).Namespace(ns).Get(ctx, policyreport.ReportName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.GetAnnotations()[policyreport.AnnotationFixed]; got == "" || got == "0" {
		t.Errorf("annotation %s = %q, want the fixed count", policyreport.AnnotationFixed, got)
	}
	results, _ := rep.Object["results"].([]any)
	var workerNew, webNew, drift bool
	for _, r := range results {
		m := r.(map[string]any)
		props, _ := m["properties"].(map[string]any)
		res := m["resources"].([]any)[0].(map[string]any)
		isNew := props[policyreport.PropertyNew] == "true"
		switch {
		case res["name"] == "worker" && m["result"] == "fail" && isNew:
			workerNew = true
		case res["name"] == "web" && isNew:
			webNew = true
		}
		if m["policy"] == "rbac/drift" && strings.Contains(m["message"].(string), "bob") {
			drift = true
		}
	}
	if !workerNew || webNew {
		t.Errorf("new marks: worker %v (want true), web %v (want false)", workerNew, webNew)
	}
	if !drift {
		var msgs []string
		for _, r := range results {
			m := r.(map[string]any)
			msgs = append(msgs, m["policy"].(string)+": "+m["message"].(string))
		}
		t.Errorf("no rbac/drift result naming bob in %s's report:\n%s", ns, strings.Join(msgs, "\n"))
	}

	// A corrupt snapshot is a warning and a fresh start, not a failure.
	cm, err := cs.CoreV1().ConfigMaps(state).Get(ctx, policyreport.SnapshotConfigMap, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for k := range cm.BinaryData {
		cm.BinaryData[k] = []byte("\x1f\x8bnot really gzip")
	}
	if _, err := cs.CoreV1().ConfigMaps(state).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"scan", "--kubeconfig", srv.Kubeconfig, "--report", "policyreport", "--snapshot-namespace", state,
		"--kube-skip-custom-resources", "--fail-on", "none", "--format", "json"}, strings.NewReader(""), &out, &errOut)
	if code != 0 || !strings.Contains(errOut.String(), "snapshot is unreadable") || !strings.Contains(errOut.String(), "starts afresh") {
		t.Errorf("corrupt snapshot: exit %d, stderr:\n%s", code, errOut.String())
	}
}
