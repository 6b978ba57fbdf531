package exposure_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kscan-io/kscan/collectors/kube"
	"github.com/kscan-io/kscan/collectors/kube/kubetest"
	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/exposure"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopAll()
	os.Exit(code)
}

const testdata = "../testdata/exposure"

var inputs = []string{
	filepath.Join(testdata, "scenarios.yaml"),
	filepath.Join(testdata, "istio-bookinfo", "bookinfo.yaml"),
	filepath.Join(testdata, "istio-bookinfo", "bookinfo-gateway.yaml"),
	filepath.Join(testdata, "istio-bookinfo", "bookinfo-gateway-api.yaml"),
}

// describeRoutes renders routes by public identity, without node keys or
// sources, so that a live scan and a file scan can be compared.
func describeRoutes(g *graph.Graph, rs []exposure.Route) []string {
	id := func(key string) string {
		if n, ok := g.Node(key); ok {
			return n.ID
		}
		return key
	}
	var out []string
	for _, r := range rs {
		var via []string
		for _, v := range r.Via {
			via = append(via, id(v))
		}
		out = append(out, fmt.Sprintf("%s %s %s %s tls=%v l7=%v ports=%s hosts=%s via=%s assumed=%q: %s",
			r.Kind, r.Scope, id(r.Entry), id(r.Workload), r.TLS, r.L7, strings.Join(r.Ports, ","), strings.Join(r.Hosts, ","),
			strings.Join(via, ","), r.Assumed, r.Path))
	}
	sort.Strings(out)
	return out
}

func fileRoutes(t *testing.T) []string {
	t.Helper()
	g := graph.New()
	for _, p := range inputs {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		manifest.ParseInto(data, graph.Source{Kind: graph.SourceFile, File: p}, "", g)
	}
	for _, e := range g.Errors() {
		t.Errorf("input error: %v", e)
	}
	graph.LinkK8s(g, graph.LinkOptions{})
	return describeRoutes(g, exposure.Compute(g))
}

// The exposure objects, with the Gateway API and Istio CRDs installed, are
// accepted by a real API server; scanning the cluster and scanning the
// files give the same routes, and those are the routes expected.
func TestLiveAndFilesAgree(t *testing.T) {
	srv := testenv.APIServerFor(t)
	kubetest.ApplyFiles(t, srv.Config, filepath.Join(testdata, "crds", "gateway-api.yaml"), filepath.Join(testdata, "crds", "istio.yaml"))
	kubetest.ApplyFiles(t, srv.Config, inputs...)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	g := graph.New()
	if err := kube.Collect(ctx, kube.Options{Clusters: []kube.Cluster{{Name: "testenv", Config: srv.Config}}}, g); err != nil {
		t.Fatal(err)
	}
	for _, e := range g.Errors() {
		if e.Level == graph.LevelError {
			t.Errorf("collecting: %v", e)
		}
	}
	graph.LinkK8s(g, graph.LinkOptions{})
	live := describeRoutes(g, exposure.Compute(g))
	files := fileRoutes(t)
	if strings.Join(live, "\n") != strings.Join(files, "\n") {
		t.Errorf("live and file routes differ\nlive:\n  %s\nfiles:\n  %s", strings.Join(live, "\n  "), strings.Join(files, "\n  "))
	}
	checkExpected(t, live)
}

// TestFileRoutes checks the expected routes without an API server.
func TestFileRoutes(t *testing.T) {
	checkExpected(t, fileRoutes(t))
}

