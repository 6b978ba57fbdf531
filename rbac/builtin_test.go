package rbac_test

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/rbac"
)

const bootstrapSelector = "kubernetes.io/bootstrapping"

// grantKeys is a model's permissions as comparable strings, per role.
func roleGrants(m *rbac.Model, name string) []string {
	r := m.Role("ClusterRole", "", name)
	if r == nil {
		return nil
	}
	var out []string
	for _, rule := range r.Rules {
		for _, v := range rule.Verbs {
			for _, g := range append([]string{"-"}, rule.APIGroups...) {
				if g == "-" && len(rule.NonResourceURLs) == 0 {
					continue
				}
				if g == "-" {
					for _, u := range rule.NonResourceURLs {
						out = append(out, v+" "+u)
					}
					continue
				}
				names := rule.ResourceNames
				if len(names) == 0 {
					names = []string{""}
				}
				for _, res := range rule.Resources {
					for _, n := range names {
						out = append(out, fmt.Sprintf("%s %s/%s %s", v, g, res, n))
					}
				}
			}
		}
	}
	sort.Strings(out)
	return dedupe(out)
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, e := range s {
		if i == 0 || e != s[i-1] {
			out = append(out, e)
		}
	}
	return out
}

// TestBootstrapMatchesServer checks the bootstrap RBAC policy kscan ships
// for the server's version (graph/builtin/bootstrap-v1.NN.yaml) against the
// objects the real API server creates (labelled rbac-defaults; the label is
// used here only to leave out other tests' objects, never by the scanner),
// after the aggregation controller ran: every object is recognised as
// built in, the shipped aggregated roles grant what the server's do, and
// nothing is shipped the server lacks. With KSCAN_WRITE_BOOTSTRAP=1
// (hack/bootstrap-rbac.sh) it writes the file.
func TestBootstrapMatchesServer(t *testing.T) {
	s, cs := cluster(t)
	info, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	version, ok := graph.MinorVersion(info.GitVersion)
	if !ok {
		t.Fatalf("server version %q", info.GitVersion)
	}
	_ = s
	var server []*graph.Node
	for _, n := range clusterRBAC(t, cs) {
		meta, _ := n.Object["metadata"].(map[string]any)
		if graph.Labels(meta)[bootstrapSelector] == "rbac-defaults" {
			server = append(server, n)
		}
	}
	if len(server) < 100 {
		t.Fatalf("only %d bootstrap RBAC objects on the server", len(server))
	}
	if os.Getenv("KSCAN_WRITE_BOOTSTRAP") == "1" {
		writeBootstrap(t, version, info.GitVersion, server)
		return
	}
	bs, exact := graph.BootstrapFor(version)
	if !exact {
		t.Fatalf("no bootstrap data shipped for %s: run hack/bootstrap-rbac.sh", version)
	}
	for _, n := range server {
		if m := rbac.MatchBootstrap(n.Object, bs); !m.Builtin {
			t.Errorf("%s: not recognised as built in: added %v, removed %v", n.ID, m.Added, m.Removed)
		}
	}
	if len(bs.Objects) != len(server) {
		t.Errorf("shipped %d bootstrap objects, the API server has %d", len(bs.Objects), len(server))
	}
	var roles []*graph.Node
	for _, n := range server {
		if kind, _, _ := graph.K8sMeta(n); kind == "ClusterRole" {
			roles = append(roles, n)
		}
	}
	fromServer := rbac.Build(roles, rbac.Options{NoBuiltins: true})
	shipped := rbac.Build(nil, rbac.Options{Bootstrap: bs})
	for _, r := range fromServer.Roles {
		want, got := roleGrants(fromServer, r.Name), roleGrants(shipped, r.Name)
		if missing, extra := setDiff(want, got), setDiff(got, want); len(missing)+len(extra) > 0 {
			t.Errorf("ClusterRole %s: shipped permissions differ from the API server's: missing %v, extra %v", r.Name, missing, extra)
		}
	}
	t.Logf("%d bootstrap objects of %s agree with the API server", len(server), version)
}

