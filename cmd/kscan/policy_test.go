package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPolicyTest: kscan policy test passes on a fresh `kscan policy new`
// scaffold, exits 1 when a test fails and 2 when a file does not parse,
// naming the file and line.
func TestPolicyTest(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := kscan(t, dir, "", "policy", "new", "guard"); code != 0 {
		t.Fatalf("policy new: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := kscan(t, dir, "", "policy", "test", "--verbose", "guard")
	if code != 0 {
		t.Fatalf("policy test on a fresh scaffold: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"test_other_registry_denied: PASS", "test_allowed_registry_allowed: PASS", "example failure.docker-hub.yaml: PASS", "PASS: 5/5"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--verbose output lacks %q:\n%s", want, stdout)
		}
	}
	if code, stdout, _ := kscan(t, dir, "", "policy", "test", "guard"); code != 0 || strings.Contains(stdout, "test_other_registry_denied") {
		t.Errorf("without --verbose: exit %d, want passing tests not listed:\n%s", code, stdout)
	}
	if code, stdout, _ := kscan(t, dir, "", "policy", "test", "--run", "test_allowed_registry_allowed$", "guard"); code != 0 || !strings.Contains(stdout, "PASS: 1/1") {
		t.Errorf("--run: exit %d:\n%s", code, stdout)
	}

	failing := `package kscan.rules.custom.allowed_registries_more_test

import data.kscan.rules.custom.allowed_registries as rule

test_wrong_expectation if {
	inp := kscan.graph([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": [{"name": "c", "image": "docker.io/nginx:1"}]}}])
	count(rule.deny) == 0 with input as inp
}
`
	write(t, filepath.Join(dir, "guard", "more_test.rego"), failing)
	code, stdout, _ = kscan(t, dir, "", "policy", "test", "guard")
	if code != 1 || !strings.Contains(stdout, "test_wrong_expectation: FAIL") || !strings.Contains(stdout, "more_test.rego:5") {
		t.Errorf("a failing test: exit %d, want 1 naming the test and its file:line:\n%s", code, stdout)
	}

	write(t, filepath.Join(dir, "guard", "more_test.rego"), "package x_test\n\ntest_broken if {\n\tcount([1) == 1\n}\n")
	code, stdout, stderr = kscan(t, dir, "", "policy", "test", "guard")
	if code != 2 || !strings.Contains(stderr, filepath.Join("guard", "more_test.rego")+":4") || !strings.Contains(stderr, "rego_parse_error") {
		t.Errorf("a parse error: exit %d, want 2 naming guard/more_test.rego:4:\n%s%s", code, stdout, stderr)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
