package rbac

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/kscan-io/kscan/graph"
)

// ReferenceType is the node type of an RBAC object of a reference state
// (a --desired directory, a --baseline snapshot): it carries the object
// but is not a Kubernetes node, so no rule and no linking sees it as part
// of the scanned estate. Attrs["reference"] names the reference.
const ReferenceType = "kscan:rbac/reference"

// Reference names.
const (
	RefDesired  = "desired"
	RefBaseline = "baseline"
	RefPulumi   = "pulumi"
)

// BootstrapLabel marks the API server's own default RBAC objects.
const BootstrapLabel = "kubernetes.io/bootstrapping"

// AddReference stores the RBAC objects among nodes as reference nodes of
// the named reference in g. Their source (file and line, cluster path) is
// kept so that findings about removed grants point at the reference.
func AddReference(g *graph.Graph, name string, nodes []*graph.Node) int {
	n := 0
	for _, src := range nodes {
		kind, _ := src.Object["kind"].(string)
		if !IsRBACKind(kind) || src.Source.Kind == graph.SourceDerived {
			continue
		}
		id := src.ID
		if src.Source.Cluster != "" {
			id = src.Source.Cluster + ":" + id
		}
		g.AddNode(&graph.Node{
			ID:     name + ":" + id,
			Type:   ReferenceType,
			Object: src.Object,
			Source: src.Source,
			Attrs:  map[string]any{"reference": name},
		})
		n++
	}
	return n
}

// isLive: a Kubernetes node of the scanned estate (files, cluster), not a
// declaration in Pulumi state or one kscan derived.
func isLive(n *graph.Node) bool {
	if !graph.IsK8s(n) {
		return false
	}
	switch n.Source.Kind {
	case graph.SourcePulumiState, graph.SourcePulumiPreview, graph.SourceDerived:
		return false
	}
	return true
}

// Models builds one model per cluster ("" for files) of the scanned estate.
func Models(g *graph.Graph) map[string]*Model {
	byCluster := map[string][]*graph.Node{}
	for _, n := range g.Nodes() {
		if isLive(n) {
			kind, _ := n.Object["kind"].(string)
			if IsRBACKind(kind) {
				byCluster[n.Source.Cluster] = append(byCluster[n.Source.Cluster], n)
			} else if _, ok := byCluster[n.Source.Cluster]; !ok {
				byCluster[n.Source.Cluster] = nil
			}
		}
	}
	out := map[string]*Model{}
	for c, nodes := range byCluster {
		bs, _ := BootstrapOf(g, c)
		out[c] = Build(nodes, Options{Cluster: c, Bootstrap: bs})
	}
	return out
}

// BootstrapOf is the bootstrap policy of a cluster's Kubernetes version (as
// recorded in the graph: discovery for a live cluster, --kube-version for
// files; the newest supported version when none is). exact is false when
// kscan has no data for that version and uses the nearest one.
func BootstrapOf(g *graph.Graph, cluster string) (b *graph.Bootstrap, exact bool) {
	return graph.BootstrapFor(g.KubeVersion(cluster))
}

// referenceNodes groups reference nodes by reference name and cluster.
func referenceNodes(g *graph.Graph) map[[2]string][]*graph.Node {
	out := map[[2]string][]*graph.Node{}
	for _, n := range g.Nodes() {
		switch {
		case n.Type == ReferenceType:
			name, _ := n.Attrs["reference"].(string)
			out[[2]string{name, n.Source.Cluster}] = append(out[[2]string{name, n.Source.Cluster}], n)
		case graph.IsK8s(n) && n.Source.Kind == graph.SourcePulumiState:
			kind, _ := n.Object["kind"].(string)
			if IsRBACKind(kind) {
				// Pulumi state does not know the cluster by its context name.
				out[[2]string{RefPulumi, ""}] = append(out[[2]string{RefPulumi, ""}], n)
			}
		}
	}
	return out
}

// withoutBootstrapBindings drops the API server's default bindings: a
// desired-state repository or a Pulumi program does not declare them, and
// the API server recreates them anyway.
func withoutBootstrapBindings(nodes []*graph.Node) []*graph.Node {
	out := make([]*graph.Node, 0, len(nodes))
	for _, n := range nodes {
		kind, _ := n.Object["kind"].(string)
		if kind == "RoleBinding" || kind == "ClusterRoleBinding" {
			meta, _ := n.Object["metadata"].(map[string]any)
			if graph.Labels(meta)[BootstrapLabel] == "rbac-defaults" {
				continue
			}
		}
		out = append(out, n)
	}
	return out
}

