package policies

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadReplace: with Replace, a directory's package takes the place of
// the built-in module of the same package; without it the two clash.
func TestLoadReplace(t *testing.T) {
	src, err := builtinFS.ReadFile("rules/k8s/image_tag_latest.rego")
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(src), "# title: ", "# title: Edited - ", 1)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "image_tag_latest.rego"), []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(context.Background(), Options{PolicyDirs: []string{dir}}); err == nil {
		t.Error("without Replace: want a clash with the built-in package")
	}
	e, err := Load(context.Background(), Options{PolicyDirs: []string{dir}, Replace: true})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := e.Rule("k8s/image-tag-latest")
	if !ok || !r.Custom || !strings.HasPrefix(r.Title, "Edited - ") {
		t.Fatalf("rule %+v, %v: want the directory's version", r, ok)
	}
	if n := len(e.Rules()); n != len(testEngine(t).Rules()) {
		t.Errorf("%d rules, want as many as built in (%d)", n, len(testEngine(t).Rules()))
	}
}
