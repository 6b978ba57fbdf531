package policies_test

import (
	"context"
	"os"
	"testing"

	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/policies"
)

func BenchmarkZZInput(b *testing.B) {
	dir := os.Getenv("ZZ_DIR")
	g := graph.New()
	manifest.Collect(context.Background(), manifest.Options{Paths: []string{dir}}, g)
	facts := enrich.Graph(context.Background(), g, enrich.Options{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		policies.BuildInput(g, facts)
	}
}
