package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"

	"github.com/kscan-io/kscan/collectors/kube/kubetest"
	"github.com/kscan-io/kscan/internal/testenv"
	"github.com/kscan-io/kscan/report/policyreport"
	"github.com/kscan-io/kscan/snapshot"
)

// kscan scan against a live API server: success, report writing, and the
// failures that must end with exit 2 and a clear message, never a hang.
func TestLiveCLI(t *testing.T) {
	srv := testenv.APIServerFor(t)
	t.Cleanup(testenv.StopAll)
	kubetest.ApplyFiles(t, srv.Config, "../../testdata/demo")
	crds, err := kubetest.Kustomize("../../deploy/crds")
	if err != nil {
		t.Fatal(err)
	}
	a, err := kubetest.NewApplier(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Apply(context.Background(), crds, false); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeKC := func(name, server, token string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(testenv.KubeconfigFor(server, "u", token)), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "https://" + l.Addr().String()
	l.Close()
	hang := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}))
	defer hang.Close()

	cases := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"unreachable", []string{"scan", "--kubeconfig", writeKC("closed", closed, "x")}, 2, "cannot reach API server"},
		{"bad-token", []string{"scan", "--kubeconfig", writeKC("bad", srv.URL, "expired-token")}, 2, "rejected the credentials"},
		{"timeout", []string{"scan", "--kubeconfig", writeKC("hang", hang.URL, "x"), "--timeout", "2s", "--kube-request-timeout", "300ms"}, 2, "context deadline exceeded"},
		{"no-such-context", []string{"scan", "--kubeconfig", srv.Kubeconfig, "--context", "nope"}, 2, `no context "nope"`},
		{"report-without-cluster", []string{"scan", "--report", "policyreport", "../../testdata/demo"}, 2, "--report policyreport writes into the scanned cluster"},
		{"bad-report-api", []string{"scan", "--kubeconfig", srv.Kubeconfig, "--report", "policyreport", "--report-api", "nope"}, 2, "--report-api"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var out, errOut bytes.Buffer
			code := run(ctx, tc.args, strings.NewReader(""), &out, &errOut)
			if ctx.Err() != nil {
				t.Fatal("kscan did not return within a minute")
			}
			if code != tc.wantCode || !strings.Contains(errOut.String()+out.String(), tc.wantErr) {
				t.Errorf("exit %d, want %d with %q; stderr:\n%s\nstdout:\n%s", code, tc.wantCode, tc.wantErr, errOut.String(), out.String())
			}
			if strings.Contains(errOut.String()+out.String(), "expired-token") {
				t.Error("the token was printed")
			}
		})
	}

	t.Run("scan-and-report", func(t *testing.T) {
		kubetest.EnsureNamespace(t, srv.Config, "kscan")
		for i := 0; i < 2; i++ {
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"scan", "--kubeconfig", srv.Kubeconfig, "--format", "json", "--fail-on", "none",
				"--report", "policyreport", "--kube-skip-custom-resources"}, strings.NewReader(""), &out, &errOut)
			if code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", code, errOut.String())
			}
			var rep struct {
				Findings []struct {
					RuleID   string `json:"ruleId"`
					Resource string `json:"resource"`
					Location struct {
						Kind    string `json:"kind"`
						Cluster string `json:"cluster"`
						Path    string `json:"apiPath"`
					} `json:"location"`
				} `json:"findings"`
			}
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			found := false
			for _, f := range rep.Findings {
				if f.RuleID == "k8s/image-tag-latest" && f.Resource == "shop/Deployment/payments-api" {
					found = f.Location.Kind == "cluster" && f.Location.Cluster == "testenv" && f.Location.Path == "/apis/apps/v1/namespaces/shop/deployments/payments-api"
					if !found {
						t.Errorf("location %+v", f.Location)
					}
				}
			}
			if !found {
				t.Error("no k8s/image-tag-latest finding on shop/Deployment/payments-api")
			}
		}
		kinds, _ := policyreport.KindsOf("policyreport")
		l, err := dynamic.NewForConfigOrDie(srv.Config).Resource(kinds.Resource).Namespace("shop").List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=kscan"})
		if err != nil || len(l.Items) != 1 {
			t.Fatalf("PolicyReports in shop after two runs: %v %v", len(l.Items), err)
		}
		data, format, err := policyreport.ReadSnapshot(context.Background(), srv.Config, "kscan")
		if err != nil || format != SnapshotFormat {
			t.Fatalf("snapshot: %v %q", err, format)
		}
		g, err := snapshot.Read(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if g.Len() < 10 {
			t.Errorf("snapshot holds %d nodes", g.Len())
		}
	})
}
