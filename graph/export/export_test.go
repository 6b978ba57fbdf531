package export

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/repotest"
)

// sample is a small shop, linked by the real graph code, with a Secret and
// an environment variable whose values must never be exported, and names
// that need quoting in every format.
func sample(t *testing.T) *graph.Graph {
	t.Helper()
	g := graph.New()
	src := graph.Source{Kind: graph.SourceFile, File: `k8s/"odd" dir\app.yaml`, Line: 3}
	add := func(obj map[string]any) { g.AddNode(graph.NewK8sNode(obj, src, "")) }
	add(map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web", "namespace": "shop"},
		"spec": map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
			"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "web"}},
				"spec": map[string]any{"serviceAccountName": "web", "containers": []any{map[string]any{"name": "web", "image": "nginx:1.27",
					"env": []any{map[string]any{"name": "API_TOKEN", "value": "env-value-do-not-export"}}}}}}}})
	add(map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "web", "namespace": "shop"},
		"spec": map[string]any{"type": "LoadBalancer", "selector": map[string]any{"app": "web"}}})
	add(map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "web", "namespace": "shop"}})
	add(map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "db", "namespace": "shop"},
		"stringData": map[string]any{"password": "secret-value-do-not-export"}})
	add(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": `q"<&>|x`, "namespace": "other"}})
	add(map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": map[string]any{"name": "web", "namespace": "shop"},
		"roleRef":  map[string]any{"kind": "ClusterRole", "name": "view", "apiGroup": "rbac.authorization.k8s.io"},
		"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": "web", "namespace": "shop"}}})
	enrich.Graph(context.Background(), g, enrich.Options{})
	return g
}

func render(t *testing.T, format string, g *Graph) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, format, g); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	for _, secret := range []string{"secret-value-do-not-export", "env-value-do-not-export"} {
		if bytes.Contains(out, []byte(secret)) {
			t.Errorf("%s export contains the value %q", format, secret)
		}
	}
	return out
}

func TestSelect(t *testing.T) {
	g := sample(t)
	all, err := Select(g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Nodes) != g.Len() || len(all.Edges) != len(g.Edges()) {
		t.Errorf("whole graph: %d nodes, %d edges; graph has %d, %d", len(all.Nodes), len(all.Edges), g.Len(), len(g.Edges()))
	}
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"depth 1 from the Service", Options{From: []string{"shop/Service/web"}, Depth: 1},
			[]string{"Namespace/shop", "shop/Deployment/web", "shop/Service/web"}},
		{"depth 2 from the Service", Options{From: []string{"shop/Service/web"}, Depth: 2},
			[]string{"Namespace/shop", "docker.io/library/nginx:1.27", "shop/Deployment/web", "shop/RoleBinding/web", "shop/Secret/db", "shop/Service/web", "shop/ServiceAccount/web"}}, // the Namespace leads to every object in shop
		{"types", Options{Types: []string{"Deployment", "k8s:core/Service"}}, []string{"shop/Deployment/web", "shop/Service/web"}},
		{"neighbourhood and type", Options{From: []string{"shop/ServiceAccount/web"}, Depth: 1, Types: []string{"Deployment"}},
			[]string{"shop/Deployment/web", "shop/ServiceAccount/web"}},
		{"namespace", Options{Namespaces: []string{"other"}}, []string{`other/ConfigMap/q"<&>|x`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(g, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, n := range got.Nodes {
				keys = append(keys, n.Key)
			}
			if strings.Join(keys, " ") != strings.Join(tt.want, " ") {
				t.Errorf("nodes %q, want %q", keys, tt.want)
			}
			for _, e := range got.Edges {
				if !contains(keys, e.From) || !contains(keys, e.To) {
					t.Errorf("edge %v leaves the selection", e)
				}
			}
		})
	}
	if _, err := Select(g, Options{From: []string{"shop/Deployment/nope"}}); err == nil {
		t.Error("--from an unknown node: no error")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestJSONSchema(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "docs", "graph.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("graph.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("graph.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	sel, _ := Select(sample(t), Options{})
	out := render(t, "json", sel)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Fatalf("export does not match docs/graph.schema.json: %v", err)
	}
	// The schema can fail: an edge of an unknown type is refused.
	var bad map[string]any
	json.Unmarshal(out, &bad)
	bad["edges"] = append(bad["edges"].([]any), map[string]any{"from": "a", "to": "b", "type": "knows"})
	b, _ := json.Marshal(bad)
	inst, _ = jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if schema.Validate(inst) == nil {
		t.Error("the schema accepts an unknown edge type")
	}
}

// TestDOT renders the export with Graphviz itself.
func TestDOT(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		repotest.Missing(t, "Graphviz dot not found (Debian package graphviz; hack/graph-tools.sh installs it)")
	}
	sel, _ := Select(sample(t), Options{})
	out := render(t, "dot", sel)
	// -Tcanon re-emits the parsed graph: every node and edge must be there.
	cmd := exec.Command(dot, "-Tcanon")
	cmd.Stdin = bytes.NewReader(out)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("dot rejected the export: %v\n%s\n%s", err, stderr.String(), out)
	}
	canon := stdout.String()
	if n := strings.Count(canon, " -> "); n != len(sel.Edges) {
		t.Errorf("dot read %d edges, export has %d", n, len(sel.Edges))
	}
	if !strings.Contains(canon, `q\"<&>|x`) {
		t.Errorf("the node with quotes in its name is missing from dot's reading:\n%s", canon)
	}
	// And it lays it out.
	svg := exec.Command(dot, "-Tsvg")
	svg.Stdin = bytes.NewReader(out)
	if b, err := svg.Output(); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("dot -Tsvg: %v", err)
	}
}

