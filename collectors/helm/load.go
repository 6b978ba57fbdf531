package helm

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/ignore"

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
func loadChart(path string, root *confine.Root) (*chart.Chart, error) {
	fi, err := root.Check(path)
	if err != nil {
		return nil, &fileError{Path: path, Err: err}
	}
	if !fi.IsDir() {
		data, err := safefile.ReadFile(path, loader.MaxDecompressedChartSize)
		if err != nil {
			return nil, &fileError{Path: path, Err: err}
		}
		return loader.LoadArchive(bytes.NewReader(data))
	}
	return loadDir(path, root)
}

// loadDir is loader.LoadDir (the same .helmignore rules, file size limit and
// file names) with the walk confined to root and symbolic link loops
// detected.
func loadDir(dir string, root *confine.Root) (*chart.Chart, error) {
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
	return loader.LoadFiles(files)
}
