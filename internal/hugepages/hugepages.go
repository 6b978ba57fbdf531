// Package hugepages lets the Go heap grow into transparent huge pages where
// the kernel gives them only to memory that asks (THP mode "madvise", the
// default of Debian, Ubuntu and many Kubernetes nodes).
//
// Go stopped asking for huge pages in 1.21.1, so there its heap faults in
// 4 KiB at a time: a messy 50,000-object scan takes about 185,000 page
// faults, 1.2–1.6 s of system CPU and the TLB misses of 4 KiB pages
// (docs/benchmarks.md, "Huge pages"). Prepare maps a block of heap, marks
// it MADV_HUGEPAGE and drops it: the runtime keeps the range mapped and
// reuses it lowest address first, so the heap grows into memory that
// faults 2 MiB at a time.
package hugepages

import (
	"os"
	"path/filepath"
	"strings"
)

// offEnv is the environment variable that turns Prepare off ("0").
const offEnv = "KSCAN_HUGEPAGES"

// mode is the kernel's transparent huge page mode read below root ("/", or
// a test's file tree): "always", "madvise", "never", or "" when unknown.
func mode(root string) string {
	b, err := os.ReadFile(filepath.Join(root, "sys/kernel/mm/transparent_hugepage/enabled"))
	if err != nil {
		return ""
	}
	// "always [madvise] never": the selected mode is in brackets.
	for _, f := range strings.Fields(string(b)) {
		if strings.HasPrefix(f, "[") && strings.HasSuffix(f, "]") {
			return strings.Trim(f, "[]")
		}
	}
	return ""
}

// strictOvercommit says whether every mapping counts against a commit
// limit (vm.overcommit_memory 2): a block mapped ahead of need could then
// be refused, and Go's runtime dies when a mapping is refused.
func strictOvercommit(root string) bool {
	b, err := os.ReadFile(filepath.Join(root, "proc/sys/vm/overcommit_memory"))
	return err != nil || strings.TrimSpace(string(b)) == "2"
}

// wanted says whether Prepare should act: huge pages on request only, a
// kernel that maps ahead of need without counting, not turned off.
func wanted(root string) bool {
	return os.Getenv(offEnv) != "0" && mode(root) == "madvise" && !strictOvercommit(root)
}

// hugePage is the size of a transparent huge page on the platforms kscan
// ships for (amd64, arm64 with 4 KiB base pages).
const hugePage = 2 << 20
