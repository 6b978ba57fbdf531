package analyzer_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// startPlugin runs the plugin binary the way the CLI runs an executable
// policy pack: logging flags first, then only the engine address, from a
// working directory without a pack, so the settings come from the files
// beside the binary. It returns Pulumi's own Go client for it.
func startPlugin(t *testing.T, settings string) plugin.Analyzer {
	t.Helper()
	src := filepath.Join(pluginBinDir(t), "pulumi-analyzer-policy-kscan")
	dir := t.TempDir()
	bin := filepath.Join(dir, "pulumi-analyzer-policy-kscan")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"PulumiPolicy.yaml": "runtime: kscan\nname: beside-binary\nversion: 2.0.0\n",
		"kscan.yaml":        settings,
	}
	for n, text := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--logtostderr", "-v=9", "--tracing", "127.0.0.1:9", "127.0.0.1:1")
	cmd.Dir = t.TempDir()
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	lineCh := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lineCh <- line
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var line string
	select {
	case line = <-lineCh:
	case <-time.After(60 * time.Second):
		t.Fatal("plugin did not print its port")
	}
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("first stdout line %q is not a port", line)
	}
	conn, err := grpc.NewClient("127.0.0.1:"+strconv.Itoa(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return plugin.NewAnalyzerWithClient("kscan", pulumirpc.NewAnalyzerClient(conn))
}

const deployURN = "urn:pulumi:dev::shop::kubernetes:apps/v1:Deployment::web"

// deployment is a Deployment's inputs; image may be an unknown value.
func deployment(image resource.PropertyValue, container resource.PropertyMap) resource.PropertyMap {
	c := resource.PropertyMap{"name": resource.NewProperty("web"), "image": image}
	for k, v := range container {
		c[k] = v
	}
	return resource.PropertyMap{
		"apiVersion": resource.NewProperty("apps/v1"),
		"kind":       resource.NewProperty("Deployment"),
		"metadata": resource.NewProperty(resource.PropertyMap{
			"name": resource.NewProperty("web"), "namespace": resource.NewProperty("shop"),
		}),
		"spec": resource.NewProperty(resource.PropertyMap{
			"selector": resource.NewProperty(resource.PropertyMap{"matchLabels": resource.NewProperty(resource.PropertyMap{"app": resource.NewProperty("web")})}),
			"template": resource.NewProperty(resource.PropertyMap{
				"metadata": resource.NewProperty(resource.PropertyMap{"labels": resource.NewProperty(resource.PropertyMap{"app": resource.NewProperty("web")})}),
				"spec": resource.NewProperty(resource.PropertyMap{
					"containers": resource.NewProperty([]resource.PropertyValue{resource.NewProperty(c)}),
				}),
			}),
		}),
	}
}

func analyzerResource(props resource.PropertyMap) plugin.AnalyzerResource {
	return plugin.AnalyzerResource{
		URN: deployURN, Type: "kubernetes:apps/v1:Deployment", Name: "web",
		Properties: resource.FromResourcePropertyMap(props),
	}
}

func policyNames(ds []plugin.AnalyzeDiagnostic) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.PolicyName)
	}
	return out
}

func hasPolicy(ds []plugin.AnalyzeDiagnostic, name string) *plugin.AnalyzeDiagnostic {
	for i := range ds {
		if ds[i].PolicyName == name {
			return &ds[i]
		}
	}
	return nil
}

