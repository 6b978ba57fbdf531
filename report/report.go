// Package report renders a finding.Report in one of kscan's output formats.
// Each format lives in its own file; all are byte-for-byte deterministic for
// the same report.
package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
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

// Set is a set of output formats by name. Builtin has this package's; the
// CLI adds the ones other packages own (policyreport's offline YAML)
// explicitly, with With.
type Set map[string]Writer

// Builtin returns the formats this package writes.
func Builtin() Set {
	return Set{
		"table": Table,
		"json":  JSON,
		"sarif": SARIF,
		"junit": JUnit,
		// GitLab SAST security report (artifacts:reports:sast), see ci/gitlab.
		"gitlab-sast": GitLabSAST,
		// One self-contained page (inline CSS, SVG and script).
		"html": HTML,
	}
}

// With returns s and more together (more wins on a name in both).
func (s Set) With(more map[string]Writer) Set {
	out := make(Set, len(s)+len(more))
	maps.Copy(out, s)
	maps.Copy(out, more)
	return out
}

// Names lists the format names, sorted.
func (s Set) Names() []string { return slices.Sorted(maps.Keys(s)) }

// Writer returns the writer of a format, or an error naming the valid
// formats.
func (s Set) Writer(format string) (Writer, error) {
	f, ok := s[strings.ToLower(format)]
	if !ok {
		return nil, fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(s.Names(), ", "))
	}
	return f, nil
}

// Write renders r in the named format.
func (s Set) Write(w io.Writer, format string, r *finding.Report, o Options) error {
	f, err := s.Writer(format)
	if err != nil {
		return err
	}
	return f(w, r, o)
}

// Formats lists the names of the built-in formats.
func Formats() []string { return Builtin().Names() }

// Write renders r in a built-in format.
func Write(w io.Writer, format string, r *finding.Report, o Options) error {
	return Builtin().Write(w, format, r, o)
}
