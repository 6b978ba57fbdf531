package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestWriteOutput(t *testing.T) {
	dir := t.TempDir()
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)

	// A new file gets 0666 less the umask.
	fresh := filepath.Join(dir, "new.json")
	if err := writeOutput(fresh, []byte("a")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(fresh); fi.Mode().Perm() != 0o644 {
		t.Errorf("new file mode %v, want 0644", fi.Mode().Perm())
	}

	// An existing file keeps its mode and gets the new content.
	existing := filepath.Join(dir, "existing.json")
	os.WriteFile(existing, []byte("old"), 0o640)
	os.Chmod(existing, 0o640)
	if err := writeOutput(existing, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "new" {
		t.Errorf("existing file holds %q", b)
	}
	if fi, _ := os.Stat(existing); fi.Mode().Perm() != 0o640 {
		t.Errorf("existing file mode %v, want 0640", fi.Mode().Perm())
	}

	// A symbolic link still points at its target, which has the content.
	link := filepath.Join(dir, "link.json")
	os.Symlink("existing.json", link)
	if err := writeOutput(link, []byte("via link")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the symbolic link was replaced by a file")
	}
	if b, _ := os.ReadFile(existing); string(b) != "via link" {
		t.Errorf("link target holds %q", b)
	}

	// A named pipe (like /dev/stdout or /dev/null, not a regular file) is
	// written to, never renamed over.
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	got := make(chan string)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- string(b)
	}()
	if err := writeOutput(fifo, []byte("through the pipe")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through the pipe" {
		t.Errorf("reader got %q", s)
	}
	if fi, _ := os.Lstat(fifo); fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the named pipe was replaced: mode %v", fi.Mode())
	}

	// No temporary files are left behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if filepath.Ext(e.Name()) == "" && e.Name() != "pipe" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// Repeated --format F --output P pairs write several reports from one
// scan, like --output-format; one --format and one --output keep their
// meaning in either order; mistakes name the flag.
func TestFormatOutputPairs(t *testing.T) {
	wd, _ := os.Getwd()
	demo := filepath.Join(wd, "..", "..", "testdata", "demo")
	dir := t.TempDir()
	sarif, junit := filepath.Join(dir, "k.sarif"), filepath.Join(dir, "k.xml")
	code, out, errOut := kscan(t, demo, "", "scan", "--fail-on", "none",
		"--format", "sarif", "--output", sarif, "-f", "junit", "-o", junit, "--format", "json", ".")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	s, _ := os.ReadFile(sarif)
	j, _ := os.ReadFile(junit)
	if !strings.Contains(string(s), `"version": "2.1.0"`) || !strings.HasPrefix(string(j), "<?xml") || !strings.HasPrefix(out, "{") || !strings.Contains(out, `"schemaVersion"`) {
		t.Errorf("want SARIF and JUnit files and JSON on stdout; sarif %.40q, junit %.40q, stdout %.40q", s, j, out)
	}
	// The same reports as --output-format gives (SARIF has no time in it).
	other := filepath.Join(dir, "o.sarif")
	if code, _, errOut := kscan(t, demo, "", "scan", "--fail-on", "none", "--format", "json", "--output-format", "sarif="+other, "."); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if o, _ := os.ReadFile(other); string(o) != string(s) {
		t.Error("the SARIF of a --format/--output pair differs from --output-format's")
	}
	// Output before format, one of each: the old meaning.
	single := filepath.Join(dir, "single.json")
	if code, out, _ := kscan(t, demo, "", "scan", "--fail-on", "none", "-o", single, "--format", "json", "."); code != 0 || out != "" {
		t.Errorf("-o before --format: exit %d, stdout %.60q", code, out)
	}
	if b, _ := os.ReadFile(single); !strings.HasPrefix(string(b), "{") {
		t.Errorf("-o before --format wrote %.40q", b)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", filepath.Join(dir, "x"), "--format", "json", "--format", "sarif"}, "comes before the first --format"},
		{[]string{"--format", "json", "--format", "sarif"}, "both write to stdout"},
		{[]string{"--format", "json", "-o", junit, "--format", "sarif", "-o", junit}, "written twice"},
		{[]string{"--format", "json", "-o", filepath.Join(dir, "a"), "-o", filepath.Join(dir, "b"), "--format", "sarif"}, "has two --output"},
		{[]string{"--format", "json", "-o", filepath.Join(dir, "a"), "--format", "yaml"}, "unknown format"},
	} {
		code, _, errOut := kscan(t, demo, "", append(append([]string{"scan"}, c.args...), ".")...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

// kscan scan --format policyreport|openreports writes report objects for
// the demo's files with fail and pass results; a clean manifest gives a
// JUnit file with passing cases, not tests="0".
func TestOfflineReportFormatsAndCleanJUnit(t *testing.T) {
	wd, _ := os.Getwd()
	demo := filepath.Join(wd, "..", "..", "testdata", "demo")
	for _, c := range []struct{ format, kind string }{{"policyreport", "kind: PolicyReport\n"}, {"openreports", "kind: Report\n"}} {
		code, out, errOut := kscan(t, demo, "", "scan", "--fail-on", "none", "--format", c.format, ".")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.format, code, errOut)
		}
		if !strings.Contains(out, c.kind) || !strings.Contains(out, "result: pass") || !strings.Contains(out, "result: fail") || !strings.Contains(out, "namespace: shop") {
			t.Errorf("%s output lacks its kind or pass/fail results:\n%.600s", c.format, out)
		}
	}
	dir := t.TempDir()
	clean := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: web
        image: registry.example.com/web:1.2.3@sha256:0000000000000000000000000000000000000000000000000000000000000000
        securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
        resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 100m, memory: 64Mi}}
        livenessProbe: {httpGet: {path: /, port: 8080}}
        readinessProbe: {httpGet: {path: /, port: 8080}}
`
	if err := os.WriteFile(filepath.Join(dir, "web.yaml"), []byte(clean), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, errOut := kscan(t, dir, "", "scan", "--fail-on", "none", "--rules", "k8s/run-as-root,k8s/privileged-container,k8s/image-tag-latest", "--format", "junit", ".")
	for _, want := range []string{`failures="0"`, `<testcase name="shop/Deployment/web" classname="k8s/run-as-root"></testcase>`, `<testcase name="shop/Deployment/web" classname="k8s/image-tag-latest"></testcase>`} {
		if !strings.Contains(out, want) {
			t.Errorf("clean JUnit lacks %q:\n%s%s", want, out, errOut)
		}
	}
	if strings.Contains(out, `tests="0"`) {
		t.Errorf("clean scan has tests=\"0\":\n%s", out)
	}
}

// A report that fails half-way through streaming leaves the file it would
// replace as it was, and no temporary file behind.
func TestWriteOutputFuncFailure(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "report.json")
	os.WriteFile(target, []byte("old"), 0o644)
	err := writeOutputFunc(target, func(w io.Writer) error {
		w.Write([]byte(strings.Repeat("x", 1<<20))) // past the buffer: on disk
		return io.ErrUnexpectedEOF
	})
	if err == nil || !strings.Contains(err.Error(), "--output "+target) {
		t.Fatalf("error %v, want one naming --output %s", err, target)
	}
	if b, _ := os.ReadFile(target); string(b) != "old" {
		t.Errorf("report.json holds %d bytes, want the old content", len(b))
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the directory, want only report.json", len(entries))
	}
}
