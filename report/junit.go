package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"

	"github.com/kscan-io/kscan/finding"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
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

// JUnit renders one test suite per rule and one test case per rule ×
// resource, for CI systems that read JUnit XML. Suppressed findings are
// skipped cases; input errors are error cases in a "kscan/inputs" suite.
func JUnit(w io.Writer, r *finding.Report, _ Options) error {
	byRule := map[string][]finding.Finding{}
	for _, f := range r.Findings {
		byRule[f.RuleID] = append(byRule[f.RuleID], f)
	}
	ids := make([]string, 0, len(byRule))
	for id := range byRule {
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
			msgs string
			supp bool
		}
		var order []string
		cases := map[string]*agg{}
		for _, f := range byRule[id] {
			a, ok := cases[f.Resource]
			if !ok {
				a = &agg{f: f, supp: true}
				cases[f.Resource] = a
				order = append(order, f.Resource)
			}
			a.msgs += fmt.Sprintf("%s [%s] %s\n", f.Location.String(), f.Severity, f.Message)
			if f.Suppression == nil {
				a.supp = false
			}
		}
		for _, res := range order {
			a := cases[res]
			c := junitCase{Name: res, Classname: id}
			if a.supp {
				c.Skipped = &junitSkipped{Message: "suppressed: " + a.f.Suppression.Justification}
				s.Skipped++
			} else {
				c.Failure = &junitFailure{Message: a.f.Title, Type: a.f.Severity, Text: a.msgs}
				s.Failures++
			}
			s.Cases = append(s.Cases, c)
			s.Tests++
		}
		out.Suites = append(out.Suites, s)
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
