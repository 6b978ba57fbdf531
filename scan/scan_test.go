package scan_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/kscan-io/kscan/collectors/ecr"
	"github.com/kscan-io/kscan/collectors/iam"
	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/collectors/pulumi"
	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/repotest"
)

// scan.Input converts objects while the enrichers run: that is only sound
// because no enricher (links, drift, RBAC, IAM, registry, exposure, PSS)
// changes an object a collector gave it. This holds them to that on every
// fixture of the repository: manifests, IAM exports, Pulumi state, ECR.
func TestEnrichKeepsObjects(t *testing.T) {
	g := graph.New()
	err := manifest.Collect(context.Background(), manifest.Options{
		Paths:    []string{repotest.Root() + "/testdata"},
		BaseDir:  repotest.Root(),
		Handlers: []manifest.ContentHandler{pulumi.Handler{}, iam.Handler{}, ecr.Handler{}},
	}, g)
	if err != nil {
		t.Fatal(err)
	}
	before := map[*graph.Node][]byte{}
	types := map[string]bool{}
	for _, n := range g.Nodes() {
		b, err := json.Marshal(n.Object)
		if err != nil {
			t.Fatal(err)
		}
		before[n] = b
		types[n.Type] = true
	}
	for _, want := range []string{"k8s:apps/Deployment", "aws:iam/Role", "k8s:rbac.authorization.k8s.io/ClusterRole"} {
		if !types[want] {
			t.Fatalf("fixtures hold no %s node; the test would prove nothing about it", want)
		}
	}
	enrich.Graph(context.Background(), g, enrich.Options{})
	for n, b := range before {
		var was, now any
		after, _ := json.Marshal(n.Object)
		json.Unmarshal(b, &was)
		json.Unmarshal(after, &now)
		if !reflect.DeepEqual(was, now) {
			t.Errorf("the enrichers changed the object of %s:\nbefore %s\nafter  %s", n.Key, b, after)
		}
	}
}
