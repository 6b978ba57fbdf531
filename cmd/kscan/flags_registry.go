package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	ecrcoll "github.com/kscan-io/kscan/collectors/ecr"
	"github.com/kscan-io/kscan/collectors/kube"
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
		region := r.ecrRegion
		out = append(out, scan.CollectorFunc{N: "ecr", F: func(ctx context.Context, g *graph.Graph) error {
			var opts []func(*config.LoadOptions) error
			if region != "" {
				opts = append(opts, config.WithRegion(region))
			}
			cfg, err := config.LoadDefaultConfig(ctx, opts...)
			if err != nil {
				return fmt.Errorf("AWS config: %w", err)
			}
			return ecrcoll.Collect(ctx, ecr.NewFromConfig(cfg), g)
		}})
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
	}
	clusters := func() []kube.Cluster { return f.src.kube.clusters } // resolved by the kube source's collectors()
	useECR, ecrRegion := r.ecr, r.ecrRegion
	out = append(out, scan.CollectorFunc{N: string(graph.SourceRegistry), F: func(ctx context.Context, g *graph.Graph) error {
		o := opts
		if !o.Offline {
			// Pull secrets first, then (with --ecr) ECR tokens, then the Docker config.
			keys := []authn.Keychain{}
			if kc := pullSecrets(ctx, clusters(), g); kc != nil {
				keys = append(keys, kc)
			}
			if useECR {
				if kc, err := ecrKeychain(ctx, ecrRegion); err == nil {
					keys = append(keys, kc)
				}
			}
			keys = append(keys, authn.DefaultKeychain)
			o.Keychain = authn.NewMultiKeychain(keys...)
		}
		return registry.Collect(ctx, o, g)
	}})
	return out, nil
}

// ecrKeychain issues ECR registry credentials with the --ecr AWS config,
// a client per registry region.
func ecrKeychain(ctx context.Context, region string) (authn.Keychain, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return ecrcoll.Keychain(ctx, func(r string) ecrcoll.AuthAPI {
		return ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.Region = r })
	}), nil
}

// pullSecrets reads the imagePullSecrets of the scanned clusters' pods.
func pullSecrets(ctx context.Context, clusters []kube.Cluster, g *graph.Graph) authn.Keychain {
	if len(clusters) == 0 {
		return nil
	}
	clients := map[string]kubernetes.Interface{}
	for _, c := range clusters {
		cfg := rest.CopyConfig(c.Config)
		cfg.Timeout = registry.DefaultCallTimeout
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			g.AddError(graph.InputError{Level: graph.LevelWarning, Source: graph.Source{Kind: graph.SourceCluster, Cluster: c.Name}, Message: "imagePullSecrets not read: " + err.Error()})
			continue
		}
		clients[c.Name] = cs
	}
	return registry.PullSecretKeychainClusters(ctx, func(cluster string) kubernetes.Interface {
		if cs, ok := clients[cluster]; ok {
			return cs
		}
		if len(clients) == 1 && cluster == "" {
			for _, cs := range clients {
				return cs
			}
		}
		return nil
	}, g)
}
