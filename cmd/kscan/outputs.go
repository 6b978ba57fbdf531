package main

import (
	"fmt"
	"github.com/kscan-io/kscan/report/policyreport"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/report"
)

// outputFlags are the flags that shape reports: several formats from one
// scan, the table's layout and SARIF's paths.
type outputFlags struct {
	outputs        []string
	groupBy        string
	verbose        bool
	showSuppressed bool
	sarifRoot      string
	sarifCategory  string

	targets []outputTarget // resolved
	// events are the --format and --output flags in the order given, for
	// repeated --format F --output P pairs.
	events []flagEvent
}

// flagEvent is one --format or --output on the command line.
type flagEvent struct{ name, value string }

// orderedFlag is a string flag that also records each occurrence in
// order. It is a plain string flag otherwise (the last value wins, help
// and config files see a string), so one --format and one --output keep
// their meaning in any order.
type orderedFlag struct {
	p      *string
	name   string
	events *[]flagEvent
}

func (o *orderedFlag) Set(v string) error {
	*o.p = v
	*o.events = append(*o.events, flagEvent{o.name, v})
	return nil
}
func (o *orderedFlag) String() string { return *o.p }
func (o *orderedFlag) Type() string   { return "string" }

// pairs reads repeated --format F [--output P] pairs: each --output writes
// the report of the --format before it; a format without one goes to
// stdout. ok is false when --format was given at most once (the plain
// meaning of --format and --output then holds).
func (o *outputFlags) pairs() (targets []outputTarget, ok bool, err error) {
	formats := 0
	for _, e := range o.events {
		if e.name == "format" {
			formats++
		}
	}
	if formats < 2 {
		return nil, false, nil
	}
	for _, e := range o.events {
		switch e.name {
		case "format":
			targets = append(targets, outputTarget{format: strings.ToLower(e.value)})
		case "output":
			if len(targets) == 0 {
				return nil, true, fmt.Errorf("--output %s comes before the first --format: with several --format, give each --format its --output after it", e.value)
			}
			last := &targets[len(targets)-1]
			if last.path != "" {
				return nil, true, fmt.Errorf("--format %s has two --output (%s and %s)", last.format, last.path, e.value)
			}
			last.path = e.value
		}
	}
	stdout := ""
	paths := map[string]bool{}
	for _, t := range targets {
		if t.path != "" && paths[t.path] {
			return nil, true, fmt.Errorf("--output %s is written twice", t.path)
		}
		paths[t.path] = true
		if _, err := outputFormats().Writer(t.format); err != nil {
			return nil, true, fmt.Errorf("--format: %w", err)
		}
		if t.path == "" {
			if stdout != "" {
				return nil, true, fmt.Errorf("--format %s and --format %s both write to stdout: give one of them --output", stdout, t.format)
			}
			stdout = t.format
		}
	}
	return targets, true, nil
}

// outputTarget is one report to write: a format and a path ("" = stdout).
type outputTarget struct {
	format, path string
}

func (o *outputFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&o.outputs, "output-format", nil, "more reports from the same scan, as FORMAT=PATH (e.g. sarif=kscan.sarif,json=kscan.json,html=report.html); the table still goes to stdout unless --format or --output say otherwise")
	fs.StringVar(&o.groupBy, "group-by", "severity", "table: group findings by severity, resource, file or rule")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "table: remediation under every finding")
	fs.BoolVar(&o.showSuppressed, "show-suppressed", false, "table: list suppressed findings too, with their reason")
	fs.StringVar(&o.sarifRoot, "sarif-root", "", "SARIF: directory URIs are relative to (%SRCROOT%) (default: the Git top level of the first input, else the working directory)")
	fs.StringVar(&o.sarifCategory, "sarif-category", "", "SARIF: automationDetails.id, telling apart several analyses of one commit (e.g. kscan/k8s/)")
}

