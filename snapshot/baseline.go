package snapshot

import (
	"bytes"
	"context"
	"fmt"

	"github.com/kscan-io/kscan/baseline"
	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/safefile"
	"github.com/kscan-io/kscan/rbac"
)

// BaselineFormat lets `kscan scan --baseline FILE` take a snapshot: the
// snapshot's graph is evaluated with the same rules as the scan, and its
// findings are the baseline. Register it after baseline.DefaultFormats().
type BaselineFormat struct {
	// Evaluate runs the scan's rules on the snapshot's graph.
	Evaluate func(ctx context.Context, g *graph.Graph) ([]finding.Finding, error)
}

var _ baseline.Format = BaselineFormat{}

// Name implements baseline.Format.
func (BaselineFormat) Name() string { return "snapshot" }

// Detect implements baseline.Format.
func (BaselineFormat) Detect(data []byte) bool { return IsSnapshot(data) }

// Parse implements baseline.Format.
func (f BaselineFormat) Parse(ctx context.Context, path string, data []byte) (*baseline.Baseline, error) {
	g, err := Read(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if f.Evaluate == nil {
		return nil, fmt.Errorf("%s: snapshot baselines need an evaluator", path)
	}
	fs, err := f.Evaluate(ctx, g)
	if err != nil {
		return nil, fmt.Errorf("%s: evaluating the snapshot: %w", path, err)
	}
	return &baseline.Baseline{Findings: fs}, nil
}

// CollectReference adds the RBAC objects of the snapshot at path (when
// path is a snapshot; anything else, e.g. a SARIF baseline, is left to the
// baseline post-processor) to the scanned graph as the "baseline" RBAC
// reference, so rbac/drift reports what changed since the snapshot. It has
// the shape of every collector (scan.CollectFunc, asserted in scan's tests:
// post-processing packages do not import the pipeline).
func CollectReference(ctx context.Context, path string, g *graph.Graph) error {
	if path == "" {
		return nil
	}
	fh, err := safefile.Open(path)
	if err != nil {
		return nil // the baseline post-processor reports unreadable files
	}
	defer fh.Close()
	head := make([]byte, 64<<10)
	n, _ := fh.Read(head)
	if !IsSnapshot(head[:n]) {
		return nil
	}
	if _, err := fh.Seek(0, 0); err != nil {
		return err
	}
	sg, err := Read(fh)
	if err != nil {
		g.AddError(graph.InputError{Source: graph.Source{Kind: graph.SourceFile, File: path}, Message: err.Error()})
		return nil
	}
	rbac.AddReference(g, rbac.RefBaseline, LiveNodes(sg))
	return nil
}

// LiveNodes are the nodes of a graph that describe the scanned estate
// (not Pulumi declarations and not nodes kscan derived).
func LiveNodes(g *graph.Graph) []*graph.Node {
	var out []*graph.Node
	for _, n := range g.Nodes() {
		switch n.Source.Kind {
		case graph.SourcePulumiState, graph.SourcePulumiPreview, graph.SourceDerived:
			continue
		}
		out = append(out, n)
	}
	return out
}
