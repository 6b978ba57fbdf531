package graph

// Slim is what of a Kubernetes object stays once the rules' input holds it
// (Node.Slim, with Node.Object nil): what the readers after the rules use.
// Suppressions read the annotations of the object and of its pod template,
// platform waivers the images, reports kind, namespace, name and
// apiVersion. The rest of the parsed document is dropped, which on a large
// scan is a third of the live heap while the rules run.
type Slim struct {
	APIVersion, Kind, Namespace, Name string
	// Annotations is metadata.annotations, TemplateAnnotations the pod
	// template's (not for a Pod, whose template is itself); nil when absent.
	Annotations, TemplateAnnotations map[string]any
	// Images are PodImages of the object.
	Images []string
}

// SlimOf keeps of obj what Slim says.
func SlimOf(obj map[string]any) *Slim {
	s := &Slim{}
	s.APIVersion, _ = obj["apiVersion"].(string)
	s.Kind, _ = obj["kind"].(string)
	meta, _ := obj["metadata"].(map[string]any)
	s.Namespace, _ = meta["namespace"].(string)
	s.Name, _ = meta["name"].(string)
	s.Annotations, _ = meta["annotations"].(map[string]any)
	if pm, _, _ := PodTemplate(obj); pm != nil && obj["kind"] != "Pod" {
		s.TemplateAnnotations, _ = pm["annotations"].(map[string]any)
	}
	s.Images = podImages(obj)
	return s
}

// APIVersion is a Kubernetes node's apiVersion.
func APIVersion(n *Node) string {
	if n.Object == nil && n.Slim != nil {
		return n.Slim.APIVersion
	}
	v, _ := n.Object["apiVersion"].(string)
	return v
}

// PodImages lists the image of every init, regular and ephemeral container
// of a workload's pod template, in that order ("" for a container without
// one), whole or slim.
func PodImages(n *Node) []string {
	if n.Object == nil && n.Slim != nil {
		return n.Slim.Images
	}
	return podImages(n.Object)
}

func podImages(obj map[string]any) []string {
	_, spec, _ := PodTemplate(obj)
	var out []string
	for _, field := range []string{"initContainers", "containers", "ephemeralContainers"} {
		list, _ := spec[field].([]any)
		for _, c := range list {
			cm, _ := c.(map[string]any)
			img, _ := cm["image"].(string)
			out = append(out, img)
		}
	}
	return out
}

// Annotations are the annotation maps of a Kubernetes node's object and, for
// an object with a pod template other than a Pod, of its template (nil
// entries left out), whole or slim.
func Annotations(n *Node) []map[string]any {
	var out []map[string]any
	add := func(m map[string]any) {
		if m != nil {
			out = append(out, m)
		}
	}
	if n.Object == nil && n.Slim != nil {
		add(n.Slim.Annotations)
		add(n.Slim.TemplateAnnotations)
		return out
	}
	meta, _ := n.Object["metadata"].(map[string]any)
	a, _ := meta["annotations"].(map[string]any)
	add(a)
	if pm, _, _ := PodTemplate(n.Object); pm != nil && n.Object["kind"] != "Pod" {
		a, _ := pm["annotations"].(map[string]any)
		add(a)
	}
	return out
}
