package security

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// symlink creates link (relative to dir) pointing at target.
func symlink(t *testing.T, dir, link, target string) {
	t.Helper()
	full := filepath.Join(dir, link)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, full); err != nil {
		t.Fatal(err)
	}
}

const chartYAML = "apiVersion: v2\nname: c\nversion: 0.1.0\n"

// Attack: a chart's files/env is a link to a file outside the tree (or to
// /proc/self/environ) and a template fails with its content, which Helm
// puts in the error: every format and stderr would carry it.
func TestHelmSymlinkExfiltration(t *testing.T) {
	value, secretPath := canary(t)
	envValue := "ENVCANARY-" + strings.ReplaceAll(t.Name(), "/", "-")
	cases := map[string]struct {
		target, file string
		env          []string
		leak         string
	}{
		"file":    {target: secretPath, file: "files/env", leak: value},
		"environ": {target: "/proc/self/environ", file: "files/env", env: []string{"KSCAN_TEST_SECRET=" + envValue}, leak: envValue},
		"dir":     {target: filepath.Dir(secretPath), file: "files/secret.txt", leak: value},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := tree(t, map[string]string{
				"k8s/c/Chart.yaml":       chartYAML,
				"k8s/c/templates/x.yaml": `{{ fail (.Files.Get "` + tc.file + `") }}`,
				"k8s/pod.yaml":           privilegedPod,
			})
			link := "k8s/c/" + tc.file
			if name == "dir" {
				link = "k8s/c/files"
			}
			symlink(t, dir, link, tc.target)
			runs := scanAllFormats(t, dir, runOpts{env: tc.env}, "--fail-on", "none", "k8s")
			assertNoLeak(t, tc.leak, runs)
			for f, r := range runs {
				if r.code != 2 {
					t.Errorf("%s: exit %d, want 2 (the chart is refused)", f, r.code)
				}
				if !strings.Contains(r.stderr, "k8s/c/files") || !strings.Contains(r.stderr, "outside the scanned tree") {
					t.Errorf("%s: the error does not name the link:\n%s", f, tail(r.stderr))
				}
				if !strings.Contains(r.stdout, "privileged") {
					t.Errorf("%s: the other files were not scanned:\n%s", f, tail(r.stdout))
				}
			}
			// A trusted tree: the same chart reads the link (so the test
			// above can fail).
			r := run(t, dir, runOpts{env: tc.env}, "scan", "--follow-symlinks", "--fail-on", "none", "k8s")
			if !strings.Contains(r.all(), tc.leak) {
				t.Errorf("--follow-symlinks: the link was not read:\n%s", tail(r.all()))
			}
		})
	}
}

// A link inside the tree stays usable: charts sharing files by links are
// common.
func TestHelmSymlinkInsideTree(t *testing.T) {
	dir := tree(t, map[string]string{
		"k8s/shared/motd":        "hello",
		"k8s/c/Chart.yaml":       chartYAML,
		"k8s/c/templates/x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata: {motd: {{ .Files.Get \"files/motd\" | quote }}}\n",
	})
	symlink(t, dir, "k8s/c/files/motd", "../../shared/motd")
	r := run(t, dir, runOpts{}, "scan", "--format", "json", "--fail-on", "none", "k8s")
	if r.code != 0 || !strings.Contains(r.stdout, `"resources": 1`) && !strings.Contains(r.stdout, `"resources":1`) {
		t.Errorf("exit %d, want 0 and the ConfigMap scanned:\n%s", r.code, tail(r.all()))
	}
}

