package helm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/budget"
)

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const deployTmpl = `# comment line
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-app
spec:
  template:
    spec:
      containers:
        - name: app
          image: "nginx:{{ .Values.tag }}"
---
{{- range .Values.extra }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ . }}
{{- end }}
`

func makeChart(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "app")
	base := map[string]string{
		"Chart.yaml":               "apiVersion: v2\nname: app\nversion: 1.0.0\n",
		"values.yaml":              "tag: latest\nextra: []\n",
		"templates/deploy.yaml":    deployTmpl,
		"templates/NOTES.txt":      "thanks for installing {{ .Release.Name }}",
		"templates/_helpers.tpl":   `{{- define "x" }}x{{ end }}`,
		"templates/svc.yaml":       "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}-svc\n  namespace: fixed\n",
		"templates/disabled.yaml":  "{{- if .Values.never }}\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n{{- end }}\n",
		"templates/configmap.json": `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "{{ .Release.Name }}-json"}}`,
	}
	for k, v := range files {
		base[k] = v
	}
	writeTree(t, dir, base)
	return dir
}

func image(n *graph.Node) string {
	_, spec, _ := graph.PodTemplate(n.Object)
	cs, _ := spec["containers"].([]any)
	c, _ := cs[0].(map[string]any)
	s, _ := c["image"].(string)
	return s
}

func TestRenderChart(t *testing.T) {
	dir := makeChart(t, nil)
	valuesFile := filepath.Join(t.TempDir(), "prod.yaml")
	os.WriteFile(valuesFile, []byte("tag: \"1.0\"\nextra: [a, b]\n"), 0o644)
	tests := []struct {
		name      string
		opts      Options
		wantIDs   []string
		wantImage string
		lines     map[string]int // id -> line in the template
	}{
		{
			name:      "defaults",
			opts:      Options{},
			wantIDs:   []string{"default/ConfigMap/release-name-json", "default/Deployment/release-name-app", "fixed/Service/release-name-svc"},
			wantImage: "nginx:latest",
			lines:     map[string]int{"default/Deployment/release-name-app": 2, "fixed/Service/release-name-svc": 1},
		},
		{
			name:      "values, set, release and namespace",
			opts:      Options{ValueFiles: []string{valuesFile}, Set: []string{"tag=2.0"}, Release: "shop", Namespace: "prod"},
			wantIDs:   []string{"fixed/Service/shop-svc", "prod/ConfigMap/a", "prod/ConfigMap/b", "prod/ConfigMap/shop-json", "prod/Deployment/shop-app"},
			wantImage: "nginx:2.0",
			lines:     map[string]int{"prod/Deployment/shop-app": 2, "prod/ConfigMap/a": 15, "prod/ConfigMap/b": 15},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := graph.New()
			h := New(tt.opts)
			if !h.MatchDir(dir) {
				t.Fatal("chart dir not matched")
			}
			if err := h.CollectDir(context.Background(), dir, g); err != nil {
				t.Fatal(err)
			}
			if errs := g.Errors(); len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			var ids []string
			for _, n := range g.Nodes() {
				ids = append(ids, n.ID)
				if want, ok := tt.lines[n.ID]; ok && n.Source.Line != want {
					t.Errorf("%s at line %d, want %d", n.ID, n.Source.Line, want)
				}
				if n.Type == "k8s:apps/Deployment" {
					if got := image(n); got != tt.wantImage {
						t.Errorf("image %q, want %q", got, tt.wantImage)
					}
					if !strings.HasSuffix(n.Source.File, "app/templates/deploy.yaml") {
						t.Errorf("deployment located in %q, want the template", n.Source.File)
					}
				}
			}
			if strings.Join(ids, " ") != strings.Join(tt.wantIDs, " ") {
				t.Errorf("ids = %v, want %v", ids, tt.wantIDs)
			}
		})
	}
}

