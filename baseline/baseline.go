// Package baseline compares a scan with an earlier one so that a team can
// adopt kscan on an estate with known findings and gate only on new ones.
// Each finding is marked new, unchanged or updated (SARIF baselineState),
// and earlier findings that no longer occur are listed as absent. Findings
// are matched by their stable fingerprint (SARIF partialFingerprints
// "kscanFindingHash/v1"), never by line, so moving or reordering resources
// changes nothing.
package baseline

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/safefile"
)

// Baseline states (SARIF 2.1.0 §3.27.24).
const (
	StateNew       = "new"
	StateUnchanged = "unchanged"
	StateUpdated   = "updated"
	StateAbsent    = "absent"
)

// maxFileSize bounds a baseline file.
const maxFileSize = 256 << 20

// Baseline is the set of findings of an earlier scan.
type Baseline struct {
	// Format names the format it was read from ("sarif", …).
	Format   string
	Findings []finding.Finding
}

// Format reads one kind of baseline file. Formats are detected by content,
// not by file name, so any format can be passed to --baseline.
//
// This is the hook for more formats (e.g. a graph snapshot): implement
// Format and pass it to New in Options.Formats, after DefaultFormats().
type Format interface {
	Name() string
	// Detect sniffs the content cheaply.
	Detect(data []byte) bool
	// Parse reads the findings. A snapshot format that holds a graph rather
	// than findings can evaluate it here and return its findings.
	Parse(ctx context.Context, path string, data []byte) (*Baseline, error)
}

// DefaultFormats are the formats kscan reads without extra registration.
func DefaultFormats() []Format { return []Format{SARIFFormat{}} }

// Options configures the processor.
type Options struct {
	Path    string
	Formats []Format // default DefaultFormats()
}

// Processor is a scan.PostProcessor.
type Processor struct{ opts Options }

// New returns the baseline post-processor.
func New(opts Options) *Processor {
	if len(opts.Formats) == 0 {
		opts.Formats = DefaultFormats()
	}
	return &Processor{opts: opts}
}

// Name implements scan.PostProcessor.
func (p *Processor) Name() string { return "baseline" }

// Load reads and detects a baseline file.
func Load(ctx context.Context, path string, formats []Format) (*Baseline, error) {
	// Regular files only, bounded whatever stat says (a link to /dev/zero
	// reports size 0).
	data, err := safefile.ReadFile(path, maxFileSize)
	if err != nil {
		var tl *safefile.TooLargeError
		if errors.As(err, &tl) {
			return nil, fmt.Errorf("file is larger than %d MiB", maxFileSize>>20)
		}
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	names := []string{}
	for _, f := range formats {
		names = append(names, f.Name())
		if f.Detect(data) {
			b, err := f.Parse(ctx, path, data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name(), err)
			}
			b.Format = f.Name()
			return b, nil
		}
	}
	return nil, fmt.Errorf("not a baseline kscan can read (want one of: %v)", names)
}

// Process marks each finding's baseline state and fills r.Absent. A
// baseline that cannot be read is an input error naming the file (exit 2):
// guessing "everything is new" or "nothing is" would mislead the gate.
func (p *Processor) Process(ctx context.Context, _ *graph.Graph, r *finding.Report) error {
	b, err := Load(ctx, p.opts.Path, p.opts.Formats)
	if err != nil {
		r.Notifications = append(r.Notifications, finding.Notification{
			Level: "error", Location: finding.Location{Kind: string(graph.SourceFile), File: p.opts.Path},
			Message: "baseline: " + err.Error(),
		})
		return nil
	}
	Apply(b, r)
	return nil
}

// Apply compares r with b. Several findings with one fingerprint are
// matched pairwise, so a copy added next to a known finding is new.
func Apply(b *Baseline, r *finding.Report) {
	prev := map[string][]finding.Finding{}
	for _, f := range b.Findings {
		prev[f.Fingerprint] = append(prev[f.Fingerprint], f)
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		fp := f.Fingerprint
		olds := prev[fp]
		// A baseline written before a rule was renamed holds the finding
		// under its former id's fingerprint.
		for _, legacy := range f.LegacyFingerprints {
			if len(olds) > 0 {
				break
			}
			fp, olds = legacy, prev[legacy]
		}
		if f.Fingerprint == "" || len(olds) == 0 {
			f.BaselineState = StateNew
			continue
		}
		// Prefer an identical earlier finding, so that two similar ones are
		// not both reported as updated.
		k := 0
		for j, o := range olds {
			if !changed(o, *f) {
				k = j
				break
			}
		}
		o := olds[k]
		prev[fp] = append(olds[:k:k], olds[k+1:]...)
		if changed(o, *f) {
			f.BaselineState = StateUpdated
		} else {
			f.BaselineState = StateUnchanged
		}
	}
	// Absent: only for rules that ran, so narrowing a scan (--rules,
	// --framework) does not make every other finding "fixed".
	ran := map[string]bool{}
	for _, rule := range r.Rules {
		ran[rule.ID] = true
		for _, a := range rule.Aliases {
			ran[a] = true
		}
	}
	var absent []finding.Finding
	for _, olds := range prev {
		for _, o := range olds {
			if ran[o.RuleID] {
				o.BaselineState = StateAbsent
				o.Suppression = nil
				absent = append(absent, o)
			}
		}
	}
	// Map order is random: sort by fingerprint first, then the report order.
	sort.Slice(absent, func(i, j int) bool { return absent[i].Fingerprint < absent[j].Fingerprint })
	finding.Sort(absent)
	r.Absent = absent
}

// changed: what counts as a significant change. Lines do not (resources
// move); the severity or the message (e.g. another image) do, when the
// baseline records them.
func changed(o, n finding.Finding) bool {
	if o.Severity != "" && o.Severity != n.Severity {
		return true
	}
	return o.Message != "" && o.Message != n.Message
}

// Counts returns how many findings are in each baseline state (absent
// included).
func Counts(r *finding.Report) map[string]int {
	c := map[string]int{StateNew: 0, StateUnchanged: 0, StateUpdated: 0, StateAbsent: len(r.Absent)}
	for _, f := range r.Findings {
		if f.BaselineState != "" {
			c[f.BaselineState]++
		}
	}
	return c
}
