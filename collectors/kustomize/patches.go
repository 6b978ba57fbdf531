package kustomize

import (
	"bytes"
	"context"
	"path/filepath"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
)

// An overlay's patches: which objects each one changed, found by building
// the overlay again without them (kustomize records no such thing), so
// that a finding the patch caused can point at the patch, with the base
// as a related location (PatchLocations).

// patchFields are the kustomization fields that patch objects.
var patchFields = []string{"patches", "patchesStrategicMerge", "patchesJson6902"}

// maxAttributed bounds the builds spent telling patches apart (one per
// patch); beyond it, a changed object is attributed to every patch.
const maxAttributed = 16

// patchEntry is one patch of the kustomization being built.
type patchEntry struct {
	field string
	index int
	line  int    // of the entry in the kustomization
	path  string // the patch file; "" for an inline patch
}

// rootPatches lists the patches of a kustomization file.
func rootPatches(kfile string, data []byte) []patchEntry {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	top := doc.Content[0]
	dir := filepath.Dir(kfile)
	var out []patchEntry
	for i := 0; i+1 < len(top.Content); i += 2 {
		field := top.Content[i].Value
		if !contains(patchFields, field) {
			continue
		}
		for j, e := range seqOrOne(top.Content[i+1]) {
			pe := patchEntry{field: field, index: j, line: e.Line}
			var p *yaml.Node
			switch {
			case e.Kind == yaml.ScalarNode && !bytes.ContainsRune([]byte(e.Value), '\n'):
				p = e // patchesStrategicMerge: a path
			case e.Kind == yaml.MappingNode:
				p = manifest.MappingValue(e, "path")
			}
			if p != nil && p.Value != "" && !isRemote(p.Value) {
				pe.path = filepath.Join(dir, p.Value)
				if filepath.IsAbs(p.Value) {
					pe.path = p.Value
				}
			}
			out = append(out, pe)
		}
	}
	return out
}

// yamlByID renders every object of a build, without kustomize's
// annotations, by current identity.
func yamlByID(m resmap.ResMap) map[string][]byte {
	out := map[string][]byte{}
	for _, r := range m.Resources() {
		c := r.DeepCopy()
		_ = c.SetOrigin(nil)
		y, err := c.AsYAML()
		if err == nil {
			out[r.CurId().String()] = y
		}
	}
	return out
}

// overlayPatches builds the kustomization again without its own patches
// (and, for more than one, without each in turn) and returns, by object
// identity, what the patches changed.
func (h *Handler) overlayPatches(ctx context.Context, fs filesys.FileSystem, kfile, abs string, full resmap.ResMap) map[string]*graph.Overlay {
	data, err := fs.ReadFile(kfile)
	if err != nil {
		return nil
	}
	entries := rootPatches(kfile, data)
	if len(entries) == 0 {
		return nil
	}
	build := func(drop func(patchEntry) bool) map[string][]byte {
		ofs := &originFS{FileSystem: fs, root: kfile, drop: func(field string, i int) bool {
			return drop(patchEntry{field: field, index: i})
		}}
		var (
			m   resmap.ResMap
			err error
		)
		if !buildWithin(ctx, func() { m, _, err = runCapturing(krusty.MakeKustomizer(krusty.MakeDefaultOptions()), ofs, abs) }) || err != nil {
			return nil
		}
		return yamlByID(m)
	}
	fullY := yamlByID(full)
	noneY := build(func(patchEntry) bool { return true })
	if noneY == nil {
		return nil
	}
	changed := map[string][]int{} // id -> entries that changed it
	withoutY := map[int]map[string][]byte{}
	for id, y := range fullY {
		if u, ok := noneY[id]; ok && !bytes.Equal(u, y) {
			changed[id] = nil
		}
	}
	if len(changed) == 0 {
		return nil
	}
	if len(entries) > 1 && len(entries) <= maxAttributed {
		for i, e := range entries {
			without := build(func(d patchEntry) bool { return d.field == e.field && d.index == e.index })
			withoutY[i] = without
			for id := range changed {
				if u, ok := without[id]; ok && !bytes.Equal(u, fullY[id]) {
					changed[id] = append(changed[id], i)
				}
			}
		}
	}
	parsed := map[string]*graph.Graph{}
	out := map[string]*graph.Overlay{}
	for id, idx := range changed {
		if len(idx) == 0 { // one patch, overlapping patches, or too many to tell
			for i := range entries {
				idx = append(idx, i)
			}
		}
		parse := func(y []byte) *graph.Node {
			tmp := graph.New()
			manifest.ParseIntoContext(ctx, y, graph.Source{Kind: graph.SourceFile}, h.opts.DefaultNamespace, tmp)
			if nodes := tmp.Nodes(); len(nodes) == 1 {
				return nodes[0]
			}
			return nil
		}
		unpatched := parse(noneY[id])
		if unpatched == nil {
			continue
		}
		ov := &graph.Overlay{Unpatched: unpatched.Object}
		for _, i := range idx {
			without := unpatched.Object
			if y, ok := withoutY[i][id]; ok && len(idx) > 1 {
				if n := parse(y); n != nil {
					without = n.Object
				}
			}
			e := entries[i]
			src := graph.Source{Kind: graph.SourceFile, File: h.rel(kfile), Line: e.line}
			if e.path != "" {
				src = graph.Source{Kind: graph.SourceFile, File: h.rel(e.path), Line: lineIn(ctx, e.path, unpatched, h.opts.DefaultNamespace, parsed)}
				if src.Line == 0 {
					src.Line = 1
				}
			}
			ov.Patches = append(ov.Patches, graph.OverlayPatch{Source: src, Without: without})
		}
		out[id] = ov
	}
	return out
}

