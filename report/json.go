package report

import (
	"bytes"
	"io"

	"github.com/kscan-io/kscan/finding"
)

// JSONSchemaVersion is the version of the JSON output documented in
// docs/json-output.md. Bump it on any incompatible change.
const JSONSchemaVersion = "1"

type jsonReport struct {
	SchemaVersion string                    `json:"schemaVersion"`
	Tool          jsonTool                  `json:"tool"`
	Complete      bool                      `json:"complete"`
	Summary       jsonSummary               `json:"summary"`
	Compliance    []finding.FrameworkResult `json:"compliance,omitempty"`
	Findings      []finding.Finding         `json:"findings"`
	Absent        []finding.Finding         `json:"absent,omitempty"`
	Errors        []finding.Notification    `json:"errors"`
	Warnings      []finding.Notification    `json:"warnings"`
	// RepositoryConfig: what the scanned repository's files changed.
	RepositoryConfig []finding.ConfigSetting `json:"repositoryConfig,omitempty"`
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
		SchemaVersion:    JSONSchemaVersion,
		Tool:             jsonTool{Name: r.ToolName, Version: r.ToolVersion},
		Complete:         !r.Incomplete(),
		Summary:          jsonSummary{Resources: r.Resources, Findings: total, Suppressed: suppressed, BySeverity: counts},
		Compliance:       r.Compliance,
		Findings:         nonNil(r.Findings),
		Absent:           r.Absent,
		Errors:           []finding.Notification{},
		Warnings:         []finding.Notification{},
		RepositoryConfig: r.Config,
	}
	for _, n := range r.Notifications {
		if n.Level == "error" {
			out.Errors = append(out.Errors, n)
		} else {
			out.Warnings = append(out.Warnings, n)
		}
	}
	return writeJSON(w, out)
}

// writeJSON writes the document exactly as an indented json.Encoder would,
// but renders the findings in parallel blocks (see writeOrdered).
func writeJSON(w io.Writer, out jsonReport) error {
	bw := bufferedWriter(w)
	top := newIndentEncoder("  ")
	var head bytes.Buffer
	field := func(name string, v any) error {
		head.WriteString("  \"" + name + "\": ")
		if err := top.appendTo(&head, v); err != nil {
			return err
		}
		head.WriteString(",\n")
		return nil
	}
	head.WriteString("{\n")
	for _, f := range []struct {
		name string
		v    any
	}{{"schemaVersion", out.SchemaVersion}, {"tool", out.Tool}, {"complete", out.Complete}, {"summary", out.Summary}, {"compliance", out.Compliance}} {
		if f.name == "compliance" && len(out.Compliance) == 0 {
			continue // only with --framework
		}
		if err := field(f.name, f.v); err != nil {
			return err
		}
	}
	if _, err := bw.Write(head.Bytes()); err != nil {
		return err
	}
	if err := writeFindingList(bw, "findings", out.Findings); err != nil {
		return err
	}
	head.Reset()
	if len(out.Absent) > 0 {
		head.WriteString(",\n")
		if _, err := bw.Write(head.Bytes()); err != nil {
			return err
		}
		head.Reset()
		if err := writeFindingList(bw, "absent", out.Absent); err != nil {
			return err
		}
	}
	head.WriteString(",\n")
	if err := field("errors", out.Errors); err != nil {
		return err
	}
	if len(out.RepositoryConfig) > 0 {
		if err := field("warnings", out.Warnings); err != nil {
			return err
		}
		head.WriteString("  \"repositoryConfig\": ")
		if err := top.appendTo(&head, out.RepositoryConfig); err != nil {
			return err
		}
	} else {
		head.WriteString("  \"warnings\": ")
		if err := top.appendTo(&head, out.Warnings); err != nil {
			return err
		}
	}
	head.WriteString("\n}\n")
	if _, err := bw.Write(head.Bytes()); err != nil {
		return err
	}
	return bw.Flush()
}

// writeFindingList writes `  "name": [ ... ]` (without a trailing comma).
func writeFindingList(w io.Writer, name string, fs []finding.Finding) error {
	if len(fs) == 0 {
		_, err := io.WriteString(w, "  \""+name+"\": []")
		return err
	}
	if _, err := io.WriteString(w, "  \""+name+"\": [\n"); err != nil {
		return err
	}
	err := writeElements(w, len(fs), "    ", func() func(*bytes.Buffer, int) error {
		enc := newIndentEncoder("    ")
		return func(dst *bytes.Buffer, i int) error { return enc.appendTo(dst, fs[i]) }
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "  ]")
	return err
}

func nonNil(f []finding.Finding) []finding.Finding {
	if f == nil {
		return []finding.Finding{}
	}
	return f
}
