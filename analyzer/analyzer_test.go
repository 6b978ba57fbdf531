package analyzer

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

func TestParseArgs(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		want    Args
		wantErr string
	}{
		{"pack runtime", []string{"127.0.0.1:5000", ".", "-config=strict.yaml", "-timeout=10s"},
			Args{EngineAddress: "127.0.0.1:5000", PackDir: ".", Options: map[string]string{"config": "strict.yaml", "timeout": "10s"}}, ""},
		{"logging flags first", []string{"--logtostderr", "-v=9", "--tracing", "http://x:1", "127.0.0.1:5000", "."},
			Args{EngineAddress: "127.0.0.1:5000", PackDir: ".", Options: map[string]string{}}, ""},
		{"executable pack", []string{"--logflow", "127.0.0.1:5000"},
			Args{EngineAddress: "127.0.0.1:5000", Options: map[string]string{}}, ""},
		{"tracing with =", []string{"--tracing=http://x:1", "127.0.0.1:5000"},
			Args{EngineAddress: "127.0.0.1:5000", Options: map[string]string{}}, ""},
		{"no engine address", []string{"--logtostderr"}, Args{}, "usage"},
		{"bad option", []string{"addr", ".", "-novalue"}, Args{}, "-key=value"},
		{"too many", []string{"addr", ".", "extra"}, Args{}, "unexpected"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseArgs(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func packDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadPack(t *testing.T) {
	cases := []struct {
		name    string
		files   map[string]string
		wantErr string
		check   func(t *testing.T, p *Pack)
	}{
		{"defaults", nil, "", func(t *testing.T, p *Pack) {
			if p.Version != "0.0.0" || p.Settings.Enforcement.LevelFor("x", "high") != "mandatory" || p.Settings.Enforcement.LevelFor("x", "medium") != "advisory" {
				t.Errorf("%+v", p)
			}
		}},
		{"identity and levels", map[string]string{
			PolicyFile:   "runtime: kscan\nname: p1\nversion: 3.1.4\ndescription: d\n",
			SettingsFile: "enforcement:\n  default: disabled\n  severities: {low: advisory}\n  rules: {k8s/a: mandatory}\n",
		}, "", func(t *testing.T, p *Pack) {
			e := p.Settings.Enforcement
			if p.Name != "p1" || p.Version != "3.1.4" || e.LevelFor("k8s/a", "low") != "mandatory" || e.LevelFor("k8s/b", "low") != "advisory" || e.LevelFor("k8s/b", "high") != "disabled" {
				t.Errorf("%+v", p)
			}
		}},
		{"unknown key names the line", map[string]string{SettingsFile: "rules: []\nenforcment: {}\n"}, "line 2", nil},
		{"bad level", map[string]string{SettingsFile: "enforcement: {default: block}\n"}, `"block"`, nil},
		{"bad severity", map[string]string{SettingsFile: "enforcement: {severities: {urgent: mandatory}}\n"}, `"urgent"`, nil},
		{"bad timeout", map[string]string{SettingsFile: "timeout: soon\n"}, "timeout", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := LoadPack(packDir(t, tc.files), "")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), SettingsFile) {
					t.Fatalf("err %v, want %q naming %s", err, tc.wantErr, SettingsFile)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, p)
		})
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"rego syntax error", map[string]string{"bad.rego": "package kscan.rules.custom.bad\n\ndeny contains x if {\n  x := \n}\n"}, []string{"bad.rego:5"}},
		{"unknown rule id", map[string]string{SettingsFile: "rules: [k8s/no-such-rule]\n"}, []string{"k8s/no-such-rule"}},
		{"params for an unselected rule", map[string]string{SettingsFile: "params: {k8s/nope: {a: 1}}\n"}, []string{"k8s/nope"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := LoadPack(packDir(t, tc.files), "")
			if err != nil {
				t.Fatal(err)
			}
			s := New(context.Background(), p, "1.0.0")
			if s.LoadError() == nil {
				t.Fatal("no load error")
			}
			for _, w := range tc.want {
				if !strings.Contains(s.LoadError().Error(), w) {
					t.Errorf("%v lacks %q", s.LoadError(), w)
				}
			}
			// Every call reports it, starting with the handshake.
			if _, err := s.Handshake(context.Background(), &pulumirpc.AnalyzerHandshakeRequest{}); err == nil {
				t.Error("Handshake succeeded")
			}
			if _, err := s.GetAnalyzerInfo(context.Background(), &emptypb.Empty{}); err == nil {
				t.Error("GetAnalyzerInfo succeeded")
			}
		})
	}
}

