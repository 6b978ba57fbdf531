package rbac_test

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kscan-io/kscan/rbac"
)

// sarFixture is RBAC that exercises every rule of the authorizer:
// wildcards, resourceNames, subresources (exact and */x), nonResourceURLs,
// ClusterRoles bound by RoleBindings, aggregated roles (ours and the
// built-in admin/edit/view), groups, ServiceAccounts with and without a
// namespace in the subject, and the implicit ServiceAccount groups.
func sarFixture() []any {
	return []any{
		crole("sar-wild", nil,
			rule(l("*"), l("configmaps"), l("*")),
			rule(l(""), l("*"), l("get"))),
		crole("sar-names", nil,
			rule(l(""), l("secrets"), l("get", "update"), "allowed-name"),
			rule(l("apps"), l("deployments/scale"), l("update", "patch"))),
		crole("sar-sub", nil,
			rule(l(""), l("*/log"), l("get")),
			rule(l(""), l("pods/exec"), l("create")),
			rule(l("example.com"), l("widgets", "widgets/status"), l("list", "watch", "update"))),
		crole("sar-nonres", nil,
			rbacv1.PolicyRule{NonResourceURLs: l("/metrics", "/logs/*"), Verbs: l("get")},
			rule(l(""), l("nodes"), l("list"))),
		aggRole("sar-agg", map[string]string{"kscan.test/aggregate-to-sar": "true"}),
		crole("sar-agg-src-1", map[string]string{"kscan.test/aggregate-to-sar": "true"},
			rule(l("rbac.authorization.k8s.io"), l("roles", "rolebindings"), l("get", "escalate", "bind"))),
		crole("sar-agg-src-2", map[string]string{"kscan.test/aggregate-to-sar": "true"},
			rule(l(""), l("serviceaccounts"), l("impersonate"))),
		nsRole("sar-a", "pod-reader", rule(l(""), l("pods", "pods/log"), l("get", "list", "watch"))),
		nsRole("sar-b", "cm-writer", rule(l(""), l("configmaps"), l("create", "delete", "deletecollection"))),

		crb("sar-alice-wild", "sar-wild", user("alice")),
		crb("sar-devs-sub", "sar-sub", group("sar-devs")),
		crb("sar-sa1-nonres", "sar-nonres", sa("sar-a", "sa1")),
		crb("sar-b-sas-agg", "sar-agg", group("system:serviceaccounts:sar-b")),
		rb("sar-a", "sar-bob-names", "ClusterRole", "sar-names", user("bob")),
		rb("sar-a", "sar-reader", "Role", "pod-reader", user("carol"), sa("", "default")),
		rb("sar-b", "sar-cm", "Role", "cm-writer", sa("sar-a", "sa1"), group("sar-devs")),
		rb("sar-b", "sar-dave-edit", "ClusterRole", "edit", user("dave")),
		rb("sar-a", "sar-erin-admin", "ClusterRole", "admin", user("erin")),
		rb("sar-a", "sar-view-all-sas", "ClusterRole", "view", group("system:serviceaccounts")),
		rb("sar-b", "sar-agg-frank", "ClusterRole", "sar-agg", user("frank")),
		rb("sar-b", "sar-missing-role", "Role", "does-not-exist", user("alice")),
		crb("sar-sa-as-user", "sar-names", user("system:serviceaccount:sar-b:sa2")),
	}
}

type question struct {
	subject rbac.Subject
	attrs   rbac.Attributes
}

func (q question) String() string {
	a := q.attrs
	if !a.IsResource() {
		return fmt.Sprintf("%s: %s %s", q.subject, a.Verb, a.Path)
	}
	return fmt.Sprintf("%s: %s group=%q resource=%q sub=%q name=%q ns=%q", q.subject, a.Verb, a.APIGroup, a.Resource, a.Subresource, a.Name, a.Namespace)
}

