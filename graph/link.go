package graph

import (
	"maps"
	"slices"
	"strings"
)

// LinkOptions tunes LinkK8s.
type LinkOptions struct {
	// BuiltinClusterRoles are the default ClusterRoles of Kubernetes
	// (cluster-admin, admin, edit, view, system:*). A binding to one that no
	// input declares gets a node from this definition so rules can reason
	// about it.
	BuiltinClusterRoles map[string]map[string]any
	// BuiltinClusterRolesFor, when set, gives them per cluster ("" for
	// files), for clusters of different Kubernetes versions; it takes
	// precedence over BuiltinClusterRoles.
	BuiltinClusterRolesFor func(cluster string) map[string]map[string]any
}

type objRef struct{ cluster, ns, kind, name string }

// LinkK8s adds the edges between Kubernetes nodes: Service selects
// workloads, Ingress routes to Service, workload runs as ServiceAccount,
// binding grants role and binds subjects, NetworkPolicy protects namespace,
// and every namespaced object is in its namespace. It adds derived nodes for
// things that are referenced but not declared: namespaces that hold objects,
// RBAC subjects, and built-in ClusterRoles.
func LinkK8s(g *Graph, opts LinkOptions) {
	nodes := g.Nodes()
	index := map[objRef][]string{}
	type wl struct {
		key    string
		ref    objRef
		labels map[string]string
	}
	// Workloads by cluster and namespace: a Service only selects in its own
	// namespace, so matching stays linear in the objects of that namespace.
	workloads := map[[2]string][]wl{}
	nsUsed := map[[2]string]bool{}
	for _, n := range nodes {
		if !IsK8s(n) {
			continue
		}
		kind, ns, name := K8sMeta(n)
		r := objRef{n.Source.Cluster, ns, kind, name}
		index[r] = append(index[r], n.Key)
		if ns != "" {
			nsUsed[[2]string{n.Source.Cluster, ns}] = true
		}
		if WorkloadKinds[kind] {
			meta, spec, _ := PodTemplate(n.Object)
			if spec != nil {
				k := [2]string{r.cluster, r.ns}
				workloads[k] = append(workloads[k], wl{n.Key, r, Labels(meta)})
			}
		}
	}
	byLabel := labelIndex{}
	for k, list := range workloads {
		for i, w := range list {
			for lk, lv := range w.labels {
				byLabel.add(k[0], k[1], lk, lv, i)
			}
		}
	}
	lookup := func(cluster, ns, kind, name string) []string {
		return index[objRef{cluster, ns, kind, name}]
	}
	// Identities carry a "<cluster>:" prefix only when the collector chose to
	// (more than one cluster scanned); derived nodes follow the same choice.
	prefixed := map[string]bool{}
	for _, n := range nodes {
		if c := n.Source.Cluster; c != "" && strings.HasPrefix(n.ID, c+":") {
			prefixed[c] = true
		}
	}
	clusterPrefix := func(cluster string) string {
		if cluster == "" || !prefixed[cluster] {
			return ""
		}
		return cluster + ":"
	}
	derive := func(cluster, apiVersion, kind, ns, name string, obj map[string]any) string {
		if keys := lookup(cluster, ns, kind, name); len(keys) > 0 {
			return keys[0]
		}
		if obj == nil {
			meta := map[string]any{"name": name}
			if ns != "" {
				meta["namespace"] = ns
			}
			obj = map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": meta}
		}
		n := &Node{
			ID:     clusterPrefix(cluster) + K8sID(ns, kind, name),
			Type:   K8sType(apiVersion, kind),
			Object: obj,
			Source: Source{Kind: SourceDerived, Cluster: cluster},
		}
		key := g.AddNode(n)
		index[objRef{cluster, ns, kind, name}] = []string{key}
		return key
	}

	// Namespaces: declared or derived, so that per-namespace rules and the
	// in-namespace edges always have a target.
	nsKeys := slices.SortedFunc(maps.Keys(nsUsed), func(a, b [2]string) int { return slices.Compare(a[:], b[:]) })
	nsNode := map[[2]string]string{}
	for _, k := range nsKeys {
		nsNode[k] = derive(k[0], "v1", "Namespace", "", k[1], nil)
	}

	for _, n := range nodes {
		if !IsK8s(n) {
			continue
		}
		kind, ns, _ := K8sMeta(n)
		cluster := n.Source.Cluster
		if ns != "" {
			g.AddEdge(n.Key, nsNode[[2]string{cluster, ns}], EdgeInNamespace)
		}
		spec, _ := n.Object["spec"].(map[string]any)
		switch kind {
		case "Service":
			sel, _ := spec["selector"].(map[string]any)
			s := MapSelector(sel)
			for _, i := range byLabel.candidates(cluster, ns, sel) {
				if w := workloads[[2]string{cluster, ns}][i]; s.Matches(w.labels) {
					g.AddEdge(n.Key, w.key, EdgeSelects)
				}
			}
		case "Ingress":
			for _, svc := range ingressServices(spec) {
				for _, k := range lookup(cluster, ns, "Service", svc) {
					g.AddEdge(n.Key, k, EdgeRoutesTo)
				}
			}
		case "NetworkPolicy":
			g.AddEdge(n.Key, nsNode[[2]string{cluster, ns}], EdgeProtects)
		case "RoleBinding", "ClusterRoleBinding":
			linkBinding(g, n, cluster, ns, opts, lookup, derive)
		}
		if WorkloadKinds[kind] {
			_, pspec, _ := PodTemplate(n.Object)
			if pspec == nil {
				continue
			}
			sa := ServiceAccountName(pspec)
			for _, k := range lookup(cluster, ns, "ServiceAccount", sa) {
				g.AddEdge(n.Key, k, EdgeRunsAs)
			}
		}
	}
}

