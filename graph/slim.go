package graph

// SlimObject is what of a Kubernetes object stays readable once the rules'
// input holds it: apiVersion, kind and metadata (shared, not copied), and,
// for an object with a pod template, the template's metadata and each
// container's image at the same place (PodTemplate finds them as before).
// The post-processors of a scan read no more than that (suppressions read
// annotations, platform waivers images, reports kind, namespace, name and
// apiVersion); the rest of the parsed document is dropped, which on a
// large scan is a third of the live heap while the rules run.
func SlimObject(obj map[string]any) map[string]any {
	out := make(map[string]any, 4)
	for _, k := range []string{"apiVersion", "kind", "metadata"} {
		if v, ok := obj[k]; ok {
			out[k] = v
		}
	}
	meta, spec, _ := PodTemplate(obj)
	if spec == nil {
		return out
	}
	kind, _ := obj["kind"].(string)
	if kind == "Pod" {
		out["spec"] = slimSpec(spec)
		return out
	}
	tmpl := map[string]any{"spec": slimSpec(spec)}
	if meta != nil {
		tmpl["metadata"] = meta
	}
	switch kind {
	case "CronJob":
		out["spec"] = map[string]any{"jobTemplate": map[string]any{"spec": map[string]any{"template": tmpl}}}
	case "PodTemplate":
		out["template"] = tmpl
	default:
		out["spec"] = map[string]any{"template": tmpl}
	}
	return out
}

// slimSpec keeps a pod spec's container lists with each container's image.
func slimSpec(spec map[string]any) map[string]any {
	out := map[string]any{}
	for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
		cs, ok := spec[list].([]any)
		if !ok {
			continue
		}
		slim := make([]any, len(cs))
		for i, c := range cs {
			cm, ok := c.(map[string]any)
			if !ok {
				slim[i] = c
				continue
			}
			m := map[string]any{}
			if img, ok := cm["image"]; ok {
				m["image"] = img
			}
			slim[i] = m
		}
		out[list] = slim
	}
	return out
}
