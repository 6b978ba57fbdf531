// Package manifest collects Kubernetes objects from files, directories and
// standard input: YAML (multi-document), JSON, and List kinds, with the line
// each object starts on. Files whose content another collector recognises
// (IAM exports, Pulumi state…) are handed to that collector's ContentHandler.
package manifest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/kscan-io/kscan/glob"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/budget"
	"github.com/kscan-io/kscan/internal/confine"
	"github.com/kscan-io/kscan/internal/fastyaml"
	"github.com/kscan-io/kscan/internal/relpath"
	"github.com/kscan-io/kscan/internal/safefile"
)

// DefaultMaxFileSize bounds one input file; a larger one is an input error,
// not a reason to run out of memory.
const DefaultMaxFileSize = 32 << 20

// StdinName is how standard input is named in locations.
const StdinName = "<stdin>"

// ContentHandler lets another collector claim a file by its content (e.g. the
// JSON of `aws iam get-account-authorization-details`). Handlers are passed in
// explicitly by the caller; the first whose Match returns true gets the file.
type ContentHandler interface {
	// Name is used in messages.
	Name() string
	// Match sniffs the file cheaply; data is the whole file.
	Match(path string, data []byte) bool
	// Collect parses data into g, recording input errors in g.
	Collect(ctx context.Context, path string, data []byte, g *graph.Graph) error
}

// DirHandler claims a whole directory (a Helm chart, a kustomization) instead
// of walking it file by file.
type DirHandler interface {
	Name() string
	MatchDir(dir string) bool
	CollectDir(ctx context.Context, dir string, g *graph.Graph) error
}

// FileClaimer claims single files by name or a cheap look at them before
// they are parsed: a packaged Helm chart (binary, never parsed as YAML; a
// DirHandler may also be a FileClaimer) or a kscan snapshot (Options.FileClaimers).
type FileClaimer interface {
	Name() string
	MatchFile(path string) bool
	CollectFile(ctx context.Context, path string, g *graph.Graph) error
}

// fileClaimers are the DirHandlers that also claim files, then
// opts.FileClaimers, in the order they are asked.
func fileClaimers(opts Options) []FileClaimer {
	var out []FileClaimer
	for _, h := range opts.DirHandlers {
		if fc, ok := h.(FileClaimer); ok {
			out = append(out, fc)
		}
	}
	return append(out, opts.FileClaimers...)
}

// claims is true when a handler claims path as a file.
func claims(path string, opts Options) bool {
	for _, fc := range fileClaimers(opts) {
		if fc.MatchFile(path) {
			return true
		}
	}
	return false
}

// claimFile hands path to the first handler that claims it as a file.
func claimFile(ctx context.Context, path string, opts Options, g *graph.Graph) bool {
	for _, fc := range fileClaimers(opts) {
		if fc.MatchFile(path) {
			if err := fc.CollectFile(ctx, path, g); err != nil {
				g.AddError(graph.InputError{Source: graph.Source{Kind: graph.SourceFile, File: rel(opts.BaseDir, path)}, Message: fc.Name() + ": " + err.Error()})
			}
			return true
		}
	}
	return false
}

// Options configures a collection.
type Options struct {
	Paths            []string // files, directories, or "-" for stdin
	DefaultNamespace string
	MaxFileSize      int64
	Handlers         []ContentHandler
	DirHandlers      []DirHandler
	// FileClaimers claim single files (after the DirHandlers that do).
	FileClaimers []FileClaimer
	Stdin        io.Reader
	// BaseDir makes recorded file paths relative to it (default: the working
	// directory), so reports are the same wherever the repository is checked out.
	BaseDir string
	// SkipDirs and SkipFiles are glob patterns (package glob: * crosses
	// slashes) of directories and files the walk leaves out, matched against
	// the base name, the path below the walked directory and the path as
	// reported. Explicitly named files are never skipped.
	SkipDirs, SkipFiles []string
	// FollowSymlinks reads symbolic links that point outside the scanned
	// root (--follow-symlinks, for a trusted tree).
	FollowSymlinks bool
}

