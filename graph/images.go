package graph

// The image model shared by the registry collectors (which add resolved
// image nodes), the imagelink enricher (which links workloads to them) and
// the rules' input (which reads resolved digests).

// Node types of container images (registry collector, image links).
const (
	TypeRegistryImage      = "registry:Image"
	TypeRegistryRepository = "registry:Repository"
)

// Image statuses (Attrs["status"] of a registry:Image node).
const (
	ImageResolved  = "resolved"  // the registry answered: digest (and created, platforms) are now
	ImageNotFound  = "not-found" // the registry says the tag or digest does not exist
	ImageError     = "error"     // the registry could not be asked (Attrs["error"] says why)
	ImageUnchecked = "unchecked" // no registry call was made (offline, or not asked)
	ImageSkipped   = "skipped"   // outside --allowed-registries: never contacted
)

// ImageKey is the normalised reference of an image, as the runtime pulls it:
// <host>/<repo>@<digest> when pinned, else <host>/<repo>:<tag> (latest when
// no tag is given).
func ImageKey(r ImageRef) string {
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
	Ref       ImageRef
}

// WorkloadImages lists the images of every workload node (owned Pods
// included: a running pod's image matters), sorted by node key.
func WorkloadImages(g *Graph) []ContainerImage {
	var out []ContainerImage
	for _, n := range g.Nodes() {
		if !IsK8s(n) {
			continue
		}
		kind, _, _ := K8sMeta(n)
		if !WorkloadKinds[kind] {
			continue
		}
		_, spec, _ := PodTemplate(n.Object)
		for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
			cs, _ := spec[list].([]any)
			for _, c := range cs {
				cm, _ := c.(map[string]any)
				image, _ := cm["image"].(string)
				if image == "" {
					continue
				}
				name, _ := cm["name"].(string)
				ref := ParseImageRef(image)
				if ref.Repository == "" {
					continue
				}
				out = append(out, ContainerImage{NodeKey: n.Key, Container: name, Image: image, Ref: ref})
			}
		}
	}
	return out
}

// NewImageNode makes the node of one image reference: ID is key (the
// collector passes <repo>@<digest> once resolved), Attrs hold refs,
// registry and repository; the caller adds status and results.
func NewImageNode(ref ImageRef, id string, src Source) *Node {
	key := ImageKey(ref)
	attrs := map[string]any{
		"refs":       []any{key},
		"registry":   ref.Registry,
		"repository": ref.RepositoryID(),
	}
	if ref.Digest != "" {
		attrs["digest"] = ref.Digest
	}
	return &Node{
		ID:     id,
		Type:   TypeRegistryImage,
		Object: map[string]any{"reference": key},
		Source: src,
		Attrs:  attrs,
	}
}

// ResolvedImageDigests maps each normalised reference (ImageKey) to the digest its
// image node says it resolves to now, for images a registry answered for.
func ResolvedImageDigests(nodes []*Node) map[string]string {
	out := map[string]string{}
	for _, n := range nodes {
		if n.Type != TypeRegistryImage || n.Attrs["status"] != ImageResolved {
			continue
		}
		d, _ := n.Attrs["digest"].(string)
		if d == "" {
			continue
		}
		for _, r := range ImageNodeRefs(n) {
			out[r] = d
		}
	}
	return out
}

// ImageNodeRefs are the normalised references (ImageKey) an image node
// stands for (Attrs["refs"]).
func ImageNodeRefs(n *Node) []string {
	switch t := n.Attrs["refs"].(type) {
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
