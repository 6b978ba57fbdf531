package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/internal/termsafe"
)

var severityColor = map[string]string{
	finding.Critical: "\x1b[1;31m",
	finding.High:     "\x1b[31m",
	finding.Medium:   "\x1b[33m",
	finding.Low:      "\x1b[36m",
	finding.Info:     "\x1b[37m",
}

const reset = "\x1b[0m"

// DefaultWidth is the table's width when neither COLUMNS nor a terminal
// gives one.
const DefaultWidth = 100

var severities = []string{finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info}

// Table renders findings in groups (by severity unless o.GroupBy says
// otherwise), each finding a short block wrapped to o.Width, remediation
// once per rule under each group (under every finding with o.Verbose), then
// a summary. Notifications go to stderr, not here.
func Table(w io.Writer, r *finding.Report, o Options) error {
	width := o.Width
	if width <= 0 {
		width = DefaultWidth
	}
	width = max(width, 40)
	t := tableWriter{o: o, width: width}
	// What the scanned repository's own files changed comes first, even
	// with -q: a reader must see a repository's influence on its scan.
	for _, c := range r.Config {
		t.wrap("REPOSITORY CONFIG: "+termsafe.String(c.String()), "    ")
	}
	if len(r.Config) > 0 {
		t.b.WriteString("\n")
	}
	var active, suppressed []finding.Finding
	for _, f := range r.Findings {
		f = safeFinding(f)
		if f.Suppression != nil {
			suppressed = append(suppressed, f)
		} else {
			active = append(active, f)
		}
	}
	for _, g := range groupFindings(active, o.GroupBy) {
		t.group(g)
	}
	if o.ShowSuppressed && len(suppressed) > 0 {
		t.line(fmt.Sprintf("SUPPRESSED (%d)", len(suppressed)))
		for _, f := range suppressed {
			t.wrap("  "+f.RuleID+"  "+f.Resource+locSuffix(f), "      ")
			t.wrap("    "+oneLine(f.Message), "    ")
			t.wrap("    reason ("+f.Suppression.Kind+"): "+oneLine(f.Suppression.Justification), "      ")
		}
		t.b.WriteString("\n")
	}
	counts, nSuppressed := r.Counts()
	total := 0
	for _, c := range counts {
		total += c
	}
	paint := t.paint
	fmt.Fprintf(&t.b, "%d findings in %d resources: %s critical, %s high, %s medium, %s low",
		total, r.Resources,
		paint(finding.Critical, fmt.Sprint(counts[finding.Critical])),
		paint(finding.High, fmt.Sprint(counts[finding.High])),
		paint(finding.Medium, fmt.Sprint(counts[finding.Medium])),
		paint(finding.Low, fmt.Sprint(counts[finding.Low])))
	if counts[finding.Info] > 0 {
		fmt.Fprintf(&t.b, ", %d info", counts[finding.Info])
	}
	if nSuppressed > 0 {
		if o.ShowSuppressed {
			fmt.Fprintf(&t.b, " (%d suppressed)", nSuppressed)
		} else {
			fmt.Fprintf(&t.b, " (%d suppressed; --show-suppressed lists them)", nSuppressed)
		}
	}
	t.b.WriteString("\n")
	if errs := countLevel(r.Notifications, "error"); errs > 0 {
		fmt.Fprintf(&t.b, "scan incomplete: %d input error(s)\n", errs)
	}
	_, err := io.WriteString(w, t.b.String())
	return err
}

// tableGroup is one heading of the table and its findings.
type tableGroup struct {
	title    string
	severity string // colours the title
	by       string
	findings []finding.Finding
}

// groupFindings splits findings (already sorted by severity, rule,
// resource) into groups in a stable order.
func groupFindings(fs []finding.Finding, by string) []tableGroup {
	key := func(f finding.Finding) string { return f.Severity }
	switch by {
	case "resource":
		key = func(f finding.Finding) string { return f.Resource }
	case "file":
		key = func(f finding.Finding) string {
			if f.Location.File != "" {
				return f.Location.File
			}
			return dash(locationWithoutLine(f.Location))
		}
	case "rule":
		key = func(f finding.Finding) string { return f.RuleID }
	default:
		by = "severity"
	}
	index := map[string]int{}
	var groups []tableGroup
	for _, f := range fs {
		k := key(f)
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, tableGroup{title: k, by: by, severity: f.Severity})
		}
		groups[i].findings = append(groups[i].findings, f)
	}
	if by == "severity" {
		sort.SliceStable(groups, func(i, j int) bool {
			return finding.SeverityRank(groups[i].title) > finding.SeverityRank(groups[j].title)
		})
	} else {
		// Worst group first, then by name.
		sort.SliceStable(groups, func(i, j int) bool {
			ri, rj := finding.SeverityRank(groups[i].severity), finding.SeverityRank(groups[j].severity)
			if ri != rj {
				return ri > rj
			}
			return groups[i].title < groups[j].title
		})
	}
	return groups
}

type tableWriter struct {
	o     Options
	width int
	b     strings.Builder
}

func (t *tableWriter) paint(sev, s string) string {
	if !t.o.Color {
		return s
	}
	return severityColor[sev] + s + reset
}

