package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/kscan-io/kscan/finding"
)

// FingerprintKey names kscan's entry in SARIF partialFingerprints. Baseline
// matching (kscan and GitHub code scanning alike) relies on it; never change
// what it hashes.
const FingerprintKey = "kscanFindingHash/v1"

// securitySeverity is GitHub code scanning's numeric severity.
var securitySeverity = map[string]string{
	finding.Critical: "9.5", finding.High: "8.0", finding.Medium: "5.5", finding.Low: "3.0", finding.Info: "1.0",
}

// SARIFLevel maps a severity to a SARIF result level.
func SARIFLevel(sev string) string {
	switch sev {
	case finding.Critical, finding.High:
		return "error"
	case finding.Medium:
		return "warning"
	}
	return "note"
}

// BuildSARIF converts a report to a SARIF 2.1.0 log, as SARIF writes it.
func BuildSARIF(r *finding.Report, o Options) (*sarif.Report, error) {
	var buf bytes.Buffer
	if err := SARIF(&buf, r, o); err != nil {
		return nil, err
	}
	log := &sarif.Report{}
	if err := json.Unmarshal(buf.Bytes(), log); err != nil {
		return nil, err
	}
	return log, nil
}

// buildSARIF converts everything but the results to a SARIF 2.1.0 log.
func buildSARIF(r *finding.Report, c *sarifContext) *sarif.Report {
	log := sarif.NewReport()
	run := sarif.NewRunWithInformationURI(r.ToolName, "https://github.com/kscan-io/kscan")
	run.Tool.Driver.Version = strp(r.ToolVersion)
	run.Tool.Driver.SemanticVersion = strp(strings.TrimPrefix(r.ToolVersion, "v"))

	rules := append([]finding.Rule(nil), r.Rules...)
	sort.Slice(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID })
	index := map[string]int{}
	for i, rule := range rules {
		index[rule.ID] = i
		d := sarif.NewRule(rule.ID)
		d.Name = strp(ruleName(rule.ID))
		if len(rule.Aliases) > 0 {
			d.DeprecatedIds = append([]string(nil), rule.Aliases...) // former ids, so consumers keep history
		}
		d.ShortDescription = &sarif.MultiformatMessageString{Text: strp(rule.Title)}
		d.FullDescription = &sarif.MultiformatMessageString{Text: strp(nonEmpty(rule.Description, rule.Title))}
		help := nonEmpty(rule.Remediation, rule.Title)
		d.Help = &sarif.MultiformatMessageString{Text: strp(help), Markdown: strp(fmt.Sprintf("**%s**\n\n%s\n\n%s", rule.Title, rule.Description, rule.Remediation))}
		if rule.HelpURI != "" {
			d.HelpURI = strp(rule.HelpURI)
		}
		d.DefaultConfiguration = sarif.NewReportingConfiguration()
		d.DefaultConfiguration.Level = SARIFLevel(rule.Severity)
		props := sarif.NewPropertyBag()
		props.Tags = ruleTags(rule)
		props.Add("security-severity", securitySeverity[rule.Severity])
		props.Add("severity", rule.Severity)
		props.Add("precision", "high")
		d.Properties = props
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, d)
	}

	if c.category != "" {
		run.AutomationDetails = &sarif.RunAutomationDetails{ID: strp(c.category)}
	}
	base := sarif.NewArtifactLocation()
	base.URI = strp(c.rootURI)
	run.OriginalUriBaseIds = map[string]sarif.ArtifactLocation{srcRoot: *base}

	inv := sarif.NewInvocation()
	ok := !r.Incomplete()
	inv.ExecutionSuccessful = &ok
	if len(r.Config) > 0 {
		props := sarif.NewPropertyBag()
		props.Add("repositoryConfig", r.Config)
		inv.Properties = props
	}
	for _, n := range r.Notifications {
		note := sarif.NewNotification()
		note.Level = n.Level
		msg := n.Message
		if n.Resource != "" {
			msg = n.Resource + ": " + msg
		}
		note.Message = &sarif.Message{Text: strp(msg)}
		if loc := c.physical(n.Location); loc != nil {
			note.Locations = []*sarif.Location{{PhysicalLocation: loc}}
		}
		if n.RuleID != "" {
			ref := sarif.NewReportingDescriptorReference()
			ref.ID = strp(n.RuleID)
			note.AssociatedRule = ref
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, note)
	}
	run.Invocations = []*sarif.Invocation{inv}
	if len(r.Compliance) > 0 {
		// Per-control results of --framework, as a run property bag (SARIF
		// 2.1.0 §3.8): machine-readable without inventing result kinds.
		props := sarif.NewPropertyBag()
		props.Add("kscan/compliance", complianceProps(r.Compliance))
		run.Properties = props
	}
	log.AddRun(run)
	return log
}

