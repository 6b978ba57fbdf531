package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kscan-io/kscan/internal/repotest"
)

// The release is built for this machine's platform only (a full release
// builds six; the code path is the same) and checked the way its users
// consume it: checksums, the archives' contents, the version the binaries
// report, the SBOM, the Action's install step downloading it from a local
// server (and refusing a tampered archive), and the real Pulumi CLI
// installing the analyzer plugin from it.

const testVersion = "v0.0.1-test"

var (
	once     sync.Once
	dist     string
	arts     []Artefact
	buildErr error
)

func release(t *testing.T) (string, []Artefact) {
	t.Helper()
	once.Do(func() {
		dist, buildErr = os.MkdirTemp("", "kscan-dist-")
		if buildErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		arts, buildErr = Build(ctx, Options{Version: testVersion, Out: dist, Platforms: []string{platform()}, Epoch: 1700000000, Root: repotest.Root()})
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return dist, arts
}

func platform() string { return runtime.GOOS + "/" + runtime.GOARCH }

func TestMain(m *testing.M) {
	code := m.Run()
	if dist != "" {
		os.RemoveAll(dist)
	}
	os.Exit(code)
}

func TestRejectsBadVersion(t *testing.T) {
	for _, v := range []string{"", "1.2.3", "latest", "v1.2", "v1.2.3;rm -rf /"} {
		if _, err := Build(context.Background(), Options{Version: v, Out: t.TempDir()}); err == nil {
			t.Errorf("version %q accepted", v)
		}
	}
}

func TestArtefacts(t *testing.T) {
	dir, arts := release(t)
	osName, arch := runtime.GOOS, runtime.GOARCH
	want := map[string]bool{
		"kscan_0.0.1-test_" + osName + "_" + arch + ".tar.gz":                                   true,
		"kscan_0.0.1-test_" + osName + "_" + arch + ".cdx.json":                                 true,
		"pulumi-analyzer-policy-kscan-" + testVersion + "-" + osName + "-" + arch + ".tar.gz":   true,
		"pulumi-analyzer-policy-kscan-" + testVersion + "-" + osName + "-" + arch + ".cdx.json": true,
		"checksums.txt": true,
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(want) {
		t.Errorf("%d files in dist, want %d", len(entries), len(want))
	}
	for _, e := range entries {
		if !want[e.Name()] {
			t.Errorf("unexpected file %s", e.Name())
		}
	}
	// checksums.txt lists every other file with its real SHA-256.
	sums, err := os.ReadFile(filepath.Join(dir, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(sums)), "\n")
	if len(lines) != len(want)-1 {
		t.Errorf("checksums.txt has %d lines, want %d", len(lines), len(want)-1)
	}
	for _, l := range lines {
		sum, name, ok := strings.Cut(l, "  ")
		if !ok || !want[name] {
			t.Errorf("checksums.txt line %q", l)
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(data)
		if hex.EncodeToString(h[:]) != sum {
			t.Errorf("%s: checksum does not match", name)
		}
	}
	for _, a := range arts {
		t.Logf("%-70s %9d bytes", a.Name, a.Size)
	}

	// The CLI archive holds kscan and the README; the binary reports the
	// release version and was built without cgo.
	files := untar(t, filepath.Join(dir, "kscan_0.0.1-test_"+osName+"_"+arch+".tar.gz"))
	if _, ok := files["README.md"]; !ok {
		t.Error("README.md missing from the archive")
	}
	bin := writeExe(t, files["kscan"])
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "kscan "+testVersion+" ") {
		t.Errorf("kscan version: %v %q", err, out)
	}
	mv, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"CGO_ENABLED=0", "-trimpath=true"} {
		if !strings.Contains(string(mv), s) {
			t.Errorf("binary not built with %s:\n%s", s, mv)
		}
	}

	// The SBOM is CycloneDX and names the dependencies the binary embeds.
	var bom struct {
		BOMFormat, SpecVersion string
		Metadata               struct {
			Component struct{ Name, Version string }
		}
		Components []struct{ Name, Version, Purl string }
	}
	data, _ := os.ReadFile(filepath.Join(dir, "kscan_0.0.1-test_"+osName+"_"+arch+".cdx.json"))
	if err := json.Unmarshal(data, &bom); err != nil {
		t.Fatal(err)
	}
	if bom.BOMFormat != "CycloneDX" || bom.SpecVersion != "1.5" || bom.Metadata.Component.Name != "kscan" || bom.Metadata.Component.Version != testVersion {
		t.Errorf("SBOM header %+v", bom)
	}
	found := map[string]bool{}
	for _, c := range bom.Components {
		if strings.Contains(string(mv), c.Name+"\t"+c.Version) {
			found[c.Name] = true
		}
	}
	for _, m := range []string{"github.com/open-policy-agent/opa", "k8s.io/client-go", "k8s.io/pod-security-admission"} {
		if !found[m] {
			t.Errorf("SBOM lacks %s (or its version differs from go version -m)", m)
		}
	}
	if len(found) != len(bom.Components) {
		t.Errorf("%d SBOM components, %d of them in go version -m", len(bom.Components), len(found))
	}
}

// The same commit gives the same checksums.
func TestReproducible(t *testing.T) {
	dir, _ := release(t)
	again := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if _, err := Build(ctx, Options{Version: testVersion, Out: again, Platforms: []string{platform()}, Epoch: 1700000000, Root: repotest.Root()}); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "checksums.txt"))
	b, _ := os.ReadFile(filepath.Join(again, "checksums.txt"))
	if !bytes.Equal(a, b) {
		t.Errorf("two builds differ:\n%s\n%s", a, b)
	}
}

