package pulumi_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/collectors/pulumi"
	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/repotest"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/report"
	"github.com/kscan-io/kscan/scan"
)

var engine *policies.Engine

func loadEngine(t *testing.T) *policies.Engine {
	t.Helper()
	if engine == nil {
		e, err := policies.Load(context.Background(), policies.Options{})
		if err != nil {
			t.Fatal(err)
		}
		engine = e
	}
	return engine
}

const stackFile = "testdata/pulumi/stack.json"

// stateCollector reads state files named relative to the repository root.
func stateCollector(t *testing.T, files ...string) scan.Collector {
	return scan.CollectorFunc{N: "pulumi-state", F: func(ctx context.Context, g *graph.Graph) error {
		for _, f := range files {
			name := f
			if !filepath.IsAbs(f) {
				f = filepath.Join(repotest.Root(), f)
			}
			if err := pulumi.CollectFile(ctx, f, name, g); err != nil {
				return err
			}
		}
		return nil
	}}
}

// liveCollector adds testdata/pulumi/live.yaml as live-cluster objects, as
// the cluster collector would (same node constructor, cluster source).
func liveCollector(t *testing.T) scan.Collector {
	return scan.CollectorFunc{N: "cluster", F: func(ctx context.Context, g *graph.Graph) error {
		data, err := os.ReadFile(filepath.Join(repotest.Root(), "testdata", "pulumi", "live.yaml"))
		if err != nil {
			return err
		}
		manifest.ParseInto(data, graph.Source{Kind: graph.SourceCluster, Cluster: "kind-shop"}, "", g)
		return nil
	}}
}

