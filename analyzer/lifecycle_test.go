package analyzer_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/internal/repotest"
	"github.com/kscan-io/kscan/internal/testenv"
)

// lifecyclePack's rules judge the stack resource, the one resource a YAML
// program of built-in resources registers: frozen-stack (resource scope, so
// Analyze runs it before the update; it reads what ConfigureStack said) and
// stack-outputs (stack scope: only AnalyzeStack sees the stack's outputs).
var lifecyclePack = map[string]string{
	"PulumiPolicy.yaml": "runtime: kscan\nname: e2e-pack\nversion: 0.9.0\n",
	"kscan.yaml": `rules: ["custom/*"]
enforcement:
  rules:
    custom/frozen-stack: mandatory
    custom/stack-outputs: advisory
`,
	"frozen.rego": `# METADATA
# title: Stack is frozen
# custom:
#   id: custom/frozen-stack
#   severity: high
#   scope: resource
#   remediation: Deploy to another stack, or unfreeze this one in the pack's configuration.
#   params:
#     frozen:
#       type: array
#       items: {type: string}
#       default: ["frozen"]
package kscan.rules.custom.frozen_stack

frozen := object.get(input, ["facts", "params", "custom/frozen-stack", "frozen"], [])

deny contains {"key": key, "message": sprintf("stack %s of project %s is frozen (%s)", [st.stack, st.project, op])} if {
	st := input.facts.pulumi_stack
	st.stack in frozen
	some key in object.get(input.by_type, "pulumi:pulumi:Stack", [])
	op := operation(st.dry_run)
}

operation(true) := "preview"

operation(false) := "update"
`,
	"outputs.rego": `# METADATA
# title: Stack exports a greeting
# custom:
#   id: custom/stack-outputs
#   severity: low
#   scope: stack
#   remediation: Nothing to do; this rule shows that AnalyzeStack sees the stack's outputs.
package kscan.rules.custom.stack_outputs

deny contains {"key": key, "message": sprintf("stack exports greeting %q", [n.object.greeting])} if {
	some key in object.get(input.by_type, "pulumi:pulumi:Stack", [])
	n := input.nodes[key]
	is_string(n.object.greeting)
}
`,
}

// TestPreviewAndUp runs pulumi preview and pulumi up for real on a local
// file:// backend with a YAML program: the whole analyzer lifecycle
// (Handshake, ConfigureStack, GetAnalyzerInfo, Configure, Analyze,
// AnalyzeStack), and a mandatory violation stopping the update.
func TestPreviewAndUp(t *testing.T) {
	pulumiCLI(t)
	if _, err := os.Stat(filepath.Join(testenv.BinDir(), "pulumi-language-yaml")); err != nil {
		repotest.Missing(t, "pulumi-language-yaml not built (run hack/testbin.sh pulumi-language-yaml): %v", err)
	}
	pack := writeFiles(t, lifecyclePack)
	prog := writeFiles(t, map[string]string{"Pulumi.yaml": "name: kscan-e2e\nruntime: yaml\noutputs:\n  greeting: hello\n"})
	env := pulumiEnv(t, "PULUMI_BACKEND_URL=file://"+filepath.ToSlash(t.TempDir()))
	must := func(args ...string) run {
		t.Helper()
		r := pulumi(t, prog, env, args...)
		if r.code != 0 {
			t.Fatalf("pulumi %v: exit %d\n%s\n%s", args, r.code, r.stdout, r.stderr)
		}
		return r
	}
	must("stack", "init", "frozen", "--non-interactive")

	steps := []struct {
		name     string
		args     []string
		config   any
		wantFail bool
		want     []string
	}{
		{
			name:     "preview reports both phases",
			args:     []string{"preview"},
			wantFail: true,
			want: []string{
				"[mandatory] [severity: high]  custom/frozen-stack",
				"stack frozen of project kscan-e2e is frozen (preview)", // ConfigureStack's stack, project and dry-run
				"[advisory] [severity: low]  custom/stack-outputs",
				`stack exports greeting "hello"`, // AnalyzeStack with the stack's outputs
				"e2e-pack@v0.9.0",
			},
		},
		{
			name:     "up is stopped before the update",
			args:     []string{"up", "--yes"},
			wantFail: true,
			want:     []string{"custom/frozen-stack", "is frozen (preview)"},
		},
		{
			name:     "up without preview is stopped by Analyze during the update",
			args:     []string{"up", "--yes", "--skip-preview"},
			wantFail: true,
			want:     []string{"[mandatory] [severity: high]  custom/frozen-stack", "is frozen (update)"},
		},
		{
			name:   "per-policy config turns the gate advisory and the update runs",
			args:   []string{"up", "--yes"},
			config: map[string]any{"custom/frozen-stack": map[string]any{"enforcementLevel": "advisory"}},
			want:   []string{"[advisory] [severity: high]  custom/frozen-stack", "is frozen (update)", "+ 1 created"},
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			args := append(append([]string{}, st.args...), "--policy-pack", pack, "--non-interactive", "--color", "never")
			if st.config != nil {
				args = append(args, "--policy-pack-config", writeJSON(t, st.config))
			}
			r := pulumi(t, prog, env, args...)
			if failed := r.code != 0; failed != st.wantFail {
				t.Errorf("exit %d, want failure=%v\n%s\n%s", r.code, st.wantFail, r.stdout, r.stderr)
			}
			for _, w := range st.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("output lacks %q:\n%s\n%s", w, r.stdout, r.stderr)
				}
			}
		})
	}
	if r := must("stack", "output", "greeting"); strings.TrimSpace(r.stdout) != "hello" {
		t.Errorf("stack output %q after the advisory update", r.stdout)
	}
}

// TestPolicyAnalyzeImportedStack imports a stack export into a file://
// backend (typed state without provider plugins) and analyzes it with
// --stack.
func TestPolicyAnalyzeImportedStack(t *testing.T) {
	pulumiCLI(t)
	root := repotest.Root()
	prog := writeFiles(t, map[string]string{"Pulumi.yaml": "name: shop\nruntime: yaml\n"})
	env := pulumiEnv(t, "PULUMI_BACKEND_URL=file://"+filepath.ToSlash(t.TempDir()))
	for _, args := range [][]string{
		{"stack", "init", "dev", "--non-interactive"},
		{"stack", "import", "--file", filepath.Join(root, "testdata", "analyzer", "states", "shop-dev.json"), "--non-interactive"},
	} {
		if r := pulumi(t, prog, env, args...); r.code != 0 {
			t.Fatalf("pulumi %v: exit %d\n%s\n%s", args, r.code, r.stdout, r.stderr)
		}
	}
	r := pulumi(t, prog, env, "policy", "analyze", "--stack", "dev", "--policy-pack", filepath.Join(root, "testdata", "analyzer", "pack"), "--non-interactive", "--color", "never")
	if r.code == 0 {
		t.Errorf("exit 0 despite mandatory violations")
	}
	for _, w := range []string{
		"[mandatory] [severity: critical]  k8s/privileged-container  (kubernetes:apps/v1:Deployment: web)",
		"[mandatory] [severity: high]  k8s/internet-exposed  (kubernetes:core/v1:Service: web)",
		"shop-guardrails@v1.2.3",
	} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("output lacks %q:\n%s\n%s", w, r.stdout, r.stderr)
		}
	}
}
