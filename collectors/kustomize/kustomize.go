// Package kustomize builds Kustomize directories (those with a
// kustomization.yaml) in-process with sigs.k8s.io/kustomize/api and adds
// the resulting objects to the graph, each located in the file it came from
// (kustomize's origin tracking), not in the kustomization.
package kustomize

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/kscan-io/kscan/collectors/helm"
	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/confine"
	"github.com/kscan-io/kscan/internal/relpath"
	"github.com/kscan-io/kscan/internal/safefile"
)

// Options configures the handler.
type Options struct {
	// Roots are the paths being scanned. A kustomization that another
	// kustomization under a root builds on (a base, a component) is not
	// built on its own: its objects are scanned as part of the overlay,
	// once, not twice.
	Roots            []string
	DefaultNamespace string
	BaseDir          string
	// AllowRemote lets kustomize fetch remote resources (HTTP, bounded by
	// RemoteTimeout and RemoteMaxBytes) and run git for remote bases
	// (--kustomize-allow-remote). Without it they are input errors.
	AllowRemote bool
	// MaxFileSize bounds each file kustomize reads (default
	// manifest.DefaultMaxFileSize).
	MaxFileSize int64
	// HelmKubeVersion and HelmAPIVersions are --helm-kube-version and
	// --helm-api-versions, for the charts of helmCharts (kustomize's own
	// command line wins over a chart entry's kubeVersion/apiVersions too).
	HelmKubeVersion string
	HelmAPIVersions []string
}

// Handler is a manifest.DirHandler for kustomization directories.
type Handler struct {
	opts     Options
	once     sync.Once
	included map[string]bool // absolute dirs used by another kustomization
}

// New returns the Kustomize handler.
func New(opts Options) *Handler {
	if opts.BaseDir == "" {
		opts.BaseDir, _ = os.Getwd()
	}
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = manifest.DefaultMaxFileSize
	}
	return &Handler{opts: opts}
}

var _ manifest.DirHandler = (*Handler)(nil)

// Name implements manifest.DirHandler.
func (h *Handler) Name() string { return "kustomize" }

// MatchDir claims directories with a kustomization file.
func (h *Handler) MatchDir(dir string) bool { return kustFile(dir) != "" }

