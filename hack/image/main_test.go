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
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
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
