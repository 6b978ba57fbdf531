package graph

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// MergeFileDuplicates makes an object declared in two files (the same
// identity and the same content, e.g. one manifest copied into two
// directories, or a base included twice) one node, kept at the first place in
// file order, with a warning naming every place: otherwise each copy would
// be reported again. Of declarations with different content only the last
// in file order is kept, with a warning naming every place (kubectl apply -f
// leaves the last). Nodes from clusters, state or derived are never merged: the same
// identity there is a different fact (drift, declared vs running). It
// returns the number of nodes removed. Call it after collection and before
// edges are derived.
func (g *Graph) MergeFileDuplicates() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	byID := map[string][]*Node{}
	for _, n := range g.nodes {
		if n.Source.Kind == SourceFile && IsK8s(n) {
			byID[n.Type+"\x00"+n.ID] = append(byID[n.Type+"\x00"+n.ID], n)
		}
	}
	removed := 0
	for _, ns := range byID {
		if len(ns) < 2 {
			continue
		}
		sort.Slice(ns, func(i, j int) bool { return sourceLess(ns[i].Source, ns[j].Source) })
		// Group identical content; the first of each group is kept.
		var kept []*Node
		merged := map[*Node][]string{}
		for _, n := range ns {
			same := false
			for _, k := range kept {
				if reflect.DeepEqual(k.Object, n.Object) {
					merged[k] = append(merged[k], n.Source.String())
					delete(g.nodes, n.Key)
					removed++
					same = true
					break
				}
			}
			if !same {
				kept = append(kept, n)
			}
		}
		for _, k := range kept {
			if others := merged[k]; len(others) > 0 {
				g.errors = append(g.errors, InputError{Level: LevelWarning, Source: k.Source, Resource: k.ID, Message: fmt.Sprintf(
					"declared again with the same content at %s; scanned once, here", strings.Join(others, ", "))})
			}
		}
		if len(kept) > 1 {
			// Different content under one identity: kubectl apply -f leaves
			// the last one in file order, so that is what is scanned (two
			// nodes would give every finding twice under one identity).
			places := make([]string, len(kept))
			for i, k := range kept {
				places[i] = k.Source.String()
			}
			last := kept[len(kept)-1]
			for _, k := range kept[:len(kept)-1] {
				delete(g.nodes, k.Key)
				removed++
			}
			g.errors = append(g.errors, InputError{Level: LevelWarning, Source: last.Source, Resource: last.ID, Message: fmt.Sprintf(
				"declared %d times with different content (%s); scanned as declared last, as kubectl apply -f would leave it", len(kept), strings.Join(places, ", "))})
		}
	}
	if removed > 0 {
		// The survivor of a merge may carry a suffixed key ("id@file:line")
		// only because its twin was added first.
		g.stableKeys()
	}
	return removed
}

func sourceLess(a, b Source) bool {
	if a.File != b.File {
		return a.File < b.File
	}
	return a.Line < b.Line
}

// StableKeys gives the nodes that share an id keys that do not depend on
// the order they were added in: collectors read files in parallel, and the
// first node added under an id takes the plain key. Of the nodes of one id,
// the one whose source sorts first (then its type, then its object) gets
// the id as its key, the others "id@source". Edges follow their nodes. Run
// it once collection is done (scan.Collect does).
func (g *Graph) StableKeys() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stableKeys()
}

func (g *Graph) stableKeys() {
	dup := false
	for key, n := range g.nodes {
		if key != n.ID {
			dup = true
			break
		}
	}
	if !dup {
		return // every key is its node's id already: no id is shared
	}
	byID := map[string][]*Node{}
	for _, n := range g.nodes {
		byID[n.ID] = append(byID[n.ID], n)
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	nodes := make(map[string]*Node, len(g.nodes))
	renamed := map[string]string{}
	take := func(n *Node, base string) {
		key := base
		for i := 2; ; i++ {
			if _, taken := nodes[key]; !taken {
				break
			}
			key = fmt.Sprintf("%s#%d", base, i)
		}
		if key != n.Key {
			renamed[n.Key] = key
			n.Key = key
		}
		nodes[key] = n
	}
	for _, id := range ids {
		ns := byID[id]
		sort.Slice(ns, func(i, j int) bool { return nodeLess(ns[i], ns[j]) })
		for i, n := range ns {
			if i == 0 {
				take(n, id)
			} else {
				take(n, id+"@"+n.Source.String())
			}
		}
	}
	g.nodes, g.sorted = nodes, nil
	if len(renamed) == 0 {
		return
	}
	edges := make(map[Edge]struct{}, len(g.edges))
	for e := range g.edges {
		if k, ok := renamed[e.From]; ok {
			e.From = k
		}
		if k, ok := renamed[e.To]; ok {
			e.To = k
		}
		edges[e] = struct{}{}
	}
	g.edges = edges
}

// nodeLess orders the nodes of one id: by source, then type, then object.
func nodeLess(a, b *Node) bool {
	if sa, sb := a.Source.String(), b.Source.String(); sa != sb {
		return sa < sb
	}
	if a.Type != b.Type {
		return a.Type < b.Type
	}
	ja, _ := json.Marshal(a.Object)
	jb, _ := json.Marshal(b.Object)
	return string(ja) < string(jb)
}
