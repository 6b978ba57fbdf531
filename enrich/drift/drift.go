// Package drift joins the Kubernetes resources a Pulumi stack declares to the
// live objects of the cluster and records where they differ. It runs as an
// enricher of enrich.All; the pulumi/drift and pulumi/unmanaged rules
// read what it leaves in node attrs.
package drift

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kscan-io/kscan/graph"
)

// Attribute names set by Enrich.
const (
	// AttrDrift on a declared node: {"live": id, "live_key": key,
	// "changed": [paths], "missing": bool}.
	AttrDrift = "pulumi_drift"
	// AttrUnmanaged on a live node labelled as managed by Pulumi that no
	// scanned stack declares.
	AttrUnmanaged = "pulumi_unmanaged"
)

// ManagedByLabel is set by the Pulumi Kubernetes provider on every object it
// creates.
const ManagedByLabel = "app.kubernetes.io/managed-by"

type ref struct{ ns, kind, name string }

// Enrich joins declared kubernetes:* resources to live objects with a declares edge and
// records drift and unmanaged objects. It does nothing without Pulumi nodes.
func Enrich(g *graph.Graph) {
	nodes := g.Nodes()
	var declared, live []*graph.Node
	hasPulumi := false
	liveTypes := map[string]bool{}
	for _, n := range nodes {
		switch n.Source.Kind {
		case graph.SourcePulumiState:
			hasPulumi = true
			if _, ok := n.Attrs[graph.AttrK8sID]; ok && graph.IsK8s(n) {
				declared = append(declared, n)
			}
		case graph.SourceCluster:
			if graph.IsK8s(n) {
				live = append(live, n)
				liveTypes[n.Type] = true
			}
		}
	}
	if !hasPulumi {
		return
	}
	index := map[ref][]*graph.Node{}
	for _, n := range live {
		kind, ns, name := graph.K8sMeta(n)
		index[ref{ns, kind, name}] = append(index[ref{ns, kind, name}], n)
	}
	declaredRefs := map[ref]bool{}
	for _, d := range declared {
		kind, ns, name := graph.K8sMeta(d)
		r := ref{ns, kind, name}
		declaredRefs[r] = true
		matches := index[r]
		if len(matches) == 0 {
			if liveTypes[d.Type] {
				setAttr(d, AttrDrift, map[string]any{"missing": true, "changed": []any{}})
			}
			continue
		}
		l := matches[0]
		for _, m := range matches {
			g.AddEdge(d.Key, m.Key, graph.EdgeDeclares)
		}
		changed := Compare(d.Object, l.Object)
		setAttr(d, AttrDrift, map[string]any{
			"live": l.ID, "live_key": l.Key, "missing": false, "changed": graph.AnyList(changed),
		})
	}
	for _, l := range live {
		kind, ns, name := graph.K8sMeta(l)
		if declaredRefs[ref{ns, kind, name}] {
			continue
		}
		meta, _ := l.Object["metadata"].(map[string]any)
		if strings.EqualFold(graph.Labels(meta)[ManagedByLabel], "pulumi") {
			setAttr(l, AttrUnmanaged, true)
		}
	}
}

func setAttr(n *graph.Node, k string, v any) {
	if n.Attrs == nil {
		n.Attrs = map[string]any{}
	}
	n.Attrs[k] = v
}

// ignoredAnnotations are written by tools, not declared by people.
var ignoredAnnotations = map[string]bool{
	"kubectl.kubernetes.io/last-applied-configuration": true,
	"deployment.kubernetes.io/revision":                true,
}

