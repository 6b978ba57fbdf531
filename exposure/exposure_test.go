package exposure_test

import (
	"strings"
	"testing"

	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/exposure"
	"github.com/kscan-io/kscan/graph"
)

// routesOf reads YAML documents through the manifest collector, links them
// as every scan does, and returns the routes.
func routesOf(t *testing.T, docs ...string) []exposure.Route {
	t.Helper()
	g := graph.New()
	manifest.ParseInto([]byte(strings.Join(docs, "\n---\n")), graph.Source{Kind: graph.SourceFile, File: "in.yaml"}, "", g)
	for _, e := range g.Errors() {
		t.Fatalf("input error: %v", e)
	}
	graph.LinkK8s(g, graph.LinkOptions{})
	return exposure.Compute(g)
}

const web = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: web:1, ports: [{containerPort: 8080}]}]`

const webSvc = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]`

func lb(annotations, extra string) string {
	return `apiVersion: v1
kind: Service
metadata:
  name: web-lb
  namespace: shop
  annotations: {` + annotations + `}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 443, targetPort: 8080}]
` + extra
}

// want is what a test checks of a route; empty fields are not checked.
type want struct {
	// workload "-" means no workload.
	kind, scope, workload, entry, protocol, path string
	tls, l7                                      *bool
}

var yes, no = true, false

