package iam_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kscan-io/kscan/internal/awstest"
)

var (
	binDir    string
	buildOnce sync.Once
	kscanBin  string
	buildErr  error
)

// TestMain owns the directory of the kscan binary the end-to-end tests
// build (once, on first use) to run the real CLI code path: flags, content
// handlers, the enrichers, rules, reports and exit codes.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kscan-iam-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func kscanBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := findRoot()
		if err != nil {
			buildErr = err
			return
		}
		bin := filepath.Join(binDir, "kscan")
		cmd := exec.Command("go", "build", "-buildvcs=false", "-o", bin, "./cmd/kscan")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building kscan: %v\n%s", err, out)
			return
		}
		kscanBin = bin
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return kscanBin
}

func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found")
		}
		dir = parent
	}
}

type jsonReport struct {
	Complete bool `json:"complete"`
	Findings []struct {
		RuleID   string `json:"ruleId"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
		Resource string `json:"resource"`
		Location struct {
			Kind string `json:"kind"`
			File string `json:"file"`
			Line int    `json:"line"`
		} `json:"location"`
	} `json:"findings"`
}

// runKscan runs the CLI in the repository root with a clean AWS
// environment plus env.
func runKscan(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	root, err := findRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(kscanBinary(t), args...)
	cmd.Dir = root
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "NO_COLOR=1",
		"AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent", "AWS_EC2_METADATA_DISABLED=true"}, env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

func parseReport(t *testing.T, out string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	return r
}

// rows renders the IAM and path findings as "rule resource file".
func rows(r jsonReport) []string {
	var out []string
	for _, f := range r.Findings {
		if strings.HasPrefix(f.RuleID, "iam/") || strings.HasPrefix(f.RuleID, "path/") {
			out = append(out, f.RuleID+" "+f.Resource+" "+f.Location.File)
		}
	}
	sort.Strings(out)
	return out
}

const acct = "arn:aws:iam::111122223333:"

// wantRows is one row per rule of the table (and more), with the
// location each must have: IAM findings on the principal's ARN in the
// authorization details, cross-domain ones on the workload or
// ServiceAccount in the manifests.
var wantRows = []string{
	"iam/admin-policy " + acct + "group/admins testdata/iam/auth-details.json",
	"iam/admin-policy " + acct + "role/billing-payments testdata/iam/auth-details.json",
	"iam/admin-policy " + acct + "role/web-admin testdata/iam/auth-details.json",
	"iam/admin-policy " + acct + "user/alice testdata/iam/auth-details.json",
	"iam/irsa-trust-mismatch billing/ServiceAccount/reports testdata/iam/manifests/billing.yaml",
	"iam/irsa-trust-unscoped " + acct + "role/irsa-any-pod testdata/iam/auth-details.json",
	"iam/irsa-trust-unscoped " + acct + "role/irsa-star testdata/iam/auth-details.json",
	"iam/privilege-escalation " + acct + "role/api-deployer testdata/iam/auth-details.json",
	"iam/privilege-escalation " + acct + "role/worker-lambda testdata/iam/auth-details.json",
	"iam/privilege-escalation " + acct + "user/carol testdata/iam/auth-details.json",
	"iam/wildcard-trust " + acct + "role/partner-open testdata/iam/auth-details.json",
	"iam/workload-admin-role jobs/Deployment/worker testdata/iam/manifests/jobs.yaml",
	"iam/workload-admin-role shop/Deployment/api testdata/iam/manifests/shop.yaml",
	"iam/workload-admin-role shop/Deployment/web testdata/iam/manifests/shop.yaml",
	// Reported on the workload, the thing to fix (the role is in the message).
	"path/internet-to-cloud-admin shop/Deployment/api testdata/iam/manifests/shop.yaml",
	"path/internet-to-cloud-admin shop/Deployment/web testdata/iam/manifests/shop.yaml",
}

// entryLine finds the line where the authorization-details entry of arn
// starts (the "{" before its "Arn" field).
func entryLine(t *testing.T, data []byte, arn string) int {
	t.Helper()
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == `"Arn": "`+arn+`",` {
			for j := i; j >= 0; j-- {
				if strings.TrimSpace(lines[j]) == "{" {
					return j + 1
				}
			}
		}
	}
	t.Fatalf("no entry for %s", arn)
	return 0
}

func TestScanManifestsAndAuthDetails(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"recognised by content", []string{"testdata/iam/manifests/", "testdata/iam/auth-details.json"}},
		{"--iam-file", []string{"testdata/iam/manifests/", "--iam-file", "testdata/iam/auth-details.json"}},
	}
	root, _ := findRoot()
	fixture, err := os.ReadFile(filepath.Join(root, "testdata/iam/auth-details.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := runKscan(t, nil, append([]string{"scan", "--format", "json", "--fail-on", "none"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			r := parseReport(t, out)
			if !r.Complete {
				t.Errorf("scan incomplete: %s", stderr)
			}
			if got := rows(r); strings.Join(got, "\n") != strings.Join(wantRows, "\n") {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantRows, "\n"))
			}
			for _, f := range r.Findings {
				switch {
				case strings.HasPrefix(f.Resource, "arn:aws:iam::"):
					if want := entryLine(t, fixture, f.Resource); f.Location.Line != want {
						t.Errorf("%s %s: line %d, want %d", f.RuleID, f.Resource, f.Location.Line, want)
					}
				case strings.HasPrefix(f.RuleID, "iam/") && f.Location.Line == 0:
					t.Errorf("%s %s: no line", f.RuleID, f.Resource)
				}
				if f.RuleID == "iam/workload-admin-role" && f.Resource == "shop/Deployment/web" &&
					!(strings.Contains(f.Message, "ServiceAccount shop/web") && strings.Contains(f.Message, acct+"role/web-admin")) {
					t.Errorf("workload-admin-role message does not name the SA and role: %s", f.Message)
				}
				if f.RuleID == "path/internet-to-cloud-admin" && f.Resource == "shop/Deployment/web" {
					for _, want := range []string{
						"ServiceAccount shop/web, which assumes IAM role web-admin (" + acct + "role/web-admin, through IRSA)",
						"AdministratorAccess",
						"Internet → LoadBalancer Service shop/web → Deployment shop/web",
					} {
						if !strings.Contains(f.Message, want) {
							t.Errorf("path message %q does not spell out %q", f.Message, want)
						}
					}
				}
			}
		})
	}
	t.Run("exit 1 on critical", func(t *testing.T) {
		_, _, code := runKscan(t, nil, "scan", "--rules", "iam/*", "testdata/iam/manifests/", "testdata/iam/auth-details.json")
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
	})
}

// TestSARIFLocations: IAM findings carry the ARN as the logical location
// and the file and line as the physical one.
func TestSARIFLocations(t *testing.T) {
	out, stderr, code := runKscan(t, nil, "scan", "--format", "sarif", "--fail-on", "none", "--rules", "iam/admin-policy",
		"testdata/iam/manifests/", "testdata/iam/auth-details.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }    `json:"artifactLocation"`
						Region           struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
					LogicalLocations []struct {
						FullyQualifiedName string `json:"fullyQualifiedName"`
					} `json:"logicalLocations"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range log.Runs[0].Results {
		l := r.Locations[0]
		if l.LogicalLocations[0].FullyQualifiedName != acct+"role/web-admin" {
			continue
		}
		found = true
		if l.PhysicalLocation.ArtifactLocation.URI != "testdata/iam/auth-details.json" || l.PhysicalLocation.Region.StartLine == 0 {
			t.Errorf("physical location = %+v", l.PhysicalLocation)
		}
	}
	if !found {
		t.Error("no SARIF result with the role ARN as fullyQualifiedName")
	}
}

// TestBadInput: each damaged input is a clear error naming the file and
// line or the principal, exit 2, and everything else is still reported.
func TestBadInput(t *testing.T) {
	root, _ := findRoot()
	good, err := os.ReadFile(filepath.Join(root, "testdata/iam/auth-details.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		edit      func(string) string
		wantErr   []string
		wantStill string // a finding that must still be reported
		wantGone  string // a finding that must be gone
	}{
		{"truncated", func(s string) string { return s[:len(s)*2/3] },
			[]string{"auth-details.json:", "truncated"}, acct + "user/alice", acct + "role/partner-org"},
		{"malformed", func(s string) string {
			return strings.Replace(s, `"GroupList": [`, `"GroupList": [,`, 1)
		}, []string{"auth-details.json:", "invalid JSON"}, "", acct + "role/web-admin"},
		{"policy document not JSON", func(s string) string {
			i := strings.Index(s, `"PolicyName": "key-rotation",`)
			j := strings.Index(s[i:], `"PolicyDocument": {`)
			k := strings.Index(s[i+j:], "\n          }\n") // end of the document object
			return s[:i+j] + `"PolicyDocument": "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\""` + s[i+j+k+len("\n          }"):]
		}, []string{acct + "user/carol", "key-rotation", "not valid JSON"}, acct + "user/alice", acct + "user/carol"},
		{"unknown policy version", func(s string) string {
			i := strings.Index(s, `"Arn": "`+acct+`policy/ci-deployer"`)
			j := strings.Index(s[i:], `"IsDefaultVersion": true`)
			v := strings.LastIndex(s[:i+j], `"Version": "2012-10-17"`)
			return s[:v] + `"Version": "2013-01-01"` + s[v+len(`"Version": "2012-10-17"`):]
		}, []string{acct + "policy/ci-deployer", "unknown policy Version \"2013-01-01\""}, acct + "role/web-admin", acct + "role/api-deployer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bad := filepath.Join(dir, "auth-details.json")
			if err := os.WriteFile(bad, []byte(tc.edit(string(good))), 0o644); err != nil {
				t.Fatal(err)
			}
			out, stderr, code := runKscan(t, nil, "scan", "--format", "json", "--fail-on", "none", "testdata/iam/manifests/", bad)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not contain %q:\n%s", w, stderr)
				}
			}
			r := parseReport(t, out)
			if r.Complete {
				t.Error("report says complete")
			}
			all := strings.Join(rows(r), "\n")
			if tc.wantStill != "" && !strings.Contains(all, tc.wantStill) {
				t.Errorf("finding on %s missing after the bad input:\n%s", tc.wantStill, all)
			}
			if tc.wantGone != "" && strings.Contains(all, tc.wantGone+" ") {
				t.Errorf("finding on %s should be gone:\n%s", tc.wantGone, all)
			}
			// The manifests are still scanned.
			if !strings.Contains(out, "shop/Deployment/web") {
				t.Error("no finding on the manifests: the rest of the scan did not go on")
			}
		})
	}
}

