package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/kscan-io/kscan/finding"
)

var update = flag.Bool("update", false, "rewrite golden files")

// sampleReport covers every shape a report can hold: findings of each
// severity from a file, a live cluster and Pulumi state, a suppressed
// finding, a baseline state, an absent finding, and input errors.
func sampleReport() *finding.Report {
	rules := []finding.Rule{
		{ID: "k8s/privileged-container", Title: "Privileged container", Severity: "critical", Description: "A privileged container has full access to the node.", Remediation: "Remove securityContext.privileged.", HelpURI: "https://example.test/k8s-privileged-container.md", Frameworks: map[string][]string{"pss": {"baseline:privileged"}, "cis": {"5.2.2"}}},
		{ID: "k8s/image-tag-latest", Title: "Image uses the latest tag or no tag", Severity: "high", Description: "Floating tags change under running workloads.", Remediation: "Pin a version and a digest.", HelpURI: "https://example.test/k8s-image-tag-latest.md"},
		{ID: "k8s/writable-root-fs", Title: "Root filesystem is writable", Severity: "low", Description: "Writable root filesystems help attackers persist.", Remediation: "Set readOnlyRootFilesystem: true."},
		{ID: "iam/admin-policy", Title: "Principal has administrator access", Severity: "critical", Description: "Allows * on *.", Remediation: "Scope the policy."},
	}
	return &finding.Report{
		ToolName: "kscan", ToolVersion: "v0.1.0-test", Rules: rules, Resources: 7,
		Findings: []finding.Finding{
			{RuleID: "k8s/privileged-container", Title: rules[0].Title, Severity: "critical", Message: `container "app" is privileged`, Resource: "shop/Deployment/web", ResourceType: "k8s:apps/Deployment", Location: finding.Location{Kind: "file", File: "k8s/web.yaml", Line: 12}, Remediation: rules[0].Remediation, Fingerprint: "f1"},
			{RuleID: "iam/admin-policy", Title: rules[3].Title, Severity: "critical", Message: "role admin allows * on *", Resource: "arn:aws:iam::123456789012:role/admin", ResourceType: "aws:iam/Role", Location: finding.Location{Kind: "file", File: "iam.json", Line: 40}, Fingerprint: "f2", BaselineState: "new",
				Related:          []string{"shop/Deployment/web", "shop/ServiceAccount/web"},
				RelatedLocations: map[string]finding.Location{"shop/Deployment/web": {Kind: "file", File: "k8s/web.yaml", Line: 1}, "shop/ServiceAccount/web": {Kind: "derived"}},
				Path: []finding.PathStep{
					{Resource: "shop/Deployment/web", ResourceType: "k8s:apps/Deployment", Location: finding.Location{Kind: "file", File: "k8s/web.yaml", Line: 1}, Relation: "runs-as"},
					{Resource: "shop/ServiceAccount/web", ResourceType: "k8s:core/ServiceAccount", Location: finding.Location{Kind: "derived"}, Relation: "assumes"},
					{Resource: "arn:aws:iam::123456789012:role/admin", ResourceType: "aws:iam/Role", Location: finding.Location{Kind: "file", File: "iam.json", Line: 40}},
				}},
			{RuleID: "k8s/image-tag-latest", Title: rules[1].Title, Severity: "high", Message: `container "api" uses image "acme/api:latest" without a fixed tag`, Resource: "prod:shop/Deployment/api", ResourceType: "k8s:apps/Deployment", Location: finding.Location{Kind: "cluster", Cluster: "prod", Path: "/apis/apps/v1/namespaces/shop/deployments/api"}, Fingerprint: "f3", BaselineState: "unchanged"},
			{RuleID: "k8s/image-tag-latest", Title: rules[1].Title, Severity: "high", Message: `container "web" uses image "nginx" without a fixed tag`, Resource: "urn:pulumi:prod::shop::kubernetes:apps/v1:Deployment::web", ResourceType: "k8s:apps/Deployment", Location: finding.Location{Kind: "pulumi-state", File: "prod.json", URN: "urn:pulumi:prod::shop::kubernetes:apps/v1:Deployment::web"}, Fingerprint: "f4"},
			{RuleID: "k8s/namespace-without-networkpolicy", Title: "Namespace has no NetworkPolicy", Severity: "medium", Message: "namespace shop has no NetworkPolicy", Resource: "shop/Namespace/shop", ResourceType: "k8s:core/Namespace", Location: finding.Location{Kind: "derived"}, Fingerprint: "f7"},
			{RuleID: "k8s/writable-root-fs", Title: rules[2].Title, Severity: "low", Message: `container "app" can write its root filesystem`, Resource: "shop/Deployment/web", ResourceType: "k8s:apps/Deployment", Location: finding.Location{Kind: "file", File: "k8s/web.yaml", Line: 12}, Fingerprint: "f5", Suppression: &finding.Suppression{Kind: "inSource", Justification: "writes a cache to /tmp on an emptyDir"}},
		},
		Absent: []finding.Finding{
			{RuleID: "k8s/image-tag-latest", Title: rules[1].Title, Severity: "high", Message: "fixed since the baseline", Resource: "shop/Deployment/old", Location: finding.Location{Kind: "file", File: "k8s/old.yaml", Line: 1}, Fingerprint: "f6"},
		},
		Notifications: []finding.Notification{
			{Level: "error", Message: "invalid YAML: did not find expected key", Location: finding.Location{Kind: "file", File: "k8s/broken.yaml", Line: 7}},
			{Level: "warning", Message: "forbidden: cannot list secrets in namespace kube-system", Location: finding.Location{Kind: "cluster", Cluster: "prod"}},
		},
		// What the rules judged (custom.applies_to): the three workloads,
		// and two IAM roles; k8s/namespace-without-networkpolicy declares
		// nothing here.
		Evaluated: map[string][]string{
			"k8s/privileged-container": sampleWorkloads,
			"k8s/image-tag-latest":     sampleWorkloads,
			"k8s/writable-root-fs":     sampleWorkloads,
			"iam/admin-policy":         {"arn:aws:iam::123456789012:role/admin", "arn:aws:iam::123456789012:role/reader"},
		},
		Objects: map[string]finding.ObjectRef{
			"shop/Deployment/web":      {APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web", Location: finding.Location{Kind: "file", File: "k8s/web.yaml", Line: 1}},
			"prod:shop/Deployment/api": {APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "api", UID: "6f1c2a4e-0000-4000-8000-000000000001", Location: finding.Location{Kind: "cluster", Cluster: "prod", Path: "/apis/apps/v1/namespaces/shop/deployments/api"}},
			"urn:pulumi:prod::shop::kubernetes:apps/v1:Deployment::web": {APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web", Location: finding.Location{Kind: "pulumi-state", File: "prod.json"}},
			"shop/Namespace/shop": {APIVersion: "v1", Kind: "Namespace", Name: "shop", Location: finding.Location{Kind: "derived"}},
		},
	}
}

// sampleWorkloads are the workloads of sampleReport, sorted.
var sampleWorkloads = []string{"prod:shop/Deployment/api", "shop/Deployment/web", "urn:pulumi:prod::shop::kubernetes:apps/v1:Deployment::web"}

// goldenOptions fix the directories SARIF paths are relative to.
var goldenOptions = Options{SARIFRoot: "/src/repo", WorkDir: "/src/repo", Inputs: []string{"k8s"}, SARIFCategory: "kscan/k8s"}

func TestGolden(t *testing.T) {
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, format, sampleReport(), goldenOptions); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "sample."+format+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./report -update)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s output differs from %s:\n%s", format, golden, buf.String())
			}
			// Rendering twice gives the same bytes.
			var again bytes.Buffer
			if err := Write(&again, format, sampleReport(), goldenOptions); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Error("output is not deterministic")
			}
		})
	}
}

