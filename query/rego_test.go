package query

import (
	"bytes"
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/kscan-io/kscan/policies/builtins"
)

// TestRegoUnitTests runs every _test.rego of the library and the named
// queries, with kscan.graph building inputs through the real graph code.
func TestRegoUnitTests(t *testing.T) {
	mods, err := Modules(true)
	if err != nil {
		t.Fatal(err)
	}
	runner := tester.NewRunner().
		SetModules(mods).
		AddCustomBuiltins(append(builtins.Tester(), &tester.Builtin{Decl: PathBuiltin, Func: pathFunction()})).
		RaiseBuiltinErrors(true)
	ch, err := runner.RunTests(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r := range ch {
		if !strings.HasPrefix(r.Location.File, "query/") {
			continue // the rules' own tests run in package policies
		}
		n++
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

// TestEveryQueryHasTests: each built-in named query has a _test.rego beside
// it with at least one test, and complete METADATA.
func TestEveryQueryHasTests(t *testing.T) {
	e, err := Load(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Named()) < 10 {
		t.Errorf("%d named queries, want at least 10", len(e.Named()))
	}
	for _, q := range e.Named() {
		testFile := strings.TrimSuffix(strings.TrimPrefix(q.File, "query/"), ".rego") + "_test.rego"
		src, err := builtinFS.ReadFile(testFile)
		if err != nil {
			t.Errorf("%s: no %s", q.Name, testFile)
			continue
		}
		if !strings.Contains(string(src), "\ntest_") {
			t.Errorf("%s: %s has no test_ rule", q.Name, testFile)
		}
		if q.Description == "" || len(q.Columns) == 0 {
			t.Errorf("%s: METADATA needs a description and custom.columns", q.Name)
		}
	}
}

// TestRegoFormatted keeps the library and queries in opa fmt's form.
func TestRegoFormatted(t *testing.T) {
	err := fs.WalkDir(builtinFS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return err
		}
		src, err := builtinFS.ReadFile(p)
		if err != nil {
			return err
		}
		want, err := format.SourceWithOpts(p, src, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		if !bytes.Equal(want, src) {
			t.Errorf("query/%s is not formatted as opa fmt would:\n%s", p, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