type xmlGraphML struct {
	XMLName xml.Name `xml:"http://graphml.graphdrawing.org/xmlns graphml"`
	Keys    []struct {
		ID   string `xml:"id,attr"`
		For  string `xml:"for,attr"`
		Name string `xml:"name,attr"`
	} `xml:"key"`
	Graph struct {
		EdgeDefault string `xml:"edgedefault,attr"`
		Nodes       []struct {
			ID   string `xml:"id,attr"`
			Data []struct {
				Key   string `xml:"key,attr"`
				Value string `xml:",chardata"`
			} `xml:"data"`
		} `xml:"node"`
		Edges []struct {
			Source string `xml:"source,attr"`
			Target string `xml:"target,attr"`
		} `xml:"edge"`
	} `xml:"graph"`
}

func TestGraphML(t *testing.T) {
	sel, _ := Select(sample(t), Options{})
	out := render(t, "graphml", sel)
	// Well-formed: the whole document tokenizes.
	dec := xml.NewDecoder(bytes.NewReader(out))
	for {
		_, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well-formed XML: %v", err)
			}
			break
		}
	}
	var doc xmlGraphML
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Graph.EdgeDefault != "directed" || len(doc.Graph.Nodes) != len(sel.Nodes) || len(doc.Graph.Edges) != len(sel.Edges) {
		t.Fatalf("graphml: %s, %d nodes, %d edges; want directed, %d, %d", doc.Graph.EdgeDefault, len(doc.Graph.Nodes), len(doc.Graph.Edges), len(sel.Nodes), len(sel.Edges))
	}
	keys := map[string]bool{}
	for _, k := range doc.Keys {
		keys[k.ID] = true
	}
	ids := map[string]bool{}
	labels := map[string]bool{}
	for _, n := range doc.Graph.Nodes {
		ids[n.ID] = true
		for _, d := range n.Data {
			if !keys[d.Key] {
				t.Errorf("node %s: data key %q is not declared", n.ID, d.Key)
			}
			if d.Key == "key" {
				labels[d.Value] = true
			}
		}
	}
	for _, e := range doc.Graph.Edges {
		if !ids[e.Source] || !ids[e.Target] {
			t.Errorf("edge %s -> %s names a missing node", e.Source, e.Target)
		}
	}
	if !labels[`other/ConfigMap/q"<&>|x`] {
		t.Error(`the key other/ConfigMap/q"<&>|x did not survive XML escaping`)
	}
	// A real consumer: networkx, when Python has it.
	py, err := exec.LookPath("python3")
	if err == nil && exec.Command(py, "-c", "import networkx").Run() != nil {
		err = os.ErrNotExist
	}
	if err != nil {
		repotest.Missing(t, "python3 with networkx not found (Debian python3-networkx; hack/graph-tools.sh installs it)")
	}
	file := filepath.Join(t.TempDir(), "g.graphml")
	os.WriteFile(file, out, 0o644)
	got, err := exec.Command(py, "-c", `import sys, networkx as nx
g = nx.read_graphml(sys.argv[1])
print(g.number_of_nodes(), g.number_of_edges(), g.is_directed())`, file).CombinedOutput()
	if err != nil {
		t.Fatalf("networkx: %v\n%s", err, got)
	}
	want := strings.Join([]string{itoa(len(sel.Nodes)), itoa(len(sel.Edges)), "True"}, " ")
	if strings.TrimSpace(string(got)) != want {
		t.Errorf("networkx read %q, want %q", strings.TrimSpace(string(got)), want)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

var (
	mermaidNode = regexp.MustCompile(`^  n\d+\["[^"\n]*"\]$`)
	mermaidEdge = regexp.MustCompile(`^  n\d+ -->\|[a-z-]+\| n\d+$`)
)

// Mermaid has no parser in Go: every line must be a node or an edge of
// the flowchart grammar's simplest forms, labels without a raw quote.
func TestMermaid(t *testing.T) {
	sel, _ := Select(sample(t), Options{})
	out := string(render(t, "mermaid", sel))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if lines[0] != "flowchart LR" {
		t.Fatalf("first line %q", lines[0])
	}
	nodes, edges := 0, 0
	for _, l := range lines[1:] {
		switch {
		case mermaidNode.MatchString(l):
			nodes++
		case mermaidEdge.MatchString(l):
			edges++
		default:
			t.Errorf("not a Mermaid node or edge line: %q", l)
		}
	}
	if nodes != len(sel.Nodes) || edges != len(sel.Edges) {
		t.Errorf("%d nodes, %d edges; want %d, %d", nodes, edges, len(sel.Nodes), len(sel.Edges))
	}
}

func TestDeterministic(t *testing.T) {
	for _, f := range Formats {
		a, _ := Select(sample(t), Options{})
		b, _ := Select(sample(t), Options{})
		if !bytes.Equal(render(t, f, a), render(t, f, b)) {
			t.Errorf("%s: two exports of the same input differ", f)
		}
	}
}
