package security

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const privilegedPod = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: nginx:1.27
    securityContext: {privileged: true}
`

// actionArgs is the GitHub Action's own command line.
// (scanning k8s/, so the report and the attacker's files are not inputs).
var actionArgs = []string{"scan", "--format", "sarif", "--output", "kscan.sarif", "--fail-on", "high", "k8s"}

// execKubeconfig is a kubeconfig whose credential plugin would create
// marker, pointing at a server that must not be contacted either.
func execKubeconfig(server, marker string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://%s"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: /bin/sh
      args: ["-c", "touch %s; echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"x\"}}'"]
      interactiveMode: Never
`, server, marker)
}

// Attack: the repository's .kscan.yaml names a kubeconfig whose exec plugin
// runs /bin/sh as the CI user, through the Action's own command line.
func TestRepoConfigKubeconfigExec(t *testing.T) {
	srv := loopback(t)
	marker := filepath.Join(t.TempDir(), "pwned")
	for _, extra := range [][]string{nil, {"--repo-config"}} {
		dir := tree(t, map[string]string{
			"k8s/pod.yaml": privilegedPod,
			"kc":           execKubeconfig(srv.addr, marker),
			".kscan.yaml":  "kubeconfig: kc\n",
		})
		r := run(t, dir, runOpts{}, append(extra, actionArgs...)...)
		assertNoFile(t, marker, "the repository's kubeconfig exec plugin ran")
		srv.assertUntouched(t)
		if r.code != 1 {
			t.Errorf("%v: exit %d, want 1 (the privileged pod)\n%s", extra, r.code, r.stderr)
		}
	}
}

// A kubeconfig inside the scanned tree is only data: scanning it runs nothing.
func TestKubeconfigInTreeIsData(t *testing.T) {
	srv := loopback(t)
	marker := filepath.Join(t.TempDir(), "pwned")
	dir := tree(t, map[string]string{"k8s/pod.yaml": privilegedPod, "k8s/kube/config": execKubeconfig(srv.addr, marker), "k8s/kc.yaml": execKubeconfig(srv.addr, marker)})
	run(t, dir, runOpts{}, actionArgs...)
	assertNoFile(t, marker, "a kubeconfig in the tree ran its exec plugin")
	srv.assertUntouched(t)
}

// Attack: the repository's config weakens the gate or hides findings:
// skip-rules, fail-on none, a baseline that marks the critical unchanged
// plus fail-on-new, an output path outside the working directory, a Helm
// values file outside the tree, registry access.
func TestRepoConfigCannotWeakenTheScan(t *testing.T) {
	srv := loopback(t)
	value, secretPath := canary(t)
	outside := filepath.Join(t.TempDir(), "overwritten.txt")
	pod := strings.Replace(privilegedPod, "nginx:1.27", srv.addr+"/app:1", 1)
	cases := map[string]string{
		"skip-rules":  "skip-rules: ['*']\n",
		"fail-on":     "fail-on: none\n",
		"severity":    "severity: [low]\n",
		"output":      "output: " + outside + "\n",
		"helm-values": "helm-values: [" + secretPath + "]\n",
		"registry":    "registry: true\n",
		"baseline":    "baseline: old.sarif\nfail-on-new: true\n",
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			for _, extra := range [][]string{nil, {"--repo-config"}} {
				dir := tree(t, map[string]string{"k8s/pod.yaml": pod, ".kscan.yaml": cfg})
				if name == "baseline" {
					// The attacker's baseline: the same scan, so every finding is "unchanged".
					run(t, dir, runOpts{}, "scan", "--format", "sarif", "--output", "old.sarif", "--fail-on", "none", ".")
				}
				r := run(t, dir, runOpts{}, append(extra, actionArgs...)...)
				if r.code != 1 {
					t.Errorf("%v: exit %d, want 1: the repository's config weakened the gate\n%s", extra, r.code, r.stderr)
				}
				sarif, _ := os.ReadFile(filepath.Join(dir, "kscan.sarif"))
				if !strings.Contains(string(sarif), "k8s/privileged-container") {
					t.Errorf("%v: the critical finding is missing from the SARIF", extra)
				}
				if strings.Contains(string(sarif)+r.all(), value) {
					t.Errorf("%v: a file outside the tree leaked", extra)
				}
				if extra != nil && name != "output" && name != "fail-on" && !strings.Contains(string(sarif), "repositoryConfig") {
					t.Errorf("%v: SARIF invocation does not record what the repository config tried", extra)
				}
			}
			assertNoFile(t, outside, "the repository's config wrote outside the working directory")
			srv.assertUntouched(t)
		})
	}
}

// What a repository's config did set is visible in the SARIF invocation.
func TestRepoConfigChangesAreReported(t *testing.T) {
	dir := tree(t, map[string]string{"k8s/pod.yaml": privilegedPod, ".kscan.yaml": "helm-release: x\nkubeconfig: kc.yaml\n"})
	r := run(t, dir, runOpts{}, append([]string{"--repo-config"}, actionArgs...)...)
	if r.code != 1 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var log struct {
		Runs []struct {
			Invocations []struct {
				Properties struct {
					RepositoryConfig []struct {
						File, Key, Value string
						Applied          bool
					} `json:"repositoryConfig"`
				} `json:"properties"`
			} `json:"invocations"`
		} `json:"runs"`
	}
	data, _ := os.ReadFile(filepath.Join(dir, "kscan.sarif"))
	if err := json.Unmarshal(data, &log); err != nil || len(log.Runs) == 0 || len(log.Runs[0].Invocations) == 0 {
		t.Fatalf("SARIF: %v", err)
	}
	got := map[string]bool{}
	for _, s := range log.Runs[0].Invocations[0].Properties.RepositoryConfig {
		got[s.Key+"="+s.Value] = s.Applied
	}
	if applied, ok := got["helm-release=x"]; !ok || !applied {
		t.Errorf("helm-release not reported as applied: %v", got)
	}
	if applied, ok := got["kubeconfig=kc.yaml"]; !ok || applied {
		t.Errorf("kubeconfig not reported as refused: %v", got)
	}
}

// Attack: the repository's .kscanignore.yaml waives every rule in one line.
func TestRepoIgnoreFileWildcard(t *testing.T) {
	dir := tree(t, map[string]string{"k8s/pod.yaml": privilegedPod, ".kscanignore.yaml": "ignores:\n- rule: '*'\n  reason: nothing to see\n"})
	r := run(t, dir, runOpts{}, actionArgs...)
	if r.code != 1 {
		t.Errorf("exit %d, want 1: a wildcard waiver in the repository's ignore file hid the critical finding\n%s", r.code, r.stderr)
	}
	sarif, _ := os.ReadFile(filepath.Join(dir, "kscan.sarif"))
	if !strings.Contains(string(sarif), "--allow-wildcard-ignores") {
		t.Error("the refused waiver is not explained in the SARIF")
	}
	r = run(t, dir, runOpts{}, append([]string{"scan", "--allow-wildcard-ignores"}, actionArgs[1:]...)...)
	if r.code != 0 {
		t.Errorf("with --allow-wildcard-ignores: exit %d, want 0", r.code)
	}
}