func TestRoutes(t *testing.T) {
	gateway := func(spec string) string {
		return "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: public, namespace: infra}\nspec:\n" + spec
	}
	httpRoute := func(ns, parent, backend string) string {
		return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: ` + ns + `}
spec:
  parentRefs: [` + parent + `]
  hostnames: [shop.example.com]
  rules: [{backendRefs: [` + backend + `]}]`
	}
	listenersAll := `  gatewayClassName: example
  listeners:
    - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
    - name: https
      port: 443
      protocol: HTTPS
      tls: {certificateRefs: [{name: cert}]}
      allowedRoutes: {namespaces: {from: All}}`
	tests := []struct {
		name string
		docs []string
		want []want
	}{
		{"public load balancer", []string{web, lb("", "")}, []want{
			{kind: "loadbalancer", scope: "internet", workload: "shop/Deployment/web", protocol: "TCP",
				path: "Internet → LoadBalancer Service shop/web-lb → Deployment shop/web"}}},
		{"load balancer selecting nothing", []string{lb("", "")}, []want{{kind: "loadbalancer", scope: "internet", workload: "-"}}},
		{"source ranges", []string{web, lb("", "  loadBalancerSourceRanges: [203.0.113.0/24]")}, []want{{kind: "loadbalancer", scope: "restricted"}}},
		{"world source range", []string{web, lb("", "  loadBalancerSourceRanges: [10.0.0.0/8, '::/0']")}, []want{{kind: "loadbalancer", scope: "internet"}}},
		{"source ranges annotation", []string{web, lb(`service.beta.kubernetes.io/load-balancer-source-ranges: "203.0.113.0/24"`, "")}, []want{{kind: "loadbalancer", scope: "restricted"}}},
		{"aws internal", []string{web, lb(`service.beta.kubernetes.io/aws-load-balancer-internal: "true"`, "")}, []want{{scope: "internal"}}},
		{"aws scheme internal", []string{web, lb(`service.beta.kubernetes.io/aws-load-balancer-scheme: internal`, "")}, []want{{scope: "internal"}}},
		{"aws scheme internet-facing", []string{web, lb(`service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing`, "")}, []want{{scope: "internet"}}},
		{"gcp internal", []string{web, lb(`networking.gke.io/load-balancer-type: Internal`, "")}, []want{{scope: "internal"}}},
		{"gcp legacy internal", []string{web, lb(`cloud.google.com/load-balancer-type: Internal`, "")}, []want{{scope: "internal"}}},
		{"azure internal", []string{web, lb(`service.beta.kubernetes.io/azure-load-balancer-internal: "true"`, "")}, []want{{scope: "internal"}}},
		{"azure internal false", []string{web, lb(`service.beta.kubernetes.io/azure-load-balancer-internal: "false"`, "")}, []want{{scope: "internet"}}},
		{"node port", []string{web, "apiVersion: v1\nkind: Service\nmetadata: {name: np, namespace: shop}\nspec: {type: NodePort, selector: {app: web}, ports: [{port: 80, nodePort: 30080, protocol: UDP}]}"},
			[]want{{kind: "nodeport", scope: "node", protocol: "UDP", path: "node addresses → NodePort Service shop/np → Deployment shop/web"}}},
		{"cluster IP only", []string{web, webSvc}, nil},
		{"host port", []string{"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec: {containers: [{name: a, image: x, ports: [{containerPort: 53, hostPort: 53, protocol: UDP}]}]}"},
			[]want{{kind: "hostport", scope: "node", workload: "shop/Pod/p", path: "node addresses (hostPort 53/UDP) → Pod shop/p"}}},
		{"host network with ports", []string{"apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: kube-system}\nspec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {hostNetwork: true, containers: [{name: a, image: x, ports: [{containerPort: 9100, hostPort: 9100}]}]}}}"},
			[]want{{kind: "hostnetwork", scope: "node", path: "node addresses (hostNetwork, ports 9100/TCP) → DaemonSet kube-system/agent"}}},
		{"ingress with TLS", []string{web, webSvc, `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: nginx
  tls: [{hosts: [shop.example.com], secretName: cert}]
  rules: [{host: shop.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]`},
			[]want{{kind: "ingress", scope: "internet", tls: &yes, l7: &yes, protocol: "HTTPS",
				path: "Internet → Ingress shop/web (HTTPS, class nginx, hosts shop.example.com) → Service shop/web → Deployment shop/web"}}},
		{"ingress TLS for another host", []string{web, webSvc, `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  tls: [{hosts: [other.example.com]}]
  rules: [{host: shop.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]`},
			[]want{{kind: "ingress", tls: &no, protocol: "HTTP"}}},
		{"ingress wildcard TLS", []string{web, webSvc, `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  tls: [{hosts: ["*.example.com"]}]
  rules: [{host: shop.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]`},
			[]want{{kind: "ingress", tls: &yes}}},
		{"ingress AWS ALB default scheme is internal", []string{web, webSvc, `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: alb
  defaultBackend: {service: {name: web, port: {number: 80}}}`},
			[]want{{kind: "ingress", scope: "internal"}}},
		{"ingress AWS ALB internet-facing", []string{web, webSvc, `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop, annotations: {alb.ingress.kubernetes.io/scheme: internet-facing}}
spec:
  ingressClassName: alb
  defaultBackend: {service: {name: web, port: {number: 80}}}`},
			[]want{{kind: "ingress", scope: "internet"}}},
		{"ingress GKE internal", []string{web, webSvc, `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop, annotations: {kubernetes.io/ingress.class: gce-internal}}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}`},
			[]want{{kind: "ingress", scope: "internal"}}},
		{"ingress to a missing Service", []string{web, `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  defaultBackend: {service: {name: gone, port: {number: 80}}}`}, nil},
		{"gateway HTTP and HTTPS listeners", []string{web, webSvc, gateway(listenersAll), httpRoute("shop", "{name: public, namespace: infra}", "{name: web, port: 80}")},
			[]want{
				{kind: "gateway", scope: "internet", protocol: "HTTP", tls: &no, l7: &yes, entry: "infra/Gateway/public",
					path: "Internet → Gateway infra/public (listener http, 80/HTTP) → HTTPRoute shop/web → Service shop/web → Deployment shop/web"},
				{kind: "gateway", protocol: "HTTPS", tls: &yes, l7: &yes}}},
		{"gateway sectionName picks one listener", []string{web, webSvc, gateway(listenersAll), httpRoute("shop", "{name: public, namespace: infra, sectionName: https}", "{name: web, port: 80}")},
			[]want{{kind: "gateway", protocol: "HTTPS"}}},
		{"gateway listener admits only its namespace", []string{web, webSvc, gateway("  gatewayClassName: example\n  listeners: [{name: http, port: 80, protocol: HTTP}]"),
			httpRoute("shop", "{name: public, namespace: infra}", "{name: web, port: 80}")}, nil},
		{"gateway namespace selector", []string{web, webSvc, "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {expose: 'yes'}}",
			gateway("  gatewayClassName: example\n  listeners: [{name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {expose: 'yes'}}}}}]"),
			httpRoute("shop", "{name: public, namespace: infra}", "{name: web, port: 80}")},
			[]want{{kind: "gateway", protocol: "HTTP"}}},
		{"gateway namespace selector not matching", []string{web, webSvc, "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {expose: 'no'}}",
			gateway("  gatewayClassName: example\n  listeners: [{name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {expose: 'yes'}}}}}]"),
			httpRoute("shop", "{name: public, namespace: infra}", "{name: web, port: 80}")}, nil},
		{"gateway hostname mismatch", []string{web, webSvc,
			gateway("  gatewayClassName: example\n  listeners: [{name: http, port: 80, protocol: HTTP, hostname: api.example.org, allowedRoutes: {namespaces: {from: All}}}]"),
			httpRoute("shop", "{name: public, namespace: infra}", "{name: web, port: 80}")}, nil},
		{"gateway internal by infrastructure annotation", []string{web, webSvc,
			gateway("  gatewayClassName: example\n  infrastructure: {annotations: {service.beta.kubernetes.io/aws-load-balancer-scheme: internal}}\n  listeners: [{name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}]"),
			httpRoute("shop", "{name: public, namespace: infra}", "{name: web, port: 80}")},
			[]want{{kind: "gateway", scope: "internal"}}},
		{"gateway internal class", []string{web, webSvc,
			gateway("  gatewayClassName: gke-l7-rilb\n  listeners: [{name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}]"),
			httpRoute("shop", "{name: public, namespace: infra}", "{name: web, port: 80}")},
			[]want{{kind: "gateway", scope: "internal"}}},
		{"gateway cross-namespace backend without ReferenceGrant", []string{web, webSvc, gateway(listenersAll),
			httpRoute("infra", "{name: public}", "{name: web, namespace: shop, port: 80}")}, nil},
		{"gateway cross-namespace backend with ReferenceGrant", []string{web, webSvc, gateway(listenersAll),
			httpRoute("infra", "{name: public}", "{name: web, namespace: shop, port: 80}"),
			"apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: infra-routes, namespace: shop}\nspec:\n  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: infra}]\n  to: [{group: '', kind: Service}]"},
			[]want{{kind: "gateway", protocol: "HTTP"}, {kind: "gateway", protocol: "HTTPS"}}},
		{"gateway TCP listener", []string{web, webSvc,
			gateway("  gatewayClassName: example\n  listeners: [{name: db, port: 5432, protocol: TCP, allowedRoutes: {namespaces: {from: All}}}]"),
			"apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\nmetadata: {name: db, namespace: shop}\nspec: {parentRefs: [{name: public, namespace: infra}], rules: [{backendRefs: [{name: web, port: 80}]}]}"},
			[]want{{kind: "gateway", protocol: "TCP", tls: &no, l7: &no}}},
		{"gateway TLS passthrough", []string{web, webSvc,
			gateway("  gatewayClassName: example\n  listeners: [{name: tls, port: 443, protocol: TLS, tls: {mode: Passthrough}, allowedRoutes: {namespaces: {from: All}}}]"),
			"apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TLSRoute\nmetadata: {name: tls, namespace: shop}\nspec: {parentRefs: [{name: public, namespace: infra}], rules: [{backendRefs: [{name: web, port: 443}]}]}"},
			[]want{{kind: "gateway", protocol: "TLS passthrough", tls: &yes, l7: &no}}},
		{"gateway HTTPRoute does not attach to a TCP listener", []string{web, webSvc,
			gateway("  gatewayClassName: example\n  listeners: [{name: db, port: 5432, protocol: TCP, allowedRoutes: {namespaces: {from: All}}}]"),
			httpRoute("shop", "{name: public, namespace: infra}", "{name: web, port: 80}")}, nil},
		{"gateway GRPCRoute", []string{web, webSvc, gateway(listenersAll),
			"apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: rpc, namespace: shop}\nspec: {parentRefs: [{name: public, namespace: infra, sectionName: https}], rules: [{backendRefs: [{name: web, port: 80}]}]}"},
			[]want{{kind: "gateway", protocol: "HTTPS", tls: &yes}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := routesOf(t, tc.docs...)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d routes, want %d:\n%s", len(got), len(tc.want), describe(got))
			}
			for i, w := range tc.want {
				check(t, got[i], w)
			}
		})
	}
}

func check(t *testing.T, r exposure.Route, w want) {
	t.Helper()
	field := func(name, got, want string) {
		if want != "" && got != want {
			t.Errorf("%s = %q, want %q (route %s)", name, got, want, r.Path)
		}
	}
	field("kind", r.Kind, w.kind)
	field("scope", r.Scope, w.scope)
	field("entry", r.Entry, w.entry)
	field("protocol", r.Protocol, w.protocol)
	field("path", r.Path, w.path)
	if w.workload == "-" {
		field("workload", r.Workload, "")
	} else {
		field("workload", r.Workload, w.workload)
	}
	if w.tls != nil && r.TLS != *w.tls {
		t.Errorf("tls = %v, want %v (route %s)", r.TLS, *w.tls, r.Path)
	}
	if w.l7 != nil && r.L7 != *w.l7 {
		t.Errorf("l7 = %v, want %v (route %s)", r.L7, *w.l7, r.Path)
	}
}

func describe(rs []exposure.Route) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString("  " + r.Kind + " " + r.Scope + " " + r.Protocol + ": " + r.Path + "\n")
	}
	return b.String()
}

// Istio: Gateway (selecting the ingress gateway pods) + VirtualService.
func TestIstioRoutes(t *testing.T) {
	ingressGW := `apiVersion: apps/v1
kind: Deployment
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  template:
    metadata: {labels: {istio: ingressgateway}}
    spec: {containers: [{name: istio-proxy, image: istio/proxyv2:1.24.0}]}`
	ingressSvc := func(typ string) string {
		return "apiVersion: v1\nkind: Service\nmetadata: {name: istio-ingressgateway, namespace: istio-system}\nspec: {type: " + typ + ", selector: {istio: ingressgateway}, ports: [{port: 80}]}"
	}
	gw := `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: shop-gateway, namespace: shop}
