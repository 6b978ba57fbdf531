// Package imagelink puts container images into the graph: every image a
// workload references becomes a registry:Image node, linked workload
// -runs-image-> image -stored-in-> registry:Repository. It has no network
// code: the registry collector adds resolved image nodes before it runs, and
// Enrich (called from policies.Prepare) links them, or adds unchecked ones
// for images nobody resolved, so rules see one shape online and offline.
package imagelink

import (
	"sort"

	"github.com/kscan-io/kscan/graph"
)

// Node types.
const (
	TypeImage      = "registry:Image"
	TypeRepository = "registry:Repository"
)

// Image statuses (Attrs["status"] of an image node).
const (
	StatusResolved  = "resolved"  // the registry answered: digest (and created, platforms) are now
	StatusNotFound  = "not-found" // the registry says the tag or digest does not exist
	StatusError     = "error"     // the registry could not be asked (Attrs["error"] says why)
	StatusUnchecked = "unchecked" // no registry call was made (offline, or not asked)
	StatusSkipped   = "skipped"   // outside --allowed-registries: never contacted
)

// Key is the normalised reference of an image, as the runtime pulls it:
// <host>/<repo>@<digest> when pinned, else <host>/<repo>:<tag> (latest when
// no tag is given).
func Key(r graph.ImageRef) string {
	if r.Digest != "" {
		return r.RepositoryID() + "@" + r.Digest
	}
	tag := r.Tag
	if tag == "" {
		tag = "latest"
	}
	return r.RepositoryID() + ":" + tag
}

// ContainerImage is one image reference of one container of a workload.
type ContainerImage struct {
	NodeKey   string
	Container string
	Image     string // as written
	Ref       graph.ImageRef
}

// WorkloadImages lists the images of every workload node (owned Pods
// included: a running pod's image matters), sorted by node key.
func WorkloadImages(g *graph.Graph) []ContainerImage {
	var out []ContainerImage
	for _, n := range g.Nodes() {
		if !graph.IsK8s(n) {
			continue
		}
		kind, _, _ := graph.K8sMeta(n)
		if !graph.WorkloadKinds[kind] {
			continue
		}
		_, spec, _ := graph.PodTemplate(n.Object)
		for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
			cs, _ := spec[list].([]any)
			for _, c := range cs {
				cm, _ := c.(map[string]any)
				image, _ := cm["image"].(string)
				if image == "" {
					continue
				}
				name, _ := cm["name"].(string)
				ref := graph.ParseImageRef(image)
				if ref.Repository == "" {
					continue
				}
				out = append(out, ContainerImage{NodeKey: n.Key, Container: name, Image: image, Ref: ref})
			}
		}
	}
	return out
}

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
		case TypeImage:
			images = append(images, n)
			for _, r := range stringList(n.Attrs["refs"]) {
				if _, dup := imageByRef[r]; !dup {
					imageByRef[r] = n.Key
				}
			}
			if _, dup := imageByRef[n.ID]; !dup {
				imageByRef[n.ID] = n.Key
			}
		case TypeRepository:
			// The identity is <host>/<repo>: the ID for ECR and image
			// references, Attrs["repository_id"] for Pulumi (whose ID is the URN).
			repoByID[n.ID] = append(repoByID[n.ID], n.Key)
			if rid, _ := n.Attrs["repository_id"].(string); rid != "" && rid != n.ID {
				repoByID[rid] = append(repoByID[rid], n.Key)
			}
		}
	}
	refs := map[string]any{}
	for _, ci := range WorkloadImages(g) {
		key := Key(ci.Ref)
		ik, ok := imageByRef[key]
		if !ok {
			n := NewImageNode(ci.Ref, key, graph.Source{Kind: graph.SourceDerived})
			n.Attrs["status"] = StatusUnchecked
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
				Type:   TypeRepository,
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

// NewImageNode makes the node of one image reference: ID is key (the
// collector passes <repo>@<digest> once resolved), Attrs hold refs,
// registry and repository; the caller adds status and results.
func NewImageNode(ref graph.ImageRef, id string, src graph.Source) *graph.Node {
	key := Key(ref)
	attrs := map[string]any{
		"refs":       []any{key},
		"registry":   ref.Registry,
		"repository": ref.RepositoryID(),
	}
	if ref.Digest != "" {
		attrs["digest"] = ref.Digest
	}
	return &graph.Node{
		ID:     id,
		Type:   TypeImage,
		Object: map[string]any{"reference": key},
		Source: src,
		Attrs:  attrs,
	}
}

// ResolvedDigests maps each normalised reference (Key) to the digest its
// image node says it resolves to now, for images a registry answered for.
func ResolvedDigests(nodes []*graph.Node) map[string]string {
	out := map[string]string{}
	for _, n := range nodes {
		if n.Type != TypeImage || n.Attrs["status"] != StatusResolved {
			continue
		}
		d, _ := n.Attrs["digest"].(string)
		if d == "" {
			continue
		}
		for _, r := range stringList(n.Attrs["refs"]) {
			out[r] = d
		}
	}
	return out
}

func stringList(v any) []string {
	switch t := v.(type) {
	case []string:
		return t
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
