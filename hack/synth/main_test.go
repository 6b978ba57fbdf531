package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func generate(t *testing.T, n int, rate float64) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	faultRate, seed = rate, 0x9e3779b97f4a7c15
	if err := run(n, dir); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// The messy cluster is valid YAML (no duplicate keys: kscan would reject
// them, and the benchmark would measure errors), has exactly N objects,
// is deterministic, and holds problems of every family it promises.
func TestMessy(t *testing.T) {
	const n = 3000
	a, b := generate(t, n, 0.4), generate(t, n, 0.4)
	docs := 0
	var all strings.Builder
	for name, data := range a {
		if !bytes.Equal(data, b[name]) {
			t.Errorf("%s differs between two runs", name)
		}
		all.Write(data)
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var v map[string]any
			err := dec.Decode(&v)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			docs++
		}
	}
	if docs != n {
		t.Errorf("%d objects, want %d", docs, n)
	}
	text := all.String()
	for _, marker := range []string{"privileged: true", "hostNetwork: true", "hostPath:", "SYS_ADMIN", "secretKeyRef", "type: NodePort", "hostPort: 8080", "mysql:latest", `resources: ["*"]`, "name: cluster-admin", "escalate"} {
		if !strings.Contains(text, marker) {
			t.Errorf("no %q in the messy cluster", marker)
		}
	}
	tidy := generate(t, n, 0)
	for _, data := range tidy {
		if bytes.Contains(data, []byte("SYS_ADMIN")) || bytes.Contains(data, []byte("cluster-admin")) {
			t.Fatal("the tidy cluster has messy faults")
		}
	}
}
