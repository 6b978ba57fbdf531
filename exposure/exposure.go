// Package exposure computes, once per scan, how each workload can be reached
// from outside its pods' network: cloud load balancers, node ports, host
// ports and host networking, Ingresses, Gateway API Gateways and their
// routes, and Istio Gateways with their VirtualServices. Rules read the
// result as input.facts.exposure instead of each re-deriving a part of it.
package exposure

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/kscan-io/kscan/graph"
)

// Route kinds: the first hop a client outside the cluster meets.
const (
	KindLoadBalancer = "loadbalancer"  // Service of type LoadBalancer
	KindNodePort     = "nodeport"      // Service of type NodePort
	KindHostPort     = "hostport"      // container port bound on the node
	KindHostNetwork  = "hostnetwork"   // pod in the node's network namespace
	KindIngress      = "ingress"       // networking.k8s.io Ingress
	KindGateway      = "gateway"       // Gateway API Gateway listener and route
	KindIstioGateway = "istio-gateway" // Istio Gateway server and VirtualService
)

// Scopes: who can open a connection to the entry.
const (
	ScopeInternet   = "internet"   // anyone on the internet
	ScopeRestricted = "restricted" // an internet-facing entry limited to source ranges
	ScopeInternal   = "internal"   // a private load balancer or internal gateway
	ScopeNode       = "node"       // whoever reaches a node's addresses
)

// Route is one way in to one workload (or to none, for a public load
// balancer that selects nothing in the scanned inputs).
type Route struct {
	Kind  string
	Scope string
	// Entry is the node key of the object that opens the way in: the
	// Service, Ingress, Gateway, Istio Gateway, or the workload itself for
	// host ports and host networking.
	Entry string
	// Via lists the node keys between the entry and the workload, in order
	// (routes, the Service).
	Via      []string
	Workload string // node key; "" when no workload in the inputs is reached
	// Protocol as the client speaks it: HTTP, HTTPS, TLS, TCP, UDP, GRPC.
	Protocol string
	// TLS: the client's connection is encrypted up to the entry (HTTPS, a
	// TLS listener, an Ingress host with a certificate).
	TLS bool
	// L7: the entry is an HTTP proxy (Ingress, HTTP/HTTPS listener); false
	// for raw TCP/UDP to the pods.
	L7           bool
	Ports        []string
	Hosts        []string
	Class        string   // Ingress or Gateway class
	SourceRanges []string // load balancer source ranges, when set
	Listener     string   // Gateway listener or Istio server name
	// Assumed says why the scope is a guess (the front end is not among
	// the scanned inputs); "" when it follows from the objects.
	Assumed string
	// Path is the whole route in words, for messages:
	// "Internet → LoadBalancer Service shop/web → Deployment shop/web".
	Path string
}

// Internet reports whether anyone on the internet can reach the route.
func (r Route) Internet() bool { return r.Scope == ScopeInternet }

// Map is the route as rules see it.
func (r Route) Map() map[string]any {
	m := map[string]any{
		"kind": r.Kind, "scope": r.Scope, "internet": r.Internet(), "entry": r.Entry,
		"via": strList(r.Via), "workload": r.Workload, "protocol": r.Protocol, "tls": r.TLS, "l7": r.L7,
		"ports": strList(r.Ports), "hosts": strList(r.Hosts), "class": r.Class,
		"source_ranges": strList(r.SourceRanges), "listener": r.Listener, "assumed": r.Assumed, "path": r.Path,
	}
	return m
}

func strList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// Enrich computes every route of the graph and returns the facts published
// as input.facts.exposure:
//
//	routes:    [route]                    every route, sorted
//	workloads: {workload key: [route]}    the routes that reach each workload
//	entries:   {entry key: [route]}       the routes each entry object opens
//
// A route is {kind, scope, internet, entry, via, workload, protocol, tls,
// l7, ports, hosts, class, source_ranges, listener, assumed, path}.
func Enrich(g *graph.Graph) map[string]any {
	routes := Compute(g)
	all := make([]any, 0, len(routes))
	byWorkload := map[string]any{}
	byEntry := map[string]any{}
	for _, r := range routes {
		m := r.Map()
		all = append(all, m)
		if r.Workload != "" {
			list, _ := byWorkload[r.Workload].([]any)
			byWorkload[r.Workload] = append(list, m)
		}
		list, _ := byEntry[r.Entry].([]any)
		byEntry[r.Entry] = append(list, m)
	}
	return map[string]any{"routes": all, "workloads": byWorkload, "entries": byEntry}
}

// Compute returns every route of the graph, sorted by workload, entry and
// path so that reports are deterministic.
func Compute(g *graph.Graph) []Route {
	m := newModel(g)
	var out []Route
	out = append(out, m.serviceRoutes()...)
	out = append(out, m.hostRoutes()...)
	out = append(out, m.ingressRoutes()...)
	out = append(out, m.gatewayRoutes()...)
	out = append(out, m.istioRoutes()...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Workload != b.Workload {
			return a.Workload < b.Workload
		}
		if a.Entry != b.Entry {
			return a.Entry < b.Entry
		}
		return a.Path < b.Path
	})
	return dedupe(out)
}

