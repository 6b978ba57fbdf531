// Package helm renders Helm charts (a chart directory or a packaged .tgz)
// in-process with the Helm v3 library and adds the objects to the graph
// with locations pointing back into the template files. Nothing is sent to a
// cluster: lookup returns nothing and capabilities are Helm's defaults (with
// --helm-kube-version and --helm-api-versions applied), as
// with `helm template`.
package helm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/strvals"

	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/confine"
	"github.com/kscan-io/kscan/internal/relpath"
	"github.com/kscan-io/kscan/internal/safefile"
)

// DefaultRelease is the release name `helm template` uses.
const DefaultRelease = "release-name"

// DefaultKubeVersion is the Kubernetes version templates see without
// --helm-kube-version. A helm binary reports the client-go release it was
// built with; the library alone would say v1.20.0 (and fail every chart with
// a newer kubeVersion constraint), so kscan says what it links: k8s.io/*
// v0.37 (a test keeps the two in step).
const DefaultKubeVersion = "v1.37.0"

// maxTemplate bounds the chart files kscan reads again to locate objects
// (Helm's own limit for one chart file).
const maxTemplate = 5 << 20

// Options are the values and release a chart is rendered with.
type Options struct {
	ValueFiles []string // --helm-values, merged in order
	Set        []string // --helm-set key=value, applied last
	Release    string   // --helm-release
	Namespace  string   // --helm-namespace; also the default for objects without one
	// KubeVersion and APIVersions are the cluster capabilities templates
	// see, as `helm template --kube-version/--api-versions` (default: Helm's).
	KubeVersion string
	APIVersions []string
	// BaseDir makes recorded paths relative (default: working directory).
	BaseDir string
	// Values are the lowest-precedence user values, merged under
	// ValueFiles and Set (Kustomize's helmCharts give them; the CLI does
	// not).
	Values map[string]any
	// IncludeCRDs adds the files of the charts' crds/ directories, as
	// `helm template --include-crds`.
	IncludeCRDs bool
}

// Handler is a manifest.DirHandler for chart directories that also claims
// packaged charts (.tgz) given as files.
type Handler struct{ opts Options }

// New returns the Helm handler.
func New(opts Options) *Handler {
	if opts.Release == "" {
		opts.Release = DefaultRelease
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.BaseDir == "" {
		opts.BaseDir, _ = os.Getwd()
	}
	return &Handler{opts: opts}
}

var _ manifest.DirHandler = (*Handler)(nil)

// Name implements manifest.DirHandler.
func (h *Handler) Name() string { return "helm" }

// MatchDir claims directories with a Chart.yaml.
func (h *Handler) MatchDir(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, chartutil.ChartfileName))
	return err == nil && !fi.IsDir()
}

// MatchFile claims packaged charts.
func (h *Handler) MatchFile(path string) bool {
	return strings.HasSuffix(path, ".tgz") || strings.HasSuffix(path, ".tar.gz")
}

// CollectFile renders a packaged chart. Objects point at the archive.
func (h *Handler) CollectFile(ctx context.Context, path string, g *graph.Graph) error {
	return h.CollectDir(ctx, path, g)
}

// CollectDir renders the chart at path (a directory or an archive). Errors
// are recorded in g, naming the chart and, for template errors, the template
// file and line; the returned error is only for cancellation.
func (h *Handler) CollectDir(ctx context.Context, path string, g *graph.Graph) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ms, err := h.render(ctx, path)
	if err != nil {
		var re *RenderError
		if errors.As(err, &re) {
			for _, p := range re.Problems {
				g.AddError(graph.InputError{Source: p.Source, Message: "helm chart " + h.rel(path) + ": " + p.Msg})
			}
			return re.Cancelled
		}
		return err
	}
	chartSrc := graph.Source{Kind: graph.SourceFile, File: h.rel(path)}
	for _, m := range ms {
		src := chartSrc
		if m.File != "" {
			src.File = h.rel(m.File)
		}
		AddRendered(ctx, []byte(m.Content), src, m.Template, h.opts.Namespace, g)
	}
	return nil
}