// Compare lists the field paths where the declared object differs from the
// live one, sorted. Only what the declaration sets is compared: fields the
// API server defaults or manages (status, managedFields, resourceVersion,
// uid, creationTimestamp, generation, defaulted fields) are absent from the
// declaration and so never count; a declared field missing from the live
// object is taken as defaulted (see diff). Secret contents are not compared,
// and secret or unknown declared values are skipped.
func Compare(declared, live map[string]any) []string {
	c := &comparer{}
	dm, _ := declared["metadata"].(map[string]any)
	lm, _ := live["metadata"].(map[string]any)
	for _, k := range []string{"labels", "annotations"} {
		d, _ := dm[k].(map[string]any)
		l, _ := lm[k].(map[string]any)
		for _, key := range slices.Sorted(maps.Keys(d)) {
			if k == "annotations" && ignoredAnnotations[key] {
				continue
			}
			if _, present := l[key]; !present {
				c.out = append(c.out, "metadata."+k+"."+key) // removed
				continue
			}
			c.diff(d[key], l[key], "metadata."+k+"."+key, 0)
		}
	}
	kind, _ := declared["kind"].(string)
	for _, k := range slices.Sorted(maps.Keys(declared)) {
		switch k {
		case "apiVersion", "kind", "metadata", "status":
			continue
		case "data", "stringData":
			if kind == "Secret" {
				continue // contents are never read back nor shown
			}
		}
		c.diff(declared[k], live[k], k, 0)
	}
	sort.Strings(c.out)
	return c.out
}

type comparer struct{ out []string }

func (c *comparer) diff(d, l any, path string, depth int) {
	// A declared value the live object lacks is taken as defaulted: the API
	// server fills defaults in and the live collector removes those equal
	// to their default, so absence is not evidence of a change. Removed
	// labels and annotations, and removed elements of lists, still count.
	if depth > 64 || d == nil || l == nil || graph.IsMarker(d) {
		return
	}
	switch dv := d.(type) {
	case map[string]any:
		if len(dv) == 0 {
			return
		}
		lv, ok := l.(map[string]any)
		if !ok {
			c.out = append(c.out, path)
			return
		}
		for _, k := range slices.Sorted(maps.Keys(dv)) {
			c.diff(dv[k], lv[k], path+"."+k, depth+1)
		}
	case []any:
		lv, ok := l.([]any)
		if len(dv) == 0 {
			if ok && len(lv) > 0 {
				c.out = append(c.out, path)
			}
			return
		}
		if !ok {
			c.out = append(c.out, path)
			return
		}
		if names := keyedByName(dv); names != nil {
			byName := map[string]any{}
			for _, e := range lv {
				if em, ok := e.(map[string]any); ok {
					if n, ok := em["name"].(string); ok {
						byName[n] = e
					}
				}
			}
			for i, e := range dv {
				le, ok := byName[names[i]]
				if !ok {
					c.out = append(c.out, path+"["+strconv.Itoa(i)+"]")
					continue
				}
				c.diff(e, le, path+"["+strconv.Itoa(i)+"]", depth+1)
			}
			return
		}
		if len(dv) != len(lv) {
			c.out = append(c.out, path)
			return
		}
		for i := range dv {
			c.diff(dv[i], lv[i], path+"["+strconv.Itoa(i)+"]", depth+1)
		}
	default:
		if !scalarEqual(d, l) {
			c.out = append(c.out, path)
		}
	}
}

// keyedByName returns the element names when every element is a map with a
// unique string name (containers, env, ports, volumes): such lists are
// matched by name, so injected extras on the live side do not count.
func keyedByName(l []any) []string {
	names := make([]string, len(l))
	seen := map[string]bool{}
	for i, e := range l {
		m, ok := e.(map[string]any)
		if !ok {
			return nil
		}
		n, ok := m["name"].(string)
		if !ok || n == "" || seen[n] {
			return nil
		}
		seen[n] = true
		names[i] = n
	}
	return names
}

// scalarEqual compares numbers numerically and resource quantities by value
// ("1000m" equals "1", "1Gi" equals "1024Mi"), as the API server rewrites them.
func scalarEqual(d, l any) bool {
	if d == l {
		return true
	}
	if df, ok := toFloat(d); ok {
		if lf, ok := toFloat(l); ok {
			return df == lf
		}
	}
	ds, dok := quantityText(d)
	ls, lok := quantityText(l)
	if dok && lok {
		dq, err1 := resource.ParseQuantity(ds)
		lq, err2 := resource.ParseQuantity(ls)
		if err1 == nil && err2 == nil {
			return dq.Cmp(lq) == 0
		}
	}
	return false
}

func quantityText(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, t != ""
	case int, int64, float64:
		return fmt.Sprint(t), true
	}
	return "", false
}

func toFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case int:
		return float64(t), true
	case int64:
		return float64(t), true
	case float64:
		return t, true
	}
	return 0, false
}
