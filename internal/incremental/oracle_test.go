package incremental_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kscan-io/kscan/collectors/kube"
	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/internal/incremental"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/query"
)

// watchTypes are the types a live watch keeps (collectors/kube's built-in
// types; Secrets come as metadata only, as the metadata informer gives
// them).
var watchTypes = []kube.WatchType{
	{Version: "v1", Resource: "namespaces", Kind: "Namespace"},
	{Version: "v1", Resource: "nodes", Kind: "Node"},
	{Version: "v1", Resource: "pods", Kind: "Pod", Namespaced: true},
	{Version: "v1", Resource: "services", Kind: "Service", Namespaced: true},
	{Version: "v1", Resource: "serviceaccounts", Kind: "ServiceAccount", Namespaced: true},
	{Version: "v1", Resource: "secrets", Kind: "Secret", Namespaced: true},
	{Group: "apps", Version: "v1", Resource: "deployments", Kind: "Deployment", Namespaced: true},
	{Group: "apps", Version: "v1", Resource: "replicasets", Kind: "ReplicaSet", Namespaced: true},
	{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses", Kind: "Ingress", Namespaced: true},
	{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies", Kind: "NetworkPolicy", Namespaced: true},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles", Kind: "Role", Namespaced: true},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings", Kind: "RoleBinding", Namespaced: true},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles", Kind: "ClusterRole"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings", Kind: "ClusterRoleBinding"},
	{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways", Kind: "Gateway", Namespaced: true},
	{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes", Kind: "HTTPRoute", Namespaced: true},
	{Group: "gateway.networking.k8s.io", Version: "v1beta1", Resource: "referencegrants", Kind: "ReferenceGrant", Namespaced: true},
}

var namespaces = []string{"shop", "pay", "web", "ops", "gw"}

// gen makes random objects of a small cluster from a seeded source.
type gen struct{ r *rand.Rand }

func (g gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func obj(apiVersion, kind, ns, name string, fields map[string]any) *unstructured.Unstructured {
	meta := map[string]any{"name": name}
	if ns != "" {
		meta["namespace"] = ns
	}
	o := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": meta}
	for k, v := range fields {
		if k == "labels" || k == "annotations" {
			meta[k] = v
			continue
		}
		o[k] = v
	}
	return &unstructured.Unstructured{Object: o}
}

func (g gen) podSpec() map[string]any {
	c := map[string]any{"name": "app", "image": g.pick("nginx:latest", "nginx:1.27", "registry.example.com/app@sha256:"+strings.Repeat("a", 64), "busybox")}
	if g.r.IntN(3) == 0 {
		c["securityContext"] = map[string]any{"privileged": true}
	}
	if g.r.IntN(3) == 0 {
		c["env"] = []any{map[string]any{"name": "DB_PASSWORD", "value": "x"}}
	}
	if g.r.IntN(2) == 0 {
		c["envFrom"] = []any{map[string]any{"secretRef": map[string]any{"name": g.pick("s1", "s2")}}}
	}
	spec := map[string]any{"containers": []any{c}, "serviceAccountName": g.pick("default", "sa1", "sa2")}
	if g.r.IntN(4) == 0 {
		spec["hostNetwork"] = true
	}
	return spec
}

// next returns a random object to create or update, or to delete.
func (g gen) next() (o *unstructured.Unstructured, del bool) {
	ns := g.pick(namespaces...)
	other := g.pick(namespaces...)
	labels := map[string]any{"app": g.pick("a", "b")}
	del = g.r.IntN(5) == 0
	switch g.r.IntN(16) {
	case 0, 1:
		o = obj("apps/v1", "Deployment", ns, g.pick("d1", "d2"), map[string]any{"spec": map[string]any{
			"selector": map[string]any{"matchLabels": labels},
			"template": map[string]any{"metadata": map[string]any{"labels": labels}, "spec": g.podSpec()}}})
	case 2:
		o = obj("v1", "Pod", ns, g.pick("p1", "p2"), map[string]any{"labels": labels, "spec": g.podSpec()})
	case 3, 4:
		o = obj("v1", "Service", ns, g.pick("svc1", "svc2"), map[string]any{"spec": map[string]any{
			"type": g.pick("ClusterIP", "LoadBalancer", "NodePort"), "selector": labels,
			"ports": []any{map[string]any{"port": int64(80), "protocol": "TCP"}}}})
	case 5:
		o = obj("v1", "ServiceAccount", ns, g.pick("sa1", "sa2", "sa3", "default"), map[string]any{"automountServiceAccountToken": g.r.IntN(2) == 0})
	case 6:
		o = obj("v1", "Secret", ns, g.pick("s1", "s2", "s3"), nil)
	case 7:
		o = obj("rbac.authorization.k8s.io/v1", "RoleBinding", ns, g.pick("rb1", "rb2"), map[string]any{
			"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": g.pick("ClusterRole", "Role"), "name": g.pick("reader", "view", "admin")},
			"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": g.pick("sa1", "sa3", "default"), "namespace": other}, map[string]any{"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}}})
	case 8:
		o = obj("rbac.authorization.k8s.io/v1", "Role", ns, "reader", map[string]any{"rules": []any{map[string]any{
			"apiGroups": []any{""}, "resources": []any{g.pick("secrets", "pods", "*")}, "verbs": []any{g.pick("get", "list", "*")}}}})
	case 9:
		o = obj("networking.k8s.io/v1", "NetworkPolicy", ns, "deny", map[string]any{"spec": map[string]any{"podSelector": map[string]any{}}})
	case 10:
		o = obj("networking.k8s.io/v1", "Ingress", ns, "ing", map[string]any{"spec": map[string]any{
			"tls": []any{map[string]any{"secretName": g.pick("s1", "s3")}},
			"rules": []any{map[string]any{"host": "x.example.com", "http": map[string]any{"paths": []any{map[string]any{
				"path": "/", "pathType": "Prefix", "backend": map[string]any{"service": map[string]any{"name": g.pick("svc1", "svc2"), "port": map[string]any{"number": int64(80)}}}}}}}}}})
	case 11:
		o = obj("v1", "Namespace", "", ns, map[string]any{"labels": map[string]any{"pod-security.kubernetes.io/enforce": g.pick("restricted", "baseline", "privileged")}})
		del = false // a Namespace's objects go with it; keep the set fixed
	case 12:
		o = obj("rbac.authorization.k8s.io/v1", "ClusterRole", "", "reader", map[string]any{"rules": []any{map[string]any{
			"apiGroups": []any{""}, "resources": []any{g.pick("secrets", "pods")}, "verbs": []any{"get"}}}})
	case 13:
		o = obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", "crb", map[string]any{
			"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": g.pick("reader", "cluster-admin")},
			"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": "sa2", "namespace": ns}}})
	case 14:
		o = obj("gateway.networking.k8s.io/v1", "HTTPRoute", ns, "route", map[string]any{"spec": map[string]any{
			"parentRefs": []any{map[string]any{"name": "public", "namespace": "gw"}},
			"rules":      []any{map[string]any{"backendRefs": []any{map[string]any{"name": g.pick("svc1", "svc2"), "namespace": other, "port": int64(80)}}}}}})
	default:
		o = obj("gateway.networking.k8s.io/v1beta1", "ReferenceGrant", ns, "allow", map[string]any{"spec": map[string]any{
			"from": []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": other}},
			"to":   []any{map[string]any{"group": "", "kind": "Service"}}}})
	}
	return o, del
}

