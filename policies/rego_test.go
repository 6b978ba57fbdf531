package policies

import (
	"bytes"
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestRegoUnitTests runs every *_test.rego beside the built-in rules as a Go
// subtest, with kscan.graph available to build inputs.
func TestRegoUnitTests(t *testing.T) {
	modules := map[string]*ast.Module{}
	err := eachBuiltinRego(func(p string, src []byte) error {
		m, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			return err
		}
		modules[p] = m
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	runner := tester.NewRunner().
		SetModules(modules).
		AddCustomBuiltins([]*tester.Builtin{{
			Decl: GraphBuiltin,
			Func: rego.Function1(&rego.Function{Name: GraphBuiltin.Name, Decl: GraphBuiltin.Decl}, GraphFunc(derive)),
		}}).
		RaiseBuiltinErrors(true)
	ch, err := runner.RunTests(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r := range ch {
		n++
		r := r
		t.Run(r.Package+"."+r.Name, func(t *testing.T) {
			if r.Error != nil {
				t.Fatalf("error: %v", r.Error)
			}
			if r.Fail {
				t.Fatalf("failed (%s)", r.Location)
			}
		})
	}
	if n == 0 {
		t.Fatal("no Rego tests found")
	}
}

// TestEveryRuleHasTests keeps the triplet convention: each rule file has a
// _test.rego beside it with at least one denied and one allowed case.
func TestEveryRuleHasTests(t *testing.T) {
	e, err := Load(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range e.Rules() {
		testFile := strings.TrimSuffix(strings.TrimPrefix(r.File, "policies/"), ".rego") + "_test.rego"
		src, err := builtinFS.ReadFile(testFile)
		if err != nil {
			t.Errorf("%s: no %s", r.ID, testFile)
			continue
		}
		if !strings.Contains(string(src), "_denied if") || !strings.Contains(string(src), "_allowed if") {
			t.Errorf("%s: %s needs test_*_denied and test_*_allowed cases", r.ID, testFile)
		}
	}
}

// TestRegoFormatted keeps every built-in rule, helper and Rego test in
// opa fmt's canonical form, as gofmt does for Go.
func TestRegoFormatted(t *testing.T) {
	err := eachBuiltinRego(func(p string, src []byte) error {
		want, err := format.SourceWithOpts(p, src, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		if !bytes.Equal(want, src) {
			t.Errorf("policies/%s is not formatted as opa fmt would (format.Source)", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// eachBuiltinRego calls f with every embedded .rego file (rules, helpers and
// their tests).
func eachBuiltinRego(f func(path string, src []byte) error) error {
	return fs.WalkDir(builtinFS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return err
		}
		src, err := builtinFS.ReadFile(p)
		if err != nil {
			return err
		}
		return f(p, src)
	})
}
