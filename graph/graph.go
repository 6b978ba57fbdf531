// Package graph is kscan's one model of everything it scans: typed nodes with
// a stable public identity, typed edges between them, and the input errors met
// while building it. Every collector writes into a Graph; every rule reads one.
package graph

import (
	"fmt"
	"slices"
	"sort"
	"sync"
)

// SourceKind says where a node was read from.
type SourceKind string

const (
	SourceFile          SourceKind = "file"
	SourceCluster       SourceKind = "cluster"
	SourcePulumiState   SourceKind = "pulumi-state"
	SourcePulumiPreview SourceKind = "pulumi-preview"
	SourceAWS           SourceKind = "aws"
	SourceRegistry      SourceKind = "registry"
	SourceDerived       SourceKind = "derived" // made by kscan itself, e.g. an image node
)

// Source is the physical location of a node: a file and line, a cluster and
// API path, or a Pulumi state file and URN.
type Source struct {
	Kind    SourceKind `json:"kind"`
	File    string     `json:"file,omitempty"`
	Line    int        `json:"line,omitempty"`
	Cluster string     `json:"cluster,omitempty"`
	Path    string     `json:"path,omitempty"`
	URN     string     `json:"urn,omitempty"`
	// UID is a live object's metadata.uid (the object itself loses it in
	// normalisation), for reports that reference objects (PolicyReports).
	UID string `json:"uid,omitempty"`
}

// String renders the source the way people read it: file:line, cluster path
// or URN.
func (s Source) String() string {
	switch {
	case s.File != "" && s.Line > 0:
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	case s.File != "":
		return s.File
	case s.Cluster != "" || s.Path != "":
		if s.Cluster == "" {
			return s.Path
		}
		return s.Cluster + s.Path
	case s.URN != "":
		return s.URN
	}
	return string(s.Kind)
}

// Node is one thing kscan knows about. Two sources describing the same thing
// (a Deployment in a file, in the cluster, in Pulumi state) give nodes with
// the same Type and Object shape; only Source differs, and for Pulumi state
// the ID is the URN.
type Node struct {
	// Key is unique within one graph. It equals ID unless two inputs declare
	// the same identity (e.g. overlays of one app), when a suffix tells them
	// apart.
	Key string `json:"key"`
	// ID is the public identity: <ns>/<Kind>/<name>, <Kind>/<name>, an ARN, a
	// URN or <host>/<repo>.
	ID string `json:"id"`
	// Type is what the node is, independent of its source, e.g.
	// "k8s:apps/Deployment", "aws:iam/Role", "registry:Repository".
	Type   string         `json:"type"`
	Object map[string]any `json:"object"`
	Source Source         `json:"source"`
	// Attrs holds facts computed in Go for rules (parsed policy documents,
	// resolved digests…), kept apart from the object as the source wrote it.
	Attrs map[string]any `json:"attrs,omitempty"`
	// Overlay is set on an object a Kustomize overlay's patches changed:
	// findings those patches caused point at them (not part of rule input).
	Overlay *Overlay `json:"-"`
	// Slim, with Object nil, is what stays of a Kubernetes object once the
	// rules' input holds it (policies.BuildInputSlim): read it through
	// K8sMeta, APIVersion, Annotations and PodImages.
	Slim *Slim `json:"-"`
}

// Overlay records how an overlay's patches changed an object.
type Overlay struct {
	// Patches are the patches that changed the object, in the order the
	// kustomization lists them.
	Patches []OverlayPatch
	// Unpatched is the object as the overlay builds it without its
	// patches (objects are shared: never change it).
	Unpatched map[string]any
}

// OverlayPatch is one patch that changed an object.
type OverlayPatch struct {
	// Source is the patch file and the line of its document, or the
	// kustomization's entry for an inline patch.
	Source Source
	// Without is the object built without this patch alone.
	Without map[string]any
}

// Edge types. Rules and docs refer to these names.
const (
	EdgeSelects     = "selects"      // Service -> workload
	EdgeRoutesTo    = "routes-to"    // Ingress -> Service
	EdgeRunsAs      = "runs-as"      // workload -> ServiceAccount
	EdgeGrants      = "grants"       // binding -> role
	EdgeBinds       = "binds"        // binding -> subject
	EdgeInNamespace = "in-namespace" // namespaced object -> Namespace
	EdgeProtects    = "protects"     // NetworkPolicy -> Namespace
	EdgeAssumes     = "assumes"      // ServiceAccount -> IAM role
	EdgeMemberOf    = "member-of"    // IAM user -> group
	EdgeHasPolicy   = "has-policy"   // IAM principal -> policy
	EdgeTrusts      = "trusts"       // IAM role -> trusted principal
	EdgeRunsImage   = "runs-image"   // workload -> image
	EdgeStoredIn    = "stored-in"    // image -> repository
	EdgeDeclares    = "declares"     // Pulumi resource -> live object
)

// Edge joins two nodes by key.
type Edge struct {
	From string `json:"from"`
	To   string `json:"to"`
	Type string `json:"type"`
}

