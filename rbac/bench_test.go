package rbac

import (
	"fmt"
	"math/rand"
	"syscall"
	"testing"
	"time"

	"github.com/kscan-io/kscan/graph"
)

// synthRBAC generates a large cluster's RBAC: roles Roles and ClusterRoles
// (some aggregated), bindings RoleBindings and ClusterRoleBindings over a
// pool of subjects Users, Groups and ServiceAccounts. change, when true,
// alters about 1% of it (a verb added to roles, bindings removed and
// added), as drift between two runs.
func synthRBAC(roles, bindings, subjects int, seed int64, change bool) []*graph.Node {
	rng := rand.New(rand.NewSource(seed))
	chg := rand.New(rand.NewSource(seed + 1))
	const namespaces = 200
	verbs := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	groups := []string{"", "apps", "batch", "networking.k8s.io", "example.com", "rbac.authorization.k8s.io"}
	resources := []string{"pods", "pods/log", "pods/exec", "services", "configmaps", "secrets", "deployments", "deployments/scale", "jobs", "ingresses", "widgets", "roles"}
	pick := func(l []string, n int) []any {
		out := []any{}
		seen := map[string]bool{}
		for len(out) < n {
			s := l[rng.Intn(len(l))]
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
		return out
	}
	src := graph.Source{Kind: graph.SourceCluster, Cluster: "bench"}
	var out []*graph.Node
	add := func(obj map[string]any) { out = append(out, graph.NewK8sNode(obj, src, "")) }
	nClusterRoles := roles / 5
	for i := 0; i < roles; i++ {
		var rules []any
		for r := 0; r < 3+rng.Intn(4); r++ {
			rule := map[string]any{"apiGroups": pick(groups, 1+rng.Intn(2)), "resources": pick(resources, 2+rng.Intn(3)), "verbs": pick(verbs, 2+rng.Intn(3))}
			if rng.Intn(10) == 0 {
				rule["resourceNames"] = []any{fmt.Sprintf("obj-%d", rng.Intn(50))}
			}
			if rng.Intn(200) == 0 {
				rule["verbs"] = []any{"*"}
			}
			if change && chg.Intn(100) == 0 {
				rule["verbs"] = append(rule["verbs"].([]any), "escalate")
			}
			rules = append(rules, rule)
		}
		meta := map[string]any{"name": fmt.Sprintf("role-%d", i)}
		obj := map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "metadata": meta, "rules": rules}
		if i < nClusterRoles {
			obj["kind"] = "ClusterRole"
			meta["labels"] = map[string]any{"agg": fmt.Sprint(i % 20)}
			if i < 20 { // aggregated roles, each selecting 1/20 of the others
				obj["aggregationRule"] = map[string]any{"clusterRoleSelectors": []any{map[string]any{"matchLabels": map[string]any{"agg": fmt.Sprint((i + 1) % 20)}}}}
				delete(obj, "rules")
				meta["labels"] = map[string]any{"aggregated": "true"}
			}
		} else {
			obj["kind"] = "Role"
			meta["namespace"] = fmt.Sprintf("ns-%d", i%namespaces)
		}
		add(obj)
	}
	subject := func() map[string]any {
		k := rng.Intn(subjects)
		switch {
		case k < subjects*4/10:
			return map[string]any{"kind": "User", "name": fmt.Sprintf("user-%d", k)}
		case k < subjects/2:
			return map[string]any{"kind": "Group", "name": fmt.Sprintf("group-%d", k)}
		default:
			return map[string]any{"kind": "ServiceAccount", "namespace": fmt.Sprintf("ns-%d", k%namespaces), "name": fmt.Sprintf("sa-%d", k)}
		}
	}
	for i := 0; i < bindings; i++ {
		var subs []any
		for s := 0; s < 1+rng.Intn(3); s++ {
			subs = append(subs, subject())
		}
		drop := change && chg.Intn(100) == 0
		meta := map[string]any{"name": fmt.Sprintf("binding-%d", i)}
		obj := map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "metadata": meta, "subjects": subs}
		if i%4 == 0 {
			obj["kind"] = "ClusterRoleBinding"
			obj["roleRef"] = map[string]any{"kind": "ClusterRole", "name": fmt.Sprintf("role-%d", rng.Intn(nClusterRoles))}
		} else {
			ns := rng.Intn(namespaces)
			obj["kind"] = "RoleBinding"
			meta["namespace"] = fmt.Sprintf("ns-%d", ns)
			if rng.Intn(10) < 7 {
				// a Role of the same namespace
				obj["roleRef"] = map[string]any{"kind": "Role", "name": fmt.Sprintf("role-%d", nClusterRoles+ns+namespaces*rng.Intn((roles-nClusterRoles)/namespaces))}
			} else {
				obj["roleRef"] = map[string]any{"kind": "ClusterRole", "name": []string{"view", "edit", fmt.Sprintf("role-%d", rng.Intn(nClusterRoles))}[rng.Intn(3)]}
			}
		}
		if !drop {
			add(obj)
		}
	}
	if change {
		for i := 0; i < bindings/100; i++ {
			add(map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
				"metadata": map[string]any{"name": fmt.Sprintf("new-binding-%d", i)},
				"roleRef":  map[string]any{"kind": "ClusterRole", "name": fmt.Sprintf("role-%d", chg.Intn(nClusterRoles))},
				"subjects": []any{map[string]any{"kind": "User", "name": fmt.Sprintf("user-%d", chg.Intn(subjects*4/10))}}})
		}
	}
	return out
}

// cpuTime is the process's user+system CPU time: on a shared machine the
// wall time of a benchmark says little, the CPU it used does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEffectivePermissions: build the model (aggregation included) and
// expand every subject's grants, for 5,000 roles, 20,000 bindings and
// 10,000 subjects.
func BenchmarkEffectivePermissions(b *testing.B) {
	nodes := synthRBAC(5000, 20000, 10000, 1, false)
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		m := Build(nodes, Options{Cluster: "bench"})
		total := 0
		for _, s := range m.Subjects() {
			total += len(m.GrantsOf(s).Grants)
		}
		b.ReportMetric(float64(len(m.Subjects())), "subjects")
		b.ReportMetric(float64(total), "grants")
	}
	b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkDrift: the whole enricher (models, attrs for rules, drift)
// between a cluster and a reference that differs in about 1% of it.
func BenchmarkDrift(b *testing.B) {
	ref := synthRBAC(5000, 20000, 10000, 1, false)
	now := synthRBAC(5000, 20000, 10000, 1, true)
	b.ResetTimer()
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		g := graph.New()
		for _, n := range now {
			c := *n
			g.AddNode(&c)
		}
		AddReference(g, RefBaseline, ref)
		b.StartTimer()
		start := cpuTime()
		facts := Enrich(g)
		cpu += cpuTime() - start
		b.ReportMetric(float64(len(facts["drift"].([]any))), "drift-entries")
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkAllows: one authorization question on the large model.
func BenchmarkAllows(b *testing.B) {
	m := Build(synthRBAC(5000, 20000, 10000, 1, false), Options{Cluster: "bench"})
	u := UserInfoFor(Subject{Kind: KindServiceAccount, Namespace: "ns-7", Name: "sa-5007"})
	a := Attributes{Verb: "get", Resource: "pods", Namespace: "ns-7"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Allows(u, a)
	}
}
