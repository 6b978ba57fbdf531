// Package snapshot writes and reads a scanned graph (every source: files,
// live cluster, Pulumi state, IAM, registries) as one versioned, gzip
// compressed file, so that a later scan can compare with it: `kscan
// snapshot --output FILE`, then `kscan scan --baseline FILE`.
//
// The format is gzip-compressed JSON:
//
//	{"kscanSnapshot": 1, "tool": "kscan", "toolVersion": "…",
//	 "nodes": [graph.Node…], "edges": [graph.Edge…], "errors": [graph.InputError…]}
//
// "kscanSnapshot" comes first and is the format version; a reader refuses a
// newer one. Nodes, edges and errors are sorted, so the same graph gives the
// same bytes. Secret values are never written: the data and stringData of a
// Kubernetes Secret keep their keys with empty values.
package snapshot

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/kscan-io/kscan/graph"
)

// Version is the format version this package writes and the newest it
// reads.
const Version = 1

// MaxSize bounds the decompressed size Read accepts.
const MaxSize = 1 << 30

// MaxScanSize bounds what one snapshot given to a scan as an input may
// decompress to (and it counts against the scan's byte budget): reading
// it costs several times its size in memory. A 50,000-object cluster's
// snapshot is well under it.
const MaxScanSize = 256 << 20

// magic is how the decompressed content starts.
var magic = []byte(`{"kscanSnapshot":`)

type file struct {
	Version     int                `json:"kscanSnapshot"`
	Tool        string             `json:"tool"`
	ToolVersion string             `json:"toolVersion,omitempty"`
	Nodes       []*graph.Node      `json:"nodes"`
	Edges       []graph.Edge       `json:"edges"`
	Errors      []graph.InputError `json:"errors"`
}

// Options for WriteWith.
type Options struct {
	ToolVersion string
}

// Write writes g as a snapshot.
func Write(w io.Writer, g *graph.Graph) error { return WriteWith(w, g, Options{}) }

// WriteWith writes g as a snapshot, recording the kscan version.
func WriteWith(w io.Writer, g *graph.Graph, opts Options) error {
	f := file{Version: Version, Tool: "kscan", ToolVersion: opts.ToolVersion, Edges: g.Edges(), Errors: g.Errors()}
	for _, n := range g.Nodes() {
		f.Nodes = append(f.Nodes, redact(n))
	}
	if f.Nodes == nil {
		f.Nodes = []*graph.Node{}
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f); err != nil {
		zw.Close()
		return fmt.Errorf("writing snapshot: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("writing snapshot: %w", err)
	}
	return nil
}

// redact returns n, or a copy without secret values.
func redact(n *graph.Node) *graph.Node { return Redact(n) }

// lastApplied is where kubectl apply keeps the whole object as applied: for
// a Secret, its data.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// Redact returns n, or a copy without secret values: a Kubernetes
// Secret's data and stringData keep their keys with empty values; every
// object's kubectl last-applied-configuration annotation (the applied
// object: a Secret's data, a workload's env) is emptied; every env entry's
// literal value is emptied, keeping its name and its valueFrom (which
// Secret or ConfigMap key it comes from). Everything that shows or stores
// nodes (snapshots, the in-cluster snapshot ConfigMap, kscan query, kscan
// graph) goes through it.
func Redact(n *graph.Node) *graph.Node {
	if !graph.IsK8s(n) {
		return n
	}
	obj := n.Object
	copied := false
	cow := func() {
		if !copied {
			o := make(map[string]any, len(obj))
			for k, v := range obj {
				o[k] = v
			}
			obj, copied = o, true
		}
	}
	if n.Type == "k8s:core/Secret" {
		for _, field := range []string{"data", "stringData"} {
			if m, ok := obj[field].(map[string]any); ok {
				r := make(map[string]any, len(m))
				for k := range m {
					r[k] = ""
				}
				cow()
				obj[field] = r
			}
		}
	}
	if meta, ok := obj["metadata"].(map[string]any); ok {
		if ann, ok := meta["annotations"].(map[string]any); ok {
			if v, has := ann[lastApplied]; has && v != "" {
				m := make(map[string]any, len(meta))
				for k, v := range meta {
					m[k] = v
				}
				a := make(map[string]any, len(ann))
				for k, v := range ann {
					a[k] = v
				}
				a[lastApplied] = ""
				m["annotations"] = a
				cow()
				obj["metadata"] = m
			}
		}
	}
	if spec, ok := obj["spec"]; ok {
		if r, changed := redactEnv(spec); changed {
			cow()
			obj["spec"] = r
		}
	}
	if !copied {
		return n
	}
	c := *n
	c.Object = obj
	return &c
}

// redactEnv returns v with the literal value of every env entry (a list
// under "env" of mappings with a name) emptied, copying only what changes.
func redactEnv(v any) (any, bool) {
	switch t := v.(type) {
	case map[string]any:
		var out map[string]any
		for k, e := range t {
			var r any
			var changed bool
			if k == "env" {
				r, changed = redactEnvList(e)
			} else {
				r, changed = redactEnv(e)
			}
			if changed {
				if out == nil {
					out = make(map[string]any, len(t))
					for k2, v2 := range t {
						out[k2] = v2
					}
				}
				out[k] = r
			}
		}
		if out != nil {
			return out, true
		}
	case []any:
		var out []any
		for i, e := range t {
			if r, changed := redactEnv(e); changed {
				if out == nil {
					out = append([]any(nil), t...)
				}
				out[i] = r
			}
		}
		if out != nil {
			return out, true
		}
	}
	return v, false
}

func redactEnvList(v any) (any, bool) {
	list, ok := v.([]any)
	if !ok {
		return redactEnv(v)
	}
	var out []any
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		if val, has := m["value"]; has && val != "" {
			if _, named := m["name"]; named {
				if out == nil {
					out = append([]any(nil), list...)
				}
				c := make(map[string]any, len(m))
				for k, x := range m {
					c[k] = x
				}
				c["value"] = ""
				out[i] = c
			}
		}
	}
	if out != nil {
		return out, true
	}
	return v, false
}