// checkExpected: every route a careful reader of the inputs finds, and no
// other.
func checkExpected(t *testing.T, got []string) {
	t.Helper()
	want := []string{
		// load balancers
		"Internet → LoadBalancer Service exposure/web-public → Deployment exposure/web",
		"source ranges → LoadBalancer Service exposure/web-office → Deployment exposure/web",
		"private network → LoadBalancer Service exposure/web-internal → Deployment exposure/web",
		"Internet → LoadBalancer Service istio-system/istio-ingressgateway → Deployment istio-system/istio-ingressgateway",
		// node ports, host ports, host network
		"node addresses → NodePort Service exposure/web-nodeport → Deployment exposure/web",
		"node addresses (hostNetwork, ports 9100/TCP) → DaemonSet exposure/node-agent",
		"node addresses (hostPort 53/UDP) → DaemonSet exposure/dns-cache",
		// Ingress
		"Internet → Ingress exposure/web-tls (HTTPS, class nginx, hosts shop.example.com) → Service exposure/web → Deployment exposure/web",
		"Internet → Ingress exposure/web-plain (HTTP, class nginx, hosts plain.example.com) → Service exposure/web → Deployment exposure/web",
		// Gateway API: the HTTPRoute attaches to http (namespace selector
		// matches) and https (hostname within *.example.com) of the public
		// Gateway and to the private one; the GRPCRoute only to https; the
		// TCPRoute to postgres; the TLSRoute, through its ReferenceGrant, to
		// tls; no-grant has no ReferenceGrant.
		"Internet → Gateway edge/public (listener http, 80/HTTP) → HTTPRoute exposure/web → Service exposure/web → Deployment exposure/web",
		"Internet → Gateway edge/public (listener https, 443/HTTPS) → HTTPRoute exposure/web → Service exposure/web → Deployment exposure/web",
		"private network → Gateway edge/private (listener http, 80/HTTP) → HTTPRoute exposure/web → Service exposure/web → Deployment exposure/web",
		"Internet → Gateway edge/public (listener https, 443/HTTPS) → GRPCRoute exposure/rpc → Service exposure/web → Deployment exposure/web",
		"Internet → Gateway edge/public (listener postgres, 5432/TCP) → TCPRoute exposure/db → Service exposure/web → Deployment exposure/web",
		"Internet → Gateway edge/public (listener tls, 8443/TLS passthrough) → TLSRoute edge/secure → Service exposure/web → Deployment exposure/web",
		// Istio behind its ingress gateway's load balancer
		"Internet → LoadBalancer Service istio-system/istio-ingressgateway → Gateway exposure/shop (server http, 80/HTTP) → VirtualService exposure/web → Service exposure/web → Deployment exposure/web",
		"Internet → LoadBalancer Service istio-system/istio-ingressgateway → Gateway exposure/shop (server https, 443/HTTPS) → VirtualService exposure/web → Service exposure/web → Deployment exposure/web",
		// Bookinfo: its Istio Gateway selects ingress gateway pods of the
		// Istio install, here istio-system's; its Gateway API Gateway
		// admits the HTTPRoute of its own namespace.
		"Internet → LoadBalancer Service istio-system/istio-ingressgateway → Gateway default/bookinfo-gateway (server http, 8080/HTTP) → VirtualService default/bookinfo → Service default/productpage → Deployment default/productpage-v1",
		"Internet → Gateway default/bookinfo-gateway (listener http, 80/HTTP) → HTTPRoute default/bookinfo → Service default/productpage → Deployment default/productpage-v1",
	}
	var paths []string
	for _, g := range got {
		paths = append(paths, g[strings.Index(g, ": ")+2:])
	}
	sort.Strings(paths)
	sort.Strings(want)
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Errorf("routes:\n  %s\nwant:\n  %s", strings.Join(paths, "\n  "), strings.Join(want, "\n  "))
	}
	for _, g := range got {
		if strings.Contains(g, "HTTPRoute exposure/web") && strings.Contains(g, "listener http,") && !strings.Contains(g, "tls=false l7=true") {
			t.Errorf("plain HTTP listener route: %s", g)
		}
		if strings.Contains(g, "TCPRoute") && !strings.Contains(g, "tls=false l7=false") {
			t.Errorf("TCP route: %s", g)
		}
		if strings.Contains(g, "server http,") && strings.Contains(g, "exposure/shop") && !strings.Contains(g, "tls=true") {
			t.Errorf("HTTP server redirecting to HTTPS: %s", g)
		}
	}
}
