package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

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

// BuildSARIF converts a report to a SARIF 2.1.0 log.
func BuildSARIF(r *finding.Report) *sarif.Report {
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

	for _, f := range r.Findings {
		run.Results = append(run.Results, sarifResult(f, index))
	}
	for _, f := range r.Absent {
		res := sarifResult(f, index)
		res.BaselineState = strp("absent")
		run.Results = append(run.Results, res)
	}

	inv := sarif.NewInvocation()
	ok := !r.Incomplete()
	inv.ExecutionSuccessful = &ok
	for _, n := range r.Notifications {
		note := sarif.NewNotification()
		note.Level = n.Level
		msg := n.Message
		if n.Resource != "" {
			msg = n.Resource + ": " + msg
		}
		note.Message = &sarif.Message{Text: strp(msg)}
		if loc := physical(n.Location); loc != nil {
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
	log.AddRun(run)
	return log
}

func sarifResult(f finding.Finding, index map[string]int) *sarif.Result {
	res := sarif.NewRuleResult(f.RuleID)
	if i, ok := index[f.RuleID]; ok {
		res.RuleIndex = i
	}
	res.Level = SARIFLevel(f.Severity)
	res.Message = &sarif.Message{Text: strp(f.Message)}
	loc := sarif.NewLocation()
	loc.PhysicalLocation = physical(f.Location)
	ll := sarif.NewLogicalLocation()
	ll.FullyQualifiedName = strp(f.Resource)
	ll.Name = strp(lastSegment(f.Resource))
	ll.Kind = strp("resource")
	loc.LogicalLocations = []*sarif.LogicalLocation{ll}
	res.Locations = []*sarif.Location{loc}
	res.PartialFingerprints = map[string]string{FingerprintKey: f.Fingerprint}
	props := sarif.NewPropertyBag()
	props.Add("severity", f.Severity)
	props.Add("resourceType", f.ResourceType)
	if len(f.Related) > 0 {
		props.Add("related", f.Related)
	}
	res.Properties = props
	if f.Suppression != nil {
		s := sarif.NewSuppression()
		s.Kind = strp(f.Suppression.Kind)
		s.Justification = strp(f.Suppression.Justification)
		s.Status = strp("accepted")
		res.Suppressions = []*sarif.Suppression{s}
	}
	if f.BaselineState != "" {
		res.BaselineState = strp(f.BaselineState)
	}
	return res
}

// physical renders a location as a SARIF physical location: the file
// (relative to the working directory) and line; for live objects the
// cluster and API path as a k8s:// URI; for Pulumi the state file.
func physical(l finding.Location) *sarif.PhysicalLocation {
	al := sarif.NewArtifactLocation()
	switch {
	case l.File != "":
		al.URI = strp(l.File)
	case l.Path != "":
		al.URI = strp("k8s://" + l.Cluster + l.Path)
	default:
		return nil
	}
	pl := sarif.NewPhysicalLocation()
	pl.ArtifactLocation = al
	if l.Line > 0 {
		reg := sarif.NewRegion()
		reg.StartLine = &l.Line
		pl.Region = reg
	}
	return pl
}

// SARIF renders the report as SARIF 2.1.0 JSON.
func SARIF(w io.Writer, r *finding.Report, _ Options) error {
	raw, err := json.Marshal(BuildSARIF(r))
	if err != nil {
		return err
	}
	// The library fills every optional field with a default (-1 indices,
	// empty arrays, nulls); drop those so the log says only what kscan knows.
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return err
	}
	doc = prune(doc, "")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
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
