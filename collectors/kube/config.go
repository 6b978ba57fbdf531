package kube

import (
	"fmt"
	"sort"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Cluster is one API server to scan. Name is the kubeconfig context (or the
// name given for the in-cluster config); it is the cluster in locations and,
// when more than one cluster is scanned, the prefix of identities.
type Cluster struct {
	Name   string
	Config *rest.Config
}

// ConfigOptions selects the clusters: a kubeconfig file and context, every
// context of it, or the pod's own service account (in-cluster).
type ConfigOptions struct {
	Kubeconfig  string // empty: $KUBECONFIG or ~/.kube/config
	Context     string // empty: the current context
	AllContexts bool
	InCluster   bool
	// ClusterName names the in-cluster cluster (default "in-cluster").
	ClusterName string
}

// LoadClusters resolves the clusters to scan. Errors name the kubeconfig or
// context that could not be used.
func LoadClusters(o ConfigOptions) ([]Cluster, error) {
	if o.InCluster {
		if o.Kubeconfig != "" || o.Context != "" || o.AllContexts {
			return nil, fmt.Errorf("--in-cluster cannot be combined with --kubeconfig, --context or --all-contexts")
		}
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("--in-cluster: %w", err)
		}
		name := o.ClusterName
		if name == "" {
			name = "in-cluster"
		}
		return []Cluster{{Name: name, Config: cfg}}, nil
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if o.Kubeconfig != "" {
		rules.ExplicitPath = o.Kubeconfig
	}
	where := o.Kubeconfig
	if where == "" {
		where = "kubeconfig"
	}
	raw, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).RawConfig()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	var names []string
	switch {
	case o.AllContexts:
		if o.Context != "" {
			return nil, fmt.Errorf("--context and --all-contexts are mutually exclusive")
		}
		for n := range raw.Contexts {
			names = append(names, n)
		}
		sort.Strings(names)
		if len(names) == 0 {
			return nil, fmt.Errorf("%s: no contexts", where)
		}
	case o.Context != "":
		if _, ok := raw.Contexts[o.Context]; !ok {
			return nil, fmt.Errorf("%s: no context %q", where, o.Context)
		}
		names = []string{o.Context}
	default:
		if raw.CurrentContext == "" {
			return nil, fmt.Errorf("%s: no current context; pass --context", where)
		}
		names = []string{raw.CurrentContext}
	}
	out := make([]Cluster, 0, len(names))
	for _, n := range names {
		cfg, err := clientcmd.NewNonInteractiveClientConfig(raw, n, &clientcmd.ConfigOverrides{}, rules).ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("%s: context %q: %w", where, n, err)
		}
		out = append(out, Cluster{Name: n, Config: cfg})
	}
	return out, nil
}
