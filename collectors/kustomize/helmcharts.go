package kustomize

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/kustomize/kyaml/yaml/merge2"

	"github.com/kscan-io/kscan/collectors/helm"
	"github.com/kscan-io/kscan/graph"
)

// Kustomize's helmCharts run the helm binary (`helm pull`, `helm
// template`). kscan renders them in-process with collectors/helm instead,
// from charts already in the scanned tree, and never downloads one: every
// kustomization with helmCharts is served to kustomize rewritten, its charts
// replaced by resources holding their rendered manifests (virtual files
// below the kustomization directory, marked helm-generated as kustomize's
// generator marks them, so its namespace transformer leaves them alone).
// Values, release name, namespace, CRDs, tests and hooks follow kustomize's
// HelmChartInflationGenerator; the release name without releaseName is
// Helm's "release-name" (kustomize asks helm for a random one), so that
// reports are reproducible.

// helmDir is the directory, below a kustomization, of the virtual files.
const helmDir = ".kscan-helm"

// helmGenerated is kustomize's mark on helm-generated resources (a build
// annotation: removed from its output).
var helmGenerated = konfig.HelmGeneratedAnnotation

// helmFS serves kustomization files with helmCharts rewritten, and the
// rendered manifests as files.
type helmFS struct {
	filesys.FileSystem
	ctx context.Context
	// kubeVersion and apiVersions are --helm-kube-version and
	// --helm-api-versions; kustomize's command line also wins over a
	// chart entry's own.
	kubeVersion string
	apiVersions []string

	mu        sync.Mutex
	rewritten map[string][]byte
	virtual   map[string]helm.Manifest
	problems  []graph.InputError
}

func newHelmFS(ctx context.Context, fs filesys.FileSystem, kubeVersion string, apiVersions []string) *helmFS {
	return &helmFS{FileSystem: fs, ctx: ctx, kubeVersion: kubeVersion, apiVersions: apiVersions,
		rewritten: map[string][]byte{}, virtual: map[string]helm.Manifest{}}
}

func isKustFileName(path string) bool {
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		if filepath.Base(path) == n {
			return true
		}
	}
	return false
}

func (f *helmFS) manifest(path string) (helm.Manifest, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.virtual[filepath.Clean(path)]
	return m, ok
}

func (f *helmFS) ReadFile(path string) ([]byte, error) {
	if m, ok := f.manifest(path); ok {
		return []byte(m.Content), nil
	}
	data, err := f.FileSystem.ReadFile(path)
	if err != nil || !isKustFileName(path) {
		return data, err
	}
	clean := filepath.Clean(path)
	f.mu.Lock()
	out, done := f.rewritten[clean]
	f.mu.Unlock()
	if done {
		return out, nil
	}
	out = f.rewrite(clean, data)
	f.mu.Lock()
	f.rewritten[clean] = out
	f.mu.Unlock()
	return out, nil
}

func (f *helmFS) Exists(path string) bool {
	if _, ok := f.manifest(path); ok {
		return true
	}
	return f.FileSystem.Exists(path)
}

func (f *helmFS) IsDir(path string) bool {
	if _, ok := f.manifest(path); ok {
		return false
	}
	return f.FileSystem.IsDir(path)
}

func (f *helmFS) CleanedAbs(path string) (filesys.ConfirmedDir, string, error) {
	if _, ok := f.manifest(path); ok {
		return filesys.ConfirmedDir(filepath.Dir(filepath.Clean(path))), filepath.Base(path), nil
	}
	return f.FileSystem.CleanedAbs(path)
}

// kustHelm is what kscan reads of a kustomization's Helm fields.
type kustHelm struct {
	HelmGlobals *types.HelmGlobals `yaml:"helmGlobals"`
	HelmCharts  []types.HelmChart  `yaml:"helmCharts"`
}