func dedupe(rs []Route) []Route {
	var out []Route
	seen := map[string]bool{}
	for _, r := range rs {
		k := r.Workload + "\x00" + r.Entry + "\x00" + r.Path + "\x00" + r.Listener
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, r)
	}
	return out
}

type ref struct{ cluster, ns, typ, name string }

type model struct {
	g     *graph.Graph
	nodes []*graph.Node
	index map[ref]*graph.Node
	// selects: Service key -> workload keys (LinkK8s' edges).
	selects map[string][]string
	byType  map[string][]*graph.Node
	// exposures of a workload other than through Istio (for an Istio
	// gateway's own reachability).
	direct map[string][]Route
}

func newModel(g *graph.Graph) *model {
	m := &model{g: g, index: map[ref]*graph.Node{}, selects: map[string][]string{}, byType: map[string][]*graph.Node{}}
	for _, n := range g.Nodes() {
		if !graph.IsK8s(n) || n.Source.Kind == graph.SourceDerived {
			continue
		}
		_, ns, name := graph.K8sMeta(n)
		m.nodes = append(m.nodes, n)
		r := ref{n.Source.Cluster, ns, n.Type, name}
		if _, dup := m.index[r]; !dup {
			m.index[r] = n
		}
		m.byType[n.Type] = append(m.byType[n.Type], n)
	}
	for _, e := range g.Edges() {
		if e.Type == graph.EdgeSelects {
			m.selects[e.From] = append(m.selects[e.From], e.To)
		}
	}
	return m
}

// lookup finds a node by type ("k8s:core/Service"), namespace and name.
func (m *model) lookup(cluster, ns, typ, name string) *graph.Node {
	return m.index[ref{cluster, ns, typ, name}]
}

