package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kscan-io/kscan/collectors/kube/kubetest"
	"github.com/kscan-io/kscan/internal/testenv"
)

// watchLine is one line of kscan query --watch --format json.
type watchLine struct {
	Op   string         `json:"op"`
	Row  map[string]any `json:"row"`
	seen time.Time
}

// startWatch runs kscan query --watch in-process and returns its lines as
// they come, and a stop function that interrupts it and returns its exit
// code.
func startWatch(t *testing.T, kubeconfig, expr string) (<-chan watchLine, func() int) {
	t.Helper()
	return startWatchArgs(t, "query", "--watch", "--format", "json", "--kubeconfig", kubeconfig, expr)
}

// startWatchArgs runs kscan with args (a --watch with --format json).
func startWatchArgs(t *testing.T, args ...string) (<-chan watchLine, func() int) {
	t.Helper()
	return startWatchLog(t, nil, args...)
}

// stderrLog collects a watch's stderr lines.
type stderrLog struct {
	mu    sync.Mutex
	lines []string
}

// count is the number of lines containing all of words.
func (l *stderrLog) count(words ...string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		all := true
		for _, w := range words {
			all = all && strings.Contains(line, w)
		}
		if all {
			n++
		}
	}
	return n
}

// startWatchLog is startWatchArgs keeping stderr in log (when not nil).
func startWatchLog(t *testing.T, log *stderrLog, args ...string) (<-chan watchLine, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := run(ctx, args, strings.NewReader(""), outW, errW)
		outW.Close()
		errW.Close()
		done <- code
	}()
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(errR)
		once := false
		for sc.Scan() {
			if strings.Contains(sc.Text(), "watch update") && !once {
				once = true
				close(ready)
			}
			if log != nil {
				log.mu.Lock()
				log.lines = append(log.lines, sc.Text())
				log.mu.Unlock()
			}
			t.Logf("stderr: %s", sc.Text())
		}
	}()
	lines := make(chan watchLine, 100)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			var l watchLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Errorf("not a JSON line: %q", sc.Text())
				continue
			}
			l.seen = time.Now()
			lines <- l
		}
		close(lines)
	}()
	select {
	case <-ready:
	case code := <-done:
		t.Fatalf("kscan query --watch ended with %d before its first answer", code)
	case <-time.After(60 * time.Second):
		t.Fatal("no first answer within 60 s")
	}
	return lines, func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(10 * time.Second):
			t.Fatal("kscan query --watch did not stop within 10 s of SIGINT")
			return -1
		}
	}
}

