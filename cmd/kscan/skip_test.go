package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// --skip-dirs and --skip-files leave parts of a walked tree out; a file
// named on the command line is read whatever the patterns say.
func TestSkipDirsAndFiles(t *testing.T) {
	dir := t.TempDir()
	pod := func(name string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  namespace: app\nspec:\n  containers:\n    - name: c\n      image: nginx:latest\n"
	}
	files := map[string]string{
		"app.yaml":                       pod("app"),
		"testdata/fixture.yaml":          pod("fixture"),
		"charts/web/tests/test-pod.yaml": pod("chart-test"),
		"deploy/sample.example.yaml":     pod("example"),
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		args []string
		want []string // Pods with a k8s/image-tag-latest finding
	}{
		{"nothing skipped", []string{dir}, []string{"app", "chart-test", "example", "fixture"}},
		{"a directory by name", []string{"--skip-dirs", "testdata", dir}, []string{"app", "chart-test", "example"}},
		{"a directory by path glob", []string{"--skip-dirs", "charts/*/tests", dir}, []string{"app", "example", "fixture"}},
		{"files by glob", []string{"--skip-files", "*.example.yaml", dir}, []string{"app", "chart-test", "fixture"}},
		{"both, comma-separated", []string{"--skip-dirs", "testdata,charts", "--skip-files", "*.example.yaml", dir}, []string{"app"}},
		{"a named file is always read", []string{"--skip-dirs", "testdata", "--skip-files", "*.yaml", filepath.Join(dir, "testdata", "fixture.yaml")}, []string{"fixture"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append([]string{"scan", "--format", "json", "--fail-on", "none", "--rules", "k8s/image-tag-latest"}, c.args...)
			if code := run(context.Background(), args, strings.NewReader(""), &out, &errOut); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			var rep struct {
				Findings []struct {
					Resource string `json:"resource"`
				} `json:"findings"`
			}
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range rep.Findings {
				got = append(got, strings.TrimPrefix(f.Resource, "app/Pod/"))
			}
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("findings on %v, want %v", got, c.want)
			}
		})
	}
}
