package pulumi_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/kscan-io/kscan/collectors/kube"
	"github.com/kscan-io/kscan/collectors/kube/kubetest"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/repotest"
	"github.com/kscan-io/kscan/internal/testenv"
	"github.com/kscan-io/kscan/scan"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopAll()
	os.Exit(code)
}

// declaredObjects are the Kubernetes objects of testdata/pulumi/stack.json
// as the Pulumi Kubernetes provider applies them: the inputs, plus the
// managed-by label the provider adds. Secret contents are never decrypted:
// the Secrets are applied with placeholder data (drift never compares it).
func declaredObjects(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repotest.Root(), "testdata", "pulumi", "stack.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Deployment struct {
			Resources []struct {
				Type   string         `json:"type"`
				Inputs map[string]any `json:"inputs"`
			} `json:"resources"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	var out []*unstructured.Unstructured
	for _, r := range st.Deployment.Resources {
		if !strings.HasPrefix(r.Type, "kubernetes:") {
			continue
		}
		o := &unstructured.Unstructured{Object: r.Inputs}
		if o.GetKind() == "Secret" {
			delete(o.Object, "data")
			o.Object["stringData"] = map[string]any{"placeholder": "applied-by-test"}
		}
		labels := o.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels["app.kubernetes.io/managed-by"] = "pulumi"
		o.SetLabels(labels)
		out = append(out, o)
	}
	return out
}

func driftFindings(t *testing.T, cs ...scan.Collector) (drift, unmanaged []string) {
	t.Helper()
	rep := run(t, cs...)
	for _, n := range rep.Notifications {
		if n.Level == "error" {
			t.Errorf("notification: %+v", n)
		}
	}
	for _, f := range rep.Findings {
		switch f.RuleID {
		case "pulumi/drift":
			drift = append(drift, f.Resource+" | "+f.Message)
		case "pulumi/unmanaged":
			unmanaged = append(unmanaged, f.Resource)
		}
	}
	sort.Strings(drift)
	return drift, unmanaged
}

// TestDriftAgainstAPIServer applies the declared objects to a real API
// server, scans (no drift), changes a replica count, a label and a
// RoleBinding subject through the API (the requests kubectl scale/label/
// patch send), and scans again: exactly those three drift findings.
func TestDriftAgainstAPIServer(t *testing.T) {
	srv := testenv.APIServerFor(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a, err := kubetest.NewApplier(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	objs := declaredObjects(t)
	leftover := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ServiceAccount",
		"metadata": map[string]any{"name": "legacy-worker", "namespace": "shop", "labels": map[string]any{"app.kubernetes.io/managed-by": "pulumi"}},
	}}
	if err := a.Apply(ctx, append(objs, leftover), false); err != nil {
		t.Fatal(err)
	}
	live := scan.CollectorFunc{N: "cluster", F: func(ctx context.Context, g *graph.Graph) error {
		return kube.Collect(ctx, kube.Options{Clusters: []kube.Cluster{{Name: "testenv", Config: srv.Config}}}, g)
	}}
	state := stateCollector(t, stackFile)

	drift, unmanaged := driftFindings(t, state, live)
	if len(drift) != 0 {
		t.Errorf("drift right after apply:\n%s", strings.Join(drift, "\n"))
	}
	if strings.Join(unmanaged, ",") != "shop/ServiceAccount/legacy-worker" {
		t.Errorf("unmanaged = %v, want the leftover ServiceAccount only", unmanaged)
	}

	cs := kubernetes.NewForConfigOrDie(srv.Config)
	patch := func(what string, f func() error) {
		if err := f(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	patch("scale", func() error {
		_, err := cs.AppsV1().Deployments("shop").Patch(ctx, "web", types.MergePatchType, []byte(`{"spec":{"replicas":5}}`), metav1.PatchOptions{})
		return err
	})
	patch("label", func() error {
		_, err := cs.CoreV1().Services("shop").Patch(ctx, "web", types.MergePatchType, []byte(`{"metadata":{"labels":{"tier":"backend"}}}`), metav1.PatchOptions{})
		return err
	})
	patch("subject", func() error {
		_, err := cs.RbacV1().RoleBindings("shop").Patch(ctx, "web-config-reader", types.MergePatchType,
			[]byte(`{"subjects":[{"kind":"ServiceAccount","name":"debug-shell","namespace":"shop"}]}`), metav1.PatchOptions{})
		return err
	})

	drift, _ = driftFindings(t, state, live)
	want := []string{
		urnPrefix + "kubernetes:apps/v1:Deployment::web | live object shop/Deployment/web differs from the stack in: spec.replicas",
		urnPrefix + "kubernetes:core/v1:Service::web | live object shop/Service/web differs from the stack in: metadata.labels.tier",
		urnPrefix + "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding::web-config-reader | live object shop/RoleBinding/web-config-reader differs from the stack in: subjects[0]",
	}
	if strings.Join(drift, "\n") != strings.Join(want, "\n") {
		t.Errorf("drift after changes:\n got %s\nwant %s", strings.Join(drift, "\n     "), strings.Join(want, "\n     "))
	}
}
