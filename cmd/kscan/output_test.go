package main

import (
	"io"
	"os"
	"path/filepath"
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