func (t *tableWriter) line(s string) { t.b.WriteString(s + "\n") }

// wrap writes s word-wrapped to the width; continuation lines start with
// indent. A word longer than a line is cut.
func (t *tableWriter) wrap(s, indent string) {
	for _, l := range wrapText(s, t.width, indent) {
		t.b.WriteString(l + "\n")
	}
}

func (t *tableWriter) group(g tableGroup) {
	switch g.by {
	case "severity":
		t.line(t.paint(g.severity, strings.ToUpper(g.title)) + fmt.Sprintf(" (%d)", len(g.findings)))
	case "rule":
		f := g.findings[0]
		t.wrap(fmt.Sprintf("%s  %s  %s (%d)", t.paint(f.Severity, strings.ToUpper(f.Severity)), f.RuleID, f.Title, len(g.findings)), "    ")
	default:
		t.wrap(fmt.Sprintf("%s (%d)", g.title, len(g.findings)), "    ")
	}
	var rules []string
	remediation := map[string]string{}
	for _, f := range g.findings {
		if _, ok := remediation[f.RuleID]; !ok {
			rules = append(rules, f.RuleID)
			remediation[f.RuleID] = f.Remediation
		}
		var head string
		switch g.by {
		case "severity":
			head = f.RuleID + "  " + f.Resource + locSuffix(f)
		case "resource":
			head = t.paint(f.Severity, strings.ToUpper(f.Severity)) + "  " + f.RuleID + locSuffix(f)
		case "file":
			at := ""
			if f.Location.Line > 0 {
				at = fmt.Sprintf("  (line %d)", f.Location.Line)
			}
			head = t.paint(f.Severity, strings.ToUpper(f.Severity)) + "  " + f.RuleID + "  " + f.Resource + at
		case "rule":
			head = f.Resource + locSuffix(f)
		}
		if f.BaselineState == "new" {
			head += "  [new]"
		}
		t.wrap("  "+head, "      ")
		t.wrap("    "+oneLine(f.Message), "    ")
		if t.o.Verbose && f.Remediation != "" {
			t.wrap("    fix: "+oneLine(f.Remediation), "         ")
		}
	}
	if !t.o.Verbose {
		for _, id := range rules {
			if remediation[id] == "" {
				continue
			}
			if g.by == "rule" {
				t.wrap("  fix: "+oneLine(remediation[id]), "       ")
				continue
			}
			t.wrap("  fix "+id+": "+oneLine(remediation[id]), "    ")
		}
	}
	t.b.WriteString("\n")
}

// safeFinding escapes the text of a finding that comes from the scanned
// inputs (names, messages, locations), so none can start a line (a GitHub
// workflow command) or drive the terminal; see internal/termsafe.
func safeFinding(f finding.Finding) finding.Finding {
	for _, p := range []*string{&f.RuleID, &f.Title, &f.Resource, &f.Message, &f.Remediation,
		&f.Location.File, &f.Location.Cluster, &f.Location.Path, &f.Location.URN} {
		*p = termsafe.String(*p)
	}
	if f.Suppression != nil {
		s := *f.Suppression
		s.Justification = termsafe.String(s.Justification)
		f.Suppression = &s
	}
	return f
}

func locSuffix(f finding.Finding) string {
	if l := f.Location.String(); l != "" {
		return "  (" + l + ")"
	}
	return ""
}

func locationWithoutLine(l finding.Location) string {
	l.Line = 0
	return l.String()
}

// wrapText splits s into lines of at most width columns (escape sequences
// take none); lines after the first start with indent.
func wrapText(s string, width int, indent string) []string {
	lead := len(s) - len(strings.TrimLeft(s, " "))
	words := strings.Split(s[lead:], " ")
	var lines []string
	cur := s[:lead]
	curW := lead
	empty := true
	for _, w := range words {
		if w == "" {
			continue
		}
		ww := visibleWidth(w)
		if !empty && curW+1+ww > width {
			lines = append(lines, cur)
			cur, curW, empty = indent, len(indent), true
		}
		// A word too long for any line is cut.
		for curW+ww > width && ww > width-len(indent) {
			room := width - curW
			if !empty {
				cur += " "
				room--
			}
			if room <= 0 {
				lines = append(lines, cur)
				cur, curW, empty = indent, len(indent), true
				continue
			}
			head, tail := cutColumns(w, room)
			lines = append(lines, cur+head)
			cur, curW, empty = indent, len(indent), true
			w, ww = tail, visibleWidth(tail)
		}
		if !empty {
			cur += " "
			curW++
		}
		cur += w
		curW += ww
		empty = false
	}
	lines = append(lines, cur)
	return lines
}

// visibleWidth counts runes outside ANSI escape sequences.
func visibleWidth(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			j := strings.IndexByte(s[i:], 'm')
			if j < 0 {
				break
			}
			i += j + 1
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	return n
}

// cutColumns splits s after n runes.
func cutColumns(s string, n int) (string, string) {
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i], s[i:]
}

func countLevel(ns []finding.Notification, level string) int {
	n := 0
	for _, x := range ns {
		if x.Level == level {
			n++
		}
	}
	return n
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
