package ecr

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/awstest/ecrtest"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/scan"
)

const publicPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"anyone","Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage"]}]}`
const orgPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"org","Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}`

func repos() []ecrtest.Repository {
	base := ecrtest.Repository{RegistryID: "123456789012", Region: "eu-west-1", CreatedAt: 1714644672}
	mk := func(name, mut string, scan bool, policy, lifecycle string) ecrtest.Repository {
		r := base
		r.Name, r.Mutability, r.ScanOnPush, r.PolicyText, r.LifecyclePolicy = name, mut, scan, policy, lifecycle
		return r
	}
	return []ecrtest.Repository{
		mk("shop/api", "MUTABLE", true, publicPolicy, `{"rules":[]}`),
		mk("shop/web", "IMMUTABLE", true, orgPolicy, ""),
		mk("shop/worker", "IMMUTABLE", false, "", ""),
		mk("tools/ci", "IMMUTABLE", true, "", ""),
		mk("tools/debug", "IMMUTABLE", true, "", ""),
	}
}

// client is the real SDK client pointed at the local endpoint.
func client(url string) *ecr.Client {
	return ecr.New(ecr.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "not-a-secret", ""),
	})
}

var (
	engineOnce sync.Once
	engine     *policies.Engine
	engineErr  error
)

func findings(t *testing.T, g *graph.Graph, ruleIDs ...string) []finding.Finding {
	t.Helper()
	engineOnce.Do(func() { engine, engineErr = policies.Load(context.Background(), policies.Options{}) })
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	rules, err := scan.SelectRules(engine.Rules(), ruleIDs, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := scan.Evaluate(context.Background(), engine, g, rules)
	if err != nil {
		t.Fatal(err)
	}
	return rep.Findings
}

func resources(fs []finding.Finding, rule string) []string {
	var out []string
	for _, f := range fs {
		if f.RuleID == rule {
			out = append(out, f.Resource)
		}
	}
	sort.Strings(out)
	return out
}

func TestLiveECR(t *testing.T) {
	const uri = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/"
	tests := []struct {
		name      string
		pageSize  int
		deny      map[string]bool
		denyRepo  string
		wantErr   string
		wantNodes int
		wantPages int
		wantWarn  string
		public    []string
	}{
		{name: "one page", pageSize: 100, wantNodes: 5, wantPages: 1, public: []string{uri + "shop/api"}},
		{name: "paginated by nextToken", pageSize: 2, wantNodes: 5, wantPages: 3, public: []string{uri + "shop/api"}},
		{name: "listing denied", pageSize: 2, deny: map[string]bool{"DescribeRepositories": true}, wantErr: "AccessDeniedException", wantPages: 1},
		{name: "one policy denied", pageSize: 2, deny: map[string]bool{"GetRepositoryPolicy": true}, denyRepo: "shop/api", wantNodes: 5, wantPages: 3,
			wantWarn: "GetRepositoryPolicy: access denied (AccessDeniedException): the credentials lack this ECR permission; registry/public-repository not evaluated for it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ecrtest.New(repos())
			defer srv.Close()
			srv.PageSize = tt.pageSize
			if tt.deny != nil {
				srv.Deny, srv.DenyRepo = tt.deny, tt.denyRepo
			}
			g := graph.New()
			err := Collect(context.Background(), client(srv.URL), g)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("want error with %q, got %v", tt.wantErr, err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if got := srv.Calls("DescribeRepositories"); got != tt.wantPages {
				t.Errorf("DescribeRepositories calls = %d, want %d", got, tt.wantPages)
			}
			if srv.Unsigned() != 0 {
				t.Errorf("%d requests were not SigV4-signed", srv.Unsigned())
			}
			if g.Len() != tt.wantNodes {
				t.Fatalf("nodes = %d, want %d", g.Len(), tt.wantNodes)
			}
			var warns []string
			for _, e := range g.Errors() {
				warns = append(warns, e.Error())
			}
			if tt.wantWarn != "" && (len(warns) != 1 || !strings.Contains(warns[0], tt.wantWarn) || !strings.Contains(warns[0], uri+"shop/api")) {
				t.Errorf("warnings = %q, want one naming shop/api with %q", warns, tt.wantWarn)
			}
			if tt.wantWarn == "" && len(warns) > 0 {
				t.Errorf("unexpected warnings %q", warns)
			}
			if tt.wantErr != "" {
				return
			}
			n, ok := g.Node(uri + "shop/api")
			if !ok {
				t.Fatal("shop/api node missing")
			}
			if n.Object["imageTagMutability"] != "MUTABLE" || n.Object["lifecyclePolicy"] != true || n.Object["createdAt"] != "2024-05-02T10:11:12Z" {
				t.Errorf("shop/api object = %v", n.Object)
			}
			fs := findings(t, g, "registry/*")
			if got := resources(fs, "registry/public-repository"); strings.Join(got, ",") != strings.Join(tt.public, ",") && tt.wantWarn == "" {
				t.Errorf("public-repository on %v, want %v", got, tt.public)
			}
			if tt.wantWarn != "" && len(resources(fs, "registry/public-repository")) != 0 {
				t.Error("public-repository fired on a policy that could not be read")
			}
			if got := resources(fs, "registry/mutable-tags"); len(got) != 1 || got[0] != uri+"shop/api" {
				t.Errorf("mutable-tags on %v", got)
			}
			if got := resources(fs, "registry/scan-on-push-disabled"); len(got) != 1 || got[0] != uri+"shop/worker" {
				t.Errorf("scan-on-push-disabled on %v", got)
			}
		})
	}
}

// A workload pulling an ECR image by tag links to the ECR repository node
// (same <host>/<repo> identity) and is named by registry/mutable-tags.
func TestImageLinksToECRRepository(t *testing.T) {
	srv := ecrtest.New(repos())
	defer srv.Close()
	g := graph.New()
	if err := Collect(context.Background(), client(srv.URL), g); err != nil {
		t.Fatal(err)
	}
	g.AddNode(graph.NewK8sNode(map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "api", "namespace": "shop"},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{
			map[string]any{"name": "app", "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:1.4"},
		}}}},
	}, graph.Source{Kind: graph.SourceFile, File: "deploy.yaml", Line: 1}, ""))
	fs := findings(t, g, "registry/mutable-tags")
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "pulled by tag by Deployment shop/api") {
		t.Fatalf("findings: %+v", fs)
	}
	var repos int
	for _, n := range g.Nodes() {
		if n.Type == "registry:Repository" && strings.HasSuffix(n.ID, "shop/api") {
			repos++
		}
	}
	if repos != 1 {
		t.Errorf("%d repository nodes for shop/api, want 1 (the ECR one)", repos)
	}
}

