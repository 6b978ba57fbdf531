package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A pod that Pod Security baseline admits and restricted refuses for
// several reasons, in a namespace that enforces restricted at v1.30.
const pssInput = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: v1.30
---
apiVersion: v1
kind: Namespace
metadata:
  name: open
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.0
          securityContext:
            capabilities: {add: [SYS_TIME]}
          ports: [{containerPort: 80, hostPort: 80}]
`

func writePSSInput(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(pssInput), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestPSSFrameworkReport: the table names the version judged, fails the
// controls Kubernetes fails (capabilities outside the default set, host
// ports), lists not covered controls by name, and JSON, SARIF and JUnit
// carry the same per-control results.
func TestPSSFrameworkReport(t *testing.T) {
	dir := writePSSInput(t)
	code, out, errOut := kscan(t, dir, "", "scan", "--framework", "pss-baseline", "--pss-version", "v1.30", "--fail-on", "none", ".")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "Pod Security Standards (Baseline) v1.30:") {
		t.Errorf("header does not name v1.30:\n%s", out)
	}
	status := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && strings.HasPrefix(f[0], "baseline:") {
			status[f[0]] = f[1]
		}
	}
	for id, want := range map[string]string{
		"baseline:capabilities": "FAIL", "baseline:hostPorts": "FAIL",
		"baseline:privileged": "PASS", "baseline:seccomp": "PASS", "baseline:hostProbes": "PASS",
	} {
		if status[id] != want {
			t.Errorf("%s = %q, want %s\n%s", id, status[id], want, out)
		}
	}
	if len(status) != 12 {
		t.Errorf("table lists %d baseline controls, want all 12:\n%s", len(status), out)
	}

	// JSON: per-control results.
	_, js, _ := kscan(t, dir, "", "scan", "--framework", "pss-baseline", "--pss-version", "v1.30", "--format", "json", ".")
	var doc struct {
		Compliance []struct {
			ID, Version string
			Summary     map[string]int
			Controls    []struct {
				ID, Status string
				Findings   int
			}
		}
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil || len(doc.Compliance) != 1 {
		t.Fatalf("compliance in JSON: %v %+v", err, doc)
	}
	c := doc.Compliance[0]
	if c.ID != "pss-baseline" || c.Version != "v1.30" || c.Summary["fail"] != 2 || c.Summary["pass"] != 10 || len(c.Controls) != 12 {
		t.Errorf("JSON compliance = %+v", c)
	}

	// SARIF: the same in the run's property bag.
	_, sf, _ := kscan(t, dir, "", "scan", "--framework", "pss-baseline", "--format", "sarif", ".")
	var sarif struct {
		Runs []struct {
			Properties map[string]json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(sf), &sarif); err != nil || len(sarif.Runs) != 1 || sarif.Runs[0].Properties["kscan/compliance"] == nil {
		t.Errorf("SARIF run properties lack kscan/compliance: %v\n%.2000s", err, sf)
	}

	// JUnit: one test case per control, failed ones failing.
	_, ju, _ := kscan(t, dir, "", "scan", "--framework", "pss-baseline", "--format", "junit", ".")
	var suites struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(ju), &suites); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range suites.Suites {
		if s.Name == "framework/pss-baseline" {
			found = true
			if s.Tests != 12 || s.Failures != 2 {
				t.Errorf("JUnit framework suite: %d tests, %d failures; want 12 and 2", s.Tests, s.Failures)
			}
		}
	}
	if !found {
		t.Errorf("JUnit has no framework/pss-baseline suite:\n%s", ju)
	}
}

// TestPSSNamespaceLabels: the restricted namespace rejects the workload with
// Kubernetes' message; the unlabelled namespace is reported low.
func TestPSSNamespaceLabels(t *testing.T) {
	dir := writePSSInput(t)
	_, js, errOut := kscan(t, dir, "", "scan", "--rules", "k8s/pss-violation,k8s/namespace-without-pss", "--format", "json", ".")
	var doc struct {
		Findings []struct{ RuleID, Resource, Message, Severity string }
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatalf("%v: %s", err, errOut)
	}
	got := map[string]string{}
	for _, f := range doc.Findings {
		got[f.RuleID+" "+f.Resource] = f.Severity + " " + f.Message
	}
	v := got["k8s/pss-violation shop/Deployment/web"]
	for _, want := range []string{"high ", `violates PodSecurity "restricted:v1.30"`, "unrestricted capabilities", "hostPort", "allowPrivilegeEscalation != false"} {
		if !strings.Contains(v, want) {
			t.Errorf("pss-violation lacks %q: %q", want, v)
		}
	}
	if !strings.HasPrefix(got["k8s/namespace-without-pss Namespace/open"], "low ") {
		t.Errorf("namespace-without-pss for open: %v", got)
	}
	if len(doc.Findings) != 2 {
		t.Errorf("want 2 findings, got %v", got)
	}
}

func TestPSSVersionFlag(t *testing.T) {
	dir := writePSSInput(t)
	code, _, errOut := kscan(t, dir, "", "scan", "--pss-version", "1.30", ".")
	if code != 2 || !strings.Contains(errOut, "--pss-version") {
		t.Errorf("bad --pss-version: exit %d, %s", code, errOut)
	}
	// latest names the newest version the library defines.
	_, out, _ := kscan(t, dir, "", "scan", "--framework", "pss-restricted", "--fail-on", "none", ".")
	if !strings.Contains(out, "Pod Security Standards (Restricted) v1.") || strings.Contains(out, "(Restricted) latest") {
		t.Errorf("header with --pss-version latest:\n%s", out)
	}
}