// skipped reports whether p, found while walking root, matches a pattern.
func skipped(patterns []string, root, p string, opts Options) bool {
	if len(patterns) == 0 {
		return false
	}
	below, err := filepath.Rel(root, p)
	if err != nil {
		below = p
	}
	names := []string{filepath.Base(p), filepath.ToSlash(below), rel(opts.BaseDir, p)}
	for _, pat := range patterns {
		pat = strings.TrimSuffix(filepath.ToSlash(pat), "/")
		pat = strings.TrimPrefix(pat, "./")
		for _, n := range names {
			if glob.Match(pat, n) {
				return true
			}
		}
	}
	return false
}

// Collect reads every input into g. Problems with one input are recorded in g
// as input errors and never stop the others. The returned error is only for
// cancellation.
func Collect(ctx context.Context, opts Options, g *graph.Graph) error {
	// One alias budget for the whole collection, Helm and Kustomize output
	// included (their handlers get it through ctx): the per-document limit
	// alone let 200 small alias bombs exhaust memory together.
	ctx = WithAliasBudget(ctx)
	// And one byte budget: files as read, snapshots as decompressed.
	ctx = budget.With(ctx)
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.BaseDir == "" {
		opts.BaseDir, _ = os.Getwd()
	}
	var files []string
	for _, p := range opts.Paths {
		if p == "-" {
			files = append(files, "-")
			continue
		}
		src := graph.Source{Kind: graph.SourceFile, File: rel(opts.BaseDir, p)}
		root, fi, err := rootFor(p, opts)
		if err != nil {
			g.AddError(graph.InputError{Source: src, Message: "cannot read: " + safefile.Reason(err)})
			continue
		}
		rctx := confine.WithRoot(ctx, root)
		if !fi.IsDir() {
			if !fi.Mode().IsRegular() {
				g.AddError(graph.InputError{Source: src, Message: "cannot read: " + notRegular(fi.Mode()) + "; give - to read a pipe"})
				continue
			}
			if !claimFile(rctx, p, opts, g) {
				files = append(files, p)
			}
			continue
		}
		walked, err := walk(rctx, p, root, opts, g)
		if err != nil {
			return err
		}
		files = append(files, walked...)
	}
	aliases := AliasBudget(ctx)
	jobs := make(chan string)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			strs := &fastyaml.Strings{}
			for p := range jobs {
				collectFile(ctx, p, opts, g, strs, aliases)
			}
		}()
	}
	for _, f := range files {
		select {
		case jobs <- f:
		case <-ctx.Done():
			close(jobs)
			wg.Wait()
			return ctx.Err()
		}
	}
	close(jobs)
	wg.Wait()
	return ctx.Err()
}

// walk lists the manifest files below dir in lexical order, skipping hidden
// directories. Directories claimed by a DirHandler are collected whole.
func walk(ctx context.Context, root string, confined *confine.Root, opts Options, g *graph.Graph) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if err != nil {
			g.AddError(graph.InputError{Source: graph.Source{Kind: graph.SourceFile, File: rel(opts.BaseDir, p)}, Message: "cannot read: " + safefile.Reason(err)})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != root && (strings.HasPrefix(d.Name(), ".") || skipped(opts.SkipDirs, root, p, opts)) {
				return fs.SkipDir
			}
			for _, h := range opts.DirHandlers {
				if h.MatchDir(p) {
					if err := h.CollectDir(ctx, p, g); err != nil {
						g.AddError(graph.InputError{Source: graph.Source{Kind: graph.SourceFile, File: rel(opts.BaseDir, p)}, Message: h.Name() + ": " + err.Error()})
					}
					return fs.SkipDir
				}
			}
			return nil
		}
		if skipped(opts.SkipFiles, root, p, opts) {
			return nil
		}
		isManifest := false
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
			isManifest = true
		}
		// Decided from the entry's mode before anything is opened: a link
		// out of the tree, a FIFO named x.yaml or a link to /dev/zero is an
		// error naming the file, and the other files are still scanned.
		// Other names are only read when a handler claims them (by name,
		// or by content through safefile, which refuses a FIFO unopened).
		if !d.Type().IsRegular() {
			if _, err := confined.Check(p); err != nil {
				if isManifest || claims(p, opts) {
					g.AddError(graph.InputError{Source: graph.Source{Kind: graph.SourceFile, File: rel(opts.BaseDir, p)}, Message: "cannot read: " + describeConfined(err)})
				}
				return nil
			}
		}
		if !isManifest && !claims(p, opts) {
			return nil
		}
		if isManifest {
			files = append(files, p)
		} else {
			claimFile(ctx, p, opts, g)
		}
		return nil
	})
	return files, err
}