// Manifest is one rendered template of a chart.
type Manifest struct {
	// Name is Helm's name for it ("chart/templates/x.yaml",
	// "chart/charts/sub/templates/y.yaml", "chart/crds/z.yaml").
	Name    string
	Content string
	// File is the template on disk ("" inside an archive); Template its
	// text, to place objects on the template's lines.
	File     string
	Template []byte
}

// RenderError is a chart that could not be rendered: each problem names
// the chart file (or template and line) at fault.
type RenderError struct {
	Problems []RenderProblem
	// Cancelled is the context's error when rendering stopped for it.
	Cancelled error
}

// RenderProblem is one reason a chart could not be rendered.
type RenderProblem struct {
	Source graph.Source
	Msg    string
}

func (e *RenderError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Msg
	}
	return strings.Join(msgs, "; ")
}

// Render renders the chart directory or archive at path with opts, as
// `helm template` would, and returns the manifests in name order: for a
// caller that feeds them elsewhere (Kustomize's helmCharts). Failures are a
// *RenderError.
func Render(ctx context.Context, path string, opts Options) ([]Manifest, error) {
	return New(opts).render(ctx, path)
}

func (h *Handler) render(ctx context.Context, path string) ([]Manifest, error) {
	chartRel := h.rel(path)
	chartSrc := graph.Source{Kind: graph.SourceFile, File: chartRel}
	fail := func(src graph.Source, format string, a ...any) error {
		return &RenderError{Problems: []RenderProblem{{Source: src, Msg: fmt.Sprintf(format, a...)}}}
	}
	root := confine.FromContext(ctx, path)
	ch, err := loadChart(ctx, path, root)
	if err != nil {
		src := chartSrc
		var fe *fileError
		if errors.As(err, &fe) {
			src = graph.Source{Kind: graph.SourceFile, File: h.rel(fe.Path)}
			err = fe.Err
			var ee *confine.EscapeError
			if errors.As(err, &ee) {
				err = errors.New(ee.Reason()) // the location names the file
			}
		}
		return nil, fail(src, "cannot load: %v", err)
	}
	// As `helm template`: a dependency missing from charts/ is an error, not
	// a render without it (which would pass every rule on what it omits).
	if missing := missingDependencies(ch, ""); len(missing) > 0 {
		re := &RenderError{}
		for _, m := range missing {
			src := chartSrc
			if !h.MatchFile(path) {
				src = h.dependencySource(path, m)
			}
			re.Problems = append(re.Problems, RenderProblem{Source: src, Msg: fmt.Sprintf("dependency %q (%s) is listed in %s but not in %s; run `helm dependency build %s` first",
				m.name, m.version, m.chartfile(), m.chartsDir(), m.buildDir(chartRel))})
		}
		return nil, re
	}
	caps, err := h.capabilities()
	if err != nil {
		return nil, fail(chartSrc, "%v", err)
	}
	if kv := ch.Metadata.KubeVersion; kv != "" && !chartutil.IsCompatibleRange(kv, caps.KubeVersion.String()) {
		return nil, fail(chartSrc, "chart requires kubeVersion %s, which is incompatible with Kubernetes %s (set --helm-kube-version)", kv, caps.KubeVersion.String())
	}
	vals, err := h.values()
	if err != nil {
		return nil, fail(chartSrc, "%v", err)
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, vals); err != nil {
		return nil, fail(chartSrc, "dependencies: %v", err)
	}
	top, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{
		Name: h.opts.Release, Namespace: h.opts.Namespace, Revision: 1, IsInstall: true,
	}, caps)
	if err != nil {
		return nil, fail(chartSrc, "values: %v", err)
	}
	out, err := renderWithin(ctx, ch, top)
	if ctx.Err() != nil {
		return nil, &RenderError{Problems: []RenderProblem{{Source: chartSrc, Msg: fmt.Sprintf("rendering stopped: %v (%v)", context.Cause(ctx), ctx.Err())}}, Cancelled: ctx.Err()}
	}
	if err != nil {
		file, line, msg := h.templateError(path, ch, err)
		src := chartSrc
		if file != "" {
			src = graph.Source{Kind: graph.SourceFile, File: file, Line: line}
		}
		return nil, fail(src, "template error: %s", msg)
	}
	if h.opts.IncludeCRDs {
		for _, crd := range ch.CRDObjects() {
			out[crd.Filename] = string(crd.File.Data)
		}
	}
	names := make([]string, 0, len(out))
	for name := range out {
		names = append(names, name)
	}
	sort.Strings(names)
	isDir := !h.MatchFile(path)
	var ms []Manifest
	for _, name := range names {
		if !isManifest(name) || strings.TrimSpace(out[name]) == "" {
			continue
		}
		m := Manifest{Name: name, Content: out[name]}
		if isDir {
			if disk, ok := h.templatePath(path, ch, name); ok {
				m.File = disk
				m.Template, _ = root.ReadFile(disk, maxTemplate)
			}
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// capabilities are Helm's defaults with --helm-kube-version and
// --helm-api-versions applied, as `helm template` does.
func (h *Handler) capabilities() (*chartutil.Capabilities, error) {
	caps := chartutil.DefaultCapabilities.Copy()
	want := h.opts.KubeVersion
	if want == "" {
		want = DefaultKubeVersion
	}
	{
		kv, err := chartutil.ParseKubeVersion(want)
		if err != nil {
			return nil, fmt.Errorf("--helm-kube-version %q: %v", h.opts.KubeVersion, err)
		}
		caps.KubeVersion = *kv
	}
	caps.APIVersions = append(caps.APIVersions, h.opts.APIVersions...)
	return caps, nil
}

// missingDep is a dependency of a chart (path: its subchart path below the
// top chart, "" for the top chart) that is not vendored in its charts/.
type missingDep struct {
	path, name, version string
}

func (m missingDep) chartfile() string {
	return filepath.ToSlash(filepath.Join(m.path, chartutil.ChartfileName))
}
func (m missingDep) chartsDir() string {
	return filepath.ToSlash(filepath.Join(m.path, "charts")) + "/"
}
func (m missingDep) buildDir(top string) string {
	return filepath.ToSlash(filepath.Join(top, m.path))
}

// missingDependencies lists the Chart.yaml dependencies of ch and of its
// vendored subcharts that are not loaded from charts/ (by name, as Helm's
// own check).
func missingDependencies(ch *chart.Chart, path string) []missingDep {
	if ch.Metadata == nil {
		return nil
	}
	have := map[string]bool{}
	for _, d := range ch.Dependencies() {
		have[d.Name()] = true
	}
	var out []missingDep
	for _, d := range ch.Metadata.Dependencies {
		if d != nil && !have[d.Name] {
			out = append(out, missingDep{path: path, name: d.Name, version: d.Version})
		}
	}
	for _, sub := range ch.Dependencies() {
		out = append(out, missingDependencies(sub, filepath.Join(path, "charts", sub.Name()))...)
	}
	return out
}

// dependencySource points at the dependency's "name:" line in Chart.yaml.
func (h *Handler) dependencySource(chartDir string, m missingDep) graph.Source {
	file := filepath.Join(chartDir, m.path, chartutil.ChartfileName)
	src := graph.Source{Kind: graph.SourceFile, File: h.rel(file)}
	data, err := safefile.ReadFile(file, maxTemplate)
	if err != nil {
		return src
	}
	inDeps := false
	for i, l := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(l, "dependencies:") {
			inDeps = true
			continue
		}
		if inDeps && len(l) > 0 && l[0] != ' ' && l[0] != '-' && l[0] != '#' {
			inDeps = false
		}
		t = strings.TrimPrefix(t, "- ")
		if inDeps && strings.HasPrefix(t, "name:") && strings.Trim(strings.TrimSpace(strings.TrimPrefix(t, "name:")), `"'`) == m.name {
			src.Line = i + 1
			return src
		}
	}
	return src
}

// renderWithin renders on its own goroutine and gives up when ctx ends:
// Helm's engine takes no context, and a chart can loop (tpl recursion,
// nested until) for ever. The abandoned render writes only to its own
// result, and kscan exits after writing the report.
func renderWithin(ctx context.Context, ch *chart.Chart, vals chartutil.Values) (map[string]string, error) {
	type result struct {
		out map[string]string
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := renderSafely(ch, vals)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// renderSafely turns a panic in a template function into an error: one
// broken chart must not stop the scan.
func renderSafely(ch *chart.Chart, vals chartutil.Values) (out map[string]string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("rendering panicked: %v", p)
		}
	}()
	return engine.Render(ch, vals)
}

// values merges --helm-values files in order, then --helm-set.
func (h *Handler) values() (map[string]any, error) {
	base := map[string]any{}
	if h.opts.Values != nil {
		base = chartutil.MergeTables(deepCopyValues(h.opts.Values), base)
	}
	for _, f := range h.opts.ValueFiles {
		data, err := safefile.ReadFile(f, maxTemplate)
		if err != nil {
			return nil, fmt.Errorf("--helm-values %s: %v", f, err)
		}
		v, err := chartutil.ReadValues(data)
		if err != nil {
			return nil, fmt.Errorf("--helm-values %s: %v", f, err)
		}
		base = chartutil.MergeTables(v.AsMap(), base)
	}
	for _, s := range h.opts.Set {
		if err := strvals.ParseInto(s, base); err != nil {
			return nil, fmt.Errorf("--helm-set %q: %v", s, err)
		}
	}
	return base, nil
}

func isManifest(name string) bool {
	base := filepath.Base(name)
	if strings.HasPrefix(base, "_") || strings.HasSuffix(name, "NOTES.txt") {
		return false
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json", ".tpl", "":
		return true
	}
	return false
}

// templatePath maps a rendered name ("mychart/templates/x.yaml",
// "mychart/charts/sub/templates/y.yaml") to the file on disk.
func (h *Handler) templatePath(chartDir string, ch *chart.Chart, name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, ch.Name()+"/")
	if !ok {
		return "", false
	}
	p := filepath.Join(chartDir, filepath.FromSlash(rest))
	if fi, err := os.Stat(p); err != nil || fi.IsDir() {
		return "", false // e.g. inside a packaged subchart
	}
	return p, true
}

