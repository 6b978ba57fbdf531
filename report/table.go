package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kscan-io/kscan/finding"
)

var severityColor = map[string]string{
	finding.Critical: "\x1b[1;31m",
	finding.High:     "\x1b[31m",
	finding.Medium:   "\x1b[33m",
	finding.Low:      "\x1b[36m",
	finding.Info:     "\x1b[37m",
}

const reset = "\x1b[0m"

// Table renders findings grouped by severity, one row each, then a summary.
func Table(w io.Writer, r *finding.Report, o Options) error {
	paint := func(sev, s string) string {
		if !o.Color {
			return s
		}
		return severityColor[sev] + s + reset
	}
	var b strings.Builder
	if !o.Quiet {
		for _, n := range r.Notifications {
			loc := n.Location.String()
			if n.Resource != "" {
				if loc != "" {
					loc += " "
				}
				loc += "(" + n.Resource + ")"
			}
			if loc != "" {
				loc += ": "
			}
			fmt.Fprintf(&b, "%s: %s%s\n", strings.ToUpper(n.Level), loc, n.Message)
		}
		if len(r.Notifications) > 0 {
			b.WriteString("\n")
		}
	}
	for _, sev := range []string{finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info} {
		var rows []finding.Finding
		for _, f := range r.Findings {
			if f.Severity == sev && f.Suppression == nil {
				rows = append(rows, f)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s (%d)\n", paint(sev, strings.ToUpper(sev)), len(rows))
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  RULE\tRESOURCE\tLOCATION\tMESSAGE")
		for _, f := range rows {
			msg := f.Message
			if f.BaselineState == "new" {
				msg = "[new] " + msg
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", f.RuleID, f.Resource, dash(f.Location.String()), oneLine(msg))
		}
		tw.Flush()
		b.WriteString("\n")
	}
	counts, suppressed := r.Counts()
	total := 0
	for _, c := range counts {
		total += c
	}
	fmt.Fprintf(&b, "%d findings in %d resources: %s critical, %s high, %s medium, %s low",
		total, r.Resources,
		paint(finding.Critical, fmt.Sprint(counts[finding.Critical])),
		paint(finding.High, fmt.Sprint(counts[finding.High])),
		paint(finding.Medium, fmt.Sprint(counts[finding.Medium])),
		paint(finding.Low, fmt.Sprint(counts[finding.Low])))
	if counts[finding.Info] > 0 {
		fmt.Fprintf(&b, ", %d info", counts[finding.Info])
	}
	if suppressed > 0 {
		fmt.Fprintf(&b, " (%d suppressed)", suppressed)
	}
	b.WriteString("\n")
	if errs := countLevel(r.Notifications, "error"); errs > 0 {
		fmt.Fprintf(&b, "scan incomplete: %d input error(s)\n", errs)
	}
	_, err := io.WriteString(w, b.String())
	return err
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
