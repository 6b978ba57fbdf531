package security

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// slowKustomization builds for hours: a thousand resources, each patched by
// three hundred patches (about 100 KB of input).
func slowKustomization() map[string]string {
	var docs []string
	for i := 0; i < 1000; i++ {
		docs = append(docs, fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d}\ndata: {k: v}\n", i))
	}
	var k strings.Builder
	k.WriteString("resources: [cms.yaml]\npatches:\n")
	for j := 0; j < 300; j++ {
		fmt.Fprintf(&k, "- target: {kind: ConfigMap}\n  patch: '[{\"op\": \"add\", \"path\": \"/data/p%d\", \"value\": \"x\"}]'\n", j)
	}
	return map[string]string{
		"k8s/pod.yaml":               privilegedPod,
		"k8s/app/cms.yaml":           strings.Join(docs, "---\n"),
		"k8s/app/kustomization.yaml": k.String(),
	}
}

// slowIAM is the JSON of get-account-authorization-details whose
// evaluation takes minutes: thousands of roles sharing one policy of
// thousands of wildcard statements (about 4 MB).
func slowIAM(t *testing.T) string {
	t.Helper()
	const statements, roles = 6000, 6000
	var stmts []map[string]any
	for i := 0; i < statements; i++ {
		stmts = append(stmts, map[string]any{"Effect": "Allow",
			"Action":   []string{fmt.Sprintf("s3:Get*Obj*ct%d*", i), fmt.Sprintf("ec2:Desc*%d", i)},
			"Resource": fmt.Sprintf("arn:aws:s3:::b%d/*", i)})
	}
	doc := map[string]any{
		"UserDetailList":  []any{},
		"GroupDetailList": []any{},
		"Policies": []any{map[string]any{"PolicyName": "big", "Arn": "arn:aws:iam::111122223333:policy/big", "DefaultVersionId": "v1",
			"PolicyVersionList": []any{map[string]any{"VersionId": "v1", "IsDefaultVersion": true,
				"Document": map[string]any{"Version": "2012-10-17", "Statement": stmts}}}}},
	}
	var rs []any
	for j := 0; j < roles; j++ {
		rs = append(rs, map[string]any{"RoleName": fmt.Sprintf("r%d", j), "Arn": fmt.Sprintf("arn:aws:iam::111122223333:role/r%d", j),
			"AssumeRolePolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{}},
			"AttachedManagedPolicies":  []any{map[string]any{"PolicyName": "big", "PolicyArn": "arn:aws:iam::111122223333:policy/big"}}})
	}
	doc["RoleDetailList"] = rs
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// stopCases are inputs that kept kscan busy past --timeout and signals.
func stopCases(t *testing.T) map[string]struct {
	files map[string]string
	args  []string
} {
	return map[string]struct {
		files map[string]string
		args  []string
	}{
		"kustomize": {slowKustomization(), []string{"k8s"}},
		"iam":       {map[string]string{"k8s/pod.yaml": privilegedPod, "iam.json": slowIAM(t)}, []string{"--iam-file", "iam.json", "k8s"}},
	}
}

// Attack: a slow Kustomize build or IAM evaluation ignored --timeout
// (neither takes a context). The scan now stops within the bound and writes
// its report, incomplete, exit 2, the reason given.
func TestTimeoutStopsKustomizeAndIAM(t *testing.T) {
	for name, c := range stopCases(t) {
		t.Run(name, func(t *testing.T) {
			dir := tree(t, c.files)
			r := run(t, dir, runOpts{deadline: 120 * time.Second},
				append([]string{"scan", "--timeout", "3s", "--format", "sarif", "--output", "out.sarif"}, c.args...)...)
			if r.code != 2 || r.took > 3*time.Second+3*time.Second {
				t.Errorf("exit %d after %s, want 2 within --timeout + 2 s (+1 s start-up)\n%s", r.code, r.took, tail(r.stderr))
			}
			if !strings.Contains(r.stderr, "--timeout 3s") {
				t.Errorf("the reason is not given:\n%s", tail(r.stderr))
			}
			if _, ok := sarifResults(t, filepath.Join(dir, "out.sarif")); ok {
				t.Error("the SARIF run claims a successful execution")
			}
		})
	}
}

// SIGINT (Ctrl-C) and SIGTERM (a cancelled CI job) during the same work:
// stopped within 2 s, report written, exit 2.
func TestSignalStopsKustomizeAndIAM(t *testing.T) {
	for name, c := range stopCases(t) {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			t.Run(name+"/"+sig.String(), func(t *testing.T) {
				dir := tree(t, c.files)
				cmd := exec.Command(kscanBin, append([]string{"scan", "--format", "sarif", "--output", "out.sarif"}, c.args...)...)
				cmd.Dir = dir
				cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(3 * time.Second)
				sent := time.Now()
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				select {
				case <-done:
				case <-time.After(20 * time.Second):
					cmd.Process.Kill()
					<-done
					t.Fatalf("kscan ignored %s for 20 s\n%s", sig, tail(stderr.String()))
				}
				if took := time.Since(sent); took > 2*time.Second {
					t.Errorf("kscan took %s to stop after %s, want at most 2 s", took, sig)
				}
				if code := cmd.ProcessState.ExitCode(); code != 2 {
					t.Errorf("exit %d, want 2\n%s", code, tail(stderr.String()))
				}
				if !strings.Contains(stderr.String(), "signal") {
					t.Errorf("the reason is not given:\n%s", tail(stderr.String()))
				}
				sarifResults(t, filepath.Join(dir, "out.sarif"))
			})
		}
	}
}