func kustFile(dir string) string {
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		p := filepath.Join(dir, n)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

// CollectDir builds the kustomization. Build errors are input errors naming
// the kustomization file (and the line of the offending entry when it can be
// found); the returned error is only for cancellation.
func (h *Handler) CollectDir(ctx context.Context, dir string, g *graph.Graph) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	h.once.Do(h.findIncluded)
	if h.included[abs] {
		return nil // built as part of the overlay that uses it
	}
	kfile := kustFile(abs)
	root := confine.FromContext(ctx, dir)
	// Refused before kustomize runs: it would fetch over HTTP with no
	// timeout or size limit, or run git, for the repository under scan; and
	// it follows a base that is a link out of the tree.
	refs, root := checkRefs(abs, root, h.opts.BaseDir, h.opts.AllowRemote, h.opts.MaxFileSize)
	if len(refs) > 0 {
		for _, r := range refs {
			msg := fmt.Sprintf("remote resource %q refused: kscan does not fetch over the network or run git for a scanned repository unless --kustomize-allow-remote is given", r.value)
			if r.reason != "" {
				msg = fmt.Sprintf("%q %s", r.value, r.reason)
			}
			if r.msg != "" {
				msg = r.msg
			}
			g.AddError(graph.InputError{
				Source:  graph.Source{Kind: graph.SourceFile, File: h.rel(r.file), Line: r.line},
				Message: "kustomization " + h.rel(abs) + ": " + msg + "; the kustomization is not built",
			})
		}
		return nil
	}
	hfs := newHelmFS(confine.WithRoot(ctx, root), &confinedFS{FileSystem: filesys.MakeFsOnDisk(), root: root, limit: h.opts.MaxFileSize, allowClones: h.opts.AllowRemote, ctx: ctx},
		h.opts.HelmKubeVersion, h.opts.HelmAPIVersions)
	fs := &originFS{FileSystem: hfs, root: kfile}
	opts := krusty.MakeDefaultOptions()
	var (
		m        resmap.ResMap
		warnings []string
	)
	build := func() { m, warnings, err = runCapturing(krusty.MakeKustomizer(opts), fs, abs) }
	if !buildWithin(ctx, func() {
		if h.opts.AllowRemote {
			withBoundedHTTP(ctx, build)
		} else {
			build()
		}
	}) {
		return ctx.Err()
	}
	for _, p := range hfs.problems {
		if filepath.IsAbs(p.Source.File) {
			p.Source.File = h.rel(p.Source.File)
		}
		p.Message = "kustomization " + h.rel(abs) + ": " + h.relPaths(p.Message)
		g.AddError(p)
	}
	for _, w := range warnings {
		g.AddError(graph.InputError{Level: graph.LevelWarning, Source: graph.Source{Kind: graph.SourceFile, File: h.rel(kfile)},
			Message: "kustomization " + h.rel(abs) + ": " + h.relPaths(w)})
	}
	if err != nil {
		file, line := h.locateError(kfile, err)
		g.AddError(graph.InputError{
			Source:  graph.Source{Kind: graph.SourceFile, File: file, Line: line},
			Message: "kustomization " + h.rel(abs) + ": " + h.relPaths(cleanError(err)),
		})
		return nil
	}
	overlays := h.overlayPatches(ctx, hfs, kfile, abs, m)
	parsed := map[string]*graph.Graph{} // origin files, parsed once
	for _, r := range m.Resources() {
		overlay := overlays[r.CurId().String()]
		origin, _ := r.GetOrigin()
		src := graph.Source{Kind: graph.SourceFile, File: h.rel(kfile)}
		var from string
		if origin != nil && origin.Path != "" && origin.Repo == "" {
			from = filepath.Join(abs, filepath.FromSlash(origin.Path))
		}
		if origin != nil && origin.Path == "" && origin.ConfiguredIn != "" {
			// Generated (configMapGenerator…): point at the kustomization
			// that configures it.
			from = ""
			src.File = h.rel(filepath.Join(abs, filepath.FromSlash(origin.ConfiguredIn)))
		}
		var chart *helm.Manifest
		if m, ok := hfs.manifest(from); ok && from != "" {
			// Rendered from a chart of helmCharts: its template file.
			chart, from = &m, ""
			src.File = h.rel(kfile)
			if m.File != "" {
				src.File = h.rel(m.File)
			}
		}
		if from != "" {
			src.File = h.rel(from)
		}
		_ = r.SetOrigin(nil)
		out, err := r.AsYAML()
		if err != nil {
			g.AddError(graph.InputError{Source: src, Message: "kustomization " + h.rel(abs) + ": " + err.Error()})
			continue
		}
		tmp := graph.New()
		manifest.ParseIntoContext(ctx, out, src, h.opts.DefaultNamespace, tmp)
		for _, n := range tmp.Nodes() {
			if from != "" {
				n.Source.Line = lineIn(ctx, from, n, h.opts.DefaultNamespace, parsed)
			} else if chart != nil {
				kind, _, name := graph.K8sMeta(n)
				n.Source.Line = helm.LineOf([]byte(chart.Content), chart.Template, kind, name)
			} else {
				n.Source.Line = 0
			}
			n.Overlay = overlay
			g.AddNode(n)
		}
		for _, e := range tmp.Errors() {
			e.Source.Line = 0
			g.AddError(e)
		}
	}
	return nil
}

// buildWithin runs build on its own goroutine and gives up when ctx ends,
// reporting whether it finished: Kustomize takes no context, and a small
// kustomization can keep it busy for hours (a thousand resources times a
// few hundred patches). The abandoned build keeps the process's stderr
// until it ends, so kscan's own is given back here; its results are never
// read, and kscan exits after writing the report.
func buildWithin(ctx context.Context, build func()) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		build()
	}()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		captured.restore()
		return false
	}
}

// stderrMu serialises builds that borrow the process's stderr and log output.
var stderrMu sync.Mutex

// captured is the process's stderr and log output while a build borrows
// them.
var captured stderrSwap

type stderrSwap struct {
	mu       sync.Mutex
	active   bool
	stderr   *os.File
	log      io.Writer
	logFlags int
}

// redirect sends the process's stderr and log output to w.
func (s *stderrSwap) redirect(w *os.File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stderr, s.log, s.logFlags, s.active = os.Stderr, log.Writer(), log.Flags(), true
	os.Stderr = w
	log.SetOutput(w)
	log.SetFlags(0)
}

// restore gives them back, once, whoever calls it first: the build that
// ended, or the scan that stopped waiting for it.
func (s *stderrSwap) restore() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.active {
		return
	}
	os.Stderr = s.stderr
	log.SetOutput(s.log)
	log.SetFlags(s.logFlags)
	s.active = false
}