// expect waits for the next line and checks it, within 2 s of the change.
func expect(t *testing.T, lines <-chan watchLine, changed time.Time, op, column, value string) {
	t.Helper()
	select {
	case l, ok := <-lines:
		if !ok {
			t.Fatalf("the watch ended; want %s %s=%s", op, column, value)
		}
		if l.Op != op || l.Row[column] != value {
			t.Fatalf("line %s %v, want %s %s=%s", l.Op, l.Row, op, column, value)
		}
		if d := l.seen.Sub(changed); d > 2*time.Second {
			t.Errorf("%s %s shown %s after the change, want within 2 s", op, value, d)
		} else {
			t.Logf("%s %s=%s after %s", op, column, value, d.Round(time.Millisecond))
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no line within 5 s; want %s %s=%s", op, column, value)
	}
}

// TestQueryWatch: kscan query --watch against the real API server. A
// Deployment behind a LoadBalancer Service appears as exposed, disappears
// when its labels stop matching and when the Service goes; a RoleBinding
// appears and disappears in a who-can query; SIGINT ends the watch with 0.
func TestQueryWatch(t *testing.T) {
	srv := testenv.APIServerFor(t)
	t.Cleanup(testenv.StopAll)
	t.Setenv("KSCAN_DEBUG_TIMINGS", "1") // "watch update" lines on stderr say when an answer is in
	const ns = "watchq"
	kubetest.EnsureNamespace(t, srv.Config, ns)
	cs, err := kubernetes.NewForConfig(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Cleanup(func() { // a second run (-count=2) starts from an empty namespace
		cs.AppsV1().Deployments(ns).Delete(ctx, "web", metav1.DeleteOptions{})
		cs.CoreV1().Services(ns).Delete(ctx, "web", metav1.DeleteOptions{})
		cs.RbacV1().RoleBindings(ns).Delete(ctx, "ci-view", metav1.DeleteOptions{})
	})

	exposed, stopExposed := startWatch(t, srv.Kubeconfig,
		`some r in kscan.facts.exposure.routes; r.internet; w := kscan.nodes[r.workload]; w.namespace == "watchq"; workload := w.id; via := r.kind`)
	secrets, stopSecrets := startWatch(t, srv.Kubeconfig,
		`some s, gs in kscan.facts.rbac.subjects; some g in gs; b := kscan.nodes[g.binding]; b.namespace == "watchq"; binding := b.id; subject := s`)
	// The named query re-evaluates only the changed namespace (its
	// METADATA declares watch: namespace); rows of other tests' objects
	// come first.
	var namedLog stderrLog
	named, stopNamed := startWatchLog(t, &namedLog, "query", "--watch", "--format", "json", "--kubeconfig", srv.Kubeconfig, "exposed-workloads")
	drain(named, 2*time.Second)

	labels := map[string]string{"app": "web"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
			},
		},
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: labels,
			Ports: []corev1.ServicePort{{Port: 80}}},
	}
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	changed := time.Now()
	if _, err := cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	expect(t, exposed, changed, "+", "workload", "watchq/Deployment/web")
	expect(t, named, changed, "+", "workload", "watchq/Deployment/web")

	// Update the Deployment: its pods no longer match the Service.
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Spec.Template.Labels = map[string]string{"app": "web", "tier": "x"}
	d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "x"}}
	// The selector of a Deployment is immutable: replace the Deployment.
	if err := cs.AppsV1().Deployments(ns).Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	changed = time.Now()
	expect(t, exposed, changed, "-", "workload", "watchq/Deployment/web")
	expect(t, named, changed, "-", "workload", "watchq/Deployment/web")
	d.ResourceVersion = ""
	d.UID = ""
	d.Spec.Template.Labels = labels
	d.Spec.Selector = &metav1.LabelSelector{MatchLabels: labels}
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	changed = time.Now()
	expect(t, exposed, changed, "+", "workload", "watchq/Deployment/web")
	expect(t, named, changed, "+", "workload", "watchq/Deployment/web")
	// Update the Service to ClusterIP: no longer a way in.
	s, err := cs.CoreV1().Services(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Spec.Type = corev1.ServiceTypeClusterIP
	for i := range s.Spec.Ports {
		s.Spec.Ports[i].NodePort = 0
	}
	if _, err := cs.CoreV1().Services(ns).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	changed = time.Now()
	expect(t, exposed, changed, "-", "workload", "watchq/Deployment/web")
	expect(t, named, changed, "-", "workload", "watchq/Deployment/web")

	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "ci-view", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "ci", APIGroup: "rbac.authorization.k8s.io"}},
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	changed = time.Now()
	expect(t, secrets, changed, "+", "binding", "watchq/RoleBinding/ci-view")
	if err := cs.RbacV1().RoleBindings(ns).Delete(ctx, "ci-view", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	changed = time.Now()
	expect(t, secrets, changed, "-", "binding", "watchq/RoleBinding/ci-view")

	if code := stopExposed(); code != 0 {
		t.Errorf("exit %d after SIGINT, want 0", code)
	}
	if code := stopSecrets(); code != 0 {
		t.Errorf("exit %d after SIGINT, want 0", code)
	}
	if code := stopNamed(); code != 0 {
		t.Errorf("exit %d after SIGINT, want 0", code)
	}
	// Every change above was in watchq: the named query took the partial
	// path for each (the ad-hoc expressions the full one).
	if n := namedLog.count("watch update (incremental"); n < 4 {
		t.Errorf("exposed-workloads: %d incremental updates, want one per change (>= 4)", n)
	}
}

// drain discards a watch's lines for d (the rows already there).
func drain(lines <-chan watchLine, d time.Duration) {
	end := time.After(d)
	for {
		select {
		case <-lines:
		case <-end:
			return
		}
	}
}

