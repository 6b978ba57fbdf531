package builtins

import (
	"context"

	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/policies"
)

// Derive enriches a graph as a scan does (every enricher, default
// settings): the facts of kscan.graph.
func Derive(ctx context.Context, g *graph.Graph) graph.Facts {
	return enrich.Graph(ctx, g, enrich.Options{})
}

// InputFromObjects builds the input kscan.graph builds from plain objects.
func InputFromObjects(ctx context.Context, list []any) (*policies.Input, error) {
	return policies.InputFromObjects(ctx, list, Derive)
}
