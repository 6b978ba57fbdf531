package exposure

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kscan-io/kscan/graph"
)

const istioGroup = "networking.istio.io"

// scopeRank orders scopes from the widest audience.
var scopeRank = map[string]int{ScopeInternet: 3, ScopeRestricted: 2, ScopeInternal: 1, ScopeNode: 0}

type server struct {
	name, protocol, tlsMode string
	port                    int64
	hosts                   []string
	redirect                bool
}

func servers(spec map[string]any) []server {
	var out []server
	for _, s := range list(spec, "servers") {
		p := obj(s, "port")
		sv := server{name: str(p, "name"), protocol: strings.ToUpper(str(p, "protocol")), hosts: strs(s, "hosts")}
		if sv.name == "" {
			sv.name = str(s, "name")
		}
		sv.port, _ = num(p["number"])
		tls := obj(s, "tls")
		sv.tlsMode = strings.ToUpper(str(tls, "mode"))
		sv.redirect, _ = tls["httpsRedirect"].(bool)
		out = append(out, sv)
	}
	return out
}

func (s server) passthrough() bool {
	return s.tlsMode == "PASSTHROUGH" || s.tlsMode == "AUTO_PASSTHROUGH"
}

// carries reports whether a VirtualService section (http, tls, tcp) is
// served by the server, by Istio's rules: http routes on HTTP-family
// servers and on HTTPS servers that terminate TLS; tls routes on
// passthrough TLS/HTTPS servers; tcp routes on TCP and terminated TLS.
func (s server) carries(section string) bool {
	switch section {
	case "http":
		switch s.protocol {
		case "HTTP", "HTTP2", "GRPC", "GRPC-WEB":
			return true
		case "HTTPS":
			return !s.passthrough()
		}
	case "tls":
		return (s.protocol == "TLS" || s.protocol == "HTTPS") && s.passthrough()
	case "tcp":
		return s.protocol == "TCP" || s.protocol == "MONGO" || (s.protocol == "TLS" && !s.passthrough())
	}
	return false
}

// serverAdmits: the server's hosts ("host" or "namespace/host") admit a
// VirtualService in vsNS with hosts vsHosts.
func (s server) admits(vsNS string, vsHosts []string) bool {
	for _, h := range s.hosts {
		ns, host := "*", h
		if i := strings.IndexByte(h, '/'); i >= 0 {
			ns, host = h[:i], h[i+1:]
		}
		if ns != "*" && ns != "." && ns != vsNS {
			continue
		}
		if hostsIntersect([]string{host}, vsHosts) {
			return true
		}
	}
	return false
}

// istioFront is how clients reach the pods an Istio Gateway configures:
// the widest scope among those pods' own routes (typically the
// istio-ingressgateway LoadBalancer Service).
func (m *model) istioFront(gw *graph.Node, direct map[string][]Route) (scope string, front *Route, assumed string) {
	sel, _ := obj(gw.Object, "spec")["selector"].(map[string]any)
	s := graph.MapSelector(sel)
	var found []string
	for _, n := range m.nodes {
		kind, _, _ := graph.K8sMeta(n)
		if !graph.WorkloadKinds[kind] || n.Source.Cluster != gw.Source.Cluster {
			continue
		}
		meta, spec, _ := graph.PodTemplate(n.Object)
		if spec == nil || !s.Matches(graph.Labels(meta)) {
			continue
		}
		found = append(found, n.Key)
		for i, r := range direct[n.Key] {
			if front == nil || scopeRank[r.Scope] > scopeRank[front.Scope] {
				front = &direct[n.Key][i]
			}
		}
	}
	switch {
	case front != nil:
		return front.Scope, front, ""
	case len(found) > 0:
		return ScopeInternal, nil, ""
	}
	return ScopeInternet, nil, fmt.Sprintf("the gateway pods (selector %s) are not in the inputs; assumed internet-facing", selectorText(sel))
}

