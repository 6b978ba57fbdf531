package helm

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/ignore"

	"github.com/kscan-io/kscan/internal/budget"
	"github.com/kscan-io/kscan/internal/confine"
	"github.com/kscan-io/kscan/internal/safefile"
)

// fileError names the file of a chart that could not be loaded.
type fileError struct {
	Path string
	Err  error
}

func (e *fileError) Error() string { return e.Err.Error() }
func (e *fileError) Unwrap() error { return e.Err }

// maxHelmignore bounds a chart's .helmignore.
const maxHelmignore = 1 << 20

var utf8bom = []byte{0xEF, 0xBB, 0xBF}

// loadChart loads a chart directory or archive as loader.Load does, but
// every file is read through root: Helm's own loader follows symbolic links
// anywhere (files/env -> /proc/self/environ, then .Files.Get in a template's
// fail puts the runner's environment in the report).
//
// What the chart brings into memory (its files as read, its archives as
// decompressed) is charged to the scan's byte budget, as scanned files are:
// each chart is bounded by Helm's limit, many charts together by the scan's.
func loadChart(ctx context.Context, path string, root *confine.Root) (*chart.Chart, error) {
	fi, err := root.Check(path)
	if err != nil {
		return nil, &fileError{Path: path, Err: err}
	}
	if !fi.IsDir() {
		data, err := safefile.ReadFile(path, loader.MaxDecompressedChartSize)
		if err != nil {
			return nil, &fileError{Path: path, Err: err}
		}
		left := loader.MaxDecompressedChartSize
		if err := checkArchive(data, &left, 0); err != nil {
			return nil, &fileError{Path: path, Err: err}
		}
		if err := charge(ctx, int64(len(data))+loader.MaxDecompressedChartSize-left); err != nil {
			return nil, &fileError{Path: path, Err: err}
		}
		return loader.LoadArchive(bytes.NewReader(data))
	}
	return loadDir(ctx, path, root)
}

// charge takes n bytes from the scan's byte budget.
func charge(ctx context.Context, n int64) error {
	if !budget.Take(ctx, n) {
		return fmt.Errorf("not rendered: the scan's inputs together exceed its budget of %d MiB (files as read, chart and snapshot archives as decompressed)", budget.MaxScanBytes>>20)
	}
	return nil
}

// loadDir is loader.LoadDir (the same .helmignore rules, file size limit and
// file names) with the walk confined to root and symbolic link loops
// detected.
func loadDir(ctx context.Context, dir string, root *confine.Root) (*chart.Chart, error) {
	rules := ignore.Empty()
	ifile := filepath.Join(dir, ignore.HelmIgnore)
	if _, err := os.Lstat(ifile); err == nil {
		data, err := root.ReadFile(ifile, maxHelmignore)
		if err != nil {
			return nil, &fileError{Path: ifile, Err: err}
		}
		r, err := ignore.Parse(bytes.NewReader(data))
		if err != nil {
			return nil, &fileError{Path: ifile, Err: err}
		}
		rules = r
	}
	rules.AddDefaults()

	var files []*loader.BufferedFile
	seen := map[string]bool{}
	var walk func(p, n string) error
	walk = func(p, n string) error {
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return &fileError{Path: p, Err: err}
		}
		if seen[real] {
			return &fileError{Path: p, Err: errors.New("symbolic link loop")}
		}
		seen[real] = true
		defer delete(seen, real)
		entries, err := os.ReadDir(p)
		if err != nil {
			return &fileError{Path: p, Err: err}
		}
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		for _, name := range names {
			child := filepath.Join(p, name)
			cn := name
			if n != "" {
				cn = n + "/" + name
			}
			fi, err := os.Stat(child)
			if err == nil && rules.Ignore(cn, fi) {
				continue // ignored entries are never read, whatever they are
			}
			fi, err = root.Check(child)
			if err != nil {
				return &fileError{Path: child, Err: err}
			}
			if fi.IsDir() {
				if err := walk(child, cn); err != nil {
					return err
				}
				continue
			}
			if fi.Size() > loader.MaxDecompressedFileSize {
				return &fileError{Path: child, Err: fmt.Errorf("chart file is larger than the maximum file size %d", loader.MaxDecompressedFileSize)}
			}
			data, err := safefile.ReadFile(child, loader.MaxDecompressedFileSize)
			if err != nil {
				return &fileError{Path: child, Err: err}
			}
			files = append(files, &loader.BufferedFile{Name: cn, Data: bytes.TrimPrefix(data, utf8bom)})
		}
		return nil
	}
	if err := walk(dir, ""); err != nil {
		return nil, err
	}
	left := loader.MaxDecompressedChartSize
	var read int64
	for _, f := range files {
		read += int64(len(f.Data))
		if isArchive(f.Name) {
			if err := checkArchive(f.Data, &left, 0); err != nil {
				return nil, &fileError{Path: filepath.Join(dir, filepath.FromSlash(f.Name)), Err: err}
			}
		}
	}
	if err := charge(ctx, read+loader.MaxDecompressedChartSize-left); err != nil {
		return nil, &fileError{Path: dir, Err: err}
	}
	return loader.LoadFiles(files)
}

func isArchive(name string) bool {
	return strings.HasSuffix(name, ".tgz") || strings.HasSuffix(name, ".tar.gz")
}

// maxArchiveNesting bounds subchart archives inside subchart archives.
const maxArchiveNesting = 8

var errArchiveBudget = fmt.Errorf("chart archives decompress to more than %d MiB in total (subchart archives nested in subchart archives?)", loader.MaxDecompressedChartSize>>20)

// checkArchive charges every byte a chart archive and the subchart
// archives inside it decompress to against left, before Helm loads them:
// Helm's 100 MiB limit is per archive, so a small chart nesting archives
// in archives decompressed to gigabytes. Data that is not a gzip tar is
// left to Helm to report.
func checkArchive(data []byte, left *int64, depth int) error {
	if depth > maxArchiveNesting {
		return fmt.Errorf("subchart archives nested deeper than %d levels", maxArchiveNesting)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	tr := tar.NewReader(zr)
	for {
		hd, err := tr.Next()
		if err != nil {
			return nil // end, or Helm's error to report
		}
		if hd.Typeflag != tar.TypeReg {
			continue
		}
		if isArchive(hd.Name) {
			inner, err := io.ReadAll(io.LimitReader(tr, *left+1))
			*left -= int64(len(inner))
			if *left < 0 {
				return errArchiveBudget
			}
			if err != nil {
				return nil
			}
			if err := checkArchive(inner, left, depth+1); err != nil {
				return err
			}
			continue
		}
		n, _ := io.Copy(io.Discard, io.LimitReader(tr, *left+1))
		*left -= n
		if *left < 0 {
			return errArchiveBudget
		}
	}
}
