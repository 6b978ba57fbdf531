package rbac_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/rbac"
)

// The property: for generated RBAC (wildcards, subresources, resourceNames,
// nonResourceURLs, aggregation by label selectors, ClusterRoles bound by
// RoleBindings, missing roles, every kind of subject), kscan's evaluator
// answers every question exactly as the real API server's
// SubjectAccessReview does, through each of the ways kscan asks it:
//   - Allows/Why (kscan access, the rules' paths),
//   - WhoCan (kscan who-can),
//   - Access(...).Covered (the expanded grants of kscan access and drift),
//   - CheckRole (the verdicts attrs.rbac.checks gives the rbac/* rules),
//     for questions that are one of rbac.Checks.
//
// KSCAN_RBAC_SEED=<n> replays one seed; KSCAN_RBAC_ROUNDS sets how many
// generated worlds are tried (default 3).

const propLabelRun = "prop.kscan.test/run"

var (
	propNamespaces = []string{"prop-a", "prop-b", "prop-c"}
	propVerbs      = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate"}
	propGroups     = []string{"", "apps", "rbac.authorization.k8s.io", "example.com"}
	propResources  = []string{"pods", "secrets", "configmaps", "roles", "clusterroles", "deployments", "nodes", "serviceaccounts", "widgets"}
	propSubs       = []string{"exec", "log", "status", "scale", "proxy", "token"}
	propNames      = []string{"n1", "n2", "n3"}
	propPaths      = []string{"/healthz", "/metrics", "/logs", "/logs/kube.log", "/api", "/api/v1", "/apis", "/version", "/debug/pprof"}
	propURLs       = []string{"/healthz", "/metrics", "/logs/*", "/api/*", "/apis", "*", "/debug/*"}
	propLabelKeys  = []string{"prop.kscan.test/k1", "prop.kscan.test/k2"}
	propLabelVals  = []string{"x", "y"}
)

// identity is who a question is asked for: as kscan names it (Subject plus
// extra groups, for Access) and as the API server sees it (UserInfo).
type identity struct {
	subject rbac.Subject
	extra   []string
	info    rbac.UserInfo
}

func propIdentities() []identity {
	var out []identity
	users := []struct {
		name   string
		groups []string
	}{{"u1", []string{"g1"}}, {"u2", []string{"g1", "g2"}}, {"u3", nil}}
	for _, u := range users {
		s := rbac.Subject{Kind: rbac.KindUser, Name: u.name}
		out = append(out, identity{s, u.groups, rbac.UserInfoFor(s, u.groups...)})
	}
	for _, sa := range [][2]string{{"prop-a", "sa1"}, {"prop-b", "sa2"}, {"prop-a", "default"}} {
		s := rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: sa[0], Name: sa[1]}
		out = append(out, identity{s, nil, rbac.UserInfoFor(s)})
	}
	// The identity of an unauthenticated request.
	anon := rbac.Subject{Kind: rbac.KindUser, Name: "system:anonymous"}
	out = append(out, identity{anon, nil, rbac.UserInfo{Name: "system:anonymous", Groups: []string{"system:unauthenticated"}}})
	return out
}

func propSubjects(rng *rand.Rand, namespaced bool) []rbacv1.Subject {
	pool := []rbacv1.Subject{
		user("u1"), user("u2"), user("u3"), group("g1"), group("g2"),
		sa("prop-a", "sa1"), sa("prop-b", "sa2"), sa("prop-a", "default"),
		user("system:serviceaccount:prop-b:sa2"), group("system:serviceaccounts:prop-a"),
	}
	rare := []rbacv1.Subject{group("system:serviceaccounts"), group("system:authenticated"), group("system:unauthenticated"), user("system:anonymous")}
	n := 1 + rng.Intn(3)
	var out []rbacv1.Subject
	for i := 0; i < n; i++ {
		switch {
		case rng.Intn(12) == 0:
			out = append(out, rare[rng.Intn(len(rare))])
		case namespaced && rng.Intn(6) == 0:
			out = append(out, sa("", []string{"sa1", "sa2", "default"}[rng.Intn(3)])) // defaults to the binding's namespace
		default:
			out = append(out, pool[rng.Intn(len(pool))])
		}
	}
	return out
}