// runCapturing builds like runSafely but collects what Kustomize prints
// (deprecated fields, sort-order notices: it writes them to os.Stderr and the
// standard logger) so they become warnings of the report instead of raw
// text in the middle of kscan's output.
func runCapturing(k *krusty.Kustomizer, fs filesys.FileSystem, dir string) (resmap.ResMap, []string, error) {
	stderrMu.Lock()
	defer stderrMu.Unlock()
	r, w, err := os.Pipe()
	if err != nil {
		m, err := runSafely(k, fs, dir)
		return m, nil, err
	}
	var out bytes.Buffer
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(&out, r)
		close(done)
	}()
	captured.redirect(w)
	m, err := runSafely(k, fs, dir)
	captured.restore()
	_ = w.Close()
	<-done
	_ = r.Close()
	var warnings []string
	for _, l := range strings.Split(out.String(), "\n") {
		if l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "#")); l != "" {
			warnings = append(warnings, l)
		}
	}
	return m, warnings, err
}

// runSafely turns a panic inside kustomize into an error: one broken
// kustomization must not stop the scan.
func runSafely(k *krusty.Kustomizer, fs filesys.FileSystem, dir string) (m resmap.ResMap, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("build panicked: %v", p)
		}
	}()
	return k.Run(fs, dir)
}

// lineIn finds the line of the object in the file it came from: same kind,
// and the name it had there (kustomize may add a prefix or suffix).
func lineIn(ctx context.Context, file string, n *graph.Node, ns string, parsed map[string]*graph.Graph) int {
	tmp, ok := parsed[file]
	if !ok {
		tmp = graph.New()
		if data, err := readSmall(file); err == nil {
			manifest.ParseIntoContext(ctx, data, graph.Source{Kind: graph.SourceFile, File: file}, ns, tmp)
		}
		parsed[file] = tmp
	}
	kind, _, name := graph.K8sMeta(n)
	best, bestLen := 0, -1
	for _, c := range tmp.Nodes() {
		ck, _, cn := graph.K8sMeta(c)
		if ck != kind {
			continue
		}
		l := -1
		switch {
		case cn == name:
			l = 1 << 30
		case cn != "" && strings.Contains(name, cn):
			l = len(cn)
		case best == 0:
			l = 0
		}
		if l > bestLen {
			best, bestLen = c.Source.Line, l
		}
	}
	return best
}

// originFS makes kustomize record where every object came from, by adding
// "originAnnotations" to the root kustomization's buildMetadata as it is
// read. The files on disk are not touched.
type originFS struct {
	filesys.FileSystem
	root string
	// drop, when set, leaves out the root's patches it returns true for
	// (field, index), to build the overlay without them.
	drop func(field string, index int) bool
}

func (f *originFS) ReadFile(path string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(path)
	if err != nil || filepath.Clean(path) != filepath.Clean(f.root) {
		return data, err
	}
	var k map[string]any
	if yaml.Unmarshal(data, &k) != nil || k == nil {
		return data, nil // kustomize reports the syntax error itself
	}
	if f.drop != nil {
		for _, field := range patchFields {
			list, ok := k[field].([]any)
			if !ok {
				continue
			}
			var kept []any
			for i, e := range list {
				if !f.drop(field, i) {
					kept = append(kept, e)
				}
			}
			if len(kept) == 0 {
				delete(k, field)
			} else {
				k[field] = kept
			}
		}
	}
	bm, _ := k["buildMetadata"].([]any)
	has := false
	for _, v := range bm {
		has = has || v == types.OriginAnnotations
	}
	if has && f.drop == nil {
		return data, nil
	}
	if !has {
		k["buildMetadata"] = append(bm, types.OriginAnnotations)
	}
	out, err := yaml.Marshal(k)
	if err != nil {
		return data, nil
	}
	return out, nil
}

// findIncluded lists the local kustomization directories that another
// kustomization under the roots builds on, and that are reachable from a
// kustomization nothing builds on (so kustomizations in a cycle are still
// built, and their error reported).
func (h *Handler) findIncluded() {
	h.included = map[string]bool{}
	refs := map[string][]string{}
	for _, root := range h.opts.Roots {
		fi, err := os.Stat(root)
		if err != nil || !fi.IsDir() {
			continue
		}
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				if p != root && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			isK := false
			for _, n := range konfig.RecognizedKustomizationFileNames() {
				if d.Name() == n {
					isK = true
				}
			}
			if !isK {
				return nil
			}
			absDir, _ := filepath.Abs(filepath.Dir(p))
			refs[absDir] = nil
			for _, ref := range references(p) {
				if strings.Contains(ref, "://") || strings.HasPrefix(ref, "github.com/") {
					continue
				}
				t := filepath.Clean(filepath.Join(absDir, ref))
				if t != absDir && kustFile(t) != "" {
					refs[absDir] = append(refs[absDir], t)
				}
			}
			return nil
		})
	}
	referenced := map[string]bool{}
	for _, ts := range refs {
		for _, t := range ts {
			referenced[t] = true
		}
	}
	var visit func(d string)
	visit = func(d string) {
		for _, t := range refs[d] {
			if !h.included[t] {
				h.included[t] = true
				visit(t)
			}
		}
	}
	for d := range refs {
		if !referenced[d] {
			visit(d)
		}
	}
}