// labelIndex lists, per cluster, namespace and label, the workloads (by
// their index in that namespace's list) carrying it: a Service's selector
// is matched against the workloads holding its rarest label only, not every
// workload of the namespace (5,000 Services over 5,000 Deployments in one
// namespace were 25 million matches).
type labelIndex map[labelKey][]int

type labelKey struct{ cluster, ns, key, value string }

func (x labelIndex) add(cluster, ns, key, value string, i int) {
	k := labelKey{cluster, ns, key, value}
	x[k] = append(x[k], i)
}

// candidates are the workloads carrying the selector's rarest label pair
// (none for an empty selector); the caller still checks the whole selector.
func (x labelIndex) candidates(cluster, ns string, sel map[string]any) []int {
	var best []int
	first := true
	for k, v := range sel {
		str, _ := v.(string)
		list := x[labelKey{cluster, ns, k, str}]
		if first || len(list) < len(best) {
			best, first = list, false
		}
	}
	return best
}

// ServiceAccountName is the ServiceAccount a pod spec runs as.
func ServiceAccountName(podSpec map[string]any) string {
	if s, _ := podSpec["serviceAccountName"].(string); s != "" {
		return s
	}
	if s, _ := podSpec["serviceAccount"].(string); s != "" {
		return s
	}
	return "default"
}

func linkBinding(g *Graph, n *Node, cluster, ns string, opts LinkOptions,
	lookup func(cluster, ns, kind, name string) []string,
	derive func(cluster, apiVersion, kind, ns, name string, obj map[string]any) string) {
	rr, _ := n.Object["roleRef"].(map[string]any)
	rkind, _ := rr["kind"].(string)
	rname, _ := rr["name"].(string)
	switch rkind {
	case "Role":
		for _, k := range lookup(cluster, ns, "Role", rname) {
			g.AddEdge(n.Key, k, EdgeGrants)
		}
	case "ClusterRole":
		keys := lookup(cluster, "", "ClusterRole", rname)
		if len(keys) == 0 {
			builtins := opts.BuiltinClusterRoles
			if opts.BuiltinClusterRolesFor != nil {
				builtins = opts.BuiltinClusterRolesFor(cluster)
			}
			if def, ok := builtins[rname]; ok {
				keys = []string{derive(cluster, "rbac.authorization.k8s.io/v1", "ClusterRole", "", rname, DeepCopy(def).(map[string]any))}
			}
		}
		for _, k := range keys {
			g.AddEdge(n.Key, k, EdgeGrants)
		}
	}
	subjects, _ := n.Object["subjects"].([]any)
	for _, s := range subjects {
		sm, _ := s.(map[string]any)
		skind, _ := sm["kind"].(string)
		sname, _ := sm["name"].(string)
		if sname == "" {
			continue
		}
		switch skind {
		case "ServiceAccount":
			sns, _ := sm["namespace"].(string)
			if sns == "" {
				sns = ns
			}
			g.AddEdge(n.Key, derive(cluster, "v1", "ServiceAccount", sns, sname, nil), EdgeBinds)
		case "User", "Group":
			g.AddEdge(n.Key, derive(cluster, "rbac.authorization.k8s.io/v1", skind, "", sname, nil), EdgeBinds)
		}
	}
}

func ingressServices(spec map[string]any) []string {
	var out []string
	add := func(b any) {
		bm, _ := b.(map[string]any)
		if svc, ok := bm["service"].(map[string]any); ok {
			if name, _ := svc["name"].(string); name != "" {
				out = append(out, name)
			}
		}
		if name, _ := bm["serviceName"].(string); name != "" {
			out = append(out, name)
		}
	}
	add(spec["defaultBackend"])
	add(spec["backend"])
	rules, _ := spec["rules"].([]any)
	for _, r := range rules {
		rm, _ := r.(map[string]any)
		http, _ := rm["http"].(map[string]any)
		paths, _ := http["paths"].([]any)
		for _, p := range paths {
			pm, _ := p.(map[string]any)
			add(pm["backend"])
		}
	}
	return out
}

// AnyList is l as a list value of an object or attribute.
func AnyList(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

// DeepCopy copies the maps and slices of a decoded value; other values are
// immutable and shared. Not apimachinery's runtime.DeepCopyJSONValue: it
// panics on any Go type JSON does not produce, and values decoded from YAML
// hold some (int from yaml.v3 into a struct, uint64 for a large integer).
func DeepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = DeepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = DeepCopy(e)
		}
		return out
	}
	return v
}
