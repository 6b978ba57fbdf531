package rbac

import (
	"sort"
	"strings"
)

// Attributes is one request, as the API server's authorizer sees it.
// Either Resource (a resource request) or Path (a non-resource request) is
// set.
type Attributes struct {
	Verb        string
	APIGroup    string
	Resource    string
	Subresource string
	Name        string
	// Namespace is empty for a cluster-scoped request.
	Namespace string
	// Path is the URL of a non-resource request ("/healthz").
	Path string
}

// IsResource reports whether the request is for a resource.
func (a Attributes) IsResource() bool { return a.Path == "" }

// UserInfo is an authenticated identity: a user name and its groups.
type UserInfo struct {
	Name   string
	Groups []string
}

// UserInfoFor is the identity the API server gives a subject: a User or a
// ServiceAccount with its implicit groups (system:authenticated,
// system:serviceaccounts, system:serviceaccounts:<ns>) plus extra groups.
// For a Group it is an identity whose only group is that group.
func UserInfoFor(s Subject, extraGroups ...string) UserInfo {
	if s.Kind == KindGroup {
		return UserInfo{Groups: append([]string{s.Name}, extraGroups...)}
	}
	return UserInfo{Name: s.UserName(), Groups: append(s.ImplicitGroups(), extraGroups...)}
}

// Reason is one binding and role that allow a request.
type Reason struct {
	Subject Subject  `json:"subject"`
	Binding *Binding `json:"-"`
	Role    *Role    `json:"-"`
	// Rule is the matching rule; Rule.From names the ClusterRole it was
	// aggregated from.
	Rule Rule `json:"rule"`
}

// RuleAllows is the API server's rule match (rbac.RuleAllows).
func RuleAllows(a Attributes, r *Rule) bool {
	if !has(r.Verbs, a.Verb) {
		return false
	}
	if a.IsResource() {
		if !has(r.APIGroups, a.APIGroup) {
			return false
		}
		if !resourceMatches(r.Resources, a.Resource, a.Subresource) {
			return false
		}
		if len(r.ResourceNames) == 0 {
			return true
		}
		for _, n := range r.ResourceNames {
			if n == a.Name {
				return true
			}
		}
		return false
	}
	for _, u := range r.NonResourceURLs {
		if u == "*" || u == a.Path {
			return true
		}
		if strings.HasSuffix(u, "*") && strings.HasPrefix(a.Path, strings.TrimRight(u, "*")) {
			return true
		}
	}
	return false
}

// has: list contains x or "*".
func has(list []string, x string) bool {
	for _, e := range list {
		if e == "*" || e == x {
			return true
		}
	}
	return false
}

func resourceMatches(list []string, resource, sub string) bool {
	combined := resource
	if sub != "" {
		combined = resource + "/" + sub
	}
	for _, r := range list {
		if r == "*" || r == combined {
			return true
		}
		if sub != "" && len(r) == len(sub)+2 && strings.HasPrefix(r, "*/") && strings.HasSuffix(r, sub) {
			return true
		}
	}
	return false
}

// bindingApplies: a ClusterRoleBinding applies everywhere, a RoleBinding
// only to resource requests in its namespace.
func bindingApplies(b *Binding, a Attributes) bool {
	if b.Kind == "ClusterRoleBinding" {
		return true
	}
	return a.IsResource() && a.Namespace != "" && a.Namespace == b.Namespace
}

// candidates are the bindings naming the identity, by user name or group.
func (m *Model) candidates(u UserInfo) []int {
	var out []int
	if u.Name != "" {
		s := normalizeSubject(Subject{Kind: KindUser, Name: u.Name})
		out = append(out, m.bySubject[s]...)
	}
	for _, g := range u.Groups {
		out = append(out, m.bySubject[Subject{Kind: KindGroup, Name: g}]...)
	}
	return out
}