func TestSARIFValidAgainstSchema(t *testing.T) {
	var buf bytes.Buffer
	if err := SARIF(&buf, sampleReport(), goldenOptions); err != nil {
		t.Fatal(err)
	}
	log, err := sarif.FromBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := log.Validate(); err != nil {
		t.Fatalf("SARIF does not validate: %v", err)
	}
	var doc struct {
		Runs []struct {
			Results []struct {
				RuleID    string            `json:"ruleId"`
				Level     string            `json:"level"`
				Baseline  string            `json:"baselineState"`
				Fp        map[string]string `json:"partialFingerprints"`
				Locations []struct {
					Physical *struct {
						Artifact struct {
							URI  string `json:"uri"`
							Base string `json:"uriBaseId"`
						} `json:"artifactLocation"`
						Region *struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
					Logical []struct{ FullyQualifiedName string } `json:"logicalLocations"`
				} `json:"locations"`
				Suppressions []struct{ Kind, Justification string } `json:"suppressions"`
				CodeFlows    []struct {
					ThreadFlows []struct {
						Locations []struct {
							Location struct {
								Message struct{ Text string } `json:"message"`
							} `json:"location"`
						} `json:"locations"`
					} `json:"threadFlows"`
				} `json:"codeFlows"`
				Related []struct {
					ID      int                                   `json:"id"`
					Logical []struct{ FullyQualifiedName string } `json:"logicalLocations"`
				} `json:"relatedLocations"`
			} `json:"results"`
			Automation struct {
				ID string `json:"id"`
			} `json:"automationDetails"`
			BaseIDs map[string]struct {
				URI string `json:"uri"`
			} `json:"originalUriBaseIds"`
			Invocations []struct {
				ExecutionSuccessful bool `json:"executionSuccessful"`
				Notes               []struct {
					Level string `json:"level"`
				} `json:"toolExecutionNotifications"`
			} `json:"invocations"`
			Tool struct {
				Driver struct {
					Rules []struct {
						ID         string `json:"id"`
						HelpURI    string `json:"helpUri"`
						Properties struct {
							Tags []string `json:"tags"`
							Sev  string   `json:"security-severity"`
						} `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	if len(run.Results) != 7 {
		t.Fatalf("want 7 results (6 findings + 1 absent), got %d", len(run.Results))
	}
	// GitHub code scanning rejects an upload with a result that has no
	// physical location, or a location that is not a relative or file URI.
	for i, r := range run.Results {
		if len(r.Locations) == 0 || r.Locations[0].Physical == nil || r.Locations[0].Physical.Artifact.URI == "" {
			t.Errorf("result %d (%s) has no physical location", i, r.RuleID)
			continue
		}
		if u := r.Locations[0].Physical.Artifact; u.Base != "%SRCROOT%" || strings.Contains(u.URI, "://") {
			t.Errorf("result %d (%s): uri %q base %q, want relative to %%SRCROOT%%", i, r.RuleID, u.URI, u.Base)
		}
		if len(r.Locations[0].Logical) == 0 {
			t.Errorf("result %d lost its logical location", i)
		}
	}
	if got := run.BaseIDs["%SRCROOT%"].URI; got != "file:///src/repo/" {
		t.Errorf("originalUriBaseIds %%SRCROOT%% = %q", got)
	}
	if run.Automation.ID != "kscan/k8s/" {
		t.Errorf("automationDetails.id = %q", run.Automation.ID)
	}
	// The derived namespace points at the scanned input.
	if got := run.Results[4].Locations[0].Physical.Artifact.URI; got != "k8s" {
		t.Errorf("derived finding's location %q, want the input k8s", got)
	}
	// The attack path: a code flow through every resource, the others as
	// related locations.
	r1 := run.Results[1]
	if len(r1.CodeFlows) != 1 || len(r1.CodeFlows[0].ThreadFlows[0].Locations) != 3 ||
		r1.CodeFlows[0].ThreadFlows[0].Locations[0].Location.Message.Text != "Deployment shop/Deployment/web —runs-as→" {
		t.Errorf("code flow: %+v", r1.CodeFlows)
	}
	if len(r1.Related) != 2 || r1.Related[0].ID != 1 || r1.Related[1].Logical[0].FullyQualifiedName != "shop/ServiceAccount/web" {
		t.Errorf("related locations: %+v", r1.Related)
	}
	r0 := run.Results[0]
	if r0.RuleID != "k8s/privileged-container" || r0.Level != "error" || r0.Locations[0].Physical.Artifact.URI != "k8s/web.yaml" ||
		r0.Locations[0].Physical.Region.StartLine != 12 || r0.Locations[0].Logical[0].FullyQualifiedName != "shop/Deployment/web" || r0.Fp[FingerprintKey] != "f1" {
		t.Errorf("first result wrong: %+v", r0)
	}
	if got := run.Results[2].Locations[0].Physical.Artifact.URI; got != "kubernetes/prod/apis/apps/v1/namespaces/shop/deployments/api" {
		t.Errorf("live object location %q", got)
	}
	if got := run.Results[3].Locations[0].Logical[0].FullyQualifiedName; !strings.HasPrefix(got, "urn:pulumi:") {
		t.Errorf("pulumi finding logical location %q", got)
	}
	if s := run.Results[5].Suppressions; len(s) != 1 || s[0].Kind != "inSource" || s[0].Justification == "" {
		t.Errorf("suppression not rendered: %+v", s)
	}
	if run.Results[6].Baseline != "absent" || run.Results[1].Baseline != "new" {
		t.Errorf("baseline states: %q %q", run.Results[1].Baseline, run.Results[6].Baseline)
	}
	inv := run.Invocations[0]
	if inv.ExecutionSuccessful || len(inv.Notes) != 2 || inv.Notes[0].Level != "error" {
		t.Errorf("invocation: %+v", inv)
	}
	for _, r := range run.Tool.Driver.Rules {
		if r.Properties.Sev == "" || len(r.Properties.Tags) == 0 {
			t.Errorf("rule %s lacks security-severity or tags", r.ID)
		}
	}
}

func TestJUnitWellFormed(t *testing.T) {
	var buf bytes.Buffer
	if err := JUnit(&buf, sampleReport(), Options{}); err != nil {
		t.Fatal(err)
	}
	s := parseJUnit(t, buf.Bytes())
	// From sampleReport: privileged-container judged 3 workloads (web
	// fails), image-tag-latest 3 (api and the Pulumi web fail),
	// writable-root-fs 3 (web suppressed: skipped), admin-policy 2 roles
	// (admin fails), namespace-without-networkpolicy declares nothing (its
	// one failure), and one input error.
	if s.Tests != 13 || s.Failures != 5 || s.Errors != 1 || s.Skipped != 1 {
		t.Errorf("tests=%d failures=%d errors=%d skipped=%d; want 13, 5, 1, 1", s.Tests, s.Failures, s.Errors, s.Skipped)
	}
	passing := map[string]bool{}
	for _, su := range s.Suites {
		for _, c := range su.Cases {
			if c.Failure == nil && c.Error == nil && c.Skipped == nil {
				passing[su.Name+" "+c.Name] = true
			}
		}
	}
	want := []string{
		"iam/admin-policy arn:aws:iam::123456789012:role/reader",
		"k8s/image-tag-latest shop/Deployment/web",
		"k8s/privileged-container prod:shop/Deployment/api",
		"k8s/privileged-container urn:pulumi:prod::shop::kubernetes:apps/v1:Deployment::web",
		"k8s/writable-root-fs prod:shop/Deployment/api",
		"k8s/writable-root-fs urn:pulumi:prod::shop::kubernetes:apps/v1:Deployment::web",
	}
	for _, w := range want {
		if !passing[w] {
			t.Errorf("no passing case %q", w)
		}
	}
	if len(passing) != len(want) {
		t.Errorf("%d passing cases, want %d: %v", len(passing), len(want), passing)
	}
}

// A clean scan lists what it checked; a rule that declares nothing is one
// passing case; framework controls are cases (pass, fail, skipped with the
// reason).
func TestJUnitCleanScanAndControls(t *testing.T) {
	rep := &finding.Report{
		Rules: []finding.Rule{{ID: "k8s/run-as-root"}, {ID: "custom/thing"}, {ID: "aws/public-s3-bucket"}},
		Evaluated: map[string][]string{
			"k8s/run-as-root": {"a/Deployment/x", "a/Deployment/y"},
			// Declared, nothing to judge: no suite.
			"aws/public-s3-bucket": {},
		},
		Compliance: []finding.FrameworkResult{{ID: "pss-baseline", Title: "PSS", Version: "v1.37", Controls: []finding.ControlResult{
			{ID: "1", Title: "ok", Status: finding.ControlPass},
			{ID: "2", Title: "bad", Status: finding.ControlFail, Findings: 2, Rules: []string{"k8s/x"}},
			{ID: "3", Title: "not ours", Status: finding.ControlNotCovered},
			{ID: "4", Title: "half", Status: finding.ControlPartial, Note: "only the image"},
		}}},
	}
	var buf bytes.Buffer
	if err := JUnit(&buf, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	s := parseJUnit(t, buf.Bytes())
	// 2 workloads + 1 "all resources" + 4 controls; one failed control; two skipped.
	if s.Tests != 7 || s.Failures != 1 || s.Errors != 0 || s.Skipped != 2 {
		t.Errorf("tests=%d failures=%d errors=%d skipped=%d; want 7, 1, 0, 2\n%s", s.Tests, s.Failures, s.Errors, s.Skipped, buf.String())
	}
	var skipped []string
	for _, su := range s.Suites {
		if su.Name == "aws/public-s3-bucket" {
			t.Error("a rule with nothing to judge has a suite")
		}
		for _, c := range su.Cases {
			if c.Skipped != nil {
				skipped = append(skipped, c.Name+": "+c.Skipped.Message)
			}
		}
	}
	if strings.Join(skipped, "|") != "3: not ours: not covered by kscan|4: half: partial: only the image" {
		t.Errorf("skipped controls: %q", skipped)
	}
}

// parseJUnit checks that doc is well-formed XML whose counts agree at every
// level with the test cases it holds.
func parseJUnit(t *testing.T, doc []byte) junitSuites {
	t.Helper()
	var s junitSuites
	if err := xml.Unmarshal(doc, &s); err != nil {
		t.Fatalf("JUnit is not well-formed: %v", err)
	}
	var tests, failures, errs, skipped int
	for _, su := range s.Suites {
		var f, e, sk int
		for _, c := range su.Cases {
			n := 0
			if c.Failure != nil {
				f, n = f+1, n+1
			}
			if c.Error != nil {
				e, n = e+1, n+1
			}
			if c.Skipped != nil {
				sk, n = sk+1, n+1
			}
			if n > 1 {
				t.Errorf("case %s/%s has %d outcomes", su.Name, c.Name, n)
			}
			if c.Classname != su.Name {
				t.Errorf("case %s in suite %s has classname %s", c.Name, su.Name, c.Classname)
			}
		}
		if su.Tests != len(su.Cases) || su.Failures != f || su.Errors != e || su.Skipped != sk {
			t.Errorf("suite %s says tests=%d failures=%d errors=%d skipped=%d, holds %d, %d, %d, %d", su.Name, su.Tests, su.Failures, su.Errors, su.Skipped, len(su.Cases), f, e, sk)
		}
		tests, failures, errs, skipped = tests+len(su.Cases), failures+f, errs+e, skipped+sk
	}
	if s.Tests != tests || s.Failures != failures || s.Errors != errs || s.Skipped != skipped {
		t.Errorf("testsuites says tests=%d failures=%d errors=%d skipped=%d, holds %d, %d, %d, %d", s.Tests, s.Failures, s.Errors, s.Skipped, tests, failures, errs, skipped)
	}
	return s
}

func TestTableColour(t *testing.T) {
	var plain, colour bytes.Buffer
	if err := Table(&plain, sampleReport(), Options{}); err != nil {
		t.Fatal(err)
	}
	if err := Table(&colour, sampleReport(), Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("plain table has escape codes")
	}
	if !strings.Contains(colour.String(), "\x1b[") {
		t.Error("colour table has no escape codes")
	}
}

func TestUnknownFormat(t *testing.T) {
	if err := Write(&bytes.Buffer{}, "yaml", sampleReport(), Options{}); err == nil || !strings.Contains(err.Error(), "sarif") {
		t.Errorf("want an error listing the formats, got %v", err)
	}
}

// A page of 10,000 findings (messages of 170 characters, every tenth with
// a related resource drawn) stays under 5 MB and holds every finding.
func TestHTMLSizeAt10000Findings(t *testing.T) {
	rep := &finding.Report{ToolName: "kscan", Rules: []finding.Rule{{ID: "k8s/run-as-root", Title: "Runs as root", Severity: "medium"}}}
	msg := strings.Repeat("m", 170)
	for i := 0; i < 10000; i++ {
		f := finding.Finding{RuleID: "k8s/run-as-root", Title: "Runs as root", Severity: "medium", Message: msg,
			Resource: fmt.Sprintf("team-%04d/Deployment/app-%02d", i/10, i%10), ResourceType: "k8s:apps/Deployment",
			Location: finding.Location{Kind: "file", File: fmt.Sprintf("synth/team-%04d.yaml", i/10), Line: 10 + i%10*50}}
		if i%10 == 0 {
			sa := fmt.Sprintf("team-%04d/ServiceAccount/app", i/10)
			f.Related = []string{sa}
			f.RelatedLocations = map[string]finding.Location{sa: {Kind: "file", File: f.Location.File, Line: 1}}
		}
		rep.Findings = append(rep.Findings, f)
	}
	var buf bytes.Buffer
	if err := HTML(&buf, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), `<article class="finding"`); n != 10000 {
		t.Errorf("%d findings on the page, want 10000", n)
	}
	if buf.Len() >= 5_000_000 {
		t.Errorf("page is %d bytes, want under 5 MB", buf.Len())
	}
	t.Logf("%d bytes", buf.Len())
}
