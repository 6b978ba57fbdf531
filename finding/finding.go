// Package finding holds what a scan produces: findings, notifications about
// inputs, and the rules that ran. Reports render these and know nothing else.
package finding

import (
	"fmt"
	"strings"
)

// Severities, highest first.
const (
	Critical = "critical"
	High     = "high"
	Medium   = "medium"
	Low      = "low"
	Info     = "info"
)

// SeverityRank orders severities: critical 4 … info 0; unknown -1.
func SeverityRank(s string) int {
	switch strings.ToLower(s) {
	case Critical:
		return 4
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	case Info:
		return 0
	}
	return -1
}

// ParseSeverity validates a severity name ("none" is accepted where a
// threshold is meant and ranks above critical).
func ParseSeverity(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "none" || SeverityRank(s) >= 0 {
		return s, nil
	}
	return "", fmt.Errorf("unknown severity %q (want critical, high, medium, low, info or none)", s)
}

// AtLeast reports whether severity s is at or above threshold t. A threshold
// of "none" is never reached.
func AtLeast(s, t string) bool {
	if t == "none" {
		return false
	}
	return SeverityRank(s) >= SeverityRank(t)
}

// Location is where a resource was read: a file and line, a cluster and API
// path, a Pulumi URN, or nothing (derived resources).
type Location struct {
	Kind    string `json:"kind"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Cluster string `json:"cluster,omitempty"`
	Path    string `json:"apiPath,omitempty"`
	URN     string `json:"urn,omitempty"`
}

// String renders file:line, cluster path or URN.
func (l Location) String() string {
	switch {
	case l.File != "" && l.Line > 0:
		return fmt.Sprintf("%s:%d", l.File, l.Line)
	case l.File != "":
		return l.File
	case l.Path != "":
		if l.Cluster != "" {
			return l.Cluster + ":" + l.Path
		}
		return l.Path
	case l.URN != "":
		return l.URN
	case l.Cluster != "":
		return l.Cluster
	}
	return ""
}

// Suppression records why a finding does not count.
type Suppression struct {
	Kind          string `json:"kind"` // "inSource" (annotation) or "external" (ignore file)
	Justification string `json:"justification"`
}

// Finding is one rule firing on one resource.
type Finding struct {
	RuleID       string              `json:"ruleId"`
	Title        string              `json:"title"`
	Severity     string              `json:"severity"`
	Message      string              `json:"message"`
	Resource     string              `json:"resource"`
	ResourceType string              `json:"resourceType,omitempty"`
	Location     Location            `json:"location"`
	Remediation  string              `json:"remediation,omitempty"`
	HelpURI      string              `json:"helpUri,omitempty"`
	Frameworks   map[string][]string `json:"frameworks,omitempty"`
	// Fingerprint identifies the finding across runs: rule, resource and a
	// message-independent discriminator, never the line.
	Fingerprint   string       `json:"fingerprint"`
	Suppression   *Suppression `json:"suppression,omitempty"`
	BaselineState string       `json:"baselineState,omitempty"`
	// Related lists other resources in the finding's path (e.g. the workloads
	// a Service exposes), by identity.
	Related []string `json:"related,omitempty"`
	// Aliases are former ids of the rule that this finding would have been
	// reported under (k8s/public-loadbalancer for the public load balancer
	// case of k8s/internet-exposed): suppressions naming them still apply.
	Aliases []string `json:"aliases,omitempty"`
	// LegacyFingerprints are the fingerprints the finding had under those
	// ids, so that baselines written before the rename still match.
	LegacyFingerprints []string `json:"-"`
	// RelatedLocations are where the related resources were read, by
	// resource (SARIF relatedLocations; a file for findings that have none).
	RelatedLocations map[string]Location `json:"-"`
	// Path is the chain the finding follows, in order (Internet → Ingress
	// → Service → workload → ServiceAccount → IAM role), when its rule
	// gives one.
	Path []PathStep `json:"path,omitempty"`
	// Properties carry detail too long for the message (every escalation
	// path when the message names a few), as lists of strings by name.
	Properties map[string][]string `json:"properties,omitempty"`
}

// PathStep is one resource of a finding's path and how it leads to the
// next one.
type PathStep struct {
	Resource     string   `json:"resource"`
	ResourceType string   `json:"resourceType,omitempty"`
	Location     Location `json:"location"`
	// Relation is the edge to the next step ("routes-to", "selects",
	// "runs-as", "assumes"); empty on the last.
	Relation string `json:"relation,omitempty"`
}

// MatchesRule reports whether the finding is reported under id or one of
// its aliases, by glob (see package glob).
func (f *Finding) MatchesRule(match func(pattern, id string) bool, pattern string) bool {
	if match(pattern, f.RuleID) {
		return true
	}
	for _, a := range f.Aliases {
		if match(pattern, a) {
			return true
		}
	}
	return false
}

// Notification is a problem with the scan itself: an input that could not be
// read, a rule that failed, a resource type that could not be listed.
type Notification struct {
	Level    string   `json:"level"` // error | warning
	Message  string   `json:"message"`
	Location Location `json:"location"`
	Resource string   `json:"resource,omitempty"`
	RuleID   string   `json:"ruleId,omitempty"`
}

// Rule is a rule's metadata as reports need it.
type Rule struct {
	ID          string              `json:"id"`
	Title       string              `json:"title"`
	Severity    string              `json:"severity"`
	Description string              `json:"description"`
	Remediation string              `json:"remediation"`
	HelpURI     string              `json:"helpUri,omitempty"`
	Frameworks  map[string][]string `json:"frameworks,omitempty"`
	Custom      bool                `json:"custom,omitempty"` // from --policy, not built in
	// Aliases are former ids of the rule (METADATA custom.aliases): rule
	// selection, suppressions and baselines accept them.
	Aliases []string `json:"aliases,omitempty"`
}

// Report is everything one scan produced, sorted deterministically.
type Report struct {
	ToolName      string
	ToolVersion   string
	Rules         []Rule
	Findings      []Finding
	Notifications []Notification
	// Absent lists baseline findings that no longer occur.
	Absent []Finding
	// Resources is how many resources were scanned.
	Resources int
	// Compliance holds the frameworks evaluated on the scan (--framework).
	Compliance []FrameworkResult
	// Config lists what files of the scanned repository (its .kscan.yaml,
	// its .kscanignore.yaml) changed or were refused, so a reader sees a
	// repository's influence on its own scan.
	Config []ConfigSetting
	// Evaluated lists, per rule that declares what it judges (METADATA
	// custom.applies_to), every resource it evaluated, sorted: those
	// without a finding of the rule passed. A rule absent from the map
	// declares nothing, so only its findings are known.
	Evaluated map[string][]string
	// Objects describe the Kubernetes resources of the scan by id, for
	// reports that name objects (PolicyReport results).
	Objects map[string]ObjectRef
}

// ObjectRef is a Kubernetes object as a report names it.
type ObjectRef struct {
	APIVersion, Kind, Namespace, Name string
	// UID is known for objects read from a live cluster.
	UID      string
	Location Location
}

// Passed returns, for a rule that declares what it judges, the evaluated
// resources without a finding of the rule (suppressed ones included), in
// order; ok is false when the rule declares nothing.
func (r *Report) Passed(ruleID string) (ids []string, ok bool) {
	all, ok := r.Evaluated[ruleID]
	if !ok {
		return nil, false
	}
	failed := map[string]bool{}
	for i := range r.Findings {
		if r.Findings[i].RuleID == ruleID {
			failed[r.Findings[i].Resource] = true
		}
	}
	for _, id := range all {
		if !failed[id] {
			ids = append(ids, id)
		}
	}
	return ids, true
}

// ConfigSetting is one setting a repository's file made or tried to make.
type ConfigSetting struct {
	File    string `json:"file"`
	Key     string `json:"key,omitempty"`
	Value   string `json:"value,omitempty"`
	Applied bool   `json:"applied"`
	Reason  string `json:"reason,omitempty"` // why it was not applied
}

// String renders the setting for text reports.
func (s ConfigSetting) String() string {
	what := s.Key
	if s.Value != "" {
		what += "=" + s.Value
	}
	switch {
	case s.Applied:
		return s.File + ": set " + what
	case what == "":
		return s.File + ": " + s.Reason
	}
	return s.File + ": ignored " + what + " (" + s.Reason + ")"
}

// Incomplete is true when any notification is an error.
func (r *Report) Incomplete() bool {
	for _, n := range r.Notifications {
		if n.Level == "error" {
			return true
		}
	}
	return false
}

// Counts returns the number of active (not suppressed) findings per severity
// and the number of suppressed findings.
func (r *Report) Counts() (bySeverity map[string]int, suppressed int) {
	bySeverity = map[string]int{Critical: 0, High: 0, Medium: 0, Low: 0, Info: 0}
	for _, f := range r.Findings {
		if f.Suppression != nil {
			suppressed++
			continue
		}
		bySeverity[f.Severity]++
	}
	return bySeverity, suppressed
}

// Control statuses of a compliance framework after a scan.
const (
	ControlPass       = "pass"        // every check the control requires is implemented and holds
	ControlFail       = "fail"        // a rule implementing it has an active finding
	ControlPartial    = "partial"     // what kscan checks holds, but it checks only part of the control
	ControlNotCovered = "not covered" // no rule of the scan implements it
	ControlError      = "error"       // a rule implementing it could not be evaluated
)

// ControlResult is one control of a framework after a scan.
type ControlResult struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Section    string   `json:"section,omitempty"`
	Status     string   `json:"status"`
	Rules      []string `json:"rules"`
	Findings   int      `json:"findings"`
	Suppressed int      `json:"suppressed"`
	// Note says, for a partial control, which part kscan checks and which
	// it does not; for an error, which rule failed.
	Note string `json:"note,omitempty"`
}

// FrameworkResult is a compliance framework evaluated on a scan
// (kscan scan --framework).
type FrameworkResult struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Version string `json:"version"`
	URL     string `json:"url,omitempty"`
	// Summary counts controls by status.
	Summary  map[string]int  `json:"summary"`
	Controls []ControlResult `json:"controls"`
}
