package analyzer_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kscan-io/kscan/analyzer"
	"github.com/kscan-io/kscan/internal/repotest"
	"github.com/kscan-io/kscan/internal/testenv"
)

// The end-to-end tests run the real Pulumi CLI (built by hack/testbin.sh
// into $KSCAN_TESTBIN) against the real plugin binary built from this tree.

var (
	buildOnce sync.Once
	pluginDir string
	buildErr  error
)

func pulumiCLI(t testing.TB) string {
	t.Helper()
	p := filepath.Join(testenv.BinDir(), "pulumi")
	if _, err := os.Stat(p); err != nil {
		repotest.Missing(t, "pulumi CLI not built (run hack/testbin.sh pulumi): %v", err)
	}
	return p
}

// pluginBinDir builds pulumi-analyzer-policy-kscan once per test binary.
func pluginBinDir(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kscan-analyzer-bin")
		if err != nil {
			buildErr = err
			return
		}
		pluginDir = dir
		cmd := exec.Command("go", "build", "-ldflags", "-X main.version=1.0.0-test", "-o", filepath.Join(dir, "pulumi-analyzer-policy-kscan"), "./cmd/pulumi-analyzer-policy-kscan")
		cmd.Dir = repotest.Root()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building the plugin: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return pluginDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if pluginDir != "" {
		os.RemoveAll(pluginDir)
	}
	os.Exit(code)
}

// pulumiEnv is an isolated Pulumi environment: its own PULUMI_HOME, no
// plugin downloads, the plugin and the YAML language host on PATH.
func pulumiEnv(t testing.TB, extra ...string) []string {
	t.Helper()
	home := t.TempDir()
	env := []string{
		"PATH=" + pluginBinDir(t) + string(os.PathListSeparator) + testenv.BinDir() + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + home,
		"PULUMI_HOME=" + filepath.Join(home, ".pulumi"),
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		"PULUMI_CONFIG_PASSPHRASE=kscan-test",
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_SKIP_CONFIRMATIONS=true",
		"NO_COLOR=1",
	}
	for _, k := range []string{"GOCACHE", "GOPATH", "GOROOT", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}

type run struct {
	stdout, stderr string
	code           int
}

func pulumi(t testing.TB, dir string, env []string, args ...string) run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, pulumiCLI(t), args...)
	cmd.Dir = dir
	cmd.Env = env
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	r := run{stdout: so.String(), stderr: se.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("pulumi %v: %v", args, err)
	}
	return r
}

// violation is one policy event of `pulumi policy analyze --json`.
type violation struct {
	URN       string `json:"resourceUrn"`
	Message   string `json:"message"`
	Policy    string `json:"policyName"`
	Pack      string `json:"policyPackName"`
	Version   string `json:"policyPackVersion"`
	Level     string `json:"enforcementLevel"`
	Severity  string `json:"severity"`
	shortName string
}

func (v violation) String() string {
	return fmt.Sprintf("%s %s %s (%s)", v.Level, v.Policy, v.shortName, v.Severity)
}