func collectFile(ctx context.Context, path string, opts Options, g *graph.Graph, strs *fastyaml.Strings, aliases *atomic.Int64) {
	name := path
	if path == "-" {
		name = StdinName
	} else {
		name = rel(opts.BaseDir, path)
	}
	src := graph.Source{Kind: graph.SourceFile, File: name}
	data, err := readLimited(path, opts)
	if err != nil {
		g.AddError(graph.InputError{Source: src, Message: err.Error()})
		return
	}
	if !budget.Take(ctx, int64(len(data))) {
		g.AddError(graph.InputError{Source: src, Message: fmt.Sprintf("not scanned: the scan's inputs together exceed its budget of %d MiB (files as read, snapshots as decompressed)", budget.MaxScanBytes>>20)})
		return
	}
	if isBinary(data) {
		g.AddError(graph.InputError{Source: src, Message: "not a text file (binary content); expected YAML or JSON"})
		return
	}
	for _, h := range opts.Handlers {
		if h.Match(name, data) {
			if err := h.Collect(ctx, name, data, g); err != nil {
				g.AddError(graph.InputError{Source: src, Message: h.Name() + ": " + err.Error()})
			}
			return
		}
	}
	parseInto(data, src, opts.DefaultNamespace, g, strs, aliases)
}

// ParseInto parses a YAML or JSON stream of Kubernetes objects into g as
// nodes whose source is src with the line filled in. Other collectors (Helm,
// Kustomize) reuse it for rendered output.
func ParseInto(data []byte, src graph.Source, defaultNamespace string, g *graph.Graph) {
	parseInto(data, src, defaultNamespace, g, &fastyaml.Strings{}, nil)
}

// ParseIntoContext is ParseInto under the scan's YAML alias budget that
// ctx carries (WithAliasBudget), for rendered output: values reached
// through aliases in every file and every rendering of a scan count
// against one budget.
func ParseIntoContext(ctx context.Context, data []byte, src graph.Source, defaultNamespace string, g *graph.Graph) {
	parseInto(data, src, defaultNamespace, g, &fastyaml.Strings{}, AliasBudget(ctx))
}

type aliasBudgetKey struct{}

// WithAliasBudget returns ctx carrying a scan-wide budget of values reached
// through YAML aliases (fastyaml.MaxAliasedValues), unless it carries one
// already.
func WithAliasBudget(ctx context.Context) context.Context {
	if _, ok := ctx.Value(aliasBudgetKey{}).(*atomic.Int64); ok {
		return ctx
	}
	b := &atomic.Int64{}
	b.Store(fastyaml.MaxAliasedValues)
	return context.WithValue(ctx, aliasBudgetKey{}, b)
}

// AliasBudget is the budget ctx carries; without one, a new budget for
// this call alone.
func AliasBudget(ctx context.Context) *atomic.Int64 {
	if b, ok := ctx.Value(aliasBudgetKey{}).(*atomic.Int64); ok {
		return b
	}
	b := &atomic.Int64{}
	b.Store(fastyaml.MaxAliasedValues)
	return b
}

