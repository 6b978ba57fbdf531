// Package imagelink puts container images into the graph (the image model
// is graph's: graph/images.go): every image a
// workload references becomes a registry:Image node, linked workload
// -runs-image-> image -stored-in-> registry:Repository. It has no network
// code: the registry collector adds resolved image nodes before it runs, and
// Enrich (an enricher of enrich.All) links them, or adds unchecked ones
// for images nobody resolved, so rules see one shape online and offline.
package imagelink

import (
	"sort"

	"github.com/kscan-io/kscan/graph"
)

// Enrich links workloads to image nodes and images to repository nodes,
// creating the nodes that no collector made. It returns the facts rules
// read as input.facts.registry: "refs" maps each image string as written in
// a container to the key of its image node.
func Enrich(g *graph.Graph) map[string]any {
	nodes := g.Nodes()
	imageByRef := map[string]string{}
	repoByID := map[string][]string{}
	var images []*graph.Node
	for _, n := range nodes {
		switch n.Type {
		case graph.TypeRegistryImage:
			images = append(images, n)
			for _, r := range graph.ImageNodeRefs(n) {
				if _, dup := imageByRef[r]; !dup {
					imageByRef[r] = n.Key
				}
			}
			if _, dup := imageByRef[n.ID]; !dup {
				imageByRef[n.ID] = n.Key
			}
		case graph.TypeRegistryRepository:
			// The identity is <host>/<repo>: the ID for ECR and image
			// references, Attrs["repository_id"] for Pulumi (whose ID is the URN).
			repoByID[n.ID] = append(repoByID[n.ID], n.Key)
			if rid, _ := n.Attrs["repository_id"].(string); rid != "" && rid != n.ID {
				repoByID[rid] = append(repoByID[rid], n.Key)
			}
		}
	}
	refs := map[string]any{}
	for _, ci := range graph.WorkloadImages(g) {
		key := graph.ImageKey(ci.Ref)
		ik, ok := imageByRef[key]
		if !ok {
			n := graph.NewImageNode(ci.Ref, key, graph.Source{Kind: graph.SourceDerived})
			n.Attrs["status"] = graph.ImageUnchecked
			ik = g.AddNode(n)
			imageByRef[key] = ik
			images = append(images, n)
		}
		refs[ci.Image] = ik
		g.AddEdge(ci.NodeKey, ik, graph.EdgeRunsImage)
	}
	sort.Slice(images, func(i, j int) bool { return images[i].Key < images[j].Key })
	for _, img := range images {
		rid, _ := img.Attrs["repository"].(string)
		if rid == "" {
			continue
		}
		keys := repoByID[rid]
		if len(keys) == 0 {
			reg, _ := img.Attrs["registry"].(string)
			repo := rid
			if reg != "" && len(rid) > len(reg) {
				repo = rid[len(reg)+1:]
			}
			k := g.AddNode(&graph.Node{
				ID:     rid,
				Type:   graph.TypeRegistryRepository,
				Object: map[string]any{"registry": reg, "repository": repo},
				Source: graph.Source{Kind: graph.SourceDerived},
				Attrs:  map[string]any{"repository_id": rid},
			})
			keys = []string{k}
			repoByID[rid] = keys
		}
		for _, k := range keys {
			g.AddEdge(img.Key, k, graph.EdgeStoredIn)
		}
	}
	return map[string]any{"refs": refs}
}
