// Package rbac computes Kubernetes RBAC effective permissions from the
// Role, ClusterRole, RoleBinding and ClusterRoleBinding objects of a graph,
// with the API server's own semantics: wildcards, ClusterRoles bound by
// RoleBindings (namespace-scoped), aggregated ClusterRoles, nonResourceURLs,
// the built-in default roles, and the implicit groups of users and
// ServiceAccounts. It answers "is this allowed" (Allows), "who can do this"
// (WhoCan), "what can this subject do" (Grants) and "what changed" (Drift).
package rbac

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kscan-io/kscan/graph"
)

// Subject kinds, as in a binding's subjects.
const (
	KindUser           = "User"
	KindGroup          = "Group"
	KindServiceAccount = "ServiceAccount"
)

// Well-known groups the API server adds to authenticated identities.
const (
	GroupAuthenticated   = "system:authenticated"
	GroupServiceAccounts = "system:serviceaccounts"
	GroupUnauthenticated = "system:unauthenticated"
	// UserAnonymous is the user name of an unauthenticated request.
	UserAnonymous = "system:anonymous"
	saUserPrefix  = "system:serviceaccount:"
)

// Subject is a User, Group or ServiceAccount as a binding names it.
// Namespace is set only for ServiceAccounts.
type Subject struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// String is "User alice", "Group dev" or "ServiceAccount shop/web".
func (s Subject) String() string {
	if s.Kind == KindServiceAccount {
		return s.Kind + " " + s.Namespace + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

// UserName is the user name the API server authenticates the subject as
// (empty for a Group).
func (s Subject) UserName() string {
	switch s.Kind {
	case KindUser:
		return s.Name
	case KindServiceAccount:
		return saUserPrefix + s.Namespace + ":" + s.Name
	}
	return ""
}

// ImplicitGroups are the groups the API server puts every authenticated
// identity of this kind in: system:authenticated, and for a ServiceAccount
// system:serviceaccounts and system:serviceaccounts:<ns>. The anonymous
// user (an unauthenticated request) is in system:unauthenticated only.
func (s Subject) ImplicitGroups() []string {
	switch s.Kind {
	case KindUser:
		if s.Name == UserAnonymous {
			return []string{GroupUnauthenticated}
		}
		return []string{GroupAuthenticated}
	case KindServiceAccount:
		return []string{GroupServiceAccounts, GroupServiceAccounts + ":" + s.Namespace, GroupAuthenticated}
	}
	return nil
}

// ParseSubject reads "User:alice", "Group:dev", "ServiceAccount:ns/name"
// (also "sa:ns/name"), "system:serviceaccount:ns:name", or a plain user name.
func ParseSubject(s string) (Subject, error) {
	if s == "" {
		return Subject{}, fmt.Errorf("empty subject")
	}
	if strings.HasPrefix(s, saUserPrefix) {
		parts := strings.Split(strings.TrimPrefix(s, saUserPrefix), ":")
		if len(parts) == 2 && parts[0] != "" && parts[1] != "" {
			return Subject{Kind: KindServiceAccount, Namespace: parts[0], Name: parts[1]}, nil
		}
		return Subject{}, fmt.Errorf("subject %q: want system:serviceaccount:<namespace>:<name>", s)
	}
	kind, name, ok := strings.Cut(s, ":")
	if !ok {
		return Subject{Kind: KindUser, Name: s}, nil
	}
	switch strings.ToLower(kind) {
	case "user", "u":
		return Subject{Kind: KindUser, Name: name}, nil
	case "group", "g":
		return Subject{Kind: KindGroup, Name: name}, nil
	case "serviceaccount", "sa":
		ns, n, ok := strings.Cut(name, "/")
		if !ok || ns == "" || n == "" {
			return Subject{}, fmt.Errorf("subject %q: want ServiceAccount:<namespace>/<name>", s)
		}
		return Subject{Kind: KindServiceAccount, Namespace: ns, Name: n}, nil
	}
	// "system:masters"-style names with a colon are users unless a kind
	// prefix says otherwise.
	return Subject{Kind: KindUser, Name: s}, nil
}

// normalizeSubject maps a User named system:serviceaccount:ns:name to the
// ServiceAccount it is, since the API server treats them alike.
func normalizeSubject(s Subject) Subject {
	if s.Kind == KindUser && strings.HasPrefix(s.Name, saUserPrefix) {
		if sa, err := ParseSubject(s.Name); err == nil {
			return sa
		}
	}
	return s
}

// Rule is a PolicyRule.
type Rule struct {
	Verbs           []string `json:"verbs"`
	APIGroups       []string `json:"apiGroups,omitempty"`
	Resources       []string `json:"resources,omitempty"`
	ResourceNames   []string `json:"resourceNames,omitempty"`
	NonResourceURLs []string `json:"nonResourceURLs,omitempty"`
	// From names the ClusterRole the rule was aggregated from (empty for a
	// role's own rules).
	From string `json:"-"`
}

func (r Rule) key() string {
	return strings.Join(r.Verbs, ",") + "|" + strings.Join(r.APIGroups, ",") + "|" + strings.Join(r.Resources, ",") + "|" +
		strings.Join(r.ResourceNames, ",") + "|" + strings.Join(r.NonResourceURLs, ",")
}

// Role is a Role or ClusterRole.
type Role struct {
	Kind      string // Role or ClusterRole
	Namespace string
	Name      string
	// Rules are the effective rules: for an aggregated ClusterRole, the
	// rules of the ClusterRoles its selectors match.
	Rules  []Rule
	Labels map[string]string
	// Selectors is the aggregationRule (nil when not aggregated).
	Selectors []graph.Selector
	// Builtin is true for a default role kscan supplied because no input
	// declared it.
	Builtin bool
	Node    *graph.Node
	// AggregatedInto lists the aggregated ClusterRoles that take this
	// role's rules.
	AggregatedInto []*Role
}

// Label is "ClusterRole admin" or "Role shop/reader".
func (r *Role) Label() string {
	if r.Namespace != "" {
		return r.Kind + " " + r.Namespace + "/" + r.Name
	}
	return r.Kind + " " + r.Name
}

// Aggregated reports whether the role has an aggregationRule.
func (r *Role) Aggregated() bool { return r.Selectors != nil }

// Binding is a RoleBinding or ClusterRoleBinding.
type Binding struct {
	Kind      string // RoleBinding or ClusterRoleBinding
	Namespace string
	Name      string
	RoleKind  string
	RoleName  string
	Subjects  []Subject
	Node      *graph.Node
	// Role is the resolved role (nil when missing).
	Role *Role
}

// Label is "ClusterRoleBinding x" or "RoleBinding shop/y".
func (b *Binding) Label() string {
	if b.Namespace != "" {
		return b.Kind + " " + b.Namespace + "/" + b.Name
	}
	return b.Kind + " " + b.Name
}

// RoleLabel names the referenced role.
func (b *Binding) RoleLabel() string {
	if b.RoleKind == "Role" {
		return "Role " + b.Namespace + "/" + b.RoleName
	}
	return b.RoleKind + " " + b.RoleName
}

// Model is the RBAC state of one cluster (or one set of files).
type Model struct {
	Cluster  string
	Roles    []*Role // sorted by kind, namespace, name
	Bindings []*Binding
	// Problems are objects that could not be understood (a binding to an
	// unknown role kind, a subject without a name…), for notifications.
	Problems []string

	roles     map[roleID]*Role
	bySubject map[Subject][]int // binding indices, subjects normalized
	bound     map[*Role]bool    // roles a binding names (Bound)
}

type roleID struct{ kind, ns, name string }

// Role returns a role by kind ("Role" or "ClusterRole"), namespace and name.
func (m *Model) Role(kind, ns, name string) *Role {
	if kind == "ClusterRole" {
		ns = ""
	}
	return m.roles[roleID{kind, ns, name}]
}

// Options tune Build.
type Options struct {
	// Cluster is recorded in the model.
	Cluster string
	// NoBuiltins leaves out Kubernetes' default ClusterRoles for bindings to
	// undeclared roles (they are used by default, since every cluster has
	// them).
	NoBuiltins bool
	// Bootstrap is the bootstrap policy the default ClusterRoles come from
	// (nil: the newest supported Kubernetes version).
	Bootstrap *graph.Bootstrap
}

// IsRBACKind reports whether kind is one of the four RBAC kinds.
func IsRBACKind(kind string) bool {
	switch kind {
	case "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding":
		return true
	}
	return false
}

// Build makes a model from Kubernetes nodes; nodes of other kinds are
// ignored. Later nodes with the same identity as earlier ones are ignored
// (the first wins, in the order given).
func Build(nodes []*graph.Node, opts Options) *Model {
	m := &Model{Cluster: opts.Cluster, roles: map[roleID]*Role{}, bySubject: map[Subject][]int{}}
	type bid struct{ kind, ns, name string }
	seenB := map[bid]bool{}
	for _, n := range nodes {
		if n == nil || n.Object == nil {
			continue
		}
		kind, _ := n.Object["kind"].(string)
		if !IsRBACKind(kind) {
			continue
		}
		if g := graph.GroupOf(str(n.Object["apiVersion"]), kind); g != "rbac.authorization.k8s.io" {
			continue
		}
		meta, _ := n.Object["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		ns, _ := meta["namespace"].(string)
		if kind == "ClusterRole" || kind == "ClusterRoleBinding" {
			ns = ""
		}
		if name == "" {
			continue
		}
		switch kind {
		case "Role", "ClusterRole":
			id := roleID{kind, ns, name}
			if _, dup := m.roles[id]; dup {
				continue
			}
			r := roleFromObject(n.Object, kind, ns, name)
			r.Node = n
			m.roles[id] = r
		default:
			id := bid{kind, ns, name}
			if seenB[id] {
				continue
			}
			seenB[id] = true
			b, problem := bindingFromObject(n.Object, kind, ns, name)
			if problem != "" {
				m.Problems = append(m.Problems, fmt.Sprintf("%s: %s", b.Label(), problem))
			}
			b.Node = n
			m.Bindings = append(m.Bindings, b)
		}
	}
	if !opts.NoBuiltins {
		bs := opts.Bootstrap
		if bs == nil {
			bs, _ = graph.BootstrapFor("")
		}
		for name, obj := range bs.ClusterRoles() {
			id := roleID{"ClusterRole", "", name}
			if _, ok := m.roles[id]; ok {
				continue
			}
			r := roleFromObject(obj, "ClusterRole", "", name)
			r.Builtin = true
			m.roles[id] = r
		}
	}
	aggregate(m)
	for id, r := range m.roles {
		_ = id
		m.Roles = append(m.Roles, r)
	}
	sort.Slice(m.Roles, func(i, j int) bool {
		a, b := m.Roles[i], m.Roles[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	sort.Slice(m.Bindings, func(i, j int) bool {
		a, b := m.Bindings[i], m.Bindings[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	for i, b := range m.Bindings {
		b.Role = m.Role(b.RoleKind, b.Namespace, b.RoleName)
		seen := map[Subject]bool{}
		for _, s := range b.Subjects {
			s = normalizeSubject(s)
			if seen[s] {
				continue
			}
			seen[s] = true
			m.bySubject[s] = append(m.bySubject[s], i)
		}
	}
	sort.Strings(m.Problems)
	return m
}

func roleFromObject(obj map[string]any, kind, ns, name string) *Role {
	meta, _ := obj["metadata"].(map[string]any)
	r := &Role{Kind: kind, Namespace: ns, Name: name, Labels: graph.Labels(meta)}
	r.Rules = parseRules(obj["rules"])
	if kind == "ClusterRole" {
		if ar, ok := obj["aggregationRule"].(map[string]any); ok {
			sels, _ := ar["clusterRoleSelectors"].([]any)
			r.Selectors = []graph.Selector{}
			for _, s := range sels {
				r.Selectors = append(r.Selectors, graph.LabelSelector(s))
			}
		}
	}
	return r
}

func parseRules(v any) []Rule {
	list, _ := v.([]any)
	out := make([]Rule, 0, len(list))
	for _, e := range list {
		m, _ := e.(map[string]any)
		if m == nil {
			continue
		}
		out = append(out, Rule{
			Verbs:           strList(m["verbs"]),
			APIGroups:       strList(m["apiGroups"]),
			Resources:       strList(m["resources"]),
			ResourceNames:   strList(m["resourceNames"]),
			NonResourceURLs: strList(m["nonResourceURLs"]),
		})
	}
	return out
}

func bindingFromObject(obj map[string]any, kind, ns, name string) (*Binding, string) {
	b := &Binding{Kind: kind, Namespace: ns, Name: name}
	rr, _ := obj["roleRef"].(map[string]any)
	b.RoleKind, _ = rr["kind"].(string)
	b.RoleName, _ = rr["name"].(string)
	var problems []string
	switch {
	case b.RoleKind == "ClusterRole":
	case b.RoleKind == "Role" && kind == "RoleBinding":
	default:
		problems = append(problems, fmt.Sprintf("roleRef kind %q is not valid here", b.RoleKind))
		b.RoleKind = ""
	}
	subs, _ := obj["subjects"].([]any)
	for i, s := range subs {
		sm, _ := s.(map[string]any)
		k, _ := sm["kind"].(string)
		n, _ := sm["name"].(string)
		sns, _ := sm["namespace"].(string)
		if n == "" {
			problems = append(problems, fmt.Sprintf("subjects[%d] has no name", i))
			continue
		}
		switch k {
		case KindUser, KindGroup:
			b.Subjects = append(b.Subjects, Subject{Kind: k, Name: n})
		case KindServiceAccount:
			if sns == "" {
				sns = ns // the API server defaults it to the binding's namespace
			}
			if sns == "" {
				problems = append(problems, fmt.Sprintf("subjects[%d]: ServiceAccount %s has no namespace and matches nobody", i, n))
				continue
			}
			b.Subjects = append(b.Subjects, Subject{Kind: k, Namespace: sns, Name: n})
		default:
			problems = append(problems, fmt.Sprintf("subjects[%d] has unknown kind %q", i, k))
		}
	}
	return b, strings.Join(problems, "; ")
}

func str(v any) string { s, _ := v.(string); return s }

func strList(v any) []string {
	switch t := v.(type) {
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return append([]string(nil), t...)
	}
	return nil
}

// aggregate fills the rules of aggregated ClusterRoles the way the
// clusterrole-aggregation controller does: the union, in name order, of the
// rules of every other ClusterRole a selector matches. Aggregated roles that
// select aggregated roles converge to the transitive closure, so this
// iterates to a fixed point (from empty rules, so cycles add nothing).
func aggregate(m *Model) {
	var aggs, all []*Role
	for _, r := range m.roles {
		if r.Kind != "ClusterRole" {
			continue
		}
		all = append(all, r)
		if r.Aggregated() {
			aggs = append(aggs, r)
		}
	}
	if len(aggs) == 0 {
		return
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	sort.Slice(aggs, func(i, j int) bool { return aggs[i].Name < aggs[j].Name })
	// Matches are computed once: labels do not change while aggregating.
	matched := make(map[*Role][]*Role, len(aggs))
	for _, a := range aggs {
		var ms []*Role
		seen := map[*Role]bool{}
		for _, sel := range a.Selectors {
			for _, r := range all {
				if r != a && !seen[r] && sel.Matches(r.Labels) {
					seen[r] = true
					ms = append(ms, r)
				}
			}
		}
		matched[a] = ms
		for _, r := range ms {
			r.AggregatedInto = append(r.AggregatedInto, a)
		}
		a.Rules = nil
	}
	for iter := 0; iter <= len(aggs)+1; iter++ {
		changed := false
		for _, a := range aggs {
			var rules []Rule
			seen := map[string]bool{}
			for _, src := range matched[a] {
				for _, r := range src.Rules {
					k := r.key()
					if seen[k] {
						continue
					}
					seen[k] = true
					if r.From == "" {
						r.From = src.Name
					}
					rules = append(rules, r)
				}
			}
			if len(rules) != len(a.Rules) {
				changed = true
			}
			a.Rules = rules
		}
		if !changed {
			break
		}
	}
}

// Bound reports whether a binding of the model grants the role, directly
// or through an aggregated ClusterRole that takes its rules.
func (m *Model) Bound(r *Role) bool {
	if m.bound == nil {
		m.bound = map[*Role]bool{}
		for _, b := range m.Bindings {
			if b.Role != nil {
				m.bound[b.Role] = true
			}
		}
	}
	seen := map[*Role]bool{}
	var walk func(*Role) bool
	walk = func(r *Role) bool {
		if seen[r] {
			return false
		}
		seen[r] = true
		if m.bound[r] {
			return true
		}
		for _, a := range r.AggregatedInto {
			if walk(a) {
				return true
			}
		}
		return false
	}
	return walk(r)
}