func pickN(rng *rand.Rand, pool []string, max int) []string {
	n := 1 + rng.Intn(max)
	seen := map[string]bool{}
	var out []string
	for i := 0; i < n; i++ {
		v := pool[rng.Intn(len(pool))]
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// propRule is a random valid PolicyRule; nonResource only for ClusterRoles.
func propRule(rng *rand.Rand, clusterRole bool) rbacv1.PolicyRule {
	withStar := func(pool []string, p int) []string {
		if rng.Intn(p) == 0 {
			return append(pool[:len(pool):len(pool)], "*")
		}
		return pool
	}
	if clusterRole && rng.Intn(7) == 0 {
		return rbacv1.PolicyRule{Verbs: pickN(rng, []string{"get", "post", "put", "*"}, 2), NonResourceURLs: pickN(rng, propURLs, 2)}
	}
	var resources []string
	for _, r := range pickN(rng, withStar(propResources, 4), 3) {
		switch x := rng.Intn(8); {
		case r == "*" && x < 2:
			resources = append(resources, "*/"+[]string{"scale", "status", "*", "exec"}[rng.Intn(4)])
		case r != "*" && x < 3:
			resources = append(resources, r+"/"+append(propSubs[:len(propSubs):len(propSubs)], "*")[rng.Intn(len(propSubs)+1)])
		default:
			resources = append(resources, r)
		}
	}
	rule := rbacv1.PolicyRule{
		Verbs:     pickN(rng, withStar(propVerbs, 6), 3),
		APIGroups: pickN(rng, withStar(propGroups, 6), 2),
		Resources: resources,
	}
	if rng.Intn(3) == 0 {
		rule.ResourceNames = pickN(rng, propNames, 2)
		if rng.Intn(8) == 0 {
			rule.ResourceNames = append(rule.ResourceNames, "") // valid, and matches nameless requests
		}
	}
	return rule
}

func propRules(rng *rand.Rand, clusterRole bool) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for i, n := 0, 1+rng.Intn(3); i < n; i++ {
		out = append(out, propRule(rng, clusterRole))
	}
	return out
}

func propLabels(rng *rand.Rand, run string) map[string]string {
	l := map[string]string{propLabelRun: run}
	for _, k := range propLabelKeys {
		if rng.Intn(3) > 0 {
			l[k] = propLabelVals[rng.Intn(len(propLabelVals))]
		}
	}
	return l
}

// propSelector always selects within the run (the run label), plus a
// random term: matchLabels or one of the four operators.
func propSelector(rng *rand.Rand, run string) metav1.LabelSelector {
	sel := metav1.LabelSelector{MatchLabels: map[string]string{propLabelRun: run}}
	key := propLabelKeys[rng.Intn(len(propLabelKeys))]
	val := propLabelVals[rng.Intn(len(propLabelVals))]
	switch rng.Intn(6) {
	case 0:
		sel.MatchLabels[key] = val
	case 1:
		sel.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: key, Operator: metav1.LabelSelectorOpIn, Values: []string{val}}}
	case 2:
		sel.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: key, Operator: metav1.LabelSelectorOpNotIn, Values: []string{val}}}
	case 3:
		sel.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: key, Operator: metav1.LabelSelectorOpExists}}
	case 4:
		sel.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: key, Operator: metav1.LabelSelectorOpDoesNotExist}}
	}
	return sel
}

// propWorld is one generated set of RBAC objects.
type propWorld struct {
	objs      []any
	aggregate []string // aggregated ClusterRoles
	rules     int
}

