package policies

import (
	"context"

	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/graph"
)

// derive is builtins.Derive for this package's tests, which cannot import
// policies/builtins (it imports policies).
func derive(ctx context.Context, g *graph.Graph) Facts { return enrich.Graph(ctx, g, enrich.Options{}) }
