package snapshot

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"

	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/budget"
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
	// What a snapshot decompresses to counts against the scan's byte
	// budget, and one snapshot may take at most MaxScanSize of it: a 10 MB
	// file of any name could otherwise inflate to gigabytes.
	// Its size is measured first, by decompressing to nowhere: the JSON
	// decoder buffers what it reads and grows its buffer by doubling, so
	// stopping it at the limit would already cost twice the limit.
	limit := min(MaxScanSize, budget.Remaining(ctx))
	if size, err := decompressedSize(f, limit); err != nil {
		return err
	} else if size > limit {
		return fmt.Errorf("snapshot is larger than %d MiB uncompressed: a snapshot given to a scan may decompress to at most %d MiB, and all inputs of the scan together to %d MiB", limit>>20, MaxScanSize>>20, budget.MaxScanBytes>>20)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	sg, n, err := readCounted(f, limit)
	if err != nil {
		return err
	}
	budget.Take(ctx, n)
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

// decompressedSize is how many bytes r decompresses to, counted up to
// limit+1.
func decompressedSize(r io.Reader, limit int64) (int64, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return 0, fmt.Errorf("not a kscan snapshot (not gzip): %w", err)
	}
	defer zr.Close()
	n, err := io.Copy(io.Discard, io.LimitReader(zr, limit+1))
	if err != nil {
		return n, fmt.Errorf("reading snapshot: %w", err)
	}
	return n, nil
}
