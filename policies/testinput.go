package policies

import (
	"context"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/kscan-io/kscan/graph"
)

// GraphBuiltin declares kscan.graph(objects) for Rego unit tests
// (implemented in policies/builtins): it builds the same input a scan would
// from a list of objects, so a rule's tests
// exercise the real graph and fact derivation rather than a hand-made input.
// Each element is a Kubernetes object, or a raw node {"id", "type",
// "object", "attrs"} for other sources (IAM, registry, Pulumi).
var GraphBuiltin = &ast.Builtin{
	Name: "kscan.graph",
	Decl: types.NewFunction(types.Args(types.NewArray(nil, types.A)), types.A),
}

// Derive computes the facts of a graph: enrich.Graph, handed in by
// policies/builtins (policies does not know the enrichers).
type Derive func(ctx context.Context, g *graph.Graph) Facts

// GraphFunc is the implementation of kscan.graph for rego.Function1, with
// the facts of derive.
func GraphFunc(derive Derive) rego.Builtin1 {
	return func(bctx rego.BuiltinContext, a *ast.Term) (*ast.Term, error) {
		raw, err := ast.JSON(a.Value)
		if err != nil {
			return nil, err
		}
		list, ok := raw.([]any)
		if !ok {
			return nil, fmt.Errorf("kscan.graph: want an array of objects")
		}
		ctx := bctx.Context
		if ctx == nil {
			ctx = context.Background()
		}
		in, err := InputFromObjects(ctx, list, derive)
		if err != nil {
			return nil, err
		}
		return ast.NewTerm(in.Value), nil
	}
}

// InputFromObjects builds a graph from plain objects (GraphFromObjects),
// derives its facts and converts it to the Rego input.
func InputFromObjects(ctx context.Context, list []any, derive Derive) (*Input, error) {
	g, err := GraphFromObjects(list)
	if err != nil {
		return nil, err
	}
	return BuildInput(g, derive(ctx, g))
}

// GraphFromObjects builds the graph of kscan.graph from plain objects (see
// GraphBuiltin).
func GraphFromObjects(list []any) (*graph.Graph, error) {
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
	return g, nil
}