func genWorld(rng *rand.Rand, prefix string) propWorld {
	var w propWorld
	run := strings.TrimSuffix(prefix, "-")
	var clusterRoles, roles []string // roles as ns/name
	for i, n := 0, 5+rng.Intn(5); i < n; i++ {
		name := fmt.Sprintf("%scr%d", prefix, i)
		r := crole(name, propLabels(rng, run), propRules(rng, true)...)
		w.rules += len(r.Rules)
		w.objs = append(w.objs, r)
		clusterRoles = append(clusterRoles, name)
	}
	for i, n := 0, 1+rng.Intn(3); i < n; i++ {
		name := fmt.Sprintf("%sagg%d", prefix, i)
		var sels []metav1.LabelSelector
		for j, k := 0, 1+rng.Intn(2); j < k; j++ {
			sels = append(sels, propSelector(rng, run))
		}
		r := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: propLabels(rng, run)},
			AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: sels}}
		w.objs = append(w.objs, r)
		w.aggregate = append(w.aggregate, name)
		clusterRoles = append(clusterRoles, name)
	}
	for i, n := 0, 3+rng.Intn(4); i < n; i++ {
		ns := propNamespaces[rng.Intn(len(propNamespaces))]
		name := fmt.Sprintf("%sr%d", prefix, i)
		r := nsRole(ns, name, propRules(rng, false)...)
		w.rules += len(r.Rules)
		w.objs = append(w.objs, r)
		roles = append(roles, ns+"/"+name)
	}
	for i, n := 0, 3+rng.Intn(3); i < n; i++ {
		role := prefix + "missing"
		if rng.Intn(8) > 0 {
			role = clusterRoles[rng.Intn(len(clusterRoles))]
		}
		w.objs = append(w.objs, crb(fmt.Sprintf("%scrb%d", prefix, i), role, propSubjects(rng, false)...))
	}
	for i, n := 0, 6+rng.Intn(5); i < n; i++ {
		ns := propNamespaces[rng.Intn(len(propNamespaces))]
		kind, role := "ClusterRole", clusterRoles[rng.Intn(len(clusterRoles))]
		switch x := rng.Intn(10); {
		case x < 5:
			r := roles[rng.Intn(len(roles))]
			rns, rname, _ := strings.Cut(r, "/")
			kind, role = "Role", rname
			if x < 4 {
				ns = rns // most Role bindings find their role
			}
		case x == 5:
			role = prefix + "missing"
		}
		w.objs = append(w.objs, rb(ns, fmt.Sprintf("%srb%d", prefix, i), kind, role, propSubjects(rng, true)...))
	}
	return w
}

