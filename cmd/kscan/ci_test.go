package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
)

// The end-to-end scenario of kscan in CI: testdata/ci is a repository with a
// Helm chart, a Kustomize overlay over a base, plain manifests, inline
// suppressions and a .kscanignore.yaml.

func ciRepo(t *testing.T) string {
	t.Helper()
	wd, _ := os.Getwd()
	return filepath.Join(wd, "..", "..", "testdata", "ci")
}

// copyTree copies a fixture so a test can change it.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

type sarifLog struct {
	Runs []struct {
		Results     []sarifResult `json:"results"`
		Invocations []struct {
			ExecutionSuccessful        bool `json:"executionSuccessful"`
			ToolExecutionNotifications []struct {
				Level     string `json:"level"`
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
	} `json:"runs"`
}

type sarifResult struct {
	RuleID        string `json:"ruleId"`
	BaselineState string `json:"baselineState"`
	Message       struct{ Text string }
	Suppressions  []struct {
		Kind          string `json:"kind"`
		Justification string `json:"justification"`
	} `json:"suppressions"`
	Locations []struct {
		PhysicalLocation struct {
			ArtifactLocation struct{ URI string }
			Region           struct{ StartLine int }
		}
		LogicalLocations []struct {
			FullyQualifiedName string `json:"fullyQualifiedName"`
		} `json:"logicalLocations"`
	} `json:"locations"`
}

func (r sarifResult) resource() string { return r.Locations[0].LogicalLocations[0].FullyQualifiedName }
func (r sarifResult) where() string {
	pl := r.Locations[0].PhysicalLocation
	if pl.Region.StartLine == 0 {
		return pl.ArtifactLocation.URI
	}
	return pl.ArtifactLocation.URI + ":" + itoa(pl.Region.StartLine)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func parseSARIF(t *testing.T, s string) sarifLog {
	t.Helper()
	var log sarifLog
	if err := json.Unmarshal([]byte(s), &log); err != nil {
		t.Fatalf("not SARIF: %v\n%s", err, s)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs", len(log.Runs))
	}
	return log
}

func findResult(log sarifLog, rule, resource string) *sarifResult {
	for i, r := range log.Runs[0].Results {
		if r.RuleID == rule && r.resource() == resource {
			return &log.Runs[0].Results[i]
		}
	}
	return nil
}

func TestCIRepository(t *testing.T) {
	// URIs relative to the scanned directory (the default root is the Git
	// top level, which holds testdata/ci).
	code, out, errOut := kscan(t, ciRepo(t), "", "scan", "--format", "sarif", "--sarif-root", ".", ".")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (high findings); stderr:\n%s", code, errOut)
	}
	log := parseSARIF(t, out)
	tests := []struct {
		rule, resource, where string
		suppression           string // "" active, else kind
		justification         string
	}{
		// Helm: rendered in-process, located in the template file.
		{"k8s/image-tag-latest", "default/Deployment/release-name-web", "charts/web/templates/deployment.yaml:2", "", ""},
		// Kustomize: the overlay's namespace, prefix and patch; a finding
		// the overlay's patch causes (hostNetwork) is located at the patch,
		// the others in the base file the object came from.
		{"k8s/host-namespace", "payments/Deployment/prod-api", "kustomize/overlays/prod/hostnetwork.yaml:1", "", ""},
		// Plain manifests with inline suppressions: on the object ...
		{"k8s/privileged-container", "jobs/Pod/debug", "manifests/worker.yaml:21", "inSource", "break-glass debug pod, removed after incidents"},
		{"k8s/host-path", "jobs/Pod/debug", "manifests/worker.yaml:21", "inSource", "break-glass debug pod, removed after incidents"},
		// ... and on the pod template.
		{"k8s/image-tag-latest", "jobs/Deployment/worker", "manifests/worker.yaml:1", "inSource", "worker image is rebuilt and redeployed nightly"},
		// The ignore file.
		{"k8s/host-namespace", "legacy/Deployment/legacy", "manifests/legacy.yaml:1", "external", "legacy agent needs the host PID namespace until it is replaced (TICKET-123)"},
		// An expired entry no longer applies.
		{"k8s/privilege-escalation", "payments/Deployment/prod-api", "kustomize/base/deployment.yaml:1", "", ""},
	}
	for _, tt := range tests {
		r := findResult(log, tt.rule, tt.resource)
		if r == nil {
			t.Errorf("no %s on %s", tt.rule, tt.resource)
			continue
		}
		if got := r.where(); got != tt.where {
			t.Errorf("%s on %s at %s, want %s", tt.rule, tt.resource, got, tt.where)
		}
		switch {
		case tt.suppression == "" && len(r.Suppressions) > 0:
			t.Errorf("%s on %s suppressed: %+v", tt.rule, tt.resource, r.Suppressions)
		case tt.suppression != "" && (len(r.Suppressions) != 1 || r.Suppressions[0].Kind != tt.suppression || r.Suppressions[0].Justification != tt.justification):
			t.Errorf("%s on %s suppressions = %+v, want %s %q", tt.rule, tt.resource, r.Suppressions, tt.suppression, tt.justification)
		}
	}
	// The base is part of the overlay, not scanned a second time, and the
	// chart's templates are not parsed as plain YAML.
	for _, r := range log.Runs[0].Results {
		if strings.HasSuffix(r.resource(), "/Deployment/api") || strings.Contains(r.where(), "_helpers.tpl") {
			t.Errorf("unexpected result %s on %s at %s", r.RuleID, r.resource(), r.where())
		}
	}
	inv := log.Runs[0].Invocations[0]
	if !inv.ExecutionSuccessful {
		t.Errorf("scan incomplete: %+v", inv.ToolExecutionNotifications)
	}
	wantWarn := map[int]string{9: "expired on 2020-01-31", 13: `"k8s/no-such-rule" matches no known rule`}
	for line, text := range wantWarn {
		found := false
		for _, n := range inv.ToolExecutionNotifications {
			loc := n.Locations
			if n.Level == "warning" && strings.Contains(n.Message.Text, text) && len(loc) == 1 &&
				loc[0].PhysicalLocation.ArtifactLocation.URI == ".kscanignore.yaml" && loc[0].PhysicalLocation.Region.StartLine == line {
				found = true
			}
		}
		if !found {
			t.Errorf("no warning at .kscanignore.yaml:%d containing %q", line, text)
		}
	}

	// Counted separately in JSON and the table.
	_, js, _ := kscan(t, ciRepo(t), "", "scan", "--format", "json", ".")
	var doc struct {
		Summary struct{ Findings, Suppressed int }
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary.Suppressed != 4 || doc.Summary.Findings != len(log.Runs[0].Results)-4 {
		t.Errorf("summary = %+v, want 4 suppressed of %d", doc.Summary, len(log.Runs[0].Results))
	}
	_, table, _ := kscan(t, ciRepo(t), "", "scan", ".")
	if !strings.Contains(table, "(4 suppressed") {
		t.Errorf("table does not count suppressed findings:\n%s", table)
	}
}

func TestSuppressionsGateAndNoInline(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		config     string
		want       int
		suppressed int
	}{
		// The only critical finding (privileged debug pod) is waived inline.
		{"inline waiver does not fail the gate", []string{"--fail-on", "critical"}, nil, "", 0, 4},
		{"--no-inline-ignores", []string{"--fail-on", "critical", "--no-inline-ignores"}, nil, "", 1, 1},
		{"env", []string{"--fail-on", "critical"}, map[string]string{"KSCAN_NO_INLINE_IGNORES": "true"}, "", 1, 1},
		{"repository config key", []string{"--fail-on", "critical", "--repo-config"}, nil, "no-inline-ignores: true\n", 1, 1},
		{"explicit empty ignore file", []string{"--fail-on", "none", "--ignore-file", "empty.yaml"}, nil, "", 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyTree(t, ciRepo(t))
			os.WriteFile(filepath.Join(dir, "empty.yaml"), []byte("ignores: []\n"), 0o644)
			if tt.config != "" {
				os.WriteFile(filepath.Join(dir, ".kscan.yaml"), []byte(tt.config), 0o644)
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, out, errOut := kscan(t, dir, "", append([]string{"scan", "--format", "json"}, append(tt.args, ".")...)...)
			if code != tt.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.want, errOut)
			}
			var doc struct{ Summary struct{ Suppressed int } }
			json.Unmarshal([]byte(out), &doc)
			if doc.Summary.Suppressed != tt.suppressed {
				t.Errorf("%d suppressed, want %d", doc.Summary.Suppressed, tt.suppressed)
			}
		})
	}
}

