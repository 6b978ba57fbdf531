package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kscan-io/kscan/graph"
)

// BenchmarkParse times ParseInto (the fast path, falling back to yaml.v3
// where it must) against decoding with yaml.v3 alone (into plain Go values,
// as hack/yamldecode does), on the three shapes
// manifests come in: block YAML (also with CRLF line breaks, as checked out
// on Windows), indented JSON (kubectl get -o json) and one-line JSON (jq -c). make bench runs it (hack/bench.d/parse.sh).
func BenchmarkParse(b *testing.B) {
	block := benchYAML(2000)
	inputs := map[string][]byte{"block-yaml": block, "crlf-yaml": bytes.ReplaceAll(block, []byte("\n"), []byte("\r\n"))}
	list := benchList(2000)
	indented, _ := json.MarshalIndent(list, "", "    ")
	oneLine, _ := json.Marshal(list)
	inputs["indented-json"], inputs["one-line-json"] = indented, oneLine
	for _, name := range []string{"block-yaml", "crlf-yaml", "indented-json", "one-line-json"} {
		data := inputs[name]
		b.Run(name+"/kscan", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				g := graph.New()
				ParseInto(data, graph.Source{Kind: graph.SourceFile, File: "x"}, "", g)
				if g.Len() != 2000 {
					b.Fatalf("%d objects", g.Len())
				}
			}
		})
		b.Run(name+"/yaml.v3", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				for _, d := range splitDocuments(data) {
					var v any
					if err := yaml.Unmarshal(d.data, &v); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

func benchYAML(n int) []byte {
	var buf bytes.Buffer
	for i := range n {
		fmt.Fprintf(&buf, `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-%d
  namespace: team
  labels: {app: app-%d, tier: backend}
spec:
  replicas: 3
  template:
    metadata:
      labels: {app: app-%d}
    spec:
      containers:
      - name: app
        image: "registry.example.com/app:1.%d"
        ports: [{containerPort: 8080, name: http}]
        resources:
          requests: {cpu: 100m, memory: 128Mi}
        securityContext:
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
        args:
        - --config=/etc/app.yaml
        - --verbose
`, i, i, i, i)
	}
	return buf.Bytes()
}

func benchList(n int) map[string]any {
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": fmt.Sprintf("c%d", i), "namespace": "ns", "labels": map[string]any{"app": "x"}},
			"data":     map[string]any{"config.yaml": "a: 1\nb: [2, 3]\n", "mode": "fast"}}
	}
	return map[string]any{"apiVersion": "v1", "kind": "List", "items": items}
}
