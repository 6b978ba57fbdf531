// Package export writes a graph, or a part of it, for other tools: JSON (a
// documented schema, docs/graph.schema.json), Graphviz DOT, GraphML (Gephi,
// yEd, networkx) and Mermaid. A node is its key, public id, type, source
// and a short label; objects are never written, so neither are Secret
// values nor environment variables.
package export

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kscan-io/kscan/graph"
)

// Version is the version of the JSON format ("kscanGraph").
const Version = 1

// Formats are the output formats.
var Formats = []string{"json", "dot", "graphml", "mermaid"}

// Node is a node as exported.
type Node struct {
	Key       string `json:"key"`
	ID        string `json:"id"`
	Type      string `json:"type"`
	Label     string `json:"label"`
	Namespace string `json:"namespace,omitempty"`
	// Source is where the node was read: file:line, cluster path, URN, or
	// "derived" for nodes kscan made.
	Source     string `json:"source"`
	SourceKind string `json:"sourceKind"`
}

// Edge is an edge as exported.
type Edge = graph.Edge

// Graph is what is exported.
type Graph struct {
	Version int    `json:"kscanGraph"`
	Nodes   []Node `json:"nodes"`
	Edges   []Edge `json:"edges"`
}

// Options selects part of a graph. Zero values select everything.
type Options struct {
	// From lists node keys or public ids; with them, only nodes at most
	// Depth edges away (either direction) are kept.
	From  []string
	Depth int
	// Types keeps nodes whose type is one of these, either in full
	// ("k8s:apps/Deployment") or by the part after the last slash
	// ("Deployment"); the From nodes are kept whatever their type.
	Types []string
	// Namespaces keeps Kubernetes nodes in these namespaces (and the
	// From nodes).
	Namespaces []string
}

// Select returns the part of g the options ask for, sorted by key, with the
// edges between kept nodes.
func Select(g *graph.Graph, opts Options) (*Graph, error) {
	nodes := g.Nodes()
	byKey := make(map[string]*graph.Node, len(nodes))
	byID := map[string][]string{}
	for _, n := range nodes {
		byKey[n.Key] = n
		byID[n.ID] = append(byID[n.ID], n.Key)
	}
	edges := g.Edges()
	keep := map[string]bool{}
	start := map[string]bool{}
	if len(opts.From) > 0 {
		for _, f := range opts.From {
			if _, ok := byKey[f]; ok {
				start[f] = true
				continue
			}
			keys := byID[f]
			if len(keys) == 0 {
				return nil, fmt.Errorf("--from %s: no node has this key or id (kscan graph --format json lists them)", f)
			}
			for _, k := range keys {
				start[k] = true
			}
		}
		adj := map[string][]string{}
		for _, e := range edges {
			adj[e.From] = append(adj[e.From], e.To)
			adj[e.To] = append(adj[e.To], e.From)
		}
		frontier := make([]string, 0, len(start))
		for k := range start {
			keep[k] = true
			frontier = append(frontier, k)
		}
		for d := 0; d < opts.Depth && len(frontier) > 0; d++ {
			var next []string
			for _, k := range frontier {
				for _, o := range adj[k] {
					if !keep[o] {
						keep[o] = true
						next = append(next, o)
					}
				}
			}
			frontier = next
		}
	} else {
		for _, n := range nodes {
			keep[n.Key] = true
		}
	}
	types := map[string]bool{}
	for _, t := range opts.Types {
		types[t] = true
	}
	nss := map[string]bool{}
	for _, ns := range opts.Namespaces {
		nss[ns] = true
	}
	out := &Graph{Version: Version, Nodes: []Node{}, Edges: []Edge{}}
	kept := map[string]bool{}
	for _, n := range nodes {
		if !keep[n.Key] {
			continue
		}
		node := toNode(n)
		if !start[n.Key] {
			if len(types) > 0 && !types[n.Type] && !types[shortType(n.Type)] {
				continue
			}
			if len(nss) > 0 && !nss[node.Namespace] {
				continue
			}
		}
		kept[n.Key] = true
		out.Nodes = append(out.Nodes, node)
	}
	for _, e := range edges {
		if kept[e.From] && kept[e.To] {
			out.Edges = append(out.Edges, e)
		}
	}
	return out, nil
}

func toNode(n *graph.Node) Node {
	out := Node{Key: n.Key, ID: n.ID, Type: n.Type, Source: n.Source.String(), SourceKind: string(n.Source.Kind)}
	if graph.IsK8s(n) {
		kind, ns, name := graph.K8sMeta(n)
		out.Namespace = ns
		if ns != "" {
			out.Label = kind + " " + ns + "/" + name
		} else {
			out.Label = kind + " " + name
		}
		return out
	}
	// ARNs, URNs and image references: the type's last part and the last
	// part of the id ("Role ops", "Image docker.io/library/nginx:1.27").
	id := n.ID
	if i := strings.LastIndexAny(id, ":"); i >= 0 && strings.HasPrefix(id, "arn:") {
		id = id[i+1:]
	}
	if strings.HasPrefix(id, "urn:pulumi:") {
		if i := strings.LastIndex(id, "::"); i >= 0 {
			id = id[i+2:]
		}
	}
	out.Label = shortType(n.Type) + " " + id
	return out
}

// shortType is the last part of a type: "Deployment" of
// "k8s:apps/Deployment", "Image" of "registry:Image".
func shortType(t string) string { return t[strings.LastIndexAny(t, "/:")+1:] }

// sortedNodes is a convenience for writers that want a stable order.
func sortedNodes(g *Graph) []Node {
	ns := append([]Node(nil), g.Nodes...)
	sort.Slice(ns, func(i, j int) bool { return ns[i].Key < ns[j].Key })
	return ns
}
