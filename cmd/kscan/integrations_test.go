package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// The drop-in integrations (GitHub Action, GitLab template, pre-commit hook)
// are exercised as far as they run here: their scan commands run with a
// freshly built kscan on testdata/ci. Installing kscan (go install from the
// network) and uploading to GitHub/GitLab cannot run here.

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// kscanBinary builds cmd/kscan once per test run.
func kscanBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "kscan-bin-")
		if buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, "kscan"), ".").CombinedOutput()
		if err != nil {
			buildErr = err
			binDir = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building kscan: %v\n%s", buildErr, binDir)
	}
	return binDir
}

func repoFile(t *testing.T, name string) []byte {
	t.Helper()
	wd, _ := os.Getwd()
	b, err := os.ReadFile(filepath.Join(wd, "..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func needBash(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("bash")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("bash missing")
		}
		t.Skip("bash missing")
	}
	return p
}

type actionStep struct {
	ID               string            `yaml:"id"`
	Name             string            `yaml:"name"`
	If               string            `yaml:"if"`
	Uses             string            `yaml:"uses"`
	Shell            string            `yaml:"shell"`
	Run              string            `yaml:"run"`
	WorkingDirectory string            `yaml:"working-directory"`
	Env              map[string]string `yaml:"env"`
	With             map[string]string `yaml:"with"`
}

type action struct {
	Name   string `yaml:"name"`
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

var exprRe = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// expand evaluates the ${{ inputs.x }} and ${{ steps.s.outputs.y }}
// expressions the action uses; anything else fails the test.
func expand(t *testing.T, s string, inputs map[string]string, outputs map[string]map[string]string) string {
	t.Helper()
	return exprRe.ReplaceAllStringFunc(s, func(m string) string {
		e := exprRe.FindStringSubmatch(m)[1]
		switch {
		case strings.HasPrefix(e, "inputs."):
			v, ok := inputs[strings.TrimPrefix(e, "inputs.")]
			if !ok {
				t.Fatalf("action uses unknown input %s", e)
			}
			return v
		case strings.HasPrefix(e, "steps."):
			p := strings.Split(e, ".")
			if len(p) != 4 || p[2] != "outputs" {
				t.Fatalf("unsupported expression %s", e)
			}
			return outputs[p[1]][p[3]]
		}
		t.Fatalf("unsupported expression %q in a run step", e)
		return ""
	})
}

// runStep runs one composite run step as the runner would: its script in
// bash, env expanded, GITHUB_OUTPUT collected.
func runStep(t *testing.T, st actionStep, dir string, inputs map[string]string, outputs map[string]map[string]string, bin string) (int, string) {
	t.Helper()
	if st.Shell != "bash" {
		t.Fatalf("step %s: shell %q, want bash", st.Name, st.Shell)
	}
	if strings.Contains(st.Run, "${{") {
		t.Errorf("step %s splices expressions into its script (injection risk); pass them through env", st.Name)
	}
	outFile := filepath.Join(t.TempDir(), "github_output")
	os.WriteFile(outFile, nil, 0o644)
	wd := dir
	if st.WorkingDirectory != "" {
		wd = filepath.Join(dir, expand(t, st.WorkingDirectory, inputs, outputs))
	}
	cmd := exec.Command(needBash(t), "--noprofile", "--norc", "-eo", "pipefail", "-c", st.Run)
	cmd.Dir = wd
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "GITHUB_OUTPUT="+outFile, "NO_COLOR=1")
	for k, v := range st.Env {
		cmd.Env = append(cmd.Env, k+"="+expand(t, v, inputs, outputs))
	}
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	outs := map[string]string{}
	b, _ := os.ReadFile(outFile)
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			outs[k] = v
		}
	}
	outputs[st.ID] = outs
	return code, buf.String()
}