func TestBaselineGatesOnlyNewFindings(t *testing.T) {
	dir := copyTree(t, ciRepo(t))
	code, _, errOut := kscan(t, dir, "", "scan", "--format", "sarif", "--output", "previous.sarif", ".")
	if code != 1 {
		t.Fatalf("first scan exit %d: %s", code, errOut)
	}
	// Without changes nothing is new: the gate passes although high
	// findings remain.
	code, out, errOut := kscan(t, dir, "", "scan", "--format", "sarif", "--baseline", "previous.sarif", "--fail-on-new", ".")
	if code != 0 {
		t.Fatalf("unchanged repository: exit %d, want 0; stderr:\n%s", code, errOut)
	}
	for _, r := range parseSARIF(t, out).Runs[0].Results {
		if r.BaselineState != "unchanged" {
			t.Errorf("%s on %s: %s, want unchanged", r.RuleID, r.resource(), r.BaselineState)
		}
	}

	// Move everything down (lines change), reorder documents, fix one
	// finding and change another's message: still nothing new.
	legacy := filepath.Join(dir, "manifests", "legacy.yaml")
	b, _ := os.ReadFile(legacy)
	os.WriteFile(legacy, append([]byte("# moved\n\n\n"), b...), 0o644)
	worker := filepath.Join(dir, "manifests", "worker.yaml")
	wb, _ := os.ReadFile(worker)
	parts := strings.SplitN(string(wb), "---\n", 2)
	os.WriteFile(worker, []byte(parts[1]+"---\n"+parts[0]), 0o644)
	values := filepath.Join(dir, "charts", "web", "values.yaml")
	vb, _ := os.ReadFile(values)
	os.WriteFile(values, []byte(strings.Replace(string(vb), "tag: latest", "tag: \"\"", 1)), 0o644)
	code, out, errOut = kscan(t, dir, "", "scan", "--format", "sarif", "--baseline", "previous.sarif", "--fail-on-new", ".")
	if code != 0 {
		t.Fatalf("moved lines: exit %d, want 0; stderr:\n%s", code, errOut)
	}
	log := parseSARIF(t, out)
	if r := findResult(log, "k8s/host-namespace", "legacy/Deployment/legacy"); r == nil || r.BaselineState != "unchanged" || r.where() != "manifests/legacy.yaml:4" {
		t.Errorf("moved finding = %+v, want unchanged at manifests/legacy.yaml:4", r)
	}
	if r := findResult(log, "k8s/image-tag-latest", "default/Deployment/release-name-web"); r == nil || r.BaselineState != "updated" {
		t.Errorf("changed message = %+v, want updated", r)
	}

	// A new high finding fails the gate, and only it is new.
	os.WriteFile(filepath.Join(dir, "manifests", "new.yaml"), []byte(`apiVersion: v1
kind: Pod
metadata: {name: fresh, namespace: jobs}
spec:
  containers:
    - {name: c, image: "nginx:latest"}
`), 0o644)
	os.Remove(legacy) // fixed: its findings become absent
	code, out, _ = kscan(t, dir, "", "scan", "--format", "sarif", "--baseline", "previous.sarif", "--fail-on-new", ".")
	if code != 1 {
		t.Fatalf("new high finding: exit %d, want 1", code)
	}
	states := map[string]int{}
	for _, r := range parseSARIF(t, out).Runs[0].Results {
		states[r.BaselineState]++
		if r.BaselineState == "new" && r.resource() != "jobs/Pod/fresh" && r.resource() != "Namespace/jobs" {
			t.Errorf("unexpected new result %s on %s", r.RuleID, r.resource())
		}
		if r.BaselineState == "absent" && r.resource() != "legacy/Deployment/legacy" && r.resource() != "Namespace/legacy" {
			t.Errorf("unexpected absent result %s on %s", r.RuleID, r.resource())
		}
	}
	if states["new"] == 0 || states["absent"] == 0 || states["unchanged"] == 0 {
		t.Errorf("baseline states = %v", states)
	}
	// Without --fail-on-new every high finding counts again.
	if code, _, _ := kscan(t, dir, "", "scan", "--format", "sarif", "--baseline", "previous.sarif", "--fail-on", "critical", "--fail-on-new", "."); code != 0 {
		t.Errorf("new finding below --fail-on: exit %d, want 0", code)
	}
	_, table, _ := kscan(t, dir, "", "scan", "--baseline", "previous.sarif", ".")
	if !strings.Contains(table, "baseline previous.sarif:") || !strings.Contains(table, "[new]") {
		t.Errorf("table lacks the baseline summary:\n%s", table)
	}
	if code, _, errOut := kscan(t, dir, "", "scan", "--fail-on-new", "."); code != 2 || !strings.Contains(errOut, "--fail-on-new needs --baseline") {
		t.Errorf("--fail-on-new alone: exit %d, %s", code, errOut)
	}
}

