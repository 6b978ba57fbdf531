package kustomize

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"

	kscanhelm "github.com/kscan-io/kscan/collectors/helm"
	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/repotest"
)

// copyTree copies a directory (the real-world chart) into the test's tree.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// helmTemplate renders a chart as `helm template RELEASE CHART -n NS
// --include-crds -f FILE...` does: Helm's own install action, client only,
// its own values merging (values.Options), hooks printed after the
// manifests.
func helmTemplate(t *testing.T, chartDir, release, ns string, valueFiles ...string) []*graph.Node {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := (&values.Options{ValueFiles: valueFiles}).MergeValues(getter.Providers{})
	if err != nil {
		t.Fatal(err)
	}
	inst := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	inst.ClientOnly, inst.DryRun, inst.Replace, inst.IncludeCRDs = true, true, true, true
	inst.ReleaseName, inst.Namespace = release, ns
	kv, err := chartutil.ParseKubeVersion(kscanhelm.DefaultKubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	inst.KubeVersion = kv
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rel, err := inst.RunWithContext(ctx, ch, vals)
	if err != nil {
		t.Fatal(err)
	}
	out := rel.Manifest
	for _, h := range rel.Hooks {
		out += "\n---\n" + h.Manifest
	}
	g := graph.New()
	manifest.ParseInto([]byte(out), graph.Source{Kind: graph.SourceFile, File: "helm"}, "", g)
	if len(g.Errors()) > 0 {
		t.Fatalf("helm output: %v", g.Errors())
	}
	return g.Nodes()
}

func byID(nodes []*graph.Node) map[string]*graph.Node {
	out := map[string]*graph.Node{}
	for _, n := range nodes {
		out[n.ID] = n
	}
	return out
}

func ids(m map[string]*graph.Node) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// A real chart (prometheus-community's prometheus with its vendored
// subcharts, testdata/realworld) under helmCharts gives exactly the objects
// Helm's own `helm template` gives for the same chart, release, namespace
// and values (valuesInline over the chart's values, then an
// additionalValuesFile), located in the chart's template files.
func TestHelmChartsMatchHelmTemplate(t *testing.T) {
	src := filepath.Join(repotest.Root(), "testdata", "realworld", "prometheus-chart", "prometheus")
	root := t.TempDir()
	copyTree(t, src, filepath.Join(root, "charts", "prometheus"))
	files := map[string]string{
		"kustomization.yaml": `helmCharts:
  - name: prometheus
    repo: https://prometheus-community.github.io/helm-charts
    releaseName: mon
    namespace: monitoring
    includeCRDs: true
    valuesInline:
      server:
        replicaCount: 2
        securityContext: {runAsNonRoot: false}
      alertmanager: {enabled: false}
    additionalValuesFiles: [extra-values.yaml]
`,
		"extra-values.yaml": "server:\n  replicaCount: 3\nprometheus-pushgateway:\n  enabled: true\n",
		// What `helm template` is given: the inline values (over the
		// chart's own, which Helm applies anyway), then the extra file.
		"inline-values.yaml": "server:\n  replicaCount: 2\n  securityContext: {runAsNonRoot: false}\nalertmanager: {enabled: false}\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	g := graph.New()
	h := New(Options{Roots: []string{root}, BaseDir: root})
	if err := h.CollectDir(context.Background(), root, g); err != nil {
		t.Fatal(err)
	}
	for _, e := range g.Errors() {
		if e.Level != graph.LevelWarning {
			t.Errorf("input error: %s: %s", e.Source, e.Message)
		}
	}
	got := byID(g.Nodes())
	want := byID(helmTemplate(t, filepath.Join(root, "charts", "prometheus"), "mon", "monitoring",
		filepath.Join(root, "inline-values.yaml"), filepath.Join(root, "extra-values.yaml")))
	if !reflect.DeepEqual(ids(got), ids(want)) {
		t.Fatalf("objects differ:\nkustomize helmCharts: %v\nhelm template:        %v", ids(got), ids(want))
	}
	if len(want) < 10 {
		t.Fatalf("only %d objects rendered", len(want))
	}
	// kustomize drops an empty annotations map (it removes its own
	// helm-generated annotation from what Helm printed); so does a real
	// `kustomize build --enable-helm`.
	for _, m := range []map[string]*graph.Node{got, want} {
		for _, n := range m {
			if meta, ok := n.Object["metadata"].(map[string]any); ok {
				if a, ok := meta["annotations"].(map[string]any); ok && len(a) == 0 {
					delete(meta, "annotations")
				}
			}
		}
	}
	for id, w := range want {
		if !reflect.DeepEqual(got[id].Object, w.Object) {
			a, _ := json.MarshalIndent(got[id].Object, "", " ")
			b, _ := json.MarshalIndent(w.Object, "", " ")
			t.Errorf("%s differs:\nkustomize helmCharts: %s\nhelm template:        %s", id, a, b)
		}
	}
	// The values reached the objects (2 inline, 3 from the extra file).
	dep := got["monitoring/Deployment/mon-prometheus-server"]
	if dep == nil {
		t.Fatalf("no server Deployment among %v", ids(got))
	}
	if r := dep.Object["spec"].(map[string]any)["replicas"]; fmt.Sprint(r) != "3" {
		t.Errorf("replicas = %v (%T), want 3 from additionalValuesFiles", r, r)
	}
	// Objects point at their template, on the line of their document.
	if f := dep.Source.File; f != "charts/prometheus/templates/deploy.yaml" || dep.Source.Line == 0 {
		t.Errorf("server Deployment located at %s", dep.Source)
	}
	for id, n := range got {
		if strings.HasPrefix(n.Source.File, helmDir) || strings.Contains(n.Source.File, "/"+helmDir+"/") {
			t.Errorf("%s located in a virtual file %s", id, n.Source)
		}
	}
}

// A chart named with a repo that is not vendored in the tree is an error
// naming the chart and the command that vendors it; kscan does not fetch
// it, and the rest of the kustomization is still built.
func TestHelmChartsMissingChartIsAnError(t *testing.T) {
	root := writeTree(t, map[string]string{
		"kustomization.yaml": `resources: [cm.yaml]
helmGlobals:
  chartHome: vendor
helmCharts:
  - name: redis
    repo: oci://registry-1.docker.io/bitnamicharts
    version: 20.1.0
`,
		"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n",
	})
	g := graph.New()
	if err := New(Options{Roots: []string{root}, BaseDir: root}).CollectDir(context.Background(), root, g); err != nil {
		t.Fatal(err)
	}
	var errs []graph.InputError
	for _, e := range g.Errors() {
		if e.Level != graph.LevelWarning {
			errs = append(errs, e)
		}
	}
	if len(errs) != 1 {
		t.Fatalf("errors: %v", errs)
	}
	e := errs[0]
	for _, want := range []string{`"redis"`, "vendor/redis-20.1.0", "never downloads",
		"helm pull --untar --untardir vendor/redis-20.1.0 oci://registry-1.docker.io/bitnamicharts/redis --version 20.1.0"} {
		if !strings.Contains(e.Message, want) {
			t.Errorf("message lacks %q: %s", want, e.Message)
		}
	}
	if e.Source.File != "kustomization.yaml" || e.Source.Line != 5 {
		t.Errorf("error located at %s, want kustomization.yaml:5", e.Source)
	}
	if len(g.Nodes()) != 1 {
		t.Errorf("the ConfigMap was not built: %d nodes", len(g.Nodes()))
	}
}

// skipTests, skipHooks and includeCRDs as `helm template --skip-tests`,
// `--no-hooks`, `--include-crds`; a namespace transformer leaves the chart's
// objects alone, as kustomize does for helm-generated resources.
func TestHelmChartsOptions(t *testing.T) {
	chart := map[string]string{
		"charts/app/Chart.yaml":              "apiVersion: v2\nname: app\nversion: 0.1.0\n",
		"charts/app/values.yaml":             "image: nginx:1\n",
		"charts/app/crds/crd.yaml":           "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\n",
		"charts/app/templates/pod.yaml":      "apiVersion: v1\nkind: Pod\nmetadata: {name: '{{ .Release.Name }}-web'}\nspec:\n  containers: [{name: web, image: '{{ .Values.image }}'}]\n",
		"charts/app/templates/tests/t.yaml":  "apiVersion: v1\nkind: Pod\nmetadata:\n  name: test\n  annotations: {helm.sh/hook: test}\nspec: {containers: [{name: t, image: busybox}]}\n",
		"charts/app/templates/hook-job.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations: {helm.sh/hook: pre-install}\nspec: {template: {spec: {containers: [{name: m, image: busybox}]}}}\n",
		"charts/app/templates/service.yaml":  "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}}\n",
		"plain/kustomization.yaml":           "namespace: other\nhelmCharts:\n  - {name: app, releaseName: r, namespace: apps}\nhelmGlobals: {chartHome: vendor}\n",
		"skip/kustomization.yaml":            "helmGlobals: {chartHome: vendor}\nhelmCharts:\n  - {name: app, releaseName: r, skipTests: true, includeCRDs: true, valuesInline: {image: 'nginx:2'}}\n",
		"nohooks/kustomization.yaml":         "helmGlobals: {chartHome: vendor}\nhelmCharts:\n  - {name: app, releaseName: r, skipHooks: true, valuesMerge: replace, valuesInline: {image: 'nginx:3'}}\n",
	}
	for _, dir := range []string{"plain", "skip", "nohooks"} {
		for name, content := range chart {
			if strings.HasPrefix(name, "charts/") {
				chart[dir+"/vendor/"+strings.TrimPrefix(name, "charts/")] = content
			}
		}
	}
	root := writeTree(t, chart)
	build := func(dir string) map[string]*graph.Node {
		t.Helper()
		g := graph.New()
		if err := New(Options{BaseDir: root}).CollectDir(context.Background(), filepath.Join(root, dir), g); err != nil {
			t.Fatal(err)
		}
		for _, e := range g.Errors() {
			if e.Level != graph.LevelWarning {
				t.Errorf("%s: input error: %s: %s", dir, e.Source, e.Message)
			}
		}
		return byID(g.Nodes())
	}
	image := func(n *graph.Node) any {
		return n.Object["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["image"]
	}
	plain := build("plain")
	if want := []string{"default/Job/migrate", "default/Pod/r-web", "default/Pod/test", "default/Service/web"}; !reflect.DeepEqual(ids(plain), want) {
		t.Errorf("plain: %v, want %v (tests and hooks rendered, no CRDs, namespace transformer not applied)", ids(plain), want)
	}
	skip := build("skip")
	if want := []string{"CustomResourceDefinition/widgets.example.com", "default/Job/migrate", "default/Pod/r-web", "default/Service/web"}; !reflect.DeepEqual(ids(skip), want) {
		t.Errorf("skip: %v, want %v", ids(skip), want)
	} else if img := image(skip["default/Pod/r-web"]); img != "nginx:2" {
		t.Errorf("skip: image %v, want nginx:2 (valuesInline)", img)
	}
	nohooks := build("nohooks")
	if want := []string{"default/Pod/r-web", "default/Service/web"}; !reflect.DeepEqual(ids(nohooks), want) {
		t.Errorf("nohooks: %v, want %v", ids(nohooks), want)
	} else if img := image(nohooks["default/Pod/r-web"]); img != "nginx:3" {
		t.Errorf("nohooks: image %v, want nginx:3 (valuesMerge: replace)", img)
	}
}