// Attack: a kustomization generates a ConfigMap from a link to a file
// outside the tree, lists such a link as a resource (kustomize's own
// load restrictor refuses these), or builds on a base that is a link to a
// directory outside the tree (kustomize follows it).
func TestKustomizeSymlinkExfiltration(t *testing.T) {
	value, secretPath := canary(t)
	name := strings.ToLower(value)
	outside := t.TempDir()
	files := map[string]string{
		"leak.yaml":          strings.Replace(privilegedPod, "name: web", "name: "+name, 1),
		"kustomization.yaml": "resources: [leak.yaml]\nconfigMapGenerator:\n- name: leak\n  files: [secret.txt]\n",
		"secret.txt":         value,
	}
	for f, c := range files {
		if err := os.WriteFile(filepath.Join(outside, f), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := map[string]struct {
		kust, link, target string
		trusted            bool // --follow-symlinks then reads it
	}{
		"generator": {kust: "configMapGenerator:\n- name: leak\n  files: [env]\n", link: "k8s/env", target: secretPath},
		"envs":      {kust: "configMapGenerator:\n- name: leak\n  envs: [env]\n", link: "k8s/env", target: secretPath},
		"resource":  {kust: "resources: [leak.yaml]\n", link: "k8s/leak.yaml", target: filepath.Join(outside, "leak.yaml")},
		"base":      {kust: "resources: [base]\n", link: "k8s/base", target: outside, trusted: true},
	}
	for cname, tc := range cases {
		t.Run(cname, func(t *testing.T) {
			dir := tree(t, map[string]string{"k8s/kustomization.yaml": tc.kust})
			symlink(t, dir, tc.link, tc.target)
			runs := scanAllFormats(t, dir, runOpts{}, "--fail-on", "none", "k8s")
			assertNoLeak(t, value, runs)
			assertNoLeak(t, name, runs)
			for f, r := range runs {
				if r.code != 2 || !strings.Contains(r.stderr, "outside the scanned tree") && !strings.Contains(r.stderr, "is not in or below") {
					t.Errorf("%s: exit %d, want 2 and the link refused:\n%s", f, r.code, tail(r.stderr))
				}
			}
			if tc.trusted {
				r := run(t, dir, runOpts{}, "scan", "--follow-symlinks", "--fail-on", "none", "k8s")
				if r.code != 0 || !strings.Contains(r.all(), name) {
					t.Errorf("--follow-symlinks: exit %d, the base was not read:\n%s", r.code, tail(r.all()))
				}
			}
		})
	}
}

// Attack: a manifest in the tree is a link to a file outside it, or the
// scanned directory itself is a link out of the working directory.
func TestManifestSymlinkOutside(t *testing.T) {
	value, _ := canary(t)
	outside := t.TempDir()
	secret := "apiVersion: v1\nkind: Secret\nmetadata: {name: " + strings.ToLower(value) + ", namespace: shop}\nstringData: {k: " + value + "}\n"
	if err := os.WriteFile(filepath.Join(outside, "s.yaml"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("file", func(t *testing.T) {
		dir := tree(t, map[string]string{"k8s/pod.yaml": privilegedPod})
		symlink(t, dir, "k8s/s.yaml", filepath.Join(outside, "s.yaml"))
		runs := scanAllFormats(t, dir, runOpts{}, "--fail-on", "none", "k8s")
		assertNoLeak(t, strings.ToLower(value), runs)
		for f, r := range runs {
			if r.code != 2 || !strings.Contains(r.stderr, "k8s/s.yaml") || !strings.Contains(r.stdout, "privileged") {
				t.Errorf("%s: exit %d, want 2, the link named and the pod scanned:\n%s", f, r.code, tail(r.all()))
			}
		}
	})
	t.Run("root", func(t *testing.T) {
		dir := tree(t, map[string]string{"other.yaml": privilegedPod})
		symlink(t, dir, "k8s", outside)
		r := run(t, dir, runOpts{}, actionArgs...)
		sarif, _ := os.ReadFile(filepath.Join(dir, "kscan.sarif"))
		if strings.Contains(string(sarif)+r.all(), strings.ToLower(value)) {
			t.Error("the scanned path, a link out of the working directory, was read")
		}
		if r.code != 2 || !strings.Contains(r.stderr, "outside the scanned tree") {
			t.Errorf("exit %d, want 2 and the link refused:\n%s", r.code, tail(r.stderr))
		}
	})
}