// tmplErrRe finds "chart/templates/x.yaml:12" in Helm's template errors
// ("template: c/templates/x.yaml:12:4: executing …", "parse error at
// (c/templates/x.yaml:5): …").
var tmplErrRe = regexp.MustCompile(`([A-Za-z0-9_.\-/]+\.(?:yaml|yml|tpl|txt|json)):(\d+)`)

func (h *Handler) templateError(chartPath string, ch *chart.Chart, err error) (file string, line int, msg string) {
	msg = err.Error()
	m := tmplErrRe.FindStringSubmatch(msg)
	if m == nil {
		return "", 0, msg
	}
	line, _ = strconv.Atoi(m[2])
	if h.MatchFile(chartPath) {
		return h.rel(chartPath) + "#" + m[1], line, msg
	}
	if p, ok := h.templatePath(chartPath, ch, m[1]); ok {
		return h.rel(p), line, msg
	}
	return "", 0, msg
}

func (h *Handler) rel(p string) string { return relpath.Name(h.opts.BaseDir, p) }

// AddRendered parses rendered YAML into g. Objects get src as their source;
// when the template text is known, the line is that of the matching
// document in the template (rendered lines mean nothing to a reader), else
// no line. Kustomize reuses it. YAML aliases count against the scan's
// budget that ctx carries (manifest.WithAliasBudget).
func AddRendered(ctx context.Context, rendered []byte, src graph.Source, tmpl []byte, defaultNamespace string, g *graph.Graph) {
	tmp := graph.New()
	manifest.ParseIntoContext(ctx, rendered, graph.Source{Kind: src.Kind, File: src.File}, defaultNamespace, tmp)
	nodes := tmp.Nodes()
	sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].Source.Line < nodes[j].Source.Line })
	docs := templateDocs(tmpl)
	for i, n := range nodes {
		kind, _, _ := graph.K8sMeta(n)
		s := src
		s.Line = docs.lineFor(i, len(nodes), kind)
		n.Source = s
		g.AddNode(n)
	}
	for _, e := range tmp.Errors() {
		e.Source = src
		e.Message = "rendered output: " + e.Message
		g.AddError(e)
	}
}

