package pulumi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/collectors/pulumi/normalize"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/repotest"
)

const oneResource = `[{"urn":"urn:pulumi:dev::p::kubernetes:core/v1:ConfigMap::c","custom":true,"type":"kubernetes:core/v1:ConfigMap",
 "inputs":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"ns"},"data":{"k":"v"}}}]`

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		match   bool
		wantErr string
		wantN   int
	}{
		{"stack export v3", `{"version":3,"deployment":{"manifest":{},"resources":` + oneResource + `}}`, true, "", 1},
		{"stack export v4 with features", `{"version":4,"features":["refreshBeforeUpdate"],"deployment":{"resources":` + oneResource + `}}`, true, "", 1},
		{"checkpoint", `{"version":3,"checkpoint":{"stack":"dev","latest":{"resources":` + oneResource + `}}}`, true, "", 1},
		{"checkpoint never deployed", `{"version":3,"checkpoint":{"stack":"dev"}}`, true, "", 0},
		{"unsupported old version", `{"version":2,"deployment":{"resources":[]}}`, true, "unsupported deployment version 2", 0},
		{"unsupported new version", `{"version":9,"deployment":{"resources":[]}}`, true, "unsupported deployment version 9", 0},
		{"truncated", "{\"version\":3,\n\"deployment\":{\"resources\":[{\"urn\":\"urn:pulumi:dev::p::x:y:Z::a\",", true, "line 2: invalid JSON: the file is truncated", 0},
		{"not JSON", `{"version":3,"deployment": nope}`, true, "line 1: invalid JSON", 0},
		{"wrong type", `{"version":3,"deployment":{"resources":{"a":1}}}`, true, "deployment: field", 0},
		{"age encrypted", "-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24=\n-----END AGE ENCRYPTED FILE-----\n", true, "encrypted as a whole (age)", 0},
		{"pgp encrypted", "-----BEGIN PGP MESSAGE-----\n\nhQEMA\n-----END PGP MESSAGE-----\n", true, "encrypted as a whole (OpenPGP)", 0},
		{"sops encrypted", `{"version":3,"deployment":"ENC[AES256_GCM,data:abc]","sops":{"version":"3.9.0"}}`, true, "encrypted as a whole (sops)", 0},
		{"a Kubernetes manifest is not claimed", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}`, false, "", 0},
		{"a manifest mentioning version and deployment is not claimed", `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"deployment","labels":{"version":"2"}}}`, false, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Handler{}).Match("state.json", []byte(tc.data)); got != tc.match {
				t.Fatalf("Match = %v, want %v", got, tc.match)
			}
			if !tc.match {
				return
			}
			g := graph.New()
			if err := (Handler{}).Collect(context.Background(), "envs/prod.json", []byte(tc.data), g); err != nil {
				t.Fatal(err)
			}
			errs := g.Errors()
			if tc.wantErr == "" {
				if len(errs) > 0 {
					t.Fatalf("unexpected errors: %v", errs)
				}
				if n := len(g.Nodes()); n != tc.wantN {
					t.Errorf("got %d nodes, want %d", n, tc.wantN)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("want one error, got %v", errs)
			}
			e := errs[0]
			if e.Level != graph.LevelError || e.Source.File != "envs/prod.json" || !strings.Contains(e.Message, tc.wantErr) {
				t.Errorf("error = %+v, want one naming the file with %q", e, tc.wantErr)
			}
			if !strings.HasPrefix(e.Error(), "envs/prod.json: ") {
				t.Errorf("error text %q does not start with the file", e.Error())
			}
		})
	}
}

func TestTestdataStack(t *testing.T) {
	p := filepath.Join(repotest.Root(), "testdata", "pulumi", "stack.json")
	g := graph.New()
	if err := CollectFile(t.Context(), p, "testdata/pulumi/stack.json", g); err != nil {
		t.Fatal(err)
	}
	if errs := g.Errors(); len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	byID := map[string]*graph.Node{}
	for _, n := range g.Nodes() {
		byID[n.ID] = n
		if !strings.HasPrefix(n.ID, "urn:pulumi:prod::shop::") {
			t.Errorf("node ID %q is not a URN", n.ID)
		}
		if n.Source.Kind != graph.SourcePulumiState || n.Source.File != "testdata/pulumi/stack.json" || n.Source.URN != n.ID {
			t.Errorf("%s: source %+v", n.ID, n.Source)
		}
	}
	want := map[string]string{
		"urn:pulumi:prod::shop::kubernetes:apps/v1:Deployment::web":                                     "k8s:apps/Deployment",
		"urn:pulumi:prod::shop::kubernetes:core/v1:Service::web":                                        "k8s:core/Service",
		"urn:pulumi:prod::shop::kubernetes:rbac.authorization.k8s.io/v1:RoleBinding::web-config-reader": "k8s:rbac.authorization.k8s.io/RoleBinding",
		"urn:pulumi:prod::shop::aws:iam/role:Role::deployer":                                            "aws:iam/Role",
		"urn:pulumi:prod::shop::aws:iam/policy:Policy::assets-rw":                                       "aws:iam/Policy",
		"urn:pulumi:prod::shop::aws:ecr/repository:Repository::api":                                     "registry:Repository",
		"urn:pulumi:prod::shop::aws:ec2/securityGroup:SecurityGroup::web-sg":                            "aws:ec2/SecurityGroup",
		"urn:pulumi:prod::shop::aws:s3/bucket:Bucket::assets":                                           "aws:s3/Bucket",
		"urn:pulumi:prod::shop::aws:lb/loadBalancer:LoadBalancer::web":                                  "aws:lb/LoadBalancer",
	}
	for id, typ := range want {
		n, ok := byID[id]
		if !ok {
			t.Errorf("no node %s", id)
			continue
		}
		if n.Type != typ {
			t.Errorf("%s: type %s, want %s", id, n.Type, typ)
		}
	}
	dep := byID["urn:pulumi:prod::shop::kubernetes:apps/v1:Deployment::web"]
	if dep.Attrs[normalize.AttrK8sID] != "shop/Deployment/web" {
		t.Errorf("k8s_id = %v", dep.Attrs[normalize.AttrK8sID])
	}
	pa := dep.Attrs[normalize.AttrPulumi].(map[string]any)
	if pa["provider"] != "urn:pulumi:prod::shop::pulumi:providers:kubernetes::prod-cluster" || pa["parent"] != "urn:pulumi:prod::shop::pulumi:pulumi:Stack::shop-prod" {
		t.Errorf("pulumi attrs = %v", pa)
	}
	node := byID["urn:pulumi:prod::shop::aws:iam/role:Role::web-node"]
	am, _ := node.Object["AttachedManagedPolicies"].([]any)
	if len(am) != 1 {
		t.Errorf("attachment not folded into web-node role: %v", node.Object)
	}
	deployer := byID["urn:pulumi:prod::shop::aws:iam/role:Role::deployer"]
	if rp, _ := deployer.Object["RolePolicyList"].([]any); len(rp) != 1 {
		t.Errorf("inline RolePolicy not folded into deployer role: %v", deployer.Object)
	}
	b, _ := json.Marshal(g.Nodes())
	for _, s := range testdataSecrets {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("secret %q kept in the graph", s)
		}
	}
}

// testdataSecrets are the secret and secret-looking values of
// testdata/pulumi/stack.json: none may be kept or printed.
var testdataSecrets = []string{
	"Kube-Secret-Plaintext-0xCAFE", "S3ViZS1TZWNyZXQtUGxhaW50ZXh0LTB4Q0FGRQ==",
	"QmlsbGluZy1DaXBoZXItUHctMHhCRUVG", "Yk9vbGVhbi1rdWJlY29uZmlnLWNpcGhlcnRleHQtbmV2ZXItc2hvd24=",
	"Orders-Plain-Pw-0xDEAD", "Payments-Plain-Token-0xF00D",
}

func TestConformanceCheckpoints(t *testing.T) {
	for _, f := range []string{"checkpoint-v3.json", "checkpoint-v4.json"} {
		t.Run(f, func(t *testing.T) {
			p := repotest.Conformance(t, "pulumi/pkg/resource/stack/testdata/"+f)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !(Handler{}).Match(p, data) {
				t.Fatal("checkpoint not recognised")
			}
			g := graph.New()
			CollectState(f, data, g)
			if errs := g.Errors(); len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			roles, k8s := 0, 0
			for _, n := range g.Nodes() {
				if n.Type == normalize.TypeIAMRole {
					roles++
					if _, ok := n.Object["AssumeRolePolicyDocument"].(map[string]any); !ok {
						t.Errorf("%s: trust policy not parsed from its JSON string", n.ID)
					}
				}
				if graph.IsK8s(n) {
					k8s++
				}
			}
			if roles == 0 || k8s != 0 {
				t.Errorf("roles %d (want > 0), Kubernetes nodes %d (want 0)", roles, k8s)
			}
		})
	}
}

func TestDIYBackend(t *testing.T) {
	dir := t.TempDir()
	state := `{"version":3,"checkpoint":{"stack":"%s","latest":{"resources":` + oneResource + `}}}`
	write := func(rel, content string, gz bool) {
		p := filepath.Join(dir, ".pulumi", "stacks", rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		data := []byte(content)
		if gz {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(data)
			zw.Close()
			data = buf.Bytes()
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("shop/prod.json", strings.Replace(state, "%s", "prod", 1), false)
	write("shop/prod.json.bak", "garbage", false)
	write("shop/dev.json.gz", strings.Replace(state, "%s", "dev", 1), true)
	write("billing/prod.json", `{"version":3,"checkpoint":`, false)

	stacks, err := ListStacks(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range stacks {
		names = append(names, s.FullName())
	}
	if strings.Join(names, ",") != "billing/prod,shop/dev,shop/prod" {
		t.Fatalf("stacks = %v", names)
	}
	tests := []struct {
		name, backend, stack string
		wantNodes            int
		wantErr              string // from Collect
		wantInputErrs        int
	}{
		{"one stack by project/name", dir, "shop/prod", 1, "", 0},
		{"gzip stack via file URL", "file://" + dir, "organization/shop/dev", 1, "", 0},
		{"all stacks; the bad one is an input error", dir, "", 2, "", 1},
		{"ambiguous name", dir, "prod", 0, "ambiguous", 0},
		{"unknown stack lists the others", dir, "nope", 0, "billing/prod, shop/dev, shop/prod", 0},
		{"cloud backend refused", "s3://bucket", "", 0, "only file://", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := graph.New()
			err := Collect(context.Background(), Options{Backend: tc.backend, Stack: tc.stack}, g)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := len(g.Nodes()); n != tc.wantNodes {
				t.Errorf("nodes = %d, want %d", n, tc.wantNodes)
			}
			var errs, warnings []graph.InputError
			for _, e := range g.Errors() {
				if e.Level == graph.LevelWarning {
					warnings = append(warnings, e)
					continue
				}
				errs = append(errs, e)
				if !strings.HasSuffix(e.Source.File, "billing/prod.json") {
					t.Errorf("error does not name the file: %+v", e)
				}
			}
			if len(errs) != tc.wantInputErrs {
				t.Errorf("input errors = %v, want %d", errs, tc.wantInputErrs)
			}
			if tc.stack == "" {
				if len(warnings) != 1 || !strings.Contains(warnings[0].Message, "all 3 stacks of the backend: billing/prod, shop/dev, shop/prod") {
					t.Errorf("want a warning listing the stacks, got %v", warnings)
				}
			} else if len(warnings) != 0 {
				t.Errorf("unexpected warnings %v", warnings)
			}
		})
	}
}

// TestTruncationsNeverPanic cuts the testdata stack at many points: each
// cut is an input error naming the file, never a panic.
func TestTruncationsNeverPanic(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repotest.Root(), "testdata", "pulumi", "stack.json"))
	if err != nil {
		t.Fatal(err)
	}
	for cut := 1; cut < len(data)-2; cut += 997 {
		g := graph.New()
		CollectState("cut.json", data[:cut], g)
		errs := g.Errors()
		if len(errs) != 1 || errs[0].Source.File != "cut.json" {
			t.Fatalf("cut at %d: errors %v", cut, errs)
		}
		for _, s := range testdataSecrets {
			if strings.Contains(errs[0].Message, s) {
				t.Fatalf("cut at %d: error quotes a secret", cut)
			}
		}
	}
}
