package rbac

import (
	"sort"
	"strings"
)

// Grant is one permission: a verb on (apiGroup, resource, subresource,
// resourceName) in a namespace ("" = every namespace and cluster-scoped
// resources), or a verb on a non-resource URL. Wildcards are kept as
// written ("*"); a rule resource "*" is Resource "*" and Subresource "*"
// (every resource and subresource), "pods" is Subresource "" (the resource
// itself), "*/scale" is Resource "*" and Subresource "scale".
// ResourceName "" means every name. A rule resource "*/*" is Resource "*",
// Subresource "*" and LiteralSubresource: the API server matches it only
// against a subresource named "*" itself, not every subresource (nor the
// resources themselves). A rule whose resourceNames list "" allows requests
// without a name (list, watch, deletecollection, create) and no named one:
// that grant is ResourceName "" and Nameless; a request without a name, as a
// Grant to test with Covered, is Nameless too.
type Grant struct {
	Namespace          string `json:"namespace,omitempty"`
	Verb               string `json:"verb"`
	APIGroup           string `json:"apiGroup"`
	Resource           string `json:"resource,omitempty"`
	Subresource        string `json:"subresource,omitempty"`
	LiteralSubresource bool   `json:"literalSubresource,omitempty"`
	ResourceName       string `json:"resourceName,omitempty"`
	Nameless           bool   `json:"nameless,omitempty"`
	NonResourceURL     string `json:"nonResourceURL,omitempty"`
}

// Everything reports whether the grant is for every resource and
// subresource (a rule resource "*").
func (g Grant) Everything() bool {
	return g.Resource == "*" && g.Subresource == "*" && !g.LiteralSubresource
}

// String renders a grant for people: "get pods/log in shop",
// "list deployments.apps (cluster-wide)", "get /healthz".
func (g Grant) String() string {
	if g.NonResourceURL != "" {
		return g.Verb + " " + g.NonResourceURL
	}
	res := g.Resource
	if g.APIGroup != "" {
		res += "." + g.APIGroup
	}
	if g.Subresource != "" && !g.Everything() {
		res += "/" + g.Subresource
	}
	if g.ResourceName != "" {
		res += " named " + g.ResourceName
	} else if g.Nameless {
		res += " (requests without a name)"
	}
	if g.Namespace == "" {
		return g.Verb + " " + res + " (cluster-wide)"
	}
	return g.Verb + " " + res + " in " + g.Namespace
}

// Covers reports whether g allows at least everything o allows.
func (g Grant) Covers(o Grant) bool {
	if g.Verb != "*" && g.Verb != o.Verb {
		return false
	}
	if g.NonResourceURL != "" || o.NonResourceURL != "" {
		if g.NonResourceURL == "" || o.NonResourceURL == "" {
			return false
		}
		if g.NonResourceURL == "*" || g.NonResourceURL == o.NonResourceURL {
			return true
		}
		return strings.HasSuffix(g.NonResourceURL, "*") && strings.HasPrefix(o.NonResourceURL, strings.TrimRight(g.NonResourceURL, "*"))
	}
	if g.Namespace != "" && g.Namespace != o.Namespace {
		return false
	}
	if g.APIGroup != "*" && g.APIGroup != o.APIGroup {
		return false
	}
	if g.ResourceName != "" && g.ResourceName != o.ResourceName {
		return false
	}
	if g.Nameless && (o.ResourceName != "" || !o.Nameless) {
		return false
	}
	switch {
	case g.Everything():
		return true
	case g.Resource == "*":
		return g.Subresource == o.Subresource && o.Subresource != ""
	}
	return g.Resource == o.Resource && g.Subresource == o.Subresource && !o.LiteralSubresource
}

// GrantSource is the binding and role a grant comes from.
type GrantSource struct {
	Binding *Binding
	Role    *Role
	// From is the ClusterRole an aggregated role took the rule from.
	From string
}

// Label: "ClusterRoleBinding x -> ClusterRole y (aggregated from ClusterRole z)".
func (s GrantSource) Label() string {
	out := s.Binding.Label() + " -> " + s.Binding.RoleLabel()
	if s.From != "" {
		out += " (aggregated from ClusterRole " + s.From + ")"
	}
	return out
}

// GrantSet is the grants of one subject, each with where it comes from.
type GrantSet struct {
	Subject Subject
	Grants  map[Grant]*GrantEntry
}

