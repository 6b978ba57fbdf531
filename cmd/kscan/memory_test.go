package main

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestAvailableMemory(t *testing.T) {
	const gib = int64(1) << 30
	meminfo := "MemTotal:       24684096 kB\nMemFree:  1000 kB\n"
	cases := []struct {
		name  string
		files map[string]string
		want  int64
	}{
		{"machine only", map[string]string{"proc/meminfo": meminfo}, 24684096 << 10},
		{"cgroup v2 limit in the process's cgroup", map[string]string{
			"proc/meminfo": meminfo, "proc/self/cgroup": "0::/kubepods/pod1/c1\n",
			"sys/fs/cgroup/kubepods/pod1/c1/memory.max": "1073741824\n",
		}, gib},
		{"cgroup v2 without a limit", map[string]string{
			"proc/meminfo": meminfo, "proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": "max\n",
		}, 24684096 << 10},
		{"cgroup v2 limit at the namespace root (a container)", map[string]string{
			"proc/meminfo": meminfo, "proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": "536870912\n",
		}, gib / 2},
		{"cgroup v1 limit", map[string]string{
			"proc/meminfo": meminfo, "proc/self/cgroup": "5:cpu,cpuacct:/x\n4:memory:/docker/abc\n",
			"sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "2147483648\n",
		}, 2 * gib},
		{"cgroup v1 unlimited", map[string]string{
			"proc/meminfo": meminfo, "proc/self/cgroup": "4:memory:/\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
		}, 24684096 << 10},
		{"a cgroup limit above the machine's memory", map[string]string{
			"proc/meminfo": "MemTotal: 1048576 kB\n", "proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": "8589934592\n",
		}, gib},
		{"nothing readable", map[string]string{}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for name, content := range tc.files {
				p := filepath.Join(root, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := availableMemory(root); got != tc.want {
				t.Errorf("availableMemory = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestNextLimit(t *testing.T) {
	const mib = int64(1) << 20
	cases := []struct {
		name                       string
		live, limit, ceiling, want int64
	}{
		{"room to grow", 300 * mib, 768 * mib, 20000 * mib, 768 * mib},
		{"just enough room", 460 * mib, 768 * mib, 20000 * mib, 768 * mib},
		{"outgrown: 5/3 of live", 900 * mib, 768 * mib, 20000 * mib, 1500 * mib},
		{"outgrown, capped by the ceiling", 900 * mib, 768 * mib, 1000 * mib, 1000 * mib},
		{"never lowered", 100 * mib, 1500 * mib, 20000 * mib, 1500 * mib},
		{"no ceiling known", 900 * mib, 768 * mib, 0, 1500 * mib},
		{"ceiling below the limit keeps the limit", 900 * mib, 768 * mib, 700 * mib, 768 * mib},
	}
	for _, tc := range cases {
		if got := nextLimit(tc.live, tc.limit, tc.ceiling); got != tc.want {
			t.Errorf("%s: nextLimit = %d MiB, want %d MiB", tc.name, got/mib, tc.want/mib)
		}
	}
}

// After a collection that finds the live heap near the soft limit, the
// limit is raised: the hook really runs once per GC.
func TestAfterEachGCRaisesTheLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	limit := int64(16 << 20)
	debug.SetMemoryLimit(limit)
	raised := make(chan int64, 16)
	afterEachGC(func() bool {
		if next := nextLimit(liveHeap(), limit, 0); next != limit {
			limit = next
			debug.SetMemoryLimit(limit)
			raised <- limit
			return false // done: later tests keep the process's limit
		}
		return true
	})
	keep := make([][]byte, 0, 64)
	for range 48 {
		keep = append(keep, make([]byte, 1<<20))
	}
	runtime.GC()
	runtime.GC()
	select {
	case got := <-raised:
		if now := debug.SetMemoryLimit(-1); got <= 16<<20 || now < got {
			t.Errorf("limit raised to %d, process limit %d", got, now)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the limit was not raised after two collections with 48 MiB live")
	}
	runtime.KeepAlive(keep)
}
