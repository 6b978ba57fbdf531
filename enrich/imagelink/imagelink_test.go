package imagelink

import (
	"testing"

	"github.com/kscan-io/kscan/graph"
)

func TestKey(t *testing.T) {
	tests := map[string]string{
		"nginx":                        "docker.io/library/nginx:latest",
		"nginx:1.27":                   "docker.io/library/nginx:1.27",
		"ghcr.io/org/app:1@sha256:abc": "ghcr.io/org/app@sha256:abc",
		"localhost:5000/app":           "localhost:5000/app:latest",
		"123.dkr.ecr.eu-west-1.amazonaws.com/shop/api:v2": "123.dkr.ecr.eu-west-1.amazonaws.com/shop/api:v2",
	}
	for in, want := range tests {
		if got := graph.ImageKey(graph.ParseImageRef(in)); got != want {
			t.Errorf("Key(%q) = %q, want %q", in, got, want)
		}
	}
}

func pod(name string, images ...string) *graph.Node {
	var cs []any
	for _, im := range images {
		cs = append(cs, map[string]any{"name": "c", "image": im})
	}
	return graph.NewK8sNode(map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": name, "namespace": "ns"},
		"spec": map[string]any{"containers": cs}}, graph.Source{Kind: graph.SourceFile, File: name + ".yaml"}, "")
}

func TestEnrich(t *testing.T) {
	const ecrURL = "123.dkr.ecr.eu-west-1.amazonaws.com/shop/api"
	tests := []struct {
		name      string
		nodes     []*graph.Node
		wantEdges []graph.Edge
		wantNodes int
	}{
		{
			name:  "derived image and repository",
			nodes: []*graph.Node{pod("a", "nginx", "nginx:latest")},
			wantEdges: []graph.Edge{
				{From: "docker.io/library/nginx:latest", To: "docker.io/library/nginx", Type: graph.EdgeStoredIn},
				{From: "ns/Pod/a", To: "docker.io/library/nginx:latest", Type: graph.EdgeRunsImage},
			},
			wantNodes: 3,
		},
		{
			name: "joins a Pulumi repository by repository_id and a resolved image by ref",
			nodes: []*graph.Node{
				pod("b", ecrURL+":1"),
				{ID: "urn:pulumi:dev::p::aws:ecr/repository:Repository::api", Type: graph.TypeRegistryRepository, Object: map[string]any{}, Attrs: map[string]any{"repository_id": ecrURL}},
				{ID: ecrURL + "@sha256:1", Type: graph.TypeRegistryImage, Object: map[string]any{}, Attrs: map[string]any{"refs": []any{ecrURL + ":1"}, "repository": ecrURL, "status": graph.ImageResolved, "digest": "sha256:1"}},
			},
			wantEdges: []graph.Edge{
				{From: ecrURL + "@sha256:1", To: "urn:pulumi:dev::p::aws:ecr/repository:Repository::api", Type: graph.EdgeStoredIn},
				{From: "ns/Pod/b", To: ecrURL + "@sha256:1", Type: graph.EdgeRunsImage},
			},
			wantNodes: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := graph.New()
			for _, n := range tt.nodes {
				g.AddNode(n)
			}
			facts := Enrich(g)
			var got []graph.Edge
			for _, e := range g.Edges() {
				if e.Type == graph.EdgeRunsImage || e.Type == graph.EdgeStoredIn {
					got = append(got, e)
				}
			}
			if len(got) != len(tt.wantEdges) {
				t.Fatalf("edges %v, want %v", got, tt.wantEdges)
			}
			for i := range got {
				if got[i] != tt.wantEdges[i] {
					t.Errorf("edge %d = %v, want %v", i, got[i], tt.wantEdges[i])
				}
			}
			if g.Len() != tt.wantNodes {
				t.Errorf("%d nodes, want %d", g.Len(), tt.wantNodes)
			}
			refs := facts["refs"].(map[string]any)
			for _, n := range tt.nodes {
				if n.Type != "k8s:core/Pod" {
					continue
				}
				for _, c := range n.Object["spec"].(map[string]any)["containers"].([]any) {
					im := c.(map[string]any)["image"].(string)
					if _, ok := refs[im]; !ok {
						t.Errorf("facts.refs lacks %q", im)
					}
				}
			}
		})
	}
	if d := graph.ResolvedImageDigests(func() []*graph.Node {
		g := graph.New()
		g.AddNode(&graph.Node{ID: "x@sha256:1", Type: graph.TypeRegistryImage, Attrs: map[string]any{"refs": []any{"x:1"}, "status": graph.ImageResolved, "digest": "sha256:1"}})
		g.AddNode(&graph.Node{ID: "y:1", Type: graph.TypeRegistryImage, Attrs: map[string]any{"refs": []any{"y:1"}, "status": graph.ImageError}})
		return g.Nodes()
	}()); len(d) != 1 || d["x:1"] != "sha256:1" {
		t.Errorf("ResolvedDigests = %v", d)
	}
}