spec:
  selector: {istio: ingressgateway}
  servers:
    - port: {number: 80, name: http, protocol: HTTP}
      hosts: ["*"]`
	vs := `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: shop}
spec:
  hosts: ["*"]
  gateways: [shop-gateway]
  http: [{route: [{destination: {host: web, port: {number: 80}}}]}]`
	tests := []struct {
		name string
		docs []string
		want []want
	}{
		{"front load balancer", []string{web, webSvc, ingressGW, ingressSvc("LoadBalancer"), gw, vs}, []want{
			{kind: "loadbalancer", workload: "istio-system/Deployment/istio-ingressgateway"},
			{kind: "istio-gateway", scope: "internet", protocol: "HTTP", tls: &no, l7: &yes, workload: "shop/Deployment/web",
				path: "Internet → LoadBalancer Service istio-system/istio-ingressgateway → Gateway shop/shop-gateway (server http, 80/HTTP) → VirtualService shop/web → Service shop/web → Deployment shop/web"}}},
		{"gateway pods only inside the cluster", []string{web, webSvc, ingressGW, ingressSvc("ClusterIP"), gw, vs}, []want{
			{kind: "istio-gateway", scope: "internal"}}},
		{"gateway pods not in the inputs", []string{web, webSvc, gw, vs}, []want{
			{kind: "istio-gateway", scope: "internet", path: "Internet → Gateway shop/shop-gateway (server http, 80/HTTP) → VirtualService shop/web → Service shop/web → Deployment shop/web"}}},
		{"full host name and namespaced gateway reference", []string{web, webSvc,
			strings.Replace(gw, "namespace: shop", "namespace: istio-system", 1),
			strings.NewReplacer("gateways: [shop-gateway]", "gateways: [istio-system/shop-gateway, mesh]", "host: web,", "host: web.shop.svc.cluster.local,").Replace(vs)},
			[]want{{kind: "istio-gateway", workload: "shop/Deployment/web"}}},
		{"mesh only", []string{web, webSvc, gw, strings.Replace(vs, "gateways: [shop-gateway]", "gateways: [mesh]", 1)}, nil},
		{"server hosts restricted to another namespace", []string{web, webSvc, strings.Replace(gw, `hosts: ["*"]`, `hosts: ["other/*"]`, 1), vs}, nil},
		{"HTTPS server", []string{web, webSvc, strings.Replace(gw, "{number: 80, name: http, protocol: HTTP}\n      hosts", "{number: 443, name: https, protocol: HTTPS}\n      tls: {mode: SIMPLE, credentialName: cert}\n      hosts", 1), vs},
			[]want{{kind: "istio-gateway", protocol: "HTTPS", tls: &yes, l7: &yes}}},
		{"HTTP server redirecting to HTTPS", []string{web, webSvc, strings.Replace(gw, `hosts: ["*"]`, "hosts: [\"*\"]\n      tls: {httpsRedirect: true}", 1), vs},
			[]want{{kind: "istio-gateway", protocol: "HTTP", tls: &yes}}},
		{"tcp route on a TCP server", []string{web, webSvc,
			strings.Replace(gw, "{number: 80, name: http, protocol: HTTP}", "{number: 31400, name: tcp, protocol: TCP}", 1),
			strings.Replace(vs, "http: [{route:", "tcp: [{route:", 1)},
			[]want{{kind: "istio-gateway", protocol: "TCP", l7: &no, tls: &no}}},
		{"http route not on a TCP server", []string{web, webSvc,
			strings.Replace(gw, "{number: 80, name: http, protocol: HTTP}", "{number: 31400, name: tcp, protocol: TCP}", 1), vs}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := routesOf(t, tc.docs...)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d routes, want %d:\n%s", len(got), len(tc.want), describe(got))
			}
			for i, w := range tc.want {
				check(t, got[i], w)
			}
		})
	}
}
