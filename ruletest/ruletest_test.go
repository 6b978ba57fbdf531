package ruletest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/kscan-io/kscan/internal/repotest"
)

const rule = `# METADATA
# title: Pod runs as root
# custom:
#   id: custom/root
#   severity: high
package kscan.rules.custom.root

import data.kscan.lib.k8s

deny contains {"key": w.key, "message": "runs as root"} if {
	some w in k8s.workloads
	not w.pod_spec.securityContext.runAsNonRoot == true
}
`

const pod = `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns}
spec:
  securityContext: {runAsNonRoot: %s}
  containers: [{name: app, image: nginx:1.27}]
`

func podYAML(nonRoot string) string { return strings.Replace(pod, "%s", nonRoot, 1) }

// writeDir writes files (relative name -> content) into a new directory.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func testFile(body string) string {
	return `package kscan.rules.custom.root_test

import data.kscan.rules.custom.root

pod(non_root) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"securityContext": {"runAsNonRoot": non_root}, "containers": [{"name": "app", "image": "nginx:1.27"}]}}

` + body
}

type outcome struct{ pass, fail, errs int }

func count(rs []*tester.Result) outcome {
	var o outcome
	for _, r := range rs {
		switch {
		case r.Error != nil:
			o.errs++
		case r.Fail:
			o.fail++
		default:
			o.pass++
		}
	}
	return o
}

func TestRun(t *testing.T) {
	good := testFile(`test_root_denied if {
	count(root.deny) == 1 with input as kscan.graph([pod(false)])
}

test_non_root_allowed if {
	count(root.deny) == 0 with input as kscan.graph([pod(true)])
}
`)
	examples := map[string]string{
		"testdata/root/failure.root.yaml":    podYAML("false"),
		"testdata/root/success.nonroot.yaml": podYAML("true"),
	}
	with := func(files map[string]string) map[string]string {
		out := map[string]string{"root.rego": rule}
		for k, v := range examples {
			out[k] = v
		}
		for k, v := range files {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name  string
		files map[string]string
		run   string
		want  outcome
	}{
		{"all pass", with(map[string]string{"root_test.rego": good}), "", outcome{pass: 4}},
		{"--run selects", with(map[string]string{"root_test.rego": good}), `root_test\.test_root_denied$`, outcome{pass: 1}},
		{"a failing test", with(map[string]string{"root_test.rego": testFile(`test_wrong if {
	count(root.deny) == 0 with input as kscan.graph([pod(false)])
}
`)}), "", outcome{pass: 2, fail: 1}},
		{"a success example with a finding", with(map[string]string{
			"root_test.rego":                  good,
			"testdata/root/success.also.yaml": podYAML("false"),
		}), "", outcome{pass: 4, fail: 1}},
		{"a failure example without a finding", with(map[string]string{
			"root_test.rego":                  good,
			"testdata/root/failure.also.yaml": podYAML("true"),
		}), "", outcome{pass: 4, fail: 1}},
		{"an example that does not parse", with(map[string]string{
			"root_test.rego":                    good,
			"testdata/root/failure.broken.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [oops\n",
		}), "", outcome{pass: 4, errs: 1}},
		{"a test that errors", with(map[string]string{"root_test.rego": testFile(`test_error if {
	kscan.graph(["not an object"])
}
`)}), "", outcome{pass: 2, errs: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeDir(t, tc.files)
			rs, err := Run(context.Background(), Options{Paths: []string{dir}, Run: tc.run})
			if err != nil {
				t.Fatal(err)
			}
			if got := count(rs); got != tc.want {
				for _, r := range rs {
					t.Logf("%s.%s fail=%v err=%v %s", r.Package, r.Name, r.Fail, r.Error, r.Output)
				}
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestRunLoadErrors: what stops the tests from running is a *LoadError
// naming the file and line.
func TestRunLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		run   string
		want  []string
	}{
		{"parse error in a test", map[string]string{"root.rego": rule, "root_test.rego": testFile("test_x if {\n\tcount(root.deny == 1\n}\n")}, "",
			[]string{"root_test.rego:9:", "rego_parse_error"}},
		{"parse error in a rule", map[string]string{"root.rego": rule + "\ndeny contains x if {\n"}, "",
			[]string{"root.rego:16:", "rego_parse_error"}},
		{"network built-in", map[string]string{"root.rego": rule, "root_test.rego": testFile(`test_net if {
	http.send({"method": "GET", "url": "http://127.0.0.1:1"})
}
`)}, "", []string{"root_test.rego:8:", "http.send"}},
		{"missing METADATA id", map[string]string{"root.rego": strings.Replace(rule, "#   id: custom/root\n", "", 1)}, "",
			[]string{"root.rego:5:", "custom.id is missing"}},
		{"no tests", map[string]string{"lib.rego": "package mine\n\nx := 1\n"}, "", []string{"no test"}},
		{"bad --run", map[string]string{"root.rego": rule}, "(", []string{"--run"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeDir(t, tc.files)
			_, err := Run(context.Background(), Options{Paths: []string{dir}, Run: tc.run})
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("want a *LoadError, got %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestRunTimeLimit: a test running longer than the limit is an error, not a
// hang.
func TestRunTimeLimit(t *testing.T) {
	dir := writeDir(t, map[string]string{"root.rego": rule, "root_test.rego": testFile(`test_slow if {
	count([x | some x in numbers.range(1, 100000000); x % 7 == 0]) > 0
}
`)})
	start := time.Now()
	rs, err := Run(context.Background(), Options{Paths: []string{dir}, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if got := count(rs); got.errs != 1 {
		t.Errorf("got %+v, want one error", got)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestBuiltinRules: kscan's own rules, their tests and examples pass, the
// rules and library read from disk replacing the embedded ones (from the
// repository root, where the file names are the embedded ones, and from
// elsewhere, where only the packages are).
func TestBuiltinRules(t *testing.T) {
	for _, tc := range []struct{ dir, path string }{{".", "policies"}, {"cmd", filepath.Join("..", "policies")}} {
		t.Run(tc.path, func(t *testing.T) {
			t.Chdir(filepath.Join(repotest.Root(), tc.dir))
			testBuiltinRules(t, tc.path)
		})
	}
}

func testBuiltinRules(t *testing.T, path string) {
	rs, err := Run(context.Background(), Options{Paths: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	got := count(rs)
	var examples int
	for _, r := range rs {
		if strings.HasPrefix(r.Name, "example ") {
			examples++
		}
		if !r.Pass() {
			t.Errorf("%s.%s: fail=%v error=%v %s", r.Package, r.Name, r.Fail, r.Error, r.Output)
		}
	}
	if got.pass < 400 || examples < 100 {
		t.Errorf("only %d passed (%d examples): tests or examples not found", got.pass, examples)
	}
}
