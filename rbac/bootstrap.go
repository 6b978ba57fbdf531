package rbac

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kscan-io/kscan/graph"
)

// BootstrapMatch is an RBAC object compared with the object of the same
// kind, namespace and name in the API server's bootstrap policy.
type BootstrapMatch struct {
	// Builtin: the name is a bootstrap name and the content (rules and
	// aggregationRule of a role, roleRef and subjects of a binding) is the
	// bootstrap content. Only then is an object Kubernetes' own.
	Builtin bool
	// Modified: a bootstrap name with other content.
	Modified bool
	// Added and Removed describe the difference for people: grants,
	// subjects, a roleRef, aggregation labels.
	Added, Removed []string
}

// aggregationLabelPrefix marks labels that feed a role into the built-in
// aggregated roles (admin, edit, view, …): adding one to a bootstrap role
// changes what those roles grant.
const aggregationLabelPrefix = "rbac.authorization.k8s.io/aggregate-to-"

// MatchBootstrap compares obj (a Role, ClusterRole, RoleBinding or
// ClusterRoleBinding) with the bootstrap policy b. Content is compared by
// meaning: rule order, list order and rules another rule covers do not
// matter. The rules of an aggregated ClusterRole are not compared: the
// aggregation controller rewrites them from its selectors, so its selectors
// are its content (an aggregated role without its aggregationRule is
// compared by its rules).
func MatchBootstrap(obj map[string]any, b *graph.Bootstrap) BootstrapMatch {
	kind, _ := obj["kind"].(string)
	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	ns, _ := meta["namespace"].(string)
	if kind == "ClusterRole" || kind == "ClusterRoleBinding" {
		ns = ""
	}
	want := b.Lookup(kind, ns, name)
	if want == nil {
		return BootstrapMatch{}
	}
	var added, removed []string
	switch kind {
	case "Role", "ClusterRole":
		added, removed = diffRoles(obj, want)
	case "RoleBinding", "ClusterRoleBinding":
		added, removed = diffBindings(obj, want, ns)
	default:
		return BootstrapMatch{}
	}
	if len(added)+len(removed) == 0 {
		return BootstrapMatch{Builtin: true}
	}
	return BootstrapMatch{Modified: true, Added: added, Removed: removed}
}

func diffRoles(obj, want map[string]any) (added, removed []string) {
	gotSel, wantSel := selectorSet(obj), selectorSet(want)
	if wantSel != nil || gotSel != nil {
		a, r := setDiff(gotSel, wantSel), setDiff(wantSel, gotSel)
		for _, s := range a {
			added = append(added, "aggregation of ClusterRoles labelled "+s)
		}
		for _, s := range r {
			removed = append(removed, "aggregation of ClusterRoles labelled "+s)
		}
	}
	// Without an aggregationRule the object's own rules are what it grants;
	// the bootstrap data holds aggregated roles with the rules the
	// aggregation controller gave them.
	if gotSel == nil {
		a, r := diffGrants(parseRules(obj["rules"]), parseRules(want["rules"]))
		added, removed = append(added, a...), append(removed, r...)
	}
	gotL, wantL := aggregationLabels(obj), aggregationLabels(want)
	for _, l := range setDiff(gotL, wantL) {
		added = append(added, "label "+l)
	}
	for _, l := range setDiff(wantL, gotL) {
		removed = append(removed, "label "+l)
	}
	return added, removed
}

// diffGrants lists the grants of got no grant of want covers, and the
// reverse, rendered without a scope.
func diffGrants(got, want []Rule) (added, removed []string) {
	g, w := ruleGrants(got), ruleGrants(want)
	for _, x := range uncovered(g, w) {
		added = append(added, scopeless(x))
	}
	for _, x := range uncovered(w, g) {
		removed = append(removed, scopeless(x))
	}
	return added, removed
}

func ruleGrants(rules []Rule) *GrantSet {
	set := &GrantSet{Grants: map[Grant]*GrantEntry{}}
	for _, r := range rules {
		expandRule(r, "", func(g Grant) { set.Grants[g] = &GrantEntry{Grant: g} })
	}
	return set
}

func uncovered(have, other *GrantSet) []Grant {
	var out []Grant
	for _, e := range have.Sorted() {
		if !other.Covered(e.Grant) {
			out = append(out, e.Grant)
		}
	}
	return out
}

// scopeless renders a grant without "(cluster-wide)": roles have no scope
// until bound.
func scopeless(g Grant) string {
	return strings.TrimSuffix(g.String(), " (cluster-wide)")
}

func diffBindings(obj, want map[string]any, ns string) (added, removed []string) {
	ref := func(o map[string]any) string {
		rr, _ := o["roleRef"].(map[string]any)
		k, _ := rr["kind"].(string)
		n, _ := rr["name"].(string)
		return k + " " + n
	}
	if g, w := ref(obj), ref(want); g != w {
		added = append(added, "roleRef "+g)
		removed = append(removed, "roleRef "+w)
	}
	subs := func(o map[string]any) []string {
		var out []string
		list, _ := o["subjects"].([]any)
		for _, s := range list {
			sm, _ := s.(map[string]any)
			k, _ := sm["kind"].(string)
			n, _ := sm["name"].(string)
			sns, _ := sm["namespace"].(string)
			if k == KindServiceAccount && sns == "" {
				sns = ns
			}
			sub := normalizeSubject(Subject{Kind: k, Name: n})
			if k == KindServiceAccount {
				sub = Subject{Kind: k, Name: n, Namespace: sns}
			}
			out = append(out, "subject "+sub.String())
		}
		return out
	}
	g, w := subs(obj), subs(want)
	added = append(added, setDiff(g, w)...)
	removed = append(removed, setDiff(w, g)...)
	return added, removed
}

// selectorSet is an aggregationRule as sorted "k=v,k2=v2" strings (nil when
// the role is not aggregated).
func selectorSet(obj map[string]any) []string {
	ar, ok := obj["aggregationRule"].(map[string]any)
	if !ok {
		return nil
	}
	out := []string{}
	sels, _ := ar["clusterRoleSelectors"].([]any)
	for _, s := range sels {
		sm, _ := s.(map[string]any)
		var parts []string
		ml, _ := sm["matchLabels"].(map[string]any)
		for k, v := range ml {
			parts = append(parts, fmt.Sprintf("%s=%v", k, v))
		}
		me, _ := sm["matchExpressions"].([]any)
		for _, e := range me {
			em, _ := e.(map[string]any)
			parts = append(parts, fmt.Sprintf("%v %v %v", em["key"], em["operator"], strList(em["values"])))
		}
		sort.Strings(parts)
		out = append(out, strings.Join(parts, ","))
	}
	return out
}

func aggregationLabels(obj map[string]any) []string {
	meta, _ := obj["metadata"].(map[string]any)
	var out []string
	for k, v := range graph.Labels(meta) {
		if strings.HasPrefix(k, aggregationLabelPrefix) {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// setDiff: the distinct elements of a not in b, sorted.
func setDiff(a, b []string) []string {
	in := map[string]bool{}
	for _, e := range b {
		in[e] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, e := range a {
		if !in[e] && !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	sort.Strings(out)
	return out
}
