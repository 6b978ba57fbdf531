package kube_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/kscan-io/kscan/collectors/kube"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/testenv"
)

// The live benchmark (hack/bench.d/live.sh): a cluster of ~20,000 objects,
// kscan's collection against the baseline of listing the same resources as
// `kubectl get <types> -A -o json` does — one type after another, GET
// ?limit=500 pages of JSON, each page decoded. There is no kubectl on the
// test machines, so the baseline is that request sequence made directly.

var benchTypes = []string{
	"/api/v1/namespaces", "/api/v1/nodes", "/api/v1/pods", "/api/v1/services", "/api/v1/serviceaccounts",
	"/api/v1/replicationcontrollers", "/api/v1/secrets",
	"/apis/apps/v1/deployments", "/apis/apps/v1/statefulsets", "/apis/apps/v1/daemonsets", "/apis/apps/v1/replicasets",
	"/apis/batch/v1/jobs", "/apis/batch/v1/cronjobs",
	"/apis/networking.k8s.io/v1/ingresses", "/apis/networking.k8s.io/v1/networkpolicies",
	"/apis/rbac.authorization.k8s.io/v1/roles", "/apis/rbac.authorization.k8s.io/v1/rolebindings",
	"/apis/rbac.authorization.k8s.io/v1/clusterroles", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
}

var benchOnce sync.Once

// populate creates n objects across 50 namespaces: Pods, Deployments,
// Services, ServiceAccounts, RoleBindings, Secrets and NetworkPolicies.
func populate(b *testing.B, cfg *rest.Config, n int) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 2000, 4000
	cs := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	const namespaces = 50
	for i := 0; i < namespaces; i++ {
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench-" + strconv.Itoa(i)}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			b.Fatal(err)
		}
	}
	podSpec := corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "ghcr.io/acme/app:1.0",
		Ports:     []corev1.ContainerPort{{ContainerPort: 8080}},
		Resources: corev1.ResourceRequirements{}, Env: []corev1.EnvVar{{Name: "MODE", Value: "bench"}}}}}
	labels := map[string]string{"app": "bench"}
	jobs := make(chan int)
	var created atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				ns := "bench-" + strconv.Itoa(i%namespaces)
				name := "o" + strconv.Itoa(i)
				meta := metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}
				var err error
				switch i % 10 {
				case 0, 1, 2:
					_, err = cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: meta, Spec: podSpec}, metav1.CreateOptions{})
				case 3, 4:
					_, err = cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(2)),
						Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: podSpec}}}, metav1.CreateOptions{})
				case 5:
					// Headless: the test API server has a /24 service range.
					_, err = cs.CoreV1().Services(ns).Create(ctx, &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: labels, Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{})
				case 6:
					_, err = cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: meta}, metav1.CreateOptions{})
				case 7:
					_, err = cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: meta, RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "view"},
						Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: ns}}}, metav1.CreateOptions{})
				case 8:
					_, err = cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: meta, StringData: map[string]string{"k": name}}, metav1.CreateOptions{})
				case 9:
					_, err = cs.NetworkingV1().NetworkPolicies(ns).Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: meta, Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: labels}}}, metav1.CreateOptions{})
				}
				if err != nil && !apierrors.IsAlreadyExists(err) {
					firstErr.CompareAndSwap(nil, err)
				}
				created.Add(1)
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		b.Fatal(err)
	}
}

// rawList is the baseline: what kubectl get -A -o json requests, type by
// type, each page decoded as JSON.
func rawList(cfg *rest.Config) (int, error) {
	rt, err := rest.TransportFor(cfg)
	if err != nil {
		return 0, err
	}
	client := &http.Client{Transport: rt, Timeout: time.Minute}
	total := 0
	for _, p := range benchTypes {
		cont := ""
		for {
			url := cfg.Host + p + "?limit=500"
			if cont != "" {
				url += "&continue=" + cont
			}
			resp, err := client.Get(url)
			if err != nil {
				return 0, err
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return 0, err
			}
			if resp.StatusCode != 200 {
				return 0, fmt.Errorf("%s: %s", p, resp.Status)
			}
			var l struct {
				Metadata struct {
					Continue string `json:"continue"`
				} `json:"metadata"`
				Items []map[string]any `json:"items"`
			}
			if err := json.Unmarshal(body, &l); err != nil {
				return 0, err
			}
			total += len(l.Items)
			if l.Metadata.Continue == "" {
				break
			}
			cont = l.Metadata.Continue
		}
	}
	return total, nil
}

func benchObjects() int {
	if s := os.Getenv("KSCAN_BENCH_OBJECTS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			return n
		}
	}
	return 20000
}