// genQuestions asks, for random identities: random requests from the
// vocabulary, the rbac.Checks the rules use, and requests instantiated from
// the world's own rules (so that allowed answers and near misses are both
// common).
func genQuestions(rng *rand.Rand, w propWorld, ids []identity, n int) []propQuestion {
	var ruleSrc []rbacv1.PolicyRule
	roleRules := map[string][]rbacv1.PolicyRule{} // kind/ns/name
	for _, o := range w.objs {
		switch r := o.(type) {
		case *rbacv1.ClusterRole:
			ruleSrc = append(ruleSrc, r.Rules...)
			roleRules["ClusterRole//"+r.Name] = r.Rules
		case *rbacv1.Role:
			ruleSrc = append(ruleSrc, r.Rules...)
			roleRules["Role/"+r.Namespace+"/"+r.Name] = r.Rules
		}
	}
	// Bindings with a role of their own rules, and the identities they name.
	type target struct {
		ns    string
		rules []rbacv1.PolicyRule
		ids   []identity
	}
	var targets []target
	for _, o := range w.objs {
		var subs []rbacv1.Subject
		var key, ns string
		switch b := o.(type) {
		case *rbacv1.ClusterRoleBinding:
			subs, key = b.Subjects, "ClusterRole//"+b.RoleRef.Name
		case *rbacv1.RoleBinding:
			subs, ns = b.Subjects, b.Namespace
			key = "ClusterRole//" + b.RoleRef.Name
			if b.RoleRef.Kind == "Role" {
				key = "Role/" + b.Namespace + "/" + b.RoleRef.Name
			}
		default:
			continue
		}
		tg := target{ns: ns, rules: roleRules[key]}
		for _, id := range ids {
			for _, s := range subs {
				rs := rbac.Subject{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace}
				if rs.Kind == rbac.KindServiceAccount && rs.Namespace == "" {
					rs.Namespace = ns
				}
				if whoCanIncludes([]rbac.Reason{{Subject: rs}}, id.info) {
					tg.ids = append(tg.ids, id)
					break
				}
			}
		}
		if len(tg.rules) > 0 && len(tg.ids) > 0 {
			targets = append(targets, tg)
		}
	}
	pick := func(l []string) string { return l[rng.Intn(len(l))] }
	nsPool := append(propNamespaces[:len(propNamespaces):len(propNamespaces)], "")
	namePool := append(propNames[:len(propNames):len(propNames)], "", "")
	var out []propQuestion
	for len(out) < n {
		id := ids[rng.Intn(len(ids))]
		var a rbac.Attributes
		switch x := rng.Intn(10); {
		case x == 0:
			a = rbac.Attributes{Verb: pick([]string{"get", "post", "put", "*"}), Path: pick(propPaths)}
		case x < 3:
			c := rbac.Checks[rng.Intn(len(rbac.Checks))]
			a = c.Attrs
			a.Namespace, a.Name = pick(nsPool), pick(namePool)
		case x < 5:
			a = rbac.Attributes{Verb: pick(append(propVerbs, "*")), APIGroup: pick(append(propGroups, "*")),
				Resource: pick(append(propResources, "*")), Namespace: pick(nsPool), Name: pick(namePool)}
			if rng.Intn(3) == 0 {
				a.Subresource = pick(append(propSubs, "*"))
			}
		case x < 7 || len(targets) == 0:
			r := ruleSrc[rng.Intn(len(ruleSrc))]
			a = instantiate(rng, r, pick)
			a.Namespace = pick(nsPool)
			if a.IsResource() && a.Name == "" {
				a.Name = pick(namePool)
			}
		default:
			// What a binding grants one of its subjects, in its namespace,
			// or a near miss of it.
			tg := targets[rng.Intn(len(targets))]
			id = tg.ids[rng.Intn(len(tg.ids))]
			a = instantiate(rng, tg.rules[rng.Intn(len(tg.rules))], pick)
			a.Namespace = tg.ns
			if tg.ns == "" {
				a.Namespace = pick(nsPool)
			}
			if a.IsResource() && a.Name == "" {
				a.Name = pick(namePool)
			}
			if rng.Intn(3) == 0 { // a near miss, sometimes
				switch rng.Intn(4) {
				case 0:
					a.Verb = pick(propVerbs)
				case 1:
					a.Name = pick(namePool)
				case 2:
					if a.IsResource() {
						a.Subresource = pick(append(propSubs, ""))
					} else {
						a.Path = pick(propPaths)
					}
				case 3:
					a.APIGroup = pick(propGroups)
				}
			}
		}
		if !a.IsResource() {
			a.Namespace, a.Name, a.APIGroup = "", "", ""
		}
		out = append(out, propQuestion{id, a})
	}
	return out
}

// instantiate turns a rule into a request it (probably) allows, replacing
// wildcards by concrete values (and keeping a literal "*" sometimes).
func instantiate(rng *rand.Rand, r rbacv1.PolicyRule, pick func([]string) string) rbac.Attributes {
	conc := func(v string, pool []string) string {
		if v == "*" && rng.Intn(4) > 0 {
			return pick(pool)
		}
		return v
	}
	a := rbac.Attributes{Verb: conc(pick(r.Verbs), propVerbs)}
	if len(r.NonResourceURLs) > 0 {
		if a.Verb == "*" || rng.Intn(2) == 0 {
			a.Verb = pick([]string{"get", "post"})
		}
		u := pick(r.NonResourceURLs)
		if strings.HasSuffix(u, "*") {
			u = strings.TrimSuffix(u, "*") + pick([]string{"", "x", "kube.log"})
		}
		if u == "" {
			u = "/"
		}
		a.Path = u
		return a
	}
	a.APIGroup = conc(pick(r.APIGroups), propGroups)
	res, sub, _ := strings.Cut(pick(r.Resources), "/")
	a.Resource = conc(res, propResources)
	if sub != "" {
		a.Subresource = conc(sub, propSubs)
	} else if res == "*" && rng.Intn(3) == 0 {
		a.Subresource = pick(propSubs)
	}
	if len(r.ResourceNames) > 0 {
		a.Name = pick(r.ResourceNames)
	}
	return a
}