// TestIncrementalEqualsFull: over a seeded random sequence of creates,
// updates and deletes across namespaces and of cluster-scoped objects
// (client-go's own stores underneath), the rows kept incrementally equal a
// full evaluation of the same state after every step, for the named
// queries declaring custom.watch and for the findings of every rule that
// does; most steps take the partial path.
func TestIncrementalEqualsFull(t *testing.T) {
	ctx := context.Background()
	engine, err := policies.Load(ctx, policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	qe, err := query.Load(ctx, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Every built-in rule, as kscan scan --watch selects them: the
	// undeclared registry/mutable-tags has nothing to judge in a watch and
	// must not keep changes off the partial path.
	rules := engine.Rules()
	declared := 0
	for _, r := range rules {
		if r.Watch.Declared() {
			declared++
		}
	}
	if declared < 40 || declared == len(rules) {
		t.Fatalf("%d of %d rules declare custom.watch, want the k8s/* and rbac/* ones and at least one undeclared", declared, len(rules))
	}
	opts := enrich.Options{}
	specs := map[string]func() incremental.Spec{
		"scan": func() incremental.Spec { return incremental.Scan(engine, rules, opts) },
	}
	for _, q := range qe.Named() {
		if !q.Watch.Declared() {
			continue
		}
		specs[q.Name] = func() incremental.Spec {
			s, err := incremental.Query(qe, incremental.QueryOptions{Name: q.Name, Enrich: opts})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	if len(specs) < 6 {
		t.Fatalf("only %d answers to check", len(specs))
	}
	steps := 100
	if testing.Short() {
		steps = 40
	}
	for _, seed := range []uint64{1, 2} {
		w := kube.NewStoreWatcher("", "v1.33.0", watchTypes)
		g := gen{r: rand.New(rand.NewPCG(seed, 18))}
		for _, ns := range namespaces {
			if _, err := w.Apply(obj("v1", "Namespace", "", ns, nil)); err != nil {
				t.Fatal(err)
			}
		}
		// A Gateway open to routes of every namespace: HTTPRoutes couple
		// their namespace to gw and to their backends'.
		if _, err := w.Apply(obj("gateway.networking.k8s.io/v1", "Gateway", "gw", "public", map[string]any{"spec": map[string]any{
			"gatewayClassName": "public",
			"listeners": []any{map[string]any{"name": "http", "port": int64(80), "protocol": "HTTP",
				"allowedRoutes": map[string]any{"namespaces": map[string]any{"from": "All"}}}}}})); err != nil {
			t.Fatal(err)
		}
		evs := map[string]*incremental.Evaluator{}
		for name, spec := range specs {
			evs[name] = incremental.New(w, spec())
			if _, err := evs[name].Full(ctx, "first"); err != nil {
				t.Fatal(err)
			}
		}
		partial, nonEmpty := map[string]int{}, map[string]int{}
		crossGateway := 0
		for step := 0; step < steps; step++ {
			var changes []kube.Change
			for n := 1 + g.r.IntN(2); n > 0; n-- { // one or two changes per debounce
				o, del := g.next()
				var c kube.Change
				if del {
					c, err = w.Remove(o)
				} else {
					c, err = w.Apply(o)
				}
				if err != nil {
					t.Fatal(err)
				}
				changes = append(changes, c)
			}
			for _, name := range slices.Sorted(mapsKeys(evs)) {
				u, err := evs[name].Apply(ctx, changes)
				if err != nil {
					t.Fatal(err)
				}
				if !u.Full {
					partial[name]++
				}
				fresh := incremental.New(w, specs[name]())
				if _, err := fresh.Full(ctx, "oracle"); err != nil {
					t.Fatal(err)
				}
				got, want := incremental.Keys(evs[name].Rows()), incremental.Keys(fresh.Rows())
				if len(want) > 0 {
					nonEmpty[name]++
				}
				for _, r := range fresh.Rows() {
					if name == "exposed-workloads" && r["via"] == "gateway" {
						crossGateway++
					}
				}
				if !slices.Equal(got, want) {
					t.Fatalf("seed %d step %d (%v), %s: incremental rows differ from a full evaluation\nonly incremental: %v\nonly full: %v",
						seed, step, changes, name, minus(got, want), minus(want, got))
				}
			}
		}
		for name := range specs {
			t.Logf("seed %d %s: %d of %d updates partial, %d with rows", seed, name, partial[name], steps, nonEmpty[name])
			if nonEmpty[name] == 0 {
				t.Errorf("seed %d %s: never any row: the check proves nothing", seed, name)
			}
		}
		t.Logf("seed %d: %d gateway rows", seed, crossGateway)
		if partial["scan"] < steps/3 {
			t.Errorf("seed %d: only %d of %d scan updates took the partial path", seed, partial["scan"], steps)
		}
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// TestIncrementalCrossNamespace: changes whose effect crosses namespaces
// (a RoleBinding granting a ServiceAccount of another namespace, an
// HTTPRoute attaching to a Gateway of a third and sending to a Service of a
// fourth under a ReferenceGrant) are seen in the other namespaces' rows,
// when the reference appears and when it goes.
func TestIncrementalCrossNamespace(t *testing.T) {
	ctx := context.Background()
	qe, err := query.Load(ctx, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := kube.NewStoreWatcher("", "v1.33.0", watchTypes)
	evs := map[string]*incremental.Evaluator{}
	for _, name := range []string{"unused-service-accounts", "exposed-workloads"} {
		spec, err := incremental.Query(qe, incremental.QueryOptions{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		evs[name] = incremental.New(w, spec)
	}
	labels := map[string]any{"app": "a"}
	sa := obj("v1", "ServiceAccount", "pay", "ci", nil)
	rb := obj("rbac.authorization.k8s.io/v1", "RoleBinding", "shop", "ci", map[string]any{
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
		"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": "ci", "namespace": "pay"}}})
	gw := obj("gateway.networking.k8s.io/v1", "Gateway", "gw", "public", map[string]any{"spec": map[string]any{
		"gatewayClassName": "public",
		"listeners": []any{map[string]any{"name": "http", "port": int64(80), "protocol": "HTTP",
			"allowedRoutes": map[string]any{"namespaces": map[string]any{"from": "All"}}}}}})
	dep := obj("apps/v1", "Deployment", "web", "d", map[string]any{"spec": map[string]any{
		"selector": map[string]any{"matchLabels": labels},
		"template": map[string]any{"metadata": map[string]any{"labels": labels}, "spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": "nginx:1.27"}}}}}})
	svc := obj("v1", "Service", "web", "svc", map[string]any{"spec": map[string]any{"selector": labels, "ports": []any{map[string]any{"port": int64(80)}}}})
	grant := obj("gateway.networking.k8s.io/v1beta1", "ReferenceGrant", "web", "allow", map[string]any{"spec": map[string]any{
		"from": []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "ops"}},
		"to":   []any{map[string]any{"group": "", "kind": "Service"}}}})
	route := obj("gateway.networking.k8s.io/v1", "HTTPRoute", "ops", "r", map[string]any{"spec": map[string]any{
		"parentRefs": []any{map[string]any{"name": "public", "namespace": "gw"}},
		"rules":      []any{map[string]any{"backendRefs": []any{map[string]any{"name": "svc", "namespace": "web", "port": int64(80)}}}}}})
	for _, o := range []*unstructured.Unstructured{sa, gw, dep, svc, grant} {
		if _, err := w.Apply(o); err != nil {
			t.Fatal(err)
		}
	}
	for _, ev := range evs {
		if _, err := ev.Full(ctx, "first"); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		what  string
		o     *unstructured.Unstructured
		del   bool
		query string
		want  string // a row (its key contains want) that must be there; "" none
	}{
		{"RoleBinding in shop binds pay's ServiceAccount", rb, false, "unused-service-accounts", `"bindings":["shop/RoleBinding/ci"]`},
		{"the RoleBinding goes", rb, true, "unused-service-accounts", `"bindings":[]`},
		{"HTTPRoute in ops sends gw's Gateway to web's Service", route, false, "exposed-workloads", `"workload":"web/Deployment/d"`},
		{"the HTTPRoute goes", route, true, "exposed-workloads", ""},
	}
	for _, s := range steps {
		var c kube.Change
		if s.del {
			c, err = w.Remove(s.o)
		} else {
			c, err = w.Apply(s.o)
		}
		if err != nil {
			t.Fatal(err)
		}
		u, err := evs[s.query].Apply(ctx, []kube.Change{c})
		if err != nil {
			t.Fatal(err)
		}
		if u.Full {
			t.Errorf("%s: full evaluation (%s), want partial", s.what, u.Reason)
		}
		keys := incremental.Keys(evs[s.query].Rows())
		found := slices.ContainsFunc(keys, func(k string) bool { return s.want != "" && strings.Contains(k, s.want) })
		if (s.want != "") != found || (s.want == "" && len(keys) > 0) {
			t.Errorf("%s: rows %v, want one with %s", s.what, keys, s.want)
		}
		t.Logf("%s: %d namespaces evaluated, rows %v", s.what, u.Namespaces, keys)
	}
}
