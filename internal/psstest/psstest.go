// Package psstest finds the fixtures Kubernetes ships with its Pod Security
// admission library (test/testdata/<level>/<version>/{pass,fail}/*.yaml in
// the k8s.io/pod-security-admission module kscan builds with), for tests
// that hold kscan's verdicts to Kubernetes' own.
package psstest

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Module is the module whose fixtures are read.
const Module = "k8s.io/pod-security-admission"

// Fixture is one pod of the library's test data.
type Fixture struct {
	Level   string // baseline or restricted
	Version string // v1.<minor>
	Pass    bool   // allowed at Level and Version
	Name    string // file name without .yaml
	Path    string
	Data    []byte
}

var (
	dirOnce sync.Once
	dir     string
	dirErr  error
)

// Dir is the module's directory in the module cache.
func Dir(t testing.TB) string {
	t.Helper()
	dirOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", Module).Output()
		if err != nil {
			dirErr = err
			return
		}
		dir = strings.TrimSpace(string(out))
	})
	if dirErr != nil || dir == "" {
		t.Fatalf("locating %s in the module cache: %v", Module, dirErr)
	}
	return dir
}

// All reads every fixture, sorted by level, version (numerically), verdict
// and name. A module without fixtures fails the test: an empty set would
// pass every comparison.
func All(t testing.TB) []Fixture {
	t.Helper()
	root := filepath.Join(Dir(t), "test", "testdata")
	paths, err := filepath.Glob(filepath.Join(root, "*", "v1.*", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []Fixture
	for _, p := range paths {
		rel, _ := filepath.Rel(root, p)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) != 4 || (parts[2] != "pass" && parts[2] != "fail") {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Fixture{Level: parts[0], Version: parts[1], Pass: parts[2] == "pass",
			Name: strings.TrimSuffix(parts[3], ".yaml"), Path: p, Data: data})
	}
	if len(out) < 1000 {
		t.Fatalf("found %d Pod Security fixtures under %s, want thousands", len(out), root)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Level != b.Level {
			return a.Level < b.Level
		}
		if ma, mb := Minor(a.Version), Minor(b.Version); ma != mb {
			return ma < mb
		}
		if a.Pass != b.Pass {
			return !a.Pass
		}
		return a.Name < b.Name
	})
	return out
}

// Minor is the minor number of "v1.<minor>".
func Minor(v string) int {
	n := 0
	for _, c := range strings.TrimPrefix(v, "v1.") {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// Group is the fixtures of one level and version.
type Group struct {
	Level, Version string
	Fixtures       []Fixture
}

// Groups splits fixtures by level and version, in order.
func Groups(fs []Fixture) []Group {
	var out []Group
	for _, f := range fs {
		if n := len(out); n == 0 || out[n-1].Level != f.Level || out[n-1].Version != f.Version {
			out = append(out, Group{Level: f.Level, Version: f.Version})
		}
		out[len(out)-1].Fixtures = append(out[len(out)-1].Fixtures, f)
	}
	return out
}