type propQuestion struct {
	id    identity
	attrs rbac.Attributes
}

func (q propQuestion) String() string {
	a := q.attrs
	who := fmt.Sprintf("%s (groups %s)", q.id.info.Name, strings.Join(q.id.info.Groups, ","))
	if !a.IsResource() {
		return fmt.Sprintf("%s: %s %s", who, a.Verb, a.Path)
	}
	return fmt.Sprintf("%s: %s group=%q resource=%q sub=%q name=%q ns=%q", who, a.Verb, a.APIGroup, a.Resource, a.Subresource, a.Name, a.Namespace)
}

// grantOf is the Grant a request asks for, for GrantSet.Covered.
func grantOf(a rbac.Attributes) rbac.Grant {
	if !a.IsResource() {
		return rbac.Grant{Verb: a.Verb, NonResourceURL: a.Path}
	}
	return rbac.Grant{Namespace: a.Namespace, Verb: a.Verb, APIGroup: a.APIGroup, Resource: a.Resource, Subresource: a.Subresource,
		ResourceName: a.Name, Nameless: a.Name == ""}
}

// checkID is the rbac.Checks id a request is, if any.
func checkID(a rbac.Attributes) (string, bool) {
	for _, c := range rbac.Checks {
		if c.Attrs.Verb == a.Verb && c.Attrs.APIGroup == a.APIGroup && c.Attrs.Resource == a.Resource && c.Attrs.Subresource == a.Subresource && a.IsResource() {
			return c.ID, true
		}
	}
	return "", false
}

// rulesAllow is the verdict the rbac/* rules reach through attrs.rbac.checks:
// a binding that applies to the request names the identity (directly or by
// a group) and its role's check passes for every object or for this name.
func rulesAllow(m *rbac.Model, checks map[*rbac.Role]map[string]rbac.CheckResult, id string, q propQuestion) bool {
	a := q.attrs
	for _, b := range m.Bindings {
		if b.Role == nil {
			continue
		}
		if b.Kind == "RoleBinding" && (a.Namespace == "" || a.Namespace != b.Namespace) {
			continue
		}
		res, ok := checks[b.Role][id]
		if !ok || !res.Allows(a.Name) {
			continue
		}
		for _, s := range b.Subjects {
			if whoCanIncludes([]rbac.Reason{{Subject: s, Binding: b}}, q.id.info) {
				return true
			}
		}
	}
	return false
}

