package kustomize

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/graph"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

var app = map[string]string{
	"base/kustomization.yaml": "resources:\n  - cm.yaml\n  - app.yaml\n",
	"base/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: {a: b}\n",
	"base/app.yaml": `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
---
# the workload
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - {name: web, image: "nginx:1.0"}
`,
	"overlays/prod/kustomization.yaml": `# prod overlay
namespace: prod
namePrefix: prod-
resources:
  - ../../base
images:
  - name: nginx
    newTag: "2.0"
configMapGenerator:
  - name: extra
    literals: [x=y]
`,
	"plain/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: plain}\nspec: {containers: [{name: c, image: busybox}]}\n",
}

// collect walks root the way kscan scan does.
func collect(t *testing.T, root string) *graph.Graph {
	t.Helper()
	g := graph.New()
	h := New(Options{Roots: []string{root}, BaseDir: root})
	err := manifest.Collect(context.Background(), manifest.Options{Paths: []string{root}, BaseDir: root, DirHandlers: []manifest.DirHandler{h}}, g)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestOverlay(t *testing.T) {
	root := writeTree(t, app)
	g := collect(t, root)
	if errs := g.Errors(); len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	got := map[string]string{}
	var ids []string
	for _, n := range g.Nodes() {
		got[n.ID] = n.Source.String()
		ids = append(ids, n.ID)
	}
	sort.Strings(ids)
	// The base is built once, as part of the overlay, not on its own too.
	want := map[string]string{
		"prod/ConfigMap/prod-settings":    "base/cm.yaml:1",
		"prod/Service/prod-web":           "base/app.yaml:1",
		"prod/Deployment/prod-web":        "base/app.yaml:9",
		"default/Pod/plain":               "plain/pod.yaml:1",
		"prod/ConfigMap/prod-extra-*":     "overlays/prod/kustomization.yaml",
		"prod/ConfigMap/prod-extra-hash?": "",
	}
	delete(want, "prod/ConfigMap/prod-extra-hash?")
	if len(ids) != len(want) {
		t.Fatalf("ids = %v, want %d objects", ids, len(want))
	}
	for id, loc := range want {
		if strings.HasSuffix(id, "*") {
			found := false
			for gid, gl := range got {
				if strings.HasPrefix(gid, strings.TrimSuffix(id, "*")) {
					found = true
					if gl != loc {
						t.Errorf("%s at %s, want %s", gid, gl, loc)
					}
				}
			}
			if !found {
				t.Errorf("no %s in %v", id, ids)
			}
			continue
		}
		if got[id] != loc {
			t.Errorf("%s at %q, want %q (all: %v)", id, got[id], loc, got)
		}
	}
	n, _ := g.Node("prod/Deployment/prod-web")
	_, spec, _ := graph.PodTemplate(n.Object)
	c := spec["containers"].([]any)[0].(map[string]any)
	if c["image"] != "nginx:2.0" {
		t.Errorf("image = %v, want the overlay's nginx:2.0", c["image"])
	}
	meta := n.Object["metadata"].(map[string]any)
	if a, ok := meta["annotations"].(map[string]any); ok {
		if _, leaked := a["config.kubernetes.io/origin"]; leaked {
			t.Error("origin annotation leaked into the object rules see")
		}
	}
	data, _ := os.ReadFile(filepath.Join(root, "overlays/prod/kustomization.yaml"))
	if string(data) != app["overlays/prod/kustomization.yaml"] {
		t.Error("the kustomization on disk was modified")
	}
}

func TestBaseAloneIsBuilt(t *testing.T) {
	root := writeTree(t, app)
	g := graph.New()
	base := filepath.Join(root, "base")
	h := New(Options{Roots: []string{base}, BaseDir: root})
	if err := manifest.Collect(context.Background(), manifest.Options{Paths: []string{base}, BaseDir: root, DirHandlers: []manifest.DirHandler{h}}, g); err != nil {
		t.Fatal(err)
	}
	if _, ok := g.Node("default/Deployment/web"); !ok {
		t.Errorf("scanning the base alone must build it: %v %v", g.Nodes(), g.Errors())
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		wantFile string
		wantLine int
		wantMsg  string
	}{
		{
			name: "loop",
			files: map[string]string{
				"a/kustomization.yaml": "resources:\n  - ../b\n",
				"b/kustomization.yaml": "namePrefix: b-\nresources:\n  - ../a\n",
			},
			wantFile: "b/kustomization.yaml", wantLine: 3, wantMsg: "cycle",
		},
		{
			name: "missing resource",
			files: map[string]string{
				"k/kustomization.yaml": "namespace: x\nresources:\n  - deploy.yaml\n  - missing.yaml\n",
				"k/deploy.yaml":        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
			},
			wantFile: "k/kustomization.yaml", wantLine: 4, wantMsg: "missing.yaml",
		},
		{
			name: "invalid kustomization",
			files: map[string]string{
				"k/kustomization.yaml": "resources: [\n",
			},
			wantFile: "k/kustomization.yaml", wantMsg: "kustomization k",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"ok/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\n"}
			for k, v := range tt.files {
				files[k] = v
			}
			root := writeTree(t, files)
			g := collect(t, root)
			var errs []graph.InputError
			for _, e := range g.Errors() {
				if e.Level == graph.LevelError {
					errs = append(errs, e)
				}
			}
			if len(errs) == 0 {
				t.Fatal("no error")
			}
			e := errs[0]
			for _, x := range errs {
				if x.Source.File == tt.wantFile {
					e = x
				}
			}
			if strings.Contains(e.Message, root) {
				t.Errorf("message has absolute paths: %q", e.Message)
			}
			if e.Source.File != tt.wantFile || e.Source.Line != tt.wantLine || !strings.Contains(e.Message, tt.wantMsg) {
				t.Errorf("got %s:%d %q, want %s:%d containing %q", e.Source.File, e.Source.Line, e.Message, tt.wantFile, tt.wantLine, tt.wantMsg)
			}
			if _, ok := g.Node("default/Pod/ok"); !ok {
				t.Error("the rest of the tree was not scanned")
			}
		})
	}
}

