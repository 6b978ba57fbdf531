package registry

import (
	"context"

	"github.com/google/go-containerregistry/pkg/authn"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kscan-io/kscan/collectors/ecr"
	"github.com/kscan-io/kscan/collectors/kube"
	"github.com/kscan-io/kscan/graph"
)

// Credentials say where registry credentials come from, in this order: the
// imagePullSecrets of the scanned clusters' pods, ECR tokens (with ECR),
// then the Docker config and its credential helpers.
type Credentials struct {
	// Clusters are the live clusters of the scan (their pull secrets).
	Clusters []kube.Cluster
	// ECR issues ECR tokens with the AWS config (--ecr), in ECRRegion when set.
	ECR       bool
	ECRRegion string
}

// Keychain builds the chain of c; problems reading a cluster's pull secrets
// are warnings in g.
func (c Credentials) Keychain(ctx context.Context, g *graph.Graph) authn.Keychain {
	keys := []authn.Keychain{}
	if kc := pullSecrets(ctx, c.Clusters, g); kc != nil {
		keys = append(keys, kc)
	}
	if c.ECR {
		if kc, err := ecr.LiveKeychain(ctx, ecr.LiveOptions{Region: c.ECRRegion}); err == nil {
			keys = append(keys, kc)
		}
	}
	keys = append(keys, authn.DefaultKeychain)
	return authn.NewMultiKeychain(keys...)
}

// pullSecrets reads the imagePullSecrets of the scanned clusters' pods.
func pullSecrets(ctx context.Context, clusters []kube.Cluster, g *graph.Graph) authn.Keychain {
	if len(clusters) == 0 {
		return nil
	}
	clients := map[string]kubernetes.Interface{}
	for _, c := range clusters {
		cfg := rest.CopyConfig(c.Config)
		cfg.Timeout = DefaultCallTimeout
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			g.AddError(graph.InputError{Level: graph.LevelWarning, Source: graph.Source{Kind: graph.SourceCluster, Cluster: c.Name}, Message: "imagePullSecrets not read: " + err.Error()})
			continue
		}
		clients[c.Name] = cs
	}
	return PullSecretKeychainClusters(ctx, func(cluster string) kubernetes.Interface {
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
