package policies

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/kscan-io/kscan/graph"
)

// GraphBuiltin declares kscan.graph(objects) for Rego unit tests: it builds
// the same input a scan would from a list of objects, so a rule's tests
// exercise the real graph and fact derivation rather than a hand-made input.
// Each element is a Kubernetes object, or a raw node {"id", "type",
// "object", "attrs"} for other sources (IAM, registry, Pulumi).
var GraphBuiltin = &ast.Builtin{
	Name: "kscan.graph",
	Decl: types.NewFunction(types.Args(types.NewArray(nil, types.A)), types.A),
}

// GraphFunc is the implementation of kscan.graph for rego.Function1.
func GraphFunc(_ rego.BuiltinContext, a *ast.Term) (*ast.Term, error) {
	raw, err := ast.JSON(a.Value)
	if err != nil {
		return nil, err
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("kscan.graph: want an array of objects")
	}
	in, err := InputFromObjects(list)
	if err != nil {
		return nil, err
	}
	return ast.NewTerm(in.Value), nil
}

// InputFromObjects builds a graph from plain objects (as in GraphBuiltin),
// prepares it and converts it to the Rego input.
func InputFromObjects(list []any) (*Input, error) {
	g := graph.New()
	for i, item := range list {
		obj, ok := graph.PlainNumbers(item).(map[string]any)
		if !ok {
			return nil, fmt.Errorf("kscan.graph: element %d is not an object", i)
		}
		src := graph.Source{Kind: graph.SourceFile, File: "test.yaml", Line: i + 1}
		if graph.IsK8sObject(obj) {
			g.AddNode(graph.NewK8sNode(obj, src, "default"))
			continue
		}
		id, _ := obj["id"].(string)
		typ, _ := obj["type"].(string)
		if id == "" || typ == "" {
			return nil, fmt.Errorf("kscan.graph: element %d is neither a Kubernetes object nor a node with id and type", i)
		}
		o, _ := obj["object"].(map[string]any)
		attrs, _ := obj["attrs"].(map[string]any)
		if s, ok := obj["source"].(map[string]any); ok {
			src.Kind = graph.SourceKind(fmt.Sprint(s["kind"]))
		}
		g.AddNode(&graph.Node{ID: id, Type: typ, Object: o, Attrs: attrs, Source: src})
	}
	facts := Prepare(g)
	return BuildInput(g, facts)
}