// TestLiveCLI runs kscan scan --aws against the local IAM endpoint with the
// real SDK: findings as offline, and access denied is a clear message and
// exit 2 while the manifests are still scanned.
func TestLiveCLI(t *testing.T) {
	root, _ := findRoot()
	data, err := os.ReadFile(filepath.Join(root, "testdata/iam/auth-details.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		deny     string
		wantCode int
	}{
		{"ok", "", 0},
		{"access denied", "GetAccountAuthorizationDetails", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := awstest.New(data)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			srv.Throttle = 1
			if tc.deny != "" {
				srv.Deny[tc.deny] = true
			}
			env := []string{"AWS_ACCESS_KEY_ID=AKIDKSCANTEST", "AWS_SECRET_ACCESS_KEY=kscan-test-secret", "AWS_REGION=us-east-1",
				"AWS_ENDPOINT_URL_IAM=" + srv.URL}
			out, stderr, code := runKscan(t, env, "scan", "--format", "json", "--fail-on", "none", "--aws", "--aws-credential-report=false", "testdata/iam/manifests/")
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.wantCode, stderr)
			}
			if strings.Contains(stderr+out, "kscan-test-secret") {
				t.Error("the secret key was printed")
			}
			r := parseReport(t, out)
			got := rows(r)
			if tc.deny != "" {
				if !strings.Contains(stderr, "access denied") || !strings.Contains(stderr, "iam:GetAccountAuthorizationDetails") {
					t.Errorf("stderr does not explain the denial:\n%s", stderr)
				}
				if !strings.Contains(out, "shop/Deployment/web") {
					t.Error("manifests not scanned after the IAM failure")
				}
				return
			}
			var want []string
			for _, w := range wantRows {
				want = append(want, strings.Replace(w, " testdata/iam/auth-details.json", " ", 1))
			}
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("live findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestOfflineCredentialReport: the JSON of `aws iam get-credential-report`
// is recognised by content and joined to the users of the authorization
// details for the hygiene rules.
func TestOfflineCredentialReport(t *testing.T) {
	out, stderr, code := runKscan(t, nil, "scan", "--format", "json", "--fail-on", "none",
		"--rules", "iam/user-without-mfa,iam/old-access-key",
		"testdata/iam/auth-details.json", "testdata/iam/credential-report.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := []string{
		"iam/old-access-key " + acct + "user/alice testdata/iam/auth-details.json",
		"iam/old-access-key " + acct + "user/carol testdata/iam/auth-details.json",
		"iam/user-without-mfa " + acct + "user/alice testdata/iam/auth-details.json",
	}
	if got := rows(parseReport(t, out)); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
