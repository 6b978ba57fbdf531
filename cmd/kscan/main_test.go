package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kscan runs the CLI in-process in dir and returns its exit code and output.
func kscan(t *testing.T, dir string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

const (
	clean = `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {a: b}
`
	latest = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: nginx:latest
`
	broken = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [oops\n"
)

func fixture(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		args  []string
		want  int
	}{
		{"clean", map[string]string{"k8s/cm.yaml": clean}, []string{"scan", "k8s"}, 0},
		{"high finding fails at default threshold", map[string]string{"k8s/pod.yaml": latest}, []string{"scan", "k8s"}, 1},
		{"fail-on critical ignores high", map[string]string{"k8s/pod.yaml": latest}, []string{"scan", "--fail-on", "critical", "--rules", "k8s/image-tag-latest", "k8s"}, 0},
		{"fail-on none never fails on findings", map[string]string{"k8s/pod.yaml": latest}, []string{"scan", "--fail-on", "none", "k8s"}, 0},
		{"skipped rule does not fail", map[string]string{"k8s/pod.yaml": clean}, []string{"scan", "--skip-rules", "k8s/*", "k8s"}, 0},
		{"broken input is incomplete", map[string]string{"k8s/bad.yaml": broken, "k8s/cm.yaml": clean}, []string{"scan", "k8s"}, 2},
		{"broken input wins over findings", map[string]string{"k8s/bad.yaml": broken, "k8s/pod.yaml": latest}, []string{"scan", "k8s"}, 2},
		{"missing path", map[string]string{}, []string{"scan", "nope.yaml"}, 2},
		{"unknown rule id", map[string]string{"k8s/cm.yaml": clean}, []string{"scan", "--rules", "k8s/no-such-rule", "k8s"}, 2},
		{"bad fail-on", map[string]string{"k8s/cm.yaml": clean}, []string{"scan", "--fail-on", "severe", "k8s"}, 2},
		{"bad format", map[string]string{"k8s/cm.yaml": clean}, []string{"scan", "--format", "xml", "k8s"}, 2},
		{"nothing to scan", map[string]string{}, []string{"scan"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fixture(t, tt.files)
			code, out, errOut := kscan(t, dir, "", tt.args...)
			if code != tt.want {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.want, out, errOut)
			}
		})
	}
}

func TestBrokenInputStillReportsTheRest(t *testing.T) {
	dir := fixture(t, map[string]string{"k8s/bad.yaml": broken, "k8s/pod.yaml": latest})
	code, out, errOut := kscan(t, dir, "", "scan", "--format", "json", "k8s")
	if code != 2 {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Complete bool `json:"complete"`
		Findings []struct {
			RuleID   string `json:"ruleId"`
			Resource string `json:"resource"`
			Location struct {
				File string `json:"file"`
				Line int    `json:"line"`
			} `json:"location"`
		} `json:"findings"`
		Errors []struct {
			Message  string `json:"message"`
			Location struct {
				File string `json:"file"`
				Line int    `json:"line"`
			} `json:"location"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Complete || len(doc.Errors) != 1 || doc.Errors[0].Location.File != "k8s/bad.yaml" || doc.Errors[0].Location.Line != 4 {
		t.Errorf("errors: %+v", doc.Errors)
	}
	found := false
	for _, f := range doc.Findings {
		if f.RuleID == "k8s/image-tag-latest" && f.Resource == "shop/Pod/web" && f.Location.File == "k8s/pod.yaml" && f.Location.Line == 1 {
			found = true
		}
	}
	if !found {
		t.Errorf("finding on the good file missing: %+v", doc.Findings)
	}
	if !strings.Contains(errOut, "k8s/bad.yaml:4") {
		t.Errorf("stderr does not name the file and line: %q", errOut)
	}
}

func TestStdinAndOutputFile(t *testing.T) {
	dir := fixture(t, map[string]string{})
	code, out, _ := kscan(t, dir, latest, "scan", "--format", "sarif", "--output", "out.sarif", "-")
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "out.sarif"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"uri": "stdin"`) {
		t.Errorf("stdin not named in SARIF:\n%s", data)
	}
}

func TestEnvAndConfigFile(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("HOME", home)
	dir := fixture(t, map[string]string{"k8s/pod.yaml": latest, "my.yaml": "fail-on: none\n"})
	if code, _, _ := kscan(t, dir, "", "scan", "--config", "my.yaml", "k8s"); code != 0 {
		t.Errorf("--config fail-on: none ignored, exit %d", code)
	}
	os.MkdirAll(filepath.Join(home, "kscan"), 0o755)
	os.WriteFile(filepath.Join(home, "kscan", "config.yaml"), []byte("fail-on: none\n"), 0o644)
	if code, _, _ := kscan(t, dir, "", "scan", "k8s"); code != 0 {
		t.Errorf("user config fail-on: none ignored, exit %d", code)
	}
	t.Setenv("KSCAN_FAIL_ON", "high")
	if code, _, _ := kscan(t, dir, "", "scan", "k8s"); code != 1 {
		t.Errorf("env KSCAN_FAIL_ON=high should override the file, exit %d", code)
	}
	if code, _, _ := kscan(t, dir, "", "scan", "--fail-on", "none", "k8s"); code != 0 {
		t.Errorf("flag should override env, exit %d", code)
	}
	bad := fixture(t, map[string]string{"k8s/pod.yaml": clean, "bad.yaml": "fail-onn: none\n"})
	if code, _, errOut := kscan(t, bad, "", "scan", "--config", "bad.yaml", "k8s"); code != 2 || !strings.Contains(errOut, "fail-onn") {
		t.Errorf("unknown config key: exit %d, %q", code, errOut)
	}
}

// A repository's .kscan.yaml is read only with --repo-config, and then only
// its safe keys apply; the report shows what it set and what was refused.
func TestRepoConfigTrust(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("HOME", home)
	dir := fixture(t, map[string]string{"k8s/pod.yaml": latest, ".kscan.yaml": "fail-on: none\nskip-rules: ['*']\nformat: json\nfail-on-new: true\n"})
	code, out, errOut := kscan(t, dir, "", "scan", "k8s")
	if code != 1 || !strings.Contains(errOut, "is not read") || !strings.Contains(out, "REPOSITORY CONFIG: .kscan.yaml: not read") {
		t.Errorf("unrequested repository config: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	code, out, errOut = kscan(t, dir, "", "scan", "--repo-config", "k8s")
	if code != 1 {
		t.Errorf("repository config lowered the gate or skipped rules: exit %d\n%s", code, errOut)
	}
	var doc struct {
		Findings         []struct{ RuleID string }
		RepositoryConfig []struct {
			Key     string
			Applied bool
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("format: json from the repository config not applied: %v\n%s", err, out)
	}
	got := map[string]bool{}
	for _, s := range doc.RepositoryConfig {
		got[s.Key] = s.Applied
	}
	want := map[string]bool{"fail-on": false, "skip-rules": false, "format": true, "fail-on-new": false}
	for k, v := range want {
		if a, ok := got[k]; !ok || a != v {
			t.Errorf("repositoryConfig %s: applied %v (listed %v), want %v", k, a, ok, v)
		}
	}
	if len(doc.Findings) == 0 {
		t.Error("no findings: skip-rules from the repository applied")
	}
	stricter := fixture(t, map[string]string{"k8s/pod.yaml": latest, ".kscan.yaml": "fail-on: low\n"})
	if code, _, _ := kscan(t, stricter, "", "scan", "--repo-config", "k8s"); code != 1 {
		t.Errorf("a stricter gate from the repository should apply: exit %d", code)
	}
	outside := fixture(t, map[string]string{"k8s/pod.yaml": latest, ".kscan.yaml": "output: ../stolen.txt\n"})
	kscan(t, outside, "", "scan", "--repo-config", "k8s")
	if _, err := os.Stat(filepath.Join(outside, "..", "stolen.txt")); err == nil {
		t.Error("repository config wrote outside the working directory")
	}
}

func TestNoColor(t *testing.T) {
	dir := fixture(t, map[string]string{"k8s/pod.yaml": latest})
	t.Setenv("NO_COLOR", "1")
	_, out, _ := kscan(t, dir, "", "scan", "k8s")
	if strings.Contains(out, "\x1b[") {
		t.Error("colour with NO_COLOR set")
	}
}

func TestDeterministicReports(t *testing.T) {
	wd, _ := os.Getwd()
	demo := filepath.Join(wd, "..", "..", "testdata", "demo")
	for _, format := range []string{"table", "json", "sarif", "junit"} {
		_, a, _ := kscan(t, demo, "", "scan", "--format", format, ".")
		_, b, _ := kscan(t, demo, "", "scan", "--format", format, ".")
		if a != b || a == "" {
			t.Errorf("%s report differs between runs", format)
		}
	}
	// The repository's fixtures declare objects of one id in several files
	// (read in parallel, finishing in an order that varies) and rules whose
	// findings carry different severities: PolicyReports and graph exports
	// once differed on every run there.
	root := filepath.Join(wd, "..", "..")
	for _, args := range [][]string{
		{"scan", "--format", "policyreport", "--fail-on", "none", "testdata", "policies/rules"},
		{"graph", "--format", "json", "testdata", "policies/rules"},
	} {
		_, a, _ := kscan(t, root, "", args...)
		for range 2 {
			if _, b, _ := kscan(t, root, "", args...); a != b || a == "" {
				t.Errorf("kscan %s differs between runs", strings.Join(args, " "))
				break
			}
		}
	}
}

func TestRulesCommands(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := kscan(t, dir, "", "rules")
	if code != 0 || !strings.Contains(out, "k8s/image-tag-latest") {
		t.Errorf("rules: exit %d\n%s", code, out)
	}
	code, out, _ = kscan(t, dir, "", "rules", "show", "k8s/image-tag-latest")
	if code != 0 || !strings.Contains(out, "Remediation") || !strings.Contains(out, "Example that fails") {
		t.Errorf("rules show: exit %d\n%s", code, out)
	}
	if code, _, errOut := kscan(t, dir, "", "rules", "show", "k8s/nope"); code != 2 || !strings.Contains(errOut, "unknown rule") {
		t.Errorf("rules show unknown: exit %d %q", code, errOut)
	}
	if code, out, _ := kscan(t, dir, "", "version"); code != 0 || !strings.HasPrefix(out, "kscan ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestCustomPolicy(t *testing.T) {
	dir := fixture(t, map[string]string{
		"k8s/cm.yaml": clean,
		"policies/no_configmaps.rego": `# METADATA
# title: ConfigMaps are not allowed in shop
# description: Team policy.
# custom:
#   id: custom/no-configmaps
#   severity: medium
#   remediation: Use the config service.
package kscan.rules.custom.no_configmaps

deny contains {"key": n.key, "message": "ConfigMap found"} if {
	some k in input.by_type["k8s:core/ConfigMap"]
	n := input.nodes[k]
}
`,
		"net/net.rego": `# METADATA
# title: Calls out
# custom:
#   id: custom/net
#   severity: low
package kscan.rules.custom.net

deny contains {"key": "x", "message": "x"} if http.send({"method": "get", "url": "http://example.com"})
`,
	})
	code, out, _ := kscan(t, dir, "", "scan", "--policy", "policies", "--fail-on", "medium", "--format", "json", "k8s")
	if code != 1 || !strings.Contains(out, "custom/no-configmaps") {
		t.Errorf("custom rule: exit %d\n%s", code, out)
	}
	code, _, errOut := kscan(t, dir, "", "scan", "--policy", "net", "k8s")
	if code != 2 || !strings.Contains(errOut, "http.send") {
		t.Errorf("network builtin must be rejected: exit %d %q", code, errOut)
	}
}
