package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/kscan-io/kscan/collectors/kube/kubetest"
	"github.com/kscan-io/kscan/internal/repotest"
	"github.com/kscan-io/kscan/internal/testenv"
)

// sarifMultitool is Microsoft's SARIF validator (installed by
// hack/report-tools.sh); its "Gh" rules are GitHub code scanning's
// ingestion rules.
func sarifMultitool(t *testing.T) string {
	t.Helper()
	p := filepath.Join(testenv.BinDir(), "node", "node_modules", "@microsoft", "sarif-multitool-linux", "Sarif.Multitool")
	if _, err := os.Stat(p); err != nil {
		repotest.Missing(t, "SARIF multitool missing (run hack/report-tools.sh): %v", err)
	}
	return p
}

// validateSARIF checks a log with the SARIF 2.1.0 schema (the library's
// copy) and with the multitool's SARIF and GitHub rules; any error fails.
func validateSARIF(t *testing.T, tool string, data []byte) {
	t.Helper()
	log, err := sarif.FromBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := log.Validate(); err != nil {
		t.Errorf("SARIF 2.1.0 schema: %v", err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "kscan.sarif")
	out := filepath.Join(dir, "validation.sarif")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, "validate", in, "--rule-kind", "Gh;Sarif", "--level", "Error;Warning", "-o", out)
	cmd.Env = append(os.Environ(), "DOTNET_CLI_TELEMETRY_OPTOUT=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sarif-multitool validate: %v\n%s", err, b)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Runs []struct {
			Results []struct {
				RuleID  string `json:"ruleId"`
				Level   string `json:"level"`
				Message struct {
					ID        string   `json:"id"`
					Arguments []string `json:"arguments"`
				} `json:"message"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	errs, warns := 0, 0
	for _, r := range res.Runs[0].Results {
		level := r.Level
		if level == "" {
			level = "warning" // SARIF's default
		}
		switch {
		case level == "error":
			errs++
			t.Errorf("validator error %s %s %v", r.RuleID, r.Message.ID, r.Message.Arguments)
		case strings.HasPrefix(r.RuleID, "GH"):
			// GitHub's ingestion rules: a warning is a result GitHub drops.
			t.Errorf("GitHub ingestion rule %s: %s %v", r.RuleID, r.Message.ID, r.Message.Arguments)
		default:
			warns++
			t.Logf("validator warning %s %s %v", r.RuleID, r.Message.ID, r.Message.Arguments)
		}
	}
	t.Logf("sarif-multitool: %d errors, %d warnings", errs, warns)
}

// TestSARIFAcceptedByValidator: the demo (relative paths), the demo by
// absolute path, and a live cluster scan all pass the validator, with every
// result at a physical location.
func TestSARIFAcceptedByValidator(t *testing.T) {
	tool := sarifMultitool(t)
	demo, err := filepath.Abs("../../testdata/demo")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("demo", func(t *testing.T) {
		_, out, errOut := kscan(t, demo, "", "scan", "--format", "sarif", "--fail-on", "none", "--sarif-category", "kscan/demo", ".")
		if out == "" {
			t.Fatalf("no SARIF: %s", errOut)
		}
		validateSARIF(t, tool, []byte(out))
		checkPhysical(t, out, false)
	})
	t.Run("absolute paths", func(t *testing.T) {
		_, out, errOut := kscan(t, t.TempDir(), "", "scan", "--format", "sarif", "--fail-on", "none", "--sarif-root", filepath.Dir(filepath.Dir(demo)), demo)
		if out == "" {
			t.Fatalf("no SARIF: %s", errOut)
		}
		validateSARIF(t, tool, []byte(out))
		checkPhysical(t, out, false)
		if !strings.Contains(out, `"uri": "testdata/demo/payments.yaml"`) {
			t.Error("absolute input paths are not relative to --sarif-root")
		}
	})
	t.Run("live", func(t *testing.T) {
		srv := testenv.APIServerFor(t)
		t.Cleanup(testenv.StopAll)
		kubetest.ApplyFiles(t, srv.Config, demo)
		_, out, errOut := kscan(t, t.TempDir(), "", "scan", "--kubeconfig", srv.Kubeconfig, "--format", "sarif", "--fail-on", "none")
		if out == "" {
			t.Fatalf("no SARIF: %s", errOut)
		}
		validateSARIF(t, tool, []byte(out))
		checkPhysical(t, out, true)
	})
}

// checkPhysical: every result has a physical location with a URI relative
// to %SRCROOT% and keeps its logical location.
func checkPhysical(t *testing.T, out string, live bool) {
	t.Helper()
	var doc struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					Physical *struct {
						Artifact struct {
							URI  string `json:"uri"`
							Base string `json:"uriBaseId"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
					Logical []struct{ FullyQualifiedName string } `json:"logicalLocations"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Runs[0].Results) == 0 {
		t.Fatal("no results to check")
	}
	for _, r := range doc.Runs[0].Results {
		l := r.Locations[0]
		if l.Physical == nil || l.Physical.Artifact.URI == "" || l.Physical.Artifact.Base != "%SRCROOT%" || strings.Contains(l.Physical.Artifact.URI, "://") {
			t.Errorf("%s: physical location %+v", r.RuleID, l.Physical)
		}
		if len(l.Logical) == 0 || l.Logical[0].FullyQualifiedName == "" {
			t.Errorf("%s: no logical location", r.RuleID)
		}
		if live && !strings.HasPrefix(l.Physical.Artifact.URI, "kubernetes/") {
			t.Errorf("%s: live result at %q", r.RuleID, l.Physical.Artifact.URI)
		}
	}
}
