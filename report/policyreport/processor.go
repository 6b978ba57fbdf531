package policyreport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"k8s.io/client-go/rest"

	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
)

// Processor writes the reports (and the graph snapshot) at the end of a
// scan; it is a scan.PostProcessor. Caps and a snapshot that could not be
// stored are warnings in the report; a report that could not be written is
// an error (exit 2).
type Processor struct {
	Config  *rest.Config
	Options Options
	// Log receives the summary of what changed since the last run (the
	// CronJob's log); nil: not printed.
	Log io.Writer
	// Changes is the comparison made by the last Process.
	Changes Changes
}

func (p *Processor) Name() string { return "policyreport" }

func (p *Processor) Process(ctx context.Context, g *graph.Graph, rep *finding.Report) error {
	b, err := Build(g, rep, p.Options)
	if err != nil {
		return err
	}
	rep.Notifications = append(rep.Notifications, CapWarnings(b, p.Options.MaxResults)...)
	// Read the last run's reports before they are overwritten. Failing to
	// read them only loses the comparison.
	prev, found, err := PreviousFailures(ctx, p.Config, b.Kinds)
	if err != nil {
		rep.Notifications = append(rep.Notifications, finding.Notification{Level: "warning", Message: "cannot compare with the last run: " + err.Error()})
		prev, found = nil, false
	}
	p.Changes = MarkChanges(b, prev, !found)
	p.Changes.Log(p.Log)
	if err := Write(ctx, p.Config, b); err != nil {
		return err
	}
	if p.Options.SnapshotNamespace == "" {
		return nil
	}
	snap := p.Options.Snapshot
	if snap == nil {
		snap = DefaultSnapshot
	}
	data, format, err := snap(g, p.Options.Cluster)
	if err != nil {
		return fmt.Errorf("encoding graph snapshot: %w", err)
	}
	if err := WriteSnapshot(ctx, p.Config, p.Options.SnapshotNamespace, data, format); err != nil {
		var big ErrSnapshotTooLarge
		if errors.As(err, &big) {
			rep.Notifications = append(rep.Notifications, finding.Notification{Level: "warning", Message: err.Error()})
			return nil
		}
		return err
	}
	return nil
}

// CapWarnings tells, per report object, how many fail and pass results the
// cap dropped.
func CapWarnings(b *Built, max int) []finding.Notification {
	if max <= 0 {
		max = DefaultMaxResults
	}
	var out []finding.Notification
	for _, c := range []struct {
		what, annotation string
		n                map[string]int
	}{{"fail and skip results by severity", AnnotationDropped, b.Capped}, {"pass results", AnnotationPassDropped, b.CappedPass}} {
		names := make([]string, 0, len(c.n))
		for n := range c.n {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			out = append(out, finding.Notification{Level: "warning",
				Message: fmt.Sprintf("report %s holds the first %d %s; %d more were dropped (--report-max-results; annotation %s)", n, max, c.what, c.n[n], c.annotation)})
		}
	}
	return out
}