// Enrich computes RBAC facts for rules. It puts on every Role and
// ClusterRole node of the scanned estate attrs.rbac = {rules (effective,
// aggregation resolved), aggregated, aggregated_from}, on every binding
// attrs.rbac = {role (node key of the resolved role, "" when missing),
// subjects}, and returns the facts published as input.facts.rbac:
//
//	drift: [{reference, cluster, subject, subject_label, change, severity,
//	         key, binding, role, from, grants: [string]}]
//	subjects: {subject_label: [{binding, role, namespace}]}
func Enrich(g *graph.Graph) map[string]any {
	models := Models(g)
	clusters := make([]string, 0, len(models))
	for c := range models {
		clusters = append(clusters, c)
	}
	sort.Strings(clusters)
	subjects := map[string]any{}
	for _, c := range clusters {
		bs, exact := BootstrapOf(g, c)
		if !exact {
			where := "the files"
			if c != "" {
				where = "cluster " + c
			}
			g.AddError(graph.InputError{Level: graph.LevelWarning, Source: graph.Source{Kind: graph.SourceDerived, Cluster: c},
				Message: fmt.Sprintf("Kubernetes %s of %s: kscan has no bootstrap RBAC data for it and recognises Kubernetes' own roles and bindings as those of %s (supported: %s)",
					g.KubeVersion(c), where, bs.Version, strings.Join(graph.KubeVersions(), ", "))})
		}
		annotate(g, models[c], bs)
		for _, s := range models[c].Subjects() {
			label := s.String()
			if c != "" {
				label = c + ": " + label
			}
			var list []any
			for _, b := range models[c].BindingsOf(s) {
				list = append(list, map[string]any{
					"binding":   keyOf(b.Node),
					"role":      roleKey(g, c, b.Role),
					"namespace": bindingScope(b),
				})
			}
			subjects[label] = list
		}
	}
	refs := referenceNodes(g)
	refKeys := slices.SortedFunc(maps.Keys(refs), func(a, b [2]string) int { return slices.Compare(a[:], b[:]) })
	drift := []any{}
	for _, rk := range refKeys {
		name, refCluster := rk[0], rk[1]
		for _, c := range clusters {
			if refCluster != "" && refCluster != c {
				continue
			}
			if refCluster == "" && refs[[2]string{name, c}] != nil && c != "" {
				continue // a reference for this very cluster exists
			}
			if name == RefPulumi && !hasClusterSource(models[c]) {
				continue
			}
			refNodes := refs[rk]
			nowNodes := nodesOf(models[c])
			if name != RefBaseline {
				refNodes = withoutBootstrapBindings(refNodes)
				nowNodes = withoutBootstrapBindings(nowNodes)
			}
			ref := Build(refNodes, Options{Cluster: c})
			now := Build(nowNodes, Options{Cluster: c})
			label := c
			if len(clusters) == 1 {
				label = "" // the location names the cluster; messages need not
			}
			for _, d := range Drift(ref, now) {
				drift = append(drift, driftFact(name, label, d))
			}
		}
	}
	return map[string]any{"drift": drift, "subjects": subjects}
}

func hasClusterSource(m *Model) bool {
	for _, b := range m.Bindings {
		if b.Node != nil && b.Node.Source.Kind == graph.SourceCluster {
			return true
		}
	}
	for _, r := range m.Roles {
		if r.Node != nil && r.Node.Source.Kind == graph.SourceCluster {
			return true
		}
	}
	return false
}

func nodesOf(m *Model) []*graph.Node {
	var out []*graph.Node
	for _, r := range m.Roles {
		if r.Node != nil {
			out = append(out, r.Node)
		}
	}
	for _, b := range m.Bindings {
		if b.Node != nil {
			out = append(out, b.Node)
		}
	}
	return out
}

func driftFact(ref, cluster string, d DriftEntry) map[string]any {
	sev := "high"
	if d.Change == Removed {
		sev = "low"
	}
	grants := make([]any, len(d.Grants))
	for i, gr := range d.Grants {
		grants[i] = gr.String()
	}
	label := d.Subject.String()
	return map[string]any{
		"reference":     ref,
		"cluster":       cluster,
		"subject":       map[string]any{"kind": d.Subject.Kind, "name": d.Subject.Name, "namespace": d.Subject.Namespace},
		"subject_label": label,
		"change":        d.Change,
		"severity":      sev,
		"key":           keyOf(d.Binding.Node),
		"binding":       d.Binding.Label(),
		"role":          d.Role,
		"from":          d.From,
		"grants":        grants,
	}
}

