// Package registry asks container registries what the images in the graph
// really are: for every image reference a workload makes, the digest the
// tag resolves to now, the image's created time and platforms. Results go
// into registry:Image nodes (see imagelink) so rules stay simple. Problems
// with one registry are one warning naming it; the scan goes on.
package registry

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/kscan-io/kscan/graph"
)

// DefaultMaxImageAge is --max-image-age's default.
const DefaultMaxImageAge = 365 * 24 * time.Hour

// AffectedRules are the rules that cannot judge an image its registry did
// not answer for; warnings name them so a reader knows what was not checked.
var AffectedRules = []string{"registry/image-unresolvable", "registry/stale-image", "registry/tag-drift"}

// Options configures Collect.
type Options struct {
	// Offline makes no registry call: images are linked and checked against
	// the allow-list only.
	Offline bool
	// Allowed is the --allowed-registries list: "host" (any repository of
	// the registry) or "host/path/*" globs. Empty: every registry is allowed.
	Allowed []string
	// MaxImageAge: images created longer ago are stale (0: the default).
	MaxImageAge time.Duration
	// Strict makes a registry that could not be asked an error (exit 2)
	// instead of a warning.
	Strict bool
	// Keychain supplies credentials (nil: Credentials' chain, else
	// authn.DefaultKeychain, i.e. the Docker config and its credential
	// helpers).
	Keychain authn.Keychain
	// Credentials, when set and Keychain is nil, build the keychain as
	// collection starts (pull secrets, ECR, the Docker config).
	Credentials *Credentials
	// Resolver settings (concurrency, time-outs, transport).
	Resolver ResolverOptions
	// Now is the scan time (zero: time.Now), for image ages.
	Now time.Time
}

// ParseAllowed splits --allowed-registries values (comma lists allowed).
func ParseAllowed(values []string) []string {
	var out []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// Allowed reports whether the image ref is in the allow-list (always true
// when the list is empty). "host" allows the whole registry; a pattern with
// a slash matches <host>/<repo>, where * matches any characters.
func Allowed(allowed []string, ref graph.ImageRef) bool {
	if len(allowed) == 0 {
		return true
	}
	for _, p := range allowed {
		p = strings.TrimSuffix(p, "/")
		if !strings.Contains(p, "/") {
			if hostEqual(p, ref.Registry) {
				return true
			}
			continue
		}
		if glob(p, ref.RepositoryID()) || (ref.Registry == "docker.io" && glob(p, "index.docker.io/"+ref.Repository)) {
			return true
		}
	}
	return false
}

func hostEqual(a, b string) bool {
	norm := func(h string) string {
		h = strings.ToLower(h)
		if h == "index.docker.io" || h == "registry-1.docker.io" {
			return "docker.io"
		}
		return h
	}
	return norm(a) == norm(b)
}

// glob matches s against a pattern where * matches any run of characters.
func glob(pattern, s string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == s
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i, part := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(s, part)
		}
		j := strings.Index(s, part)
		if j < 0 {
			return false
		}
		s = s[j+len(part):]
	}
	return true
}

// ParseAge reads --max-image-age: a Go duration or a number of days ("365d").
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid age %q: want e.g. 365d or 720h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid age %q: want e.g. 365d or 720h", s)
	}
	return d, nil
}