// resolve checks the report flags and lists the reports to write.
func (o *outputFlags) resolve(cmd *cobra.Command, f *scanFlags) error {
	o.targets = nil
	paired, ok, err := o.pairs()
	if err != nil {
		return err
	}
	stdout := false
	if ok {
		o.targets = paired
		for _, t := range paired {
			stdout = stdout || t.path == ""
		}
	} else {
		if _, err := outputFormats().Writer(f.format); err != nil {
			return fmt.Errorf("--format: %w", err)
		}
		// The main report: --format to --output (stdout when unset). With
		// only --output-format, the table goes to stdout beside the files.
		o.targets = append(o.targets, outputTarget{strings.ToLower(f.format), f.output})
		stdout = f.output == ""
	}
	for _, spec := range o.outputs {
		name, path, ok := strings.Cut(spec, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		path = strings.TrimSpace(path)
		if !ok || path == "" {
			return fmt.Errorf("--output-format %q: want FORMAT=PATH (PATH - for stdout)", spec)
		}
		if _, err := outputFormats().Writer(name); err != nil {
			return fmt.Errorf("--output-format: %w", err)
		}
		if path == "-" {
			if stdout {
				return fmt.Errorf("--output-format %q: stdout already has a report", spec)
			}
			path, stdout = "", true
		}
		for _, t := range o.targets {
			if t.path != "" && t.path == path {
				return fmt.Errorf("--output-format %q: %s is written twice", spec, path)
			}
		}
		o.targets = append(o.targets, outputTarget{name, path})
	}
	switch o.groupBy {
	case "severity", "resource", "file", "rule":
	default:
		return fmt.Errorf("--group-by %q: want severity, resource, file or rule", o.groupBy)
	}
	return nil
}

// needsPasses tells whether a requested report lists what passed (JUnit
// test cases, PolicyReport pass results), which the scan then computes.
func (o *outputFlags) needsPasses() bool {
	for _, t := range o.targets {
		switch t.format {
		case "junit", policyreport.APIPolicyReport, policyreport.APIOpenReports:
			return true
		}
	}
	return false
}

// write renders every requested report of one scan.
func (o *outputFlags) write(stdout io.Writer, f *scanFlags, rep *finding.Report, inputs []string) error {
	root := o.sarifRoot
	if root == "" {
		root = defaultSARIFRoot(inputs)
	}
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	wd, _ := os.Getwd()
	base := report.Options{
		Quiet:          f.quiet,
		FailOn:         f.failOn,
		GroupBy:        o.groupBy,
		Verbose:        o.verbose,
		ShowSuppressed: o.showSuppressed,
		SARIFRoot:      root,
		SARIFCategory:  o.sarifCategory,
		WorkDir:        wd,
		Inputs:         inputs,
		MaxResults:     f.src.kube.reportMaxResults,
	}
	for _, t := range o.targets {
		opts := base
		if t.path == "" {
			opts.Color = useColor(stdout, f.noColor)
			opts.Width = terminalWidth(stdout)
		} else {
			opts.Width = terminalWidth(nil)
		}
		// Streamed: a report of many findings is never held whole.
		write := func(w io.Writer) error {
			if err := outputFormats().Write(w, t.format, rep, opts); err != nil {
				return err
			}
			if t.format == "table" {
				f.src.ci.writeTableExtras(w, rep)
			}
			return nil
		}
		if t.path == "" {
			if err := buffered(stdout, write); err != nil {
				return err
			}
			continue
		}
		if err := writeOutputFunc(t.path, write); err != nil {
			return err
		}
	}
	return nil
}

// terminalWidth is COLUMNS when set, else the terminal's width when w is
// one, else 100.
func terminalWidth(w io.Writer) int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if file, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(file.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	return 100
}

// defaultSARIFRoot is the Git top level of the first input path (the
// nearest directory holding .git), else the working directory: GitHub
// resolves result URIs against the repository root.
func defaultSARIFRoot(inputs []string) string {
	wd, _ := os.Getwd()
	for _, in := range inputs {
		if in == "-" {
			continue
		}
		abs, err := filepath.Abs(in)
		if err != nil {
			break
		}
		for dir := abs; ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
				return dir
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
		break
	}
	return wd
}