// questions generates a fixed pseudo-random set of questions over the
// fixture's subjects, verbs, resources, names and namespaces, plus
// non-resource URLs.
func questions(n int) []question {
	subjects := []rbac.Subject{
		{Kind: rbac.KindUser, Name: "alice"}, {Kind: rbac.KindUser, Name: "bob"}, {Kind: rbac.KindUser, Name: "carol"},
		{Kind: rbac.KindUser, Name: "dave"}, {Kind: rbac.KindUser, Name: "erin"}, {Kind: rbac.KindUser, Name: "frank"},
		{Kind: rbac.KindUser, Name: "nobody"},
		{Kind: rbac.KindGroup, Name: "sar-devs"},
		{Kind: rbac.KindServiceAccount, Namespace: "sar-a", Name: "sa1"},
		{Kind: rbac.KindServiceAccount, Namespace: "sar-a", Name: "default"},
		{Kind: rbac.KindServiceAccount, Namespace: "sar-b", Name: "sa2"},
		{Kind: rbac.KindServiceAccount, Namespace: "kube-system", Name: "default"},
	}
	verbs := []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate"}
	type res struct{ group, resource, sub string }
	resources := []res{
		{"", "pods", ""}, {"", "pods", "log"}, {"", "pods", "exec"}, {"", "pods", "status"}, {"", "secrets", ""},
		{"", "configmaps", ""}, {"", "serviceaccounts", ""}, {"", "nodes", ""}, {"", "nodes", "log"}, {"", "namespaces", ""},
		{"apps", "deployments", ""}, {"apps", "deployments", "scale"}, {"apps", "configmaps", ""},
		{"rbac.authorization.k8s.io", "roles", ""}, {"rbac.authorization.k8s.io", "rolebindings", ""},
		{"rbac.authorization.k8s.io", "clusterroles", ""},
		{"example.com", "widgets", ""}, {"example.com", "widgets", "status"}, {"example.com", "widgets", "log"},
		{"authorization.k8s.io", "selfsubjectaccessreviews", ""}, {"batch", "jobs", ""}, {"", "services", "proxy"},
	}
	names := []string{"", "", "allowed-name", "other-name"}
	namespaces := []string{"sar-a", "sar-b", "sar-c", ""}
	paths := []string{"/healthz", "/livez", "/readyz", "/version", "/api", "/apis/apps", "/metrics", "/logs/kube.log", "/logs", "/openapi/v2", "/debug/pprof"}

	rng := rand.New(rand.NewSource(4))
	var out []question
	for i := 0; i < n; i++ {
		s := subjects[rng.Intn(len(subjects))]
		if i%8 == 7 {
			out = append(out, question{s, rbac.Attributes{Verb: []string{"get", "post", "list"}[rng.Intn(3)], Path: paths[rng.Intn(len(paths))]}})
			continue
		}
		r := resources[rng.Intn(len(resources))]
		out = append(out, question{s, rbac.Attributes{
			Verb: verbs[rng.Intn(len(verbs))], APIGroup: r.group, Resource: r.resource, Subresource: r.sub,
			Name: names[rng.Intn(len(names))], Namespace: namespaces[rng.Intn(len(namespaces))],
		}})
	}
	return out
}

// nearQuestions instantiates grants the subjects have (wildcards replaced
// by concrete values) and, half of the time, changes one part of the
// request (verb, namespace, name, subresource), so that allowed requests
// and near misses are both well represented.
func nearQuestions(m *rbac.Model, n int) []question {
	subjects := subjectsOf(questions(200))
	verbs := []string{"get", "list", "create", "update", "delete", "escalate", "impersonate"}
	groups := []string{"", "apps", "rbac.authorization.k8s.io", "example.com", "batch"}
	resources := []string{"pods", "secrets", "configmaps", "roles", "deployments", "widgets", "nodes"}
	subs := []string{"", "log", "exec", "scale", "status"}
	names := []string{"", "allowed-name", "other-name"}
	namespaces := []string{"sar-a", "sar-b", "sar-c", ""}
	rng := rand.New(rand.NewSource(40))
	pick := func(l []string) string { return l[rng.Intn(len(l))] }
	var out []question
	for len(out) < n {
		s := subjects[rng.Intn(len(subjects))]
		set := m.Access(s)
		if s.Kind == rbac.KindGroup {
			set = m.GrantsOf(s)
		}
		entries := set.Sorted()
		if len(entries) == 0 {
			continue
		}
		g := entries[rng.Intn(len(entries))].Grant
		a := rbac.Attributes{Verb: g.Verb}
		if a.Verb == "*" {
			a.Verb = pick(verbs)
		}
		if g.NonResourceURL != "" {
			a.Path = strings.TrimSuffix(g.NonResourceURL, "*")
			if strings.HasSuffix(g.NonResourceURL, "*") {
				a.Path += "x"
			}
			if rng.Intn(2) == 0 {
				a.Verb = pick(verbs)
			}
			out = append(out, question{s, a})
			continue
		}
		a.APIGroup, a.Resource, a.Subresource, a.Name, a.Namespace = g.APIGroup, g.Resource, g.Subresource, g.ResourceName, g.Namespace
		if a.APIGroup == "*" {
			a.APIGroup = pick(groups)
		}
		if a.Resource == "*" {
			a.Resource = pick(resources)
		}
		if a.Subresource == "*" {
			a.Subresource = pick(subs)
		}
		if a.Name == "" {
			a.Name = pick(names)
		}
		if a.Namespace == "" {
			a.Namespace = pick(namespaces)
		}
		if rng.Intn(2) == 0 {
			switch rng.Intn(4) {
			case 0:
				a.Verb = pick(verbs)
			case 1:
				a.Namespace = pick(namespaces)
			case 2:
				a.Name = pick(names)
			case 3:
				a.Subresource = pick(subs)
			}
		}
		out = append(out, question{s, a})
	}
	return out
}

