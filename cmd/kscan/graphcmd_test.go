package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/internal/repotest"
)

func TestGraphCommand(t *testing.T) {
	shop, _ := filepath.Abs("../../testdata/query/shop.yaml")
	t.Run("json neighbourhood", func(t *testing.T) {
		code, out, errOut := kscan(t, ".", "", "graph", "--from", "shop/Service/web", "--depth", "1", "--type", "Deployment", shop)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var g struct {
			Version int `json:"kscanGraph"`
			Nodes   []struct{ Key, Label string }
			Edges   []struct{ From, To, Type string }
		}
		if err := json.Unmarshal([]byte(out), &g); err != nil {
			t.Fatal(err)
		}
		// shop.yaml: Service web selects Deployment web and nothing else.
		if g.Version != 1 || len(g.Nodes) != 2 || len(g.Edges) != 1 ||
			g.Edges[0] != (struct{ From, To, Type string }{"shop/Service/web", "shop/Deployment/web", "selects"}) {
			t.Errorf("graph %+v", g)
		}
	})
	t.Run("dot for Graphviz, no secret values", func(t *testing.T) {
		code, out, errOut := kscan(t, ".", "", "graph", "--format", "dot", shop)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if strings.Contains(out, "hunter2") || !strings.Contains(out, `"shop/Secret/db-password"`) {
			t.Error("the Secret's value is in the export, or the Secret is missing")
		}
		dot, err := exec.LookPath("dot")
		if err != nil {
			repotest.Missing(t, "Graphviz dot not found (hack/graph-tools.sh installs it)")
		}
		cmd := exec.Command(dot, "-Tsvg")
		cmd.Stdin = strings.NewReader(out)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		// Graphviz writes "-" as &#45; in SVG text.
		if svg, err := cmd.Output(); err != nil || !bytes.Contains(svg, []byte("StatefulSet shop/legacy&#45;db")) || !bytes.Contains(svg, []byte(`class="edge"`)) {
			t.Errorf("dot -Tsvg: %v %s", err, stderr.String())
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"graph", "--from", "shop/Deployment/nope", shop}, "no node"},
			{[]string{"graph", "--format", "svg", shop}, "--format"},
		} {
			code, _, errOut := kscan(t, ".", "", tc.args...)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Errorf("%v: exit %d, %q", tc.args, code, errOut)
			}
		}
	})
}
