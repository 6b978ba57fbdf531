package main

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// writeOutput writes a report or snapshot to path (--output). A regular
// file, or a new one, is replaced atomically: a failed write never leaves
// half a report where CI expects a whole one. Anything else is written in
// place: renaming over /dev/stdout, /dev/null or a named pipe would replace
// the device instead of writing to it. A symbolic link keeps pointing where
// it did, to a file with the new content, and an existing file keeps its
// permissions; a new file gets the usual 0666 less the umask.
func writeOutput(path string, data []byte) error {
	return writeOutputFunc(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeOutputFunc is writeOutput of what write writes, streamed to the file
// rather than held whole in memory first (a large report is tens of MB).
// An error from write counts as a failed write: a regular file is left as
// it was.
func writeOutputFunc(path string, write func(io.Writer) error) error {
	target := path
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		resolved, err := filepath.EvalSymlinks(path)
		if err != nil {
			return fmt.Errorf("--output %s: %w", path, err)
		}
		target = resolved
	}
	mode, keep := os.FileMode(0o666), false
	if fi, err := os.Stat(target); err == nil {
		if !fi.Mode().IsRegular() {
			return writeInPlace(target, write)
		}
		mode, keep = fi.Mode().Perm(), true
	}
	tmpPath, tmp, err := createTemp(filepath.Dir(target), mode, keep)
	if err != nil {
		return fmt.Errorf("--output %s: %w", path, err)
	}
	defer os.Remove(tmpPath)
	if err := buffered(tmp, write); err != nil {
		tmp.Close()
		return fmt.Errorf("--output %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--output %s: %w", path, err)
	}
	if err := os.Rename(tmpPath, target); err != nil {
		return fmt.Errorf("--output %s: %w", path, err)
	}
	return nil
}

// buffered runs write on a buffer in front of w and flushes it.
func buffered(w io.Writer, write func(io.Writer) error) error {
	b := bufio.NewWriterSize(w, 256<<10)
	if err := write(b); err != nil {
		return err
	}
	return b.Flush()
}

// createTemp is os.CreateTemp with a chosen mode (os.CreateTemp always uses
// 0600): the kernel applies the umask to it, as to any file a program
// creates, unless exact asks for the mode as given (an existing file's).
func createTemp(dir string, mode os.FileMode, exact bool) (string, *os.File, error) {
	for range 10 {
		var b [8]byte
		rand.Read(b[:])
		p := filepath.Join(dir, ".kscan-"+hex.EncodeToString(b[:]))
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if os.IsExist(err) {
			continue
		}
		if err != nil {
			return "", nil, err
		}
		if !exact {
			return p, f, nil
		}
		if err := f.Chmod(mode); err != nil {
			f.Close()
			os.Remove(p)
			return "", nil, err
		}
		return p, f, nil
	}
	return "", nil, fmt.Errorf("cannot create a temporary file in %s", dir)
}

// writeInPlace writes to a device or a named pipe.
func writeInPlace(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("--output %s: %w", path, err)
	}
	if err := buffered(f, write); err != nil {
		f.Close()
		return fmt.Errorf("--output %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--output %s: %w", path, err)
	}
	return nil
}