func subjectsOf(qs []question) []rbac.Subject {
	seen := map[rbac.Subject]bool{}
	var out []rbac.Subject
	for _, q := range qs {
		if !seen[q.subject] {
			seen[q.subject] = true
			out = append(out, q.subject)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// sarUser is the identity a SubjectAccessReview is asked for: a User or
// ServiceAccount with the groups the API server would give it; a Group
// through a member with no other group.
func sarUser(s rbac.Subject) rbac.UserInfo {
	if s.Kind == rbac.KindGroup {
		return rbac.UserInfo{Name: "member-of-" + s.Name, Groups: []string{s.Name}}
	}
	return rbac.UserInfoFor(s)
}

// TestAgreesWithSubjectAccessReview asks the real API server and kscan the
// same questions, on the server's own RBAC (its bootstrap roles and
// bindings included) plus the fixture: every answer must agree.
func TestAgreesWithSubjectAccessReview(t *testing.T) {
	_, cs := cluster(t)
	ensureNamespaces(t, cs, "sar-a", "sar-b", "sar-c")
	applyRBAC(t, cs, sarFixture()...)
	// Wait until the controller aggregated sar-agg from both sources.
	waitFor(t, 60*time.Second, "ClusterRole sar-agg aggregated", func(ctx context.Context) (bool, error) {
		cr, err := cs.RbacV1().ClusterRoles().Get(ctx, "sar-agg", metav1.GetOptions{})
		return err == nil && len(cr.Rules) == 2, nil
	})

	m := rbac.Build(clusterRBAC(t, cs), rbac.Options{Cluster: "testenv"})
	qs := append(questions(400), nearQuestions(m, 400)...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	agree, allowed := 0, 0
	for _, q := range qs {
		u := sarUser(q.subject)
		spec := authzv1.SubjectAccessReviewSpec{User: u.Name, Groups: u.Groups}
		if q.attrs.IsResource() {
			spec.ResourceAttributes = &authzv1.ResourceAttributes{
				Namespace: q.attrs.Namespace, Verb: q.attrs.Verb, Group: q.attrs.APIGroup,
				Resource: q.attrs.Resource, Subresource: q.attrs.Subresource, Name: q.attrs.Name,
			}
		} else {
			spec.NonResourceAttributes = &authzv1.NonResourceAttributes{Path: q.attrs.Path, Verb: q.attrs.Verb}
		}
		sar, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("%s: SubjectAccessReview: %v", q, err)
		}
		got := m.Allows(u, q.attrs)
		if got != sar.Status.Allowed {
			t.Errorf("%s: kscan says %v, API server says %v (%s)", q, got, sar.Status.Allowed, sar.Status.Reason)
			continue
		}
		agree++
		if got {
			allowed++
			// who-can must name the subject or one of its groups, and
			// Why must give a reason.
			if len(m.Why(u, q.attrs)) == 0 {
				t.Errorf("%s: allowed but Why gives no reason", q)
			}
		}
		if whoCanIncludes(m.WhoCan(q.attrs), u) != got {
			t.Errorf("%s: who-can disagrees with Allows (%v)", q, got)
		}
	}
	t.Logf("SubjectAccessReview agreement: %d/%d questions (%d allowed, %d denied)", agree, len(qs), allowed, len(qs)-allowed)
	if allowed < len(qs)/10 || allowed > len(qs)*9/10 {
		t.Errorf("questions are lopsided: %d of %d allowed; the test would not tell much", allowed, len(qs))
	}
}

func whoCanIncludes(reasons []rbac.Reason, u rbac.UserInfo) bool {
	for _, r := range reasons {
		s := r.Subject
		if s.Kind == rbac.KindGroup {
			for _, g := range u.Groups {
				if g == s.Name {
					return true
				}
			}
			continue
		}
		if s.UserName() == u.Name {
			return true
		}
	}
	return false
}
