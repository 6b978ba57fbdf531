package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/collectors/ecr"
	"github.com/kscan-io/kscan/graph"
)

// TestRegistryRuleExamples runs every example of every registry/* rule
// (policies/rules/registry/testdata/<rule>/{failure,success}.*.json): a
// list of kscan.graph objects, one raw node, or aws ecr JSON read by the ECR
// collector. A failure example must give a finding of its rule, a success
// example none.
func TestRegistryRuleExamples(t *testing.T) {
	root := filepath.Join("..", "..", "policies", "rules", "registry", "testdata")
	files, err := filepath.Glob(filepath.Join(root, "*", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples under %s: %v", root, err)
	}
	sort.Strings(files)
	perRule := map[string][2]int{}
	for _, f := range files {
		rule := "registry/" + strings.ReplaceAll(filepath.Base(filepath.Dir(f)), "_", "-")
		base := filepath.Base(f)
		wantFinding := strings.HasPrefix(base, "failure.")
		c := perRule[rule]
		if wantFinding {
			c[0]++
		} else {
			c[1]++
		}
		perRule[rule] = c
		t.Run(rule+"/"+base, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var g *graph.Graph
			trimmed := bytes.TrimSpace(data)
			switch {
			case (ecr.Handler{}).Match(f, data):
				g = graph.New()
				if err := (ecr.Handler{}).Collect(context.Background(), base, data, g); err != nil {
					t.Fatal(err)
				}
			default:
				var list []any
				if trimmed[0] == '[' {
					err = json.Unmarshal(data, &list)
				} else {
					var obj any
					err = json.Unmarshal(data, &obj)
					list = []any{obj}
				}
				if err != nil {
					t.Fatal(err)
				}
				g = graphFromObjects(t, list)
			}
			var n int
			for _, fd := range evaluate(t, g, rule).Findings {
				if fd.RuleID == rule {
					n++
				}
			}
			if wantFinding != (n > 0) {
				t.Errorf("%d findings of %s", n, rule)
			}
		})
	}
	for rule, c := range perRule {
		if c[0] == 0 || c[1] == 0 {
			t.Errorf("%s: needs failure and success examples (has %d and %d)", rule, c[0], c[1])
		}
	}
}

// graphFromObjects builds a graph from kscan.graph-style objects, as
// policies.InputFromObjects does.
func graphFromObjects(t *testing.T, list []any) *graph.Graph {
	g := graph.New()
	for i, item := range list {
		obj, ok := item.(map[string]any)
		if !ok {
			t.Fatalf("element %d is not an object", i)
		}
		src := graph.Source{Kind: graph.SourceFile, File: "example.json", Line: i + 1}
		if graph.IsK8sObject(obj) {
			g.AddNode(graph.NewK8sNode(obj, src, "default"))
			continue
		}
		id, _ := obj["id"].(string)
		typ, _ := obj["type"].(string)
		o, _ := obj["object"].(map[string]any)
		attrs, _ := obj["attrs"].(map[string]any)
		if id == "" || typ == "" {
			t.Fatalf("element %d has no id/type", i)
		}
		g.AddNode(&graph.Node{ID: id, Type: typ, Object: o, Attrs: attrs, Source: src})
	}
	return g
}
