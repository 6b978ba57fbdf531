package query

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/policies/builtins"
)

func testInput(t *testing.T) *policies.Input {
	t.Helper()
	deploy := func(name, image string) map[string]any {
		return map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": name, "namespace": "db"},
			"spec": map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
				"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": name}},
					"spec": map[string]any{"containers": []any{
						map[string]any{"name": "main", "image": image},
						map[string]any{"name": "sidecar", "image": image},
					}}}}}
	}
	in, err := builtins.InputFromObjects(t.Context(), []any{deploy("a", "mysql:8.0"), deploy("b", "mysql:8.4"), deploy("c", "nginx:1.27")})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestRunExpression(t *testing.T) {
	e, err := Load(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := testInput(t)
	tests := []struct {
		name, expr string
		columns    []string
		rows       []string // cells joined by "|"
	}{
		{"bindings become columns", `some w in kscan.workloads; some c in kscan.containers(w); name := w.name; ctr := c.name`,
			[]string{"ctr", "name"}, []string{"main|a", "main|b", "main|c", "sidecar|a", "sidecar|b", "sidecar|c"}},
		{"some variables when nothing else is bound", `some w in kscan.workloads; w.name == "a"`, []string{"w"}, nil},
		{"some k, v", `some k, v in {"x": 1}; v == 1; key := k`, []string{"key"}, []string{"x"}},
		{"a collection of objects", `[{"w": w.name, "n": count(w.containers)} | some w in kscan.workloads]`,
			[]string{"n", "w"}, []string{"2|a", "2|b", "2|c"}},
		{"a collection of scalars", `{kscan.version(c) | some w in kscan.workloads; some c in w.containers}`,
			[]string{"value"}, []string{"1.27", "8.0", "8.4"}},
		{"a scalar", `count(kscan.workloads)`, []string{"value"}, []string{"3"}},
		{"undefined is no row", `kscan.workloads[_].name == "zzz"`, nil, nil},
		{"input works too", `x := count(input.by_type["k8s:apps/Deployment"])`, []string{"x"}, []string{"3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Run(context.Background(), in, tt.expr, nil)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(res.Columns, ",") != strings.Join(tt.columns, ",") {
				t.Errorf("columns %v, want %v", res.Columns, tt.columns)
			}
			if tt.rows == nil {
				return
			}
			var got []string
			for _, r := range res.Rows {
				got = append(got, strings.Join(res.Cells(r), "|"))
			}
			if strings.Join(got, "\n") != strings.Join(tt.rows, "\n") {
				t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.rows, "\n"))
			}
		})
	}
	// One row per container: six containers, never merged though equal.
	res, err := e.Run(context.Background(), in, `some w in kscan.workloads; some c in kscan.containers(w); name := w.name; ctr := c.name`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 6 {
		t.Errorf("%d rows, want 6 (one per container)", len(res.Rows))
	}
}

func TestSandbox(t *testing.T) {
	e, err := Load(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := testInput(t)
	for _, expr := range []string{
		`http.send({"method": "get", "url": "http://127.0.0.1:1"})`,
		`net.lookup_ip_addr("example.com")`,
		`opa.runtime()`,
	} {
		if _, err := e.Run(context.Background(), in, expr, nil); err == nil {
			t.Errorf("%s: evaluated, want a compile error", expr)
		}
	}
}

func TestTimeLimit(t *testing.T) {
	e, err := Load(context.Background(), Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = e.Run(context.Background(), testInput(t), `count({[a, b, c, d] | some a in numbers.range(1, 1000); some b in numbers.range(1, 1000); some c in numbers.range(1, 1000); some d in numbers.range(1, 1000)})`, nil)
	if err == nil || !strings.Contains(err.Error(), "time limit") {
		t.Fatalf("err = %v, want a time limit error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stopped after %s", d)
	}
}

func TestRunNamedParams(t *testing.T) {
	e, err := Load(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := testInput(t)
	res, err := e.RunNamed(context.Background(), in, "image-versions", map[string]string{"name": "mysql"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, "csv", res); err != nil {
		t.Fatal(err)
	}
	want := "image,version,digest,containers,workloads\n" +
		"docker.io/library/mysql,8.0,,2,db/Deployment/a\n" +
		"docker.io/library/mysql,8.4,,2,db/Deployment/b\n"
	if buf.String() != want {
		t.Errorf("csv:\n%s\nwant:\n%s", buf.String(), want)
	}
	if _, err := e.RunNamed(context.Background(), in, "image-versions", map[string]string{"nmae": "x"}); err == nil || !strings.Contains(err.Error(), "it takes: name") {
		t.Errorf("unknown parameter: err = %v", err)
	}
	if _, err := e.RunNamed(context.Background(), in, "stale-images", map[string]string{"days": "many"}); err == nil {
		t.Error("days=many accepted")
	}
	if _, err := e.RunNamed(context.Background(), in, "no-such-query", nil); err == nil {
		t.Error("unknown query accepted")
	}
}

func TestUserQueryDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		if err := writeFile(dir+"/"+name, src); err != nil {
			t.Fatal(err)
		}
	}
	write("mine.rego", `# METADATA
# title: Deployments
# description: every Deployment
# custom:
#   name: my-deployments
#   columns: [name]
package kscan.queries.mine

import data.kscan

result contains {"name": w.name} if {
	some w in kscan.workloads
	w.kind == "Deployment"
}
`)
	e, err := Load(context.Background(), Options{QueryDirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	q, ok := e.Lookup("my-deployments")
	if !ok || !q.Custom {
		t.Fatalf("user query not loaded: %+v", q)
	}
	res, err := e.RunNamed(context.Background(), testInput(t), "my-deployments", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 3 {
		t.Errorf("%d rows, want 3", len(res.Rows))
	}
	// A query without METADATA is an error naming the file.
	write("bad.rego", "package kscan.queries.bad\n\nresult := []\n")
	if _, err := Load(context.Background(), Options{QueryDirs: []string{dir}}); err == nil || !strings.Contains(err.Error(), "bad.rego") {
		t.Errorf("err = %v, want one naming bad.rego", err)
	}
}

func writeFile(p, s string) error { return os.WriteFile(p, []byte(s), 0o644) }

// TestWatchMetadata: custom.watch and custom.watch_key are read; watch:
// namespace without the key column, or a watch of another shape, is an
// error naming the file.
func TestWatchMetadata(t *testing.T) {
	e, err := Load(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	q, ok := e.Lookup("exposed-workloads")
	if !ok || !q.Watch.Namespace || q.WatchKey != "workload" {
		t.Errorf("exposed-workloads: watch %+v, key %q; want namespace, workload", q.Watch, q.WatchKey)
	}
	if q, _ := e.Lookup("image-versions"); q.Watch.Declared() {
		t.Errorf("image-versions counts across namespaces, but declares %+v", q.Watch)
	}
	for name, custom := range map[string]string{
		"nokey.rego":  "#   watch: namespace\n",
		"shape.rego":  "#   watch: everything\n",
		"number.rego": "#   watch: [1]\n",
	} {
		dir := t.TempDir()
		src := "# METADATA\n# title: T\n# custom:\n#   name: t\n" + custom + "package kscan.queries.t\n\nresult := []\n"
		if err := writeFile(dir+"/"+name, src); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(context.Background(), Options{QueryDirs: []string{dir}}); err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "watch") {
			t.Errorf("%s: err = %v, want one naming the file and custom.watch", name, err)
		}
	}
}