func TestPropertyAgreesWithSubjectAccessReview(t *testing.T) {
	_, cs := cluster(t)
	ensureNamespaces(t, cs, propNamespaces...)
	seed := time.Now().UnixNano() % 1_000_000
	if s := os.Getenv("KSCAN_RBAC_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		must(t, err, "KSCAN_RBAC_SEED")
		seed = v
	}
	rounds := 3
	if s := os.Getenv("KSCAN_RBAC_ROUNDS"); s != "" {
		v, err := strconv.Atoi(s)
		must(t, err, "KSCAN_RBAC_ROUNDS")
		rounds = v
	}
	failed := false
	defer func() {
		if failed || t.Failed() {
			t.Logf("reproduce with: KSCAN_RBAC_SEED=%d KSCAN_RBAC_ROUNDS=%d go test ./rbac -run TestPropertyAgreesWithSubjectAccessReview", seed, rounds)
		}
	}()
	ids := propIdentities()
	var objects, rules, questions, allowed, disagreements int
	for round := 0; round < rounds && !t.Failed(); round++ {
		rng := rand.New(rand.NewSource(seed*1000 + int64(round)))
		prefix := fmt.Sprintf("p%d-%d-", seed, round)
		w := genWorld(rng, prefix)
		objects += len(w.objs)
		rules += w.rules
		t.Run(fmt.Sprintf("seed=%d/round=%d", seed, round), func(t *testing.T) {
			applyRBAC(t, cs, w.objs...)
			waitSettled(t, cs, strings.TrimSuffix(prefix, "-"), w.aggregate)
			nodes := clusterRBAC(t, cs)
			m := rbac.Build(nodes, rbac.Options{Cluster: "testenv"})
			checkGrantEdges(t, nodes, m)
			checks := map[*rbac.Role]map[string]rbac.CheckResult{}
			for _, r := range m.Roles {
				checks[r] = rbac.CheckRole(r)
			}
			access := map[string]*rbac.GrantSet{}
			for _, id := range ids {
				access[id.info.Name] = m.Access(id.subject, id.extra...)
			}
			qs := genQuestions(rng, w, ids, 700)
			answers := askAll(t, cs, qs)
			n := 0
			for i, q := range qs {
				want := answers[i]
				questions++
				if want {
					allowed++
				}
				var wrong []string
				if got := m.Allows(q.id.info, q.attrs); got != want {
					wrong = append(wrong, fmt.Sprintf("Allows=%v", got))
				}
				if got := whoCanIncludes(m.WhoCan(q.attrs), q.id.info); got != want {
					wrong = append(wrong, fmt.Sprintf("who-can=%v", got))
				}
				if got := len(m.Why(q.id.info, q.attrs)) > 0; got != want {
					wrong = append(wrong, fmt.Sprintf("Why=%v", got))
				}
				if got := access[q.id.info.Name].Covered(grantOf(q.attrs)); got != want {
					wrong = append(wrong, fmt.Sprintf("access=%v", got))
				}
				if cid, ok := checkID(q.attrs); ok {
					if got := rulesAllow(m, checks, cid, q); got != want {
						wrong = append(wrong, fmt.Sprintf("rules(check %q)=%v", cid, got))
					}
				}
				if len(wrong) > 0 {
					disagreements++
					if n++; n <= 15 {
						t.Errorf("%s: API server says %v; kscan %s", q, want, strings.Join(wrong, ", "))
					}
				}
			}
			if n > 15 {
				t.Errorf("... %d disagreements in all", n)
			}
			if n > 0 {
				dumpWorld(t, w)
			}
		})
	}
	t.Logf("seed %d: %d rounds, %d objects, %d rules, %d questions (%d allowed), %d disagreements", seed, rounds, objects, rules, questions, allowed, disagreements)
	if questions > 0 && (allowed < questions/10 || allowed > questions*9/10) {
		t.Errorf("questions are lopsided: %d of %d allowed; the test would not tell much", allowed, questions)
	}
}

// askAll asks the API server every question (a few at a time).
func askAll(t *testing.T, cs kubernetes.Interface, qs []propQuestion) []bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out := make([]bool, len(qs))
	errs := make([]error, len(qs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				q := qs[i]
				spec := authzv1.SubjectAccessReviewSpec{User: q.id.info.Name, Groups: q.id.info.Groups}
				if q.attrs.IsResource() {
					a := q.attrs
					spec.ResourceAttributes = &authzv1.ResourceAttributes{Namespace: a.Namespace, Verb: a.Verb, Group: a.APIGroup,
						Resource: a.Resource, Subresource: a.Subresource, Name: a.Name}
				} else {
					spec.NonResourceAttributes = &authzv1.NonResourceAttributes{Path: q.attrs.Path, Verb: q.attrs.Verb}
				}
				sar, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
				if err != nil {
					errs[i] = err
					continue
				}
				out[i] = sar.Status.Allowed
			}
		}()
	}
	for i := range qs {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s: SubjectAccessReview: %v", qs[i], err)
		}
	}
	return out
}

