package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	ecrcoll "github.com/kscan-io/kscan/collectors/ecr"
	"github.com/kscan-io/kscan/collectors/registry"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/scan"
)

// registryFlags are the flags of the registry source (OCI registries and
// live ECR). It must be the last source in sources(): it reads the image
// references of the workloads the other collectors added.
type registryFlags struct {
	online      bool
	offline     bool
	allowed     []string
	maxAge      string
	strict      bool
	concurrency int
	timeout     time.Duration
	ecr         bool
	ecrRegion   string
}

func (r *registryFlags) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&r.online, "registry", false, "ask the registries what every image is now (tag -> digest, created time, platforms) for the registry/* rules; credentials from the Docker config and the scanned cluster's imagePullSecrets")
	fs.BoolVar(&r.offline, "registry-offline", false, "never call a registry (overrides --registry); --allowed-registries is still checked")
	fs.StringSliceVar(&r.allowed, "allowed-registries", nil, "images must come from these registries: host, or host/path/* (comma-separated); others are reported by registry/untrusted-registry and never contacted")
	fs.StringVar(&r.maxAge, "max-image-age", "365d", "images built longer ago are reported by registry/stale-image (e.g. 90d, 2160h)")
	fs.BoolVar(&r.strict, "strict", false, "a registry that cannot be asked (unreachable, 401, 429, TLS) makes the scan incomplete (exit 2) instead of a warning")
	fs.IntVar(&r.concurrency, "registry-concurrency", registry.DefaultConcurrency, "registry requests in flight at once")
	fs.DurationVar(&r.timeout, "registry-timeout", registry.DefaultCallTimeout, "deadline of resolving one image (all its requests and retries)")
	fs.BoolVar(&r.ecr, "ecr", false, "read Amazon ECR repositories (tag mutability, scan on push, policies) through the API (default credential chain; AWS_ENDPOINT_URL_ECR honoured)")
	fs.StringVar(&r.ecrRegion, "ecr-region", "", "AWS region of --ecr (default: the AWS config's)")
}

func (r *registryFlags) collectors(_ context.Context, f *scanFlags) ([]scan.Collector, error) {
	maxAge, err := registry.ParseAge(r.maxAge)
	if err != nil {
		return nil, fmt.Errorf("--max-image-age: %w", err)
	}
	if r.concurrency <= 0 {
		return nil, errors.New("--registry-concurrency must be at least 1")
	}
	if r.ecrRegion != "" && !r.ecr {
		return nil, errors.New("--ecr-region needs --ecr")
	}
	var out []scan.Collector
	if r.ecr {
		out = append(out, scan.Source("ecr", ecrcoll.CollectLive, ecrcoll.LiveOptions{Region: r.ecrRegion}))
	}
	allowed := registry.ParseAllowed(r.allowed)
	if !r.online && !r.offline && len(allowed) == 0 {
		return out, nil
	}
	opts := registry.Options{
		Offline:     r.offline || !r.online,
		Allowed:     allowed,
		MaxImageAge: maxAge,
		Strict:      r.strict,
		Resolver:    registry.ResolverOptions{Concurrency: r.concurrency, CallTimeout: r.timeout, Retries: registry.DefaultRetries, UserAgent: "kscan/" + version},
		// The kube source, before this one in sources(), resolved the clusters.
		Credentials: &registry.Credentials{Clusters: f.src.kube.clusters, ECR: r.ecr, ECRRegion: r.ecrRegion},
	}
	out = append(out, scan.Source(string(graph.SourceRegistry), registry.Collect, opts))
	return out, nil
}
