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

// SlimObject must keep everything the readers after the rules use: kind,
// namespace and name (K8sMeta), apiVersion (object references), the
// annotations of the object and of its pod template (suppressions) and the
// images of every container list (platform waivers), for every workload
// shape: Pod, CronJob, PodTemplate, the controllers.
func TestSlimObjectKeepsWhatPostProcessorsRead(t *testing.T) {
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
		slim := graph.SlimObject(n.Object)
		s := &graph.Node{Type: n.Type, Object: slim}
		if !graph.IsK8s(s) {
			t.Errorf("%s: slim object is not Kubernetes", n.Key)
		}
		k1, ns1, name1 := graph.K8sMeta(n)
		k2, ns2, name2 := graph.K8sMeta(s)
		if k1 != k2 || ns1 != ns2 || name1 != name2 {
			t.Errorf("%s: K8sMeta %s %s %s, slim %s %s %s", n.Key, k1, ns1, name1, k2, ns2, name2)
		}
		for _, f := range []string{"apiVersion", "metadata"} {
			if !reflect.DeepEqual(n.Object[f], slim[f]) {
				t.Errorf("%s: %s differs", n.Key, f)
			}
		}
		m1, spec1, p1 := graph.PodTemplate(n.Object)
		m2, spec2, p2 := graph.PodTemplate(slim)
		if !reflect.DeepEqual(m1, m2) || p1 != p2 || (spec1 == nil) != (spec2 == nil) {
			t.Errorf("%s: pod template metadata or path differ (%q, %q)", n.Key, p1, p2)
		}
		if spec1 == nil {
			continue
		}
		kinds[k1] = true
		for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
			c1, _ := spec1[list].([]any)
			c2, _ := spec2[list].([]any)
			if len(c1) != len(c2) {
				t.Fatalf("%s: %s has %d entries, slim %d", n.Key, list, len(c1), len(c2))
			}
			for i := range c1 {
				a, _ := c1[i].(map[string]any)
				b, _ := c2[i].(map[string]any)
				if a["image"] != b["image"] {
					t.Errorf("%s: %s[%d] image %v, slim %v", n.Key, list, i, a["image"], b["image"])
				}
			}
		}
	}
	for _, k := range []string{"Pod", "CronJob", "PodTemplate", "Deployment", "StatefulSet", "DaemonSet", "Job"} {
		if !kinds[k] {
			t.Errorf("no %s with a pod template in the fixtures: the test proves nothing about it", k)
		}
	}
}