func TestCIBadInput(t *testing.T) {
	good := "apiVersion: v1\nkind: Pod\nmetadata: {name: ok, namespace: x}\nspec: {containers: [{name: c, image: \"nginx:latest\"}]}\n"
	tests := []struct {
		name  string
		files map[string]string
		args  []string
		want  int
		errIn []string // stderr must contain each
	}{
		{
			name:  "malformed ignore file",
			files: map[string]string{".kscanignore.yaml": "ignores:\n  - rule: k8s/image-tag-latest\n    resource: \"*\"\n"},
			want:  2, errIn: []string{"error: .kscanignore.yaml:2: ignore file: entry has no reason"},
		},
		{
			name:  "ignore file is not YAML",
			files: map[string]string{"waivers.yaml": "ignores:\n  - rule: [\n"},
			args:  []string{"--ignore-file", "waivers.yaml"},
			want:  2, errIn: []string{"error: waivers.yaml:3: ignore file: invalid YAML"},
		},
		{
			name:  "expired entry warns and the finding counts",
			files: map[string]string{".kscanignore.yaml": "ignores:\n  - rule: k8s/image-tag-latest\n    resource: x/Pod/ok\n    reason: r\n    expires: 2021-03-04\n"},
			want:  1, errIn: []string{"warning: .kscanignore.yaml:2: entry for rule \"k8s/image-tag-latest\" on \"x/Pod/ok\" expired on 2021-03-04"},
		},
		{
			name: "Helm template error",
			files: map[string]string{
				"chart/Chart.yaml":          "apiVersion: v2\nname: broken\nversion: 0.1.0\n",
				"chart/templates/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.app.name }}\n",
				"chart/templates/ok.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n",
				"chart/templates/_x.tpl":    "{{/* helper */}}",
				"chart/values.yaml":         "{}\n",
				"chart/templates/NOTES.txt": "hi",
			},
			want: 2, errIn: []string{"error: chart/templates/cm.yaml:4: helm chart chart: template error", "nil pointer"},
		},
		{
			name: "Kustomize loop",
			files: map[string]string{
				"a/kustomization.yaml": "resources:\n  - ../b\n",
				"b/kustomization.yaml": "resources:\n  - pod.yaml\n  - ../a\n",
				"b/pod.yaml":           "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
			},
			want: 2, errIn: []string{"error: b/kustomization.yaml:3: kustomization a:", "cycle"},
		},
		{
			name:  "unreadable baseline",
			files: map[string]string{"previous.sarif": "{\"version\": \"2.1.0\", \"runs\": ["},
			args:  []string{"--baseline", "previous.sarif"},
			want:  2, errIn: []string{"error: previous.sarif: baseline: sarif: invalid JSON"},
		},
		{
			name: "missing values file",
			args: []string{"--helm-values", "prod-values.yaml"},
			want: 2, errIn: []string{"--helm-values prod-values.yaml: no such file or directory"},
		},
		{
			name: "chart dependency not built",
			files: map[string]string{
				"chart/Chart.yaml":        "apiVersion: v2\nname: shop\nversion: 0.1.0\ndependencies:\n  - name: redis\n    version: 18.1.0\n    repository: oci://registry-1.docker.io/bitnamicharts\n",
				"chart/templates/ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n",
			},
			want: 2, errIn: []string{"error: chart/Chart.yaml:5: helm chart chart: dependency \"redis\" (18.1.0) is listed in Chart.yaml but not in charts/; run `helm dependency build chart` first"},
		},
		{
			name:  "duplicate key",
			files: map[string]string{"k8s/dup.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: dup, namespace: x}\nspec:\n  hostPID: true\n  hostPID: false\n"},
			want:  2, errIn: []string{"error: k8s/dup.yaml:6: invalid YAML: duplicate key \"hostPID\", already set at line 5"},
		},
		{
			name: "unknown framework",
			args: []string{"--framework", "pci"},
			want: 2, errIn: []string{`unknown framework "pci"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"k8s/pod.yaml": good}
			for k, v := range tt.files {
				files[k] = v
			}
			dir := fixture(t, files)
			args := append([]string{"scan", "--format", "json"}, append(tt.args, ".")...)
			code, out, errOut := kscan(t, dir, "", args...)
			if code != tt.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.want, errOut)
			}
			for _, s := range tt.errIn {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			// Everything else is still scanned.
			if tt.want != 2 || !strings.Contains(tt.name, "framework") && !strings.Contains(tt.name, "values file") {
				if !strings.Contains(out, `"resource": "x/Pod/ok"`) {
					t.Errorf("the good manifest was not scanned:\n%s", out)
				}
			}
		})
	}
}

func TestFramework(t *testing.T) {
	code, out, errOut := kscan(t, ciRepo(t), "", "scan", "--framework", "pss-restricted", "--fail-on", "none", ".")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"Pod Security Standards (Restricted)",
		"baseline:hostNamespaces", "FAIL", // prod-api sets hostNetwork
		"baseline:privileged", "PASS", // the privileged debug pod is waived inline
		"not covered by kscan",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "baseline:privileged" && f[1] != "PASS" {
			t.Errorf("privileged control: %q, want PASS (finding suppressed)", line)
		}
		if len(f) >= 2 && f[0] == "baseline:hostNamespaces" && f[1] != "FAIL" {
			t.Errorf("host namespaces control: %q, want FAIL", line)
		}
	}
	// Only the framework's rules ran.
	_, js, _ := kscan(t, ciRepo(t), "", "scan", "--framework", "pss-restricted", "--format", "json", ".")
	var doc struct{ Findings []struct{ RuleID string } }
	json.Unmarshal([]byte(js), &doc)
	if len(doc.Findings) == 0 {
		t.Fatal("no findings")
	}
	for _, f := range doc.Findings {
		switch f.RuleID {
		case "k8s/missing-probes", "k8s/missing-resource-limits", "k8s/image-tag-latest":
			t.Errorf("rule %s is not part of pss-restricted", f.RuleID)
		}
	}

	// kscan rules --framework lists coverage including what is not covered.
	_, cov, _ := kscan(t, ciRepo(t), "", "rules", "--framework", "cis-k8s")
	for _, want := range []string{"CIS Kubernetes Benchmark", "5.2.2", "k8s/privileged-container", "1.2.1", "not covered"} {
		if !strings.Contains(cov, want) {
			t.Errorf("coverage lacks %q", want)
		}
	}
	_, cj, _ := kscan(t, ciRepo(t), "", "rules", "--framework", "pss-baseline", "--format", "json")
	var c struct {
		Covered, Total int
		Controls       []struct{ ID, Status string }
	}
	// Every Pod Security control is implemented (by Kubernetes' own checks).
	if err := json.Unmarshal([]byte(cj), &c); err != nil || c.Total != 12 || c.Covered != c.Total {
		t.Errorf("pss-baseline coverage = %+v (%v)", c, err)
	}
}

func TestRuleDocs(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "k8s-removed-rule.md")
	os.WriteFile(stale, []byte(generatedMarker+"\n# gone\n"), 0o644)
	mine := filepath.Join(dir, "notes.md")
	os.WriteFile(mine, []byte("# hand-written\n"), 0o644)
	code, _, errOut := kscan(t, ciRepo(t), "", "rules", "--format", "markdown", "--docs-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	_, js, _ := kscan(t, ciRepo(t), "", "rules", "--format", "json")
	var rules []struct {
		ID, HelpURI, Severity, Title string
	}
	if err := json.Unmarshal([]byte(js), &rules); err != nil || len(rules) == 0 {
		t.Fatalf("rules json: %v", err)
	}
	for _, r := range rules {
		page := filepath.Join(dir, filepath.Base(r.HelpURI))
		b, err := os.ReadFile(page)
		if err != nil {
			t.Errorf("%s: helpUri %s has no page: %v", r.ID, r.HelpURI, err)
			continue
		}
		s := string(b)
		for _, want := range []string{"# " + r.Title, "`" + r.ID + "`", r.Severity, "## Remediation", "## Frameworks"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s page lacks %q", r.ID, want)
			}
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "k8s-privileged-container.md"))
	for _, want := range []string{"## Example — Bad", "## Example — Good", "privileged: true", "Pod Security Standards (Baseline) | `baseline:privileged`"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("k8s/privileged-container page lacks %q:\n%s", want, b)
		}
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("page of a removed rule was kept")
	}
	if _, err := os.Stat(mine); err != nil {
		t.Error("a hand-written page was removed")
	}
}

// TestCommittedRuleDocsUpToDate fails when a rule changed without
// regenerating docs/rules (kscan rules --format markdown).
func TestCommittedRuleDocsUpToDate(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := kscan(t, ciRepo(t), "", "rules", "--format", "markdown", "--docs-dir", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	_, js, _ := kscan(t, ciRepo(t), "", "rules", "--format", "json")
	var rules []struct{ ID, HelpURI string }
	if err := json.Unmarshal([]byte(js), &rules); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	committed := filepath.Join(wd, "..", "..", "docs", "rules")
	for _, r := range rules {
		want, _ := os.ReadFile(filepath.Join(dir, filepath.Base(r.HelpURI)))
		got, err := os.ReadFile(filepath.Join(committed, filepath.Base(r.HelpURI)))
		if err != nil || string(got) != string(want) {
			t.Errorf("docs/rules/%s is stale: run kscan rules --format markdown", filepath.Base(r.HelpURI))
		}
	}
}

// The same object in two files is scanned once, with a warning naming both
// places; of different objects under one identity the last is scanned, as
// kubectl apply -f leaves it.
func TestObjectDeclaredTwice(t *testing.T) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec: {containers: [{name: c, image: \"nginx:latest\"}]}\n"
	dir := fixture(t, map[string]string{"a/pod.yaml": pod, "b/copy.yaml": "# copy\n" + pod,
		"c/other.yaml": strings.Replace(pod, "nginx:latest", "redis:latest", 1)})
	code, out, errOut := kscan(t, dir, "", "scan", "--format", "json", "--fail-on", "none", "a", "b")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Findings []struct{ RuleID, Resource string }
		Warnings []struct {
			Message  string
			Resource string
			Location struct {
				File string
				Line int
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range rep.Findings {
		if f.RuleID == "k8s/image-tag-latest" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d image-tag-latest findings, want 1 (one object)", n)
	}
	if len(rep.Warnings) != 1 || rep.Warnings[0].Location.File != "a/pod.yaml" || rep.Warnings[0].Resource != "shop/Pod/web" ||
		!strings.Contains(rep.Warnings[0].Message, "declared again with the same content at b/copy.yaml:2") {
		t.Errorf("warnings: %+v", rep.Warnings)
	}
	_, out, _ = kscan(t, dir, "", "scan", "--format", "json", "--fail-on", "none", "a", "c")
	if !strings.Contains(out, "declared 2 times with different content (a/pod.yaml:1, c/other.yaml:1); scanned as declared last") ||
		strings.Count(out, `"ruleId": "k8s/image-tag-latest"`) != 1 || !strings.Contains(out, `redis:latest`) || strings.Contains(out, `"level": "error"`) {
		t.Errorf("different content: %s", out)
	}
}

func TestHelmFlagsAndPackagedChart(t *testing.T) {
	dir := copyTree(t, filepath.Join(ciRepo(t), "charts"))
	ch, err := loader.Load(filepath.Join(dir, "web"))
	if err != nil {
		t.Fatal(err)
	}
	tgz, err := chartutil.Save(ch, dir)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "prod.yaml"), []byte("privileged: true\n"), 0o644)
	tests := []struct {
		name, path string
		args       []string
		resource   string
		where      string
		rules      map[string]bool // rule -> expected present
	}{
		{"directory with values, set, release, namespace", "web",
			[]string{"--helm-values", "prod.yaml", "--helm-set", "image.tag=1.27.3", "--helm-release", "shop", "--helm-namespace", "prod"},
			"prod/Deployment/shop-web", "web/templates/deployment.yaml",
			map[string]bool{"k8s/privileged-container": true, "k8s/image-tag-latest": false}},
		{"packaged chart", filepath.Base(tgz), nil,
			"default/Deployment/release-name-web", filepath.Base(tgz),
			map[string]bool{"k8s/privileged-container": false, "k8s/image-tag-latest": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"scan", "--format", "json", "--fail-on", "none"}, append(tt.args, tt.path)...)
			code, out, errOut := kscan(t, dir, "", args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var doc struct {
				Findings []struct {
					RuleID, Resource string
					Location         struct{ File string }
				}
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, f := range doc.Findings {
				if strings.HasPrefix(f.Resource, "Namespace/") {
					continue // namespace-level rules (no NetworkPolicy)
				}
				if f.Resource != tt.resource {
					t.Errorf("finding on %s, want only %s", f.Resource, tt.resource)
					continue
				}
				if f.Location.File != tt.where {
					t.Errorf("%s located in %s, want %s", f.RuleID, f.Location.File, tt.where)
				}
				got[f.RuleID] = true
			}
			for rule, want := range tt.rules {
				if got[rule] != want {
					t.Errorf("%s present = %v, want %v", rule, got[rule], want)
				}
			}
		})
	}
}
