package report

import (
	"bytes"

	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/kscan-io/kscan/finding"
)

// srcRoot is the uriBaseId of every relative URI: the repository root
// (--sarif-root), which GitHub code scanning resolves URIs against.
const srcRoot = "%SRCROOT%"

// sarifContext turns locations into SARIF artifact locations for one log.
type sarifContext struct {
	root     string // absolute
	rootURI  string // file:///root/
	workDir  string // relative locations are read from here
	category string
	inputs   []string
}

func newSARIFContext(o Options) *sarifContext {
	wd := o.WorkDir
	if wd == "" {
		wd, _ = os.Getwd()
	}
	root := o.SARIFRoot
	if root == "" {
		root = wd
	}
	if !filepath.IsAbs(root) {
		root = filepath.Join(wd, root)
	}
	root = filepath.Clean(root)
	c := &sarifContext{root: root, workDir: wd, inputs: o.Inputs}
	c.rootURI = (&url.URL{Scheme: "file", Path: filepath.ToSlash(root)}).String()
	if !strings.HasSuffix(c.rootURI, "/") {
		c.rootURI += "/"
	}
	if cat := strings.TrimSpace(o.SARIFCategory); cat != "" {
		// automationDetails.id is "category/run"; a category alone ends
		// with a slash.
		if !strings.HasSuffix(cat, "/") {
			cat += "/"
		}
		c.category = cat
	}
	return c
}

// artifact is a SARIF artifact location: a URI and its base id ("" for an
// absolute URI), and the line when known.
type artifact struct {
	uri, base string
	line      int
}

// fileArtifact maps a file path to a URI relative to the root, or an
// absolute file URI for a file outside it.
func (c *sarifContext) fileArtifact(file string, line int) artifact {
	abs := file
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(c.workDir, file)
	}
	abs = filepath.Clean(abs)
	if rel, err := filepath.Rel(c.root, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return artifact{uri: (&url.URL{Path: filepath.ToSlash(rel)}).EscapedPath(), base: srcRoot, line: line}
	}
	return artifact{uri: (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(), line: line}
}

// own is a location's artifact: the file that declared the object; for a
// live object a path under the root that names it (cluster and API path:
// GitHub accepts only relative or file URIs); none for a derived object or
// a Pulumi resource with no state file.
func (c *sarifContext) own(l finding.Location) (artifact, bool) {
	switch {
	case strings.HasPrefix(l.File, "<"):
		// "<stdin>": a name, not a path; "<" is not allowed in a URI.
		return artifact{uri: strings.Trim(l.File, "<>"), base: srcRoot, line: l.Line}, true
	case l.File != "" && l.File != "-":
		return c.fileArtifact(l.File, l.Line), true
	case l.Path != "":
		p := "kubernetes/" + l.Cluster + l.Path
		if l.Cluster == "" {
			p = "kubernetes" + l.Path
		}
		return artifact{uri: (&url.URL{Path: p}).EscapedPath(), base: srcRoot}, true
	}
	return artifact{}, false
}

// resultArtifact is where a finding is shown: its own location, else the
// file of a related resource or of its path, else the first input, else
// the root itself. Every result gets one: GitHub rejects an upload with a
// result that has none.
func (c *sarifContext) resultArtifact(f finding.Finding) artifact {
	if a, ok := c.own(f.Location); ok && f.Location.File != "" {
		return a
	}
	var cands []finding.Location
	for _, id := range f.Related {
		if l, ok := f.RelatedLocations[id]; ok {
			cands = append(cands, l)
		}
	}
	for _, s := range f.Path {
		cands = append(cands, s.Location)
	}
	for _, l := range cands {
		if l.File != "" && l.File != "-" {
			return c.fileArtifact(l.File, l.Line)
		}
	}
	if a, ok := c.own(f.Location); ok {
		return a
	}
	for _, in := range c.inputs {
		if in != "-" && in != "" {
			return c.fileArtifact(in, 0)
		}
	}
	return artifact{uri: ".", base: srcRoot}
}

// physical is a notification's physical location, nil when it has none.
func (c *sarifContext) physical(l finding.Location) *sarif.PhysicalLocation {
	a, ok := c.own(l)
	if !ok {
		return nil
	}
	al := sarif.NewArtifactLocation()
	al.URI = strp(a.uri)
	if a.base != "" {
		al.URIBaseID = strp(a.base)
	}
	pl := sarif.NewPhysicalLocation()
	pl.ArtifactLocation = al
	if a.line > 0 {
		reg := sarif.NewRegion()
		reg.StartLine = &a.line
		pl.Region = reg
	}
	return pl
}

func (o *objWriter) physicalLocation(a artifact) {
	o.key("physicalLocation")
	o.openObject()
	o.key("artifactLocation")
	o.openObject()
	o.str("uri", a.uri)
	if a.base != "" {
		o.str("uriBaseId", a.base)
	}
	o.close('}')
	if a.line > 0 {
		o.key("region")
		o.openObject()
		o.num("startLine", a.line)
		o.close('}')
	}
	o.close('}')
}