// Severity of an input problem.
type Level string

const (
	LevelError   Level = "error"
	LevelWarning Level = "warning"
)

// InputError is an input that could not be read or understood, or a part of
// a source that could not be collected. Errors make the scan incomplete (exit
// code 2); warnings are reported but do not.
type InputError struct {
	Level    Level  `json:"level"`
	Source   Source `json:"source"`
	Resource string `json:"resource,omitempty"`
	Message  string `json:"message"`
}

func (e InputError) Error() string {
	loc := e.Source.String()
	if e.Resource != "" {
		if loc != "" && loc != string(e.Source.Kind) {
			loc += " (" + e.Resource + ")"
		} else {
			loc = e.Resource
		}
	}
	if loc == "" {
		return e.Message
	}
	return loc + ": " + e.Message
}

// Graph is safe for concurrent writes by collectors; reads happen after
// Freeze.
type Graph struct {
	mu     sync.Mutex
	nodes  map[string]*Node
	edges  map[Edge]struct{}
	errors []InputError
	// sorted caches Nodes' order until the next AddNode: rules, enrichers
	// and the input builder each ask for it on graphs of many thousands.
	sorted []*Node
	// versions holds each cluster's Kubernetes version (SetKubeVersion).
	versions clusterVersions
}

// New returns an empty graph.
func New() *Graph {
	return &Graph{nodes: map[string]*Node{}, edges: map[Edge]struct{}{}}
}

// AddNode inserts n and returns the key it was stored under. A second node
// with an ID already present gets a key suffixed with its source, so both are
// scanned and reported under the same public identity.
func (g *Graph) AddNode(n *Node) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := n.ID
	if _, dup := g.nodes[key]; dup {
		base := n.ID + "@" + n.Source.String()
		key = base
		for i := 2; ; i++ {
			if _, dup := g.nodes[key]; !dup {
				break
			}
			key = fmt.Sprintf("%s#%d", base, i)
		}
	}
	n.Key = key
	g.nodes[key] = n
	g.sorted = nil
	return key
}

// AddEdge records an edge between two node keys. Duplicate edges collapse.
func (g *Graph) AddEdge(from, to, typ string) {
	g.mu.Lock()
	g.edges[Edge{From: from, To: to, Type: typ}] = struct{}{}
	g.mu.Unlock()
}

// AddError records an input problem.
func (g *Graph) AddError(e InputError) {
	if e.Level == "" {
		e.Level = LevelError
	}
	g.mu.Lock()
	g.errors = append(g.errors, e)
	g.mu.Unlock()
}

// Node returns the node stored under key.
func (g *Graph) Node(key string) (*Node, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	n, ok := g.nodes[key]
	return n, ok
}

// Nodes returns every node sorted by key, so that everything derived from a
// graph is deterministic.
func (g *Graph) Nodes() []*Node {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.sorted == nil {
		g.sorted = make([]*Node, 0, len(g.nodes))
		for _, n := range g.nodes {
			g.sorted = append(g.sorted, n)
		}
		sort.Slice(g.sorted, func(i, j int) bool { return g.sorted[i].Key < g.sorted[j].Key })
	}
	return slices.Clone(g.sorted)
}

// Len is the number of nodes.
func (g *Graph) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.nodes)
}

// Edges returns every edge sorted by (from, type, to).
func (g *Graph) Edges() []Edge {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]Edge, 0, len(g.edges))
	for e := range g.edges {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.From != b.From {
			return a.From < b.From
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.To < b.To
	})
	return out
}

// Errors returns input problems sorted by source, then message.
func (g *Graph) Errors() []InputError {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := append([]InputError(nil), g.errors...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Source.File != b.Source.File {
			return a.Source.File < b.Source.File
		}
		if a.Source.Line != b.Source.Line {
			return a.Source.Line < b.Source.Line
		}
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		return a.Message < b.Message
	})
	return out
}

// Incomplete reports whether any input error (not warning) was recorded.
func (g *Graph) Incomplete() bool {
	for _, e := range g.Errors() {
		if e.Level == LevelError {
			return true
		}
	}
	return false
}

// Clone returns a copy that enrichers can change without touching g: the
// nodes are new structs with their own Attrs maps (objects are shared and
// must not be changed), edges, errors and cluster versions are copied.
func (g *Graph) Clone() *Graph {
	g.mu.Lock()
	out := New()
	for k, n := range g.nodes {
		c := *n
		if n.Attrs != nil {
			c.Attrs = make(map[string]any, len(n.Attrs))
			for a, v := range n.Attrs {
				c.Attrs[a] = v
			}
		}
		out.nodes[k] = &c
	}
	for e := range g.edges {
		out.edges[e] = struct{}{}
	}
	out.errors = append(out.errors, g.errors...)
	g.mu.Unlock()
	g.versions.mu.Lock()
	for c, v := range g.versions.m {
		out.SetKubeVersion(c, v)
	}
	g.versions.mu.Unlock()
	return out
}
