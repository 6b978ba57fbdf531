package rbac_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	stopControllerManager()
	testenv.StopAll()
	os.Exit(code)
}

var (
	kcmOnce sync.Once
	kcmCmd  *exec.Cmd
	kcmErr  error
)

// cluster returns a client of the shared test API server with the
// clusterrole-aggregation controller of a real kube-controller-manager
// running against it: without it, aggregated ClusterRoles (admin, edit,
// view and our own) would keep empty rules and the API server's answers
// would not be those of a real cluster.
func cluster(t *testing.T) (*testenv.APIServer, kubernetes.Interface) {
	t.Helper()
	s := testenv.APIServerFor(t)
	kcm := testenv.Binary(t, "kube-controller-manager")
	kcmOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kscan-kcm-")
		if err != nil {
			kcmErr = err
			return
		}
		logf, err := os.Create(filepath.Join(dir, "kcm.log"))
		if err != nil {
			kcmErr = err
			return
		}
		cmd := exec.Command(kcm,
			"--kubeconfig", s.Kubeconfig,
			"--controllers", "clusterrole-aggregation-controller",
			"--leader-elect=false",
			"--secure-port=0",
			"--v=0",
		)
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
		if err := cmd.Start(); err != nil {
			kcmErr = err
			return
		}
		kcmCmd = cmd
	})
	if kcmErr != nil {
		t.Fatalf("starting kube-controller-manager: %v", kcmErr)
	}
	cs, err := kubernetes.NewForConfig(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	// The bootstrap "admin" role is aggregated: once it has rules, the
	// controller works.
	waitFor(t, 90*time.Second, "ClusterRole admin aggregated by kube-controller-manager", func(ctx context.Context) (bool, error) {
		cr, err := cs.RbacV1().ClusterRoles().Get(ctx, "admin", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		return len(cr.Rules) > 0, nil
	})
	return s, cs
}

func stopControllerManager() {
	if kcmCmd != nil && kcmCmd.Process != nil {
		_ = syscall.Kill(-kcmCmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = kcmCmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-kcmCmd.Process.Pid, syscall.SIGKILL)
		}
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, f func(ctx context.Context) (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		ok, err := f(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// clusterRBAC lists every RBAC object of the cluster as graph nodes, the
// way a live collector gives them (graph.NewK8sNode, Source.Kind cluster).
func clusterRBAC(t *testing.T, cs kubernetes.Interface) []*graph.Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var nodes []*graph.Node
	add := func(kind string, obj any, ns, name string) {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			t.Fatal(err)
		}
		m["apiVersion"], m["kind"] = "rbac.authorization.k8s.io/v1", kind
		if meta, ok := m["metadata"].(map[string]any); ok {
			delete(meta, "managedFields")
		}
		path := "/apis/rbac.authorization.k8s.io/v1/"
		if ns != "" {
			path += "namespaces/" + ns + "/"
		}
		path += map[string]string{"Role": "roles", "ClusterRole": "clusterroles", "RoleBinding": "rolebindings", "ClusterRoleBinding": "clusterrolebindings"}[kind] + "/" + name
		nodes = append(nodes, graph.NewK8sNode(m, graph.Source{Kind: graph.SourceCluster, Path: path}, ""))
	}
	crs, err := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range crs.Items {
		add("ClusterRole", &crs.Items[i], "", crs.Items[i].Name)
	}
	crbs, err := cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range crbs.Items {
		add("ClusterRoleBinding", &crbs.Items[i], "", crbs.Items[i].Name)
	}
	roles, err := cs.RbacV1().Roles("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range roles.Items {
		add("Role", &roles.Items[i], roles.Items[i].Namespace, roles.Items[i].Name)
	}
	rbs, err := cs.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range rbs.Items {
		add("RoleBinding", &rbs.Items[i], rbs.Items[i].Namespace, rbs.Items[i].Name)
	}
	return nodes
}

// applyRBAC creates (or replaces) objects and removes them when the test
// ends, so tests sharing the API server do not see each other's RBAC.
func applyRBAC(t *testing.T, cs kubernetes.Interface, objs ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := cs.RbacV1()
	for _, o := range objs {
		var err error
		switch v := o.(type) {
		case *rbacv1.ClusterRole:
			_, err = r.ClusterRoles().Create(ctx, v, metav1.CreateOptions{})
			t.Cleanup(func() { _ = r.ClusterRoles().Delete(context.Background(), v.Name, metav1.DeleteOptions{}) })
		case *rbacv1.ClusterRoleBinding:
			_, err = r.ClusterRoleBindings().Create(ctx, v, metav1.CreateOptions{})
			t.Cleanup(func() { _ = r.ClusterRoleBindings().Delete(context.Background(), v.Name, metav1.DeleteOptions{}) })
		case *rbacv1.Role:
			_, err = r.Roles(v.Namespace).Create(ctx, v, metav1.CreateOptions{})
			t.Cleanup(func() { _ = r.Roles(v.Namespace).Delete(context.Background(), v.Name, metav1.DeleteOptions{}) })
		case *rbacv1.RoleBinding:
			_, err = r.RoleBindings(v.Namespace).Create(ctx, v, metav1.CreateOptions{})
			t.Cleanup(func() { _ = r.RoleBindings(v.Namespace).Delete(context.Background(), v.Name, metav1.DeleteOptions{}) })
		default:
			t.Fatalf("applyRBAC: %T", o)
		}
		if err != nil {
			t.Fatalf("creating %T: %v", o, err)
		}
	}
}

func ensureNamespaces(t *testing.T, cs kubernetes.Interface, names ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, n := range names {
		_, err := cs.CoreV1().Namespaces().Get(ctx, n, metav1.GetOptions{})
		if err == nil {
			continue
		}
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func rule(groups, resources, verbs []string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: groups, Resources: resources, Verbs: verbs, ResourceNames: names}
}

func l(s ...string) []string { return s }

func user(n string) rbacv1.Subject {
	return rbacv1.Subject{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: n}
}
func group(n string) rbacv1.Subject {
	return rbacv1.Subject{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: n}
}
func sa(ns, n string) rbacv1.Subject {
	return rbacv1.Subject{Kind: "ServiceAccount", Namespace: ns, Name: n}
}

func crole(name string, labels map[string]string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Rules: rules}
}

func aggRole(name string, sel map[string]string) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name},
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: sel}}}}
}

func nsRole(ns, name string, rules ...rbacv1.PolicyRule) *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Rules: rules}
}

func crb(name, role string, subs ...rbacv1.Subject) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role}, Subjects: subs}
}

func rb(ns, name, kind, role string, subs ...rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: kind, Name: role}, Subjects: subs}
}

func must(t *testing.T, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}
