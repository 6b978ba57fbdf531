package report

import (
	"bufio"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/kscan-io/kscan/finding"
)

//go:embed html/report.css
var htmlCSS string

//go:embed html/report.js
var htmlJS string

//go:embed html/report.tmpl
var htmlTemplate string

var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"upper": strings.ToUpper,
	"css":   func(s string) template.CSS { return template.CSS(s) },
	"js":    func(s string) template.JS { return template.JS(s) },
	"svg":   func(s string) template.HTML { return template.HTML(s) },
	"anchor": func(id string) string {
		return "rule-" + strings.NewReplacer("/", "-", " ", "-").Replace(id)
	},
}).Parse(htmlTemplate))

// htmlFinding is one finding as the page shows it.
type htmlFinding struct {
	finding.Finding
	Namespace, Source, Location string
	Diagram                     string // SVG, "" without a path
	// Grouped findings sit under their resource's heading, which names
	// the resource and location, in a section of their severity: they do
	// not repeat them (a 10,000-finding page stays under 5 MB).
	Grouped bool
}

type htmlResource struct {
	Resource, Type, Location, Source, Namespace string
	Findings                                    []htmlFinding
}

type htmlSeverity struct {
	Severity  string
	Count     int
	Resources []htmlResource
}

type htmlRule struct {
	finding.Rule
	Count int
}

type htmlPage struct {
	Tool, Version                    string
	Resources, Total, Suppressed     int
	Incomplete                       bool
	Counts                           []htmlCount
	Severities                       []htmlSeverity
	SuppressedList                   []htmlFinding
	Rules                            []htmlRule
	Notifications                    []finding.Notification
	RuleIDs, Namespaces, Sources     []string
	SeverityChart, NamespaceChart    string
	RuleChart, FrameworkChart        string
	CSS, JS, Defs                    string
	Paths                            int
	HasFrameworks, TruncatedFindings bool
}

type htmlCount struct {
	Severity string
	Count    int
}