// PatchLocations is a post-processor (scan.PostProcessor): a finding on an
// object an overlay's patches changed, that the object without those
// patches does not have, was caused by a patch; it is reported at the
// patch (overlay file and line), with the object's base declaration as a
// related location ("<resource> (base)"). Evaluate runs the scan's rules
// on a graph (the graph with the unpatched objects).
type PatchLocations struct {
	Evaluate func(ctx context.Context, g *graph.Graph) ([]finding.Finding, error)
}

// Name implements scan.PostProcessor.
func (PatchLocations) Name() string { return "kustomize patch locations" }

// Process implements scan.PostProcessor.
func (p PatchLocations) Process(ctx context.Context, g *graph.Graph, r *finding.Report) error {
	type at struct {
		id  string
		loc finding.Location
	}
	patched := map[at]*graph.Node{}
	for _, n := range g.Nodes() {
		if n.Overlay != nil {
			patched[at{n.ID, finding.LocationOf(n.Source)}] = n
		}
	}
	if len(patched) == 0 || p.Evaluate == nil || len(r.Findings) == 0 {
		return nil
	}
	base := g.Clone()
	for _, n := range patched {
		if c, ok := base.Node(n.Key); ok {
			c.Object = n.Overlay.Unpatched
			c.Overlay = nil
		}
	}
	fingerprints := func(g *graph.Graph) (map[string]bool, error) {
		fs, err := p.Evaluate(ctx, g)
		if err != nil {
			return nil, err
		}
		out := map[string]bool{}
		for _, f := range fs {
			out[f.Fingerprint] = true
		}
		return out, nil
	}
	existed, err := fingerprints(base)
	if err != nil {
		return err
	}
	// Findings the patches caused, on their objects.
	caused := map[int]*graph.Node{}
	most := 0
	for i, f := range r.Findings {
		n := patched[at{f.Resource, f.Location}]
		if n == nil || existed[f.Fingerprint] || len(n.Overlay.Patches) == 0 {
			continue
		}
		caused[i] = n
		most = max(most, len(n.Overlay.Patches))
	}
	if len(caused) == 0 {
		return nil
	}
	// Which patch: the first whose removal alone makes the finding go
	// (one evaluation per patch position); else the first patch.
	cause := map[int]int{}
	for k := 0; k < most && most > 1; k++ {
		without := g.Clone()
		for _, n := range patched {
			if len(n.Overlay.Patches) > k {
				if c, ok := without.Node(n.Key); ok {
					c.Object = n.Overlay.Patches[k].Without
					c.Overlay = nil
				}
			}
		}
		fps, err := fingerprints(without)
		if err != nil {
			return err
		}
		for i, n := range caused {
			if _, done := cause[i]; !done && len(n.Overlay.Patches) > k && !fps[r.Findings[i].Fingerprint] {
				cause[i] = k
			}
		}
	}
	for i, n := range caused {
		f := &r.Findings[i]
		rel := f.Resource + " (base)"
		f.Related = append(f.Related, rel)
		if f.RelatedLocations == nil {
			f.RelatedLocations = map[string]finding.Location{}
		}
		f.RelatedLocations[rel] = f.Location
		f.Location = finding.LocationOf(n.Overlay.Patches[cause[i]].Source)
	}
	return nil
}