func keyOf(n *graph.Node) string {
	if n == nil {
		return ""
	}
	return n.Key
}

func bindingScope(b *Binding) string {
	if b.Kind == "RoleBinding" {
		return b.Namespace
	}
	return ""
}

// roleKey finds the node of a role: declared, or the node LinkK8s derived
// for a built-in ClusterRole.
func roleKey(g *graph.Graph, cluster string, r *Role) string {
	if r == nil {
		return ""
	}
	if r.Node != nil {
		return r.Node.Key
	}
	id := graph.K8sID(r.Namespace, r.Kind, r.Name)
	if cluster != "" {
		id = cluster + ":" + id
	}
	if _, ok := g.Node(id); ok {
		return id
	}
	return ""
}

// annotate writes attrs.rbac on role and binding nodes.
func annotate(g *graph.Graph, m *Model, bs *graph.Bootstrap) {
	for _, r := range m.Roles {
		n := r.Node
		match := BootstrapMatch{Builtin: r.Builtin} // kscan supplied it
		if n == nil {
			if k := roleKey(g, m.Cluster, r); k != "" {
				n, _ = g.Node(k)
			}
		} else {
			match = MatchBootstrap(n.Object, bs)
		}
		if n == nil {
			continue
		}
		rules := make([]any, 0, len(r.Rules))
		fromSet := map[string]bool{}
		for _, rule := range r.Rules {
			rules = append(rules, ruleMap(rule))
			if rule.From != "" {
				fromSet[rule.From] = true
			}
		}
		from := make([]any, 0, len(fromSet))
		for _, f := range slices.Sorted(maps.Keys(fromSet)) {
			from = append(from, f)
		}
		// Rules read "all" as "every object": a nameless list or create
		// is one (CheckResult.Every); a nameless get names nothing.
		checks := map[string]any{}
		results := CheckRole(r)
		for _, c := range Checks {
			res, ok := results[c.ID]
			if !ok || (!res.Every(c) && len(res.Names) == 0) {
				continue
			}
			checks[c.ID] = map[string]any{"all": res.Every(c), "names": anyList(res.Names)}
		}
		attr := map[string]any{"rules": rules, "aggregated": r.Aggregated(), "aggregated_from": from,
			"checks": checks, "bound": m.Bound(r)}
		builtinAttrs(attr, match, bs)
		setAttr(n, attr)
	}
	for _, b := range m.Bindings {
		if b.Node == nil {
			continue
		}
		subs := make([]any, 0, len(b.Subjects))
		for _, s := range b.Subjects {
			s = normalizeSubject(s)
			subs = append(subs, map[string]any{"kind": s.Kind, "name": s.Name, "namespace": s.Namespace, "label": s.String()})
		}
		attr := map[string]any{"role": roleKey(g, m.Cluster, b.Role), "subjects": subs}
		builtinAttrs(attr, MatchBootstrap(b.Node.Object, bs), bs)
		setAttr(b.Node, attr)
	}
}

// builtinAttrs: builtin (Kubernetes' own object, by name and content) and,
// for a bootstrap name with other content, modified_builtin = {version,
// added, removed}.
func builtinAttrs(attr map[string]any, m BootstrapMatch, bs *graph.Bootstrap) {
	attr["builtin"] = m.Builtin
	if m.Modified {
		attr["modified_builtin"] = map[string]any{"version": bs.Version, "added": anyList(m.Added), "removed": anyList(m.Removed)}
	}
}

func setAttr(n *graph.Node, v map[string]any) {
	if n.Attrs == nil {
		n.Attrs = map[string]any{}
	}
	n.Attrs["rbac"] = v
}

func ruleMap(r Rule) map[string]any {
	m := map[string]any{"verbs": anyList(r.Verbs)}
	if r.APIGroups != nil {
		m["apiGroups"] = anyList(r.APIGroups)
	}
	if r.Resources != nil {
		m["resources"] = anyList(r.Resources)
	}
	if r.ResourceNames != nil {
		m["resourceNames"] = anyList(r.ResourceNames)
	}
	if r.NonResourceURLs != nil {
		m["nonResourceURLs"] = anyList(r.NonResourceURLs)
	}
	if r.From != "" {
		m["from"] = r.From
	}
	return m
}

func anyList(s []string) []any {
	out := make([]any, len(s))
	for i, e := range s {
		out[i] = e
	}
	return out
}
