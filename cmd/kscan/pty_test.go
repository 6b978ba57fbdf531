package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: the controlling side (what a
// terminal emulator reads) and the terminal the program writes to. Nothing
// ever answers on it, as with a terminal that ignores queries.
func openPTY(t *testing.T) (ptmx, pts *os.File) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Raw: no \n -> \r\n translation, so the bytes compared are kscan's.
	tio, err := unix.IoctlGetTermios(int(pts.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Oflag &^= unix.OPOST
	if err := unix.IoctlSetTermios(int(pts.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ptmx.Close(); pts.Close() })
	return ptmx, pts
}

// TestNoTerminalQueries runs the kscan binary with stdin, stdout and stderr
// on a pseudo-terminal that never answers: kscan must write exactly its
// output there (no ESC]11;? background-colour or ESC[6n cursor queries from
// a terminal-UI library's init()) and finish without waiting for an answer (a
// query waiting for its answer took 5.6 s).
func TestNoTerminalQueries(t *testing.T) {
	bin := filepath.Join(kscanBinary(t), "kscan")
	dir := fixture(t, map[string]string{"k8s/cm.yaml": clean})
	cases := []struct {
		name string
		args []string
		env  []string
		want func(stdout string) string
	}{
		{"version", []string{"version"}, []string{"NO_COLOR=1"}, nil},
		{"version with colour", []string{"version"}, nil, nil},
		{"scan", []string{"scan", "--no-color", "k8s"}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// What kscan writes to a pipe is what it must write to the
			// terminal, and nothing more.
			piped := exec.Command(bin, c.args...)
			piped.Dir = dir
			piped.Env = append(os.Environ(), c.env...)
			var want bytes.Buffer
			piped.Stdout, piped.Stderr = &want, &want
			pipedStart := time.Now()
			err := piped.Run()
			pipedTime := time.Since(pipedStart)
			if err != nil {
				t.Fatalf("%v: %v\n%s", c.args, err, want.String())
			}
			if want.Len() == 0 {
				t.Fatal("no output to compare")
			}

			ptmx, pts := openPTY(t)
			cmd := exec.Command(bin, c.args...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), append([]string{"TERM=xterm-256color", "COLUMNS=100"}, c.env...)...)
			cmd.Stdin, cmd.Stdout, cmd.Stderr = pts, pts, pts
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
			start := time.Now()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pts.Close()
			read := make(chan []byte)
			go func() {
				b, _ := io.ReadAll(ptmx) // ends with EIO when the last writer closes
				read <- b
			}()
			done := make(chan error)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("%v: %v", c.args, err)
				}
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("%v did not finish within 10 s on a terminal (waiting for a query's answer?)", c.args)
			}
			elapsed := time.Since(start)
			var got []byte
			select {
			case got = <-read:
			case <-time.After(5 * time.Second):
				t.Fatal("the terminal was not closed")
			}
			wantOut := want.String()
			if strings.Contains(c.name, "colour") {
				// Colour may be added on a terminal (not for version); the
				// bytes must still be kscan's own, with no query.
				if bytes.Contains(got, []byte("\x1b]")) || bytes.Contains(got, []byte("\x1b[6n")) {
					t.Errorf("terminal queries written: %q", got)
				}
			}
			if string(got) != wantOut {
				t.Errorf("bytes written to the terminal:\n%q\nwant exactly:\n%q", got, wantOut)
			}
			// A terminal query waits about 5 s for its answer: under 3 s
			// (or three times the pipe's run on a loaded machine) shows
			// none waited, with room for a busy 2-core CI runner.
			limit := max(3*time.Second, 3*pipedTime)
			if elapsed > limit {
				t.Errorf("%v took %s on a terminal (%s on a pipe); want under %s", c.args, elapsed, pipedTime, limit)
			}
		})
	}
}