// rewrite renders the helmCharts of the kustomization file at path and
// returns it with them replaced by resources; unchanged when it has none.
// Charts that cannot be rendered are problems (reported as input errors)
// and left out of the rewritten file.
func (f *helmFS) rewrite(path string, data []byte) []byte {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return data // kustomize reports it
	}
	top := doc.Content[0]
	var chartsNode *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "helmCharts" {
			chartsNode = top.Content[i+1]
		}
	}
	if chartsNode == nil {
		return data
	}
	var k kustHelm
	if err := doc.Decode(&k); err != nil {
		f.problem(path, chartsNode.Line, fmt.Sprintf("helmCharts: %v", err))
		return data
	}
	dir := filepath.Dir(path)
	var added []string
	for i, c := range k.HelmCharts {
		line := chartsNode.Line
		if i < len(chartsNode.Content) {
			line = chartsNode.Content[i].Line
		}
		ms, err := f.render(dir, k.HelmGlobals, c)
		if err != nil {
			var re *helm.RenderError
			if errors.As(err, &re) {
				for _, p := range re.Problems {
					f.problems = append(f.problems, graph.InputError{Source: p.Source,
						Message: fmt.Sprintf("helmCharts[%d] %s: %s", i, c.Name, p.Msg)})
				}
				continue
			}
			f.problem(path, line, fmt.Sprintf("helmCharts[%d] %s: %v", i, c.Name, err))
			continue
		}
		for _, m := range ms {
			rel := filepath.Join(helmDir, fmt.Sprint(i), filepath.FromSlash(m.Name))
			f.mu.Lock()
			f.virtual[filepath.Join(dir, rel)] = m
			f.mu.Unlock()
			added = append(added, filepath.ToSlash(rel))
		}
	}
	// The kustomization without helmCharts and helmGlobals, the rendered
	// manifests appended to its resources (kustomize appends generated
	// resources after the listed ones too).
	var content []*yaml.Node
	var resources *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		switch top.Content[i].Value {
		case "helmCharts", "helmGlobals":
			continue
		case "resources":
			resources = top.Content[i+1]
		}
		content = append(content, top.Content[i], top.Content[i+1])
	}
	if resources == nil || resources.Kind != yaml.SequenceNode {
		if resources != nil {
			return data // kustomize reports the malformed field
		}
		resources = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		content = append(content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "resources"}, resources)
	}
	for _, a := range added {
		resources.Content = append(resources.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: a})
	}
	top.Content = content
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return data
	}
	return out
}

func (f *helmFS) problem(file string, line int, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.problems = append(f.problems, graph.InputError{Source: graph.Source{Kind: graph.SourceFile, File: file, Line: line}, Message: msg})
}

// render renders one helmCharts entry of the kustomization in dir as
// kustomize's HelmChartInflationGenerator would have helm render it.
func (f *helmFS) render(dir string, globals *types.HelmGlobals, c types.HelmChart) ([]helm.Manifest, error) {
	if c.Name == "" {
		return nil, fmt.Errorf("chart name cannot be empty")
	}
	home := types.HelmDefaultHome
	if globals != nil && globals.ChartHome != "" {
		home = globals.ChartHome
	}
	if !filepath.IsAbs(home) {
		home = filepath.Join(dir, home)
	}
	if c.Version != "" && c.Repo != "" {
		home = filepath.Join(home, c.Name+"-"+c.Version)
	}
	chartDir := filepath.Join(home, c.Name)
	if !f.FileSystem.IsDir(chartDir) {
		return nil, missingChart(dir, home, c)
	}
	switch c.ValuesMerge {
	case "", "override", "merge", "replace":
	default:
		return nil, fmt.Errorf("valuesMerge must be one of [merge override replace], not %q", c.ValuesMerge)
	}
	valuesFile := c.ValuesFile
	if valuesFile == "" {
		valuesFile = filepath.Join(chartDir, "values.yaml")
	} else if !filepath.IsAbs(valuesFile) {
		valuesFile = filepath.Join(dir, valuesFile)
	}
	vals, err := f.values(valuesFile, c)
	if err != nil {
		return nil, err
	}
	for _, extra := range c.AdditionalValuesFiles {
		p := extra
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		data, err := f.FileSystem.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("additionalValuesFiles: %w", err)
		}
		v, err := chartutil.ReadValues(data)
		if err != nil {
			return nil, fmt.Errorf("additionalValuesFiles %s: %w", extra, err)
		}
		vals = chartutil.MergeTables(v.AsMap(), vals) // a later -f wins
	}
	opts := helm.Options{Release: c.ReleaseName, Namespace: c.Namespace, Values: vals, IncludeCRDs: c.IncludeCRDs,
		KubeVersion: c.KubeVersion, APIVersions: c.ApiVersions}
	if f.kubeVersion != "" {
		opts.KubeVersion = f.kubeVersion
	}
	if len(f.apiVersions) > 0 {
		opts.APIVersions = f.apiVersions
	}
	ms, err := helm.Render(f.ctx, chartDir, opts)
	if err != nil {
		return nil, err
	}
	return markGenerated(ms, c.SkipTests, c.SkipHooks)
}

