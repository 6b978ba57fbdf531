package fastyaml

import (
	"bytes"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/internal/repotest"
)

// The fast decoder must agree with yaml.v3 whenever it accepts a document:
// same values with the same Go types, same object lines. These tests hold
// it to that on every YAML and JSON file of the repository (its vendored
// conformance corpus included), and on random mutations of them.

// yamlCorpus reads every YAML/JSON fixture as documents.
func yamlCorpus(t testing.TB) [][]byte {
	t.Helper()
	// The repository includes the vendored conformance corpus.
	roots := []string{repotest.Root()}
	var docs [][]byte
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "node_modules") {
					return fs.SkipDir
				}
				return nil
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".yaml", ".yml", ".json":
			default:
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil || len(data) > 4<<20 {
				return nil
			}
			docs = append(docs, splitDocs(data)...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return docs
}

// splitDocs cuts a stream at its document markers, as the manifest
// collector does (a test of its own checks that).
func splitDocs(data []byte) [][]byte {
	var docs [][]byte
	start := 0
	for i := 0; i < len(data); {
		next := len(data)
		if end := bytes.IndexByte(data[i:], '\n'); end >= 0 {
			next = i + end + 1
		}
		l := bytes.TrimRight(data[i:next], "\r\n")
		switch {
		case bytes.Equal(l, []byte("...")):
			docs = append(docs, data[start:i])
			start = next
		case isMarker(l):
			docs = append(docs, data[start:i])
			start = i
		}
		i = next
	}
	return append(docs, data[start:])
}

// agree fails when the fast decoder accepts doc but differs from yaml.v3.
func agree(t testing.TB, doc []byte) (accepted bool) {
	t.Helper()
	fv, fpos, ok := decodeFast(doc, &Strings{})
	if !ok {
		return false
	}
	sv, top, err := decodeSlow(doc, nil)
	if err != nil {
		t.Fatalf("fast decoder accepted a document yaml.v3 rejects (%v):\n%s", err, doc)
	}
	if !sameValue(fv, sv) {
		t.Fatalf("fast decoder disagrees with yaml.v3 on:\n%s\nfast: %#v\nyaml: %#v", doc, fv, sv)
	}
	if err := sameLines(fpos, top, fv); err != nil {
		t.Fatalf("fast decoder lines disagree with yaml.v3 (%v) on:\n%s", err, doc)
	}
	return true
}