// references reads resources, bases and components of a kustomization.
func references(kfile string) []string {
	data, err := readSmall(kfile)
	if err != nil {
		return nil
	}
	var k struct {
		Resources  []string `yaml:"resources"`
		Bases      []string `yaml:"bases"`
		Components []string `yaml:"components"`
	}
	if yaml.Unmarshal(data, &k) != nil {
		return nil
	}
	return append(append(k.Resources, k.Bases...), k.Components...)
}

// pathInErr finds absolute paths in kustomize's messages.
var pathInErr = regexp.MustCompile(`'(/[^']+)'|"(/[^"]+)"`)

// locateError points an error at the kustomization that failed and, when
// the message names a path that one of the involved kustomization files
// refers to, the line of that entry (a cycle, a missing resource).
func (h *Handler) locateError(kfile string, err error) (string, int) {
	msg := err.Error()
	if strings.Contains(msg, "cycle") {
		if f, line := findCycle(filepath.Dir(kfile)); f != "" {
			return h.rel(f), line
		}
	}
	var paths []string
	for _, m := range pathInErr.FindAllStringSubmatch(msg, -1) {
		p := m[1]
		if p == "" {
			p = m[2]
		}
		paths = append(paths, filepath.Clean(p))
	}
	// Candidate files: the root kustomization and those at the named paths.
	cands := []string{kfile}
	for _, p := range paths {
		if k := kustFile(p); k != "" {
			cands = append(cands, k)
		}
	}
	sort.SliceStable(cands[1:], func(i, j int) bool { return len(cands[1+i]) > len(cands[1+j]) })
	for _, c := range cands {
		dir := filepath.Dir(c)
		for _, p := range paths {
			if line := refLine(c, dir, p); line > 0 {
				return h.rel(c), line
			}
		}
	}
	return h.rel(kfile), 0
}

// findCycle follows resources/components from dir and returns the
// kustomization file and line of the entry that closes a cycle.
func findCycle(dir string) (string, int) {
	onStack := map[string]bool{}
	done := map[string]bool{}
	var visit func(d string) (string, int)
	visit = func(d string) (string, int) {
		onStack[d] = true
		defer func() { onStack[d] = false; done[d] = true }()
		k := kustFile(d)
		if k == "" {
			return "", 0
		}
		for _, ref := range references(k) {
			t := filepath.Clean(filepath.Join(d, ref))
			if kustFile(t) == "" {
				continue
			}
			if onStack[t] {
				return k, refLine(k, d, t)
			}
			if !done[t] {
				if f, l := visit(t); f != "" {
					return f, l
				}
			}
		}
		return "", 0
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", 0
	}
	return visit(abs)
}

// refLine is the line of the entry in kfile that resolves to target.
func refLine(kfile, dir, target string) int {
	data, err := readSmall(kfile)
	if err != nil {
		return 0
	}
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil || len(root.Content) == 0 {
		return 0
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		return 0
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		switch top.Content[i].Value {
		case "resources", "bases", "components":
			for _, e := range top.Content[i+1].Content {
				t := filepath.Clean(filepath.Join(dir, e.Value))
				if t == target || strings.HasPrefix(target, t+string(filepath.Separator)) {
					return e.Line
				}
			}
		}
	}
	return 0
}

// cleanError shortens kustomize's nested "accumulation err=" wrapping.
func cleanError(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "accumulating resources: "); i >= 0 && strings.Contains(msg, "cycle") {
		msg = msg[i+len("accumulating resources: "):]
	}
	return msg
}

// relPaths shortens absolute paths in kustomize's messages to paths
// relative to the base directory, as everywhere else in reports.
func (h *Handler) relPaths(msg string) string {
	base := filepath.Clean(h.opts.BaseDir)
	if base == "" || base == "/" {
		return msg
	}
	return strings.ReplaceAll(msg, base+string(filepath.Separator), "")
}

func (h *Handler) rel(p string) string { return relpath.Name(h.opts.BaseDir, p) }

// readSmall reads a file kscan looks at besides kustomize (to locate
// objects and entries): regular files only, so a FIFO cannot hang the scan.
func readSmall(path string) ([]byte, error) {
	return safefile.ReadFile(path, manifest.DefaultMaxFileSize)
}
