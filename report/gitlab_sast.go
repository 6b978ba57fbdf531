package report

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kscan-io/kscan/finding"
)

// GitLabSASTVersion is the GitLab security report schema version written.
const GitLabSASTVersion = "15.2.1"

// gitlabTimeLayout is the schema's date-time pattern (no zone).
const gitlabTimeLayout = "2006-01-02T15:04:05"

type glReport struct {
	Version         string            `json:"version"`
	Schema          string            `json:"schema"`
	Scan            glScan            `json:"scan"`
	Vulnerabilities []glVulnerability `json:"vulnerabilities"`
}

type glScan struct {
	Analyzer  glComponent `json:"analyzer"`
	Scanner   glComponent `json:"scanner"`
	Type      string      `json:"type"`
	StartTime string      `json:"start_time"`
	EndTime   string      `json:"end_time"`
	Status    string      `json:"status"`
	Messages  []glMessage `json:"messages,omitempty"`
}

type glComponent struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	URL     string   `json:"url,omitempty"`
	Version string   `json:"version"`
	Vendor  glVendor `json:"vendor"`
}

type glVendor struct {
	Name string `json:"name"`
}

type glMessage struct {
	Level string `json:"level"`
	Value string `json:"value"`
}

type glVulnerability struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Severity    string         `json:"severity"`
	Solution    string         `json:"solution,omitempty"`
	Identifiers []glIdentifier `json:"identifiers"`
	Links       []glLink       `json:"links,omitempty"`
	Location    glLocation     `json:"location"`
}

type glIdentifier struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
	URL   string `json:"url,omitempty"`
}

type glLink struct {
	Name string `json:"name,omitempty"`
	URL  string `json:"url"`
}

type glLocation struct {
	File      string `json:"file,omitempty"`
	StartLine int    `json:"start_line,omitempty"`
	EndLine   int    `json:"end_line,omitempty"`
	Class     string `json:"class,omitempty"`
}

// GitLabSAST renders a GitLab SAST security report (artifacts:reports:sast),
// so findings show in merge requests and the vulnerability report.
// Suppressed findings are left out (GitLab has no notion of an accepted
// result in this format) and counted in a scan message; input errors are
// scan messages and make the scan status "failure". Times come from
// SOURCE_DATE_EPOCH so the report is reproducible; without it they are the
// Unix epoch.
func GitLabSAST(w io.Writer, r *finding.Report, _ Options) error {
	ts := time.Unix(0, 0).UTC()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			ts = time.Unix(n, 0).UTC()
		}
	}
	version := r.ToolVersion
	if version == "" {
		version = "dev"
	}
	tool := glComponent{ID: "kscan", Name: nonEmpty(r.ToolName, "kscan"), URL: "https://github.com/kscan-io/kscan", Version: version, Vendor: glVendor{Name: "kscan"}}
	out := glReport{
		Version: GitLabSASTVersion,
		Schema:  "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v" + GitLabSASTVersion + "/dist/sast-report-format.json",
		Scan: glScan{
			Analyzer: tool, Scanner: tool, Type: "sast",
			StartTime: ts.Format(gitlabTimeLayout), EndTime: ts.Format(gitlabTimeLayout),
			Status: "success",
		},
		Vulnerabilities: []glVulnerability{},
	}
	if r.Incomplete() {
		out.Scan.Status = "failure"
	}
	for _, n := range r.Notifications {
		level := "warn"
		if n.Level == "error" {
			level = "fatal"
		}
		out.Scan.Messages = append(out.Scan.Messages, glMessage{Level: level, Value: NotificationLine(n)})
	}
	suppressed := 0
	for _, f := range r.Findings {
		if f.Suppression != nil {
			suppressed++
			continue
		}
		out.Vulnerabilities = append(out.Vulnerabilities, glVuln(f))
	}
	if suppressed > 0 {
		out.Scan.Messages = append(out.Scan.Messages, glMessage{Level: "info", Value: fmt.Sprintf("%d suppressed finding(s) not reported", suppressed)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func glVuln(f finding.Finding) glVulnerability {
	desc := f.Message
	if f.Resource != "" {
		desc = f.Resource + ": " + desc
	}
	v := glVulnerability{
		ID:          glUUID(f.Fingerprint + "\x00" + f.RuleID + "\x00" + f.Resource),
		Name:        truncate(nonEmpty(f.Title, f.RuleID), 255),
		Description: truncate(desc, 1<<20),
		Severity:    glSeverity(f.Severity),
		Solution:    truncate(f.Remediation, 7000),
		Identifiers: []glIdentifier{{Type: "kscan_rule_id", Name: "kscan " + f.RuleID, Value: f.RuleID, URL: f.HelpURI}},
		Location:    glLocation{File: f.Location.File, StartLine: f.Location.Line, EndLine: f.Location.Line, Class: f.Resource},
	}
	if f.Location.File == "" {
		// Not from a file (a live cluster, Pulumi state): GitLab still
		// needs a location; the identity and where it was read are it.
		v.Location.File = nonEmpty(f.Location.String(), f.Resource)
	}
	if f.HelpURI != "" {
		v.Links = []glLink{{Name: f.RuleID, URL: f.HelpURI}}
	}
	return v
}

func glSeverity(s string) string {
	switch s {
	case finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info:
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return "Unknown"
}

// glUUID derives a stable UUID (version 5 layout) from s, so a finding keeps
// its id across pipelines.
func glUUID(s string) string {
	h := sha256.Sum256([]byte(s))
	b := h[:16]
	b[6] = (b[6] & 0x0f) | 0x50
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// NotificationLine is a notification as one line of text: its location and
// resource, then the message.
func NotificationLine(n finding.Notification) string {
	loc := n.Location.String()
	if n.Resource != "" {
		if loc != "" {
			loc += " "
		}
		loc += "(" + n.Resource + ")"
	}
	if loc == "" {
		return n.Message
	}
	return loc + ": " + n.Message
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
