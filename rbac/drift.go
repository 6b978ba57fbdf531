package rbac

import (
	"hash/fnv"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Drift change kinds.
const (
	Added   = "added"
	Removed = "removed"
)

// DriftEntry is a change in what one subject may do, through one binding
// and role: grants the subject has now and had not in the reference
// (Added, the binding and role of now), or had and has no longer (Removed,
// the binding and role of the reference).
type DriftEntry struct {
	Subject Subject
	Change  string
	Binding *Binding
	Role    string // the role's label, e.g. "ClusterRole edit"
	// From lists the ClusterRoles an aggregated role took the grants from
	// ("a, b"; empty when the role is not aggregated).
	From   string
	Grants []Grant
}

// Drift compares the effective permissions of every subject named in
// either model. It compares permissions, not objects: renaming a role or a
// binding changes nothing, and a grant still covered by another (a
// wildcard, a cluster-wide binding) is no change.
func Drift(ref, now *Model) []DriftEntry {
	subjects := map[Subject]bool{}
	for s := range ref.bySubject {
		subjects[s] = true
	}
	for s := range now.bySubject {
		subjects[s] = true
	}
	var out []DriftEntry
	refSig, nowSig := ref.roleSignatures(), now.roleSignatures()
	for s := range subjects {
		// Same role contents bound in the same scopes: same permissions,
		// whatever the names (most subjects, most of the time).
		if ref.subjectSignature(s, refSig) == now.subjectSignature(s, nowSig) {
			continue
		}
		r, n := ref.GrantsOf(s), now.GrantsOf(s)
		out = append(out, diff(s, Added, n, r)...)
		out = append(out, diff(s, Removed, r, n)...)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Subject != b.Subject {
			return lessSubject(a.Subject, b.Subject)
		}
		if a.Change != b.Change {
			return a.Change < b.Change
		}
		if a.Binding.Label() != b.Binding.Label() {
			return a.Binding.Label() < b.Binding.Label()
		}
		return a.From < b.From
	})
	return out
}

// diff lists the grants of have that other lacks, grouped by the binding
// they come through (with the ClusterRoles an aggregated role took them
// from).
func diff(s Subject, change string, have, other *GrantSet) []DriftEntry {
	groups := map[*Binding]*DriftEntry{}
	froms := map[*Binding]map[string]bool{}
	for k, e := range have.Grants {
		if _, same := other.Grants[k]; same {
			continue
		}
		if other.Covered(e.Grant) {
			continue
		}
		seen := map[*Binding]bool{}
		for _, src := range e.Sources {
			d := groups[src.Binding]
			if d == nil {
				d = &DriftEntry{Subject: s, Change: change, Binding: src.Binding, Role: src.Binding.RoleLabel()}
				groups[src.Binding] = d
				froms[src.Binding] = map[string]bool{}
			}
			if src.From != "" {
				froms[src.Binding][src.From] = true
			}
			if !seen[src.Binding] {
				seen[src.Binding] = true
				d.Grants = append(d.Grants, e.Grant)
			}
		}
	}
	out := make([]DriftEntry, 0, len(groups))
	for b, d := range groups {
		sort.Slice(d.Grants, func(i, j int) bool { return lessGrant(d.Grants[i], d.Grants[j]) })
		d.From = strings.Join(slices.Sorted(maps.Keys(froms[b])), ", ")
		out = append(out, *d)
	}
	return out
}

// roleSignatures hashes each role's effective rules (order-independent),
// so that roles with equal contents compare equal across models.
func (m *Model) roleSignatures() map[*Role]uint64 {
	out := make(map[*Role]uint64, len(m.Roles))
	for _, r := range m.Roles {
		keys := make([]string, len(r.Rules))
		for i, rule := range r.Rules {
			keys[i] = rule.key()
		}
		sort.Strings(keys)
		h := fnv.New64a()
		for _, k := range keys {
			h.Write([]byte(k))
			h.Write([]byte{0})
		}
		out[r] = h.Sum64()
	}
	return out
}

// subjectSignature summarises what a subject is bound to: the set of
// (scope, role contents) of its bindings.
func (m *Model) subjectSignature(s Subject, sigs map[*Role]uint64) string {
	idx := m.bySubject[s]
	parts := make([]string, 0, len(idx))
	for _, i := range idx {
		b := m.Bindings[i]
		if b.Role == nil {
			continue
		}
		parts = append(parts, bindingScope(b)+"\x00"+strconv.FormatUint(sigs[b.Role], 16))
	}
	sort.Strings(parts)
	out := parts[:0]
	for i, p := range parts {
		if i == 0 || p != parts[i-1] {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\x01")
}
