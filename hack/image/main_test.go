package main

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image is pushed to a real registry (go-containerregistry's, on
// loopback), pulled back and inspected.
func TestPushToRegistry(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	dir := t.TempDir()
	bin := filepath.Join(dir, "kscan")
	content := []byte("\x7fELF pretend static binary " + t.Name())
	if err := os.WriteFile(bin, content, 0o755); err != nil {
		t.Fatal(err)
	}
	certs := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(certs, []byte("-----BEGIN CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := options{Binary: bin, Image: host + "/team/kscan:v1.2.3", CACerts: certs, Platform: "linux/arm64", Version: "v1.2.3"}
	ctx := context.Background()
	pushed, err := push(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pushed, host+"/team/kscan@sha256:") {
		t.Fatalf("pushed %s", pushed)
	}
	// Reproducible: the same inputs give the same digest.
	again, err := push(ctx, o)
	if err != nil || again != pushed {
		t.Errorf("second build %s (%v), first %s", again, err, pushed)
	}
	ref, err := name.ParseReference(host + "/team/kscan:v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	if !strings.HasSuffix(pushed, d.String()) {
		t.Errorf("tag points at %s, pushed %s", d, pushed)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cf.Config.Entrypoint, " ") != "/kscan" || cf.Config.User != "65532:65532" || cf.OS != "linux" || cf.Architecture != "arm64" {
		t.Errorf("config: entrypoint %v user %q platform %s/%s", cf.Config.Entrypoint, cf.Config.User, cf.OS, cf.Architecture)
	}
	files := map[string]*tar.Header{}
	var got []byte
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = h
		if h.Name == "kscan" {
			got, _ = io.ReadAll(tr)
		}
	}
	if string(got) != string(content) || files["kscan"] == nil || files["kscan"].Mode&0o111 == 0 {
		t.Errorf("binary in image: %q, header %+v", got, files["kscan"])
	}
	for _, f := range []string{"etc/passwd", "etc/ssl/certs/ca-certificates.crt"} {
		if files[f] == nil {
			t.Errorf("no %s in image", f)
		}
	}
	// A base image: the layer goes on top of it.
	o2 := o
	o2.Image = host + "/team/kscan:on-base"
	o2.Base = host + "/team/kscan:v1.2.3"
	if _, err := push(ctx, o2); err != nil {
		t.Fatal(err)
	}
	ref2, _ := name.ParseReference(o2.Image)
	img2, err := remote.Image(ref2)
	if err != nil {
		t.Fatal(err)
	}
	if ls, _ := img2.Layers(); len(ls) != 2 {
		t.Errorf("image on a base has %d layers, want 2", len(ls))
	}
}

func TestBadInput(t *testing.T) {
	if _, err := push(context.Background(), options{Binary: "/nonexistent", Image: "localhost:1/x:y", Platform: "linux/amd64"}); err == nil {
		t.Error("missing binary accepted")
	}
	if _, err := push(context.Background(), options{Binary: "/nonexistent", Image: "UPPER CASE", Platform: "linux/amd64"}); err == nil {
		t.Error("bad reference accepted")
	}
}

// Several --binary PLATFORM=FILE give a multi-arch OCI index; each platform
// pulls back its own binary, and the SBOM is found as a referrer.
func TestMultiArchIndexWithSBOM(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true)))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	dir := t.TempDir()
	content := map[string][]byte{}
	var bins []string
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		f := filepath.Join(dir, strings.ReplaceAll(p, "/", "-"))
		content[p] = []byte("\x7fELF pretend binary for " + p)
		if err := os.WriteFile(f, content[p], 0o755); err != nil {
			t.Fatal(err)
		}
		bins = append(bins, p+"="+f)
	}
	sbom := filepath.Join(dir, "kscan.cdx.json")
	sbomData := []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","version":1}`)
	os.WriteFile(sbom, sbomData, 0o644)
	o := options{Binaries: bins, SBOM: sbom, Image: host + "/team/kscan:v1.2.3", Version: "v1.2.3"}
	pushed, err := push(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := name.ParseReference(host + "/team/kscan:v1.2.3")
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatalf("the tag is not an index: %v", err)
	}
	if d, _ := idx.Digest(); !strings.HasSuffix(pushed, d.String()) {
		t.Errorf("pushed %s, tag points at %s", pushed, d)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != types.OCIImageIndex || len(im.Manifests) != 2 {
		t.Fatalf("index %s with %d manifests", im.MediaType, len(im.Manifests))
	}
	for p, want := range content {
		osName, arch, _ := strings.Cut(p, "/")
		img, err := remote.Image(ref, remote.WithPlatform(v1.Platform{OS: osName, Architecture: arch}))
		if err != nil {
			t.Fatal(err)
		}
		cf, _ := img.ConfigFile()
		if cf.OS != osName || cf.Architecture != arch || cf.Config.User != "65532:65532" || cf.Config.Labels["org.opencontainers.image.version"] != "v1.2.3" {
			t.Errorf("%s: config %s/%s user %q labels %v", p, cf.OS, cf.Architecture, cf.Config.User, cf.Config.Labels)
		}
		rc := mutate.Extract(img)
		tr := tar.NewReader(rc)
		var got []byte
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			if h.Name == "kscan" {
				got, _ = io.ReadAll(tr)
			}
		}
		rc.Close()
		if string(got) != string(want) {
			t.Errorf("%s pulled binary %q, want %q", p, got, want)
		}
	}
	// The SBOM, found through the referrers API by the index digest.
	d, _ := idx.Digest()
	refs, err := remote.Referrers(ref.Context().Digest(d.String()))
	if err != nil {
		t.Fatal(err)
	}
	rm, _ := refs.IndexManifest()
	var found bool
	for _, m := range rm.Manifests {
		if m.ArtifactType != "application/vnd.cyclonedx+json" {
			continue
		}
		art, err := remote.Image(ref.Context().Digest(m.Digest.String()))
		if err != nil {
			t.Fatal(err)
		}
		ls, _ := art.Layers()
		if len(ls) != 1 {
			t.Fatalf("SBOM artifact has %d layers", len(ls))
		}
		rc, _ := ls[0].Uncompressed()
		b, _ := io.ReadAll(rc)
		rc.Close()
		found = string(b) == string(sbomData)
	}
	if !found {
		t.Errorf("no CycloneDX SBOM among the index's referrers: %+v", rm.Manifests)
	}
	// A malformed pair is an error, not a silent single-arch image.
	if _, err := push(context.Background(), options{Binaries: []string{"linux/amd64"}, Image: host + "/x/y:z"}); err == nil {
		t.Error("--binary without PLATFORM=FILE accepted in an index")
	}
}