// BenchmarkBuildOverlay builds testdata/ci/kustomize/overlays/prod.
func BenchmarkBuildOverlay(b *testing.B) {
	dir := filepath.Join("..", "..", "testdata", "ci", "kustomize", "overlays", "prod")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		g := graph.New()
		if err := New(Options{Roots: []string{dir}}).CollectDir(context.Background(), dir, g); err != nil || g.Len() != 2 {
			b.Fatal(err, g.Errors())
		}
	}
}

// Kustomize prints deprecation notices to stderr itself; they become
// warnings of the report (at the kustomization) and nothing reaches stderr.
func TestKustomizeWarningsAreReported(t *testing.T) {
	root := writeTree(t, map[string]string{
		"old/kustomization.yaml":  "bases:\n  - ../base\ncommonLabels: {team: a}\n",
		"base/kustomization.yaml": "resources:\n  - cm.yaml\n",
		"base/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
	})
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	g := collect(t, root)
	os.Stderr = saved
	w.Close()
	leaked, _ := io.ReadAll(r)
	if len(leaked) > 0 {
		t.Errorf("written to stderr: %q", leaked)
	}
	if _, ok := g.Node("default/ConfigMap/settings"); !ok {
		t.Fatalf("not built: %v", g.Errors())
	}
	var msgs []string
	for _, e := range g.Errors() {
		if e.Level != graph.LevelWarning || e.Source.File != "old/kustomization.yaml" {
			t.Errorf("unexpected %v", e)
		}
		msgs = append(msgs, e.Message)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"kustomization old: Warning: 'bases' is deprecated", "'commonLabels' is deprecated"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
}
