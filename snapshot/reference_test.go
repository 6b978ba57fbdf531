package snapshot_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/baseline"
	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/scan"
	"github.com/kscan-io/kscan/snapshot"
)

const before = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: shop}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice, namespace: shop}
roleRef: {kind: Role, name: reader}
subjects: [{kind: User, name: alice}]
`

func collect(t *testing.T, docs string) *graph.Graph {
	g := graph.New()
	manifest.ParseInto([]byte(docs), graph.Source{Kind: graph.SourceFile, File: "rbac.yaml"}, "", g)
	return g
}

// TestBaselineSnapshotDrift: a snapshot taken earlier is the rbac/drift
// reference of `kscan scan --baseline SNAPSHOT`.
func TestBaselineSnapshotDrift(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snap.kscan.gz")
	var buf bytes.Buffer
	if err := snapshot.Write(&buf, collect(t, before)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(snap, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	engine, err := policies.Load(ctx, policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		now  string
		want []string
	}{
		{"unchanged", before, nil},
		{"verb added", strings.Replace(before, "verbs: [get]", "verbs: [get, delete]", 1),
			[]string{"high User alice gained compared with the baseline snapshot: delete pods in shop; through RoleBinding shop/alice -> Role shop/reader"}},
		{"binding gone", strings.SplitN(before, "---", 2)[0],
			[]string{"low User alice lost compared with the baseline snapshot: get pods in shop; through RoleBinding shop/alice -> Role shop/reader"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := scan.CollectorFunc{N: "manifest", F: func(_ context.Context, g *graph.Graph) error {
				manifest.ParseInto([]byte(tc.now), graph.Source{Kind: graph.SourceFile, File: "rbac.yaml"}, "", g)
				return nil
			}}
			res, err := scan.Run(ctx, scan.Options{Engine: engine, Rules: []string{"rbac/drift"},
				Collectors: []scan.Collector{now, scan.Source("snapshot", snapshot.CollectReference, snap)}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range res.Report.Findings {
				got = append(got, f.Severity+" "+f.Message)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	// A SARIF baseline is not a snapshot: the reference collector leaves
	// it to the baseline post-processor.
	sarif := filepath.Join(dir, "b.sarif")
	os.WriteFile(sarif, []byte(`{"version":"2.1.0","runs":[]}`), 0o644)
	g := graph.New()
	if err := snapshot.CollectReference(ctx, sarif, g); err != nil || g.Len() != 0 || len(g.Errors()) != 0 {
		t.Errorf("SARIF baseline: err %v, %d nodes, errors %v", err, g.Len(), g.Errors())
	}
}

// TestBaselineFormat: with BaselineFormat registered, the baseline
// post-processor reads a snapshot as the findings of its graph.
func TestBaselineFormat(t *testing.T) {
	ctx := context.Background()
	engine, err := policies.Load(ctx, policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rules, err := scan.SelectRules(engine.Rules(), []string{"rbac/*"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	old := before + `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: bob-admin}
roleRef: {kind: ClusterRole, name: cluster-admin}
subjects: [{kind: User, name: bob}]
`
	dir := t.TempDir()
	path := filepath.Join(dir, "snap.kscan.gz")
	var buf bytes.Buffer
	if err := snapshot.Write(&buf, collect(t, old)); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, buf.Bytes(), 0o644)
	formats := append(baseline.DefaultFormats(), snapshot.BaselineFormat{Evaluate: scan.Evaluator(engine, rules)})
	b, err := baseline.Load(ctx, path, formats)
	if err != nil {
		t.Fatal(err)
	}
	if b.Format != "snapshot" {
		t.Errorf("format %q", b.Format)
	}
	found := false
	for _, f := range b.Findings {
		if f.RuleID == "rbac/cluster-admin-binding" && strings.Contains(f.Message, "bob") {
			found = true
		}
	}
	if !found {
		t.Errorf("the snapshot's cluster-admin binding is not among the baseline findings: %+v", b.Findings)
	}
}