func TestPackagedChart(t *testing.T) {
	dir := makeChart(t, nil)
	ch, err := loader.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	tgz, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := New(Options{Set: []string{"tag=3.1"}})
	if !h.MatchFile(tgz) {
		t.Fatalf("%s not claimed", tgz)
	}
	g := graph.New()
	if err := h.CollectFile(context.Background(), tgz, g); err != nil {
		t.Fatal(err)
	}
	n, ok := g.Node("default/Deployment/release-name-app")
	if !ok {
		t.Fatalf("deployment missing: %v %v", g.Nodes(), g.Errors())
	}
	if image(n) != "nginx:3.1" || !strings.HasSuffix(n.Source.File, ".tgz") {
		t.Errorf("got image %q from %q", image(n), n.Source.File)
	}
}

func TestTemplateErrors(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		opts     Options
		wantFile string
		wantLine int
		wantMsg  string
	}{
		{
			name:     "nil pointer",
			files:    map[string]string{"templates/bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.missing.key }}\n"},
			wantFile: "app/templates/bad.yaml", wantLine: 4, wantMsg: "nil pointer",
		},
		{
			name:     "parse error",
			files:    map[string]string{"templates/bad.yaml": "apiVersion: v1\nkind: ConfigMap\n\nmetadata:\n  name: {{ .Values.x }\n"},
			wantFile: "app/templates/bad.yaml", wantLine: 5, wantMsg: "template error",
		},
		{
			name:     "fail",
			files:    map[string]string{"templates/bad.yaml": "{{ fail \"replicas must be set\" }}\n"},
			wantFile: "app/templates/bad.yaml", wantLine: 1, wantMsg: "replicas must be set",
		},
		{
			name:     "bad Chart.yaml",
			files:    map[string]string{"Chart.yaml": "apiVersion: v2\nname: [\n"},
			wantFile: "app", wantMsg: "cannot load",
		},
		{
			name:     "bad --helm-set",
			opts:     Options{Set: []string{"a[=b"}},
			wantFile: "app", wantMsg: "--helm-set",
		},
		{
			name:     "missing values file",
			opts:     Options{ValueFiles: []string{"/nonexistent/values.yaml"}},
			wantFile: "app", wantMsg: "--helm-values",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := makeChart(t, tt.files)
			tt.opts.BaseDir = filepath.Dir(dir)
			g := graph.New()
			if err := New(tt.opts).CollectDir(context.Background(), dir, g); err != nil {
				t.Fatal(err)
			}
			errs := g.Errors()
			if len(errs) != 1 {
				t.Fatalf("errors = %v, want one", errs)
			}
			e := errs[0]
			if e.Level != graph.LevelError || e.Source.File != tt.wantFile || e.Source.Line != tt.wantLine ||
				!strings.Contains(e.Message, tt.wantMsg) || !strings.Contains(e.Message, "helm chart app") {
				t.Errorf("got %q (%s:%d), want %s:%d containing %q", e.Message, e.Source.File, e.Source.Line, tt.wantFile, tt.wantLine, tt.wantMsg)
			}
			if g.Len() != 0 {
				t.Errorf("a broken chart added %d nodes", g.Len())
			}
		})
	}
}

