package kustomize

import (
	"reflect"
	"testing"

	"github.com/kscan-io/kscan/graph"
)

// overlayTree is a base and an overlay that patches privileged: true in
// (a strategic-merge patch file) and replicas (an inline JSON patch), and
// leaves the Service alone.
var overlayTree = map[string]string{
	"base/kustomization.yaml": "resources: [app.yaml]\n",
	"base/app.yaml": `apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.0
`,
	"overlays/prod/kustomization.yaml": `namespace: prod
resources: [../../base]
patches:
  - patch: |-
      - op: add
        path: /spec/replicas
        value: 3
    target: {kind: Deployment, name: web}
  - path: privileged.yaml
`,
	"overlays/prod/privileged.yaml": `# run privileged in prod
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          securityContext:
            privileged: true
`,
}

// Each patch is attributed to the objects it changed, at the patch file's
// document (or the kustomization's entry for an inline patch), and the
// object without the overlay's patches is kept for PatchLocations.
func TestOverlayPatchesAttributed(t *testing.T) {
	root := writeTree(t, overlayTree)
	g := collect(t, root)
	if errs := g.Errors(); len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	svc, _ := g.Node("prod/Service/web")
	dep, _ := g.Node("prod/Deployment/web")
	if svc == nil || dep == nil {
		t.Fatalf("nodes: %v", g.Nodes())
	}
	if svc.Overlay != nil {
		t.Errorf("the Service was not patched, yet has %+v", svc.Overlay)
	}
	if dep.Source.String() != "base/app.yaml:6" {
		t.Errorf("the Deployment is declared at %s, want base/app.yaml:6", dep.Source)
	}
	if dep.Overlay == nil {
		t.Fatal("the Deployment has no overlay record")
	}
	var got []string
	for _, p := range dep.Overlay.Patches {
		got = append(got, p.Source.String())
	}
	if want := []string{"overlays/prod/kustomization.yaml:4", "overlays/prod/privileged.yaml:2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("patches = %v, want %v", got, want)
	}
	_, spec, _ := graph.PodTemplate(dep.Overlay.Unpatched)
	c := spec["containers"].([]any)[0].(map[string]any)
	if _, ok := c["securityContext"]; ok {
		t.Errorf("the unpatched Deployment has the patch's securityContext: %v", c)
	}
	if _, ok := dep.Overlay.Unpatched["spec"].(map[string]any)["replicas"]; ok {
		t.Error("the unpatched Deployment has the patch's replicas")
	}
	// Without the privileged patch alone: replicas, no securityContext.
	without := dep.Overlay.Patches[1].Without
	if _, ok := without["spec"].(map[string]any)["replicas"]; !ok {
		t.Error("the Deployment without the privileged patch lost the replicas patch")
	}
	_, spec, _ = graph.PodTemplate(without)
	if _, ok := spec["containers"].([]any)[0].(map[string]any)["securityContext"]; ok {
		t.Error("the Deployment without the privileged patch is privileged")
	}
	if ns := dep.Overlay.Unpatched["metadata"].(map[string]any)["namespace"]; ns != "prod" {
		t.Errorf("the unpatched Deployment is in %v, want prod (the overlay's other transformations stay)", ns)
	}
}