// analyze runs `pulumi policy analyze --file STATE --policy-pack PACK
// [--policy-pack-config CFG] --json` and returns what the CLI reported.
func analyze(t *testing.T, state, pack, cfg string) ([]violation, run) {
	t.Helper()
	args := []string{"policy", "analyze", "--file", state, "--policy-pack", pack, "--json", "--non-interactive"}
	if cfg != "" {
		args = append(args, "--policy-pack-config", cfg)
	}
	r := pulumi(t, t.TempDir(), pulumiEnv(t), args...)
	var out []violation
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev struct {
			Policy *violation `json:"policyEvent"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("not a JSON event: %q (stderr: %s)", sc.Text(), r.stderr)
		}
		if ev.Policy != nil {
			v := *ev.Policy
			if i := strings.LastIndex(v.URN, "::"); i >= 0 {
				v.shortName = v.URN[i+2:]
			}
			out = append(out, v)
		}
	}
	return out, r
}

func find(vs []violation, policy, name string) *violation {
	for i := range vs {
		if vs[i].Policy == policy && vs[i].shortName == name {
			return &vs[i]
		}
	}
	return nil
}

func writeJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type want struct {
	policy, resource, level, severity, contains string
}

func TestPolicyAnalyzeFile(t *testing.T) {
	root := repotest.Root()
	shop := filepath.Join(root, "testdata", "analyzer", "states", "shop-dev.json")
	pack := filepath.Join(root, "testdata", "analyzer", "pack")
	cases := []struct {
		name     string
		pack     string
		config   any
		wantFail bool
		want     []want
		absent   []want // policy on resource that must not be reported
		output   string // in stdout or stderr
	}{
		{
			name:     "mandatory violation fails the run",
			pack:     pack,
			wantFail: true,
			want: []want{{policy: "k8s/privileged-container", resource: "web", level: "mandatory", severity: "critical",
				contains: "Remediation: Remove securityContext.privileged"}},
			absent: []want{{policy: "k8s/privileged-container", resource: "api"}},
		},
		{
			name:     "advisory violation with severity and remediation",
			pack:     pack,
			wantFail: true,
			want:     []want{{policy: "k8s/image-tag-latest", resource: "web", level: "advisory", severity: "high", contains: "Remediation: Pin the image"}},
			absent: []want{
				{policy: "k8s/image-tag-latest", resource: "api"},
				{policy: "k8s/missing-probes", resource: "web"}, // skipped in kscan.yaml
			},
		},
		{
			name:     "stack-level cross-resource violation",
			pack:     pack,
			wantFail: true,
			// The Service alone is not enough: the message names the
			// Deployment the Service selects (a join AnalyzeStack makes).
			want: []want{{policy: "k8s/internet-exposed", resource: "web", level: "mandatory", severity: "high",
				contains: "kubernetes:apps/v1:Deployment::web"}},
		},
		{
			name:   "disabled policies are not reported",
			pack:   pack,
			config: map[string]any{"all": "advisory", "k8s/image-tag-latest": "disabled", "k8s/internet-exposed": "disabled"},
			want:   []want{{policy: "k8s/privileged-container", resource: "web", level: "advisory", severity: "critical"}},
			absent: []want{
				{policy: "k8s/image-tag-latest", resource: "web"},
				{policy: "k8s/internet-exposed", resource: "web"},
			},
		},
		{
			name: "per-policy config changes level and parameters",
			pack: pack,
			config: map[string]any{
				"k8s/privileged-container": "advisory",
				"k8s/internet-exposed":     "advisory",
				"custom/allowed-registries": map[string]any{
					"enforcementLevel": "mandatory",
					"registries":       []string{"quay.io/acme"},
				},
			},
			wantFail: true,
			want: []want{
				{policy: "k8s/privileged-container", resource: "web", level: "advisory"},
				// docker.io/acme was allowed by kscan.yaml; the config replaced it.
				{policy: "custom/allowed-registries", resource: "api", level: "mandatory", severity: "medium", contains: "(quay.io/acme)"},
			},
		},
		{
			name: "a custom rule in the pack adds a policy",
			pack: writeFiles(t, map[string]string{
				"PulumiPolicy.yaml": "runtime: kscan\nname: lb-pack\nversion: 0.3.0\n",
				"kscan.yaml":        "rules: [custom/*]\nenforcement: {default: mandatory}\n",
				"rules/lb_ports.rego": `# METADATA
# title: LoadBalancer exposes port 80
# custom:
#   id: custom/no-plain-http-lb
#   severity: high
#   remediation: Serve HTTPS on 443.
package kscan.rules.custom.no_plain_http_lb

import data.kscan.lib.k8s

deny contains {"key": svc.key, "message": sprintf("%s serves plain HTTP on port 80", [k8s.node_label(svc)])} if {
	some svc in k8s.nodes("k8s:core/Service")
	svc.object.spec.type == "LoadBalancer"
	some p in svc.object.spec.ports
	p.port == 80
}
`}),
			wantFail: true,
			want:     []want{{policy: "custom/no-plain-http-lb", resource: "web", level: "mandatory", severity: "high", contains: "serves plain HTTP"}},
			absent:   []want{{policy: "k8s/privileged-container", resource: "web"}},
		},
		{
			name: "a Rego syntax error fails at start with file and line",
			pack: writeFiles(t, map[string]string{
				"PulumiPolicy.yaml": "runtime: kscan\nname: broken\nversion: 0.0.1\n",
				"broken.rego":       "package kscan.rules.custom.broken\n\ndeny contains x if {\n  x := \n}\n",
			}),
			wantFail: true,
			output:   "broken.rego:",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ""
			if tc.config != nil {
				cfg = writeJSON(t, tc.config)
			}
			vs, r := analyze(t, shop, tc.pack, cfg)
			if failed := r.code != 0; failed != tc.wantFail {
				t.Errorf("exit code %d, want failure=%v\nstdout: %s\nstderr: %s", r.code, tc.wantFail, r.stdout, r.stderr)
			}
			if tc.output != "" && !strings.Contains(r.stdout+r.stderr, tc.output) {
				t.Errorf("output does not mention %q:\nstdout: %s\nstderr: %s", tc.output, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				v := find(vs, w.policy, w.resource)
				if v == nil {
					t.Errorf("no %s violation on %s; got %v", w.policy, w.resource, vs)
					continue
				}
				if w.level != "" && v.Level != w.level {
					t.Errorf("%s on %s: level %s, want %s", w.policy, w.resource, v.Level, w.level)
				}
				if w.severity != "" && v.Severity != w.severity {
					t.Errorf("%s on %s: severity %s, want %s", w.policy, w.resource, v.Severity, w.severity)
				}
				if !strings.Contains(v.Message, w.contains) {
					t.Errorf("%s on %s: message %q lacks %q", w.policy, w.resource, v.Message, w.contains)
				}
				if v.Pack == "" || v.Version == "" {
					t.Errorf("%s: pack name/version missing: %+v", w.policy, v)
				}
			}
			for _, a := range tc.absent {
				if v := find(vs, a.policy, a.resource); v != nil {
					t.Errorf("unexpected %v", v)
				}
			}
			// Each violation is reported once (Analyze and AnalyzeStack do not repeat each other).
			seen := map[string]bool{}
			for _, v := range vs {
				k := v.Policy + "|" + v.URN + "|" + v.Message
				if seen[k] {
					t.Errorf("reported twice: %v", v)
				}
				seen[k] = true
			}
		})
	}
}

func TestPolicyAnalyzePackVersion(t *testing.T) {
	root := repotest.Root()
	vs, _ := analyze(t, filepath.Join(root, "testdata", "analyzer", "states", "shop-dev.json"), filepath.Join(root, "testdata", "analyzer", "pack"), "")
	if len(vs) == 0 {
		t.Fatal("no violations")
	}
	for _, v := range vs {
		if v.Pack != "shop-guardrails" || v.Version != "1.2.3" {
			t.Fatalf("pack %s@%s, want shop-guardrails@1.2.3 (from PulumiPolicy.yaml, not the binary's 1.0.0-test)", v.Pack, v.Version)
		}
	}
}

// TestPolicyAnalyzeConformance runs the default pack on stack exports of
// real EKS test stacks (pulumi/pulumi-eks).
func TestPolicyAnalyzeConformance(t *testing.T) {
	base := repotest.Conformance(t, "pulumi-eks/tests/testdata/recorded/TestProviderUpgrade")
	pack := writeFiles(t, map[string]string{"PulumiPolicy.yaml": "runtime: kscan\nname: defaults\nversion: 0.0.1\n"})
	cases := []struct {
		stack string
		want  []want
	}{
		{"oidc-iam-sa", []want{
			{policy: "k8s/image-tag-latest", resource: "s3", level: "mandatory", severity: "high", contains: `image "nginx"`},
			{policy: "k8s/privilege-escalation", resource: "s3-pod-test", level: "advisory", severity: "medium"},
		}},
		{"encryption-provider", []want{
			{policy: "k8s/image-tag-latest", resource: "nginx", level: "mandatory", severity: "high"},
			{policy: "k8s/missing-resource-limits", resource: "nginx", level: "advisory", severity: "low"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.stack, func(t *testing.T) {
			vs, r := analyze(t, filepath.Join(base, tc.stack, "3.0.0", "stack.json"), pack, "")
			if r.code == 0 {
				t.Errorf("exit 0 despite mandatory (high) violations")
			}
			for _, w := range tc.want {
				v := find(vs, w.policy, w.resource)
				if v == nil {
					t.Errorf("no %s on %s; got %v", w.policy, w.resource, vs)
					continue
				}
				if v.Level != w.level || v.Severity != w.severity || !strings.Contains(v.Message, w.contains) {
					t.Errorf("got %v %q", v, v.Message)
				}
			}
			// The stack holds Pulumi secrets: no ciphertext or plaintext may appear.
			if strings.Contains(r.stdout, "ciphertext") || strings.Contains(r.stdout, "1b47061264138c4ac30d75fd1eb44270") {
				t.Errorf("secret material in output")
			}
		})
	}
}

// TestPolicyNewPack checks that `kscan policy new` writes a pack the CLI runs.
func TestPolicyNewPack(t *testing.T) {
	root := repotest.Root()
	dir := filepath.Join(t.TempDir(), "guard")
	if _, err := analyzer.WritePack(dir, "", false); err != nil {
		t.Fatal(err)
	}
	if _, err := analyzer.WritePack(dir, "", false); err == nil {
		t.Error("WritePack overwrote an existing pack without force")
	}
	vs, r := analyze(t, filepath.Join(root, "testdata", "analyzer", "states", "shop-dev.json"), dir, "")
	if r.code == 0 {
		t.Errorf("want failure: critical and high are mandatory in the scaffold")
	}
	for _, name := range []string{"web", "api"} {
		v := find(vs, "custom/allowed-registries", name)
		if v == nil || v.Pack != "guard" || v.Version != "0.1.0" || !strings.Contains(v.Message, "registry.example.com") {
			t.Errorf("custom/allowed-registries on %s: %+v (all: %v)", name, v, vs)
		}
	}
}

// TestPluginInstallFile installs the plugin into Pulumi's plugin cache with
// `pulumi plugin install --file` and runs a pack with the plugin no longer
// on PATH.
func TestPluginInstallFile(t *testing.T) {
	pulumiCLI(t)
	root := repotest.Root()
	env := pulumiEnv(t)
	for i, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			env[i] = "PATH=" + testenv.BinDir() + string(os.PathListSeparator) + "/usr/bin:/bin"
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(pluginBinDir(t), "pulumi-analyzer-policy-kscan")
	if r := pulumi(t, dir, env, "plugin", "install", "analyzer", "policy-kscan", "1.0.0", "--file", bin); r.code != 0 {
		t.Fatalf("plugin install: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r := pulumi(t, dir, env, "policy", "analyze", "--file", filepath.Join(root, "testdata", "analyzer", "states", "shop-dev.json"),
		"--policy-pack", filepath.Join(root, "testdata", "analyzer", "pack"), "--non-interactive", "--color", "never")
	if r.code == 0 || !strings.Contains(r.stdout, "k8s/privileged-container") {
		t.Errorf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "from $PATH") {
		t.Errorf("plugin came from PATH, not the plugin cache: %s", r.stderr)
	}
}