// CheckAliases counts the values data's YAML aliases expand to against the
// scan's budget that ctx carries, and returns an error naming the line of
// the first document over it (or over the per-document limit). It is for
// files another tool expands itself (Kustomize resolves every alias as it
// reads a resource): nothing else about data is judged here.
func CheckAliases(ctx context.Context, data []byte) error {
	if bytes.IndexByte(data, '&') < 0 || bytes.IndexByte(data, '*') < 0 {
		return nil // no anchor and alias: nothing to expand
	}
	budget := AliasBudget(ctx)
	for _, doc := range splitDocuments(data) {
		_, _, err := fastyaml.Decode(doc.data, fastyaml.Options{Aliases: budget})
		var le *fastyaml.LimitError
		if errors.As(err, &le) && strings.Contains(le.Msg, "alias") {
			return fmt.Errorf("line %d: %s", doc.firstLine+max(le.Line, 1)-1, le.Msg)
		}
	}
	return nil
}

func parseInto(data []byte, src graph.Source, defaultNamespace string, g *graph.Graph, strs *fastyaml.Strings, aliases *atomic.Int64) {
	for _, doc := range splitDocuments(data) {
		if len(bytes.TrimSpace(doc.data)) == 0 {
			continue
		}
		v, at, err := fastyaml.Decode(doc.data, fastyaml.Options{Strings: strs, Aliases: aliases})
		if err != nil {
			s := src
			var le *fastyaml.LimitError
			var de *fastyaml.DupKeyError
			switch {
			case errors.As(err, &de):
				s.Line = doc.firstLine + de.Line - 1
				g.AddError(graph.InputError{Source: s, Message: fmt.Sprintf(
					"invalid YAML: duplicate key %q, already set at line %d (kubectl apply rejects it; the object is not scanned)",
					de.Key, doc.firstLine+de.First-1)})
			case errors.As(err, &le):
				s.Line = doc.firstLine + le.Line - 1
				g.AddError(graph.InputError{Source: s, Message: err.Error()})
			default:
				s.Line = doc.firstLine + max(YAMLErrorLine(err), 1) - 1
				g.AddError(graph.InputError{Source: s, Message: "invalid YAML: " + CleanYAMLError(err)})
			}
			continue
		}
		addObject(v, at, doc.firstLine, src, defaultNamespace, g)
	}
}

// addObject adds one decoded document; List kinds add each item.
func addObject(v any, at fastyaml.Locator, firstLine int, src graph.Source, defaultNamespace string, g *graph.Graph) {
	obj, ok := v.(map[string]any)
	if !ok || !graph.IsK8sObject(obj) {
		return // not a Kubernetes object: skipped without noise
	}
	s := src
	s.Line = firstLine + at.Line() - 1
	kind := obj["kind"].(string)
	if items, isList := obj["items"].([]any); isList && strings.HasSuffix(kind, "List") {
		for i, it := range items {
			in := at.Item(i)
			if in == nil {
				in = at
			}
			addObject(it, in, firstLine, src, defaultNamespace, g)
		}
		return
	}
	if meta, ok := obj["metadata"]; ok && meta != nil {
		if _, isMap := meta.(map[string]any); !isMap {
			g.AddError(graph.InputError{Source: s, Message: fmt.Sprintf("%s: metadata is not a mapping", kind)})
			return
		}
	}
	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	gen, _ := meta["generateName"].(string)
	if name == "" && gen == "" {
		apiVersion := obj["apiVersion"].(string)
		if group := graph.GroupOf(apiVersion, kind); !isKubernetesGroup(group) {
			// Configuration for a tool (istioctl's IstioOperator, a
			// kubeadm or kind config) shaped like an object but never sent
			// to the API server: nothing to scan, not a broken input.
			g.AddError(graph.InputError{Level: graph.LevelWarning, Source: s, Message: fmt.Sprintf(
				"%s (%s) has no metadata.name: not an object the API server accepts (a tool's configuration?); skipped", kind, apiVersion)})
			return
		}
		g.AddError(graph.InputError{Source: s, Message: fmt.Sprintf("%s has no metadata.name", kind)})
		return
	}
	g.AddNode(graph.NewK8sNode(obj, s, defaultNamespace))
}

