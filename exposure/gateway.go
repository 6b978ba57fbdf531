package exposure

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/kscan-io/kscan/graph"
)

const gatewayGroup = "gateway.networking.k8s.io"

// Route kinds of the Gateway API and the listener protocols each attaches
// to when a listener does not list allowedRoutes.kinds.
var gatewayRouteKinds = []string{"HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"}

var defaultRouteKinds = map[string][]string{
	"HTTP":  {"HTTPRoute", "GRPCRoute"},
	"HTTPS": {"HTTPRoute", "GRPCRoute"},
	"TLS":   {"TLSRoute"},
	"TCP":   {"TCPRoute"},
	"UDP":   {"UDPRoute"},
}

// internalGatewayClasses are GatewayClasses whose load balancer has only
// private addresses (GKE's internal Application Load Balancers).
var internalGatewayClasses = map[string]bool{
	"gke-l7-rilb": true, "gke-l7-rilb-mc": true,
	"gke-l7-cross-regional-internal-managed": true, "gke-l7-cross-regional-internal-managed-mc": true,
}

// gatewayScope: a Gateway's listeners face the internet unless its class is
// an internal one, its infrastructure annotations (copied by
// implementations to the Service they create) ask for a private load
// balancer, or every address it requests is private.
func gatewayScope(n *graph.Node, spec map[string]any) string {
	if internalGatewayClasses[str(spec, "gatewayClassName")] {
		return ScopeInternal
	}
	if InternalLB(obj(obj(spec, "infrastructure"), "annotations")) || InternalLB(annotations(n)) {
		return ScopeInternal
	}
	addrs := list(spec, "addresses")
	if len(addrs) > 0 {
		private := true
		for _, a := range addrs {
			ip, err := netip.ParseAddr(str(a, "value"))
			if t := str(a, "type"); (t != "" && t != "IPAddress") || err != nil || !(ip.IsPrivate() || ip.IsLoopback()) {
				private = false
			}
		}
		if private {
			return ScopeInternal
		}
	}
	return ScopeInternet
}

type listener struct {
	name, protocol, hostname, tlsMode string
	port                              int64
	from                              string
	nsSelector                        any
	kinds                             []string
}

func listeners(spec map[string]any) []listener {
	var out []listener
	for _, l := range list(spec, "listeners") {
		li := listener{name: str(l, "name"), protocol: strings.ToUpper(str(l, "protocol")), hostname: str(l, "hostname")}
		li.port, _ = num(l["port"])
		li.tlsMode = str(obj(l, "tls"), "mode")
		ar := obj(l, "allowedRoutes")
		nss := obj(ar, "namespaces")
		li.from = str(nss, "from")
		if li.from == "" {
			li.from = "Same"
		}
		li.nsSelector = nss["selector"]
		for _, k := range list(ar, "kinds") {
			if g, ok := k["group"].(string); ok && g != gatewayGroup {
				continue
			}
			li.kinds = append(li.kinds, str(k, "kind"))
		}
		if len(li.kinds) == 0 {
			li.kinds = defaultRouteKinds[li.protocol]
		}
		out = append(out, li)
	}
	return out
}