// BenchmarkLive reports, per sub-benchmark, the time of one full pass and
// the objects it read; the API server's startup time is reported too.
func BenchmarkLive(b *testing.B) {
	srv := testenv.APIServerFor(b)
	cfg := rest.CopyConfig(srv.Config)
	cfg.QPS, cfg.Burst = kube.DefaultQPS, kube.DefaultBurst
	benchOnce.Do(func() {
		start := time.Now()
		populate(b, srv.Config, benchObjects())
		b.Logf("created %d objects in %s; API server started in %s", benchObjects(), time.Since(start).Round(time.Millisecond), srv.StartupTime.Round(time.Millisecond))
	})
	b.Run("raw-list", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			n, err := rawList(cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(n), "objects")
		}
		b.ReportMetric(srv.StartupTime.Seconds(), "apiserver-startup-s")
	})
	for _, c := range []struct {
		name        string
		concurrency int
	}{{"kscan-collect", 0}, {"kscan-collect-sequential", 1}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				g := graph.New()
				if err := kube.Collect(context.Background(), kube.Options{Clusters: []kube.Cluster{{Name: "bench", Config: cfg}}, Concurrency: c.concurrency}, g); err != nil {
					b.Fatal(err)
				}
				if g.Incomplete() {
					b.Fatal(g.Errors())
				}
				b.ReportMetric(float64(g.Len()), "objects")
			}
		})
	}
	b.Run("kscan-scan", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			res := scanLive(b, kube.Options{Clusters: []kube.Cluster{{Name: "bench", Config: cfg}}})
			b.ReportMetric(float64(len(res.Report.Findings)), "findings")
		}
	})
	b.Run("kubectl-vs-kscan", func(b *testing.B) { benchBinaries(b, srv) })
	if hold := os.Getenv("KSCAN_BENCH_HOLD"); hold != "" {
		// For profiling by hand: the populated server's kubeconfig is
		// written to the file, and the server lives until it is removed.
		if err := os.WriteFile(hold, []byte(srv.Kubeconfig+"\n"), 0o600); err != nil {
			b.Fatal(err)
		}
		b.Logf("holding the API server until %s is removed (kubeconfig %s)", hold, srv.Kubeconfig)
		for {
			if _, err := os.Stat(hold); err != nil {
				break
			}
			time.Sleep(time.Second)
		}
	}
}

// kubectlTypes are benchTypes as kubectl names them.
const kubectlTypes = "namespaces,nodes,pods,services,serviceaccounts,replicationcontrollers,secrets," +
	"deployments.apps,statefulsets.apps,daemonsets.apps,replicasets.apps,jobs.batch,cronjobs.batch," +
	"ingresses.networking.k8s.io,networkpolicies.networking.k8s.io," +
	"roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io," +
	"clusterroles.rbac.authorization.k8s.io,clusterrolebindings.rbac.authorization.k8s.io"

// pass is one timed run of a client binary.
type pass struct {
	wall, cpu, server time.Duration // server: etcd + kube-apiserver CPU meanwhile
}