// isKubernetesGroup is true for the API groups Kubernetes itself serves:
// core, the dotless built-in groups (apps, batch, policy…) and *.k8s.io.
func isKubernetesGroup(group string) bool {
	return group == "" || !strings.Contains(group, ".") || strings.HasSuffix(group, ".k8s.io")
}

// MappingValue is the value of key in a YAML mapping node, or nil.
func MappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func readLimited(path string, opts Options) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		r = opts.Stdin
		if r == nil {
			r = os.Stdin
		}
	} else {
		f, err := safefile.Open(path)
		if err != nil {
			return nil, fmt.Errorf("cannot read: %s", describeConfined(err))
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, opts.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read: %s", safefile.Reason(err))
	}
	if int64(len(data)) > opts.MaxFileSize {
		return nil, fmt.Errorf("file is larger than the %s limit (--max-file-size)", safefile.Size(opts.MaxFileSize))
	}
	return data, nil
}

// isBinary is true for content with NUL bytes or that is not UTF-8.
func isBinary(data []byte) bool {
	head := data
	if len(head) > 8000 {
		head = head[:8000]
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	return !utf8.Valid(head[:validPrefix(head)])
}

// validPrefix trims a possibly cut multi-byte rune at the end of the sample.
func validPrefix(b []byte) int {
	n := len(b)
	for i := 0; i < utf8.UTFMax && n > 0; i++ {
		if utf8.RuneStart(b[n-1]) {
			if !utf8.FullRune(b[n-1:]) {
				return n - 1
			}
			return len(b)
		}
		n--
	}
	return len(b)
}

func rel(base, p string) string {
	if p == "-" {
		return StdinName
	}
	return relpath.Name(base, p)
}

// parserErrors are yaml.v3 parser (not scanner) errors. yaml.v3 reports their
// line zero-based, unlike scanner errors, so they need one added.
var parserErrors = []string{
	"did not find expected <document start>", "did not find expected node content",
	"did not find expected key", "did not find expected '-' indicator",
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
}

// YAMLErrorLine is the 1-based line a yaml.v3 error points at, 0 when the
// message names none. Other readers of YAML files (ignore files) share it.
func YAMLErrorLine(err error) int {
	msg := err.Error()
	i := strings.Index(msg, "line ")
	if i < 0 {
		return 0
	}
	n := 0
	for _, r := range msg[i+5:] {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	for _, p := range parserErrors {
		if n > 0 && strings.Contains(msg, p) {
			return n + 1
		}
	}
	return n
}

// CleanYAMLError drops the "yaml: line N:" prefix; the location is reported
// separately (and relative to the file, not the document).
func CleanYAMLError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if strings.HasPrefix(msg, "line ") {
		if i := strings.Index(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
	}
	return msg
}

// rootFor is the scanned root of a path argument. A path inside the working
// directory that resolves outside it (the repository's k8s/ is a link to
// the runner's home) is refused unless symbolic links are followed.
func rootFor(p string, opts Options) (*confine.Root, fs.FileInfo, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, nil, err
	}
	if !opts.FollowSymlinks {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, nil, err
		}
		if r, err := filepath.Rel(opts.BaseDir, abs); err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			base, err := confine.New(opts.BaseDir, false)
			if err != nil {
				return nil, nil, err
			}
			if _, err := base.Resolve(p); err != nil {
				return nil, nil, err
			}
		}
	}
	root, err := confine.New(p, opts.FollowSymlinks)
	if err != nil {
		return nil, nil, err
	}
	return root, fi, nil
}

// notRegular names what a non-regular file is.
func notRegular(m fs.FileMode) string {
	_, err := safefile.CheckMode("", m)
	return safefile.Reason(err)
}

// describeConfined shortens confinement and file-kind errors: the location
// already names the file.
func describeConfined(err error) string {
	var ee *confine.EscapeError
	if errors.As(err, &ee) {
		return ee.Reason()
	}
	return safefile.Reason(err)
}
