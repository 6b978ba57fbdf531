package security

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hangChart never finishes rendering (nested until: 10^15 iterations).
var hangChart = map[string]string{
	"k8s/c/Chart.yaml":       chartYAML,
	"k8s/c/templates/x.yaml": `{{ range $i := until 100000 }}{{ range $j := until 100000 }}{{ range $k := until 100000 }}{{ end }}{{ end }}{{ end }}`,
}

// sarifResults reads the rule ids of a SARIF report and whether the run
// says it was incomplete.
func sarifResults(t *testing.T, path string) (ids []string, ok bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no report written: %v", err)
	}
	var log struct {
		Runs []struct {
			Invocations []struct {
				ExecutionSuccessful bool `json:"executionSuccessful"`
			} `json:"invocations"`
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &log); err != nil || len(log.Runs) == 0 {
		t.Fatalf("the report is not SARIF: %v", err)
	}
	for _, r := range log.Runs[0].Results {
		ids = append(ids, r.RuleID)
	}
	return ids, len(log.Runs[0].Invocations) > 0 && log.Runs[0].Invocations[0].ExecutionSuccessful
}

// Attack: a chart that renders for ever ignored --timeout (Helm's engine
// takes no context). The scan now stops within the bound and still writes
// its report, incomplete, exit 2.
func TestTimeoutStopsHelmAndWritesReport(t *testing.T) {
	dir := tree(t, hangChart)
	start := time.Now()
	r := run(t, dir, runOpts{deadline: 30 * time.Second}, "scan", "--timeout", "3s", "--format", "sarif", "--output", "out.sarif", "k8s")
	took := time.Since(start)
	if r.code != 2 || took > 3*time.Second+3*time.Second {
		t.Errorf("exit %d after %s, want 2 within --timeout + 2 s (+1 s start-up)\n%s", r.code, took, tail(r.stderr))
	}
	if !strings.Contains(r.stderr, "--timeout 3s") {
		t.Errorf("the reason is not given:\n%s", tail(r.stderr))
	}
	if _, ok := sarifResults(t, filepath.Join(dir, "out.sarif")); ok {
		t.Error("the SARIF run claims a successful execution")
	}
}

// Attack: a slow rule ended the scan with no report at all, blaming a
// 2-minute limit when --timeout fired. Now the other rules' findings are
// kept and the slow rule is reported as not evaluated.
func TestSlowRuleKeepsOtherFindings(t *testing.T) {
	dir := tree(t, map[string]string{
		"k8s/pod.yaml": privilegedPod,
		"pol/slow.rego": `# METADATA
# title: Slow
# description: loops
# custom:
#   id: custom/slow
#   severity: low
package kscan.rules.custom.slow

deny contains {"key": "x", "message": "m"} if {
	count([1 | some x in numbers.range(1, 100000); some y in numbers.range(1, 100000); x == y + 1000000]) > 0
}
`,
	})
	start := time.Now()
	r := run(t, dir, runOpts{deadline: 60 * time.Second}, "scan", "--timeout", "8s", "--policy", "pol", "--format", "sarif", "--output", "out.sarif", "k8s")
	took := time.Since(start)
	if r.code != 2 || took > 8*time.Second+3*time.Second {
		t.Errorf("exit %d after %s, want 2 within --timeout + 2 s (+1 s start-up)\n%s", r.code, took, tail(r.stderr))
	}
	ids, _ := sarifResults(t, filepath.Join(dir, "out.sarif"))
	if !strings.Contains(strings.Join(ids, " "), "k8s/privileged-container") {
		t.Errorf("the other rules' findings were lost: %v", ids)
	}
	if !strings.Contains(r.stderr, "custom/slow") || !strings.Contains(r.stderr, "--timeout 8s") {
		t.Errorf("the slow rule and the reason are not named:\n%s", tail(r.stderr))
	}
}

// SIGTERM (a CI job cancelled) stops the scan the same way: a report for
// what finished, exit 2.
func TestSIGTERMWritesReport(t *testing.T) {
	dir := tree(t, hangChart)
	cmd := exec.Command(kscanBin, "scan", "--format", "sarif", "--output", "out.sarif", "k8s")
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("kscan ignored SIGTERM for 10 s\n%s", tail(stderr.String()))
	}
	if took := time.Since(sent); took > 2*time.Second {
		t.Errorf("kscan took %s to stop after SIGTERM, want at most 2 s", took)
	}
	if code := cmd.ProcessState.ExitCode(); code != 2 {
		t.Errorf("exit %d, want 2\n%s", code, tail(stderr.String()))
	}
	if !strings.Contains(stderr.String(), "signal") {
		t.Errorf("the reason is not given:\n%s", tail(stderr.String()))
	}
	sarifResults(t, filepath.Join(dir, "out.sarif"))
}