func (l listener) accepts(kind string) bool {
	for _, k := range l.kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// admitsNamespace applies allowedRoutes.namespaces; a selector is matched
// against the Namespace's labels when the Namespace is among the inputs.
func (m *model) admitsNamespace(l listener, cluster, gwNS, routeNS string) (ok bool, assumed string) {
	switch l.from {
	case "All":
		return true, ""
	case "Same":
		return gwNS == routeNS, ""
	case "Selector":
		nsNode := m.lookup(cluster, "", "k8s:core/Namespace", routeNS)
		if nsNode == nil {
			return true, fmt.Sprintf("Namespace %s is not in the inputs; assumed to match the listener's selector", routeNS)
		}
		return graph.LabelSelector(l.nsSelector).Matches(graph.Labels(obj(nsNode.Object, "metadata"))), ""
	}
	return false, ""
}

// referenceGranted: a route in fromNS may send traffic to a Service in
// toNS (same namespace, or a ReferenceGrant in toNS allows it).
func (m *model) referenceGranted(cluster, fromNS, fromKind, toNS, toName string) bool {
	if fromNS == toNS {
		return true
	}
	for _, rg := range m.byType["k8s:"+gatewayGroup+"/ReferenceGrant"] {
		_, ns, _ := graph.K8sMeta(rg)
		if ns != toNS || rg.Source.Cluster != cluster {
			continue
		}
		spec := obj(rg.Object, "spec")
		fromOK := false
		for _, f := range list(spec, "from") {
			if str(f, "group") == gatewayGroup && str(f, "kind") == fromKind && str(f, "namespace") == fromNS {
				fromOK = true
			}
		}
		if !fromOK {
			continue
		}
		for _, t := range list(spec, "to") {
			if str(t, "group") == "" && str(t, "kind") == "Service" && (str(t, "name") == "" || str(t, "name") == toName) {
				return true
			}
		}
	}
	return false
}

// gatewayRoutes: Gateway listener → attached route → backend Service →
// workloads.
func (m *model) gatewayRoutes() []Route {
	var out []Route
	for _, kind := range gatewayRouteKinds {
		for _, rn := range m.byType["k8s:"+gatewayGroup+"/"+kind] {
			_, rns, _ := graph.K8sMeta(rn)
			cluster := rn.Source.Cluster
			rspec := obj(rn.Object, "spec")
			hostnames := strs(rspec, "hostnames")
			backends := routeBackends(rspec, rns)
			for _, pr := range list(rspec, "parentRefs") {
				if g, ok := pr["group"].(string); ok && g != gatewayGroup {
					continue
				}
				if k, ok := pr["kind"].(string); ok && k != "Gateway" {
					continue
				}
				gns := str(pr, "namespace")
				if gns == "" {
					gns = rns
				}
				gw := m.lookup(cluster, gns, "k8s:"+gatewayGroup+"/Gateway", str(pr, "name"))
				if gw == nil {
					continue
				}
				gspec := obj(gw.Object, "spec")
				scope := gatewayScope(gw, gspec)
				section := str(pr, "sectionName")
				port, hasPort := num(pr["port"])
				for _, l := range listeners(gspec) {
					if (section != "" && l.name != section) || (hasPort && l.port != port) || !l.accepts(kind) {
						continue
					}
					ok, assumed := m.admitsNamespace(l, cluster, gns, rns)
					if !ok || !hostsIntersect(nonEmpty(l.hostname), hostnames) {
						continue
					}
					r := Route{Kind: KindGateway, Scope: scope, Assumed: assumed, Entry: gw.Key, Via: []string{rn.Key},
						Class: str(gspec, "gatewayClassName"), Listener: l.name, Protocol: l.protocol,
						Ports: []string{fmt.Sprintf("%d/%s", l.port, l.protocol)}}
					r.TLS = l.protocol == "HTTPS" || l.protocol == "TLS"
					r.L7 = l.protocol == "HTTP" || l.protocol == "HTTPS"
					if l.protocol == "TLS" && !strings.EqualFold(l.tlsMode, "Terminate") {
						r.Protocol = "TLS passthrough"
					}
					r.Hosts = hostList(l.hostname, hostnames)
					r.Path = fmt.Sprintf("%s → %s (listener %s, %d/%s) → %s", scopeWord(scope), label(gw), l.name, l.port, r.Protocol, label(rn))
					for _, b := range backends {
						if !m.referenceGranted(cluster, rns, kind, b[0], b[1]) {
							continue
						}
						if svc := m.service(cluster, b[0], b[1]); svc != nil {
							out = append(out, m.toWorkloads(r, svc)...)
						}
					}
				}
			}
		}
	}
	return out
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func hostList(listenerHost string, routeHosts []string) []string {
	var out []string
	if len(routeHosts) > 0 {
		out = append(out, routeHosts...)
	} else if listenerHost != "" {
		out = append(out, listenerHost)
	} else {
		out = append(out, "*")
	}
	sort.Strings(out)
	return out
}

// routeBackends: [namespace, name] of each Service backend of a route's
// rules, in order, without repeats.
func routeBackends(spec map[string]any, ns string) [][2]string {
	var out [][2]string
	seen := map[[2]string]bool{}
	for _, rule := range list(spec, "rules") {
		for _, b := range list(rule, "backendRefs") {
			if g, _ := b["group"].(string); g != "" && g != "core" {
				continue
			}
			if k, ok := b["kind"].(string); ok && k != "Service" {
				continue
			}
			bns := str(b, "namespace")
			if bns == "" {
				bns = ns
			}
			k := [2]string{bns, str(b, "name")}
			if k[1] == "" || seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}