// serve serves dir, optionally replacing one file's content.
func serve(t *testing.T, dir, tamper string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := filepath.Base(r.URL.Path)
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if name == tamper {
			data = append(data[:len(data)-1:len(data)-1], data[len(data)-1]^0xff)
		}
		// As a release host does: Pulumi's installer insists on it.
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// installStep is the Action's install step, run as the runner would.
func installStep(t *testing.T) (script string, env map[string]string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repotest.Root(), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Runs struct {
			Steps []struct {
				ID  string            `yaml:"id"`
				Run string            `yaml:"run"`
				Env map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	for _, s := range a.Runs.Steps {
		if s.ID == "install" {
			return s.Run, s.Env
		}
	}
	t.Fatal("action.yml has no install step")
	return "", nil
}

func TestActionInstall(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the install script is bash")
	}
	dir, _ := release(t)
	script, env := installStep(t)
	if env["KSCAN_VERSION"] != "${{ inputs.version }}" {
		t.Fatalf("install step env %v does not pass the version input", env)
	}
	run := func(t *testing.T, base string) (string, string, error) {
		tool := t.TempDir()
		ghPath := filepath.Join(t.TempDir(), "github_path")
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
		cmd.Env = append(os.Environ(), "KSCAN_VERSION="+testVersion, "KSCAN_DOWNLOAD_URL="+base,
			"GITHUB_ACTION_PATH="+repotest.Root(), "RUNNER_TOOL_CACHE="+tool, "GITHUB_PATH="+ghPath)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		p, _ := os.ReadFile(ghPath)
		return strings.TrimSpace(string(p)), out.String(), err
	}
	t.Run("verified download", func(t *testing.T) {
		srv := serve(t, dir, "")
		binDir, log, err := run(t, srv.URL)
		if err != nil {
			t.Fatalf("%v\n%s", err, log)
		}
		out, err := exec.Command(filepath.Join(binDir, "kscan"), "version").CombinedOutput()
		if err != nil || !strings.Contains(string(out), testVersion) {
			t.Errorf("installed kscan: %v %q", err, out)
		}
	})
	t.Run("tampered archive", func(t *testing.T) {
		srv := serve(t, dir, "kscan_0.0.1-test_"+runtime.GOOS+"_"+runtime.GOARCH+".tar.gz")
		binDir, log, err := run(t, srv.URL)
		if err == nil || !strings.Contains(log, "checksum mismatch") {
			t.Errorf("tampered archive installed: %v\n%s", err, log)
		}
		if binDir != "" {
			t.Errorf("PATH extended with %s after a failed install", binDir)
		}
	})
	t.Run("no checksum for the archive", func(t *testing.T) {
		empty := t.TempDir()
		for _, a := range arts {
			if a.Name != "checksums.txt" {
				data, _ := os.ReadFile(filepath.Join(dir, a.Name))
				os.WriteFile(filepath.Join(empty, a.Name), data, 0o644)
			}
		}
		os.WriteFile(filepath.Join(empty, "checksums.txt"), []byte("0000  other.tar.gz\n"), 0o644)
		srv := serve(t, empty, "")
		_, log, err := run(t, srv.URL)
		if err == nil || !strings.Contains(log, "no SHA-256") {
			t.Errorf("installed without a checksum: %v\n%s", err, log)
		}
	})
}

// The real Pulumi CLI installs the analyzer plugin from the release files.
func TestPulumiPluginInstall(t *testing.T) {
	pulumi := filepath.Join(testbin(), "pulumi")
	if _, err := os.Stat(pulumi); err != nil {
		repotest.Missing(t, "pulumi CLI not built (run hack/testbin.sh): %v", err)
	}
	dir, _ := release(t)
	srv := serve(t, dir, "")
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, pulumi, "plugin", "install", "analyzer", "policy-kscan", testVersion, "--server", srv.URL+"/", "--non-interactive")
	cmd.Env = append(os.Environ(), "PULUMI_HOME="+home, "PULUMI_SKIP_UPDATE_CHECK=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pulumi plugin install: %v\n%s", err, out)
	}
	plugin := filepath.Join(home, "plugins", "analyzer-policy-kscan-"+testVersion, "pulumi-analyzer-policy-kscan")
	if _, err := os.Stat(plugin); err != nil {
		t.Fatalf("plugin not where Pulumi installs it: %v\n%s", err, out)
	}
	ls := exec.CommandContext(ctx, pulumi, "plugin", "ls")
	ls.Env = cmd.Env
	list, err := ls.CombinedOutput()
	if err != nil || !strings.Contains(string(list), "policy-kscan") || !strings.Contains(string(list), strings.TrimPrefix(testVersion, "v")) {
		t.Errorf("pulumi plugin ls: %v\n%s", err, list)
	}
}

func testbin() string {
	if d := os.Getenv("KSCAN_TESTBIN"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "kscan-testbin")
}

func untar(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || h.ModTime.Unix() != 1700000000 {
			t.Errorf("%s: owner %d:%d, time %v (want root and SOURCE_DATE_EPOCH)", h.Name, h.Uid, h.Gid, h.ModTime)
		}
		data, _ := io.ReadAll(tr)
		out[h.Name] = data
	}
	return out
}

func writeExe(t *testing.T, data []byte) string {
	t.Helper()
	if len(data) == 0 {
		t.Fatal("no binary in the archive")
	}
	p := filepath.Join(t.TempDir(), "kscan")
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
