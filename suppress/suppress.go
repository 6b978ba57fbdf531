// Package suppress waives findings a team has accepted, without hiding them:
// a suppressed finding stays in every report with its justification, is
// counted apart, and never counts for --fail-on. Suppressions come from
// annotations on the object (kscan.io/ignore, kind inSource), from an
// ignore file (.kscanignore.yaml, kind external), and from kscan's default
// waivers for well-known platform components (kscan.io/profile: platform,
// kind external; off with --no-default-waivers).
package suppress

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/glob"
	"github.com/kscan-io/kscan/graph"
)

// Annotations read on an object or on its pod template's metadata.
const (
	AnnotationIgnore = "kscan.io/ignore"
	AnnotationReason = "kscan.io/ignore-reason"
)

// SARIF suppression kinds.
const (
	KindInSource = "inSource"
	KindExternal = "external"
)

// DefaultFile is read when present and no other file is configured.
const DefaultFile = ".kscanignore.yaml"

// Options configures the processor.
type Options struct {
	// File is the ignore file; empty means DefaultFile when it exists.
	File string
	// Required makes a missing File an error (it was named explicitly).
	Required bool
	// NoInline ignores kscan.io/ignore annotations (a team may not want
	// whoever deploys to waive their own findings).
	NoInline bool
	// AllowWildcardRules lets the repository's own ignore file (DefaultFile,
	// read because it is present, not because the user named it) waive
	// rules by a wildcard ("*", "k8s/*"). Without it such entries are
	// refused: a pull request could otherwise waive every rule in one line.
	AllowWildcardRules bool
	// NoDefaultWaivers turns off the default waiver set (DefaultWaivers,
	// kscan.io/profile: platform).
	NoDefaultWaivers bool
	// Now is the clock for expiry (default time.Now).
	Now func() time.Time
	// KnownRules lists every rule id kscan knows, whether or not it ran,
	// to tell a typo from a rule that was merely not selected. Nil means
	// "the rules of the report".
	KnownRules func() []string
}

// Processor is a scan.PostProcessor.
type Processor struct{ opts Options }

// New returns the suppression post-processor.
func New(opts Options) *Processor {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Processor{opts: opts}
}

// Name implements scan.PostProcessor.
func (p *Processor) Name() string { return "suppressions" }

// Process marks suppressed findings and adds notifications for problems
// with suppressions (they never fail silently).
func (p *Processor) Process(_ context.Context, g *graph.Graph, r *finding.Report) error {
	known := p.knownRules(r)
	if !p.opts.NoInline {
		p.inline(g, r, known)
	}
	file := p.opts.File
	implicit := file == ""
	if implicit {
		file = DefaultFile
	}
	entries, notes := LoadFile(file, p.opts.Required)
	r.Notifications = append(r.Notifications, notes...)
	if implicit && !p.opts.AllowWildcardRules {
		kept := entries[:0:0]
		for _, e := range entries {
			if strings.ContainsAny(e.Rule, "*?") {
				r.Notifications = append(r.Notifications, finding.Notification{Level: "warning",
					Location: finding.Location{Kind: string(graph.SourceFile), File: file, Line: e.Line},
					Message:  fmt.Sprintf("entry waiving rules %q by a wildcard is not applied: the repository's ignore file must name each rule (or pass --allow-wildcard-ignores)", e.Rule)})
				r.Config = append(r.Config, finding.ConfigSetting{File: file, Key: "ignore", Value: fmt.Sprintf("rule %s on %s (line %d)", e.Rule, e.Resource, e.Line), Reason: "wildcard rule waivers need --allow-wildcard-ignores"})
				continue
			}
			kept = append(kept, e)
		}
		entries = kept
	}
	n := 0
	if entries != nil {
		n = p.applyFile(file, entries, r, known)
	}
	if implicit && entries != nil {
		r.Config = append(r.Config, finding.ConfigSetting{File: file, Key: "suppressed", Value: fmt.Sprintf("%d findings", n), Applied: true})
	}
	// Last: a team's own suppression and reason win over the default.
	if !p.opts.NoDefaultWaivers {
		applyDefaults(g, r)
	}
	return nil
}

// knownRules starts from the rules that ran; the full list (which may cost
// loading the rules again) is fetched only when a name is not among them.
func (p *Processor) knownRules(r *finding.Report) *ruleSet {
	rs := &ruleSet{ids: map[string]bool{}, more: p.opts.KnownRules}
	for _, rule := range r.Rules {
		rs.ids[rule.ID] = true
		for _, a := range rule.Aliases {
			rs.ids[a] = true
		}
	}
	return rs
}

type ruleSet struct {
	ids  map[string]bool
	more func() []string
}

// has reports whether a rule id or glob names a known rule.
func (rs *ruleSet) has(pat string) bool {
	if matchesKnown(pat, rs.ids) {
		return true
	}
	if rs.more == nil {
		return false
	}
	for _, id := range rs.more() {
		rs.ids[id] = true
	}
	rs.more = nil
	return matchesKnown(pat, rs.ids)
}

