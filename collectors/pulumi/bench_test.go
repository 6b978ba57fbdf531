package pulumi

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/repotest"
)

// bigState repeats the resources of the testdata stack under distinct URNs
// and names until it holds n resources.
func bigState(b *testing.B, n int) []byte {
	b.Helper()
	data, err := os.ReadFile(filepath.Join(repotest.Root(), "testdata", "pulumi", "stack.json"))
	if err != nil {
		b.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		b.Fatal(err)
	}
	dep := doc["deployment"].(map[string]any)
	base := dep["resources"].([]any)
	var out []any
	for i := 0; len(out) < n; i++ {
		for _, r := range base {
			if len(out) == n {
				break
			}
			raw, _ := json.Marshal(r)
			var c map[string]any
			json.Unmarshal(raw, &c)
			c["urn"] = fmt.Sprintf("%s-%d", c["urn"], i)
			// Names are unique within a stack, as in real ones.
			for _, side := range []string{"inputs", "outputs"} {
				props, ok := c[side].(map[string]any)
				if !ok {
					continue
				}
				if m, ok := props["metadata"].(map[string]any); ok {
					m["name"] = fmt.Sprintf("%s-%d", m["name"], i)
				}
				for _, k := range []string{"name", "role"} {
					if s, ok := props[k].(string); ok {
						props[k] = fmt.Sprintf("%s-%d", s, i)
					}
				}
			}
			out = append(out, c)
		}
	}
	dep["resources"] = out
	big, _ := json.Marshal(doc)
	return big
}

// BenchmarkCollectState measures parsing and normalising a 10,000-resource
// stack export.
func BenchmarkCollectState(b *testing.B) {
	data := bigState(b, 10000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g := graph.New()
		CollectState("big.json", data, g)
		if len(g.Errors()) > 0 {
			b.Fatal(g.Errors())
		}
	}
}