// HTML renders the report as one self-contained page: inline CSS, SVG and
// JavaScript, nothing loaded from anywhere. Findings are grouped by
// severity, then resource; each shows its message, its rule's remediation
// and documentation, and, when it follows a path (Internet → … → IAM role,
// subject → binding → role), the path as a diagram. Everything is readable
// without JavaScript; the script adds the filters and the search.
func HTML(w io.Writer, r *finding.Report, _ Options) error {
	counts, suppressed := r.Counts()
	p := htmlPage{
		Tool: r.ToolName, Version: r.ToolVersion, Resources: r.Resources, Suppressed: suppressed,
		Incomplete: r.Incomplete(), Notifications: r.Notifications, CSS: htmlCSS, JS: htmlJS, Defs: arrowDefs,
	}
	for _, sev := range severities {
		p.Counts = append(p.Counts, htmlCount{sev, counts[sev]})
		p.Total += counts[sev]
	}
	ruleCount := map[string]int{}
	nsCount := map[string]int{}
	rules, namespaces, sources := map[string]bool{}, map[string]bool{}, map[string]bool{}
	bySev := map[string]*htmlSeverity{}
	resIndex := map[string]map[string]int{}
	for _, f := range r.Findings {
		hf := toHTMLFinding(f)
		if hf.Diagram != "" {
			p.Paths++
		}
		rules[f.RuleID] = true
		namespaces[hf.Namespace] = true
		sources[hf.Source] = true
		if f.Suppression != nil {
			p.SuppressedList = append(p.SuppressedList, hf)
			continue
		}
		ruleCount[f.RuleID]++
		nsCount[hf.Namespace]++
		s := bySev[f.Severity]
		if s == nil {
			s = &htmlSeverity{Severity: f.Severity}
			bySev[f.Severity] = s
			resIndex[f.Severity] = map[string]int{}
		}
		s.Count++
		i, ok := resIndex[f.Severity][f.Resource]
		if !ok {
			i = len(s.Resources)
			resIndex[f.Severity][f.Resource] = i
			s.Resources = append(s.Resources, htmlResource{Resource: f.Resource, Type: f.ResourceType, Location: hf.Location, Source: hf.Source, Namespace: hf.Namespace})
		}
		hf.Grouped = true
		s.Resources[i].Findings = append(s.Resources[i].Findings, hf)
	}
	for _, sev := range severities {
		if s := bySev[sev]; s != nil {
			sort.SliceStable(s.Resources, func(i, j int) bool { return s.Resources[i].Resource < s.Resources[j].Resource })
			p.Severities = append(p.Severities, *s)
		}
	}
	for _, rule := range r.Rules {
		if rules[rule.ID] {
			p.Rules = append(p.Rules, htmlRule{Rule: rule, Count: ruleCount[rule.ID]})
		}
	}
	sort.Slice(p.Rules, func(i, j int) bool { return p.Rules[i].ID < p.Rules[j].ID })
	p.RuleIDs = slices.Sorted(maps.Keys(rules))
	p.Namespaces = slices.Sorted(maps.Keys(namespaces))
	p.Sources = slices.Sorted(maps.Keys(sources))

	var sevBars []bar
	for _, c := range p.Counts {
		sevBars = append(sevBars, bar{label: c.Severity, value: c.Count, class: "sev-" + c.Severity})
	}
	p.SeverityChart = barChart("Findings per severity", sevBars)
	p.NamespaceChart = barChart("Findings per namespace (top 10)", topBars(nsCount, 10))
	p.RuleChart = barChart("Findings per rule (top 10)", topBars(ruleCount, 10))
	if fw := frameworkBars(r); len(fw) > 0 {
		p.HasFrameworks = true
		p.FrameworkChart = complianceChart(fw)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if err := htmlTmpl.Execute(bw, p); err != nil {
		return err
	}
	return bw.Flush()
}

func toHTMLFinding(f finding.Finding) htmlFinding {
	hf := htmlFinding{Finding: f, Namespace: namespaceOf(f.Resource, f.ResourceType), Source: dash(f.Location.Kind), Location: f.Location.String()}
	switch {
	case len(f.Path) > 1:
		hf.Diagram = pathDiagram(f.Path)
	case len(f.Related) > 0:
		hf.Diagram = relatedDiagram(f)
	}
	return hf
}

// namespaceOf reads the namespace of a Kubernetes resource id
// ([cluster:]namespace/Kind/name); "(cluster)" for cluster-scoped ones and
// "(none)" for resources that are not Kubernetes objects.
func namespaceOf(id, typ string) string {
	if !strings.HasPrefix(typ, "k8s:") {
		return "(none)"
	}
	if i := strings.Index(id, ":"); i >= 0 && !strings.Contains(id[:i], "/") {
		id = id[i+1:]
	}
	if parts := strings.Split(id, "/"); len(parts) == 3 {
		return parts[0]
	}
	return "(cluster)"
}

// kindOf is the kind in a node type ("k8s:apps/Deployment" → Deployment,
// "aws:iam/Role" → Role).
func kindOf(typ string) string {
	if i := strings.LastIndexAny(typ, "/:"); i >= 0 {
		return typ[i+1:]
	}
	return typ
}

// domainOf is the source domain in a node type ("k8s", "aws", "registry").
func domainOf(typ string) string {
	if i := strings.Index(typ, ":"); i >= 0 {
		return typ[:i]
	}
	return ""
}

type diagramNode struct {
	title, sub, source string
}

// pathDiagram draws a path as boxes left to right (kind, name and source of
// each resource) joined by arrows labelled with the relation.
func pathDiagram(steps []finding.PathStep) string {
	nodes := make([]diagramNode, len(steps))
	rels := make([]string, len(steps))
	for i, s := range steps {
		nodes[i] = diagramNode{title: nonEmpty(kindOf(s.ResourceType), "resource"), sub: shortName(s.Resource), source: sourceLabel(s.ResourceType, s.Location)}
		rels[i] = s.Relation
	}
	return drawChain(nodes, rels)
}

// relatedDiagram draws the related resources of a finding (the bindings of
// a role, the workloads behind a Service) leading to its resource.
func relatedDiagram(f finding.Finding) string {
	var nodes []diagramNode
	var rels []string
	for _, id := range f.Related {
		l := f.RelatedLocations[id]
		nodes = append(nodes, diagramNode{title: relatedKind(id), sub: shortName(id), source: sourceLabel("", l)})
		rels = append(rels, "related")
	}
	nodes = append(nodes, diagramNode{title: nonEmpty(kindOf(f.ResourceType), "resource"), sub: shortName(f.Resource), source: sourceLabel(f.ResourceType, f.Location)})
	rels = append(rels, "")
	return drawFan(nodes, rels)
}

// relatedKind guesses the kind of a related resource from its id
// (namespace/Kind/name or Kind/name).
func relatedKind(id string) string {
	if i := strings.Index(id, ":"); i >= 0 && !strings.Contains(id[:i], "/") && !strings.HasPrefix(id, "arn") && !strings.HasPrefix(id, "urn") {
		id = id[i+1:]
	}
	parts := strings.Split(id, "/")
	switch len(parts) {
	case 3:
		return parts[1]
	case 2:
		return parts[0]
	}
	return "resource"
}

func shortName(id string) string {
	// 25 monospace characters fit a box.
	if len([]rune(id)) > 25 {
		r := []rune(id)
		return "…" + string(r[len(r)-24:])
	}
	return id
}

func sourceLabel(typ string, l finding.Location) string {
	src := l.Kind
	if src == "" {
		src = "derived"
	}
	if d := domainOf(typ); d != "" {
		return d + " · " + src
	}
	return src
}

const (
	boxW, boxH, gapW = 190, 64, 70
)

func svgText(s string) string { return template.HTMLEscapeString(s) }

func drawBox(b *strings.Builder, x, y int, n diagramNode) {
	fmt.Fprintf(b, `<g class="node"><rect x="%d" y="%d" width="%d" height="%d"/>`, x, y, boxW, boxH)
	fmt.Fprintf(b, `<text x="%d" y="%d" class="k">%s</text>`, x+10, y+20, svgText(n.title))
	fmt.Fprintf(b, `<text x="%d" y="%d" class="n">%s</text>`, x+10, y+38, svgText(n.sub))
	fmt.Fprintf(b, `<text x="%d" y="%d" class="s">%s</text></g>`, x+10, y+55, svgText(n.source))
}

func drawArrow(b *strings.Builder, x1, y1, x2, y2 int, label string) {
	fmt.Fprintf(b, `<path class="edge" d="M%d %d L%d %d" marker-end="url(#arrow)"/>`, x1, y1, x2, y2)
	if label != "" {
		fmt.Fprintf(b, `<text class="rel" x="%d" y="%d" text-anchor="middle">%s</text>`, (x1+x2)/2, min(y1, y2)-6, svgText(label))
	}
}

// arrowDefs is written once per page; every diagram's edges use it.
const arrowDefs = `<svg width="0" height="0" aria-hidden="true" style="position:absolute"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#444"/></marker></defs></svg>`

// drawChain lays nodes in one row.
func drawChain(nodes []diagramNode, rels []string) string {
	w := len(nodes)*boxW + (len(nodes)-1)*gapW + 2
	h := boxH + 30
	var b strings.Builder
	labels := make([]string, len(nodes))
	for i, n := range nodes {
		labels[i] = n.title + " " + n.sub
	}
	fmt.Fprintf(&b, `<svg class="path" viewBox="0 0 %d %d" width="%d" role="img" aria-label="Path: %s">`, w, h, w, svgText(strings.Join(labels, " → ")))
	y := 22
	for i, n := range nodes {
		x := 1 + i*(boxW+gapW)
		drawBox(&b, x, y, n)
		if i < len(nodes)-1 {
			drawArrow(&b, x+boxW, y+boxH/2, x+boxW+gapW-2, y+boxH/2, rels[i])
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// drawFan lays every node but the last in a column, each with an arrow to
// the last.
func drawFan(nodes []diagramNode, rels []string) string {
	n := len(nodes) - 1
	rowH := boxH + 14
	h := max(n*rowH, boxH) + 10
	w := 2*boxW + gapW + 40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="path" viewBox="0 0 %d %d" width="%d" role="img" aria-label="%d related resources lead to %s">`, w, h, w, n, svgText(nodes[n].title+" "+nodes[n].sub))
	ty := (h - boxH) / 2
	tx := boxW + gapW + 40
	for i := 0; i < n; i++ {
		y := 5 + i*rowH
		drawBox(&b, 1, y, nodes[i])
		drawArrow(&b, 1+boxW, y+boxH/2, tx-2, ty+boxH/2, "")
	}
	drawBox(&b, tx, ty, nodes[n])
	b.WriteString(`</svg>`)
	return b.String()
}

type bar struct {
	label string
	value int
	class string
}

func topBars(m map[string]int, n int) []bar {
	var out []bar
	for k, v := range m {
		out = append(out, bar{label: k, value: v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].value != out[j].value {
			return out[i].value > out[j].value
		}
		return out[i].label < out[j].label
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// barChart draws horizontal bars with their labels and values as text, so
// that the numbers are readable without the picture.
func barChart(title string, bars []bar) string {
	maxV := 1
	for _, b := range bars {
		maxV = max(maxV, b.value)
	}
	const labelW, barW, rowH = 230, 260, 24
	h := max(len(bars), 1)*rowH + 8
	var b strings.Builder
	var desc []string
	for _, x := range bars {
		desc = append(desc, fmt.Sprintf("%s %d", x.label, x.value))
	}
	fmt.Fprintf(&b, `<figure class="chart"><figcaption>%s</figcaption><svg viewBox="0 0 %d %d" role="img" aria-label="%s: %s">`,
		svgText(title), labelW+barW+60, h, svgText(title), svgText(strings.Join(desc, ", ")))
	if len(bars) == 0 {
		fmt.Fprintf(&b, `<text x="4" y="18" class="lbl">none</text>`)
	}
	for i, x := range bars {
		y := 4 + i*rowH
		wd := x.value * barW / maxV
		class := x.class
		if class == "" {
			class = "bar"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="lbl" text-anchor="end">%s</text>`, labelW-6, y+15, svgText(shortName(x.label)))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="16" class="%s"/>`, labelW, y+2, max(wd, 1), class)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="val">%d</text>`, labelW+wd+6, y+15, x.value)
	}
	b.WriteString(`</svg></figure>`)
	return b.String()
}

type fwBar struct {
	name         string
	pass, failed int
}

// frameworkBars counts, per framework the rules map to, the controls with
// an active finding and those checked without one.
func frameworkBars(r *finding.Report) []fwBar {
	controls := map[string]map[string]bool{} // framework -> control -> failed
	for _, rule := range r.Rules {
		for fw, cs := range rule.Frameworks {
			if controls[fw] == nil {
				controls[fw] = map[string]bool{}
			}
			for _, c := range cs {
				controls[fw][c] = controls[fw][c] || false
			}
		}
	}
	for _, f := range r.Findings {
		if f.Suppression != nil {
			continue
		}
		for fw, cs := range f.Frameworks {
			for _, c := range cs {
				if controls[fw] != nil {
					controls[fw][c] = true
				}
			}
		}
	}
	var out []fwBar
	for fw, cs := range controls {
		b := fwBar{name: fw}
		for _, failed := range cs {
			if failed {
				b.failed++
			} else {
				b.pass++
			}
		}
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func complianceChart(fws []fwBar) string {
	const labelW, barW, rowH = 230, 260, 24
	h := len(fws)*rowH + 8
	var b strings.Builder
	var desc []string
	for _, f := range fws {
		desc = append(desc, fmt.Sprintf("%s %d of %d controls without findings", f.name, f.pass, f.pass+f.failed))
	}
	fmt.Fprintf(&b, `<figure class="chart"><figcaption>Framework controls checked: without findings / with findings</figcaption><svg viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		labelW+barW+90, h, svgText(strings.Join(desc, "; ")))
	for i, f := range fws {
		y := 4 + i*rowH
		total := max(f.pass+f.failed, 1)
		pw := f.pass * barW / total
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="lbl" text-anchor="end">%s</text>`, labelW-6, y+15, svgText(f.name))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="16" class="pass"/>`, labelW, y+2, pw)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="16" class="fail"/>`, labelW+pw, y+2, barW-pw)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="val">%d/%d</text>`, labelW+barW+6, y+15, f.pass, f.pass+f.failed)
	}
	b.WriteString(`</svg></figure>`)
	return b.String()
}