// TestQueryWatchMemory: 10,000 updates of one object while two watches run
// (an ad-hoc expression, re-evaluated over the whole cluster, and a named
// query, re-evaluated in the object's namespace); the heap after them is no
// larger than after the first 1,000 (give or take the noise of one graph):
// nothing is kept per update. Both watches must have evaluated many
// updates, so the figure is about something.
func TestQueryWatchMemory(t *testing.T) {
	srv := testenv.APIServerFor(t)
	t.Cleanup(testenv.StopAll)
	const ns = "watchmem"
	kubetest.EnsureNamespace(t, srv.Config, ns)
	cs, err := kubernetes.NewForConfig(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Cleanup(func() { cs.CoreV1().Services(ns).Delete(ctx, "counter", metav1.DeleteOptions{}) })
	t.Setenv("KSCAN_DEBUG_TIMINGS", "1")
	var fullLog, partLog stderrLog
	lines, stop := startWatchLog(t, &fullLog, "query", "--watch", "--format", "json", "--kubeconfig", srv.Kubeconfig,
		`some n in kscan.of_type("k8s:core/Service"); n.namespace == "watchmem"; svc := n.id; v := n.object.metadata.annotations.v`)
	named, stopNamed := startWatchLog(t, &partLog, "query", "--watch", "--format", "json", "--kubeconfig", srv.Kubeconfig, "exposed-workloads")
	for _, c := range []<-chan watchLine{lines, named} {
		go func() {
			for range c { // one - and one + per visible change
			}
		}()
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "counter", Namespace: ns, Annotations: map[string]string{"v": "0"}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": "counter"}, Ports: []corev1.ServicePort{{Port: 80}}}}
	if svc, err = cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var at1k uint64
	start := time.Now()
	for i := 1; i <= 10000; i++ {
		svc.Annotations["v"] = fmt.Sprint(i)
		if svc, err = cs.CoreV1().Services(ns).Update(ctx, svc, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if i == 1000 {
			time.Sleep(300 * time.Millisecond) // let the last evaluation finish
			at1k = heap()
		}
	}
	time.Sleep(300 * time.Millisecond)
	at10k := heap()
	full, part := fullLog.count("watch update (full"), partLog.count("watch update (incremental")
	t.Logf("10,000 updates in %s; heap %.1f MiB after 1,000, %.1f MiB after 10,000; %d full and %d incremental evaluations",
		time.Since(start).Round(time.Second), float64(at1k)/(1<<20), float64(at10k)/(1<<20), full, part)
	if at10k > at1k+16<<20 {
		t.Errorf("heap grew from %.1f to %.1f MiB over 9,000 updates", float64(at1k)/(1<<20), float64(at10k)/(1<<20))
	}
	if full < 20 || part < 20 {
		t.Errorf("%d full and %d incremental evaluations during 10,000 updates: the watches did not follow them", full, part)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit %d after SIGINT", code)
	}
	if code := stopNamed(); code != 0 {
		t.Errorf("exit %d after SIGINT", code)
	}
}

// TestScanWatch: kscan scan --watch reports a finding when a Deployment
// with a floating image tag is created and its end when the tag is pinned.
func TestScanWatch(t *testing.T) {
	srv := testenv.APIServerFor(t)
	t.Cleanup(testenv.StopAll)
	t.Setenv("KSCAN_DEBUG_TIMINGS", "1")
	const ns = "watchscan"
	kubetest.EnsureNamespace(t, srv.Config, ns)
	cs, err := kubernetes.NewForConfig(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Cleanup(func() { cs.AppsV1().Deployments(ns).Delete(ctx, "api", metav1.DeleteOptions{}) })
	var log stderrLog
	lines, stop := startWatchLog(t, &log, "scan", "--watch", "--format", "json", "--rules", "k8s/image-tag-latest,registry/mutable-tags", "--kubeconfig", srv.Kubeconfig)
	// Findings already there (other tests' objects) come first: drain them.
	drain := time.After(2 * time.Second)
	for done := false; !done; {
		select {
		case <-lines:
		case <-drain:
			done = true
		}
	}
	labels := map[string]string{"app": "api"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Image: "nginx:latest"}}},
			},
		},
	}
	if dep, err = cs.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	expect(t, lines, time.Now(), "+", "resource", "watchscan/Deployment/api")
	dep.Spec.Template.Spec.Containers[0].Image = "nginx:1.27.3"
	if _, err := cs.AppsV1().Deployments(ns).Update(ctx, dep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	expect(t, lines, time.Now(), "-", "resource", "watchscan/Deployment/api")
	if code := stop(); code != 0 {
		t.Errorf("exit %d after SIGINT", code)
	}
	// k8s/image-tag-latest declares watch: namespace, and the undeclared
	// registry/mutable-tags has no repository to judge here: both changes
	// were evaluated in watchscan alone.
	if n := log.count("watch update (incremental, 1 namespaces)"); n < 2 {
		t.Errorf("%d incremental updates of one namespace, want >= 2", n)
	}
}