func TestGitHubAction(t *testing.T) {
	var a action
	if err := yaml.Unmarshal(repoFile(t, "action.yml"), &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Runs.Using != "composite" || a.Name == "" {
		t.Fatalf("action.yml: using %q name %q", a.Runs.Using, a.Name)
	}
	var uploads, installs int
	for _, st := range a.Runs.Steps {
		if st.Uses != "" && !regexp.MustCompile(`@[0-9a-f]{40}$`).MatchString(st.Uses) {
			t.Errorf("step %q uses %q: actions are pinned by commit SHA (release in a comment)", st.Name, st.Uses)
		}
		if strings.HasPrefix(st.Uses, "github/codeql-action/upload-sarif@") {
			uploads++
			if !strings.Contains(st.If, "always()") || st.With["sarif_file"] == "" {
				t.Errorf("upload step must run always() and name the SARIF file: %+v", st)
			}
		}
		// The install step downloads and verifies a release (ci/install.sh,
		// tested against a local server in hack/release); it never compiles.
		if st.ID == "install" && strings.Contains(st.Run, "ci/install.sh") && !strings.Contains(st.Run, "go install") {
			installs++
		}
	}
	if uploads != 1 || installs != 1 {
		t.Errorf("action has %d upload and %d install steps, want 1 each", uploads, installs)
	}
	bin := kscanBinary(t)

	tests := []struct {
		name       string
		set        map[string]string
		prepare    func(dir string)
		wantScan   string // exit-code output
		wantGate   int
		wantResult string // a rule that must be in the SARIF
	}{
		{"defaults fail on high findings", nil, nil, "1", 1, "k8s/image-tag-latest"},
		{"fail-on none", map[string]string{"fail-on": "none"}, nil, "0", 0, "k8s/image-tag-latest"},
		{"framework and extra args", map[string]string{"framework": "pss-restricted", "args": "--no-inline-ignores --helm-set image.tag=1.27.3", "fail-on": "critical"}, nil, "1", 1, "k8s/privileged-container"},
		{"baseline gates only new findings", map[string]string{"baseline": "previous.sarif"}, func(dir string) {
			exec.Command(filepath.Join(bin, "kscan"), "scan", "-f", "sarif", "-o", filepath.Join(dir, "previous.sarif"), dir).Run()
		}, "0", 0, "k8s/host-namespace"},
		{"incomplete scan", map[string]string{"path": "manifests missing-dir"}, nil, "2", 2, "k8s/run-as-root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyTree(t, ciRepo(t))
			if tt.prepare != nil {
				tt.prepare(dir)
			}
			inputs := map[string]string{}
			for k, v := range a.Inputs {
				inputs[k] = v.Default
			}
			for k, v := range tt.set {
				if _, ok := a.Inputs[k]; !ok {
					t.Fatalf("no input %s", k)
				}
				inputs[k] = v
			}
			outputs := map[string]map[string]string{}
			var scanned, gated bool
			for _, st := range a.Runs.Steps {
				if st.Run == "" || st.ID == "install" {
					continue // uses: steps and the network install cannot run here
				}
				code, log := runStep(t, st, dir, inputs, outputs, bin)
				switch st.ID {
				case "scan":
					scanned = true
					if code != 0 {
						t.Fatalf("scan step failed (exit %d) before the upload:\n%s", code, log)
					}
					if got := outputs["scan"]["exit-code"]; got != tt.wantScan {
						t.Errorf("exit-code output %q, want %s\n%s", got, tt.wantScan, log)
					}
					if !strings.Contains(log, "findings in") {
						t.Errorf("no table summary in the job log:\n%s", log)
					}
					sarifPath := filepath.Join(dir, inputs["working-directory"], outputs["scan"]["sarif-file"])
					b, err := os.ReadFile(sarifPath)
					if err != nil {
						t.Fatalf("no SARIF for the upload step: %v", err)
					}
					if !strings.Contains(string(b), `"ruleId": "`+tt.wantResult+`"`) {
						t.Errorf("SARIF lacks %s", tt.wantResult)
					}
				case "gate":
					gated = true
					if code != tt.wantGate {
						t.Errorf("gate step exit %d, want %d\n%s", code, tt.wantGate, log)
					}
				}
			}
			if !scanned || !gated {
				t.Fatal("action has no scan or gate step")
			}
			for name, o := range a.Outputs {
				if v := expand(t, o.Value, inputs, outputs); v == "" {
					t.Errorf("output %s is empty", name)
				}
			}
		})
	}
}