// sameValue is reflect.DeepEqual with NaN equal to itself.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y))
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, has := y[k]
			if !has || !sameValue(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// sameLines compares the lines addObject uses: the root's and, along List
// "items", each element's.
func sameLines(fast, slow Locator, v any) error {
	if fast.Line() != slow.Line() {
		return fmt.Errorf("line %d, yaml.v3 %d", fast.Line(), slow.Line())
	}
	m, _ := v.(map[string]any)
	items, _ := m["items"].([]any)
	for i := range items {
		f, s := fast.Item(i), slow.Item(i)
		if f == nil || s == nil {
			return fmt.Errorf("item %d: no position", i)
		}
		if err := sameLines(f, s, items[i]); err != nil {
			return fmt.Errorf("item %d: %w", i, err)
		}
	}
	return nil
}

func TestFastAgreesWithYAMLv3(t *testing.T) {
	docs := yamlCorpus(t)
	if len(docs) < 500 {
		t.Fatalf("only %d fixture documents found", len(docs))
	}
	objects, accepted := 0, 0
	for _, d := range docs {
		ok := agree(t, d)
		if v, _, err := decodeSlow(d, nil); err == nil {
			if m, isMap := v.(map[string]any); isMap && m["kind"] != nil {
				objects++
				if ok {
					accepted++
				}
			}
		}
	}
	// Real manifests must take the fast path, or the benchmark figures would
	// describe yaml.v3 instead.
	if share := float64(accepted) / float64(objects); share < 0.95 {
		t.Errorf("fast path accepted %d of %d Kubernetes-object documents (%.0f%%), want at least 95%%", accepted, objects, 100*share)
	}
	t.Logf("fast path accepted %d of %d Kubernetes-object documents", accepted, objects)
}

// The same corpus with CRLF line breaks, as checked out on Windows, must
// still take the fast path and agree with yaml.v3 reading the CRs.
func TestFastAgreesOnCRLF(t *testing.T) {
	docs := yamlCorpus(t)
	objects, accepted := 0, 0
	for _, d := range docs {
		if bytes.IndexByte(d, '\r') >= 0 {
			continue
		}
		crlf := bytes.ReplaceAll(d, []byte("\n"), []byte("\r\n"))
		lfOK := agree(t, d)
		if agree(t, crlf) != lfOK {
			t.Errorf("fast path took only one of the LF and CRLF forms of:\n%s", d)
		}
		if v, _, err := decodeSlow(crlf, nil); err == nil {
			if m, isMap := v.(map[string]any); isMap && m["kind"] != nil {
				objects++
				if lfOK {
					accepted++
				}
			}
		}
	}
	if objects < 500 || float64(accepted) < 0.95*float64(objects) {
		t.Errorf("fast path accepted %d of %d CRLF Kubernetes-object documents, want at least 95%% of 500 or more", accepted, objects)
	}
	// A lone CR is a line break to yaml.v3: left to it.
	if _, _, ok := decodeFast([]byte("kind: Pod\rname: a\r\n"), &Strings{}); ok {
		t.Error("fast path took a document with a lone CR")
	}
}

// mutations are the characters that change YAML's structure.
var mutations = []string{" ", "  ", "\n", "\n  ", "- ", ":", ": ", "#", " #", "\"", "'", "{", "}", "[", "]", ",",
	"|", ">", "|-", ">+", "&a ", "*a", "!!str ", "\t", "?", "a", "0", "1.5", "-", "~", "null", "true", "\\", "\\u00e9",
	"é", "<<: ", "---\n", "...\n", "\r\n", "\r", "0x1F", "1_000", "2024-01-02", ".inf", "\"\"", "''"}

func TestFastMutations(t *testing.T) {
	docs := yamlCorpus(t)
	rng := rand.New(rand.NewPCG(1, 2))
	rounds := 20000
	if testing.Short() {
		rounds = 2000
	}
	accepted := 0
	for i := 0; i < rounds; i++ {
		doc := mutate(rng, docs[rng.IntN(len(docs))])
		if agree(t, doc) {
			accepted++
		}
	}
	t.Logf("fast path accepted %d of %d mutated documents", accepted, rounds)
	if accepted < rounds/10 {
		t.Errorf("fast path accepted only %d of %d mutated documents: the test no longer exercises it", accepted, rounds)
	}
}

// mutate inserts, deletes or replaces a few pieces of doc.
func mutate(rng *rand.Rand, doc []byte) []byte {
	out := append([]byte(nil), doc...)
	for n := 1 + rng.IntN(3); n > 0; n-- {
		if len(out) == 0 {
			out = append(out, mutations[rng.IntN(len(mutations))]...)
			continue
		}
		at := rng.IntN(len(out))
		switch rng.IntN(3) {
		case 0:
			m := mutations[rng.IntN(len(mutations))]
			out = append(out[:at], append([]byte(m), out[at:]...)...)
		case 1:
			end := min(len(out), at+1+rng.IntN(4))
			out = append(out[:at], out[end:]...)
		default:
			m := mutations[rng.IntN(len(mutations))]
			end := min(len(out), at+len(m))
			out = append(out[:at], append([]byte(m), out[end:]...)...)
		}
	}
	return out
}

// FuzzDecode: whatever the input, Decode returns without panicking, and when
// the fast path takes a document it agrees with yaml.v3 (value, types and
// lines); otherwise yaml.v3 decides (a value or an error). make fuzz runs it,
// make test for 60 s.
func FuzzDecode(f *testing.F) {
	for _, d := range yamlCorpus(f) {
		if len(d) < 4096 {
			f.Add(d)
			if len(d) < 1024 {
				f.Add(bytes.ReplaceAll(d, []byte("\n"), []byte("\r\n")))
			}
		}
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if bytes.Count(doc, []byte("\n")) > 2000 {
			return
		}
		agree(t, doc)
		if _, at, err := Decode(doc, Options{Strings: &Strings{}}); err == nil && at == nil {
			t.Fatalf("Decode returned no locator and no error for:\n%s", doc)
		}
	})
}

// Every construct the fast path claims to handle, in one manifest.
func TestFastHandlesCommonManifests(t *testing.T) {
	doc := `# a comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # trailing comment
  namespace: "shop"
  labels: {app: web, tier: 'front end'}
  annotations:
    kscan.io/ignore: "k8s/image-tag-latest: reason"
    note: |
      line one
      line two
    folded: >-
      one
      two
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.27
        args: [--port, "8080"]
        ports:
        - containerPort: 8080
        resources:
          requests: {cpu: 100m, memory: 128Mi}
        env:
        -   name: EMPTY
            value:
        securityContext:
          readOnlyRootFilesystem: true
          runAsUser: 0
      volumes: []
`
	v, pos, ok := fastDecode([]byte(doc), &Strings{})
	if !ok {
		t.Fatal("fast path declined a plain manifest")
	}
	if pos.Line() != 2 {
		t.Errorf("root line %d, want 2", pos.Line())
	}
	agree(t, []byte(doc))
	meta := v["metadata"].(map[string]any)
	if got := meta["annotations"].(map[string]any)["note"]; got != "line one\nline two\n" {
		t.Errorf("literal block: %q", got)
	}
	if got := meta["annotations"].(map[string]any)["folded"]; got != "one two" {
		t.Errorf("folded block: %q", got)
	}
	for _, json := range []string{
		`{"apiVersion": "v1", "kind": "List", "items": [{"kind": "Pod", "n": 1.5, "e": "\u00e9"}, {"x": null}]}`,
		"{\n  \"apiVersion\": \"v1\",\n  \"items\": [\n    {\n      \"a\": [1, 2]\n    }\n  ]\n}\n",
	} {
		if _, _, ok := fastDecode([]byte(json), &Strings{}); !ok {
			t.Errorf("fast path declined JSON %q", json)
		}
		agree(t, []byte(json))
	}
}
