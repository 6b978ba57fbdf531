// Package security holds one test per attack of a hostile repository or
// cluster on kscan (docs/security.md): each builds its reproducer at test
// time, runs the real kscan binary on it as a subprocess, and asserts that no
// process was started, no file outside the tree leaked, no connection was
// made, and that memory and time stayed bounded.
package security

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// kscanBin is the binary under test: $KSCAN_BIN, else built once from
// ../cmd/kscan.
var kscanBin string

func TestMain(m *testing.M) {
	code := func() int {
		if b := os.Getenv("KSCAN_BIN"); b != "" {
			kscanBin = b
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "kscan-security-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		kscanBin = filepath.Join(dir, "kscan")
		build := exec.Command("go", "build", "-o", kscanBin, "../cmd/kscan")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building kscan: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// result is one kscan run.
type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

func (r result) all() string { return r.stdout + "\n" + r.stderr }

// runOpts tunes a run: memory cap (ulimit -v, KiB), extra environment, a
// deadline after which the test fails as hung.
type runOpts struct {
	memKiB   int
	env      []string
	deadline time.Duration
	stdin    string
}

// run executes kscan in dir with an empty user config directory, so only
// what the test puts in dir can influence it.
func run(t *testing.T, dir string, o runOpts, args ...string) result {
	t.Helper()
	if o.deadline == 0 {
		o.deadline = 60 * time.Second
	}
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), o.deadline)
	defer cancel()
	var cmd *exec.Cmd
	if o.memKiB > 0 {
		cmd = exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", fmt.Sprintf(`ulimit -v %d && exec "$0" "$@"`, o.memKiB), kscanBin}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, kscanBin, args...)
	}
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}, o.env...)
	cmd.Stdin = strings.NewReader(o.stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errOut.String(), took: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("kscan %v hung: killed after %s\nstderr: %s", args, o.deadline, tail(r.stderr))
	}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("kscan %v: %v", args, err)
	}
	if strings.Contains(r.stderr, "fatal error:") || strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic:") {
		t.Errorf("kscan %v crashed (exit %d) instead of failing cleanly:\n%s", args, r.code, tail(r.stderr))
	}
	return r
}

func tail(s string) string {
	if len(s) > 3000 {
		return "…" + s[len(s)-3000:]
	}
	return s
}

// tree writes files (path -> content) under a new directory.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// canary is a secret-looking value placed outside the scanned tree; it must
// not appear in any output.
func canary(t *testing.T) (value, path string) {
	t.Helper()
	value = fmt.Sprintf("CANARY-%d-%s", time.Now().UnixNano(), strings.ReplaceAll(t.Name(), "/", "-"))
	path = filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(path, []byte(value+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return value, path
}

// listener is a loopback server that records every connection: a test
// asserts it was never contacted.
type listener struct {
	addr  string
	conns atomic.Int32
}

func loopback(t *testing.T) *listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &listener{addr: l.Addr().String()}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			ln.conns.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close() })
	return ln
}

func (l *listener) assertUntouched(t *testing.T) {
	t.Helper()
	if n := l.conns.Load(); n > 0 {
		t.Errorf("kscan connected to %s %d time(s)", l.addr, n)
	}
}

// formats are every report format; a canary must appear in none.
var formats = []string{"table", "json", "sarif", "junit", "gitlab-sast"}

// scanAllFormats runs the same scan once per format and returns the runs.
func scanAllFormats(t *testing.T, dir string, o runOpts, args ...string) map[string]result {
	t.Helper()
	out := map[string]result{}
	for _, f := range formats {
		out[f] = run(t, dir, o, append([]string{"scan", "--format", f}, args...)...)
	}
	return out
}

func assertNoLeak(t *testing.T, value string, runs map[string]result) {
	t.Helper()
	for f, r := range runs {
		if strings.Contains(r.all(), value) {
			t.Errorf("format %s: the canary from outside the tree leaked:\n%s", f, tail(r.all()))
		}
	}
}

func assertNoFile(t *testing.T, path, what string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		t.Errorf("%s: %s exists", what, path)
	}
}
