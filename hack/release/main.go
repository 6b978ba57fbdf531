// Command release builds kscan's release artefacts into one directory:
// the kscan CLI and the Pulumi analyzer plugin for every platform, each in
// an archive named the way installers expect, a CycloneDX SBOM per binary
// and checksums.txt (SHA-256). Builds are reproducible: -trimpath, no cgo,
// no build id or VCS stamp, archive entries dated SOURCE_DATE_EPOCH and
// owned by root, so the same commit gives the same checksums anywhere.
// Used by `make release VERSION=vX.Y.Z`.
//
//	go run ./hack/release --version v1.2.3 [--out dist] [--platforms linux/amd64,darwin/arm64]
//
// Archive names:
//
//	kscan_1.2.3_linux_amd64.tar.gz (.zip for windows)      the CLI, README, CHANGELOG
//	pulumi-analyzer-policy-kscan-v1.2.3-linux-amd64.tar.gz  what `pulumi plugin install analyzer policy-kscan v1.2.3 --server URL` downloads
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultPlatforms are the GOOS/GOARCH pairs of a release.
var DefaultPlatforms = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

// versionRe: a release version is a semantic version with a v prefix.
var versionRe = regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)

// Options configures one release build.
type Options struct {
	Version   string
	Out       string
	Platforms []string
	// Epoch dates every archive entry and the SBOMs (SOURCE_DATE_EPOCH).
	Epoch int64
	// Root is the repository root (where go.mod is).
	Root string
	Log  io.Writer
}

// Artefact is one file written to Out.
type Artefact struct {
	Name   string
	Size   int64
	SHA256 string
}

func main() {
	var o Options
	var platforms string
	flag.StringVar(&o.Version, "version", "", "release version, e.g. v1.2.3 (required)")
	flag.StringVar(&o.Out, "out", "dist", "output directory (emptied first)")
	flag.StringVar(&platforms, "platforms", strings.Join(DefaultPlatforms, ","), "GOOS/GOARCH pairs, comma-separated")
	flag.Int64Var(&o.Epoch, "source-date-epoch", -1, "timestamp of archive entries (default: $SOURCE_DATE_EPOCH, else the last commit's time)")
	flag.Parse()
	o.Platforms = strings.Split(platforms, ",")
	o.Root = "."
	o.Log = os.Stderr
	if o.Epoch < 0 {
		o.Epoch = defaultEpoch()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Minute)
	defer cancel()
	arts, err := Build(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(2)
	}
	for _, a := range arts {
		fmt.Printf("%s  %10d  %s\n", a.SHA256, a.Size, a.Name)
	}
}

func defaultEpoch() int64 {
	if v := os.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	out, err := exec.Command("git", "log", "-1", "--format=%ct").Output()
	if err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil {
			return n
		}
	}
	return 0
}

// binaries of a release: the main package and the name of its executable.
var binaries = []struct{ pkg, name string }{
	{"./cmd/kscan", "kscan"},
	{"./cmd/pulumi-analyzer-policy-kscan", "pulumi-analyzer-policy-kscan"},
}

// Build writes every artefact and checksums.txt, and returns them sorted by
// name (checksums.txt last).
func Build(ctx context.Context, o Options) ([]Artefact, error) {
	if !versionRe.MatchString(o.Version) {
		return nil, fmt.Errorf("--version %q is not a release version like v1.2.3", o.Version)
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if err := os.RemoveAll(o.Out); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "kscan-release-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	mtime := time.Unix(o.Epoch, 0).UTC()
	docs := docFiles(o.Root)
	var names []string
	for _, p := range o.Platforms {
		goos, goarch, ok := strings.Cut(strings.TrimSpace(p), "/")
		if !ok || goos == "" || goarch == "" {
			return nil, fmt.Errorf("platform %q is not GOOS/GOARCH", p)
		}
		for _, b := range binaries {
			exe := b.name
			if goos == "windows" {
				exe += ".exe"
			}
			bin := filepath.Join(work, goos+"-"+goarch, exe)
			fmt.Fprintf(o.Log, "release: building %s for %s/%s\n", b.name, goos, goarch)
			if err := goBuild(ctx, o, goos, goarch, b.pkg, bin); err != nil {
				return nil, err
			}
			var archive string
			files := []archiveFile{{name: exe, path: bin, mode: 0o755}}
			if b.name == "kscan" {
				files = append(files, docs...)
				base := fmt.Sprintf("kscan_%s_%s_%s", strings.TrimPrefix(o.Version, "v"), goos, goarch)
				if goos == "windows" {
					archive = base + ".zip"
					err = writeZip(filepath.Join(o.Out, archive), files, mtime)
				} else {
					archive = base + ".tar.gz"
					err = writeTarGz(filepath.Join(o.Out, archive), files, mtime)
				}
			} else {
				// Pulumi's plugin installer wants a .tar.gz with the
				// executable at the top, on every OS.
				archive = fmt.Sprintf("%s-%s-%s-%s.tar.gz", b.name, o.Version, goos, goarch)
				err = writeTarGz(filepath.Join(o.Out, archive), files, mtime)
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", archive, err)
			}
			sbom := strings.TrimSuffix(strings.TrimSuffix(archive, ".zip"), ".tar.gz") + ".cdx.json"
			if err := writeSBOM(filepath.Join(o.Out, sbom), bin, b.name, o.Version, goos, goarch, mtime); err != nil {
				return nil, fmt.Errorf("%s: %w", sbom, err)
			}
			names = append(names, archive, sbom)
		}
	}
	sort.Strings(names)
	var arts []Artefact
	var sums bytes.Buffer
	for _, n := range names {
		a, err := describe(filepath.Join(o.Out, n))
		if err != nil {
			return nil, err
		}
		arts = append(arts, a)
		fmt.Fprintf(&sums, "%s  %s\n", a.SHA256, a.Name)
	}
	if err := os.WriteFile(filepath.Join(o.Out, "checksums.txt"), sums.Bytes(), 0o644); err != nil {
		return nil, err
	}
	a, err := describe(filepath.Join(o.Out, "checksums.txt"))
	if err != nil {
		return nil, err
	}
	return append(arts, a), nil
}

func goBuild(ctx context.Context, o Options, goos, goarch, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w -buildid= -X main.version="+o.Version, "-o", out, pkg)
	cmd.Dir = o.Root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch, "GOFLAGS=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s for %s/%s: %v\n%s", pkg, goos, goarch, err, stderr.String())
	}
	return nil
}