func run(t *testing.T, cs ...scan.Collector) *finding.Report {
	t.Helper()
	res, err := scan.Run(context.Background(), scan.Options{Engine: loadEngine(t), Collectors: cs, ToolName: "kscan", ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return res.Report
}

func byRule(rep *finding.Report) map[string][]string {
	out := map[string][]string{}
	for _, f := range rep.Findings {
		out[f.RuleID] = append(out[f.RuleID], f.Resource+" | "+f.Message)
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

const urnPrefix = "urn:pulumi:prod::shop::"

// TestEveryRuleRow scans the testdata stack with its live objects and checks
// each rule of the Pulumi table fires exactly where it should.
func TestEveryRuleRow(t *testing.T) {
	rep := run(t, stateCollector(t, stackFile), liveCollector(t))
	for _, n := range rep.Notifications {
		if n.Level == "error" {
			t.Errorf("notification: %+v", n)
		}
	}
	got := byRule(rep)
	want := map[string][]string{
		"aws/security-group-open-ingress": {
			urnPrefix + "aws:ec2/securityGroup:SecurityGroup::web-sg | ingress rule 1 allows port 22/tcp from 0.0.0.0/0",
			urnPrefix + "aws:ec2/securityGroupRule:SecurityGroupRule::db-from-anywhere | ingress rule 0 allows port 5432/tcp from 0.0.0.0/0",
		},
		"aws/public-s3-bucket": {
			urnPrefix + `aws:s3/bucket:Bucket::assets | bucket "shop-assets-prod-7f3a" has the public ACL "public-read" and no public-access block ignoring it`,
		},
		"aws/internet-facing-lb": {
			urnPrefix + `aws:lb/loadBalancer:LoadBalancer::web | load balancer "web-4c1d" is internet-facing (internal is not true)`,
		},
		"registry/mutable-tags": {
			urnPrefix + `aws:ecr/repository:Repository::api | repository "shop/api" has imageTagMutability MUTABLE: pushed tags can be overwritten`,
		},
		"registry/scan-on-push-disabled": {
			urnPrefix + `aws:ecr/repository:Repository::api | repository "shop/api" does not scan images on push`,
		},
		"pulumi/plaintext-secret": {
			urnPrefix + `aws:rds/instance:Instance::orders | input "password" holds a plain value where a secret is expected; make it a Pulumi secret`,
			urnPrefix + `kubernetes:core/v1:Secret::payments-api | input "stringData.apiToken" holds a plain value where a secret is expected; make it a Pulumi secret`,
		},
		"pulumi/drift": {
			urnPrefix + "kubernetes:apps/v1:Deployment::web | live object shop/Deployment/web differs from the stack in: metadata.labels.team, spec.replicas",
			urnPrefix + "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding::web-config-reader | live object shop/RoleBinding/web-config-reader differs from the stack in: subjects[0]",
		},
		"pulumi/unmanaged": {
			"shop/ConfigMap/legacy-settings | shop/ConfigMap/legacy-settings is labelled app.kubernetes.io/managed-by=pulumi but no scanned stack declares it",
		},
	}
	for id, w := range want {
		if strings.Join(got[id], "\n") != strings.Join(w, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", id, got[id], w)
		}
	}
	// The IAM rule is shared with the IAM collector: it must fire on the
	// normalised role once it exists.
	if _, ok := loadEngine(t).Rule("iam/wildcard-trust"); ok {
		found := false
		for _, f := range rep.Findings {
			if f.RuleID == "iam/wildcard-trust" && f.Resource == urnPrefix+"aws:iam/role:Role::deployer" {
				found = true
			}
			if f.RuleID == "iam/wildcard-trust" && f.Resource == urnPrefix+"aws:iam/role:Role::web-node" {
				t.Errorf("iam/wildcard-trust fired on the EC2-service role: %s", f.Message)
			}
		}
		if !found {
			t.Errorf("iam/wildcard-trust did not fire on the deployer role (Principal AWS \"*\"); findings: %v", got["iam/wildcard-trust"])
		}
	} else {
		t.Log("iam/wildcard-trust is not defined yet; not checked")
	}
	// Findings on state resources carry the state file and the URN.
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.Resource, "urn:pulumi:") && (f.Location.File != stackFile || f.Location.URN != f.Resource || f.Location.Kind != "pulumi-state") {
			t.Errorf("%s on %s: location %+v", f.RuleID, f.Resource, f.Location)
		}
	}
	sarif, err := report.BuildSARIF(rep, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range sarif.Runs[0].Results {
		for _, l := range r.Locations {
			for _, ll := range l.LogicalLocations {
				if ll.FullyQualifiedName != nil && strings.HasPrefix(*ll.FullyQualifiedName, urnPrefix) {
					n++
					if u := l.PhysicalLocation.ArtifactLocation.URI; u == nil || *u != filepath.ToSlash(stackFile) {
						t.Errorf("SARIF physical location of %s is %v", *ll.FullyQualifiedName, u)
					}
				}
			}
		}
	}
	if n == 0 {
		t.Error("no SARIF result has a URN as fullyQualifiedName")
	}
}

// TestUntouchedNoDrift: the declared objects against live objects that only
// carry server defaults show no drift.
func TestUntouchedNoDrift(t *testing.T) {
	live := scan.CollectorFunc{N: "cluster", F: func(ctx context.Context, g *graph.Graph) error {
		data, err := os.ReadFile(filepath.Join(repotest.Root(), "testdata", "pulumi", "live.yaml"))
		if err != nil {
			return err
		}
		s := string(data)
		for _, r := range [][2]string{{"replicas: 3\n  revisionHistoryLimit", "replicas: 2\n  revisionHistoryLimit"}, {"team: platform", "team: storefront"}, {"name: debug-shell", "name: web"}} {
			if !strings.Contains(s, r[0]) {
				t.Fatalf("live.yaml has no %q", r[0])
			}
			s = strings.Replace(s, r[0], r[1], 1)
		}
		manifest.ParseInto([]byte(s), graph.Source{Kind: graph.SourceCluster, Cluster: "kind-shop"}, "", g)
		return nil
	}}
	rep := run(t, stateCollector(t, stackFile), live)
	if d := byRule(rep)["pulumi/drift"]; len(d) > 0 {
		t.Errorf("drift on untouched objects: %q", d)
	}
}

func allSecrets(t *testing.T) []string {
	return []string{
		// testdata/pulumi/stack.json: ciphertexts, decrypted plaintexts and plain secrets
		"Kube-Secret-Plaintext-0xCAFE", "S3ViZS1TZWNyZXQtUGxhaW50ZXh0LTB4Q0FGRQ==",
		"QmlsbGluZy1DaXBoZXItUHctMHhCRUVG", "Yk9vbGVhbi1rdWJlY29uZmlnLWNpcGhlcnRleHQtbmV2ZXItc2hvd24=",
		"Orders-Plain-Pw-0xDEAD", "Payments-Plain-Token-0xF00D",
		// the EKS export's Secret (a "plaintext" envelope)
		"MnJ9U3hCcHluPz9BPiY9N3U+Q0UwODwoTn19ZjRAc1U=",
	}
}

// TestNoSecretInReports renders the scan of the testdata stack (and the
// EKS export) in every format and looks for every secret.
func TestNoSecretInReports(t *testing.T) {
	files := []string{stackFile, repotest.Conformance(t, "pulumi-eks/tests/testdata/recorded/TestProviderUpgrade/encryption-provider/3.0.0/stack.json")}
	rep := run(t, stateCollector(t, files...), liveCollector(t))
	if len(rep.Findings) == 0 {
		t.Fatal("no findings: the test would prove nothing")
	}
	for _, format := range report.Formats() {
		var buf bytes.Buffer
		if err := report.Write(&buf, format, rep, report.Options{}); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		for _, s := range allSecrets(t) {
			if bytes.Contains(buf.Bytes(), []byte(s)) {
				t.Errorf("format %s prints secret %q", format, s)
			}
		}
	}
}

// TestDeterministic: two scans of the same input render byte-identical
// reports in every format.
func TestDeterministic(t *testing.T) {
	render := func() map[string]string {
		rep := run(t, stateCollector(t, stackFile), liveCollector(t))
		out := map[string]string{}
		for _, f := range report.Formats() {
			var buf bytes.Buffer
			if err := report.Write(&buf, f, rep, report.Options{}); err != nil {
				t.Fatal(err)
			}
			out[f] = buf.String()
		}
		return out
	}
	a, b := render(), render()
	for f := range a {
		if a[f] != b[f] {
			t.Errorf("format %s differs between runs", f)
		}
	}
}

// TestBadStateStillScans: a broken state is an error naming the file (exit
// 2) and the good one is still scanned.
func TestBadStateStillScans(t *testing.T) {
	dir := t.TempDir()
	bad := []struct{ name, content, want string }{
		{"truncated.json", `{"version":3,"deployment":{"resources":[`, "truncated"},
		{"v2.json", `{"version":2,"deployment":{}}`, "unsupported deployment version 2"},
		{"encrypted.json", "-----BEGIN AGE ENCRYPTED FILE-----\nYQ==\n-----END AGE ENCRYPTED FILE-----\n", "encrypted as a whole"},
		{"text.json", "this is not json", "invalid JSON"},
	}
	var files []string
	for _, b := range bad {
		p := filepath.Join(dir, b.name)
		if err := os.WriteFile(p, []byte(b.content), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	rep := run(t, stateCollector(t, append(files, stackFile)...))
	if code := scan.ExitCode(rep, "high", false); code != scan.ExitIncomplete {
		t.Errorf("exit code %d, want %d", code, scan.ExitIncomplete)
	}
	for _, b := range bad {
		found := false
		for _, n := range rep.Notifications {
			if n.Level == "error" && strings.HasSuffix(n.Location.File, b.name) && strings.Contains(n.Message, b.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no error naming %s with %q in %+v", b.name, b.want, rep.Notifications)
		}
	}
	if len(byRule(rep)["aws/public-s3-bucket"]) != 1 {
		t.Error("the good state was not scanned")
	}
}

// TestEKSConformance: the real EKS stack exports give the workload findings
// on the URN-identified Pods and Deployment.
func TestEKSConformance(t *testing.T) {
	c := filepath.Dir(repotest.Conformance(t, "pulumi-eks"))
	base := filepath.Join(c, "pulumi-eks", "tests", "testdata", "recorded", "TestProviderUpgrade")
	rep := run(t, stateCollector(t, filepath.Join(base, "oidc-iam-sa", "3.0.0", "stack.json"), filepath.Join(base, "encryption-provider", "3.0.0", "stack.json")))
	for _, n := range rep.Notifications {
		if n.Level == "error" {
			t.Errorf("notification: %+v", n)
		}
	}
	workloads := []string{
		"urn:pulumi:test::example-oidc-iam-sa::kubernetes:core/v1:Pod::s3",
		"urn:pulumi:test::encryption-provider::kubernetes:apps/v1:Deployment::nginx",
	}
	rules := []string{"k8s/image-tag-latest"}
	if _, ok := loadEngine(t).Rule("k8s/missing-resource-limits"); ok {
		rules = append(rules, "k8s/missing-resource-limits")
	}
	has := map[string]bool{}
	for _, f := range rep.Findings {
		has[f.RuleID+"|"+f.Resource] = true
	}
	for _, r := range rules {
		for _, w := range workloads {
			if !has[r+"|"+w] {
				t.Errorf("no %s finding on %s", r, w)
			}
		}
	}
	if _, ok := loadEngine(t).Rule("k8s/missing-resource-limits"); ok && !has["k8s/missing-resource-limits|urn:pulumi:test::example-oidc-iam-sa::kubernetes:core/v1:Pod::s3-pod-test"] {
		t.Error("no k8s/missing-resource-limits on the amazonlinux Pod")
	}
	if has["k8s/image-tag-latest|urn:pulumi:test::example-oidc-iam-sa::kubernetes:core/v1:Pod::s3-pod-test"] {
		t.Error("k8s/image-tag-latest on amazonlinux:2018.03, which has a tag")
	}
	for _, id := range []string{"pulumi/plaintext-secret"} {
		for _, f := range rep.Findings {
			if f.RuleID == id {
				t.Logf("%s: %s %s", id, f.Resource, f.Message)
			}
		}
	}
}

// TestStackEdges: Kubernetes resources of one stack are linked by their
// Kubernetes identity although their IDs are URNs.
func TestStackEdges(t *testing.T) {
	res, err := scan.Run(context.Background(), scan.Options{Engine: loadEngine(t), Collectors: []scan.Collector{stateCollector(t, stackFile)}})
	if err != nil {
		t.Fatal(err)
	}
	has := map[string]bool{}
	for _, e := range res.Graph.Edges() {
		has[e.From+" "+e.Type+" "+e.To] = true
	}
	for _, want := range []string{
		urnPrefix + "kubernetes:core/v1:Service::web " + graph.EdgeSelects + " " + urnPrefix + "kubernetes:apps/v1:Deployment::web",
		urnPrefix + "kubernetes:apps/v1:Deployment::web " + graph.EdgeRunsAs + " " + urnPrefix + "kubernetes:core/v1:ServiceAccount::web",
		urnPrefix + "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding::web-config-reader " + graph.EdgeGrants + " " + urnPrefix + "kubernetes:rbac.authorization.k8s.io/v1:Role::config-reader",
	} {
		if !has[want] {
			t.Errorf("no edge %s", want)
		}
	}
	// The attachment folded into the role gives the role its policy (the
	// declared policy node, or the IAM enricher's node for that ARN).
	if !has[urnPrefix+"aws:iam/role:Role::web-node "+graph.EdgeHasPolicy+" "+urnPrefix+"aws:iam/policy:Policy::assets-rw"] &&
		!has[urnPrefix+"aws:iam/role:Role::web-node "+graph.EdgeHasPolicy+" arn:aws:iam::210987654321:policy/assets-rw-0c9d"] {
		t.Error("the web-node role has no has-policy edge to assets-rw")
	}
}
