package incremental_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kscan-io/kscan/collectors/kube"
	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/incremental"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/query"
)

// synthCluster loads the synthetic cluster of hack/synth
// (KSCAN_BENCH_SIZE objects, 50,000 by default; KSCAN_BENCH_SYNTH names an
// existing output directory) into a NewStoreWatcher's stores, as a live
// watch's informers would hold it. Types a watch does not keep
// (ConfigMaps) are left out, as they are live.
func synthCluster(b *testing.B) (*kube.Watcher, []*unstructured.Unstructured) {
	b.Helper()
	dir := os.Getenv("KSCAN_BENCH_SYNTH")
	if dir == "" {
		n := 50000
		if s := os.Getenv("KSCAN_BENCH_SIZE"); s != "" {
			var err error
			if n, err = strconv.Atoi(s); err != nil {
				b.Fatal(err)
			}
		}
		dir = b.TempDir()
		cmd := exec.Command("go", "run", "../../hack/synth", "-n", strconv.Itoa(n), "-out", dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("hack/synth: %v\n%s", err, out)
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no synthetic cluster in %s (%v)", dir, err)
	}
	w := kube.NewStoreWatcher("", "v1.33.0", watchTypes)
	var deployments []*unstructured.Unstructured
	kept := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		dec := k8syaml.NewYAMLOrJSONDecoder(bytes.NewReader(src), 4096)
		for {
			var m map[string]any
			if err := dec.Decode(&m); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				b.Fatalf("%s: %v", f, err)
			}
			if m == nil {
				continue
			}
			o := &unstructured.Unstructured{Object: m}
			if _, err := w.Apply(o); err != nil {
				continue // not a watched type
			}
			kept++
			if o.GetKind() == "Deployment" {
				deployments = append(deployments, o)
			}
		}
	}
	// A real cluster also has the API server's own RBAC objects (about 70
	// ClusterRoles, 50 ClusterRoleBindings, kube-system's Roles) and Nodes:
	// cluster-scoped, they are in every partial graph.
	boot, _ := graph.BootstrapFor("v1.33.0")
	for _, m := range boot.Objects {
		if _, err := w.Apply(&unstructured.Unstructured{Object: runtime.DeepCopyJSON(m)}); err == nil {
			kept++
		}
	}
	for i := range 10 {
		node := map[string]any{"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": fmt.Sprintf("node-%d", i)},
			"status": map[string]any{"addresses": []any{map[string]any{"type": "InternalIP", "address": fmt.Sprintf("10.0.0.%d", i+1)}}}}
		if _, err := w.Apply(&unstructured.Unstructured{Object: node}); err != nil {
			b.Fatal(err)
		}
		kept++
	}
	b.Logf("%d objects from %d files, the API server's own RBAC objects and 10 Nodes in the stores, %d Deployments", kept, len(files), len(deployments))
	return w, deployments
}

// BenchmarkWatchUpdate: one --watch update on the synthetic cluster, end to
// end (graph from the stores, facts, evaluation, diff), after a
// Deployment's image changed: the full path (as before incremental
// evaluation: the whole graph) against the incremental one (the
// Deployment's namespace), for exposed-workloads and for the findings of
// every rule that declares custom.watch (all built-in ones but
// registry/mutable-tags: kscan scan --watch --skip-rules
// registry/mutable-tags). ms/update-median is the median of the iterations
// (the command's 100 ms debounce is not included). After the incremental
// updates the rows are checked against a full evaluation.
func BenchmarkWatchUpdate(b *testing.B) {
	ctx := context.Background()
	engine, err := policies.Load(ctx, policies.Options{})
	if err != nil {
		b.Fatal(err)
	}
	qe, err := query.Load(ctx, query.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var rules []policies.Rule
	for _, r := range engine.Rules() {
		if r.Watch.Declared() {
			rules = append(rules, r)
		}
	}
	w, deps := synthCluster(b)
	specs := []struct {
		name string
		spec func() incremental.Spec
	}{
		{"exposed-workloads", func() incremental.Spec {
			s, err := incremental.Query(qe, incremental.QueryOptions{Name: "exposed-workloads"})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"scan", func() incremental.Spec { return incremental.Scan(engine, rules, enrich.Options{}) }},
	}
	for _, s := range specs {
		ev := incremental.New(w, s.spec())
		if _, err := ev.Full(ctx, "first"); err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: %d rows", s.name, len(ev.Rows()))
		for _, mode := range []string{"full", "incremental"} {
			b.Run(s.name+"/"+mode, func(b *testing.B) {
				var times []time.Duration
				i := 0
				for b.Loop() {
					d := deps[(i*7919)%len(deps)].DeepCopy()
					i++
					c := d.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
					c["image"] = fmt.Sprintf("registry.example.com/bench/app:1.%d.0", i)
					start := time.Now()
					ch, err := w.Apply(d)
					if err != nil {
						b.Fatal(err)
					}
					var u *incremental.Update
					if mode == "full" {
						u, err = ev.Full(ctx, "bench")
					} else {
						u, err = ev.Apply(ctx, []kube.Change{ch})
					}
					if err != nil {
						b.Fatal(err)
					}
					times = append(times, time.Since(start))
					if mode == "incremental" && u.Full {
						b.Fatalf("full path: %s", u.Reason)
					}
				}
				// The rows kept are those of a full evaluation now.
				fresh := incremental.New(w, s.spec())
				if _, err := fresh.Full(ctx, "check"); err != nil {
					b.Fatal(err)
				}
				if !slices.Equal(incremental.Keys(ev.Rows()), incremental.Keys(fresh.Rows())) {
					b.Fatalf("%s after %d updates: rows differ from a full evaluation", mode, i)
				}
				slices.Sort(times)
				b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms/update-median")
				b.ReportMetric(float64(times[len(times)-1].Microseconds())/1000, "ms/update-max")
			})
		}
	}
}
