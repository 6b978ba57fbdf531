package security

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chartArchive packs a chart named name with a 4 MiB file of zeros (under
// Helm's 5 MiB per-file limit, a few KB compressed) and fanout copies of
// the subchart archive sub.
func chartArchive(t *testing.T, name string, sub []byte, fanout int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	add := func(p string, data []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name + "/" + p, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	add("Chart.yaml", []byte("apiVersion: v2\nname: "+name+"\nversion: 0.1.0\n"))
	add("templates/cm.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "+name+"}\n"))
	add("files/zero", make([]byte, 4<<20))
	for i := 0; sub != nil && i < fanout; i++ {
		add(fmt.Sprintf("charts/s%d.tgz", i), sub)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Attack: a small chart whose subchart archives hold subchart archives.
// Helm's 100 MiB limit is per archive, so together they decompressed to
// gigabytes. One budget per chart ends it with an error naming the chart.
func TestNestedSubchartArchives(t *testing.T) {
	var sub []byte
	for level := 5; level >= 1; level-- { // 4^5 archives of 4 MiB each at the bottom
		sub = chartArchive(t, fmt.Sprintf("l%d", level), sub, 4)
	}
	top := chartArchive(t, "top", sub, 4)
	dir := tree(t, map[string]string{"k8s/pod.yaml": privilegedPod})
	if err := os.WriteFile(filepath.Join(dir, "k8s", "top.tgz"), top, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("chart archive: %d KB", len(top)>>10)
	r := run(t, dir, runOpts{memKiB: 2 << 20, deadline: 120 * time.Second}, "scan", "--fail-on", "none", "k8s")
	if r.code != 2 || !strings.Contains(r.stderr, "k8s/top.tgz") || !strings.Contains(r.stderr, "decompress to more than") {
		t.Errorf("exit %d, want 2 and the archive budget named at k8s/top.tgz:\n%s", r.code, tail(r.stderr))
	}
	if !strings.Contains(r.stdout, "privileged") {
		t.Errorf("the other files were not scanned:\n%s", tail(r.stdout))
	}
}
