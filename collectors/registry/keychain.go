package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kscan-io/kscan/graph"
)

// Why not go-containerregistry's pkg/authn/kubernetes (it resolves from the
// module proxy only as an untagged pseudo-version, v0.0.0-20260224031529-
// 85f2bf5f7303, compatible with v0.22.1 and k8s v0.37.2): its
// NewFromPullSecrets fails the whole set on one malformed Secret (kscan warns
// about that Secret and uses the others), returns json's errors (which can
// quote a byte of the credential), and matches hosts as written, so an auth
// entry keyed "docker.io" or "registry-1.docker.io", or in upper case, no
// longer reaches Docker Hub images. Adopting it would change which images a
// scan can read.

// PullSecretKeychain reads the imagePullSecrets that the pods in g (those
// collected from a live cluster) reference, and only those, and returns a
// keychain of their registry credentials. Secret contents are never put in
// an error or the graph: a Secret that cannot be read or parsed is a
// warning naming it.
func PullSecretKeychain(ctx context.Context, client kubernetes.Interface, g *graph.Graph) authn.Keychain {
	return PullSecretKeychainClusters(ctx, func(string) kubernetes.Interface { return client }, g)
}

// PullSecretKeychainClusters is PullSecretKeychain for several clusters:
// clientFor returns the client of a pod's cluster (graph.Source.Cluster),
// or nil to skip that cluster's pods.
func PullSecretKeychainClusters(ctx context.Context, clientFor func(cluster string) kubernetes.Interface, g *graph.Graph) authn.Keychain {
	type ref struct{ cluster, ns, name string }
	seen := map[ref]bool{}
	var refs []ref
	for _, n := range g.Nodes() {
		if !graph.IsK8s(n) || n.Source.Kind != graph.SourceCluster {
			continue
		}
		kind, ns, _ := graph.K8sMeta(n)
		if kind != "Pod" {
			continue
		}
		spec, _ := n.Object["spec"].(map[string]any)
		list, _ := spec["imagePullSecrets"].([]any)
		for _, s := range list {
			sm, _ := s.(map[string]any)
			name, _ := sm["name"].(string)
			r := ref{n.Source.Cluster, ns, name}
			if name != "" && !seen[r] {
				seen[r] = true
				refs = append(refs, r)
			}
		}
	}
	sort.Slice(refs, func(i, j int) bool {
		if refs[i].cluster != refs[j].cluster {
			return refs[i].cluster < refs[j].cluster
		}
		if refs[i].ns != refs[j].ns {
			return refs[i].ns < refs[j].ns
		}
		return refs[i].name < refs[j].name
	})
	kc := &secretKeychain{auths: map[string]authn.AuthConfig{}}
	for _, r := range refs {
		warn := func(msg string) {
			g.AddError(graph.InputError{Level: graph.LevelWarning, Source: graph.Source{Kind: graph.SourceCluster, Cluster: r.cluster, Path: "/api/v1/namespaces/" + r.ns + "/secrets/" + r.name},
				Resource: r.ns + "/Secret/" + r.name, Message: "imagePullSecret: " + msg})
		}
		client := clientFor(r.cluster)
		if client == nil {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, DefaultCallTimeout)
		sec, err := client.CoreV1().Secrets(r.ns).Get(cctx, r.name, metav1.GetOptions{})
		cancel()
		switch {
		case apierrors.IsNotFound(err):
			warn("referenced by a pod but does not exist")
			continue
		case apierrors.IsForbidden(err):
			warn("cannot be read (forbidden); images that need it may show as unauthorised")
			continue
		case err != nil:
			warn("cannot be read: " + string(apierrors.ReasonForError(err)))
			continue
		}
		auths, err := parseDockerSecret(sec)
		if err != nil {
			warn(err.Error())
			continue
		}
		// The first Secret (by namespace/name) naming a registry wins, so a
		// scan is deterministic.
		for host, a := range auths {
			h := normHost(host)
			if _, dup := kc.auths[h]; !dup {
				kc.auths[h] = a
			}
		}
	}
	return kc
}

type dockerAuth struct {
	Auth          string `json:"auth"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
	RegistryToken string `json:"registrytoken"`
}

// parseDockerSecret reads a kubernetes.io/dockerconfigjson or dockercfg
// Secret. Errors never quote the data.
func parseDockerSecret(sec *corev1.Secret) (map[string]authn.AuthConfig, error) {
	var raw map[string]dockerAuth
	switch sec.Type {
	case corev1.SecretTypeDockerConfigJson:
		var doc struct {
			Auths map[string]dockerAuth `json:"auths"`
		}
		if err := json.Unmarshal(sec.Data[corev1.DockerConfigJsonKey], &doc); err != nil {
			return nil, fmt.Errorf("%s is not valid JSON", corev1.DockerConfigJsonKey)
		}
		raw = doc.Auths
	case corev1.SecretTypeDockercfg:
		if err := json.Unmarshal(sec.Data[corev1.DockerConfigKey], &raw); err != nil {
			return nil, fmt.Errorf("%s is not valid JSON", corev1.DockerConfigKey)
		}
	default:
		return nil, fmt.Errorf("type %s is not a registry credential (want %s)", sec.Type, corev1.SecretTypeDockerConfigJson)
	}
	out := map[string]authn.AuthConfig{}
	for host, a := range raw {
		ac := authn.AuthConfig{Username: a.Username, Password: a.Password, IdentityToken: a.IdentityToken, RegistryToken: a.RegistryToken}
		if a.Auth != "" && ac.Username == "" {
			dec, err := base64.StdEncoding.DecodeString(a.Auth)
			if err != nil {
				return nil, fmt.Errorf("the auth entry for %s is not base64", host)
			}
			u, p, ok := strings.Cut(string(dec), ":")
			if !ok {
				return nil, fmt.Errorf("the auth entry for %s is not user:password", host)
			}
			ac.Username, ac.Password = u, p
		}
		out[host] = ac
	}
	return out, nil
}

// normHost reduces a docker config key ("https://index.docker.io/v1/",
// "ghcr.io", "host:5000/path") to the registry host.
func normHost(h string) string {
	h = strings.TrimPrefix(strings.TrimPrefix(h, "https://"), "http://")
	if i := strings.Index(h, "/"); i >= 0 {
		h = h[:i]
	}
	h = strings.ToLower(h)
	if h == "docker.io" || h == "registry-1.docker.io" {
		return "index.docker.io"
	}
	return h
}

type secretKeychain struct {
	auths map[string]authn.AuthConfig
}

// Resolve implements authn.Keychain.
func (k *secretKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if a, ok := k.auths[normHost(r.RegistryStr())]; ok {
		return authn.FromConfig(a), nil
	}
	return authn.Anonymous, nil
}

// Hosts lists the registries a keychain from PullSecretKeychain has
// credentials for (never the credentials themselves).
func Hosts(kc authn.Keychain) []string {
	sk, ok := kc.(*secretKeychain)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(sk.auths))
	for h := range sk.auths {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}
