package security

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func mkfifo(t *testing.T, dir, name string) {
	t.Helper()
	if err := syscall.Mkfifo(filepath.Join(dir, name), 0o644); err != nil {
		t.Fatal(err)
	}
}

// bounded runs kscan as the Action would, under a memory cap and a
// deadline: a FIFO that hangs or /dev/zero read to the end fails the test.
var bounded = runOpts{memKiB: 2 << 20, deadline: 60 * time.Second}

// Attack: scanned files that are a FIFO named x.yaml (hangs on open), a
// link to /dev/zero (size 0 by stat, endless by read), or a FIFO with any
// other name (sniffed by content as a possible snapshot).
func TestNonRegularScannedFiles(t *testing.T) {
	for _, follow := range []bool{false, true} {
		dir := tree(t, map[string]string{"k8s/pod.yaml": privilegedPod})
		mkfifo(t, dir, "k8s/x.yaml")
		mkfifo(t, dir, "k8s/snapshot.gz")
		symlink(t, dir, "k8s/zero.yaml", "/dev/zero")
		symlink(t, dir, "k8s/c.tgz", "/dev/zero")
		args := []string{"scan", "--fail-on", "none", "k8s"}
		if follow {
			args = append(args, "--follow-symlinks")
		}
		r := run(t, dir, bounded, args...)
		if r.code != 2 {
			t.Errorf("follow=%v: exit %d, want 2\n%s", follow, r.code, tail(r.stderr))
		}
		for _, f := range []string{"k8s/x.yaml", "k8s/zero.yaml", "k8s/c.tgz"} {
			if !strings.Contains(r.stderr, f) {
				t.Errorf("follow=%v: no error names %s:\n%s", follow, f, tail(r.stderr))
			}
		}
		if !strings.Contains(r.stdout, "privileged") {
			t.Errorf("follow=%v: the other files were not scanned:\n%s", follow, tail(r.stdout))
		}
	}
}

// Attack (or accident): files named by flags that are FIFOs or links to
// /dev/zero. Each is a clear error, exit 2, within the deadline and memory.
func TestNonRegularFlagFiles(t *testing.T) {
	cases := map[string]func(dir string) []string{
		"baseline fifo": func(dir string) []string {
			mkfifo(t, dir, "old.sarif")
			return []string{"--baseline", "old.sarif"}
		},
		"baseline zero": func(dir string) []string {
			symlink(t, dir, "old.sarif", "/dev/zero")
			return []string{"--baseline", "old.sarif"}
		},
		"policy zero": func(dir string) []string {
			symlink(t, dir, "pol/x.rego", "/dev/zero")
			return []string{"--policy", "pol"}
		},
		"policy fifo": func(dir string) []string {
			mkfifo(t, dir, "x.rego")
			return []string{"--policy", "x.rego"}
		},
		"helm-values zero": func(dir string) []string {
			symlink(t, dir, "values.yaml", "/dev/zero")
			return []string{"--helm-values", "values.yaml"}
		},
		"helm-values fifo": func(dir string) []string {
			mkfifo(t, dir, "values.yaml")
			return []string{"--helm-values", "values.yaml"}
		},
		"config zero": func(dir string) []string {
			symlink(t, dir, "cfg.yaml", "/dev/zero")
			return []string{"--config", "cfg.yaml"}
		},
		"ignore-file fifo": func(dir string) []string {
			mkfifo(t, dir, "ign.yaml")
			return []string{"--ignore-file", "ign.yaml"}
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			dir := tree(t, map[string]string{
				"k8s/pod.yaml":           privilegedPod,
				"k8s/c/Chart.yaml":       chartYAML,
				"k8s/c/templates/x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\n",
			})
			flagArgs := setup(dir)
			r := run(t, dir, bounded, append(append([]string{"scan", "--fail-on", "none"}, flagArgs...), "k8s")...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2\n%s", r.code, tail(r.all()))
			}
			file := flagArgs[1]
			if !strings.Contains(r.stderr, file) || !strings.Contains(r.stderr, "not a regular file") {
				t.Errorf("the error does not say %s is not a regular file:\n%s", file, tail(r.stderr))
			}
		})
	}
}

// Attack: --max-file-size beyond int64 arithmetic read every file as empty
// (exit 0, nothing scanned); a negative one the same.
func TestMaxFileSizeValidated(t *testing.T) {
	dir := tree(t, map[string]string{"k8s/pod.yaml": privilegedPod})
	for _, v := range []string{"9223372036854775807", "-1", "0"} {
		r := run(t, dir, runOpts{}, "scan", "--max-file-size", v, "k8s")
		if r.code != 2 || !strings.Contains(r.stderr, "--max-file-size") {
			t.Errorf("--max-file-size %s: exit %d, want 2 and a usage error:\n%s", v, r.code, tail(r.all()))
		}
	}
}
