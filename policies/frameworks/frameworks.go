// Package frameworks is the catalogue of the compliance frameworks kscan
// maps its rules to (CIS Kubernetes Benchmark, NSA/CISA hardening guidance,
// Pod Security Standards, CIS AWS Foundations), shipped as data: one YAML
// file per framework listing every control, covered by kscan or not. Rules
// name the controls they implement in METADATA custom.frameworks; this
// package joins the two.
package frameworks

import (
	"context"
	"embed"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
)

//go:embed *.yaml
var catalogueFS embed.FS

// Control is one requirement of a framework.
type Control struct {
	ID      string `yaml:"id"`
	Title   string `yaml:"title"`
	Section string `yaml:"section,omitempty"`
	// Partial, when set, says which part of the control kscan's rules do
	// not check: the control is then never reported as passed, only as
	// partial (or failed).
	Partial string `yaml:"partial,omitempty"`
}

// Framework is one catalogue file.
type Framework struct {
	ID      string `yaml:"id"`
	Title   string `yaml:"title"`
	Version string `yaml:"version"`
	// PSS marks the Pod Security Standards profiles: their version is the
	// one workloads were judged at (--pss-version), not a fixed one.
	PSS bool   `yaml:"pss,omitempty"`
	URL string `yaml:"url"`
	// Keys are METADATA custom.frameworks keys that name this framework's
	// controls for any rule.
	Keys []string `yaml:"keys"`
	// DomainKeys are keys that name this framework only for rules of the
	// given domains (the part of the id before "/"), for ambiguous keys
	// such as "cis".
	DomainKeys map[string][]string `yaml:"domainKeys"`
	Controls   []Control           `yaml:"controls"`
}

