package manifest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/graph"
)

func collect(t *testing.T, dir string, paths ...string) *graph.Graph {
	t.Helper()
	g := graph.New()
	if err := Collect(context.Background(), Options{Paths: paths, BaseDir: dir}, g); err != nil {
		t.Fatal(err)
	}
	return g
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestObjectLines(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "app.yaml", `# leading comment
apiVersion: v1
kind: ServiceAccount
metadata:
  name: a
---

# comment before the second object
apiVersion: v1
kind: ConfigMap
metadata: {name: b, namespace: other}
--- # a marker with a comment
kind: List
apiVersion: v1
items:
- apiVersion: v1
  kind: Service
  metadata: {name: c}
-   apiVersion: v1
    kind: Service
    metadata: {name: d}
---
just: a config document, not a Kubernetes object
`)
	g := collect(t, dir, p)
	if errs := g.Errors(); len(errs) != 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
	want := map[string]int{
		"default/ServiceAccount/a": 2,
		"other/ConfigMap/b":        9,
		"default/Service/c":        16,
		"default/Service/d":        19,
	}
	nodes := g.Nodes()
	if len(nodes) != len(want) {
		t.Fatalf("got %d nodes, want %d", len(nodes), len(want))
	}
	for _, n := range nodes {
		if n.Source.Line != want[n.ID] || n.Source.File != "app.yaml" {
			t.Errorf("%s at %s:%d, want app.yaml:%d", n.ID, n.Source.File, n.Source.Line, want[n.ID])
		}
	}
}

func TestJSONAndStdin(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "x.json", `{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {"name": "web", "namespace": "shop"},
  "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "nginx"}]}}}
}`)
	g := graph.New()
	err := Collect(context.Background(), Options{Paths: []string{p, "-"}, BaseDir: dir,
		Stdin: strings.NewReader("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n")}, g)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]graph.Source{}
	for _, n := range g.Nodes() {
		ids[n.ID] = n.Source
	}
	if s := ids["shop/Deployment/web"]; s.File != "x.json" || s.Line != 1 {
		t.Errorf("json object at %+v", s)
	}
	if s := ids["default/Pod/p"]; s.File != StdinName || s.Line != 1 {
		t.Errorf("stdin object at %+v", s)
	}
}

// TestBadInput: each hostile or broken input yields one error naming the
// file (and line where there is one), and the good file beside it is still
// collected.
func TestBadInput(t *testing.T) {
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	deepMap := ""
	for i := 0; i < 600; i++ {
		deepMap += strings.Repeat(" ", i) + "a:\n"
	}
	deepMap = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n" + indent(deepMap, 2)
	bomb := `apiVersion: v1
kind: ConfigMap
metadata: {name: lol}
data:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`
	tests := []struct {
		name, file, content string
		wantLine            int
		wantMsg             string
	}{
		{"invalid yaml", "bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n", 4, "invalid YAML"},
		{"invalid yaml in second doc", "bad2.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: Pod\n  bad: indent\n", 7, "invalid YAML"},
		{"invalid json", "bad.json", "{\"apiVersion\": \"v1\", \"kind\": \"Pod\",,}", 1, "invalid YAML"},
		{"binary", "bin.yaml", "\x7fELF\x00\x01\x02binary", 0, "binary"},
		{"alias bomb", "bomb.yaml", bomb, 0, "alias"},
		{"nesting", "deep.yaml", deep, 1, "nested"},
		{"deep mapping", "deepmap.yaml", deepMap, 0, "nested deeper"},
		{"no name", "noname.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {}\n", 1, "no metadata.name"},
		{"metadata not a map", "meta.yaml", "apiVersion: v1\nkind: Pod\nmetadata: [1]\n", 1, "metadata is not a mapping"},
		// kubectl apply refuses these; the last value must not be scanned.
		{"duplicate key", "dup.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostNetwork: false\n  containers: []\n  hostNetwork: true\n", 12, `duplicate key "hostNetwork", already set at line 10`},
		{"duplicate key in flow mapping", "dupflow.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, name: q}\n", 3, `duplicate key "name"`},
		{"duplicate top-level key", "duptop.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nkind: Secret\n", 4, `duplicate key "kind", already set at line 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "good.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: good}\n")
			write(t, dir, tt.file, tt.content)
			g := collect(t, dir, dir)
			errs := g.Errors()
			var mine []graph.InputError
			for _, e := range errs {
				if e.Source.File == tt.file {
					mine = append(mine, e)
				}
			}
			if len(mine) != 1 {
				t.Fatalf("want exactly one error for %s, got %v", tt.file, errs)
			}
			e := mine[0]
			if !strings.Contains(strings.ToLower(e.Message), strings.ToLower(tt.wantMsg)) {
				t.Errorf("error %q does not mention %q", e.Message, tt.wantMsg)
			}
			if tt.wantLine > 0 && e.Source.Line != tt.wantLine {
				t.Errorf("error at line %d, want %d (%s)", e.Source.Line, tt.wantLine, e.Message)
			}
			if _, ok := g.Node("default/ServiceAccount/good"); !ok {
				t.Error("the good file beside the bad one was not collected")
			}
		})
	}
}

func TestFileSizeLimit(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("# padding line to make a large file\n"), (50<<20)/36+1)
	p := write(t, dir, "big.yaml", string(big))
	g := graph.New()
	if err := Collect(context.Background(), Options{Paths: []string{p}, BaseDir: dir}, g); err != nil {
		t.Fatal(err)
	}
	errs := g.Errors()
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "larger than") || errs[0].Source.File != "big.yaml" {
		t.Fatalf("want one size error for big.yaml, got %v", errs)
	}
}

func TestDirectoryWalk(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a/one.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: one}\n")
	write(t, dir, "a/b/two.yml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: two}\n")
	write(t, dir, "a/notes.txt", "not scanned")
	write(t, dir, "a/.git/config.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: hidden}\n")
	g := collect(t, dir, filepath.Join(dir, "a"), filepath.Join(dir, "missing.yaml"))
	if g.Len() != 2 {
		t.Errorf("got %d nodes, want 2", g.Len())
	}
	errs := g.Errors()
	if len(errs) != 1 || errs[0].Source.File != "missing.yaml" {
		t.Errorf("want one error for missing.yaml, got %v", errs)
	}
}

// A document shaped like an object but meant for a tool, not the API server
// (istioctl's IstioOperator with only a spec), is a warning, not an
// incomplete scan; a nameless object of a Kubernetes API group stays an error.
func TestNamelessToolConfigIsAWarning(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "iop.yaml", "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: demo\n")
	write(t, dir, "pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {}\n")
	write(t, dir, "deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nspec: {}\n")
	write(t, dir, "route.yaml", "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nspec: {}\n")
	g := collect(t, dir, dir)
	want := map[string]graph.Level{"iop.yaml": graph.LevelWarning, "pod.yaml": graph.LevelError, "deploy.yaml": graph.LevelError, "route.yaml": graph.LevelError}
	got := map[string]graph.Level{}
	for _, e := range g.Errors() {
		got[e.Source.File] = e.Level
		if e.Source.File == "iop.yaml" && (!strings.Contains(e.Message, "IstioOperator (install.istio.io/v1alpha1) has no metadata.name") || e.Source.Line != 1) {
			t.Errorf("warning %v", e)
		}
	}
	for f, l := range want {
		if got[f] != l {
			t.Errorf("%s: level %q, want %q", f, got[f], l)
		}
	}
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+pad) + "\n"
}