// missingChart: kustomize would run `helm pull`; kscan never downloads.
func missingChart(dir, home string, c types.HelmChart) error {
	rel := func(p string) string {
		if r, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
		return p
	}
	if c.Repo == "" {
		return fmt.Errorf("chart %q is not in %s/ and no repo is given; put the chart there (or set helmGlobals.chartHome)", c.Name, rel(home))
	}
	pull := "helm pull --untar --untardir " + rel(home) + " "
	if strings.HasPrefix(c.Repo, "oci://") {
		pull += strings.TrimSuffix(c.Repo, "/") + "/" + c.Name
	} else {
		pull += "--repo " + c.Repo + " " + c.Name
	}
	if c.Version != "" {
		pull += " --version " + c.Version
	}
	return fmt.Errorf("chart %q (repo %s) is not in %s/: kscan renders Helm charts from the scanned tree and never downloads them; vendor it with `%s` (what `kustomize build --enable-helm` does) and scan again",
		c.Name, c.Repo, rel(home), pull)
}

// values are the values kustomize hands helm: the values file (the chart's
// own values.yaml by default) with valuesInline merged in per valuesMerge.
func (f *helmFS) values(valuesFile string, c types.HelmChart) (map[string]any, error) {
	if len(c.ValuesInline) > 0 && c.ValuesMerge == "replace" {
		return chartutil.Values(c.ValuesInline).AsMap(), nil
	}
	data, err := f.FileSystem.ReadFile(valuesFile)
	if err != nil {
		return nil, fmt.Errorf("values file: %w", err)
	}
	if len(c.ValuesInline) == 0 {
		v, err := chartutil.ReadValues(data)
		if err != nil {
			return nil, fmt.Errorf("values file %s: %w", filepath.Base(valuesFile), err)
		}
		return v.AsMap(), nil
	}
	// kustomize's own merge (merge2, as replaceValuesInline does).
	file, err := kyaml.Parse(string(data))
	if err != nil {
		return nil, fmt.Errorf("values file %s: %w", filepath.Base(valuesFile), err)
	}
	inline, err := kyaml.FromMap(c.ValuesInline)
	if err != nil {
		return nil, fmt.Errorf("valuesInline: %w", err)
	}
	var merged *kyaml.RNode
	if c.ValuesMerge == "merge" {
		merged, err = merge2.Merge(file, inline.Copy(), kyaml.MergeOptions{})
	} else {
		merged, err = merge2.Merge(inline, file.Copy(), kyaml.MergeOptions{})
	}
	if err != nil {
		return nil, fmt.Errorf("merging valuesInline: %w", err)
	}
	m, err := merged.Map()
	if err != nil {
		return nil, fmt.Errorf("merging valuesInline: %w", err)
	}
	return m, nil
}

// markGenerated adds kustomize's helm-generated annotation to every
// rendered object and drops tests and hooks when asked (`helm template
// --skip-tests`, `--no-hooks`).
func markGenerated(ms []helm.Manifest, skipTests, skipHooks bool) ([]helm.Manifest, error) {
	var out []helm.Manifest
	for _, m := range ms {
		// Documents as `helm template` prints them: split and trimmed as
		// Helm's releaseutil does, each ending in one newline (a block
		// scalar at the end of a template keeps its line break).
		split := releaseutil.SplitManifests(m.Content)
		keys := make([]string, 0, len(split))
		for k := range split {
			keys = append(keys, k)
		}
		sort.Sort(releaseutil.BySplitManifestsOrder(keys))
		var docs []string
		for _, k := range keys {
			var d yaml.Node
			if err := yaml.Unmarshal([]byte(split[k]+"\n"), &d); err != nil {
				return nil, fmt.Errorf("rendered %s: %w", m.Name, err)
			}
			if len(d.Content) == 0 || d.Content[0].Kind != yaml.MappingNode {
				continue
			}
			hook := annotation(d.Content[0], "helm.sh/hook")
			if (skipHooks && hook != "") || (skipTests && strings.Contains(hook, "test")) {
				continue
			}
			setAnnotation(d.Content[0], helmGenerated, "true")
			b, err := yaml.Marshal(&d)
			if err != nil {
				return nil, fmt.Errorf("rendered %s: %w", m.Name, err)
			}
			docs = append(docs, string(b))
		}
		if len(docs) == 0 {
			continue
		}
		m.Content = strings.Join(docs, "---\n")
		out = append(out, m)
	}
	return out, nil
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func annotation(obj *yaml.Node, key string) string {
	if v := mapGet(mapGet(mapGet(obj, "metadata"), "annotations"), key); v != nil {
		return v.Value
	}
	return ""
}

func setAnnotation(obj *yaml.Node, key, value string) {
	str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
	ensure := func(m *yaml.Node, key string) *yaml.Node {
		if v := mapGet(m, key); v != nil && v.Kind == yaml.MappingNode {
			return v
		}
		v := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				m.Content[i+1] = v
				return v
			}
		}
		m.Content = append(m.Content, str(key), v)
		return v
	}
	ann := ensure(ensure(obj, "metadata"), "annotations")
	ann.Content = append(ann.Content, str(key), str(value))
}
