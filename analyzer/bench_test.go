package analyzer

import (
	"context"
	"fmt"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// cpuTime is the process's user+system CPU time: on a shared machine the
// wall time per operation says more about the other processes.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds cpu-ms/op (client, server and GC together).
func reportCPU(b *testing.B, start time.Duration, n int) {
	if n > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(n), "cpu-ms/op")
	}
}

// benchClient serves the default pack (every built-in rule) over real gRPC
// on loopback, as the Pulumi engine talks to it.
func benchClient(b *testing.B, skip ...string) pulumirpc.AnalyzerClient {
	b.Helper()
	s := New(context.Background(), &Pack{Name: "bench", Version: "1.0.0", Settings: Settings{SkipRules: skip}}, "1.0.0")
	if s.LoadError() != nil {
		b.Fatal(s.LoadError())
	}
	cancel := make(chan bool)
	h, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{Cancel: cancel, Init: func(g *grpc.Server) error {
		pulumirpc.RegisterAnalyzerServer(g, s)
		return nil
	}})
	if err != nil {
		b.Fatal(err)
	}
	conn, err := grpc.NewClient("127.0.0.1:"+strconv.Itoa(h.Port), grpc.WithTransportCredentials(insecure.NewCredentials()), rpcutil.GrpcChannelOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(); close(cancel) })
	return pulumirpc.NewAnalyzerClient(conn)
}

func benchDeployment(i int) resource.PropertyMap {
	name := fmt.Sprintf("app-%d", i)
	return resource.NewPropertyMapFromMap(map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": fmt.Sprintf("ns-%d", i%50), "labels": map[string]any{"app": name}},
		"spec": map[string]any{
			"replicas": 2,
			"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": name}},
				"spec": map[string]any{
					"serviceAccountName": name,
					"containers": []any{map[string]any{
						"name": "app", "image": fmt.Sprintf("registry.example.com/team/%s:1.%d", name, i%7),
						"ports":           []any{map[string]any{"containerPort": 8080}},
						"resources":       map[string]any{"limits": map[string]any{"memory": "256Mi"}, "requests": map[string]any{"cpu": "100m", "memory": "128Mi"}},
						"securityContext": map[string]any{"allowPrivilegeEscalation": i%3 != 0, "runAsNonRoot": true},
					}},
				},
			},
		},
	})
}

func benchService(i int) resource.PropertyMap {
	name := fmt.Sprintf("app-%d", i)
	typ := "ClusterIP"
	if i%10 == 0 {
		typ = "LoadBalancer"
	}
	return resource.NewPropertyMapFromMap(map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": name, "namespace": fmt.Sprintf("ns-%d", i%50)},
		"spec":     map[string]any{"type": typ, "selector": map[string]any{"app": name}, "ports": []any{map[string]any{"port": 80, "targetPort": 8080}}},
	})
}

func mustStruct(b *testing.B, m resource.PropertyMap) *pulumirpc.AnalyzerResource {
	s, err := plugin.MarshalProperties(m, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true})
	if err != nil {
		b.Fatal(err)
	}
	return &pulumirpc.AnalyzerResource{Properties: s}
}

// BenchmarkAnalyze is the latency one resource adds to a preview: one
// Analyze call for a Deployment, over gRPC, with every built-in rule.
func BenchmarkAnalyze(b *testing.B) {
	c := benchClient(b)
	r := mustStruct(b, benchDeployment(3))
	req := &pulumirpc.AnalyzeRequest{Urn: "urn:pulumi:dev::bench::kubernetes:apps/v1:Deployment::app-3", Type: "kubernetes:apps/v1:Deployment", Properties: r.Properties}
	ctx := context.Background()
	if resp, err := c.Analyze(ctx, req); err != nil || len(resp.Diagnostics) == 0 {
		b.Fatalf("Analyze: %v %v", resp, err)
	}
	n, start := 0, cpuTime()
	for b.Loop() {
		if _, err := c.Analyze(ctx, req); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportCPU(b, start, n)
}

// BenchmarkAnalyzeStack10k judges a stack of 10,000 resources (5,000
// Deployments and their Services, 50 namespaces) with every rule.
func BenchmarkAnalyzeStack10k(b *testing.B) { benchAnalyzeStack(b, 5000) }

// BenchmarkAnalyzeStack10kNoPath leaves out path/internet-to-cloud-admin,
// which dominates the full run (it follows every public entry point to
// every workload).
func BenchmarkAnalyzeStack10kNoPath(b *testing.B) { benchAnalyzeStack(b, 5000, "path/*") }

// BenchmarkAnalyzeStack1k is the same with 1,000 resources.
func BenchmarkAnalyzeStack1k(b *testing.B) { benchAnalyzeStack(b, 500) }

func benchAnalyzeStack(b *testing.B, apps int, skip ...string) {
	c := benchClient(b, skip...)
	req := &pulumirpc.AnalyzeStackRequest{}
	stack := "urn:pulumi:dev::bench::pulumi:pulumi:Stack::bench-dev"
	for i := 0; i < apps; i++ {
		d := mustStruct(b, benchDeployment(i))
		d.Urn, d.Type, d.Parent = fmt.Sprintf("urn:pulumi:dev::bench::kubernetes:apps/v1:Deployment::app-%d", i), "kubernetes:apps/v1:Deployment", stack
		s := mustStruct(b, benchService(i))
		s.Urn, s.Type, s.Parent = fmt.Sprintf("urn:pulumi:dev::bench::kubernetes:core/v1:Service::app-%d", i), "kubernetes:core/v1:Service", stack
		s.Dependencies = []string{d.Urn}
		req.Resources = append(req.Resources, d, s)
	}
	ctx := context.Background()
	resp, err := c.AnalyzeStack(ctx, req)
	if err != nil || len(resp.Diagnostics) == 0 {
		b.Fatalf("AnalyzeStack: %v", err)
	}
	b.ReportMetric(float64(len(resp.Diagnostics)), "diagnostics")
	n, start := 0, cpuTime()
	for b.Loop() {
		if _, err := c.AnalyzeStack(ctx, req); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportCPU(b, start, n)
}

// BenchmarkAnalyzeInProcess is BenchmarkAnalyze without gRPC.
func BenchmarkAnalyzeInProcess(b *testing.B) {
	s := New(context.Background(), &Pack{Name: "bench", Version: "1.0.0"}, "1.0.0")
	if s.LoadError() != nil {
		b.Fatal(s.LoadError())
	}
	r := mustStruct(b, benchDeployment(3))
	req := &pulumirpc.AnalyzeRequest{Urn: "urn:pulumi:dev::bench::kubernetes:apps/v1:Deployment::app-3", Type: "kubernetes:apps/v1:Deployment", Properties: r.Properties}
	ctx := context.Background()
	n, start := 0, cpuTime()
	for b.Loop() {
		if _, err := s.Analyze(ctx, req); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportCPU(b, start, n)
}
