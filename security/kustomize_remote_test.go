package security

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// gitShim puts a git first on PATH that only creates marker: the test
// asserts kscan never ran it.
func gitShim(t *testing.T) (env []string, marker string) {
	t.Helper()
	bin := t.TempDir()
	marker = filepath.Join(t.TempDir(), "git-ran")
	script := fmt.Sprintf("#!/bin/sh\necho \"$@\" >> %s\nexit 1\n", marker)
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{"PATH=" + bin + ":" + os.Getenv("PATH")}, marker
}

// Attack: a kustomization names remote resources, so that kscan connects
// to a host of the attacker's choosing (and reads without limit from it) or
// runs git.
func TestKustomizeRemoteRefused(t *testing.T) {
	srv := loopback(t)
	cases := map[string]string{
		"http resource":  "resources: [http://%s/x.yaml]\n",
		"git:: resource": "resources: ['git::http://%s/org/repo.git']\n",
		"scp-style git":  "resources: ['git@%s:org/repo.git']\n",
		"github":         "resources: ['github.com/kscan-io/nothing//deploy?ref=v1&x=%s']\n",
		"patch":          "resources: [cm.yaml]\npatches: [{path: 'http://%s/p.yaml'}]\n",
		"generator file": "configMapGenerator: [{name: c, files: ['k=http://%s/f']}]\n",
		"component":      "components: ['https://%s/c']\n",
		"in a base":      "# %s\nresources: [base]\n",
	}
	for name, k := range cases {
		t.Run(name, func(t *testing.T) {
			env, marker := gitShim(t)
			files := map[string]string{
				"k8s/pod.yaml":               privilegedPod,
				"k8s/app/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n",
				"k8s/app/kustomization.yaml": fmt.Sprintf(k, srv.addr),
			}
			if name == "in a base" {
				files["k8s/app/base/kustomization.yaml"] = fmt.Sprintf("resources: [http://%s/x.yaml]\n", srv.addr)
			}
			dir := tree(t, files)
			r := run(t, dir, runOpts{env: env, deadline: 90 * time.Second}, "scan", "--fail-on", "none", "k8s")
			srv.assertUntouched(t)
			assertNoFile(t, marker, "kscan ran git")
			if r.code != 2 || !strings.Contains(r.stderr, "--kustomize-allow-remote") || !strings.Contains(r.stderr, "kustomization.yaml:") {
				t.Errorf("exit %d, want 2 and an error at the kustomization naming --kustomize-allow-remote:\n%s", r.code, tail(r.stderr))
			}
			if !strings.Contains(r.stdout, "privileged") {
				t.Errorf("the other files were not scanned:\n%s", tail(r.stdout))
			}
		})
	}
}

// With --kustomize-allow-remote a fetch is bounded: a server that streams
// forever ends in an error, not in kscan running out of memory; and git is
// then run (so the refusal above is the flag's doing).
func TestKustomizeRemoteAllowedIsBounded(t *testing.T) {
	stream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		line := []byte("# " + strings.Repeat("x", 1000) + "\n")
		for r.Context().Err() == nil {
			if _, err := w.Write(line); err != nil {
				return
			}
		}
	}))
	defer stream.Close()
	dir := tree(t, map[string]string{"k8s/kustomization.yaml": "resources: [" + stream.URL + "/x.yaml]\n"})
	start := time.Now()
	r := run(t, dir, runOpts{memKiB: 2 << 20, deadline: 90 * time.Second}, "scan", "--kustomize-allow-remote", "--fail-on", "none", "k8s")
	if r.code != 2 || !strings.Contains(r.stderr, "larger than the limit") {
		t.Errorf("exit %d after %s, want 2 and the size limit named:\n%s", r.code, time.Since(start), tail(r.stderr))
	}

	env, marker := gitShim(t)
	dir = tree(t, map[string]string{"k8s/kustomization.yaml": "resources: ['git::http://127.0.0.1:1/org/repo.git']\n"})
	run(t, dir, runOpts{env: env}, "scan", "--kustomize-allow-remote", "--fail-on", "none", "k8s")
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("with --kustomize-allow-remote git was not run: %v", err)
	}
}
