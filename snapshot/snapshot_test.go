package snapshot

import (
	"bytes"
	"compress/gzip"
	"reflect"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/graph"
)

func sample() *graph.Graph {
	g := graph.New()
	src := graph.Source{Kind: graph.SourceFile, File: "a.yaml", Line: 3}
	dep := graph.NewK8sNode(map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web", "namespace": "shop"},
		"spec": map[string]any{"replicas": int64(3), "ratio": 0.5},
	}, src, "")
	g.AddNode(dep)
	g.AddNode(graph.NewK8sNode(map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web", "namespace": "shop"}},
		graph.Source{Kind: graph.SourceCluster, Cluster: "prod", Path: "/apis/apps/v1/namespaces/shop/deployments/web"}, ""))
	g.AddNode(graph.NewK8sNode(map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "db", "namespace": "shop"},
		"data": map[string]any{"password": "c2VjcmV0"}, "stringData": map[string]any{"token": "hunter2"}}, src, ""))
	g.AddNode(&graph.Node{ID: "arn:aws:iam::1:role/x", Type: "aws:iam/Role", Object: map[string]any{"name": "x"}, Source: graph.Source{Kind: graph.SourceAWS}, Attrs: map[string]any{"n": int64(1)}})
	g.AddEdge("shop/Deployment/web", "arn:aws:iam::1:role/x", graph.EdgeAssumes)
	g.AddError(graph.InputError{Source: graph.Source{Kind: graph.SourceFile, File: "bad.yaml", Line: 2}, Message: "invalid YAML"})
	return g
}

func TestRoundTrip(t *testing.T) {
	g := sample()
	var buf bytes.Buffer
	if err := Write(&buf, g); err != nil {
		t.Fatal(err)
	}
	if !IsSnapshot(buf.Bytes()) {
		t.Fatal("IsSnapshot is false for a snapshot")
	}
	got, err := Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want := sample()
	// Secrets are written without values.
	for _, n := range want.Nodes() {
		if n.Type == "k8s:core/Secret" {
			n.Object["data"] = map[string]any{"password": ""}
			n.Object["stringData"] = map[string]any{"token": ""}
		}
	}
	if !reflect.DeepEqual(got.Nodes(), want.Nodes()) {
		t.Errorf("nodes differ:\n got %+v\nwant %+v", got.Nodes(), want.Nodes())
	}
	if !reflect.DeepEqual(got.Edges(), want.Edges()) {
		t.Errorf("edges differ: %v vs %v", got.Edges(), want.Edges())
	}
	if !reflect.DeepEqual(got.Errors(), want.Errors()) {
		t.Errorf("errors differ: %v vs %v", got.Errors(), want.Errors())
	}
	// Writing the original graph does not change it.
	for _, n := range g.Nodes() {
		if n.Type == "k8s:core/Secret" && n.Object["stringData"].(map[string]any)["token"] != "hunter2" {
			t.Error("Write changed the graph's Secret")
		}
	}
}

func TestDeterministicAndNoSecrets(t *testing.T) {
	var a, b bytes.Buffer
	if err := Write(&a, sample()); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, sample()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two snapshots of the same graph differ")
	}
	zr, err := gzip.NewReader(&a)
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	if _, err := plain.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter2", "c2VjcmV0"} {
		if strings.Contains(plain.String(), secret) {
			t.Errorf("snapshot contains the secret value %q", secret)
		}
	}
}

func gz(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

func TestDetectAndReject(t *testing.T) {
	var good bytes.Buffer
	if err := Write(&good, sample()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		isSnap  bool
		readErr string
		readOK  bool
	}{
		{"snapshot", good.Bytes(), true, "", true},
		{"sarif", []byte(`{"version":"2.1.0","runs":[]}`), false, "not gzip", false},
		{"other gzip", gz(`{"hello":1}`), false, "no kscanSnapshot header", false},
		{"newer version", gz(`{"kscanSnapshot":99,"nodes":[]}`), true, "version 99 is not supported", false},
		{"truncated", good.Bytes()[:len(good.Bytes())/2], true, "reading snapshot", false},
		{"node without id", gz(`{"kscanSnapshot":1,"nodes":[{"type":"x"}]}`), true, "node 0 has no id", false},
		{"empty", nil, false, "not gzip", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsSnapshot(tc.data); got != tc.isSnap {
				t.Errorf("IsSnapshot = %v, want %v", got, tc.isSnap)
			}
			_, err := Read(bytes.NewReader(tc.data))
			if tc.readOK != (err == nil) {
				t.Fatalf("Read error = %v", err)
			}
			if err != nil && !strings.Contains(err.Error(), tc.readErr) {
				t.Errorf("Read error %q does not mention %q", err, tc.readErr)
			}
		})
	}
}

func TestForCluster(t *testing.T) {
	data, format, err := ForCluster(sample(), "prod")
	if err != nil || format != FormatName {
		t.Fatal(err, format)
	}
	g, err := Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if g.Len() != 1 || g.Nodes()[0].Source.Cluster != "prod" {
		t.Errorf("want only prod's Deployment, got %d nodes", g.Len())
	}
}

// kubectl apply keeps the applied Secret, data included, in an annotation:
// it is emptied like the data, without changing the graph's node. (Nodes
// built by graph.NewK8sNode no longer carry it; a node read from an older
// snapshot may.)
func TestRedactLastApplied(t *testing.T) {
	applied := `{"apiVersion":"v1","kind":"Secret","data":{"password":"c2VjcmV0"}}`
	n := graph.NewK8sNode(map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "db", "namespace": "shop",
		"annotations": map[string]any{lastApplied: applied, "team": "shop"}},
		"data": map[string]any{"password": "c2VjcmV0"}}, graph.Source{Kind: graph.SourceFile, File: "a.yaml"}, "")
	if _, kept := n.Object["metadata"].(map[string]any)["annotations"].(map[string]any)[lastApplied]; kept {
		t.Error("NewK8sNode kept the last-applied annotation")
	}
	n.Object["metadata"].(map[string]any)["annotations"].(map[string]any)[lastApplied] = applied
	r := Redact(n)
	ann := r.Object["metadata"].(map[string]any)["annotations"].(map[string]any)
	if ann[lastApplied] != "" || ann["team"] != "shop" {
		t.Errorf("annotations after Redact: %v", ann)
	}
	if r.Object["data"].(map[string]any)["password"] != "" {
		t.Error("data kept its value")
	}
	if n.Object["metadata"].(map[string]any)["annotations"].(map[string]any)[lastApplied] != applied {
		t.Error("Redact changed the node it was given")
	}
}

// Env values of any workload are emptied in what is stored; names and
// references stay.
func TestRedactEnv(t *testing.T) {
	obj := map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web", "namespace": "shop"},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "web", "env": []any{
			map[string]any{"name": "LOG_LEVEL", "value": "debug"},
			map[string]any{"name": "TOKEN", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "s", "key": "token"}}},
		}}}}}}}
	n := graph.NewK8sNode(obj, graph.Source{Kind: graph.SourceFile, File: "a.yaml"}, "")
	r := Redact(n)
	env := r.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["env"].([]any)
	if v := env[0].(map[string]any); v["name"] != "LOG_LEVEL" || v["value"] != "" {
		t.Errorf("literal env entry after Redact: %v", v)
	}
	if v := env[1].(map[string]any); v["valueFrom"] == nil {
		t.Errorf("secretKeyRef entry lost its reference: %v", v)
	}
	orig := n.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["env"].([]any)
	if orig[0].(map[string]any)["value"] != "debug" {
		t.Error("Redact changed the node it was given")
	}
}