// All returns every framework, sorted by id.
func All() ([]*Framework, error) {
	entries, err := catalogueFS.ReadDir(".")
	if err != nil {
		return nil, err
	}
	var out []*Framework
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		data, err := catalogueFS.ReadFile(e.Name())
		if err != nil {
			return nil, err
		}
		var fw Framework
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(&fw); err != nil {
			return nil, fmt.Errorf("framework catalogue %s: %v", e.Name(), err)
		}
		if fw.ID == "" || len(fw.Controls) == 0 {
			return nil, fmt.Errorf("framework catalogue %s: id and controls are required", e.Name())
		}
		out = append(out, &fw)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// IDs lists the framework ids.
func IDs() []string {
	all, _ := All()
	ids := make([]string, 0, len(all))
	for _, fw := range all {
		ids = append(ids, fw.ID)
	}
	return ids
}

// Get returns one framework by id.
func Get(id string) (*Framework, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	for _, fw := range all {
		if fw.ID == id {
			return fw, nil
		}
	}
	return nil, fmt.Errorf("unknown framework %q (want one of %s)", id, strings.Join(IDs(), ", "))
}

// values returns the control ids rule r names for this framework.
func (fw *Framework) values(r finding.Rule) []string {
	var out []string
	for _, k := range fw.Keys {
		out = append(out, r.Frameworks[k]...)
	}
	domain, _, _ := strings.Cut(r.ID, "/")
	for k, domains := range fw.DomainKeys {
		for _, d := range domains {
			if d == domain {
				out = append(out, r.Frameworks[k]...)
				break
			}
		}
	}
	return out
}

// RuleControls lists the controls of this framework that r implements, in
// catalogue order.
func (fw *Framework) RuleControls(r finding.Rule) []Control {
	vals := map[string]bool{}
	for _, v := range fw.values(r) {
		vals[v] = true
	}
	var out []Control
	for _, c := range fw.Controls {
		if vals[c.ID] {
			out = append(out, c)
		}
	}
	return out
}

// Unknown lists, per rule, the values it gives under this framework's keys
// that no framework reading those keys knows (a typo, or a catalogue that
// needs a new control). Values of a sibling framework sharing the key
// (pss-baseline and pss-restricted) are known.
func (fw *Framework) Unknown(rules []finding.Rule) map[string][]string {
	all, err := All()
	if err != nil {
		all = []*Framework{fw}
	}
	known := map[string]bool{}
	for _, other := range all {
		for _, c := range other.Controls {
			known[other.ID+"\x00"+c.ID] = true
		}
	}
	out := map[string][]string{}
	for _, r := range rules {
		for _, v := range fw.values(r) {
			ok := false
			for _, other := range all {
				if known[other.ID+"\x00"+v] && other.sharesKeys(fw, r) {
					ok = true
					break
				}
			}
			if !ok {
				out[r.ID] = append(out[r.ID], v)
			}
		}
	}
	return out
}

// sharesKeys reports whether other reads rule r under a key fw reads too.
func (fw *Framework) sharesKeys(other *Framework, r finding.Rule) bool {
	mine := fw.keysFor(r)
	for k := range other.keysFor(r) {
		if mine[k] {
			return true
		}
	}
	return false
}

func (fw *Framework) keysFor(r finding.Rule) map[string]bool {
	out := map[string]bool{}
	for _, k := range fw.Keys {
		out[k] = true
	}
	domain, _, _ := strings.Cut(r.ID, "/")
	for k, domains := range fw.DomainKeys {
		for _, d := range domains {
			if d == domain {
				out[k] = true
			}
		}
	}
	return out
}

// Covers reports whether r implements at least one control.
func (fw *Framework) Covers(r finding.Rule) bool { return len(fw.RuleControls(r)) > 0 }

// Control statuses (the results are finding.Control*).
const (
	StatusPass       = finding.ControlPass
	StatusFail       = finding.ControlFail
	StatusPartial    = finding.ControlPartial
	StatusNotCovered = finding.ControlNotCovered
	StatusError      = finding.ControlError
	StatusCovered    = "covered" // Coverage, before a scan
)

// ControlStatus is one control with the rules that implement it and, after
// a scan, its result.
type ControlStatus struct {
	Control
	Rules      []string
	Status     string
	Findings   int // active findings
	Suppressed int
	Note       string // partial: the part not checked; error: the rule that failed
}

// Coverage lists every control with the rules that implement it (status
// covered or not covered).
func (fw *Framework) Coverage(rules []finding.Rule) []ControlStatus {
	by := map[string][]string{}
	for _, r := range rules {
		for _, c := range fw.RuleControls(r) {
			by[c.ID] = append(by[c.ID], r.ID)
		}
	}
	out := make([]ControlStatus, 0, len(fw.Controls))
	for _, c := range fw.Controls {
		st := ControlStatus{Control: c, Rules: by[c.ID], Status: StatusNotCovered}
		sort.Strings(st.Rules)
		if len(st.Rules) > 0 {
			st.Status = StatusCovered
		}
		out = append(out, st)
	}
	return out
}

// Evaluate gives each control its result from a finished report: fail
// when a rule implementing it has an active (not suppressed) finding; error
// when such a rule could not be evaluated; partial when what kscan checks
// holds but the catalogue says kscan checks only part of it; pass only when
// the control is fully implemented and holds.
func (fw *Framework) Evaluate(r *finding.Report) []ControlStatus {
	out := fw.Coverage(r.Rules)
	active := map[string]int{}
	supp := map[string]int{}
	for _, f := range r.Findings {
		if f.Suppression != nil {
			supp[f.RuleID]++
		} else {
			active[f.RuleID]++
		}
	}
	failed := map[string]bool{}
	for _, n := range r.Notifications {
		if n.Level == "error" && n.RuleID != "" {
			failed[n.RuleID] = true
		}
	}
	for i := range out {
		if out[i].Status == StatusNotCovered {
			continue
		}
		var broken []string
		for _, id := range out[i].Rules {
			out[i].Findings += active[id]
			out[i].Suppressed += supp[id]
			if failed[id] {
				broken = append(broken, id)
			}
		}
		switch {
		case out[i].Findings > 0:
			out[i].Status = StatusFail
		case len(broken) > 0:
			out[i].Status = StatusError
			out[i].Note = "rule " + strings.Join(broken, ", ") + " could not be evaluated"
		case out[i].Partial != "":
			out[i].Status = StatusPartial
			out[i].Note = out[i].Partial
		default:
			out[i].Status = StatusPass
		}
	}
	return out
}

// VersionFor is the version the header names: for the Pod Security
// Standards the version workloads were judged at (pssVersion, as resolved
// from --pss-version), else the catalogue's.
func (fw *Framework) VersionFor(pssVersion string) string {
	if fw.PSS && pssVersion != "" {
		return pssVersion
	}
	return fw.Version
}

// Result is the machine-readable form of an evaluation, for reports.
func (fw *Framework) Result(st []ControlStatus, pssVersion string) finding.FrameworkResult {
	res := finding.FrameworkResult{ID: fw.ID, Title: fw.Title, Version: fw.VersionFor(pssVersion), URL: fw.URL,
		Summary: map[string]int{StatusPass: 0, StatusFail: 0, StatusPartial: 0, StatusNotCovered: 0, StatusError: 0}}
	for _, s := range st {
		res.Summary[s.Status]++
		rules := s.Rules
		if rules == nil {
			rules = []string{}
		}
		res.Controls = append(res.Controls, finding.ControlResult{ID: s.ID, Title: s.Title, Section: s.Section,
			Status: s.Status, Rules: rules, Findings: s.Findings, Suppressed: s.Suppressed, Note: s.Note})
	}
	return res
}

// Summary is a scan.PostProcessor, run after suppressions and baselines,
// that records the per-control results in the report for the JSON, SARIF
// and JUnit outputs.
type Summary struct {
	FW         *Framework
	PSSVersion string
}

// Name implements scan.PostProcessor.
func (Summary) Name() string { return "framework summary" }

// Process implements scan.PostProcessor.
func (s Summary) Process(_ context.Context, _ *graph.Graph, r *finding.Report) error {
	r.Compliance = append(r.Compliance, s.FW.Result(s.FW.Evaluate(r), s.PSSVersion))
	return nil
}

// Filter is a scan.PostProcessor that keeps only the rules of a framework,
// their findings and their notifications (`kscan scan --framework`).
type Filter struct{ FW *Framework }

// Name implements scan.PostProcessor.
func (Filter) Name() string { return "framework" }

// Process implements scan.PostProcessor.
func (f Filter) Process(_ context.Context, _ *graph.Graph, r *finding.Report) error {
	keep := map[string]bool{}
	var rules []finding.Rule
	for _, rule := range r.Rules {
		if f.FW.Covers(rule) {
			keep[rule.ID] = true
			rules = append(rules, rule)
		}
	}
	r.Rules = rules
	fs := r.Findings[:0]
	for _, x := range r.Findings {
		if keep[x.RuleID] {
			fs = append(fs, x)
		}
	}
	r.Findings = fs
	ns := r.Notifications[:0]
	for _, n := range r.Notifications {
		if n.RuleID == "" || keep[n.RuleID] {
			ns = append(ns, n)
		}
	}
	r.Notifications = ns
	return nil
}