func (o *objWriter) logicalLocation(resource string) {
	o.key("logicalLocations")
	o.openArray()
	o.openItem()
	o.str("fullyQualifiedName", resource)
	o.str("kind", "resource")
	o.str("name", lastSegment(resource))
	o.close('}')
	o.close(']')
}

// stepLabel names a resource for a flow or related location: its type's
// kind and its identity.
func stepLabel(resource, typ string) string {
	kind := typ
	if i := strings.LastIndexAny(kind, "/:"); i >= 0 {
		kind = kind[i+1:]
	}
	if kind == "" {
		return resource
	}
	return kind + " " + resource
}

// appendResult writes one result, keys sorted and empty fields left out
// (as pruneSARIF renders the rest of the log), every line after the first
// indented for runs[0].results[i].
func (c *sarifContext) appendResult(dst *bytes.Buffer, f finding.Finding, baseline string, index map[string]int) {
	o := objWriter{dst: dst, indent: resultIndent}
	o.openObject()
	if baseline != "" {
		o.str("baselineState", baseline)
	}
	if len(f.Path) > 1 {
		// The attack path as a code flow: one thread, one location per
		// resource, each saying how it leads to the next.
		o.key("codeFlows")
		o.openArray()
		o.openItem()
		o.key("threadFlows")
		o.openArray()
		o.openItem()
		o.key("locations")
		o.openArray()
		for _, s := range f.Path {
			o.openItem()
			o.str("importance", "essential")
			o.key("location")
			o.openObject()
			o.logicalLocation(s.Resource)
			o.key("message")
			o.openObject()
			text := stepLabel(s.Resource, s.ResourceType)
			if s.Relation != "" {
				text += " —" + s.Relation + "→"
			}
			o.str("text", text)
			o.close('}')
			if a, ok := c.own(s.Location); ok {
				o.physicalLocation(a)
			}
			o.close('}')
			o.close('}')
		}
		o.close(']')
		o.close('}')
		o.close(']')
		o.close('}')
		o.close(']')
	}
	o.str("kind", "fail")
	o.str("level", SARIFLevel(f.Severity))
	o.key("locations")
	o.openArray()
	o.openItem()
	o.logicalLocation(f.Resource)
	o.physicalLocation(c.resultArtifact(f))
	o.close('}')
	o.close(']')
	o.key("message")
	o.openObject()
	o.str("text", f.Message)
	o.close('}')
	o.key("partialFingerprints")
	o.openObject()
	o.str(FingerprintKey, f.Fingerprint)
	o.close('}')
	o.key("properties")
	o.openObject()
	// Keys in sorted order; a rule's own properties (lists of strings)
	// never replace kscan's.
	lists := map[string][]string{}
	for k, v := range f.Properties {
		lists[k] = v
	}
	delete(lists, "k8sUri")
	delete(lists, "resourceType")
	delete(lists, "severity")
	if len(f.Related) > 0 {
		lists["related"] = f.Related
	}
	keys := []string{"resourceType", "severity"}
	if f.Location.Path != "" {
		keys = append(keys, "k8sUri")
	}
	for k := range lists {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "k8sUri":
			o.str(k, "k8s://"+f.Location.Cluster+f.Location.Path)
		case "resourceType":
			o.str(k, f.ResourceType)
		case "severity":
			o.str(k, f.Severity)
		default:
			o.key(k)
			o.openArray()
			for _, e := range lists[k] {
				o.item()
				appendJSONString(o.dst, e)
			}
			o.close(']')
		}
	}
	o.close('}')
	if related := relatedOf(f); len(related) > 0 {
		o.key("relatedLocations")
		o.openArray()
		for i, rel := range related {
			o.openItem()
			o.num("id", i+1)
			o.logicalLocation(rel.Resource)
			o.key("message")
			o.openObject()
			o.str("text", stepLabel(rel.Resource, rel.ResourceType))
			o.close('}')
			if a, ok := c.own(rel.Location); ok {
				o.physicalLocation(a)
			}
			o.close('}')
		}
		o.close(']')
	}
	o.str("ruleId", f.RuleID)
	if i, ok := index[f.RuleID]; ok {
		o.num("ruleIndex", i)
	}
	if s := f.Suppression; s != nil {
		o.key("suppressions")
		o.openArray()
		o.openItem()
		o.str("justification", s.Justification)
		o.str("kind", s.Kind)
		o.str("status", "accepted")
		o.close('}')
		o.close(']')
	}
	o.close('}')
}

// relatedOf lists the other resources of a finding: its related ones and
// its path's, without the finding's own resource, in a stable order.
func relatedOf(f finding.Finding) []finding.PathStep {
	seen := map[string]bool{f.Resource: true}
	var out []finding.PathStep
	for _, s := range f.Path {
		if !seen[s.Resource] {
			seen[s.Resource] = true
			out = append(out, finding.PathStep{Resource: s.Resource, ResourceType: s.ResourceType, Location: s.Location})
		}
	}
	rest := append([]string(nil), f.Related...)
	sort.Strings(rest)
	for _, id := range rest {
		if !seen[id] {
			seen[id] = true
			out = append(out, finding.PathStep{Resource: id, Location: f.RelatedLocations[id]})
		}
	}
	return out
}