func marshal(t *testing.T, m resource.PropertyMap) *pulumirpc.AnalyzeRequest {
	t.Helper()
	s, err := plugin.MarshalProperties(m, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	return &pulumirpc.AnalyzeRequest{Urn: "urn:pulumi:dev::p::kubernetes:core/v1:Pod::x", Type: "kubernetes:core/v1:Pod", Properties: s}
}

func pod(image string) resource.PropertyMap {
	return resource.NewPropertyMapFromMap(map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "x", "namespace": "default"},
		"spec":     map[string]any{"containers": []any{map[string]any{"name": "c", "image": image, "securityContext": map[string]any{"privileged": true}}}},
	})
}

// A panic inside evaluation is an error diagnostic, and the server keeps
// serving.
func TestPanicBecomesDiagnostic(t *testing.T) {
	p, err := LoadPack(packDir(t, map[string]string{PolicyFile: "runtime: kscan\nname: pp\nversion: 1.0.0\n"}), "")
	if err != nil {
		t.Fatal(err)
	}
	s := New(context.Background(), p, "1.0.0")
	if s.LoadError() != nil {
		t.Fatal(s.LoadError())
	}
	if _, err := s.ConfigureStack(context.Background(), &pulumirpc.AnalyzerStackConfigureRequest{Stack: "dev", Project: "p", Organization: "o", DryRun: true}); err != nil {
		t.Fatal(err)
	}
	s.evalHook = func() { panic("boom") }
	resp, err := s.Analyze(context.Background(), marshal(t, pod("nginx:1.0")))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].PolicyName != ErrorPolicy ||
		resp.Diagnostics[0].EnforcementLevel != pulumirpc.EnforcementLevel_MANDATORY ||
		!strings.Contains(resp.Diagnostics[0].Message, "boom") || !strings.Contains(resp.Diagnostics[0].Message, "o/p/dev (preview)") {
		t.Fatalf("diagnostics %+v", resp.Diagnostics)
	}
	s.evalHook = nil
	resp, err = s.Analyze(context.Background(), marshal(t, pod("nginx:1.0")))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range resp.Diagnostics {
		found = found || d.PolicyName == "k8s/privileged-container"
	}
	if !found {
		t.Errorf("after the panic: %+v", resp.Diagnostics)
	}
}

// Secrets never reach the graph; unknowns become normalize's unknown.
func TestPlainProps(t *testing.T) {
	m := resource.PropertyMap{
		"pw":    resource.MakeSecret(resource.NewProperty("hunter2")),
		"n":     resource.NewProperty(3.0),
		"f":     resource.NewProperty(1.5),
		"u":     resource.MakeComputed(resource.NewProperty("")),
		"o":     resource.NewProperty(resource.Output{Known: false}),
		"known": resource.NewProperty(resource.Output{Known: true, Element: resource.NewProperty("v")}),
	}
	got := plainProps(m)
	if strings.Contains(strings.ToLower(toString(got)), "hunter2") {
		t.Fatal("secret value kept")
	}
	if got["n"] != int64(3) || got["f"] != 1.5 || got["u"] != unknownSentinel || got["o"] != unknownSentinel || got["known"] != "v" {
		t.Errorf("%#v", got)
	}
}

func toString(v any) string {
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, e := range t {
				b.WriteString(k)
				walk(e)
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		case string:
			b.WriteString(t)
		}
	}
	walk(v)
	return b.String()
}

// runtime: {name: kscan, options: {config: strict.yaml}} picks the settings file.
func TestLoadPackSettingsOption(t *testing.T) {
	dir := packDir(t, map[string]string{"strict.yaml": "enforcement: {default: mandatory}\n", SettingsFile: "enforcement: {default: disabled}\n"})
	p, err := LoadPack(dir, "strict.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if l := p.Settings.Enforcement.LevelFor("k8s/x", "low"); l != "mandatory" {
		t.Errorf("level %s from the default kscan.yaml, want strict.yaml's", l)
	}
	if _, err := LoadPack(dir, "missing.yaml"); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing settings file: %v", err)
	}
}