// As helm template: a dependency missing from charts/ stops the chart with
// an error naming it and the fix, located at its Chart.yaml entry; nothing of
// the chart is rendered (a partial render would pass what it leaves out).
func TestMissingDependencies(t *testing.T) {
	chartYAML := "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: redis\n    version: \"18.x\"\n    repository: https://charts.example.com\n  - name: common\n    version: 2.0.0\n    repository: https://charts.example.com\n    condition: common.enabled\n"
	sub := map[string]string{"charts/common/Chart.yaml": "apiVersion: v2\nname: common\nversion: 2.0.0\n"}
	tests := []struct {
		name     string
		files    map[string]string
		want     []string // messages, in order
		lines    []int
		rendered bool
	}{
		{"both missing", nil, []string{`dependency "redis" (18.x)`, `dependency "common" (2.0.0)`}, []int{5, 8}, false},
		{"one vendored", sub, []string{`dependency "redis" (18.x) is listed in Chart.yaml but not in charts/; run ` + "`helm dependency build app`"}, []int{5}, false},
		{"subchart's own dependency", map[string]string{
			"Chart.yaml":               "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: common\n    version: 2.0.0\n",
			"charts/common/Chart.yaml": "apiVersion: v2\nname: common\nversion: 2.0.0\ndependencies:\n  - name: lib\n    version: 1.0.0\n",
		}, []string{`dependency "lib" (1.0.0) is listed in charts/common/Chart.yaml but not in charts/common/charts/; run ` + "`helm dependency build app/charts/common`"}, []int{5}, false},
		{"all vendored", map[string]string{
			"charts/common/Chart.yaml": "apiVersion: v2\nname: common\nversion: 2.0.0\n",
			"charts/redis/Chart.yaml":  "apiVersion: v2\nname: redis\nversion: 18.1.0\n",
		}, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"Chart.yaml": chartYAML}
			for k, v := range tt.files {
				files[k] = v
			}
			dir := makeChart(t, files)
			g := graph.New()
			h := New(Options{BaseDir: filepath.Dir(dir)})
			if err := h.CollectDir(context.Background(), dir, g); err != nil {
				t.Fatal(err)
			}
			errs := g.Errors()
			if len(errs) != len(tt.want) {
				t.Fatalf("errors %v, want %d", errs, len(tt.want))
			}
			for i, e := range errs {
				if !strings.Contains(e.Message, tt.want[i]) || !strings.Contains(e.Message, "helm dependency build") || e.Level != graph.LevelError {
					t.Errorf("error %v, want %q and the fix", e, tt.want[i])
				}
				if e.Source.Line != tt.lines[i] || !strings.HasPrefix(e.Source.File, "app/") || !strings.HasSuffix(e.Source.File, "Chart.yaml") {
					t.Errorf("error at %s, want app/…Chart.yaml:%d", e.Source, tt.lines[i])
				}
			}
			if got := g.Len() > 0; got != tt.rendered {
				t.Errorf("rendered %d objects, want rendered=%v", g.Len(), tt.rendered)
			}
		})
	}
}

// --helm-kube-version and --helm-api-versions reach .Capabilities as with
// helm template, and a chart's kubeVersion constraint is checked.
func TestCapabilities(t *testing.T) {
	dir := makeChart(t, map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\nkubeVersion: \">=1.25.0-0\"\n",
		"templates/caps.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: caps
data:
  kube: "{{ .Capabilities.KubeVersion.Version }}"
  monitoring: "{{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}"
  sm: "{{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor" }}"
`,
	})
	render := func(opts Options) (*graph.Graph, map[string]any) {
		g := graph.New()
		if err := New(opts).CollectDir(context.Background(), dir, g); err != nil {
			t.Fatal(err)
		}
		n, ok := g.Node("default/ConfigMap/caps")
		if !ok {
			return g, nil
		}
		data, _ := n.Object["data"].(map[string]any)
		return g, data
	}
	_, data := render(Options{})
	if data["monitoring"] != "false" || data["kube"] != DefaultKubeVersion {
		t.Errorf("defaults: %v", data)
	}
	// The default is the Kubernetes release of the client-go kscan links,
	// as a helm binary built with it would say.
	mod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	minor := strings.Split(strings.TrimPrefix(DefaultKubeVersion, "v1."), ".")[0]
	if !strings.Contains(string(mod), "k8s.io/client-go v0."+minor+".") {
		t.Errorf("DefaultKubeVersion %s does not match k8s.io/client-go in go.mod", DefaultKubeVersion)
	}
	_, data = render(Options{KubeVersion: "1.31.2", APIVersions: []string{"monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor"}})
	if data["kube"] != "v1.31.2" || data["monitoring"] != "true" || data["sm"] != "true" {
		t.Errorf("with flags: %v", data)
	}
	g, data := render(Options{KubeVersion: "1.21.0"})
	if data != nil || len(g.Errors()) != 1 || !strings.Contains(g.Errors()[0].Message, "requires kubeVersion >=1.25.0-0, which is incompatible with Kubernetes v1.21.0") {
		t.Errorf("kubeVersion constraint: %v %v", data, g.Errors())
	}
	g, _ = render(Options{KubeVersion: "banana"})
	if len(g.Errors()) != 1 || !strings.Contains(g.Errors()[0].Message, `--helm-kube-version "banana"`) {
		t.Errorf("bad version: %v", g.Errors())
	}
}

func TestRenderedOutput(t *testing.T) {
	dir := makeChart(t, nil)
	base := filepath.Dir(dir)
	stream := `---
