package main

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"

	"github.com/kscan-io/kscan/internal/hugepages"
)

// softLimit is where the collector starts to work harder so that the heap
// stays small: a 50,000-object scan peaks near 850 MiB RSS with it.
const softLimit = 768 << 20

// tuneMemory bounds kscan's heap unless GOMEMLIMIT does: a soft limit of
// softLimit, or 90 % of the memory the process may use when that is less
// (its cgroup's limit in a container such as the in-cluster CronJob, else
// the machine's). An input whose live heap outgrows the soft limit would
// make the collector run without pause; after each collection the limit is
// raised to give such a heap room (nextLimit), up to that 90 %, where a
// tight container is met by collecting harder rather than by the
// out-of-memory killer. docs/benchmarks.md measures both sides.
//
// The heap's first soft limit's worth grows into huge pages where the
// kernel gives them only on request (hugepages.Prepare). Not further: a
// block allocated when the limit is raised lands on a large live heap and
// costs collections (docs/benchmarks.md, "Huge pages").
func tuneMemory() {
	ceiling := availableMemory("/") / 10 * 9
	limit := int64(softLimit)
	if ceiling > 0 && ceiling < limit {
		limit = ceiling
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		hugepages.Prepare(min(limit, debug.SetMemoryLimit(-1)))
		return
	}
	debug.SetMemoryLimit(limit)
	hugepages.Prepare(limit)
	afterEachGC(func() bool {
		if next := nextLimit(liveHeap(), limit, ceiling); next != limit {
			limit = next
			debug.SetMemoryLimit(limit)
		}
		return true
	})
}

// nextLimit is the soft limit for a live heap: unchanged while the heap has
// 40 % of the limit to grow in, else 5/3 of the live heap, never above
// ceiling (0: none).
func nextLimit(live, limit, ceiling int64) int64 {
	want := live / 3 * 5
	if want <= limit {
		return limit
	}
	if ceiling > 0 && want > ceiling {
		want = ceiling
	}
	return max(want, limit)
}

// liveHeap is the heap the last collection found live, in bytes.
func liveHeap() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}

// gcCycles is the number of garbage collections completed so far.
func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// gcTick is a heap object whose finalizer runs once per collection.
type gcTick struct{ _ *int }

// afterEachGC calls f (on the finalizer goroutine) after every garbage
// collection for as long as f returns true: the object becomes
// unreachable, its finalizer runs f and arms itself again.
func afterEachGC(f func() bool) {
	var fin func(*gcTick)
	fin = func(t *gcTick) {
		if f() {
			runtime.SetFinalizer(t, fin)
		}
	}
	runtime.SetFinalizer(&gcTick{}, fin)
}

// unlimited is the size from which a cgroup v1 limit means "no limit"
// (the kernel reports one just under 2^63).
const unlimited = 1 << 60

// availableMemory is the smallest of the process's cgroup memory limit (v1
// or v2) and the machine's memory, in bytes, read below root (a test's
// fake file tree, else "/"); 0 when none can be read.
func availableMemory(root string) int64 {
	var best int64
	consider := func(n int64) {
		if n > 0 && n < unlimited && (best == 0 || n < best) {
			best = n
		}
	}
	consider(memTotal(filepath.Join(root, "proc/meminfo")))
	for _, file := range cgroupLimitFiles(root) {
		if b, err := os.ReadFile(file); err == nil {
			s := strings.TrimSpace(string(b))
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				consider(n)
			} // "max": no limit
		}
	}
	return best
}

// cgroupLimitFiles lists the files that may hold the process's memory
// limit: those of its own cgroup (from /proc/self/cgroup) and of the root
// of the cgroup file system, which is the container's own in most runtimes.
func cgroupLimitFiles(root string) []string {
	files := []string{
		filepath.Join(root, "sys/fs/cgroup/memory.max"),
		filepath.Join(root, "sys/fs/cgroup/memory/memory.limit_in_bytes"),
	}
	f, err := os.Open(filepath.Join(root, "proc/self/cgroup"))
	if err != nil {
		return files
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "0::/path" (v2) or "4:memory:/path" (v1).
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 || strings.Contains(parts[2], "..") {
			continue
		}
		switch {
		case parts[1] == "":
			files = append(files, filepath.Join(root, "sys/fs/cgroup", parts[2], "memory.max"))
		case slices.Contains(strings.Split(parts[1], ","), "memory"):
			files = append(files, filepath.Join(root, "sys/fs/cgroup/memory", parts[2], "memory.limit_in_bytes"))
		}
	}
	return files
}

// memTotal reads MemTotal from a meminfo file, in bytes.
func memTotal(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			fields := strings.Fields(rest)
			if len(fields) >= 1 {
				if kb, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
					return kb << 10
				}
			}
		}
	}
	return 0
}
