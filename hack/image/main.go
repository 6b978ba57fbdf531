// Command image builds kscan's container image without Docker and pushes
// it: one layer holding the static binary (plus CA certificates and a
// passwd entry for the non-root user) appended to a base image (scratch by
// default), with the entrypoint and user set. The result is reproducible:
// the same binary gives the same digest. Used by `make image REGISTRY=…`.
// With several --binary PLATFORM=FILE it pushes one image per platform under
// an OCI image index (multi-arch), and with --sbom the release's CycloneDX
// SBOM is attached to the index as an OCI referrer (artifactType
// application/vnd.cyclonedx+json).
//
//	go run ./hack/image --binary bin/linux/kscan --image REGISTRY/kscan:TAG [--base gcr.io/distroless/static]
//	go run ./hack/image --binary linux/amd64=bin/linux-amd64/kscan --binary linux/arm64=bin/linux-arm64/kscan \
//	    --image REGISTRY/kscan:TAG [--sbom dist/kscan_1.2.3_linux_amd64.cdx.json]
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// UID and GID of the image's user (distroless "nonroot"); deploy/ runs as it.
const uid = 65532

type options struct {
	// Binaries are PLATFORM=FILE pairs; more than one builds an index.
	Binaries []string
	SBOM     string // CycloneDX JSON attached as a referrer; "" = none
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
	flag.Func("binary", "static kscan binary built for --platform, or PLATFORM=FILE (repeat for a multi-arch index)", func(v string) error {
		o.Binaries = append(o.Binaries, v)
		return nil
	})
	flag.StringVar(&o.SBOM, "sbom", "", "CycloneDX SBOM to attach to the image as an OCI referrer")
	flag.StringVar(&o.Image, "image", "", "image reference to push, e.g. registry.example.com/team/kscan:v1.2.3")
	flag.StringVar(&o.Base, "base", "", "base image (default: scratch)")
	flag.StringVar(&o.CACerts, "ca-certs", "/etc/ssl/certs/ca-certificates.crt", "CA bundle to include (empty: none)")
	flag.StringVar(&o.Platform, "platform", "linux/amd64", "platform of the binary")
	flag.StringVar(&o.Version, "version", "dev", "version label")
	flag.BoolVar(&o.Insecure, "insecure", false, "the registry speaks plain HTTP")
	flag.Parse()
	if len(o.Binaries) == 1 && !strings.Contains(o.Binaries[0], "=") {
		o.Binary, o.Binaries = o.Binaries[0], nil
	}
	if (o.Binary == "" && len(o.Binaries) == 0) || o.Image == "" {
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
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	// One image, or an index of one image per platform: pushed the same way.
	var (
		artifact partial.Describable
		write    func() error
	)
	if len(o.Binaries) > 0 {
		idx, err := buildIndex(ctx, o)
		if err != nil {
			return "", err
		}
		artifact, write = idx, func() error { return remote.WriteIndex(tag, idx, ropts...) }
	} else {
		img, err := build(ctx, o)
		if err != nil {
			return "", err
		}
		artifact, write = img, func() error { return remote.Write(tag, img, ropts...) }
	}
	if err := write(); err != nil {
		return "", fmt.Errorf("pushing %s: %w", tag, err)
	}
	pushed, err := artifact.Digest()
	if err != nil {
		return "", err
	}
	subject, err := partial.Descriptor(artifact)
	if err != nil {
		return "", err
	}
	if o.SBOM != "" {
		if err := attachSBOM(tag, *subject, o.SBOM, ropts); err != nil {
			return "", err
		}
	}
	return tag.Context().Digest(pushed.String()).String(), nil
}

// buildIndex builds one image per PLATFORM=FILE and an OCI index of them.
func buildIndex(ctx context.Context, o options) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	seen := map[string]bool{}
	for _, pb := range o.Binaries {
		platform, file, ok := strings.Cut(pb, "=")
		if !ok || platform == "" || file == "" {
			return nil, fmt.Errorf("--binary %q: want PLATFORM=FILE (e.g. linux/arm64=bin/linux-arm64/kscan)", pb)
		}
		if seen[platform] {
			return nil, fmt.Errorf("--binary: platform %s given twice", platform)
		}
		seen[platform] = true
		po := o
		po.Binary, po.Platform = file, platform
		img, err := build(ctx, po)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", platform, err)
		}
		osName, arch, _ := strings.Cut(platform, "/")
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			MediaType: types.OCIManifestSchema1, Platform: &v1.Platform{OS: osName, Architecture: arch},
		}})
	}
	return idx, nil
}

// attachSBOM pushes the SBOM as an OCI artifact whose subject is the image
// (or index), so `oras discover` / the referrers API find it by digest.
func attachSBOM(tag name.Reference, subject v1.Descriptor, path string, ropts []remote.Option) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--sbom: %w", err)
	}
	const sbomType = "application/vnd.cyclonedx+json"
	layer := static.NewLayer(data, sbomType)
	art := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	// The referrers API reports the config media type as artifactType.
	art = mutate.ConfigMediaType(art, types.MediaType(sbomType))
	art, err = mutate.Append(art, mutate.Addendum{Layer: layer, Annotations: map[string]string{"org.opencontainers.image.title": filepath.Base(path)}})
	if err != nil {
		return err
	}
	art = mutate.Annotations(art, map[string]string{"org.opencontainers.image.description": "CycloneDX SBOM of kscan"}).(v1.Image)
	art = mutate.Subject(art, subject).(v1.Image)
	ad, err := art.Digest()
	if err != nil {
		return err
	}
	if err := remote.Write(tag.Context().Digest(ad.String()), art, ropts...); err != nil {
		return fmt.Errorf("pushing the SBOM: %w", err)
	}
	return nil
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