// LineOf is the template line of the object of that kind and name among
// the objects of one rendered template (0 when not found): what
// AddRendered gives it, for callers that parse the output themselves.
// A name that lost or gained a prefix or suffix (Kustomize's namePrefix)
// still matches.
func LineOf(rendered, tmpl []byte, kind, name string) int {
	tmp := graph.New()
	manifest.ParseInto(rendered, graph.Source{Kind: graph.SourceFile}, "", tmp)
	nodes := tmp.Nodes()
	sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].Source.Line < nodes[j].Source.Line })
	docs := templateDocs(tmpl)
	best := -1
	for i, n := range nodes {
		k, _, nm := graph.K8sMeta(n)
		if k != kind {
			continue
		}
		if nm == name {
			best = i
			break
		}
		if best < 0 && nm != "" && strings.Contains(name, nm) {
			best = i
		}
	}
	if best < 0 {
		return 0
	}
	return docs.lineFor(best, len(nodes), kind)
}

// tmplDoc is one "---"-separated document of a template file.
type tmplDoc struct {
	line int    // of its apiVersion/kind line, or first content line
	kind string // literal kind, when not templated
}

type tmplDocs []tmplDoc

var kindRe = regexp.MustCompile(`^kind:\s*["']?([A-Za-z0-9]+)["']?\s*(#.*)?$`)

