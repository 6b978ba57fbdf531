package iam

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/awstest"
	"github.com/kscan-io/kscan/internal/repotest"
)

// awsEnv points the real SDK at the local endpoint with static test
// credentials and no shared config, IMDS or other endpoints.
func awsEnv(t *testing.T, url string) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "AKIDKSCANTEST",
		"AWS_SECRET_ACCESS_KEY":       "kscan-test-secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  "us-east-1",
		"AWS_DEFAULT_REGION":          "",
		"AWS_PROFILE":                 "",
		"AWS_ENDPOINT_URL":            "",
		"AWS_ENDPOINT_URL_IAM":        url,
		"AWS_ENDPOINT_URL_EKS":        url,
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
}

func fixture(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repotest.Root(), "testdata", "iam", "auth-details.json"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func newServer(t *testing.T) *awstest.Server {
	t.Helper()
	s, err := awstest.New(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

var testOpts = LiveOptions{MaxBackoff: 50 * time.Millisecond, RequestTimeout: 10 * time.Second}

// objects renders every IAM node's Object by ID, for comparing sources.
func objects(t *testing.T, g *graph.Graph) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range g.Nodes() {
		if !strings.HasPrefix(n.Type, "aws:iam/") {
			continue
		}
		b, err := json.Marshal(n.Object)
		if err != nil {
			t.Fatal(err)
		}
		out[n.Type+" "+n.ID] = string(b)
	}
	return out
}

// TestLiveMatchesOffline drives the real SDK client (default credential
// chain, AWS_ENDPOINT_URL_IAM, GetAccountAuthorizationDetails paginator)
// against the local IAM endpoint, which pages two entries at a time,
// URL-encodes the documents and throttles the first request: the nodes
// must equal those read offline from the same authorization details.
func TestLiveMatchesOffline(t *testing.T) {
	srv := newServer(t)
	srv.Throttle = 1
	awsEnv(t, srv.URL)

	live := graph.New()
	var progress bytes.Buffer
	opts := testOpts
	opts.Progress = &progress
	if err := CollectLive(context.Background(), opts, live); err != nil {
		t.Fatal(err)
	}
	if errs := live.Errors(); len(errs) > 0 {
		t.Fatalf("live collection errors: %v", errs)
	}
	// The progress line is rewritten once per page (9 pages) and ends with
	// the totals of what was read.
	counts := map[string]int{}
	for _, n := range live.Nodes() {
		counts[n.Type]++
	}
	updates := strings.Split(strings.TrimSuffix(progress.String(), "\n"), "\r")
	last := fmt.Sprintf("IAM: %d users, %d groups, %d roles, %d policies", counts[TypeUser], counts[TypeGroup], counts[TypeRole], counts[TypePolicy])
	if len(updates) != 10 || updates[len(updates)-1] != last || !strings.HasSuffix(progress.String(), "\n") {
		t.Errorf("progress = %q, want 9 updates ending with %q and a newline", progress.String(), last)
	}
	offline := graph.New()
	if err := (Handler{}).Collect(context.Background(), "auth-details.json", fixture(t), offline); err != nil {
		t.Fatal(err)
	}
	lo, oo := objects(t, live), objects(t, offline)
	if len(oo) != 18 {
		t.Fatalf("offline: %d IAM nodes, want 18", len(oo))
	}
	for k, want := range oo {
		if got := lo[k]; got != want {
			t.Errorf("%s differs:\n live    %s\n offline %s", k, got, want)
		}
	}
	for k := range lo {
		if _, ok := oo[k]; !ok {
			t.Errorf("%s only in the live graph", k)
		}
	}
	// 18 entries at 2 per page is 9 pages, plus the throttled request the
	// SDK retried.
	if got := srv.Requests("GetAccountAuthorizationDetails"); got != 10 {
		t.Errorf("GetAccountAuthorizationDetails requests = %d, want 10 (9 pages + 1 retry)", got)
	}
	if srv.Unsigned() != 0 {
		t.Errorf("%d requests were not SigV4-signed", srv.Unsigned())
	}
	for _, n := range live.Nodes() {
		if n.Source.Kind != graph.SourceAWS {
			t.Errorf("%s: source %v, want aws", n.ID, n.Source)
		}
	}
}

func TestLiveAccessDenied(t *testing.T) {
	tests := []struct {
		name, deny, want string
		wantNodes        bool
	}{
		{"authorization details", "GetAccountAuthorizationDetails", "iam:GetAccountAuthorizationDetails", false},
		{"credential report", "GenerateCredentialReport", "iam:GenerateCredentialReport", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Deny[tc.deny] = true
			awsEnv(t, srv.URL)
			g := graph.New()
			opts := testOpts
			opts.CredentialReport = true
			if err := CollectLive(context.Background(), opts, g); err != nil {
				t.Fatal(err)
			}
			errs := g.Errors()
			if len(errs) != 1 || errs[0].Level != graph.LevelError || !strings.Contains(errs[0].Message, "access denied") ||
				!strings.Contains(errs[0].Message, tc.want) {
				t.Fatalf("errors = %v, want one access-denied error naming %s", errs, tc.want)
			}
			if strings.Contains(errs[0].Message, "kscan-test-secret") {
				t.Error("error message contains the secret key")
			}
			if got := g.Len() > 0; got != tc.wantNodes {
				t.Errorf("nodes collected = %v, want %v", got, tc.wantNodes)
			}
			// AccessDenied is not retried.
			if got := srv.Requests(tc.deny); got != 1 {
				t.Errorf("%s requests = %d, want 1", tc.deny, got)
			}
		})
	}
}

func TestLiveCredentialReport(t *testing.T) {
	srv := newServer(t)
	srv.CredentialReport = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n" +
		"alice,arn:aws:iam::111122223333:user/alice,2025-03-09T10:41:45+00:00,true,2026-10-30T08:00:00+00:00,2025-03-09T10:41:45+00:00,N/A,false,true,2026-01-15T09:00:00+00:00,2026-10-31T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
		"bob,arn:aws:iam::111122223333:user/bob,2025-03-09T10:41:45+00:00,true,2026-10-30T08:00:00+00:00,2025-03-09T10:41:45+00:00,N/A,true,true,2026-10-15T09:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
	awsEnv(t, srv.URL)
	g := graph.New()
	opts := testOpts
	opts.CredentialReport = true
	if err := CollectLive(context.Background(), opts, g); err != nil {
		t.Fatal(err)
	}
	if errs := g.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	alice, _ := g.Node("arn:aws:iam::111122223333:user/alice")
	cr, _ := alice.Object["CredentialReport"].(map[string]any)
	if cr["mfa_active"] != "false" || cr["password_enabled"] != "true" || cr["generated_time"] != "2026-11-01T12:00:00Z" {
		t.Errorf("alice's credential report = %v", cr)
	}
	carol, _ := g.Node("arn:aws:iam::111122223333:user/carol")
	if _, ok := carol.Object["CredentialReport"]; ok {
		t.Error("carol is not in the report but got a CredentialReport")
	}
}

func TestLiveEKSPodIdentity(t *testing.T) {
	srv := newServer(t)
	srv.Clusters["prod-eu"] = "https://oidc.eks.eu-west-1.amazonaws.com/id/5C0FFEE5C0FFEE5C0FFEE5C0FFEE5C0F"
	for i, sa := range []string{"api", "web"} {
		id := "a-000000000000000" + string(rune('1'+i))
		srv.Associations = append(srv.Associations, map[string]any{
			"clusterName": "prod-eu", "namespace": "shop", "serviceAccount": sa, "associationId": id,
			"associationArn": "arn:aws:eks:eu-west-1:111122223333:podidentityassociation/prod-eu/" + id,
			"roleArn":        "arn:aws:iam::111122223333:role/api-deployer",
		})
	}
	awsEnv(t, srv.URL)
	g := graph.New()
	opts := testOpts
	opts.EKSCluster = "prod-eu"
	if err := CollectLive(context.Background(), opts, g); err != nil {
		t.Fatal(err)
	}
	if errs := g.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	var assocs []string
	issuer := ""
	for _, n := range g.Nodes() {
		switch n.Type {
		case TypePodIdentityAssociation:
			assocs = append(assocs, n.Object["namespace"].(string)+"/"+n.Object["serviceAccount"].(string)+"="+n.Object["roleArn"].(string))
		case TypeEKSCluster:
			issuer = n.Object["identity"].(map[string]any)["oidc"].(map[string]any)["issuer"].(string)
		}
	}
	want := "shop/api=arn:aws:iam::111122223333:role/api-deployer,shop/web=arn:aws:iam::111122223333:role/api-deployer"
	if strings.Join(assocs, ",") != want {
		t.Errorf("associations = %v, want %s", assocs, want)
	}
	if issuer != srv.Clusters["prod-eu"] {
		t.Errorf("issuer = %q", issuer)
	}
	// Two associations, one per page: two list calls, two describes.
	if srv.Requests("eks:ListPodIdentityAssociations") != 2 || srv.Requests("eks:DescribePodIdentityAssociation") != 2 {
		t.Errorf("EKS calls: list %d, describe %d; want 2 and 2", srv.Requests("eks:ListPodIdentityAssociations"), srv.Requests("eks:DescribePodIdentityAssociation"))
	}
}

// TestLiveProfile checks --aws-profile: the profile's keys sign the
// requests and its region is used.
func TestLiveProfile(t *testing.T) {
	srv := newServer(t)
	awsEnv(t, srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_REGION", "")
	if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[profile scanner]\nregion = eu-central-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), []byte("[scanner]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := graph.New()
	opts := testOpts
	opts.Profile = "scanner"
	if err := CollectLive(context.Background(), opts, g); err != nil {
		t.Fatal(err)
	}
	if errs := g.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	if c := srv.Credential(); !strings.HasPrefix(c, "AKIDPROFILE/") || !strings.Contains(c, "/eu-central-1/iam/") {
		t.Errorf("credential scope = %q, want the profile's key and region", c)
	}
	// --aws-region overrides the profile's region.
	opts.Region = "ap-south-1"
	if err := CollectLive(context.Background(), opts, graph.New()); err != nil {
		t.Fatal(err)
	}
	if c := srv.Credential(); !strings.HasPrefix(c, "AKIDPROFILE/") || !strings.Contains(c, "/ap-south-1/iam/") {
		t.Errorf("credential scope = %q, want the --aws-region region", c)
	}
}