// writeBootstrap writes the objects without server-set metadata, sorted by
// kind, namespace and name.
func writeBootstrap(t *testing.T, version, gitVersion string, objs []*graph.Node) {
	order := map[string]int{"ClusterRole": 0, "ClusterRoleBinding": 1, "Role": 2, "RoleBinding": 3}
	sort.Slice(objs, func(i, j int) bool {
		ki, nsi, ni := graph.K8sMeta(objs[i])
		kj, nsj, nj := graph.K8sMeta(objs[j])
		if ki != kj {
			return order[ki] < order[kj]
		}
		if nsi != nsj {
			return nsi < nsj
		}
		return ni < nj
	})
	var items []map[string]any
	for _, n := range objs {
		meta, _ := n.Object["metadata"].(map[string]any)
		clean := map[string]any{"name": meta["name"]}
		for _, k := range []string{"namespace", "labels", "annotations"} {
			if v, ok := meta[k]; ok {
				clean[k] = v
			}
		}
		o := map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": n.Object["kind"], "metadata": clean}
		for _, k := range []string{"aggregationRule", "rules", "roleRef", "subjects"} {
			if v, ok := n.Object[k]; ok {
				o[k] = v
			}
		}
		items = append(items, o)
	}
	out, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	if err != nil {
		t.Fatal(err)
	}
	head := fmt.Sprintf(`# Kubernetes' bootstrap RBAC policy of %s, exactly as the API server
# (%s) creates it: its ClusterRoles and ClusterRoleBindings and the Roles
# and RoleBindings in kube-system and kube-public, with aggregated
# ClusterRoles as the clusterrole-aggregation controller fills them. kscan
# treats an object as Kubernetes' own only when name and content equal one
# of these (rbac.MatchBootstrap).
#
# Generated by hack/bootstrap-rbac.sh (rbac/builtin_test.go, against the
# real API server); do not edit by hand.
`, version, gitVersion)
	path := "../graph/builtin/bootstrap-" + version + ".yaml"
	if err := os.WriteFile(path, append([]byte(head), out...), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d objects to %s", len(items), path)
}

var plainYAML = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9./_-]*$`)

func yq(s string) string {
	if plainYAML.MatchString(s) && s != "true" && s != "false" && s != "null" && s != "yes" && s != "no" {
		return s
	}
	return fmt.Sprintf("%q", s)
}

func flow(list []any) string {
	parts := make([]string, len(list))
	for i, e := range list {
		s, _ := e.(string)
		parts[i] = yq(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func writeBuiltin(t *testing.T, roles []*graph.Node) {
	var b strings.Builder
	b.WriteString(`# Kubernetes' default ClusterRoles, exactly as the v1.37 API server bootstraps
# them (labelled kubernetes.io/bootstrapping: rbac-defaults), with the rules
# the clusterrole-aggregation controller fills into aggregated roles (admin,
# edit, view, …) already merged in. kscan uses them when a binding references
# one of these roles and no input declares it.
#
# Generated by: KSCAN_WRITE_BUILTIN=1 go test ./rbac -run TestBuiltinRolesMatchServer
# (rbac/builtin_test.go, against the real API server); do not edit by hand.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleList
items:
`)
	sort.Slice(roles, func(i, j int) bool { return roles[i].ID < roles[j].ID })
	for _, n := range roles {
		meta, _ := n.Object["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		fmt.Fprintf(&b, "- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRole\n  metadata:\n    name: %s\n", yq(name))
		labels := graph.Labels(meta)
		keys := make([]string, 0, len(labels))
		for k := range labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var lp []string
		for _, k := range keys {
			lp = append(lp, yq(k)+": "+yq(labels[k]))
		}
		fmt.Fprintf(&b, "    labels: {%s}\n", strings.Join(lp, ", "))
		if ar, ok := n.Object["aggregationRule"].(map[string]any); ok {
			b.WriteString("  aggregationRule:\n    clusterRoleSelectors:\n")
			sels, _ := ar["clusterRoleSelectors"].([]any)
			for _, s := range sels {
				sm, _ := s.(map[string]any)
				ml, _ := sm["matchLabels"].(map[string]any)
				var parts []string
				for k, v := range ml {
					parts = append(parts, yq(k)+": "+yq(fmt.Sprint(v)))
				}
				sort.Strings(parts)
				fmt.Fprintf(&b, "    - matchLabels: {%s}\n", strings.Join(parts, ", "))
			}
		}
		rules, _ := n.Object["rules"].([]any)
		if len(rules) == 0 {
			b.WriteString("  rules: []\n")
			continue
		}
		b.WriteString("  rules:\n")
		for _, r := range rules {
			rm, _ := r.(map[string]any)
			first := true
			for _, k := range []string{"apiGroups", "resources", "resourceNames", "nonResourceURLs", "verbs"} {
				v, ok := rm[k].([]any)
				if !ok {
					continue
				}
				prefix := "    "
				if first {
					prefix = "  - "
					first = false
				}
				fmt.Fprintf(&b, "%s%s: %s\n", prefix, k, flow(v))
			}
		}
	}
	if err := os.WriteFile("../graph/builtin/clusterroles.yaml", []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d ClusterRoles", len(roles))
}

func setDiff(a, b []string) []string {
	in := map[string]bool{}
	for _, e := range b {
		in[e] = true
	}
	var out []string
	for _, e := range a {
		if !in[e] {
			out = append(out, e)
		}
	}
	return out
}