func templateDocs(tmpl []byte) tmplDocs {
	if len(tmpl) == 0 {
		return nil
	}
	var docs tmplDocs
	cur := tmplDoc{}
	flush := func() {
		if cur.line > 0 {
			docs = append(docs, cur)
		}
		cur = tmplDoc{}
	}
	for i, l := range strings.Split(string(tmpl), "\n") {
		l = strings.TrimRight(l, "\r")
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "---"):
			flush()
		case t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "{{"):
		case strings.HasPrefix(l, "apiVersion:") || strings.HasPrefix(l, "kind:"):
			if cur.line == 0 {
				cur.line = i + 1
			}
			if m := kindRe.FindStringSubmatch(l); m != nil {
				cur.kind = m[1]
			}
		default:
			if cur.line == 0 && l[0] != ' ' {
				cur.line = i + 1
			}
		}
	}
	flush()
	return docs
}

// lineFor picks the template line of the i-th of n rendered objects: by
// position when the template has one document per object, else the first
// document of the same literal kind, else the first document.
func (d tmplDocs) lineFor(i, n int, kind string) int {
	if len(d) == 0 {
		return 0
	}
	if len(d) == n {
		return d[i].line
	}
	for _, doc := range d {
		if doc.kind == kind {
			return doc.line
		}
	}
	return d[0].line
}

// deepCopyValues copies a values tree: merging and rendering write into it.
func deepCopyValues(v map[string]any) map[string]any {
	out := make(map[string]any, len(v))
	for k, e := range v {
		switch t := e.(type) {
		case map[string]any:
			out[k] = deepCopyValues(t)
		case []any:
			l := make([]any, len(t))
			for i, x := range t {
				if m, ok := x.(map[string]any); ok {
					l[i] = deepCopyValues(m)
				} else {
					l[i] = x
				}
			}
			out[k] = l
		default:
			out[k] = e
		}
	}
	return out
}
