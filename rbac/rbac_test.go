package rbac

import (
	"strings"
	"testing"

	"github.com/kscan-io/kscan/graph"
	"go.yaml.in/yaml/v3"
)

// nodes parses multi-document YAML into file nodes.
func nodes(t testing.TB, docs string) []*graph.Node {
	t.Helper()
	var out []*graph.Node
	for i, d := range strings.Split(docs, "\n---\n") {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(d), &obj); err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		if obj == nil {
			continue
		}
		out = append(out, graph.NewK8sNode(obj, graph.Source{Kind: graph.SourceFile, File: "t.yaml", Line: i + 1}, ""))
	}
	return out
}

const fixture = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: agg}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {agg: "true"}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: src, labels: {agg: "true"}}
rules:
- {apiGroups: [""], resources: [pods, "*/scale"], verbs: [get]}
- {apiGroups: [""], resources: [secrets], resourceNames: [one], verbs: [get]}
- {nonResourceURLs: ["/logs/*", /metrics], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r, namespace: a}
rules:
- {apiGroups: ["*"], resources: ["*"], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: alice-agg}
roleRef: {kind: ClusterRole, name: agg}
subjects: [{kind: User, name: alice}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: sa-r, namespace: a}
roleRef: {kind: Role, name: r}
subjects: [{kind: ServiceAccount, name: bot}, {kind: Group, name: "system:serviceaccounts:b"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: view-a, namespace: a}
roleRef: {kind: ClusterRole, name: view}
subjects: [{kind: Group, name: system:authenticated}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: agg-in-a, namespace: a}
roleRef: {kind: ClusterRole, name: agg}
subjects: [{kind: User, name: bob}]
`

func TestAllows(t *testing.T) {
	m := Build(nodes(t, fixture), Options{})
	alice := UserInfoFor(Subject{Kind: KindUser, Name: "alice"})
	bob := UserInfoFor(Subject{Kind: KindUser, Name: "bob"})
	bot := UserInfoFor(Subject{Kind: KindServiceAccount, Namespace: "a", Name: "bot"})
	other := UserInfoFor(Subject{Kind: KindServiceAccount, Namespace: "b", Name: "x"})
	tests := []struct {
		name string
		u    UserInfo
		a    Attributes
		want bool
	}{
		{"aggregated rule, any namespace", alice, Attributes{Verb: "get", Resource: "pods", Namespace: "z"}, true},
		{"aggregated rule, cluster scope", alice, Attributes{Verb: "get", Resource: "pods"}, true},
		{"wrong verb", alice, Attributes{Verb: "list", Resource: "pods", Namespace: "z"}, false},
		{"pods does not match a subresource", alice, Attributes{Verb: "get", Resource: "pods", Subresource: "log", Namespace: "z"}, false},
		{"*/scale", alice, Attributes{Verb: "get", Resource: "deployments", Subresource: "scale", Namespace: "z"}, true},
		{"*/scale wrong group", alice, Attributes{Verb: "get", APIGroup: "apps", Resource: "deployments", Subresource: "scale", Namespace: "z"}, false},
		{"resourceName match", alice, Attributes{Verb: "get", Resource: "secrets", Name: "one", Namespace: "z"}, true},
		{"resourceName other", alice, Attributes{Verb: "get", Resource: "secrets", Name: "two", Namespace: "z"}, false},
		{"resourceName none given", alice, Attributes{Verb: "get", Resource: "secrets", Namespace: "z"}, false},
		{"nonResourceURL prefix", alice, Attributes{Verb: "get", Path: "/logs/x"}, true},
		{"nonResourceURL exact", alice, Attributes{Verb: "get", Path: "/metrics"}, true},
		{"nonResourceURL other", alice, Attributes{Verb: "get", Path: "/metricsx"}, false},
		{"nonResourceURL not through a RoleBinding", bob, Attributes{Verb: "get", Path: "/metrics"}, false},
		{"ClusterRole by RoleBinding, in its namespace", bob, Attributes{Verb: "get", Resource: "pods", Namespace: "a"}, true},
		{"ClusterRole by RoleBinding, elsewhere", bob, Attributes{Verb: "get", Resource: "pods", Namespace: "b"}, false},
		{"ClusterRole by RoleBinding, cluster scope", bob, Attributes{Verb: "get", Resource: "pods"}, false},
		{"SA defaulted to the binding namespace", bot, Attributes{Verb: "list", APIGroup: "x", Resource: "y", Subresource: "z", Namespace: "a"}, true},
		{"SA group of namespace b", other, Attributes{Verb: "list", Resource: "pods", Namespace: "a"}, true},
		{"built-in view via system:authenticated", alice, Attributes{Verb: "watch", APIGroup: "apps", Resource: "deployments", Namespace: "a"}, true},
		{"view has no secrets", alice, Attributes{Verb: "get", Resource: "secrets", Name: "two", Namespace: "a"}, false},
		{"anonymous is not authenticated", UserInfo{Name: "system:anonymous", Groups: []string{"system:unauthenticated"}}, Attributes{Verb: "get", Resource: "pods", Namespace: "a"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.Allows(tc.u, tc.a); got != tc.want {
				t.Errorf("Allows = %v, want %v", got, tc.want)
			}
			if got := len(m.Why(tc.u, tc.a)) > 0; got != tc.want {
				t.Errorf("Why gives reasons = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseSubject(t *testing.T) {
	tests := []struct {
		in   string
		want Subject
		err  bool
	}{
		{"alice", Subject{Kind: KindUser, Name: "alice"}, false},
		{"User:alice", Subject{Kind: KindUser, Name: "alice"}, false},
		{"Group:system:masters", Subject{Kind: KindGroup, Name: "system:masters"}, false},
		{"ServiceAccount:shop/web", Subject{Kind: KindServiceAccount, Namespace: "shop", Name: "web"}, false},
		{"sa:shop/web", Subject{Kind: KindServiceAccount, Namespace: "shop", Name: "web"}, false},
		{"system:serviceaccount:shop:web", Subject{Kind: KindServiceAccount, Namespace: "shop", Name: "web"}, false},
		{"system:admin", Subject{Kind: KindUser, Name: "system:admin"}, false},
		{"sa:web", Subject{}, true},
		{"system:serviceaccount:shop", Subject{}, true},
		{"", Subject{}, true},
	}
	for _, tc := range tests {
		got, err := ParseSubject(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseSubject(%q) = %v, %v; want %v, err %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestDrift(t *testing.T) {
	base := Build(nodes(t, fixture), Options{})
	tests := []struct {
		name string
		now  string
		want []string // "subject change binding grants"
	}{
		{"unchanged", fixture, nil},
		{"role renamed", strings.ReplaceAll(strings.ReplaceAll(fixture, "name: r,", "name: r2,"), "name: r}", "name: r2}"), nil},
		{"verb added to an aggregated role's source", strings.Replace(fixture, "resources: [pods, \"*/scale\"], verbs: [get]", "resources: [pods, \"*/scale\"], verbs: [get, escalate]", 1),
			[]string{
				"User alice added ClusterRoleBinding alice-agg src [escalate */scale (cluster-wide) escalate pods (cluster-wide)]",
				"User bob added RoleBinding a/agg-in-a src [escalate */scale in a escalate pods in a]",
			}},
		{"binding removed", strings.Replace(fixture, "subjects: [{kind: User, name: bob}]", "subjects: []", 1),
			[]string{"User bob removed RoleBinding a/agg-in-a src [get */scale in a get pods in a get secrets named one in a]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := Build(nodes(t, tc.now), Options{})
			var got []string
			for _, d := range Drift(base, now) {
				var gs []string
				for _, g := range d.Grants {
					gs = append(gs, g.String())
				}
				got = append(got, d.Subject.String()+" "+d.Change+" "+d.Binding.Label()+" "+d.From+" ["+strings.Join(gs, " ")+"]")
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("drift:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestCovers(t *testing.T) {
	g := func(ns, verb, group, res, sub, name string) Grant {
		return Grant{Namespace: ns, Verb: verb, APIGroup: group, Resource: res, Subresource: sub, ResourceName: name}
	}
	tests := []struct {
		a, b Grant
		want bool
	}{
		{g("", "*", "*", "*", "*", ""), g("x", "get", "apps", "deployments", "scale", "n"), true},
		{g("x", "get", "", "pods", "", ""), g("", "get", "", "pods", "", ""), false},
		{g("", "get", "", "pods", "", ""), g("x", "get", "", "pods", "", "n"), true},
		{g("", "get", "", "pods", "", "n"), g("", "get", "", "pods", "", ""), false},
		{g("", "get", "", "*", "scale", ""), g("", "get", "", "rc", "scale", ""), true},
		{g("", "get", "", "*", "scale", ""), g("", "get", "", "rc", "", ""), false},
		{g("", "get", "", "pods", "", ""), g("", "get", "", "pods", "log", ""), false},
		{Grant{Verb: "get", NonResourceURL: "/logs/*"}, Grant{Verb: "get", NonResourceURL: "/logs/a"}, true},
		{Grant{Verb: "get", NonResourceURL: "/logs/*"}, g("", "get", "", "pods", "", ""), false},
		// "*/*" is a subresource literally named "*", not everything.
		{Grant{Verb: "get", APIGroup: "", Resource: "*", Subresource: "*", LiteralSubresource: true}, g("", "get", "", "pods", "log", ""), false},
		{Grant{Verb: "get", APIGroup: "", Resource: "*", Subresource: "*", LiteralSubresource: true}, g("", "get", "", "pods", "*", ""), true},
		{g("", "get", "", "*", "*", ""), Grant{Verb: "get", Resource: "*", Subresource: "*", LiteralSubresource: true}, true},
		// resourceNames [""]: requests without a name only.
		{Grant{Verb: "list", Resource: "secrets", Nameless: true}, Grant{Verb: "list", Resource: "secrets", Nameless: true}, true},
		{Grant{Verb: "list", Resource: "secrets", Nameless: true}, g("", "list", "", "secrets", "", "n"), false},
		{Grant{Verb: "list", Resource: "secrets", Nameless: true}, g("", "list", "", "secrets", "", ""), false},
		{g("", "list", "", "secrets", "", ""), Grant{Verb: "list", Resource: "secrets", Nameless: true}, true},
	}
	for i, tc := range tests {
		if got := tc.a.Covers(tc.b); got != tc.want {
			t.Errorf("%d: %v covers %v = %v, want %v", i, tc.a, tc.b, got, tc.want)
		}
	}
}

func TestBuiltinRolesResolve(t *testing.T) {
	m := Build(nil, Options{})
	for _, name := range []string{"cluster-admin", "admin", "edit", "view"} {
		if r := m.Role("ClusterRole", "", name); r == nil || len(r.Rules) == 0 {
			t.Errorf("built-in ClusterRole %s missing or empty", name)
		}
	}
}

// TestEnrichPulumiReference: Kubernetes RBAC declared in Pulumi state is
// the reference of a live cluster scanned in the same run; bootstrap
// bindings are left out.
func TestEnrichPulumiReference(t *testing.T) {
	g := graph.New()
	live := nodes(t, fixture+`---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:basic-user, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
roleRef: {kind: ClusterRole, name: system:basic-user}
subjects: [{kind: Group, name: system:authenticated}]
`)
	for _, n := range live {
		n.Source = graph.Source{Kind: graph.SourceCluster, Cluster: "prod"}
		g.AddNode(n)
	}
	declared := nodes(t, strings.Replace(fixture, "name: bob}]", "name: carol}]", 1))
	for _, n := range declared {
		n.Source = graph.Source{Kind: graph.SourcePulumiState, File: "state.json"}
		n.ID = "urn:pulumi:dev::p::kubernetes:rbac.authorization.k8s.io/v1:X::" + n.ID
		g.AddNode(n)
	}
	facts := Enrich(g)
	var got []string
	for _, d := range facts["drift"].([]any) {
		m := d.(map[string]any)
		got = append(got, m["reference"].(string)+" "+m["subject_label"].(string)+" "+m["change"].(string)+" "+m["severity"].(string))
	}
	want := []string{"pulumi User bob added high", "pulumi User carol removed low"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("drift:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Roles of the live cluster carry their effective rules.
	n, _ := g.Node("ClusterRole/agg")
	rb, _ := n.Attrs["rbac"].(map[string]any)
	if rules, _ := rb["rules"].([]any); len(rules) != 3 || rb["aggregated"] != true {
		t.Errorf("attrs.rbac of ClusterRole agg: %v", rb)
	}
}

// The API server puts the anonymous user in system:unauthenticated, never
// in system:authenticated.
func TestAnonymousGroups(t *testing.T) {
	u := UserInfoFor(Subject{Kind: KindUser, Name: UserAnonymous})
	if len(u.Groups) != 1 || u.Groups[0] != GroupUnauthenticated {
		t.Fatalf("groups of %s = %v", UserAnonymous, u.Groups)
	}
}

// A rule whose resourceNames list "" allows requests without a name only:
// for list that is every Secret, for get none; "*/*" is no exec.
func TestCheckRoleNamelessAndLiteralSubresource(t *testing.T) {
	m := Build(nodes(t, `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: odd}
rules:
- {apiGroups: [""], resources: [secrets], resourceNames: ["", one], verbs: [get, list]}
- {apiGroups: [""], resources: ["*/*"], verbs: [create]}`), Options{NoBuiltins: true})
	res := CheckRole(m.Role("ClusterRole", "", "odd"))
	byID := map[string]Check{}
	for _, c := range Checks {
		byID[c.ID] = c
	}
	list, get := res["list secrets"], res["get secrets"]
	if !list.Every(byID["list secrets"]) || list.All || !list.Allows("") || list.Allows("two") || !list.Allows("one") {
		t.Errorf("list secrets: %+v", list)
	}
	if get.Every(byID["get secrets"]) || get.Allows("two") || !get.Allows("one") {
		t.Errorf("get secrets: %+v", get)
	}
	if r, ok := res["create pods/exec"]; ok {
		t.Errorf("*/* allows create pods/exec: %+v", r)
	}
}