func TestOffline(t *testing.T) {
	dir := filepath.Join("..", "..", "policies", "rules", "registry", "testdata", "public_repository")
	tests := []struct {
		file       string
		data       string
		wantPublic int
		wantErr    string
	}{
		{file: filepath.Join(dir, "failure.star-principal.json"), wantPublic: 1},
		{file: filepath.Join(dir, "success.account-principal.json"), wantPublic: 0},
		{file: "policy.json", data: `{"registryId": "123456789012", "repositoryName": "shop/api", "policyText": ` + quote(publicPolicy) + `}`, wantPublic: 0},
		{file: "broken.json", data: "{\n  \"repositories\": [\n    {\"repositoryArn\": \"arn:aws:ecr:eu-west-1:1:repository/x\",\n     \"repositoryUri\": }\n  ]\n}\n", wantErr: "broken.json:4: not a valid aws ecr JSON document"},
		{file: "nouri.json", data: "{\n \"repositories\": [\n  {\"repositoryArn\": \"arn:aws:ecr:eu-west-1:1:repository/x\"}\n ]\n}\n", wantErr: "nouri.json:3: repositories[0]: repositoryUri and repositoryName are required"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			data := []byte(tt.data)
			if tt.data == "" {
				var err error
				if data, err = os.ReadFile(tt.file); err != nil {
					t.Fatal(err)
				}
			}
			if !(Handler{}).Match(tt.file, data) {
				t.Fatal("not recognised by content")
			}
			g := graph.New()
			if err := (Handler{}).Collect(context.Background(), tt.file, data, g); err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" {
				errs := g.Errors()
				if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.wantErr) {
					t.Fatalf("errors %v, want %q", errs, tt.wantErr)
				}
				return
			}
			if len(g.Errors()) != 0 {
				t.Fatalf("errors: %v", g.Errors())
			}
			if got := len(resources(findings(t, g, "registry/public-repository"), "registry/public-repository")); got != tt.wantPublic {
				t.Errorf("public-repository findings = %d, want %d", got, tt.wantPublic)
			}
		})
	}
	// Not ECR: other JSON is left to other handlers.
	for _, s := range []string{`{"version": 3, "deployment": {}}`, `{"UserDetailList": []}`, `[{"repositories": []}]`} {
		if (Handler{}).Match("x.json", []byte(s)) {
			t.Errorf("claimed %s", s)
		}
	}
}

