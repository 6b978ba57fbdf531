package snapshot

import (
	"context"

	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/safefile"
)

// FileHandler lets a snapshot be given wherever kscan takes input paths
// (`kscan scan snap.kscan.gz`, `kscan who-can get secrets snap.kscan.gz`):
// it claims files that are snapshots and adds their nodes, with their
// original sources, to the graph. It is a manifest.FileClaimer.
type FileHandler struct{}

// Name implements manifest.FileClaimer.
func (FileHandler) Name() string { return "snapshot" }

// MatchFile implements manifest.FileClaimer by content.
func (FileHandler) MatchFile(path string) bool {
	f, err := safefile.Open(path) // any name is sniffed: never a FIFO or device
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, _ := f.Read(head)
	return IsSnapshot(head[:n])
}

// CollectFile implements manifest.FileClaimer. Nodes kscan derived when the
// snapshot was taken are left out: the scan derives them again.
func (FileHandler) CollectFile(ctx context.Context, path string, g *graph.Graph) error {
	f, err := safefile.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sg, err := Read(f)
	if err != nil {
		return err
	}
	for _, n := range sg.Nodes() {
		if n.Source.Kind == graph.SourceDerived {
			continue
		}
		c := *n
		g.AddNode(&c)
	}
	for _, e := range sg.Errors() {
		g.AddError(e)
	}
	return ctx.Err()
}
