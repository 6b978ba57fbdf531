package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/kscan-io/kscan/finding"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Error     *junitFailure `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// JUnit renders one test suite per rule and one test case per (rule,
// resource) evaluated: a resource the rule judged without a finding is a
// passing case, so a clean scan still lists what was checked. Which
// resources a rule judges comes from its METADATA custom.applies_to
// (finding.Report.Evaluated); a rule that declares nothing lists its
// failures, or one passing case "all resources" when it found nothing.
// Suppressed findings are skipped cases; framework controls are a suite per
// framework; input errors are error cases in a "kscan/inputs" suite.
func JUnit(w io.Writer, r *finding.Report, _ Options) error {
	byRule := map[string][]finding.Finding{}
	for _, f := range r.Findings {
		byRule[f.RuleID] = append(byRule[f.RuleID], f)
	}
	ran := map[string]bool{}
	for _, rule := range r.Rules {
		ran[rule.ID] = true
	}
	for id := range byRule {
		ran[id] = true
	}
	ids := make([]string, 0, len(ran))
	for id := range ran {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := junitSuites{Name: "kscan"}
	for _, id := range ids {
		s := junitSuite{Name: id}
		// One case per resource; several findings on one resource are one
		// failure with every message.
		type agg struct {
			f    finding.Finding
			msgs strings.Builder
			supp bool
		}
		cases := map[string]*agg{}
		for _, f := range byRule[id] {
			a, ok := cases[f.Resource]
			if !ok {
				a = &agg{f: f, supp: true}
				cases[f.Resource] = a
			}
			fmt.Fprintf(&a.msgs, "%s [%s] %s\n", f.Location.String(), f.Severity, f.Message)
			if f.Suppression == nil {
				a.supp = false
			}
		}
		evaluated, declared := r.Evaluated[id]
		resources := make([]string, 0, len(evaluated)+len(cases))
		resources = append(resources, evaluated...)
		for res := range cases {
			if _, found := slices.BinarySearch(evaluated, res); !found {
				resources = append(resources, res)
			}
		}
		sort.Strings(resources)
		if !declared && len(resources) == 0 {
			resources = append(resources, "all resources")
		}
		for _, res := range resources {
			c := junitCase{Name: res, Classname: id}
			if a := cases[res]; a != nil {
				if a.supp {
					c.Skipped = &junitSkipped{Message: "suppressed: " + a.f.Suppression.Justification}
					s.Skipped++
				} else {
					c.Failure = &junitFailure{Message: a.f.Title, Type: a.f.Severity, Text: a.msgs.String()}
					s.Failures++
				}
			}
			s.Cases = append(s.Cases, c)
			s.Tests++
		}
		// A rule with nothing to judge (no IAM data for an IAM rule) is
		// left out rather than shown as an empty suite.
		if s.Tests > 0 {
			out.Suites = append(out.Suites, s)
		}
	}
	for _, fr := range r.Compliance {
		out.Suites = append(out.Suites, complianceSuite(fr))
	}
	if len(r.Notifications) > 0 {
		s := junitSuite{Name: "kscan/inputs"}
		for _, n := range r.Notifications {
			if n.Level != "error" {
				continue
			}
			name := n.Location.String()
			if name == "" {
				name = n.Resource
			}
			s.Cases = append(s.Cases, junitCase{Name: name, Classname: "kscan/inputs", Error: &junitFailure{Message: n.Message, Type: "input-error", Text: n.Message}})
			s.Tests++
			s.Errors++
		}
		if s.Tests > 0 {
			out.Suites = append(out.Suites, s)
		}
	}
	for _, s := range out.Suites {
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// complianceSuite is one framework of --framework: a test case per control.
// Failed controls and rule errors fail; partial and not covered controls
// are skipped with the reason, since neither is a verified pass.
func complianceSuite(fr finding.FrameworkResult) junitSuite {
	s := junitSuite{Name: "framework/" + fr.ID}
	for _, c := range fr.Controls {
		tc := junitCase{Name: c.ID + ": " + c.Title, Classname: "framework/" + fr.ID}
		switch c.Status {
		case finding.ControlFail:
			tc.Failure = &junitFailure{Message: fmt.Sprintf("%d finding(s)", c.Findings), Type: "control-failed",
				Text: fmt.Sprintf("%s %s: %d finding(s) of %v\n", fr.Title, fr.Version, c.Findings, c.Rules)}
			s.Failures++
		case finding.ControlError:
			tc.Error = &junitFailure{Message: c.Note, Type: "control-error", Text: c.Note}
			s.Errors++
		case finding.ControlPartial:
			tc.Skipped = &junitSkipped{Message: "partial: " + c.Note}
			s.Skipped++
		case finding.ControlNotCovered:
			tc.Skipped = &junitSkipped{Message: "not covered by kscan"}
			s.Skipped++
		}
		s.Cases = append(s.Cases, tc)
		s.Tests++
	}
	return s
}