// GrantEntry is one grant and its sources.
type GrantEntry struct {
	Grant   Grant
	Sources []GrantSource
}

// Sorted returns the entries in a fixed order.
func (s *GrantSet) Sorted() []*GrantEntry {
	out := make([]*GrantEntry, 0, len(s.Grants))
	for _, e := range s.Grants {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return lessGrant(out[i].Grant, out[j].Grant) })
	return out
}

func lessGrant(a, b Grant) bool {
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	if a.NonResourceURL != b.NonResourceURL {
		return a.NonResourceURL < b.NonResourceURL
	}
	if a.APIGroup != b.APIGroup {
		return a.APIGroup < b.APIGroup
	}
	if a.Resource != b.Resource {
		return a.Resource < b.Resource
	}
	if a.Subresource != b.Subresource {
		return a.Subresource < b.Subresource
	}
	if a.LiteralSubresource != b.LiteralSubresource {
		return !a.LiteralSubresource
	}
	if a.ResourceName != b.ResourceName {
		return a.ResourceName < b.ResourceName
	}
	if a.Nameless != b.Nameless {
		return !a.Nameless
	}
	return a.Verb < b.Verb
}

// Covered reports whether some grant of the set covers g.
func (s *GrantSet) Covered(g Grant) bool {
	if s == nil {
		return false
	}
	if _, ok := s.Grants[g]; ok {
		return true
	}
	for _, e := range s.Grants {
		if e.Grant.Covers(g) {
			return true
		}
	}
	return false
}

// expandRule lists the grants of one rule bound in namespace ns ("" for a
// ClusterRoleBinding). A RoleBinding grants no non-resource URLs.
func expandRule(r Rule, ns string, emit func(Grant)) {
	if len(r.NonResourceURLs) > 0 && ns == "" {
		for _, v := range r.Verbs {
			for _, u := range r.NonResourceURLs {
				emit(Grant{Verb: v, NonResourceURL: u})
			}
		}
	}
	if len(r.Resources) == 0 {
		return
	}
	names := r.ResourceNames
	if len(names) == 0 {
		names = []string{""}
	}
	for _, v := range r.Verbs {
		for _, gr := range r.APIGroups {
			for _, res := range r.Resources {
				resource, sub, _ := strings.Cut(res, "/")
				literal := res == "*/*"
				if res == "*" {
					sub = "*"
				}
				for _, n := range names {
					emit(Grant{Namespace: ns, Verb: v, APIGroup: gr, Resource: resource, Subresource: sub, LiteralSubresource: literal,
						ResourceName: n, Nameless: n == "" && len(r.ResourceNames) > 0})
				}
			}
		}
	}
}

// bindingGrants expands what a binding's role grants.
func bindingGrants(b *Binding, emit func(Grant, GrantSource)) {
	if b.Role == nil {
		return
	}
	ns := ""
	if b.Kind == "RoleBinding" {
		ns = b.Namespace
	}
	for _, r := range b.Role.Rules {
		src := GrantSource{Binding: b, Role: b.Role, From: r.From}
		expandRule(r, ns, func(g Grant) { emit(g, src) })
	}
}

// GrantsOf is what bindings naming the subject directly grant it (not
// through its groups).
func (m *Model) GrantsOf(s Subject) *GrantSet {
	set := &GrantSet{Subject: s, Grants: map[Grant]*GrantEntry{}}
	for _, b := range m.BindingsOf(s) {
		addBinding(set, b)
	}
	return set
}

func addBinding(set *GrantSet, b *Binding) {
	bindingGrants(b, func(g Grant, src GrantSource) {
		k := g
		e := set.Grants[k]
		if e == nil {
			e = &GrantEntry{Grant: g}
			set.Grants[k] = e
		}
		e.Sources = append(e.Sources, src)
	})
}

// Access is everything the identity of a subject may do: its own bindings
// and those of its groups (implicit ones and extraGroups). Each entry names
// the subject the binding names (the subject or one of its groups).
func (m *Model) Access(s Subject, extraGroups ...string) *GrantSet {
	set := &GrantSet{Subject: s, Grants: map[Grant]*GrantEntry{}}
	u := UserInfoFor(s, extraGroups...)
	seen := map[int]bool{}
	for _, i := range m.candidates(u) {
		if seen[i] {
			continue
		}
		seen[i] = true
		addBinding(set, m.Bindings[i])
	}
	return set
}