// complianceProps is r.Compliance as plain JSON values.
func complianceProps(fs []finding.FrameworkResult) []any {
	raw, _ := json.Marshal(fs)
	var out []any
	_ = json.Unmarshal(raw, &out)
	return out
}

// SARIF renders the report as SARIF 2.1.0 JSON. The document around the
// results (rules, invocation, notifications) goes through the library and
// pruneSARIF; the results, which are nearly all of a large log, are written
// directly in the same form (sorted keys, no empty fields), in parallel
// blocks.
func SARIF(w io.Writer, r *finding.Report, o Options) error {
	c := newSARIFContext(o)
	head := *r
	head.Findings, head.Absent = nil, nil
	log := buildSARIF(&head, c)
	doc, err := pruneSARIF(log)
	if err != nil {
		return err
	}
	n := len(r.Findings) + len(r.Absent)
	if n == 0 {
		_, err = w.Write(doc)
		return err
	}
	// The run's empty result list is where the results go.
	const empty = "\n      \"results\": [],\n"
	at := bytes.Index(doc, []byte(empty))
	if at < 0 {
		return errors.New("sarif: no result list in the document")
	}
	bw := bufferedWriter(w)
	bw.Write(doc[:at])
	bw.WriteString("\n      \"results\": [\n")
	index := ruleIndexes(r.Rules)
	err = writeElements(bw, n, resultIndent, func() func(*bytes.Buffer, int) error {
		return func(dst *bytes.Buffer, i int) error {
			f, baseline := resultAt(r, i)
			c.appendResult(dst, f, baseline, index)
			return nil
		}
	})
	if err != nil {
		return err
	}
	bw.WriteString("      ],\n")
	bw.Write(doc[at+len(empty):])
	return bw.Flush()
}

// pruneSARIF renders a log as indented JSON without the library's
// defaults (-1 indices, empty arrays, nulls), so the log says only what
// kscan knows.
func pruneSARIF(log *sarif.Report) ([]byte, error) {
	raw, err := json.Marshal(log)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	doc = prune(doc, "")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// resultAt is the i-th result of a log: findings, then absent findings.
func resultAt(r *finding.Report, i int) (finding.Finding, string) {
	if i < len(r.Findings) {
		return r.Findings[i], r.Findings[i].BaselineState
	}
	return r.Absent[i-len(r.Findings)], "absent"
}

// ruleIndexes maps rule ids to their index in the log's rule list, which
// BuildSARIF sorts by id.
func ruleIndexes(rules []finding.Rule) map[string]int {
	ids := make([]string, len(rules))
	for i, r := range rules {
		ids[i] = r.ID
	}
	sort.Strings(ids)
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		index[id] = i
	}
	return index
}

// resultIndent is the indentation of runs[0].results[i].
const resultIndent = "        "

// objWriter writes indented JSON as json.Encoder.SetIndent does, tracking
// whether the current object or array already has a member.
type objWriter struct {
	dst    *bytes.Buffer
	indent string
	depth  int
	first  []bool
}

func (o *objWriter) newline() {
	o.dst.WriteByte('\n')
	o.dst.WriteString(o.indent)
	for range o.depth {
		o.dst.WriteString("  ")
	}
}

// member starts the next member of the current container.
func (o *objWriter) member() {
	top := len(o.first) - 1
	if !o.first[top] {
		o.dst.WriteByte(',')
	}
	o.first[top] = false
	o.newline()
}

func (o *objWriter) openObject() {
	o.dst.WriteByte('{')
	o.depth++
	o.first = append(o.first, true)
}

