package graph_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/repotest"
)

// A slim node must answer what the readers after the rules ask as the
// whole object does: kind, namespace and name (K8sMeta), apiVersion
// (object references), the annotations of the object and of its pod
// template (suppressions) and the images of every container list (platform
// waivers), for every workload shape: Pod, CronJob, PodTemplate, the
// controllers.
func TestSlimAnswersAsTheObject(t *testing.T) {
	g := graph.New()
	var files []string
	for _, pattern := range []string{"testdata/demo/*.yaml", "testdata/live/*.yaml", "testdata/ci/manifests/*.yaml", "testdata/query/*.yaml"} {
		m, _ := filepath.Glob(filepath.Join(repotest.Root(), pattern))
		files = append(files, m...)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		manifest.ParseInto(data, graph.Source{Kind: graph.SourceFile, File: f}, "", g)
	}
	manifest.ParseInto([]byte(`apiVersion: v1
kind: PodTemplate
metadata: {name: tmpl, annotations: {a: b}}
template:
  metadata: {annotations: {kscan.io/ignore: k8s/privileged}}
  spec: {containers: [{name: c, image: nginx:1.27}, {name: noimage}]}
`), graph.Source{Kind: graph.SourceFile, File: "tmpl.yaml"}, "", g)
	kinds := map[string]bool{}
	for _, n := range g.Nodes() {
		if !graph.IsK8s(n) {
			continue
		}
		s := &graph.Node{Type: n.Type, Slim: graph.SlimOf(n.Object)}
		if !graph.IsK8s(s) {
			t.Errorf("%s: slim node is not Kubernetes", n.Key)
		}
		k1, ns1, name1 := graph.K8sMeta(n)
		k2, ns2, name2 := graph.K8sMeta(s)
		if k1 != k2 || ns1 != ns2 || name1 != name2 {
			t.Errorf("%s: K8sMeta %s %s %s, slim %s %s %s", n.Key, k1, ns1, name1, k2, ns2, name2)
		}
		if graph.APIVersion(n) != graph.APIVersion(s) || graph.APIVersion(n) == "" {
			t.Errorf("%s: apiVersion %q, slim %q", n.Key, graph.APIVersion(n), graph.APIVersion(s))
		}
		if !reflect.DeepEqual(graph.Annotations(n), graph.Annotations(s)) {
			t.Errorf("%s: annotations %v, slim %v", n.Key, graph.Annotations(n), graph.Annotations(s))
		}
		if !reflect.DeepEqual(graph.PodImages(n), graph.PodImages(s)) {
			t.Errorf("%s: images %v, slim %v", n.Key, graph.PodImages(n), graph.PodImages(s))
		}
		if _, spec, _ := graph.PodTemplate(n.Object); spec != nil {
			kinds[k1] = true
			if len(graph.PodImages(n)) == 0 {
				t.Errorf("%s: a workload without images: the comparison proves nothing", n.Key)
			}
		}
		if len(graph.Annotations(n)) > 0 {
			kinds["annotated"] = true
		}
	}
	// The PodTemplate above has template annotations and a container
	// without an image.
	tmpl, _ := g.Node("default/PodTemplate/tmpl")
	if tmpl == nil {
		t.Fatal("no PodTemplate node")
	}
	if a := graph.Annotations(&graph.Node{Type: tmpl.Type, Slim: graph.SlimOf(tmpl.Object)}); len(a) != 2 || a[1]["kscan.io/ignore"] != "k8s/privileged" {
		t.Errorf("PodTemplate annotations %v", a)
	}
	if im := graph.PodImages(&graph.Node{Type: tmpl.Type, Slim: graph.SlimOf(tmpl.Object)}); !reflect.DeepEqual(im, []string{"nginx:1.27", ""}) {
		t.Errorf("PodTemplate images %q", im)
	}
	for _, k := range []string{"Pod", "CronJob", "PodTemplate", "Deployment", "StatefulSet", "DaemonSet", "Job", "annotated"} {
		if !kinds[k] {
			t.Errorf("no %s in the fixtures: the test proves nothing about it", k)
		}
	}
}