// A separate get-repository-policy file joins its repository by name.
func TestOfflinePolicyFileJoinsRepository(t *testing.T) {
	repo := `{"repositories": [{"repositoryArn": "arn:aws:ecr:eu-west-1:123456789012:repository/shop/api", "registryId": "123456789012", "repositoryName": "shop/api", "repositoryUri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api", "imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": {"scanOnPush": true}}]}`
	pol := `{"registryId": "123456789012", "repositoryName": "shop/api", "policyText": ` + quote(publicPolicy) + `}`
	g := graph.New()
	for name, data := range map[string]string{"repos.json": repo, "policy.json": pol} {
		if err := (Handler{}).Collect(context.Background(), name, []byte(data), g); err != nil {
			t.Fatal(err)
		}
	}
	got := resources(findings(t, g, "registry/public-repository"), "registry/public-repository")
	if len(got) != 1 || got[0] != "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api" {
		t.Errorf("public-repository on %v", got)
	}
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

func TestKeychain(t *testing.T) {
	srv := ecrtest.New(repos())
	defer srv.Close()
	srv.AuthToken = "ecr-registry-password"
	kc := Keychain(context.Background(), func(region string) AuthAPI {
		if region != "eu-west-1" {
			t.Errorf("client asked for region %s", region)
		}
		return client(srv.URL)
	})
	resolve := func(ref string) (authn.Authenticator, error) {
		r, err := name.ParseReference(ref)
		if err != nil {
			t.Fatal(err)
		}
		return kc.Resolve(r.Context())
	}
	for i := 0; i < 2; i++ {
		a, err := resolve("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:1")
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := a.Authorization()
		if err != nil || cfg.Username != "AWS" || cfg.Password != "ecr-registry-password" {
			t.Fatalf("auth %+v, %v", cfg, err)
		}
	}
	if n := srv.Calls("GetAuthorizationToken"); n != 1 {
		t.Errorf("GetAuthorizationToken calls = %d, want 1 (cached per account and region)", n)
	}
	if a, err := resolve("ghcr.io/org/app:1"); err != nil || a != authn.Anonymous {
		t.Errorf("non-ECR registry: %v, %v", a, err)
	}
	srv.Deny = map[string]bool{"GetAuthorizationToken": true}
	_, err := resolve("210987654321.dkr.ecr.eu-west-1.amazonaws.com/x:1")
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") || !strings.Contains(err.Error(), "210987654321") {
		t.Errorf("denied: %v", err)
	}
}
