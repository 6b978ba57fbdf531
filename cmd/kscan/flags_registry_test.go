package main

import (
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kscan-io/kscan/internal/awstest/ecrtest"
)

// kscan scan --registry against a real registry on loopback: registry
// findings, the resolved digest in k8s/image-not-pinned's input, and the
// failure contract (warning + SARIF notification naming the rules not
// evaluated; exit 2 only with --strict).
func TestScanWithRegistry(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials of the machine
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	img, _ := random.Image(64, 1)
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", "amd64", v1.Time{Time: time.Now().Add(-400 * 24 * time.Hour)}
	img, _ = mutate.ConfigFile(img, cf)
	ref, _ := name.ParseReference(host + "/shop/api:1.4")
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	down := l.Addr().String()
	l.Close()

	deploy := func(image string) string {
		return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: " + image + "\n"
	}
	tests := []struct {
		name     string
		image    string
		args     []string
		wantCode int
		want     []string // substrings of the SARIF output
		notWant  []string
	}{
		{name: "online", image: host + "/shop/api:1.4", args: []string{"--registry"}, wantCode: 0,
			want: []string{`"ruleId": "registry/stale-image"`, "older than the maximum age of 365 days"}},
		{name: "max age", image: host + "/shop/api:1.4", args: []string{"--registry", "--max-image-age", "500d"}, wantCode: 0,
			notWant: []string{`"ruleId": "registry/stale-image"`}},
		{name: "missing tag", image: host + "/shop/api:9", args: []string{"--registry"}, wantCode: 0,
			want: []string{`"ruleId": "registry/image-unresolvable"`}},
		{name: "not in allow-list", image: host + "/shop/api:1.4", args: []string{"--registry", "--allowed-registries", "ghcr.io,quay.io/org/*"}, wantCode: 0,
			want: []string{`"ruleId": "registry/untrusted-registry"`}, notWant: []string{`"ruleId": "registry/stale-image"`}},
		{name: "offline", image: host + "/shop/api:1.4", args: []string{"--registry", "--registry-offline"}, wantCode: 0,
			notWant: []string{`"ruleId": "registry/stale-image"`, "not evaluated"}},
		{name: "unreachable is a warning", image: down + "/shop/api:1", args: []string{"--registry"}, wantCode: 0,
			want: []string{"toolExecutionNotifications", "registry " + down + ": unreachable", "registry/tag-drift were not evaluated", `"level": "warning"`}},
		{name: "unreachable with --strict", image: down + "/shop/api:1", args: []string{"--registry", "--strict"}, wantCode: 2,
			want: []string{"registry " + down + ": unreachable", `"level": "error"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fixture(t, map[string]string{"k8s/api.yaml": deploy(tt.image)})
			args := append([]string{"scan", "--format", "sarif", "--fail-on", "high", "--rules", "registry/*", "k8s"}, tt.args...)
			code, out, errOut := kscan(t, dir, "", args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s", code, tt.wantCode, errOut)
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("SARIF lacks %q", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("SARIF has %q", w)
				}
			}
		})
	}
}

func TestScanRegistryFlagErrors(t *testing.T) {
	dir := fixture(t, map[string]string{"k8s/cm.yaml": clean})
	for _, args := range [][]string{
		{"--max-image-age", "1y"},
		{"--registry-concurrency", "0"},
		{"--ecr-region", "eu-west-1"},
	} {
		code, _, errOut := kscan(t, dir, "", append([]string{"scan", "k8s"}, args...)...)
		if code != 2 || !strings.Contains(errOut, args[0]) {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}
}

// kscan scan --ecr with the real SDK against the local ECR endpoint
// (AWS_ENDPOINT_URL_ECR), paginated; an access-denied listing is exit 2.
func TestScanWithECR(t *testing.T) {
	repo := func(name, mut string, scan bool) ecrtest.Repository {
		return ecrtest.Repository{Name: name, RegistryID: "123456789012", Region: "eu-west-1", Mutability: mut, ScanOnPush: scan, CreatedAt: 1714644672}
	}
	srv := ecrtest.New([]ecrtest.Repository{repo("shop/api", "MUTABLE", true), repo("shop/web", "IMMUTABLE", false), repo("shop/ok", "IMMUTABLE", true)})
	defer srv.Close()
	srv.PageSize = 1
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_ECR": srv.URL, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "not-a-secret",
		"AWS_REGION": "eu-west-1", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	dir := fixture(t, map[string]string{"k8s/api.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:1.4\n"})
	code, out, errOut := kscan(t, dir, "", "scan", "--ecr", "--format", "json", "--fail-on", "none", "--rules", "registry/*", "k8s")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, w := range []string{
		`"ruleId": "registry/mutable-tags"`,
		"pulled by tag by Deployment shop/api",
		`"ruleId": "registry/scan-on-push-disabled"`,
		`"resource": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web"`,
	} {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %q", w)
		}
	}
	if srv.Calls("DescribeRepositories") != 3 {
		t.Errorf("DescribeRepositories calls %d, want 3 pages", srv.Calls("DescribeRepositories"))
	}
	srv.Deny = map[string]bool{"DescribeRepositories": true}
	code, _, errOut = kscan(t, dir, "", "scan", "--ecr", "--format", "json", "--fail-on", "none", "k8s")
	if code != 2 || !strings.Contains(errOut, "AccessDeniedException") {
		t.Errorf("denied listing: exit %d, stderr %q", code, errOut)
	}
}