// waitSettled waits until the clusterrole-aggregation controller has
// settled: every aggregated ClusterRole of the run holds exactly the union
// of the rules of the ClusterRoles its selectors match (apimachinery's
// selectors, the controller's own), on the server's current state.
func waitSettled(t *testing.T, cs kubernetes.Interface, run string, names []string) {
	t.Helper()
	if len(names) == 0 {
		return
	}
	waitFor(t, 30*time.Second, "aggregated ClusterRoles of "+run+" settled", func(ctx context.Context) (bool, error) {
		list, err := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{LabelSelector: propLabelRun + "=" + run})
		if err != nil {
			return false, nil
		}
		items := list.Items
		sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
		found := 0
		for _, a := range items {
			if a.AggregationRule == nil {
				continue
			}
			found++
			var want []rbacv1.PolicyRule
			for _, ls := range a.AggregationRule.ClusterRoleSelectors {
				sel, err := metav1.LabelSelectorAsSelector(&ls)
				if err != nil {
					return false, err
				}
				for _, src := range items {
					if src.Name == a.Name || !sel.Matches(labels.Set(src.Labels)) {
						continue
					}
					for _, r := range src.Rules {
						if !hasRule(want, r) {
							want = append(want, r)
						}
					}
				}
			}
			if len(want) != len(a.Rules) {
				return false, nil
			}
			for _, r := range want {
				if !hasRule(a.Rules, r) {
					return false, nil
				}
			}
		}
		return found == len(names), nil
	})
}

func hasRule(list []rbacv1.PolicyRule, r rbacv1.PolicyRule) bool {
	for _, e := range list {
		if reflect.DeepEqual(e, r) {
			return true
		}
	}
	return false
}

// dumpWorld logs the generated objects of a failing round.
func dumpWorld(t *testing.T, w propWorld) {
	t.Helper()
	for _, o := range w.objs {
		switch v := o.(type) {
		case *rbacv1.ClusterRole:
			t.Logf("ClusterRole %s labels=%v aggregation=%v rules=%+v", v.Name, v.Labels, v.AggregationRule, v.Rules)
		case *rbacv1.Role:
			t.Logf("Role %s/%s rules=%+v", v.Namespace, v.Name, v.Rules)
		case *rbacv1.ClusterRoleBinding:
			t.Logf("ClusterRoleBinding %s -> %s %s subjects=%+v", v.Name, v.RoleRef.Kind, v.RoleRef.Name, v.Subjects)
		case *rbacv1.RoleBinding:
			t.Logf("RoleBinding %s/%s -> %s %s subjects=%+v", v.Namespace, v.Name, v.RoleRef.Kind, v.RoleRef.Name, v.Subjects)
		}
	}
}

// checkGrantEdges: the rules find a binding's role through the graph's
// grants edges (graph.LinkK8s), not the model; both must name the same
// role (none for a missing one; a RoleBinding's Role in its namespace).
func checkGrantEdges(t *testing.T, nodes []*graph.Node, m *rbac.Model) {
	t.Helper()
	g := graph.New()
	for _, n := range nodes {
		g.AddNode(n)
	}
	graph.LinkK8s(g, graph.LinkOptions{})
	got := map[string][]string{}
	for _, e := range g.Edges() {
		if e.Type == graph.EdgeGrants {
			got[e.From] = append(got[e.From], e.To)
		}
	}
	for _, b := range m.Bindings {
		var want []string
		if b.Role != nil && b.Role.Node != nil {
			want = []string{b.Role.Node.Key}
		}
		if !reflect.DeepEqual(got[b.Node.Key], want) {
			t.Errorf("%s: the graph grants %v, the model %v", b.Label(), got[b.Node.Key], want)
		}
	}
}