// Collect resolves every image reference of the workloads already in g and
// adds one registry:Image node per image (by digest where known). It must
// run after the collectors that add workloads.
func Collect(ctx context.Context, opts Options, g *graph.Graph) error {
	if !opts.Offline && opts.Keychain == nil && opts.Credentials != nil {
		opts.Keychain = opts.Credentials.Keychain(ctx, g)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	maxAge := opts.MaxImageAge
	if maxAge <= 0 {
		maxAge = DefaultMaxImageAge
	}
	// Distinct normalised references.
	refs := map[string]graph.ImageRef{}
	for _, ci := range graph.WorkloadImages(g) {
		refs[graph.ImageKey(ci.Ref)] = ci.Ref
	}
	keys := make([]string, 0, len(refs))
	for k := range refs {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	var toResolve []string
	for _, k := range keys {
		if !opts.Offline && Allowed(opts.Allowed, refs[k]) {
			toResolve = append(toResolve, k)
		}
	}
	results := map[string]Result{}
	if len(toResolve) > 0 {
		ropts := opts.Resolver
		ropts.Keychain = opts.Keychain
		if ropts.Keychain == nil {
			ropts.Keychain = authn.DefaultKeychain
		}
		r, err := NewResolver(ropts)
		if err != nil {
			return err
		}
		for i, res := range r.ResolveAll(ctx, toResolve) {
			results[toResolve[i]] = res
		}
	}

	// One node per image: resolved references that share a digest share it.
	type failure struct {
		reg  string
		msg  string
		refs []string
	}
	failures := map[string]*failure{}
	nodes := map[string]*graph.Node{}
	var ids []string
	for _, k := range keys {
		ref := refs[k]
		res, asked := results[k]
		id := k
		if asked && res.Status == graph.ImageResolved && ref.Digest == "" {
			id = ref.RepositoryID() + "@" + res.Digest
		}
		n, ok := nodes[id]
		if ok {
			n.Attrs["refs"] = append(n.Attrs["refs"].([]any), k)
			continue
		}
		n = graph.NewImageNode(ref, id, graph.Source{Kind: graph.SourceRegistry, Path: ref.RepositoryID()})
		nodes[id] = n
		ids = append(ids, id)
		if len(opts.Allowed) > 0 {
			n.Attrs["allowed"] = Allowed(opts.Allowed, ref)
		}
		switch {
		case !asked && len(opts.Allowed) > 0 && !Allowed(opts.Allowed, ref):
			n.Attrs["status"] = graph.ImageSkipped
		case !asked:
			n.Attrs["status"] = graph.ImageUnchecked
		default:
			n.Attrs["status"] = res.Status
			if res.Err != nil {
				n.Attrs["error"] = res.Err.Error()
			}
			if res.Digest != "" {
				n.Attrs["digest"] = res.Digest
			}
			if res.MediaType != "" {
				n.Attrs["media_type"] = res.MediaType
			}
			if !res.Created.IsZero() {
				n.Attrs["created"] = res.Created.UTC().Format(time.RFC3339)
				n.Attrs["age_days"] = int64(now.Sub(res.Created) / (24 * time.Hour))
				n.Attrs["max_age_days"] = int64(maxAge / (24 * time.Hour))
				n.Attrs["stale"] = now.Sub(res.Created) > maxAge
			}
			if len(res.Platforms) > 0 {
				ps := make([]any, len(res.Platforms))
				for i, p := range res.Platforms {
					ps[i] = p
				}
				n.Attrs["platforms"] = ps
			}
			if res.Status == graph.ImageError {
				fk := ref.Registry + "\x00" + res.Err.Error()
				f := failures[fk]
				if f == nil {
					f = &failure{reg: ref.Registry, msg: res.Err.Error()}
					failures[fk] = f
				}
				f.refs = append(f.refs, k)
			}
		}
	}
	for _, id := range ids {
		n := nodes[id]
		rs := n.Attrs["refs"].([]any)
		sort.Slice(rs, func(i, j int) bool { return rs[i].(string) < rs[j].(string) })
		g.AddNode(n)
	}
	regs := make([]string, 0, len(failures))
	for r := range failures {
		regs = append(regs, r)
	}
	sort.Strings(regs)
	for _, fk := range regs {
		f := failures[fk]
		reg := f.reg
		level := graph.LevelWarning
		if opts.Strict {
			level = graph.LevelError
		}
		g.AddError(graph.InputError{
			// The message names the registry: it is read alone in SARIF notifications.
			Level:  level,
			Source: graph.Source{Kind: graph.SourceRegistry},
			Message: fmt.Sprintf("registry %s: %s; %d image(s) not checked (%s), so %s were not evaluated for them",
				reg, f.msg, len(f.refs), summarize(f.refs), strings.Join(AffectedRules, ", ")),
		})
	}
	return nil
}

func summarize(refs []string) string {
	if len(refs) <= 3 {
		return strings.Join(refs, ", ")
	}
	return strings.Join(refs[:3], ", ") + fmt.Sprintf(" and %d more", len(refs)-3)
}