func TestGitLabTemplate(t *testing.T) {
	var tmpl map[string]any
	if err := yaml.Unmarshal(repoFile(t, "ci/gitlab/kscan.gitlab-ci.yml"), &tmpl); err != nil {
		t.Fatalf("template: %v", err)
	}
	job, _ := tmpl["kscan-sast"].(map[string]any)
	if job == nil {
		t.Fatal("no kscan-sast job")
	}
	arts, _ := job["artifacts"].(map[string]any)
	reports, _ := arts["reports"].(map[string]any)
	if reports["sast"] != "gl-sast-report.json" || arts["when"] != "always" {
		t.Fatalf("artifacts = %v, want reports.sast gl-sast-report.json uploaded always", arts)
	}
	vars, _ := tmpl["variables"].(map[string]any)
	var script []string
	for _, l := range job["script"].([]any) {
		script = append(script, l.(string))
	}
	bin := kscanBinary(t)
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(repoFile(t, "report/testdata/gitlab-sast-schema-subset.json")))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AddResource("sast.json", schemaDoc)
	schema, err := c.Compile("sast.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		vars  map[string]string
		want  int
		vulns bool
	}{
		{"defaults", nil, 1, true},
		{"KSCAN_FAIL_ON from CI/CD variables", map[string]string{"KSCAN_FAIL_ON": "none"}, 0, true},
		// The chart passes Pod Security baseline; restricted fails it.
		{"args", map[string]string{"KSCAN_ARGS": "--framework pss-restricted --fail-on critical"}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyTree(t, ciRepo(t))
			env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
			for k, v := range vars {
				if _, over := tt.vars[k]; !over {
					env = append(env, k+"="+v.(string))
				}
			}
			for k, v := range tt.vars {
				env = append(env, k+"="+v)
			}
			// GitLab runs the script lines in one shell; exit stops it.
			cmd := exec.Command(needBash(t), "--noprofile", "--norc", "-e", "-c", strings.Join(script, "\n"))
			cmd.Dir, cmd.Env = dir, env
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.want {
				t.Errorf("job exit %d, want %d\n%s", code, tt.want, out)
			}
			b, err := os.ReadFile(filepath.Join(dir, "gl-sast-report.json"))
			if err != nil {
				t.Fatalf("no report: %v\n%s", err, out)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err != nil {
				t.Fatalf("report does not match GitLab's SAST schema: %v", err)
			}
			var doc struct {
				Scan struct {
					StartTime string `json:"start_time"`
				}
				Vulnerabilities []struct {
					Location struct {
						File      string `json:"file"`
						StartLine int    `json:"start_line"`
					} `json:"location"`
				} `json:"vulnerabilities"`
			}
			json.Unmarshal(b, &doc)
			if (len(doc.Vulnerabilities) > 0) != tt.vulns {
				t.Errorf("%d vulnerabilities", len(doc.Vulnerabilities))
			}
			if strings.HasPrefix(doc.Scan.StartTime, "1970") {
				t.Error("the template does not set SOURCE_DATE_EPOCH")
			}
			for _, v := range doc.Vulnerabilities {
				if strings.HasPrefix(v.Location.File, "charts/web/templates/deployment.yaml") && v.Location.StartLine == 2 {
					return
				}
			}
			if tt.vulns {
				t.Error("no vulnerability located in the Helm template")
			}
		})
	}
}

func TestPreCommitHook(t *testing.T) {
	var hooks []struct {
		ID            string   `yaml:"id"`
		Name          string   `yaml:"name"`
		Entry         string   `yaml:"entry"`
		Args          []string `yaml:"args"`
		Language      string   `yaml:"language"`
		PassFilenames *bool    `yaml:"pass_filenames"`
		Files         string   `yaml:"files"`
	}
	if err := yaml.Unmarshal(repoFile(t, ".pre-commit-hooks.yaml"), &hooks); err != nil {
		t.Fatal(err)
	}
	if len(hooks) == 0 {
		t.Fatal("no hooks")
	}
	bin := kscanBinary(t)
	languages := map[string]bool{}
	for _, h := range hooks {
		// system: kscan on PATH; docker_image: the release image. Never
		// golang, which compiles every main package of this repository.
		if h.ID == "" || h.Name == "" || h.Entry == "" || (h.Language != "system" && h.Language != "docker_image") {
			t.Errorf("hook %+v lacks id, name, entry or language system/docker_image", h)
		}
		languages[h.Language] = true
		re, err := regexp.Compile(h.Files)
		if err != nil {
			t.Errorf("files: %v", err)
		} else {
			for _, f := range []string{"k8s/app.yaml", "charts/web/templates/_helpers.tpl", ".kscanignore.yaml"} {
				if !re.MatchString(f) {
					t.Errorf("files %q does not trigger on %s", h.Files, f)
				}
			}
		}
		fields := strings.Fields(h.Entry)
		if h.Language == "docker_image" {
			// The image's entrypoint is kscan; the tag must be a release.
			if !regexp.MustCompile(`^[a-z0-9.-]+/[a-z0-9/-]+/kscan:v\d+\.\d+\.\d+$`).MatchString(fields[0]) {
				t.Errorf("docker_image entry %q does not name a released kscan image", h.Entry)
			}
			fields[0] = "kscan"
		}
		if fields[0] != "kscan" {
			t.Fatalf("entry %q does not run kscan", h.Entry)
		}
		// pre-commit runs entry + args in the repository root.
		dir := copyTree(t, ciRepo(t))
		cmd := exec.Command(filepath.Join(bin, "kscan"), append(fields[1:], h.Args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "k8s/image-tag-latest") {
			t.Errorf("hook on testdata/ci: %v\n%s", err, out)
		}
	}
	if !languages["system"] || !languages["docker_image"] {
		t.Errorf("hooks for system and docker_image wanted, have %v", languages)
	}
}
