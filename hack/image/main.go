// Command image builds kscan's container image without Docker and pushes
// it: one layer holding the static binary (plus CA certificates and a
// passwd entry for the non-root user) appended to a base image (scratch by
// default), with the entrypoint and user set. The result is reproducible:
// the same binary gives the same digest. Used by `make image REGISTRY=…`.
//
//	go run ./hack/image --binary bin/linux/kscan --image REGISTRY/kscan:TAG [--base gcr.io/distroless/static]
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// UID and GID of the image's user (distroless "nonroot"); deploy/ runs as it.
const uid = 65532

type options struct {
	Binary   string // static linux binary
	Image    string // where to push: REGISTRY/kscan:TAG
	Base     string // base image; "" = scratch
	CACerts  string // CA bundle copied to /etc/ssl/certs/ca-certificates.crt; "" = none
	Platform string // os/arch of the binary
	Version  string // org.opencontainers.image.version label
	Insecure bool   // plain-HTTP registry
}

func main() {
	var o options
	flag.StringVar(&o.Binary, "binary", "", "static kscan binary built for the target platform")
	flag.StringVar(&o.Image, "image", "", "image reference to push, e.g. registry.example.com/team/kscan:v1.2.3")
	flag.StringVar(&o.Base, "base", "", "base image (default: scratch)")
	flag.StringVar(&o.CACerts, "ca-certs", "/etc/ssl/certs/ca-certificates.crt", "CA bundle to include (empty: none)")
	flag.StringVar(&o.Platform, "platform", "linux/amd64", "platform of the binary")
	flag.StringVar(&o.Version, "version", "dev", "version label")
	flag.BoolVar(&o.Insecure, "insecure", false, "the registry speaks plain HTTP")
	flag.Parse()
	if o.Binary == "" || o.Image == "" {
		fmt.Fprintln(os.Stderr, "usage: image --binary FILE --image REGISTRY/kscan:TAG [--base IMAGE]")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	ref, err := push(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
	fmt.Println(ref)
}

// push builds the image and pushes it; it returns the pushed reference by
// digest (REGISTRY/kscan@sha256:…), which deploy/ should pin.
func push(ctx context.Context, o options) (string, error) {
	var nameOpts []name.Option
	if o.Insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	tag, err := name.ParseReference(o.Image, nameOpts...)
	if err != nil {
		return "", fmt.Errorf("--image: %w", err)
	}
	img, err := build(ctx, o)
	if err != nil {
		return "", err
	}
	if err := remote.Write(tag, img, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return "", fmt.Errorf("pushing %s: %w", tag, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return tag.Context().Digest(d.String()).String(), nil
}

func build(ctx context.Context, o options) (v1.Image, error) {
	osName, arch, ok := strings.Cut(o.Platform, "/")
	if !ok {
		return nil, fmt.Errorf("--platform %q: want os/arch", o.Platform)
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	if o.Base != "" {
		ref, err := name.ParseReference(o.Base)
		if err != nil {
			return nil, fmt.Errorf("--base: %w", err)
		}
		base, err = remote.Image(ref, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain),
			remote.WithPlatform(v1.Platform{OS: osName, Architecture: arch}))
		if err != nil {
			return nil, fmt.Errorf("base image %s: %w", o.Base, err)
		}
	}
	bin, err := os.ReadFile(o.Binary)
	if err != nil {
		return nil, err
	}
	files := []file{
		{"etc/passwd", []byte(fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", uid, uid)), 0o644},
		{"etc/group", []byte(fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", uid)), 0o644},
		{"kscan", bin, 0o755},
	}
	if o.CACerts != "" {
		certs, err := os.ReadFile(o.CACerts)
		if err != nil {
			return nil, fmt.Errorf("--ca-certs: %w", err)
		}
		files = append(files, file{"etc/ssl/certs/ca-certificates.crt", certs, 0o644})
	}
	layerTar, err := tarOf(files)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layerTar)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: "kscan hack/image: static binary", Created: v1.Time{Time: time.Unix(0, 0).UTC()}}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = osName, arch
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()} // reproducible
	cf.Config.Entrypoint = []string{"/kscan"}
	cf.Config.Cmd = nil
	cf.Config.User = fmt.Sprintf("%d:%d", uid, uid)
	cf.Config.WorkingDir = "/"
	cf.Config.Env = []string{"PATH=/", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
	if cf.Config.Labels == nil {
		cf.Config.Labels = map[string]string{}
	}
	cf.Config.Labels["org.opencontainers.image.title"] = "kscan"
	cf.Config.Labels["org.opencontainers.image.source"] = "https://github.com/kscan-io/kscan"
	cf.Config.Labels["org.opencontainers.image.version"] = o.Version
	return mutate.ConfigFile(img, cf)
}

type file struct {
	path string
	data []byte
	mode int64
}

// tarOf writes files with fixed owners and times, so the layer digest
// depends on content only.
func tarOf(files []file) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	epoch := time.Unix(0, 0).UTC()
	for _, f := range files {
		parts := strings.Split(f.path, "/")
		for i := 1; i < len(parts); i++ {
			d := strings.Join(parts[:i], "/") + "/"
			if dirs[d] {
				continue
			}
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
				return nil, err
			}
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.path, Mode: f.mode, Size: int64(len(f.data)), ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