// IsSnapshot reports whether data (the whole file or its first bytes) is a
// snapshot: gzip whose content starts with the snapshot header.
func IsSnapshot(data []byte) bool {
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		return false
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return false
	}
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(zr, head); err != nil {
		return false
	}
	return bytes.Equal(head, magic)
}

// Read reads a snapshot into a new graph: the nodes (with their original
// sources), edges and input errors as they were when it was written.
func Read(r io.Reader) (*graph.Graph, error) { return ReadLimited(r, MaxSize) }

// ReadLimited is Read with a smaller bound on the decompressed size (the
// in-cluster CronJob reads its previous snapshot within its memory limit).
func ReadLimited(r io.Reader, max int64) (*graph.Graph, error) {
	g, _, err := readCounted(r, max)
	return g, err
}

// readCounted is ReadLimited that also returns how many bytes it
// decompressed.
func readCounted(r io.Reader, max int64) (_ *graph.Graph, n int64, err error) {
	zr, err := gzip.NewReader(bufio.NewReader(r))
	if err != nil {
		return nil, n, fmt.Errorf("not a kscan snapshot (not gzip): %w", err)
	}
	defer zr.Close()
	lr := &io.LimitedReader{R: zr, N: max + 1}
	defer func() { n = max + 1 - lr.N }()
	br := bufio.NewReader(lr)
	head, err := br.Peek(len(magic))
	if err != nil || !bytes.Equal(head, magic) {
		return nil, n, errors.New("not a kscan snapshot (no kscanSnapshot header)")
	}
	var f file
	dec := json.NewDecoder(br)
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil {
		if lr.N <= 0 {
			return nil, n, fmt.Errorf("snapshot is larger than %d MiB uncompressed", max>>20)
		}
		return nil, n, fmt.Errorf("reading snapshot: %w", err)
	}
	if f.Version < 1 || f.Version > Version {
		return nil, n, fmt.Errorf("snapshot format version %d is not supported by this kscan (reads up to %d); upgrade kscan", f.Version, Version)
	}
	g := graph.New()
	keys := map[string]string{}
	for i, n := range f.Nodes {
		if n == nil || n.ID == "" || n.Type == "" {
			return nil, 0, fmt.Errorf("snapshot node %d has no id or type", i)
		}
		n.Object, _ = graph.PlainNumbers(n.Object).(map[string]any)
		n.Attrs, _ = graph.PlainNumbers(n.Attrs).(map[string]any)
		if graph.IsK8s(n) {
			// A snapshot is an input like any file: what must not enter
			// the graph does not, whoever wrote it.
			meta, _ := n.Object["metadata"].(map[string]any)
			graph.StripServerFields(meta)
			graph.RedactSecretLooking(n.Object)
		}
		old := n.Key
		keys[old] = g.AddNode(n)
	}
	for _, e := range f.Edges {
		from, ok1 := keys[e.From]
		to, ok2 := keys[e.To]
		if ok1 && ok2 {
			g.AddEdge(from, to, e.Type)
		}
	}
	for _, e := range f.Errors {
		g.AddError(e)
	}
	return g, n, nil
}

// FormatName names this format where a format must be recorded (the
// in-cluster report writer's snapshot ConfigMap annotation).
const FormatName = "kscan.io/snapshot+json+gzip;v=1"

// ForCluster writes the part of g read from one cluster (nodes whose
// Source.Cluster is cluster, the edges between them and that cluster's input
// errors) as a snapshot. Its signature is policyreport.SnapshotFunc.
func ForCluster(g *graph.Graph, cluster string) ([]byte, string, error) {
	sub := graph.New()
	keys := map[string]string{}
	for _, n := range g.Nodes() {
		if n.Source.Cluster == cluster {
			c := *n
			keys[n.Key] = sub.AddNode(&c)
		}
	}
	for _, e := range g.Edges() {
		from, ok1 := keys[e.From]
		to, ok2 := keys[e.To]
		if ok1 && ok2 {
			sub.AddEdge(from, to, e.Type)
		}
	}
	for _, e := range g.Errors() {
		if e.Source.Cluster == cluster {
			sub.AddError(e)
		}
	}
	var buf bytes.Buffer
	if err := Write(&buf, sub); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), FormatName, nil
}