// benchBinaries times the real kubectl (hack/testbin.sh kubectl) against
// the kscan binary ($KSCAN_BENCH_BIN, which make bench builds), as a user
// runs them, pass for pass in alternating order, each writing its JSON to
// /dev/null:
//
//	kubectl get <kubectlTypes> -A -o json --cache-dir <fresh>
//	kscan scan --kubeconfig … --fail-on none --format json --output /dev/null
//
// Both discover the API (kubectl's discovery cache starts empty each pass,
// as kscan keeps none) and page through every type 500 objects at a time.
// kubectl reads Secrets whole, values included; kscan reads them through the
// metadata API (the 2,000 Secrets here hold one short value each). kscan
// also evaluates every rule and writes a report of its findings. Reported:
// medians of wall time, client CPU (user+system of the process) and the API
// server's CPU (etcd + kube-apiserver) during the pass, which includes what
// the server spends idle (reported per second of a quiet pause first).
func benchBinaries(b *testing.B, srv *testenv.APIServer) {
	kubectl := filepath.Join(testenv.BinDir(), "kubectl")
	if _, err := os.Stat(kubectl); err != nil {
		b.Skipf("kubectl not built (hack/testbin.sh kubectl): %v", err)
	}
	kscan := os.Getenv("KSCAN_BENCH_BIN")
	if kscan == "" {
		b.Skip("KSCAN_BENCH_BIN (the kscan binary to time) not set")
	}
	dir := b.TempDir()
	kubectlCmd := func() *exec.Cmd {
		cache, err := os.MkdirTemp(dir, "kubectl-cache-")
		if err != nil {
			b.Fatal(err)
		}
		return exec.Command(kubectl, "--kubeconfig", srv.Kubeconfig, "--cache-dir", cache, "get", kubectlTypes, "-A", "-o", "json")
	}
	kscanCmd := func(out string) *exec.Cmd {
		cmd := exec.Command(kscan, "scan", "--kubeconfig", srv.Kubeconfig, "--fail-on", "none", "--format", "json", "--output", out)
		if os.Getenv("KSCAN_BENCH_TIMINGS") != "" {
			// kscan's phases, logged per pass (not KSCAN_DEBUG_TIMINGS
			// for the whole benchmark: the in-process scan would print
			// them into the benchmark's result lines).
			cmd.Env = append(os.Environ(), "KSCAN_DEBUG_TIMINGS=1")
		}
		return cmd
	}
	// One checked pass each first (also the warm-up): kubectl's list holds
	// every object, kscan's report counts them all.
	want, err := rawList(srv.Config)
	if err != nil {
		b.Fatal(err)
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	kout := filepath.Join(dir, "kubectl.json")
	if _, err := runPass(b, kubectlCmd(), kout, srv); err != nil {
		b.Fatal(err)
	}
	if raw, err := os.ReadFile(kout); err != nil || json.Unmarshal(raw, &list) != nil || len(list.Items) != want {
		b.Fatalf("kubectl listed %d objects, want %d (%v)", len(list.Items), want, err)
	}
	sout := os.Getenv("KSCAN_BENCH_REPORT") // kept for byte comparisons
	if sout == "" {
		sout = filepath.Join(dir, "kscan.json")
	}
	if _, err := runPass(b, kscanCmd(sout), sout, srv); err != nil {
		b.Fatal(err)
	}
	var rep struct {
		Summary struct {
			Resources int `json:"resources"`
		} `json:"summary"`
	}
	if raw, err := os.ReadFile(sout); err != nil || json.Unmarshal(raw, &rep) != nil || rep.Summary.Resources != want {
		b.Fatalf("kscan's report counts %d resources, want %d (%v)", rep.Summary.Resources, want, err)
	}
	os.Remove(kout)
	// What the API server spends when no client asks anything (etcd and
	// the API server's own loops): part of the server CPU of every pass.
	idle0 := serverCPU(srv)
	time.Sleep(3 * time.Second)
	idle := (serverCPU(srv) - idle0) / 3
	b.ResetTimer()
	var kp, sp []pass
	for i := 0; i < b.N; i++ {
		// Alternate who goes first: neither always follows the other's
		// garbage in the API server.
		order := []bool{true, false}
		if i%2 == 1 {
			order = []bool{false, true}
		}
		for _, isKubectl := range order {
			if isKubectl {
				p, err := runPass(b, kubectlCmd(), os.DevNull, srv)
				if err != nil {
					b.Fatal(err)
				}
				kp = append(kp, p)
			} else {
				p, err := runPass(b, kscanCmd(os.DevNull), os.DevNull, srv)
				if err != nil {
					b.Fatal(err)
				}
				sp = append(sp, p)
			}
		}
	}
	b.StopTimer()
	k, s := medians(kp), medians(sp)
	b.ReportMetric(k.wall.Seconds(), "kubectl-s")
	b.ReportMetric(s.wall.Seconds(), "kscan-s")
	b.ReportMetric(s.wall.Seconds()/k.wall.Seconds(), "kscan/kubectl")
	b.ReportMetric(k.cpu.Seconds(), "kubectl-cpu-s")
	b.ReportMetric(s.cpu.Seconds(), "kscan-cpu-s")
	b.ReportMetric(k.server.Seconds(), "server-cpu-kubectl-s")
	b.ReportMetric(s.server.Seconds(), "server-cpu-kscan-s")
	b.ReportMetric(idle.Seconds(), "server-idle-cpu-s/s")
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		b.Logf("load average after the passes: %s", strings.TrimSpace(string(la)))
	}
}

// runPass runs cmd with stdout to out (kubectl) and returns its times.
// kscan exits 0 or 1 (findings); anything else is a failure.
func runPass(b *testing.B, cmd *exec.Cmd, out string, srv *testenv.APIServer) (pass, error) {
	f, err := os.Create(out)
	if err != nil {
		return pass{}, err
	}
	defer f.Close()
	if filepath.Base(cmd.Path) == "kubectl" {
		cmd.Stdout = f
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	server0 := serverCPU(srv)
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	server := serverCPU(srv) - server0
	if ee, ok := errors.AsType[*exec.ExitError](err); ok && ee.ExitCode() == 1 && filepath.Base(cmd.Path) != "kubectl" {
		err = nil
	}
	if err != nil {
		return pass{}, fmt.Errorf("%s: %w\n%s", cmd, err, stderr.String())
	}
	if s := stderr.String(); s != "" && os.Getenv("KSCAN_BENCH_TIMINGS") != "" {
		b.Logf("%s:\n%s", filepath.Base(cmd.Path), s)
	}
	ps := cmd.ProcessState
	return pass{wall: wall, cpu: ps.UserTime() + ps.SystemTime(), server: server}, nil
}

// serverCPU is the CPU time etcd and kube-apiserver have used so far, from
// /proc (utime + stime, in USER_HZ = 100 ticks per second).
func serverCPU(srv *testenv.APIServer) time.Duration {
	var total time.Duration
	for _, pid := range srv.PIDs() {
		raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		// The fields after the command name in parentheses; utime and
		// stime are the 14th and 15th of the whole line.
		s := string(raw)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(u+st) * 10 * time.Millisecond
	}
	return total
}

func medians(ps []pass) pass {
	med := func(get func(pass) time.Duration) time.Duration {
		v := make([]time.Duration, len(ps))
		for i, p := range ps {
			v[i] = get(p)
		}
		slices.Sort(v)
		if len(v) == 0 {
			return 0
		}
		return v[len(v)/2]
	}
	return pass{wall: med(func(p pass) time.Duration { return p.wall }), cpu: med(func(p pass) time.Duration { return p.cpu }),
		server: med(func(p pass) time.Duration { return p.server })}
}
