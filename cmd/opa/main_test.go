package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/analyzer/packfiles"
	"github.com/kscan-io/kscan/internal/repotest"
)

// buildWrapper builds this command once per test run.
func buildWrapper(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "opa")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/opa: %v\n%s", err, out)
	}
	return bin
}

func opa(t *testing.T, bin, dir string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// TestStockTooling: OPA's own test, check --strict and fmt run on kscan's
// rules (kscan.graph known, rule fixtures not loaded as data) and on a
// user's rule directory next to kscan's library; --ignore adds to the
// default instead of replacing it.
func TestStockTooling(t *testing.T) {
	bin := buildWrapper(t)
	root := repotest.Root()

	code, out := opa(t, bin, root, "test", "policies/")
	if code != 0 || !strings.Contains(out, "PASS: ") || strings.Contains(out, "FAIL") {
		t.Errorf("opa test policies/: exit %d\n%s", code, out)
	}
	if code, out := opa(t, bin, root, "check", "--strict", "policies/"); code != 0 {
		t.Errorf("opa check --strict policies/: exit %d\n%s", code, out)
	}
	if code, out := opa(t, bin, root, "fmt", "--list", "--fail", "policies/"); code != 0 {
		t.Errorf("opa fmt --list --fail policies/: exit %d, unformatted:\n%s", code, out)
	}
	// An --ignore of the user's adds to testdata: the fixtures stay out.
	if code, out := opa(t, bin, root, "test", "--ignore", "*_bench.rego", "policies/"); code != 0 {
		t.Errorf("opa test --ignore X policies/: exit %d\n%s", code, out)
	}

	pack := filepath.Join(t.TempDir(), "guard")
	if _, err := packfiles.WritePack(pack, "", false); err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(root, "policies", "lib")
	code, out = opa(t, bin, root, "test", "-v", lib, pack)
	if code != 0 || !strings.Contains(out, "test_other_registry_denied: PASS") {
		t.Errorf("opa test on a scaffolded pack: exit %d\n%s", code, out)
	}
	if code, out := opa(t, bin, root, "check", "--strict", lib, pack); code != 0 {
		t.Errorf("opa check --strict on a scaffolded pack: exit %d\n%s", code, out)
	}
	// A failing user test fails opa test (exit 2 there, as stock opa).
	bad := "package kscan.rules.custom.allowed_registries_more_test\n\nimport data.kscan.rules.custom.allowed_registries as rule\n\n" +
		"test_wrong if {\n\tcount(rule.deny) == 0 with input as kscan.graph([{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}, \"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"nginx:1\"}]}}])\n}\n"
	if err := os.WriteFile(filepath.Join(pack, "more_test.rego"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := opa(t, bin, root, "test", lib, pack); code == 0 || !strings.Contains(out, "test_wrong: FAIL") {
		t.Errorf("a failing user test: exit %d\n%s", code, out)
	}
}