// Allows reports whether the identity may make the request.
func (m *Model) Allows(u UserInfo, a Attributes) bool {
	for _, i := range m.candidates(u) {
		b := m.Bindings[i]
		if b.Role == nil || !bindingApplies(b, a) {
			continue
		}
		for j := range b.Role.Rules {
			if RuleAllows(a, &b.Role.Rules[j]) {
				return true
			}
		}
	}
	return false
}

// Why lists every binding and rule that allow the request for the
// identity, sorted.
func (m *Model) Why(u UserInfo, a Attributes) []Reason {
	var out []Reason
	subjOf := func(b *Binding) Subject {
		for _, s := range b.Subjects {
			s = normalizeSubject(s)
			if (s.Kind != KindGroup && s.UserName() == u.Name && u.Name != "") || (s.Kind == KindGroup && contains(u.Groups, s.Name)) {
				return s
			}
		}
		return Subject{}
	}
	seen := map[int]bool{}
	for _, i := range m.candidates(u) {
		if seen[i] {
			continue
		}
		seen[i] = true
		b := m.Bindings[i]
		if b.Role == nil || !bindingApplies(b, a) {
			continue
		}
		for j := range b.Role.Rules {
			if RuleAllows(a, &b.Role.Rules[j]) {
				out = append(out, Reason{Subject: subjOf(b), Binding: b, Role: b.Role, Rule: b.Role.Rules[j]})
				break
			}
		}
	}
	sortReasons(out)
	return out
}

// WhoCan lists the subjects named in bindings that allow the request,
// each with the binding and role granting it. A group stands for all its
// members (system:authenticated: every authenticated identity).
func (m *Model) WhoCan(a Attributes) []Reason {
	var out []Reason
	for _, b := range m.Bindings {
		if b.Role == nil || !bindingApplies(b, a) {
			continue
		}
		var rule *Rule
		for j := range b.Role.Rules {
			if RuleAllows(a, &b.Role.Rules[j]) {
				rule = &b.Role.Rules[j]
				break
			}
		}
		if rule == nil {
			continue
		}
		for _, s := range b.Subjects {
			out = append(out, Reason{Subject: normalizeSubject(s), Binding: b, Role: b.Role, Rule: *rule})
		}
	}
	sortReasons(out)
	return out
}

func sortReasons(out []Reason) {
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Subject != b.Subject {
			return lessSubject(a.Subject, b.Subject)
		}
		return a.Binding.Label() < b.Binding.Label()
	})
}

func lessSubject(a, b Subject) bool {
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

func contains(list []string, x string) bool {
	for _, e := range list {
		if e == x {
			return true
		}
	}
	return false
}

// Subjects lists every subject named in a binding, sorted.
func (m *Model) Subjects() []Subject {
	out := make([]Subject, 0, len(m.bySubject))
	for s := range m.bySubject {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return lessSubject(out[i], out[j]) })
	return out
}

// BindingsOf lists the bindings naming a subject directly.
func (m *Model) BindingsOf(s Subject) []*Binding {
	idx := m.bySubject[normalizeSubject(s)]
	out := make([]*Binding, len(idx))
	for i, k := range idx {
		out[i] = m.Bindings[k]
	}
	return out
}

// WhoCanAnywhere is WhoCan for a namespaced request in any namespace: a
// ClusterRoleBinding counts everywhere, a RoleBinding in its own namespace
// (Reason.Binding tells which).
func (m *Model) WhoCanAnywhere(a Attributes) []Reason {
	if !a.IsResource() {
		return m.WhoCan(a)
	}
	var out []Reason
	for _, b := range m.Bindings {
		q := a
		if b.Kind == "RoleBinding" {
			q.Namespace = b.Namespace
		} else {
			q.Namespace = ""
		}
		if b.Role == nil || !bindingApplies(b, q) {
			continue
		}
		for j := range b.Role.Rules {
			if RuleAllows(q, &b.Role.Rules[j]) {
				for _, s := range b.Subjects {
					out = append(out, Reason{Subject: normalizeSubject(s), Binding: b, Role: b.Role, Rule: b.Role.Rules[j]})
				}
				break
			}
		}
	}
	sortReasons(out)
	return out
}