# Source: app/templates/svc.yaml
apiVersion: v1
kind: Service
metadata:
  name: r-svc
---
# Source: app/templates/deploy.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: r-app
spec:
  template:
    spec:
      containers: [{name: app, image: "nginx:latest"}]
---
# Source: other/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: elsewhere
`
	h := RenderedHandler{BaseDir: base, DefaultNamespace: "shop"}
	if !h.Match("-", []byte(stream)) || h.Match("x.yaml", []byte("apiVersion: v1\nkind: Pod\n")) {
		t.Fatal("Match is wrong")
	}
	g := graph.New()
	if err := h.Collect(context.Background(), "<stdin>", []byte(stream), g); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"shop/Service/r-svc":       "app/templates/svc.yaml:1",
		"shop/Deployment/r-app":    "app/templates/deploy.yaml:2",
		"shop/ConfigMap/elsewhere": "<stdin>:19", // chart not on disk: place in the stream
	}
	for id, loc := range want {
		n, ok := g.Node(id)
		if !ok {
			t.Errorf("no %s in %v", id, g.Nodes())
			continue
		}
		if n.Source.String() != loc {
			t.Errorf("%s at %s, want %s", id, n.Source.String(), loc)
		}
	}
	if len(g.Errors()) > 0 {
		t.Errorf("errors: %v", g.Errors())
	}
}

// BenchmarkRenderChart renders testdata/ci/charts/web in-process.
func BenchmarkRenderChart(b *testing.B) {
	dir := filepath.Join("..", "..", "testdata", "ci", "charts", "web")
	h := New(Options{})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		g := graph.New()
		if err := h.CollectDir(context.Background(), dir, g); err != nil || g.Len() != 2 {
			b.Fatal(err, g.Errors())
		}
	}
}

// A chart is charged to the scan's byte budget (its files as read, its
// archives as decompressed): many charts together cannot bring more into
// memory than the scan allows, though each is within Helm's own limits.
func TestChartChargesScanBudget(t *testing.T) {
	dir := makeChart(t, nil)
	ch, err := loader.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	tgz, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		collect func(ctx context.Context, h *Handler, g *graph.Graph) error
	}{
		{"directory", func(ctx context.Context, h *Handler, g *graph.Graph) error { return h.CollectDir(ctx, dir, g) }},
		{"archive", func(ctx context.Context, h *Handler, g *graph.Graph) error { return h.CollectFile(ctx, tgz, g) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// A fresh budget: the chart renders, and what it read is taken.
			ctx := budget.With(context.Background())
			g := graph.New()
			if err := tt.collect(ctx, New(Options{}), g); err != nil {
				t.Fatal(err)
			}
			if len(g.Errors()) > 0 || len(g.Nodes()) == 0 {
				t.Fatalf("nodes %d, errors %v", len(g.Nodes()), g.Errors())
			}
			if budget.Remaining(ctx) >= budget.MaxScanBytes {
				t.Errorf("budget untouched after rendering a chart")
			}
			// A budget with 10 bytes left: not rendered, the reason named.
			ctx = budget.With(context.Background())
			budget.Take(ctx, budget.MaxScanBytes-10)
			g = graph.New()
			tt.collect(ctx, New(Options{}), g)
			if len(g.Nodes()) != 0 {
				t.Errorf("rendered %d objects past the budget", len(g.Nodes()))
			}
			errs := g.Errors()
			if len(errs) == 0 || !strings.Contains(errs[0].Message, "budget") {
				t.Errorf("errors %v, want the budget named", errs)
			}
		})
	}
}
