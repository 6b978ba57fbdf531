package report

import (
	"encoding/json"
	"io"

	"github.com/kscan-io/kscan/finding"
)

// JSONSchemaVersion is the version of the JSON output documented in
// docs/json-output.md. Bump it on any incompatible change.
const JSONSchemaVersion = "1"

type jsonReport struct {
	SchemaVersion string                 `json:"schemaVersion"`
	Tool          jsonTool               `json:"tool"`
	Complete      bool                   `json:"complete"`
	Summary       jsonSummary            `json:"summary"`
	Findings      []finding.Finding      `json:"findings"`
	Absent        []finding.Finding      `json:"absent,omitempty"`
	Errors        []finding.Notification `json:"errors"`
	Warnings      []finding.Notification `json:"warnings"`
}

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type jsonSummary struct {
	Resources  int            `json:"resources"`
	Findings   int            `json:"findings"`
	Suppressed int            `json:"suppressed"`
	BySeverity map[string]int `json:"bySeverity"`
}

// JSON renders the versioned JSON document of docs/json-output.md.
func JSON(w io.Writer, r *finding.Report, _ Options) error {
	counts, suppressed := r.Counts()
	total := 0
	for _, c := range counts {
		total += c
	}
	out := jsonReport{
		SchemaVersion: JSONSchemaVersion,
		Tool:          jsonTool{Name: r.ToolName, Version: r.ToolVersion},
		Complete:      !r.Incomplete(),
		Summary:       jsonSummary{Resources: r.Resources, Findings: total, Suppressed: suppressed, BySeverity: counts},
		Findings:      nonNil(r.Findings),
		Absent:        r.Absent,
		Errors:        []finding.Notification{},
		Warnings:      []finding.Notification{},
	}
	for _, n := range r.Notifications {
		if n.Level == "error" {
			out.Errors = append(out.Errors, n)
		} else {
			out.Warnings = append(out.Warnings, n)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func nonNil(f []finding.Finding) []finding.Finding {
	if f == nil {
		return []finding.Finding{}
	}
	return f
}
