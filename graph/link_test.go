package graph

import (
	"slices"
	"testing"
)

func k8sObj(kind, ns, name string, fields map[string]any) map[string]any {
	apiVersion := "v1"
	switch kind {
	case "Deployment":
		apiVersion = "apps/v1"
	case "CronJob":
		apiVersion = "batch/v1"
	}
	obj := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": name, "namespace": ns}}
	for k, v := range fields {
		obj[k] = v
	}
	return obj
}

func podTemplate(labels map[string]any) map[string]any {
	return map[string]any{"template": map[string]any{
		"metadata": map[string]any{"labels": labels},
		"spec":     map[string]any{"containers": []any{map[string]any{"name": "c", "image": "x"}}},
	}}
}

// Services select the workloads of their own namespace whose pod labels
// hold every pair of the selector (found through the label index).
func TestServiceSelects(t *testing.T) {
	g := New()
	add := func(o map[string]any) { g.AddNode(NewK8sNode(o, Source{Kind: SourceFile, File: "x.yaml"}, "")) }
	add(k8sObj("Deployment", "a", "web", map[string]any{"spec": podTemplate(map[string]any{"app": "web", "tier": "front"})}))
	add(k8sObj("Deployment", "a", "web-canary", map[string]any{"spec": podTemplate(map[string]any{"app": "web", "tier": "front", "track": "canary"})}))
	add(k8sObj("Deployment", "a", "api", map[string]any{"spec": podTemplate(map[string]any{"app": "api", "tier": "back"})}))
	add(k8sObj("Deployment", "b", "web", map[string]any{"spec": podTemplate(map[string]any{"app": "web", "tier": "front"})}))
	add(k8sObj("CronJob", "a", "report", map[string]any{"spec": map[string]any{"jobTemplate": map[string]any{"spec": podTemplate(map[string]any{"app": "web"})}}}))
	add(k8sObj("Pod", "a", "debug", map[string]any{"metadata": map[string]any{"name": "debug", "namespace": "a", "labels": map[string]any{"app": "web", "tier": "front"}},
		"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": "x"}}}}))
	svc := func(name string, sel any) {
		spec := map[string]any{"ports": []any{map[string]any{"port": 80}}}
		if sel != nil {
			spec["selector"] = sel
		}
		add(k8sObj("Service", "a", name, map[string]any{"spec": spec}))
	}
	svc("front", map[string]any{"app": "web", "tier": "front"})
	svc("canary", map[string]any{"track": "canary", "app": "web"})
	svc("all-web", map[string]any{"app": "web"})
	svc("nothing", map[string]any{"app": "web", "tier": "back"})
	svc("none", nil)
	svc("empty", map[string]any{})
	svc("not-strings", map[string]any{"app": 1})
	LinkK8s(g, LinkOptions{})

	selected := map[string][]string{}
	for _, e := range g.Edges() {
		if e.Type == EdgeSelects {
			selected[e.From] = append(selected[e.From], e.To)
		}
	}
	want := map[string][]string{
		"a/Service/front":   {"a/Deployment/web", "a/Deployment/web-canary", "a/Pod/debug"},
		"a/Service/canary":  {"a/Deployment/web-canary"},
		"a/Service/all-web": {"a/CronJob/report", "a/Deployment/web", "a/Deployment/web-canary", "a/Pod/debug"},
	}
	for svc, keys := range want {
		got := selected[svc]
		slices.Sort(got)
		if !slices.Equal(got, keys) {
			t.Errorf("%s selects %v, want %v", svc, got, keys)
		}
	}
	for svc, keys := range selected {
		if _, ok := want[svc]; !ok {
			t.Errorf("%s selects %v, want nothing", svc, keys)
		}
	}
}