func (o *objWriter) openArray() {
	o.dst.WriteByte('[')
	o.depth++
	o.first = append(o.first, true)
}

// openItem starts an object as the next element of the current array.
func (o *objWriter) openItem() {
	o.member()
	o.openObject()
}

// item starts a scalar as the next element of the current array.
func (o *objWriter) item() { o.member() }

func (o *objWriter) close(c byte) {
	o.depth--
	o.first = o.first[:len(o.first)-1]
	o.newline()
	o.dst.WriteByte(c)
}

func (o *objWriter) key(k string) {
	o.member()
	appendJSONString(o.dst, k)
	o.dst.WriteString(": ")
}

func (o *objWriter) str(k, v string) {
	o.key(k)
	appendJSONString(o.dst, v)
}

func (o *objWriter) num(k string, v int) {
	o.key(k)
	o.dst.WriteString(strconv.Itoa(v))
}

// appendJSONString writes s as pruneSARIF renders it: encoding/json
// without HTML escaping (quotes, backslashes and control characters
// escaped, U+2028 and U+2029 escaped) after a JSON round trip, which turns
// invalid UTF-8 into a literal U+FFFD.
func appendJSONString(dst *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	dst.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst.WriteString(s[start:i])
			switch b {
			case '\\', '"':
				dst.WriteByte('\\')
				dst.WriteByte(b)
			case '\b':
				dst.WriteString(`\b`)
			case '\f':
				dst.WriteString(`\f`)
			case '\n':
				dst.WriteString(`\n`)
			case '\r':
				dst.WriteString(`\r`)
			case '\t':
				dst.WriteString(`\t`)
			default:
				dst.WriteString(`\u00`)
				dst.WriteByte(hex[b>>4])
				dst.WriteByte(hex[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst.WriteString(s[start:i])
			dst.WriteString("\uFFFD")
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst.WriteString(s[start:i])
			dst.WriteString(`\u202`)
			dst.WriteByte(hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst.WriteString(s[start:])
	dst.WriteByte('"')
}

// defaultMinusOne are SARIF properties whose -1 means "not set".
var defaultMinusOne = map[string]bool{
	"index": true, "parentIndex": true, "rank": true, "id": true, "byteOffset": true, "charOffset": true, "ruleIndex": true,
}

// keepEmpty are properties kept even when empty: consumers expect a run's
// results and the invocation's notifications to be present.
var keepEmpty = map[string]bool{"results": true, "toolExecutionNotifications": true, "rules": true}

func prune(v any, key string) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			pe := prune(e, k)
			if pe == nil || (defaultMinusOne[k] && pe == float64(-1)) {
				delete(t, k)
				continue
			}
			if !keepEmpty[k] {
				if a, ok := pe.([]any); ok && len(a) == 0 {
					delete(t, k)
					continue
				}
				if m, ok := pe.(map[string]any); ok && len(m) == 0 {
					delete(t, k)
					continue
				}
			}
			t[k] = pe
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = prune(e, key)
		}
		return t
	}
	return v
}

func ruleTags(r finding.Rule) []string {
	tags := []string{"security", strings.SplitN(r.ID, "/", 2)[0]}
	fws := make([]string, 0, len(r.Frameworks))
	for fw := range r.Frameworks {
		fws = append(fws, fw)
	}
	sort.Strings(fws)
	for _, fw := range fws {
		tags = append(tags, fw)
	}
	return tags
}

// ruleName turns "k8s/image-tag-latest" into "ImageTagLatest".
func ruleName(id string) string {
	parts := strings.FieldsFunc(id, func(r rune) bool { return r == '/' || r == '-' || r == '_' })
	var b strings.Builder
	for i, p := range parts {
		if i == 0 && len(parts) > 1 {
			continue // the domain is already in the id
		}
		b.WriteString(strings.ToUpper(p[:1]) + p[1:])
	}
	return b.String()
}

func lastSegment(id string) string {
	if i := strings.LastIndexAny(id, "/:"); i >= 0 && i < len(id)-1 {
		return id[i+1:]
	}
	return id
}

func nonEmpty(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

func strp(s string) *string { return &s }
