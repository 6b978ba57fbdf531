package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/yaml"

	"github.com/kscan-io/kscan/internal/psstest"
	"github.com/kscan-io/kscan/internal/testenv"
)

// TestPSSLive: the API server's own Pod Security admission is the oracle.
// The fixture pods of the newest version are created in namespaces without
// labels, the namespaces are then labelled enforce (existing pods stay), and
// each pod is created again with dry-run: kscan, scanning the cluster, must
// report k8s/pss-violation for exactly the pods the API server refuses.
func TestPSSLive(t *testing.T) {
	srv := testenv.APIServerFor(t)
	t.Cleanup(testenv.StopAll)
	cs, err := kubernetes.NewForConfig(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	namespaces := map[string]map[string]string{
		"pss-baseline-v1-30":   {"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.30"},
		"pss-restricted":       {"pod-security.kubernetes.io/enforce": "restricted"},
		"pss-restricted-v1-25": {"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.25"},
		"pss-audit-only":       {"pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/warn": "restricted"},
	}
	var newest string
	var pods []*corev1.Pod
	all := psstest.All(t)
	for _, f := range all {
		if newest == "" || psstest.Minor(f.Version) > psstest.Minor(newest) {
			newest = f.Version
		}
	}
	for _, f := range all {
		if f.Version != newest {
			continue
		}
		p := &corev1.Pod{}
		if err := yaml.Unmarshal(f.Data, p); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		verdict := "pass"
		if !f.Pass {
			verdict = "fail"
		}
		p.Name = strings.ReplaceAll(fmt.Sprintf("%s-%s-%s", f.Level, verdict, f.Name), "_", "-")
		pods = append(pods, p)
	}
	var names []string
	for ns := range namespaces {
		names = append(names, ns)
	}
	sort.Strings(names)
	created := 0
	invalid := map[string]bool{}
	for _, ns := range names {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		for _, p := range pods {
			q := p.DeepCopy()
			q.Namespace = ns
			if _, err := cs.CoreV1().Pods(ns).Create(ctx, q, metav1.CreateOptions{}); err != nil {
				if apierrors.IsInvalid(err) {
					invalid[p.Name] = true // not a valid pod for this API server (e.g. a Windows field on a Linux pod)
					continue
				}
				if !apierrors.IsAlreadyExists(err) {
					t.Fatalf("creating %s/%s: %v", ns, p.Name, err)
				}
			}
			created++
		}
	}
	if created < 100 {
		t.Fatalf("only %d pods created", created)
	}
	// Label, then ask the API server about each pod with a dry-run create.
	refused := map[string]string{}
	for _, ns := range names {
		// Retried on conflict: the API server may still be updating the new
		// namespace (finalizers, labels) when the test reads it.
		if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			n, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			if err != nil {
				return err
			}
			n.Labels = namespaces[ns]
			_, err = cs.CoreV1().Namespaces().Update(ctx, n, metav1.UpdateOptions{})
			return err
		}); err != nil {
			t.Fatalf("labelling namespace %s: %v", ns, err)
		}
		waitForEnforcement(t, ctx, cs, ns, namespaces[ns]["pod-security.kubernetes.io/enforce"])
		for _, p := range pods {
			if invalid[p.Name] {
				continue
			}
			q := p.DeepCopy()
			q.Namespace = ns
			q.Name = p.Name + "-dry"
			_, err := cs.CoreV1().Pods(ns).Create(ctx, q, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			switch {
			case err == nil:
			case apierrors.IsForbidden(err) && strings.Contains(err.Error(), "violates PodSecurity"):
				refused[ns+"/Pod/"+p.Name] = err.Error()
			default:
				t.Fatalf("dry-run %s/%s: %v", ns, q.Name, err)
			}
		}
	}
	if len(refused) == 0 {
		t.Fatal("the API server refused no pod: Pod Security admission is not on")
	}

	var out, errOut bytes.Buffer
	code := run(ctx, []string{"scan", "--kubeconfig", srv.Kubeconfig, "--rules", "k8s/pss-violation", "--format", "json",
		"--fail-on", "none", "--kube-skip-custom-resources"}, strings.NewReader(""), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var rep struct {
		Findings []struct{ RuleID, Resource, Message string }
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	reported := map[string]string{}
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.Resource, "pss-") {
			reported[f.Resource] = f.Message
		}
	}
	for k, why := range refused {
		if _, ok := reported[k]; !ok {
			t.Errorf("API server refuses %s, kscan does not report it: %s", k, why)
		}
	}
	for k, msg := range reported {
		if _, ok := refused[k]; !ok {
			t.Errorf("kscan reports %s, the API server admits it: %s", k, msg)
		}
	}
	// The message is the API server's.
	for k, why := range refused {
		if msg, ok := reported[k]; ok {
			i := strings.Index(why, "violates PodSecurity")
			if i >= 0 && !strings.Contains(msg, why[i:]) {
				t.Errorf("%s: API server says %q, kscan %q", k, why[i:], msg)
				break
			}
		}
	}
	t.Logf("%d pods in %d namespaces (%d fixtures invalid for the API server), %d refused, %d reported",
		created, len(names), len(invalid), len(refused), len(reported))
}

// waitForEnforcement waits until Pod Security admission enforces the label
// just set on ns: it reads namespaces from an informer, so the first dry-runs
// after the update could otherwise be judged without it (a pod admitted that
// the namespace refuses a moment later). A privileged pod violates baseline
// and restricted at every version.
func waitForEnforcement(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, level string) {
	t.Helper()
	if level != "baseline" && level != "restricted" {
		return
	}
	privileged := true
	probe := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "enforcement-probe", Namespace: ns},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.example/c:1",
			SecurityContext: &corev1.SecurityContext{Privileged: &privileged}}}},
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := cs.CoreV1().Pods(ns).Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if apierrors.IsForbidden(err) && strings.Contains(err.Error(), "violates PodSecurity") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("namespace %s: Pod Security admission does not enforce %s 30 s after labelling (last answer: %v)", ns, level, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
