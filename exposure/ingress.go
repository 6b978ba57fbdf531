package exposure

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kscan-io/kscan/graph"
)

// ingressScope: an Ingress is served by a controller whose load balancer
// faces the internet unless its annotations or class say otherwise. The AWS
// Load Balancer Controller's default scheme is internal; GKE's gce-internal
// class and Azure's Application Gateway private IP are internal too.
func ingressScope(n *graph.Node, class string) (scope, assumed string) {
	a := annotations(n)
	switch {
	case InternalLB(a):
		return ScopeInternal, ""
	case class == "gce-internal":
		return ScopeInternal, ""
	case flagTrue(a["appgw.ingress.kubernetes.io/use-private-ip"]):
		return ScopeInternal, ""
	case class == "alb" || hasPrefixKey(a, "alb.ingress.kubernetes.io/"):
		if lowerAt(a, "alb.ingress.kubernetes.io/scheme") == "internet-facing" {
			return ScopeInternet, ""
		}
		return ScopeInternal, ""
	}
	return ScopeInternet, ""
}

func hasPrefixKey(a map[string]any, prefix string) bool {
	for k := range a {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func ingressClass(n *graph.Node, spec map[string]any) string {
	if c := str(spec, "ingressClassName"); c != "" {
		return c
	}
	c, _ := annotations(n)["kubernetes.io/ingress.class"].(string)
	return c
}

// ingressRoutes: each Ingress to each Service it routes to, with the hosts
// and whether all of them are served with a certificate.
func (m *model) ingressRoutes() []Route {
	var out []Route
	for _, n := range m.byType["k8s:networking.k8s.io/Ingress"] {
		_, ns, _ := graph.K8sMeta(n)
		spec := obj(n.Object, "spec")
		class := ingressClass(n, spec)
		scope, assumed := ingressScope(n, class)
		tlsAll := false
		tlsHosts := map[string]bool{}
		for _, t := range list(spec, "tls") {
			hosts := strs(t, "hosts")
			if len(hosts) == 0 {
				tlsAll = true // the controller's default certificate for every host
			}
			for _, h := range hosts {
				tlsHosts[h] = true
			}
		}
		covered := func(host string) bool {
			if tlsAll {
				return true
			}
			for h := range tlsHosts {
				if hostMatch(h, host) {
					return true
				}
			}
			return false
		}
		type backend struct {
			hosts map[string]bool
			plain bool
		}
		backends := map[string]*backend{}
		var order []string
		add := func(b map[string]any, host string) {
			name := ""
			if s := obj(b, "service"); s != nil {
				name = str(s, "name")
			}
			if name == "" {
				name = str(b, "serviceName") // extensions/v1beta1
			}
			if name == "" {
				return
			}
			be := backends[name]
			if be == nil {
				be = &backend{hosts: map[string]bool{}}
				backends[name] = be
				order = append(order, name)
			}
			h := host
			if h == "" {
				h = "*"
			}
			be.hosts[h] = true
			if !covered(host) {
				be.plain = true
			}
		}
		for _, k := range []string{"defaultBackend", "backend"} {
			if b := obj(spec, k); b != nil {
				add(b, "")
			}
		}
		for _, rule := range list(spec, "rules") {
			host := str(rule, "host")
			for _, p := range list(obj(rule, "http"), "paths") {
				add(obj(p, "backend"), host)
			}
		}
		for _, name := range order {
			svc := m.service(n.Source.Cluster, ns, name)
			if svc == nil {
				continue
			}
			be := backends[name]
			hosts := make([]string, 0, len(be.hosts))
			for h := range be.hosts {
				hosts = append(hosts, h)
			}
			sort.Strings(hosts)
			r := Route{Kind: KindIngress, Scope: scope, Assumed: assumed, Entry: n.Key, Class: class,
				Hosts: hosts, TLS: !be.plain, L7: true, Protocol: "HTTP"}
			if r.TLS {
				r.Protocol = "HTTPS"
			}
			desc := []string{r.Protocol}
			if class != "" {
				desc = append(desc, "class "+class)
			}
			r.Path = fmt.Sprintf("%s → %s (%s, hosts %s)", scopeWord(scope), label(n), strings.Join(desc, ", "), strings.Join(hosts, ", "))
			out = append(out, m.toWorkloads(r, svc)...)
		}
	}
	return out
}

// hostMatch: pattern is a hostname or a "*.example.com" wildcard (one
// label); "*" or "" match everything.
func hostMatch(pattern, host string) bool {
	pattern, host = strings.ToLower(pattern), strings.ToLower(host)
	switch {
	case pattern == "" || pattern == "*" || host == "*" || pattern == host:
		return true
	case strings.HasPrefix(pattern, "*."):
		suffix := pattern[1:]
		if strings.HasPrefix(host, "*.") {
			return strings.HasSuffix(host[1:], suffix) || strings.HasSuffix(suffix, host[1:])
		}
		return strings.HasSuffix(host, suffix) && len(host) > len(suffix)
	case strings.HasPrefix(host, "*."):
		return hostMatch(host, pattern)
	}
	return false
}

// hostsIntersect: two hostname lists have a host in common; an empty list
// means any host.
func hostsIntersect(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	for _, x := range a {
		for _, y := range b {
			if hostMatch(x, y) {
				return true
			}
		}
	}
	return false
}
