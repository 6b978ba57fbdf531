package finding

import (
	"slices"
	"strings"
)

// Sort orders findings by severity (highest first), rule, resource, location
// and message, so reports are byte-identical for the same input. Each
// location is rendered once, not once per comparison.
func Sort(fs []Finding) {
	type entry struct {
		rank int
		loc  string
		f    *Finding
	}
	es := make([]entry, len(fs))
	for i := range fs {
		es[i] = entry{SeverityRank(fs[i].Severity), fs[i].Location.String(), &fs[i]}
	}
	slices.SortStableFunc(es, func(x, y entry) int {
		if x.rank != y.rank {
			return y.rank - x.rank
		}
		a, b := x.f, y.f
		if c := strings.Compare(a.RuleID, b.RuleID); c != 0 {
			return c
		}
		if c := strings.Compare(a.Resource, b.Resource); c != 0 {
			return c
		}
		if c := strings.Compare(x.loc, y.loc); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	sorted := make([]Finding, len(fs))
	for i, e := range es {
		sorted[i] = *e.f
	}
	copy(fs, sorted)
}

// Dedupe drops a finding equal to the one before it (same rule, resource,
// message and location) from a sorted list.
func Dedupe(fs []Finding) []Finding {
	out := fs[:0]
	for i, f := range fs {
		if i > 0 {
			p := out[len(out)-1]
			if p.RuleID == f.RuleID && p.Resource == f.Resource && p.Message == f.Message && p.Location == f.Location {
				continue
			}
		}
		out = append(out, f)
	}
	return out
}
