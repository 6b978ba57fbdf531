// Package safefile opens files that a scanned repository may have planted:
// only regular files are read (a symbolic link to /dev/zero, a FIFO named
// x.yaml or a socket is refused before it can hang or exhaust kscan), and
// reads are bounded whatever the file claims its size is.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular is returned for devices, FIFOs, sockets and directories.
var ErrNotRegular = errors.New("not a regular file")

// TooLargeError is returned when a file is larger than the limit.
type TooLargeError struct {
	Path  string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s: file is larger than the limit of %s", e.Path, Size(e.Limit))
}

// Size renders a byte count for messages (MiB when whole).
func Size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Check refuses anything but a regular file (following symbolic links),
// deciding from the mode before the file is opened.
func Check(path string) (fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if _, err := CheckMode(path, fi.Mode()); err != nil {
		return nil, err
	}
	return fi, nil
}

// CheckMode is Check's verdict on a mode already known.
func CheckMode(path string, m fs.FileMode) (fs.FileMode, error) {
	if !m.IsRegular() {
		return m, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegular, kind(m))}
	}
	return m, nil
}

// Open opens a regular file for reading. The open never blocks (a file
// swapped for a FIFO after Check is opened non-blocking and refused by
// its descriptor's mode).
func Open(path string) (*os.File, error) {
	if _, err := Check(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegular, kind(fi.Mode()))}
	}
	return f, nil
}

// ReadFile reads a whole regular file of at most limit bytes (limit <= 0:
// no limit beyond the file being regular).
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(f, path, limit)
}

// ReadAll reads r up to limit bytes; more is a *TooLargeError.
func ReadAll(r io.Reader, path string, limit int64) ([]byte, error) {
	if limit <= 0 {
		return io.ReadAll(r)
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Path: path, Limit: limit}
	}
	return data, nil
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeDevice != 0 && m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return "not a regular file"
}

// Reason is why reading a file failed, without the path a *fs.PathError
// repeats: messages name the file in their location already.
func Reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