// label names a node in a path: "Service shop/web".
func label(n *graph.Node) string {
	kind, ns, name := graph.K8sMeta(n)
	if ns == "" {
		return kind + " " + name
	}
	return kind + " " + ns + "/" + name
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func obj(m map[string]any, k string) map[string]any {
	o, _ := m[k].(map[string]any)
	return o
}

func list(m map[string]any, k string) []map[string]any {
	l, _ := m[k].([]any)
	out := make([]map[string]any, 0, len(l))
	for _, e := range l {
		if o, ok := e.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

func strs(m map[string]any, k string) []string {
	l, _ := m[k].([]any)
	var out []string
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func num(v any) (int64, bool) {
	switch t := v.(type) {
	case int:
		return int64(t), true
	case int64:
		return t, true
	case float64:
		return int64(t), true
	case uint64:
		return int64(t), true
	}
	return 0, false
}

func annotations(n *graph.Node) map[string]any {
	return obj(obj(n.Object, "metadata"), "annotations")
}

func flagTrue(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case string:
		return strings.EqualFold(strings.TrimSpace(t), "true")
	}
	return false
}

func lowerAt(a map[string]any, k string) string {
	s, _ := a[k].(string)
	return strings.ToLower(strings.TrimSpace(s))
}

// InternalLB reports whether load balancer annotations ask the cloud
// provider for a private load balancer: AWS (in-tree and AWS Load Balancer
// Controller), GCP and Azure.
func InternalLB(a map[string]any) bool {
	switch {
	case flagTrue(a["service.beta.kubernetes.io/aws-load-balancer-internal"]):
		return true
	case lowerAt(a, "service.beta.kubernetes.io/aws-load-balancer-scheme") == "internal":
		return true
	case lowerAt(a, "networking.gke.io/load-balancer-type") == "internal":
		return true
	case lowerAt(a, "cloud.google.com/load-balancer-type") == "internal":
		return true
	case flagTrue(a["service.beta.kubernetes.io/azure-load-balancer-internal"]):
		return true
	}
	return false
}

// sourceRanges: spec.loadBalancerSourceRanges, or the older annotation
// when the field is not set.
func sourceRanges(n *graph.Node, spec map[string]any) []string {
	var out []string
	for _, s := range strs(spec, "loadBalancerSourceRanges") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	if len(out) > 0 {
		return out
	}
	v, _ := annotations(n)["service.beta.kubernetes.io/load-balancer-source-ranges"].(string)
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// openToWorld: a source range that admits every address (0.0.0.0/0, ::/0,
// or any prefix of length 0).
func openToWorld(ranges []string) bool {
	for _, r := range ranges {
		if p, err := netip.ParsePrefix(r); err == nil && p.Bits() == 0 {
			return true
		}
	}
	return false
}

func servicePorts(spec map[string]any) []string {
	var out []string
	for _, p := range list(spec, "ports") {
		proto := str(p, "protocol")
		if proto == "" {
			proto = "TCP"
		}
		if v, ok := num(p["port"]); ok {
			out = append(out, fmt.Sprintf("%d/%s", v, proto))
		}
	}
	return out
}

func l4Protocol(ports []string) string {
	protos := map[string]bool{}
	for _, p := range ports {
		if i := strings.IndexByte(p, '/'); i >= 0 {
			protos[p[i+1:]] = true
		}
	}
	if len(protos) == 0 {
		return "TCP"
	}
	keys := make([]string, 0, len(protos))
	for k := range protos {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, "+")
}

// serviceRoutes: LoadBalancer and NodePort Services to the workloads they
// select.
func (m *model) serviceRoutes() []Route {
	var out []Route
	for _, n := range m.byType["k8s:core/Service"] {
		spec := obj(n.Object, "spec")
		var r Route
		switch str(spec, "type") {
		case "LoadBalancer":
			r = Route{Kind: KindLoadBalancer, Entry: n.Key, Ports: servicePorts(spec)}
			ranges := sourceRanges(n, spec)
			r.SourceRanges = ranges
			switch {
			case InternalLB(annotations(n)):
				r.Scope = ScopeInternal
			case len(ranges) == 0 || openToWorld(ranges):
				r.Scope = ScopeInternet
			default:
				r.Scope = ScopeRestricted
			}
			r.Path = fmt.Sprintf("%s → LoadBalancer %s", scopeWord(r.Scope), label(n))
		case "NodePort":
			// The Service's ports: a live cluster's node ports are allocated
			// and left out of the object (collectors/kube normalises them).
			r = Route{Kind: KindNodePort, Scope: ScopeNode, Entry: n.Key, Ports: servicePorts(spec)}
			r.Path = fmt.Sprintf("node addresses → NodePort %s", label(n))
		default:
			continue
		}
		r.Protocol = l4Protocol(r.Ports)
		targets := m.selects[n.Key]
		if len(targets) == 0 {
			if r.Kind == KindLoadBalancer {
				out = append(out, r) // still a way in, to whatever it will select
			}
			continue
		}
		for _, w := range targets {
			wr := r
			wr.Workload = w
			wr.Path = r.Path + " → " + m.labelOf(w)
			out = append(out, wr)
		}
	}
	return out
}

func scopeWord(scope string) string {
	switch scope {
	case ScopeInternet:
		return "Internet"
	case ScopeRestricted:
		return "source ranges"
	case ScopeInternal:
		return "private network"
	}
	return "node addresses"
}

func (m *model) labelOf(key string) string {
	if n, ok := m.g.Node(key); ok {
		return label(n)
	}
	return key
}

// hostRoutes: containers with hostPort, pods with hostNetwork.
func (m *model) hostRoutes() []Route {
	var out []Route
	for _, n := range m.nodes {
		kind, _, _ := graph.K8sMeta(n)
		if !graph.WorkloadKinds[kind] {
			continue
		}
		_, spec, _ := graph.PodTemplate(n.Object)
		if spec == nil {
			continue
		}
		var hostPorts, listening []string
		for _, lst := range []string{"initContainers", "containers"} {
			for _, c := range list(spec, lst) {
				for _, p := range list(c, "ports") {
					proto := str(p, "protocol")
					if proto == "" {
						proto = "TCP"
					}
					if hp, ok := num(p["hostPort"]); ok && hp > 0 {
						hostPorts = append(hostPorts, fmt.Sprintf("%d/%s", hp, proto))
					}
					if cp, ok := num(p["containerPort"]); ok && cp > 0 {
						listening = append(listening, fmt.Sprintf("%d/%s", cp, proto))
					}
				}
			}
		}
		if v, _ := spec["hostNetwork"].(bool); v {
			r := Route{Kind: KindHostNetwork, Scope: ScopeNode, Entry: n.Key, Workload: n.Key, Ports: uniqSorted(listening)}
			r.Protocol = l4Protocol(r.Ports)
			ports := "ports not declared"
			if len(r.Ports) > 0 {
				ports = "ports " + strings.Join(r.Ports, ", ")
			}
			r.Path = fmt.Sprintf("node addresses (hostNetwork, %s) → %s", ports, label(n))
			out = append(out, r)
			continue // with hostNetwork, hostPort equals containerPort: one route
		}
		if len(hostPorts) > 0 {
			r := Route{Kind: KindHostPort, Scope: ScopeNode, Entry: n.Key, Workload: n.Key, Ports: uniqSorted(hostPorts)}
			r.Protocol = l4Protocol(r.Ports)
			r.Path = fmt.Sprintf("node addresses (hostPort %s) → %s", strings.Join(r.Ports, ", "), label(n))
			out = append(out, r)
		}
	}
	return out
}

func uniqSorted(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// service is the Service of that name, nil when it is not in the inputs.
func (m *model) service(cluster, ns, name string) *graph.Node {
	return m.lookup(cluster, ns, "k8s:core/Service", name)
}

// toWorkloads extends a route through a Service to each workload it
// selects (one route per workload; none when it selects nothing).
func (m *model) toWorkloads(r Route, svc *graph.Node) []Route {
	var out []Route
	for _, w := range m.selects[svc.Key] {
		wr := r
		wr.Via = append(append([]string(nil), r.Via...), svc.Key)
		wr.Workload = w
		wr.Path = fmt.Sprintf("%s → %s → %s", r.Path, label(svc), m.labelOf(w))
		out = append(out, wr)
	}
	return out
}