type archiveFile struct {
	name, path string
	mode       int64
}

func docFiles(root string) []archiveFile {
	var out []archiveFile
	for _, n := range []string{"README.md", "CHANGELOG.md", "LICENSE"} {
		if _, err := os.Stat(filepath.Join(root, n)); err == nil {
			out = append(out, archiveFile{name: n, path: filepath.Join(root, n), mode: 0o644})
		}
	}
	return out
}

func writeTarGz(path string, files []archiveFile, mtime time.Time) error {
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // no name, zero ModTime: reproducible
	tw := tar.NewWriter(gz)
	for _, f := range files {
		data, err := os.ReadFile(f.path)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(data)), ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func writeZip(path string, files []archiveFile, mtime time.Time) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		data, err := os.ReadFile(f.path)
		if err != nil {
			return err
		}
		hdr := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: mtime}
		hdr.SetMode(os.FileMode(f.mode))
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func describe(path string) (Artefact, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Artefact{}, err
	}
	sum := sha256.Sum256(data)
	return Artefact{Name: filepath.Base(path), Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}, nil
}

// writeSBOM writes a CycloneDX 1.5 JSON SBOM of a Go binary from the build
// information the toolchain embeds in it (the same data as `go version -m`):
// the main module and every dependency module with its version and sum.
func writeSBOM(path, bin, name, version, goos, goarch string, mtime time.Time) error {
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		return fmt.Errorf("reading build info of %s: %w", bin, err)
	}
	type hash struct {
		Alg     string `json:"alg"`
		Content string `json:"content"`
	}
	type property struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	type component struct {
		Type       string     `json:"type"`
		BOMRef     string     `json:"bom-ref"`
		Name       string     `json:"name"`
		Version    string     `json:"version"`
		PURL       string     `json:"purl"`
		Hashes     []hash     `json:"hashes,omitempty"`
		Properties []property `json:"properties,omitempty"`
	}
	purl := func(path, v string) string { return "pkg:golang/" + path + "@" + v }
	main := component{
		Type: "application", Name: name, Version: version, BOMRef: purl(bi.Main.Path, version), PURL: purl(bi.Main.Path, version),
		Properties: []property{{"go:version", bi.GoVersion}, {"go:os", goos}, {"go:arch", goarch}},
	}
	var comps []component
	for _, d := range bi.Deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		c := component{Type: "library", Name: m.Path, Version: m.Version, BOMRef: purl(m.Path, m.Version), PURL: purl(m.Path, m.Version)}
		// The go.sum hash is "h1:" + base64 SHA-256 of the module's file
		// tree; CycloneDX wants hex.
		if h, ok := strings.CutPrefix(m.Sum, "h1:"); ok {
			if raw, err := decodeB64(h); err == nil {
				c.Hashes = []hash{{"SHA-256", hex.EncodeToString(raw)}}
			}
		}
		comps = append(comps, c)
	}
	sort.Slice(comps, func(i, j int) bool { return comps[i].BOMRef < comps[j].BOMRef })
	deps := make([]string, len(comps))
	for i, c := range comps {
		deps[i] = c.BOMRef
	}
	doc := map[string]any{
		"bomFormat":   "CycloneDX",
		"specVersion": "1.5",
		"version":     1,
		"metadata": map[string]any{
			"timestamp": mtime.Format(time.RFC3339),
			"tools":     map[string]any{"components": []any{map[string]any{"type": "application", "name": "kscan hack/release", "version": version}}},
			"component": main,
		},
		"components":   comps,
		"dependencies": []any{map[string]any{"ref": main.BOMRef, "dependsOn": deps}},
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

func decodeB64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
