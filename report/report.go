// Package report renders a finding.Report in one of kscan's output formats.
// Each format lives in its own file; all are byte-for-byte deterministic for
// the same report.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/kscan-io/kscan/finding"
)

// Options tune rendering.
type Options struct {
	Color bool // ANSI colour (table only)
	Quiet bool // table: summary and findings only, no notifications
	// FailOn is the --fail-on threshold, shown in the table summary.
	FailOn string
	// Width is the table's width in columns (0: 100); long cells wrap.
	Width int
	// GroupBy groups the table: severity (default), resource, file or rule.
	GroupBy string
	// Verbose shows remediation under every finding, not once per group.
	Verbose bool
	// ShowSuppressed lists suppressed findings in the table.
	ShowSuppressed bool
	// SARIFRoot is the absolute directory SARIF URIs are relative to, as
	// %SRCROOT% ("" : the working directory).
	SARIFRoot string
	// SARIFCategory is SARIF's runs[0].automationDetails.id.
	SARIFCategory string
	// WorkDir is the directory relative locations are read from ("": the
	// process's working directory).
	WorkDir string
	// Inputs are the paths given to the scan: SARIF points a result with
	// no file of its own at the first of them.
	Inputs []string
	// MaxResults caps the results of one PolicyReport object
	// (--report-max-results; 0: the package's default).
	MaxResults int
}

// Writer renders one report.
type Writer func(w io.Writer, r *finding.Report, o Options) error

// formats lists every output format, registered here and nowhere else.
var formats = map[string]Writer{
	"table": Table,
	"json":  JSON,
	"sarif": SARIF,
	"junit": JUnit,
	// GitLab SAST security report (artifacts:reports:sast), see ci/gitlab.
	"gitlab-sast": GitLabSAST,
	// One self-contained page (inline CSS, SVG and script).
	"html": HTML,
}

// RegisterFormat adds a format (used by packages that own one, such as the
// PolicyReport writer).
func RegisterFormat(name string, w Writer) { formats[name] = w }

// Formats lists the format names.
func Formats() []string {
	out := make([]string, 0, len(formats))
	for k := range formats {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Write renders r in the named format.
func Write(w io.Writer, format string, r *finding.Report, o Options) error {
	f, ok := formats[strings.ToLower(format)]
	if !ok {
		return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats(), ", "))
	}
	return f(w, r, o)
}

// FormatWriter returns the writer of a format, or an error naming the valid
// formats.
func FormatWriter(format string) (Writer, error) {
	f, ok := formats[strings.ToLower(format)]
	if !ok {
		return nil, fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats(), ", "))
	}
	return f, nil
}