func selectorText(sel map[string]any) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(sel)) {
		parts = append(parts, fmt.Sprintf("%s=%v", k, sel[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

// istioRoutes: Istio Gateway server → VirtualService bound to it →
// destination Service → workloads.
func (m *model) istioRoutes() []Route {
	gws := m.byType["k8s:"+istioGroup+"/Gateway"]
	vss := m.byType["k8s:"+istioGroup+"/VirtualService"]
	if len(gws) == 0 || len(vss) == 0 {
		return nil
	}
	// The gateway pods' own ways in, computed without Istio.
	direct := map[string][]Route{}
	for _, r := range append(m.serviceRoutes(), m.hostRoutes()...) {
		if r.Workload != "" {
			direct[r.Workload] = append(direct[r.Workload], r)
		}
	}
	var out []Route
	for _, vs := range vss {
		_, vns, _ := graph.K8sMeta(vs)
		cluster := vs.Source.Cluster
		spec := obj(vs.Object, "spec")
		hosts := strs(spec, "hosts")
		for _, gref := range strs(spec, "gateways") {
			if gref == "mesh" {
				continue
			}
			gns, gname := vns, gref
			if i := strings.IndexByte(gref, '/'); i >= 0 {
				gns, gname = gref[:i], gref[i+1:]
			}
			gw := m.lookup(cluster, gns, "k8s:"+istioGroup+"/Gateway", gname)
			if gw == nil {
				continue
			}
			scope, front, assumed := m.istioFront(gw, direct)
			for _, sv := range servers(obj(gw.Object, "spec")) {
				if !sv.admits(vns, hosts) {
					continue
				}
				for _, section := range []string{"http", "tls", "tcp"} {
					if !sv.carries(section) {
						continue
					}
					for _, dest := range destinations(spec, section, vns) {
						svc := m.service(cluster, dest[0], dest[1])
						if svc == nil {
							continue
						}
						r := Route{Kind: KindIstioGateway, Scope: scope, Assumed: assumed, Entry: gw.Key,
							Listener: sv.name, Protocol: sv.protocol, Hosts: hosts,
							Ports: []string{fmt.Sprintf("%d/%s", sv.port, sv.protocol)}}
						r.TLS = sv.protocol == "HTTPS" || sv.protocol == "TLS" || (sv.redirect && section == "http")
						r.L7 = section == "http"
						start := scopeWord(scope)
						if front != nil {
							r.Via = append(r.Via, front.Entry)
							r.Class = front.Kind
							start = strings.TrimSuffix(front.Path, " → "+m.labelOf(front.Workload))
						}
						r.Via = append(r.Via, vs.Key)
						r.Path = fmt.Sprintf("%s → %s (server %s, %d/%s) → %s", start, label(gw), sv.name, sv.port, sv.protocol, label(vs))
						out = append(out, m.toWorkloads(r, svc)...)
					}
				}
			}
		}
	}
	return out
}

// destinations: [namespace, name] of the Services a VirtualService section
// sends traffic to. A short host is in the VirtualService's namespace;
// "name.ns" and "name.ns.svc.cluster.local" name the namespace; other hosts
// (ServiceEntries, external names) are not Services.
func destinations(spec map[string]any, section, ns string) [][2]string {
	var out [][2]string
	seen := map[[2]string]bool{}
	for _, r := range list(spec, section) {
		for _, d := range list(r, "route") {
			host := str(obj(d, "destination"), "host")
			if host == "" {
				continue
			}
			host = strings.TrimSuffix(strings.TrimSuffix(host, "."), ".cluster.local")
			host = strings.TrimSuffix(host, ".svc")
			parts := strings.Split(host, ".")
			var k [2]string
			switch len(parts) {
			case 1:
				k = [2]string{ns, parts[0]}
			case 2:
				k = [2]string{parts[1], parts[0]}
			default:
				continue
			}
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}