func TestGoClientInfoAndAnalyze(t *testing.T) {
	a := startPlugin(t, "rules: [k8s/*]\nenforcement: {default: advisory, rules: {k8s/image-tag-latest: mandatory}}\n")
	ctx := context.Background()

	pi, err := a.GetPluginInfo(ctx)
	if err != nil || pi.Version == nil || pi.Version.String() != "1.0.0-test" {
		t.Fatalf("plugin info %v %v, want kscan's version 1.0.0-test", pi.Version, err)
	}
	info, err := a.GetAnalyzerInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "beside-binary" || info.Version != "2.0.0" || !info.SupportsConfig {
		t.Errorf("info %s@%s config=%v", info.Name, info.Version, info.SupportsConfig)
	}
	byName := map[string]plugin.AnalyzerPolicyInfo{}
	for _, p := range info.Policies {
		byName[p.Name] = p
		if !strings.HasPrefix(p.Name, "k8s/") {
			t.Errorf("policy %s not selected by rules: [k8s/*]", p.Name)
		}
	}
	cases := []struct {
		name     string
		typ      plugin.AnalyzerPolicyType
		severity apitype.PolicySeverity
		level    apitype.EnforcementLevel
	}{
		{"k8s/image-tag-latest", plugin.AnalyzerPolicyTypeResource, apitype.PolicySeverityHigh, apitype.Mandatory},
		{"k8s/internet-exposed", plugin.AnalyzerPolicyTypeStack, apitype.PolicySeverityHigh, apitype.Advisory},
		{"k8s/privileged-container", plugin.AnalyzerPolicyTypeResource, apitype.PolicySeverityCritical, apitype.Advisory},
	}
	for _, c := range cases {
		p, ok := byName[c.name]
		if !ok {
			t.Errorf("no policy %s", c.name)
			continue
		}
		if p.Type != c.typ || p.Severity != c.severity || p.EnforcementLevel != c.level {
			t.Errorf("%s: type %v severity %s level %s", c.name, p.Type, p.Severity, p.EnforcementLevel)
		}
		if p.DisplayName == "" || p.Description == "" || p.RemediationSteps == "" || !strings.HasPrefix(p.URL, "https://") {
			t.Errorf("%s: metadata not filled: %+v", c.name, p)
		}
		if p.ConfigSchema == nil || p.ConfigSchema.Properties["enforcementLevel"] == nil {
			t.Errorf("%s: no config schema", c.name)
		}
	}
	if fw := byName["k8s/privileged-container"].Framework; fw == nil || fw.Name == "" {
		t.Errorf("privileged-container: no framework")
	}

	unknown := resource.MakeComputed(resource.NewProperty(""))
	analyzeCases := []struct {
		name  string
		props resource.PropertyMap
		want  []string // policies that must fire
		not   []string // policies that must not fire
	}{
		{"known latest image", deployment(resource.NewProperty("nginx:latest"), nil), []string{"k8s/image-tag-latest"}, nil},
		{"unknown image", deployment(unknown, nil), nil, []string{"k8s/image-tag-latest", "k8s/image-not-pinned"}},
		{"unknown securityContext", deployment(resource.NewProperty("nginx:1.27"), resource.PropertyMap{"securityContext": unknown}),
			nil, []string{"k8s/privilege-escalation", "k8s/run-as-root", "k8s/writable-root-fs"}},
		{"known securityContext", deployment(resource.NewProperty("nginx:1.27"), resource.PropertyMap{"securityContext": resource.NewProperty(resource.PropertyMap{})}),
			[]string{"k8s/privilege-escalation", "k8s/writable-root-fs"}, nil},
		{"unknown sentinel string", deployment(resource.NewProperty("04da6b54-80e4-46f7-96ec-b56ff0331ba9"), nil), nil, []string{"k8s/image-tag-latest"}},
		// An unknown image (an ECR repository created in the same stack)
		// silences the image rules only: the privileged container, which
		// no image can make safe, still stops the preview.
		{"unknown image, privileged container", deployment(unknown, resource.PropertyMap{"securityContext": resource.NewProperty(resource.PropertyMap{"privileged": resource.NewProperty(true)})}),
			[]string{"k8s/privileged-container"}, []string{"k8s/image-tag-latest", "k8s/image-not-pinned"}},
		{"unknown image, no securityContext", deployment(unknown, nil),
			[]string{"k8s/privilege-escalation", "k8s/writable-root-fs"}, []string{"k8s/image-tag-latest", "k8s/image-not-pinned"}},
		// An unknown privileged flag could be false: not judged.
		{"unknown privileged flag", deployment(resource.NewProperty("nginx:1.27"), resource.PropertyMap{"securityContext": resource.NewProperty(resource.PropertyMap{"privileged": unknown})}),
			nil, []string{"k8s/privileged-container"}},
	}
	for _, c := range analyzeCases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := a.Analyze(ctx, analyzerResource(c.props))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				d := hasPolicy(resp.Diagnostics, w)
				if d == nil {
					t.Errorf("%s did not fire; got %v", w, policyNames(resp.Diagnostics))
					continue
				}
				if d.URN != deployURN || d.PolicyPackName != "beside-binary" || d.PolicyPackVersion != "2.0.0" || d.Description == "" || d.Message == "" || d.Severity == "" {
					t.Errorf("incomplete diagnostic %+v", d)
				}
			}
			for _, n := range c.not {
				if hasPolicy(resp.Diagnostics, n) != nil {
					t.Errorf("%s fired on an unknown value", n)
				}
			}
			// Stack-scoped rules never run in Analyze.
			if hasPolicy(resp.Diagnostics, "k8s/sa-token-automount") != nil {
				t.Errorf("stack-scoped rule in Analyze")
			}
		})
	}
}

