package hugepages

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestPrepareBacksTheHeapWithHugePages asks the kernel, not the code: after
// Prepare, the heap's next allocations land in memory the kernel backs
// with huge pages (/proc/self/smaps: the range is marked "hg" and holds
// AnonHugePages). Where the machine's mode is not "madvise", Prepare must
// leave the heap alone.
func TestPrepareBacksTheHeapWithHugePages(t *testing.T) {
	t.Setenv(offEnv, "")
	const size = 64 << 20
	thp := mode("/")
	lo, hi := prepare(size)
	if !wanted("/") || capped() {
		if lo != hi {
			t.Fatalf("THP mode %q: prepare marked [%#x, %#x), want nothing", thp, lo, hi)
		}
		t.Logf("THP mode %q: nothing to prepare, and nothing was", thp)
		return
	}
	if hi-lo < size-2*hugePage {
		t.Fatalf("prepare(%d) marked %d bytes", size, hi-lo)
	}
	runtime.GC() // frees the block
	// Small objects with pointers, as a scan's heap holds, until the
	// allocator has moved into the prepared range.
	type node struct {
		next *node
		pad  [6]uintptr
	}
	var keep []*node
	for i := 0; i < (size/64)*3/2; i++ {
		keep = append(keep, &node{})
	}
	for _, n := range keep {
		n.pad[0] = 1 // touch every object
	}
	flags, huge := smapsOver(t, lo, hi)
	runtime.KeepAlive(keep)
	for _, f := range flags {
		if !strings.Contains(" "+f+" ", " hg ") {
			t.Errorf("a mapping over the prepared range has VmFlags %q: no hg (MADV_HUGEPAGE)", f)
		}
	}
	if huge == 0 {
		t.Errorf("no AnonHugePages in the prepared range [%#x, %#x) after allocating %d MiB", lo, hi, size*3/2>>20)
	}
	t.Logf("prepared %d MiB; %d KiB of it in huge pages", (hi-lo)>>20, huge)
}

// smapsOver reads /proc/self/smaps for the mappings overlapping [lo, hi):
// the VmFlags of each and the sum of their AnonHugePages in KiB.
func smapsOver(t *testing.T, lo, hi uintptr) (flags []string, hugeKiB int64) {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if start, end, ok := strings.Cut(fields[0], "-"); ok && !strings.HasSuffix(fields[0], ":") {
			s, err1 := strconv.ParseUint(start, 16, 64)
			e, err2 := strconv.ParseUint(end, 16, 64)
			if err1 == nil && err2 == nil {
				in = uintptr(s) < hi && uintptr(e) > lo
				continue
			}
		}
		if !in {
			continue
		}
		switch fields[0] {
		case "VmFlags:":
			flags = append(flags, strings.Join(fields[1:], " "))
		case "AnonHugePages:":
			if len(fields) >= 2 {
				n, _ := strconv.ParseInt(fields[1], 10, 64)
				hugeKiB += n
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(flags) == 0 {
		t.Fatalf("no mapping overlaps [%#x, %#x)", lo, hi)
	}
	return flags, hugeKiB
}

// TestPrepareUnderAnAddressSpaceLimit runs a process under ulimit -v (as
// kscan's own memory-budget tests and some CI runners do): Prepare must
// leave the heap alone there, since a block mapped ahead of need would
// spend the budget, or be refused and kill the process.
func TestPrepareUnderAnAddressSpaceLimit(t *testing.T) {
	if os.Getenv("HUGEPAGES_CHILD") == "1" {
		lo, hi := prepare(768 << 20)
		if lo != hi {
			t.Fatalf("under ulimit -v: prepared [%#x, %#x)", lo, hi)
		}
		return
	}
	cmd := exec.Command("/bin/sh", "-c", `ulimit -v 1048576 && exec "$0" -test.run '^TestPrepareUnderAnAddressSpaceLimit$' -test.v`, os.Args[0])
	cmd.Env = append(os.Environ(), "HUGEPAGES_CHILD=1", offEnv+"=")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child under ulimit -v 1 GiB: %v\n%.2000s", err, out)
	}
}
