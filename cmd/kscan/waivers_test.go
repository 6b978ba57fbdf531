package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The default waivers (kscan.io/profile: platform) match a platform
// component by kind, namespace, name AND image: the real kube-proxy's
// findings are reported as suppressed with the reason, a look-alike with
// another image is reported as active, and --no-default-waivers turns the
// set off.
func TestDefaultWaivers(t *testing.T) {
	const ds = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: kube-proxy, namespace: kube-system}
spec:
  selector: {matchLabels: {k8s-app: kube-proxy}}
  template:
    metadata: {labels: {k8s-app: kube-proxy}}
    spec:
      hostNetwork: true
      containers:
      - name: kube-proxy
        image: IMAGE
        securityContext: {privileged: true}
`
	type result struct {
		Findings []struct {
			RuleID      string `json:"ruleId"`
			Resource    string `json:"resource"`
			Suppression *struct {
				Justification string `json:"justification"`
			} `json:"suppression"`
		} `json:"findings"`
	}
	scanWith := func(t *testing.T, image string, extra ...string) result {
		t.Helper()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "ds.yaml"), []byte(strings.Replace(ds, "IMAGE", image, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"scan", "--format", "json", "--fail-on", "none", "--rules", "k8s/privileged-container"}, extra...)
		code, out, errOut := kscan(t, dir, "", append(args, "ds.yaml")...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var r result
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		if len(r.Findings) == 0 {
			t.Fatal("no k8s/privileged-container finding: the comparison proves nothing")
		}
		return r
	}
	t.Run("the real component is waived, visibly", func(t *testing.T) {
		for _, f := range scanWith(t, "registry.k8s.io/kube-proxy:v1.37.2").Findings {
			if f.Suppression == nil || !strings.Contains(f.Suppression.Justification, "kscan.io/profile: platform") {
				t.Errorf("%s on %s: suppression %+v, want the platform waiver", f.RuleID, f.Resource, f.Suppression)
			}
		}
	})
	t.Run("a look-alike with another image is reported", func(t *testing.T) {
		for _, f := range scanWith(t, "evil.example.com/kube-proxy:v1.37.2").Findings {
			if f.Suppression != nil {
				t.Errorf("%s on %s suppressed (%s): the image is not kube-proxy's", f.RuleID, f.Resource, f.Suppression.Justification)
			}
		}
	})
	t.Run("--no-default-waivers", func(t *testing.T) {
		for _, f := range scanWith(t, "registry.k8s.io/kube-proxy:v1.37.2", "--no-default-waivers").Findings {
			if f.Suppression != nil {
				t.Errorf("%s on %s suppressed with --no-default-waivers", f.RuleID, f.Resource)
			}
		}
	})
}
