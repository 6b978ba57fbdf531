package main

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// queryRows runs kscan query --format json and returns its rows.
func queryRows(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	code, out, errOut := kscan(t, ".", "", append([]string{"query", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("kscan query %v: exit %d\n%s", args, code, errOut)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("output is not JSON rows: %v\n%s", err, out)
	}
	return rows
}

func column(rows []map[string]any, name string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, queryCell(r[name]))
	}
	sort.Strings(out)
	return out
}

func queryCell(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, queryCell(e))
		}
		return strings.Join(parts, ",")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// The two Day-Two questions of issue 18, each one command, on a
// hand-written shop and on real third-party manifests. Expected answers are
// read from the manifests (see the comments in testdata/query/shop.yaml).
func TestQueryDayTwoQuestions(t *testing.T) {
	shop, _ := filepath.Abs("../../testdata/query/shop.yaml")
	ingressNginx, _ := filepath.Abs("../../testdata/realworld/ingress-nginx")
	kubePrometheus, _ := filepath.Abs("../../testdata/realworld/kube-prometheus")

	t.Run("pods exposed via a load-balanced Service: shop", func(t *testing.T) {
		rows := queryRows(t, "exposed-workloads", "--param", "via=loadbalancer", shop)
		// web: public LB; legacy-db: LB open to 0.0.0.0/0. Not billing
		// (internal LB), reports (source ranges), orders (NodePort, Ingress).
		want := []string{"shop/Deployment/web", "shop/StatefulSet/legacy-db"}
		if got := column(rows, "workload"); !reflect.DeepEqual(got, want) {
			t.Errorf("workloads %v, want %v", got, want)
		}
		if got := column(rows, "entry"); !reflect.DeepEqual(got, []string{"shop/Service/legacy-db", "shop/Service/web"}) {
			t.Errorf("entries %v", got)
		}
	})
	t.Run("pods exposed via a load-balanced Service: ingress-nginx", func(t *testing.T) {
		// deploy.yaml: Service ingress-nginx-controller, type LoadBalancer,
		// selects the controller Deployment (component: controller); the
		// admission Jobs and the admission Service (ClusterIP) do not count.
		rows := queryRows(t, "exposed-workloads", "--param", "via=loadbalancer", ingressNginx)
		want := []string{"ingress-nginx/Deployment/ingress-nginx-controller"}
		if got := column(rows, "workload"); !reflect.DeepEqual(got, want) {
			t.Errorf("workloads %v, want %v", got, want)
		}
		if got := column(rows, "ports"); !reflect.DeepEqual(got, []string{"80/TCP,443/TCP"}) {
			t.Errorf("ports %v", got)
		}
	})
	t.Run("distinct versions of MySQL: shop", func(t *testing.T) {
		code, out, errOut := kscan(t, ".", "", "query", "image-versions", "--param", "name=mysql", "--format", "count", shop)
		// library/mysql 8.0 (orders, billing), 5.7 (legacy-db), a digest
		// (debug), bitnami/mysql 8.4.3 (reports); mysqld-exporter is not MySQL.
		if code != 0 || strings.TrimSpace(out) != "4" {
			t.Errorf("count: exit %d, %q, want 4\n%s", code, out, errOut)
		}
		rows := queryRows(t, "image-versions", "--param", "name=mysql", shop)
		var got []string
		for _, r := range rows {
			got = append(got, strings.Join([]string{queryCell(r["image"]), queryCell(r["version"]), queryCell(r["containers"]), queryCell(r["workloads"])}, " "))
		}
		sort.Strings(got)
		want := []string{
			"docker.io/bitnami/mysql 8.4.3 1 analytics/Deployment/reports",
			"docker.io/library/mysql  1 analytics/Pod/debug",
			"docker.io/library/mysql 5.7 2 shop/StatefulSet/legacy-db",
			"docker.io/library/mysql 8.0 2 shop/Deployment/billing,shop/Deployment/orders",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("distinct versions of kube-rbac-proxy: kube-prometheus", func(t *testing.T) {
		// manifests/: quay.io/brancz/kube-rbac-proxy:v0.22.1 in node-exporter,
		// prometheus-operator, blackbox-exporter and (twice) kube-state-metrics.
		rows := queryRows(t, "image-versions", "--param", "name=kube-rbac-proxy", kubePrometheus)
		if len(rows) != 1 {
			t.Fatalf("%d versions, want 1: %v", len(rows), rows)
		}
		r := rows[0]
		if r["version"] != "v0.22.1" || queryCell(r["containers"]) != "5" ||
			queryCell(r["workloads"]) != "monitoring/DaemonSet/node-exporter,monitoring/Deployment/blackbox-exporter,monitoring/Deployment/kube-state-metrics,monitoring/Deployment/prometheus-operator" {
			t.Errorf("row %v", r)
		}
		code, out, _ := kscan(t, ".", "", "query", "image-versions", "--param", "name=mysql", "--format", "count", kubePrometheus)
		if code != 0 || strings.TrimSpace(out) != "0" {
			t.Errorf("MySQL in kube-prometheus: %q, want 0", out)
		}
	})
}

func TestQueryCommand(t *testing.T) {
	shop, _ := filepath.Abs("../../testdata/query/shop.yaml")
	t.Run("list", func(t *testing.T) {
		code, out, _ := kscan(t, ".", "", "query", "--list")
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		n := 0
		for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
			if l != "" {
				n++
			}
		}
		if n < 10 || !strings.Contains(out, "image-versions") || !strings.Contains(out, "days=90") {
			t.Errorf("--list shows %d queries:\n%s", n, out)
		}
	})
	t.Run("expression, per container, csv", func(t *testing.T) {
		code, out, errOut := kscan(t, ".", "", "query", "--format", "csv",
			`some w in kscan.workloads; some c in kscan.containers(w); startswith(c.image, "mysql"); workload := w.id; container := c.name`, shop)
		want := "container,workload\n" +
			"client,analytics/Pod/debug\n" +
			"init-schema,shop/StatefulSet/legacy-db\n" +
			"mysql,shop/Deployment/orders\n" +
			"mysql,shop/StatefulSet/legacy-db\n"
		if code != 0 || out != want {
			t.Errorf("exit %d\n%s\nwant:\n%s\n%s", code, out, want, errOut)
		}
	})
	t.Run("secret values are not in the model", func(t *testing.T) {
		code, out, _ := kscan(t, ".", "", "query", "--format", "json", `input.nodes["shop/Secret/db-password"]`, shop)
		if code != 0 || strings.Contains(out, "hunter2") || !strings.Contains(out, `"password"`) {
			t.Errorf("exit %d, output:\n%s", code, out)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"query", "no-such-query", shop}, "unknown query"},
			{[]string{"query", "image-versions", "--param", "nme=mysql", shop}, "no parameter"},
			{[]string{"query", "--format", "xml", "exposed-workloads", shop}, "--format"},
			{[]string{"query", `http.send({"url": "http://127.0.0.1:1", "method": "get"})`, shop}, "http.send"},
			{[]string{"query", "some x in", shop}, "parse"},
		} {
			code, _, errOut := kscan(t, ".", "", tc.args...)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, errOut, tc.want)
			}
		}
	})
	t.Run("unreadable input: exit 2, the rest answered", func(t *testing.T) {
		dir := fixture(t, map[string]string{"bad.yaml": broken, "pod.yaml": latest})
		code, out, errOut := kscan(t, dir, "", "query", "--format", "count", "kscan.workloads[_]", ".")
		if code != 2 || strings.TrimSpace(out) != "1" || !strings.Contains(errOut, "bad.yaml") {
			t.Errorf("exit %d, out %q, stderr %q", code, out, errOut)
		}
	})
}