// inline applies kscan.io/ignore annotations.
func (p *Processor) inline(g *graph.Graph, r *finding.Report, known *ruleSet) {
	type ann struct {
		rules  []string
		reason string
	}
	byRes := map[string]*ann{}
	for _, n := range g.Nodes() {
		if !graph.IsK8s(n) {
			continue
		}
		rules, reason, found := annotations(n)
		if !found {
			continue
		}
		loc := finding.LocationOf(n.Source)
		if len(rules) == 0 {
			r.Notifications = append(r.Notifications, finding.Notification{Level: "warning", Location: loc, Resource: n.ID,
				Message: AnnotationIgnore + " is empty; it suppresses nothing"})
			continue
		}
		for _, id := range rules {
			if !known.has(id) {
				r.Notifications = append(r.Notifications, finding.Notification{Level: "warning", Location: loc, Resource: n.ID,
					Message: fmt.Sprintf("%s names unknown rule %q (see kscan rules)", AnnotationIgnore, id)})
			}
		}
		if reason == "" {
			r.Notifications = append(r.Notifications, finding.Notification{Level: "warning", Location: loc, Resource: n.ID,
				Message: AnnotationIgnore + " without " + AnnotationReason + ": say why the finding is accepted"})
			reason = "no reason given (" + AnnotationReason + " is missing)"
		}
		byRes[resKey(n.ID, loc)] = &ann{rules: rules, reason: reason}
	}
	if len(byRes) == 0 {
		return
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Suppression != nil {
			continue
		}
		a := byRes[resKey(f.Resource, f.Location)]
		if a == nil {
			continue
		}
		for _, pat := range a.rules {
			if f.MatchesRule(glob.Match, pat) {
				f.Suppression = &finding.Suppression{Kind: KindInSource, Justification: a.reason}
				break
			}
		}
	}
}

// resKey tells apart two nodes with one identity (overlays of one app) by
// where they were read.
func resKey(id string, loc finding.Location) string { return id + "\x00" + loc.String() }

// annotations reads kscan.io/ignore from the object's metadata and its pod
// template's metadata (a workload's pods carry the template's annotations).
func annotations(n *graph.Node) (rules []string, reason string, found bool) {
	seen := map[string]bool{}
	for _, a := range graph.Annotations(n) {
		v, ok := a[AnnotationIgnore]
		if !ok {
			continue
		}
		found = true
		s, _ := v.(string)
		for _, id := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' }) {
			if !seen[id] {
				seen[id] = true
				rules = append(rules, id)
			}
		}
		if rs, _ := a[AnnotationReason].(string); strings.TrimSpace(rs) != "" && reason == "" {
			reason = strings.TrimSpace(rs)
		}
	}
	return rules, reason, found
}

func matchesKnown(pat string, known map[string]bool) bool {
	if !strings.ContainsAny(pat, "*?") {
		return known[pat]
	}
	for id := range known {
		if glob.Match(pat, id) {
			return true
		}
	}
	return false
}

// applyFile applies ignore-file entries in file order; the first entry that
// matches a finding suppresses it.
// applyFile returns how many findings the file suppressed.
func (p *Processor) applyFile(file string, entries []Entry, r *finding.Report, known *ruleSet) int {
	now := p.opts.Now()
	ran := map[string]bool{}
	for _, rule := range r.Rules {
		ran[rule.ID] = true
		for _, a := range rule.Aliases {
			ran[a] = true
		}
	}
	loc := func(e Entry) finding.Location {
		return finding.Location{Kind: string(graph.SourceFile), File: file, Line: e.Line}
	}
	active := make([]bool, len(entries))
	for i, e := range entries {
		if !known.has(e.Rule) {
			r.Notifications = append(r.Notifications, finding.Notification{Level: "warning", Location: loc(e),
				Message: fmt.Sprintf("rule %q matches no known rule (see kscan rules)", e.Rule)})
		}
		if e.Expired(now) {
			r.Notifications = append(r.Notifications, finding.Notification{Level: "warning", Location: loc(e),
				Message: fmt.Sprintf("entry for rule %q on %q expired on %s and no longer applies: fix the findings or renew it", e.Rule, e.Resource, e.Expires.Format(dateLayout))})
			continue
		}
		active[i] = true
	}
	matched := make([]int, len(entries))
	suppressed := 0
	for i := range r.Findings {
		f := &r.Findings[i]
		for j := range entries {
			e := &entries[j]
			if !active[j] || !e.Matches(f) {
				continue
			}
			matched[j]++
			if f.Suppression == nil {
				f.Suppression = &finding.Suppression{Kind: KindExternal, Justification: e.Reason}
				suppressed++
			}
			break
		}
	}
	for j, e := range entries {
		if !active[j] || matched[j] > 0 {
			continue
		}
		// An entry for rules that did not run this time (--rules,
		// --framework) cannot be judged stale.
		if !matchesKnown(e.Rule, ran) {
			continue
		}
		r.Notifications = append(r.Notifications, finding.Notification{Level: "warning", Location: loc(e),
			Message: fmt.Sprintf("entry for rule %q on %q matched no finding; remove it if the problem is fixed", e.Rule, e.Resource)})
	}
	return suppressed
}