func TestGoClientRemediateAndCancel(t *testing.T) {
	a := startPlugin(t, "rules: [k8s/*]\nenforcement:\n  default: advisory\n  rules: {k8s/sa-token-automount: remediate, k8s/privilege-escalation: remediate}\n")
	ctx := context.Background()
	props := deployment(resource.NewProperty("nginx:1.27"), nil)
	resp, err := a.Remediate(ctx, analyzerResource(props))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Remediations) != 2 {
		t.Fatalf("remediations %+v, want 2", resp.Remediations)
	}
	last := resource.ToResourcePropertyMap(resp.Remediations[1].Properties)
	spec, ok := last["spec"].ObjectValue()["template"].ObjectValue()["spec"].ObjectValue(), true
	if !ok || !spec["automountServiceAccountToken"].IsBool() || spec["automountServiceAccountToken"].BoolValue() {
		t.Errorf("automountServiceAccountToken not set to false: %v", spec)
	}
	c := spec["containers"].ArrayValue()[0].ObjectValue()
	sc := c["securityContext"].ObjectValue()
	if v := sc["allowPrivilegeEscalation"]; !v.IsBool() || v.BoolValue() {
		t.Errorf("allowPrivilegeEscalation not false: %v", sc)
	}
	for _, r := range resp.Remediations {
		if r.PolicyPackName != "beside-binary" || r.Description == "" {
			t.Errorf("remediation %+v", r)
		}
	}
	na := map[string]bool{}
	for _, n := range resp.NotApplicable {
		na[n.PolicyName] = true
	}
	if !na["k8s/image-tag-latest"] {
		t.Errorf("rules without a fix should be not applicable: %+v", resp.NotApplicable)
	}

	// The patched resource complies: nothing more to fix.
	resp2, err := a.Remediate(ctx, analyzerResource(last))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp2.Remediations) != 0 {
		t.Errorf("remediated twice: %+v", resp2.Remediations)
	}
	// An unknown securityContext is never patched.
	resp3, err := a.Remediate(ctx, analyzerResource(deployment(resource.NewProperty("nginx:1.27"), resource.PropertyMap{"securityContext": resource.MakeComputed(resource.NewProperty(""))})))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp3.Remediations {
		if r.PolicyName == "k8s/privilege-escalation" {
			t.Errorf("patched an unknown securityContext")
		}
	}

	if err := a.Cancel(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Analyze(ctx, analyzerResource(props)); err == nil {
		t.Error("Analyze after Cancel succeeded")
	}
}
