// Package bareclustertest scans a real API server with nothing applied
// (and kube-controller-manager aggregating roles, as in a real cluster):
// Kubernetes' own objects must give no finding at medium or above. Then it
// plants look-alikes — a ClusterRole system:backdoor granting everything,
// cluster-admin bound to a kube-system ServiceAccount, a modified built-in
// role and binding — and each must be reported. It has its own API server
// (one per test binary) because it changes built-in objects.
package bareclustertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kscan-io/kscan/collectors/kube"
	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/testenv"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/scan"
	"github.com/kscan-io/kscan/suppress"
)

var kcm *exec.Cmd

func TestMain(m *testing.M) {
	code := m.Run()
	if kcm != nil && kcm.Process != nil {
		_ = syscall.Kill(-kcm.Process.Pid, syscall.SIGTERM)
		_ = kcm.Wait()
	}
	testenv.StopAll()
	os.Exit(code)
}

func server(t *testing.T) (*testenv.APIServer, kubernetes.Interface) {
	t.Helper()
	s := testenv.APIServerFor(t)
	cs, err := kubernetes.NewForConfig(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	if kcm == nil {
		bin := testenv.Binary(t, "kube-controller-manager")
		logf, err := os.Create(filepath.Join(t.TempDir(), "kcm.log"))
		if err != nil {
			t.Fatal(err)
		}
		kcm = exec.Command(bin, "--kubeconfig", s.Kubeconfig, "--controllers", "clusterrole-aggregation-controller",
			"--leader-elect=false", "--secure-port=0", "--v=0")
		kcm.Stdout, kcm.Stderr = logf, logf
		kcm.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
		if err := kcm.Start(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		for {
			cr, err := cs.RbacV1().ClusterRoles().Get(ctx, "admin", metav1.GetOptions{})
			if err == nil && len(cr.Rules) > 0 {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatal("ClusterRole admin was not aggregated by kube-controller-manager")
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return s, cs
}

func scanLive(t *testing.T, s *testenv.APIServer) *finding.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, err := policies.Load(ctx, policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := scan.Run(ctx, scan.Options{
		Engine: e,
		Collectors: []scan.Collector{scan.CollectorFunc{N: "cluster", F: func(ctx context.Context, g *graph.Graph) error {
			return kube.Collect(ctx, kube.Options{Clusters: []kube.Cluster{{Name: "bare", Config: s.Config}}}, g)
		}}},
		PostProcessors: []scan.PostProcessor{suppress.New(suppress.Options{File: filepath.Join(t.TempDir(), "none.yaml")})},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range res.Report.Notifications {
		if n.Level == "error" {
			t.Errorf("scan notification: %s", n.Message)
		}
	}
	return res.Report
}

func atLeastMedium(r *finding.Report) []finding.Finding {
	var out []finding.Finding
	for _, f := range r.Findings {
		if f.Suppression == nil && finding.AtLeast(f.Severity, finding.Medium) {
			out = append(out, f)
		}
	}
	return out
}

// Runs first (source order): the server is still bare.
func TestBareServerHasNoFindings(t *testing.T) {
	s, _ := server(t)
	rep := scanLive(t, s)
	bad := atLeastMedium(rep)
	for _, f := range bad {
		t.Errorf("%s %s %s: %s", f.Severity, f.RuleID, f.Resource, f.Message)
	}
	t.Logf("%d findings in all, %d at medium or above", len(rep.Findings), len(bad))
}

func TestLookAlikesAreReported(t *testing.T) {
	s, cs := server(t)
	ctx := context.Background()
	all := []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "system:backdoor"}, Rules: all}, metav1.CreateOptions{})
	must(err)
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "system:backdoor"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "system:backdoor"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "system:kube-helper"}}}, metav1.CreateOptions{})
	must(err)
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "kube-system-admin"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "helper", Namespace: "kube-system"}}}, metav1.CreateOptions{})
	must(err)
	// A modified built-in role: system:public-info-viewer also lists Secrets.
	piv, err := cs.RbacV1().ClusterRoles().Get(ctx, "system:public-info-viewer", metav1.GetOptions{})
	must(err)
	piv.Rules = append(piv.Rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"list"}})
	_, err = cs.RbacV1().ClusterRoles().Update(ctx, piv, metav1.UpdateOptions{})
	must(err)

	rep := scanLive(t, s)
	want := []struct{ rule, resource, msg string }{
		{"rbac/cluster-admin-binding", "ClusterRoleBinding/system:backdoor", "cluster-admin equivalent"},
		{"rbac/wildcard-rule", "ClusterRole/system:backdoor", `"*"`},
		{"rbac/cluster-admin-binding", "ClusterRoleBinding/kube-system-admin", "ServiceAccount kube-system/helper"},
		{"rbac/modified-builtin", "ClusterRole/system:public-info-viewer", "added list secrets"},
		{"rbac/secrets-read", "ClusterRole/system:public-info-viewer", "system:unauthenticated"},
	}
	for _, w := range want {
		found := false
		for _, f := range rep.Findings {
			if f.RuleID == w.rule && f.Resource == w.resource && strings.Contains(f.Message, w.msg) && f.Suppression == nil && finding.AtLeast(f.Severity, finding.Medium) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s finding on %s mentioning %q", w.rule, w.resource, w.msg)
		}
	}
	if t.Failed() {
		for _, f := range atLeastMedium(rep) {
			t.Logf("got: %s %s %s: %s", f.Severity, f.RuleID, f.Resource, f.Message)
		}
	}
}
