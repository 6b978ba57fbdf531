// Package kube collects the objects of live Kubernetes clusters through
// client-go: it discovers the served resource types (CRDs included), lists
// the ones rules and the graph need page by page with bounded concurrency,
// retries transient failures with back-off, and reads Secrets as metadata
// only, so their data never enters kscan's memory. A type or namespace the
// credentials may not read is a warning naming it; the scan goes on.
package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/kscan-io/kscan/graph"
)

// Defaults of Options.
const (
	DefaultPageSize       = 500
	DefaultConcurrency    = 8
	DefaultQPS            = 50
	DefaultBurst          = 100
	DefaultRequestTimeout = 30 * time.Second
)

// Options configures a live collection.
type Options struct {
	Clusters []Cluster
	// PageSize is the limit of one list request.
	PageSize int64
	// Concurrency bounds the list requests in flight per cluster.
	Concurrency int
	// QPS and Burst are the client-side rate limit (client-go's token
	// bucket); the server's 429 Retry-After is honoured on top.
	QPS   float32
	Burst int
	// RequestTimeout is the deadline of every single request.
	RequestTimeout time.Duration
	// SkipCustomResources leaves out the objects of CRD-served types.
	SkipCustomResources bool
	// SkipSecrets leaves out Secrets (even their metadata), so the identity
	// scanning needs no permission on them at all: no rule reads Secret
	// objects, only the RBAC grants on them.
	SkipSecrets bool
	// Progress, when set, receives a one-line progress bar (a terminal).
	Progress io.Writer
	// UserAgent identifies kscan to the API server.
	UserAgent string
}

// builtinTypes are the built-in resource types the rules and the graph use,
// by group then resource. Everything else built in (events, leases,
// endpoints…) is not listed: it is large and no rule reads it.
var builtinTypes = map[string]map[string]bool{
	"":                          {"pods": true, "services": true, "serviceaccounts": true, "namespaces": true, "nodes": true, "secrets": true, "replicationcontrollers": true},
	"apps":                      {"deployments": true, "statefulsets": true, "daemonsets": true, "replicasets": true},
	"batch":                     {"jobs": true, "cronjobs": true},
	"networking.k8s.io":         {"ingresses": true, "networkpolicies": true},
	"rbac.authorization.k8s.io": {"roles": true, "rolebindings": true, "clusterroles": true, "clusterrolebindings": true},
	// The Gateway API is installed as CRDs but has an approved k8s.io name,
	// so isCustomGroup does not take it: the exposure model reads it.
	"gateway.networking.k8s.io": {"gateways": true, "gatewayclasses": true, "httproutes": true, "grpcroutes": true,
		"tlsroutes": true, "tcproutes": true, "udproutes": true, "referencegrants": true},
}

// reportGroups hold kscan's own output (and other scanners'): never scanned.
var reportGroups = map[string]bool{"wgpolicyk8s.io": true, "openreports.io": true}

// isCustomGroup tells a CRD or aggregated API group from a built-in one:
// built-in groups have no dot or end in .k8s.io / .kubernetes.io (names a
// CRD may only take with an API approval).
func isCustomGroup(g string) bool {
	return strings.Contains(g, ".") && !strings.HasSuffix(g, ".k8s.io") && !strings.HasSuffix(g, ".kubernetes.io")
}

// target is one resource type to list.
type target struct {
	gvr        schema.GroupVersionResource
	kind       string
	namespaced bool
}

func (t target) String() string {
	if t.gvr.Group == "" {
		return t.gvr.Resource
	}
	return t.gvr.Resource + "." + t.gvr.Group
}

// apiPath is the API path of a collection or, with name, an object.
func (t target) apiPath(ns, name string) string {
	p := "/apis/" + t.gvr.Group + "/" + t.gvr.Version
	if t.gvr.Group == "" {
		p = "/api/" + t.gvr.Version
	}
	if t.namespaced && ns != "" {
		p += "/namespaces/" + ns
	}
	p += "/" + t.gvr.Resource
	if name != "" {
		p += "/" + name
	}
	return p
}

// Collect reads every cluster into g. A cluster that cannot be scanned at all
// (unreachable, credentials rejected) is an input error naming it; the other
// clusters are still scanned. The returned error is only for cancellation.
func Collect(ctx context.Context, opts Options, g *graph.Graph) error {
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.QPS <= 0 {
		opts.QPS = DefaultQPS
	}
	if opts.Burst <= 0 {
		opts.Burst = DefaultBurst
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	prog := newProgress(opts.Progress)
	defer prog.done()
	multi := len(opts.Clusters) > 1
	for _, c := range opts.Clusters {
		s := &clusterScan{opts: opts, cluster: c, multi: multi, g: g, prog: prog}
		if err := s.run(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			g.AddError(graph.InputError{Source: graph.Source{Kind: graph.SourceCluster, Cluster: c.Name}, Message: err.Error()})
		}
	}
	return ctx.Err()
}

type clusterScan struct {
	opts    Options
	cluster Cluster
	multi   bool
	g       *graph.Graph
	prog    *progress

	rest rest.Interface
	meta metadata.Interface

	nsOnce sync.Once
	nsList []string
	nsErr  error
}

func (s *clusterScan) source(path string) graph.Source {
	return graph.Source{Kind: graph.SourceCluster, Cluster: s.cluster.Name, Path: path}
}

func (s *clusterScan) warn(path, resource, msg string) {
	s.g.AddError(graph.InputError{Level: graph.LevelWarning, Source: s.source(path), Resource: resource, Message: msg})
}

// restConfig copies the cluster's config with kscan's limits.
func (s *clusterScan) restConfig() *rest.Config {
	cfg := rest.CopyConfig(s.cluster.Config)
	cfg.QPS, cfg.Burst = s.opts.QPS, s.opts.Burst
	cfg.Timeout = s.opts.RequestTimeout
	if s.opts.UserAgent != "" {
		cfg.UserAgent = s.opts.UserAgent
	}
	return cfg
}

func (s *clusterScan) run(ctx context.Context) error {
	cfg := s.restConfig()
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("API server %s: %w", cfg.Host, err)
	}
	rcfg := rest.CopyConfig(cfg)
	rcfg.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	if s.rest, err = rest.UnversionedRESTClientFor(rcfg); err != nil {
		return err
	}
	if s.meta, err = metadata.NewForConfig(cfg); err != nil {
		return err
	}
	var lists []*metav1.APIResourceList
	err = retry(ctx, func(ctx context.Context) error {
		var derr error
		lists, derr = discover(ctx, dc)
		if derr != nil && discovery.IsGroupDiscoveryFailedError(derr) {
			var gd *discovery.ErrGroupDiscoveryFailed
			if errors.As(derr, &gd) {
				gvs := make([]schema.GroupVersion, 0, len(gd.Groups))
				for gv := range gd.Groups {
					gvs = append(gvs, gv)
				}
				sort.Slice(gvs, func(i, j int) bool { return gvs[i].String() < gvs[j].String() })
				for _, gv := range gvs {
					s.warn("/apis/"+gv.String(), gv.String(), fmt.Sprintf("API group %s could not be discovered (%v); its objects are not scanned", gv, gd.Groups[gv]))
				}
			}
			return nil // partial discovery: scan what was discovered
		}
		return derr
	})
	if err != nil {
		return describe(cfg.Host, "discovering resource types", err)
	}
	s.serverVersion(ctx)
	targets := s.targets(lists)
	s.prog.addTypes(len(targets))

	sem := make(chan struct{}, s.opts.Concurrency)
	var wg sync.WaitGroup
	var fatalMu sync.Mutex
	var fatal error
	for _, t := range targets {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(t target) {
			defer func() { <-sem; wg.Done() }()
			if err := s.collectType(ctx, t); err != nil {
				fatalMu.Lock()
				if fatal == nil {
					fatal = err
				}
				fatalMu.Unlock()
			}
			s.prog.typeDone()
		}(t)
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if fatal != nil {
		return describe(cfg.Host, "listing", fatal)
	}
	return nil
}

// serverVersion records the cluster's Kubernetes version in the graph:
// rules recognise Kubernetes' own RBAC objects by that version's bootstrap
// policy. Without it (a proxy that hides /version) the newest supported
// version is assumed, with a warning.
func (s *clusterScan) serverVersion(ctx context.Context) {
	var info struct {
		GitVersion string `json:"gitVersion"`
	}
	err := retry(ctx, func(ctx context.Context) error {
		raw, err := s.rest.Get().AbsPath("/version").Do(ctx).Raw()
		if err != nil {
			return err
		}
		return json.Unmarshal(raw, &info)
	})
	if err != nil || info.GitVersion == "" {
		s.warn("/version", "", fmt.Sprintf("server version unknown (%v); Kubernetes' own RBAC objects are recognised as those of %s", err, graph.NewestKubeVersion()))
		return
	}
	s.g.SetKubeVersion(s.cluster.Name, info.GitVersion)
}

// discover runs discovery, which takes no context in client-go, so that the
// scan's deadline ends the wait even when the request timeout is longer.
func discover(ctx context.Context, dc discovery.DiscoveryInterface) ([]*metav1.APIResourceList, error) {
	type result struct {
		lists []*metav1.APIResourceList
		err   error
	}
	ch := make(chan result, 1)
	go func() {
		l, err := dc.ServerPreferredResources()
		ch <- result{l, err}
	}()
	select {
	case r := <-ch:
		return r.lists, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// targets picks the types to list from discovery, sorted for stable output.
func (s *clusterScan) targets(lists []*metav1.APIResourceList) []target {
	var out []target
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !hasVerb(r.Verbs, "list") {
				continue
			}
			want := builtinTypes[gv.Group][r.Name]
			if want && gv.Group == "" && r.Name == "secrets" && s.opts.SkipSecrets {
				continue
			}
			if !want && isCustomGroup(gv.Group) && !reportGroups[gv.Group] && !s.opts.SkipCustomResources {
				want = true
			}
			if !want {
				continue
			}
			out = append(out, target{gvr: gv.WithResource(r.Name), kind: r.Kind, namespaced: r.Namespaced})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func hasVerb(verbs []string, v string) bool {
	for _, x := range verbs {
		if x == v {
			return true
		}
	}
	return false
}

// collectType lists one type cluster-wide; when that is forbidden for a
// namespaced type, namespace by namespace. Forbidden parts are warnings. The
// returned error is for failures that make the whole cluster unreadable
// (credentials rejected, server unreachable).
func (s *clusterScan) collectType(ctx context.Context, t target) error {
	objs, err := s.list(ctx, t, "")
	if err == nil {
		s.add(t, objs)
		return nil
	}
	if !apierrors.IsForbidden(err) {
		return s.typeError(t, "", err)
	}
	if !t.namespaced {
		s.warn(t.apiPath("", ""), t.String(), fmt.Sprintf("forbidden: cannot list %s (%s); they are not scanned", t.String(), reason(err)))
		return nil
	}
	namespaces, nsErr := s.namespaces(ctx)
	if nsErr != nil {
		s.warn(t.apiPath("", ""), t.String(), fmt.Sprintf("forbidden: cannot list %s in any namespace (%s) and namespaces cannot be listed to try one by one; they are not scanned", t.String(), reason(err)))
		return nil
	}
	var denied []string
	for _, ns := range namespaces {
		objs, err := s.list(ctx, t, ns)
		switch {
		case err == nil:
			s.add(t, objs)
		case apierrors.IsForbidden(err):
			denied = append(denied, ns)
		default:
			if e := s.typeError(t, ns, err); e != nil {
				return e
			}
		}
	}
	if len(denied) > 0 && len(denied) == len(namespaces) {
		s.warn(t.apiPath("", ""), t.String(), fmt.Sprintf("forbidden: cannot list %s cluster-wide nor in any of %d namespaces (%s); they are not scanned", t.String(), len(namespaces), reason(err)))
	} else if len(denied) > 0 {
		for _, ns := range denied {
			s.warn(t.apiPath(ns, ""), t.String()+" in namespace "+ns, fmt.Sprintf("forbidden: cannot list %s in namespace %s; they are not scanned", t.String(), ns))
		}
	}
	return nil
}

// typeError records a non-forbidden failure of one type as an input error,
// or returns it when it means the cluster as a whole cannot be read.
func (s *clusterScan) typeError(t target, ns string, err error) error {
	if apierrors.IsUnauthorized(err) || isConnError(err) {
		return err
	}
	where := t.String()
	if ns != "" {
		where += " in namespace " + ns
	}
	if apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) {
		// Removed between discovery and list (a CRD deleted meanwhile).
		s.warn(t.apiPath(ns, ""), where, fmt.Sprintf("cannot list %s: %s", where, reason(err)))
		return nil
	}
	s.g.AddError(graph.InputError{Source: s.source(t.apiPath(ns, "")), Resource: where, Message: fmt.Sprintf("cannot list %s: %v", where, err)})
	return nil
}

// namespaces lists namespace names once, for per-namespace fallback.
func (s *clusterScan) namespaces(ctx context.Context) ([]string, error) {
	s.nsOnce.Do(func() {
		nsT := target{gvr: schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, kind: "Namespace"}
		objs, err := s.listMeta(ctx, nsT, "")
		if err != nil {
			s.nsErr = err
			return
		}
		for _, o := range objs {
			m, _ := o["metadata"].(map[string]any)
			if n, _ := m["name"].(string); n != "" {
				s.nsList = append(s.nsList, n)
			}
		}
		sort.Strings(s.nsList)
	})
	return s.nsList, s.nsErr
}

// list reads every object of a type (in one namespace, or all), following
// continue tokens and restarting from the start when a token expires (410
// Gone). Secrets go through the metadata client only.
func (s *clusterScan) list(ctx context.Context, t target, ns string) ([]map[string]any, error) {
	if t.gvr.Group == "" && t.gvr.Resource == "secrets" {
		return s.listMeta(ctx, t, ns)
	}
	path := t.apiPath(ns, "")
	strs := map[string]string{} // the strings of this type's objects, shared (decodeList)
	return s.paginate(ctx, func(ctx context.Context, opts metav1.ListOptions) (page, error) {
		// A plain JSON GET decoded straight into maps (decodeList): the
		// unstructured codec of the dynamic client costs twice the CPU for
		// the same result. Only the continue token is read before the next
		// request; the items are decoded meanwhile, and the page's bytes
		// dropped once they are.
		req := s.rest.Get().AbsPath(path).Param("limit", strconv.FormatInt(opts.Limit, 10))
		if opts.Continue != "" {
			req = req.Param("continue", opts.Continue)
		}
		raw, err := req.Do(ctx).Raw()
		if err != nil {
			return page{}, err
		}
		next, err := listContinue(raw)
		if err != nil {
			return page{}, fmt.Errorf("decoding %s: %w", path, err)
		}
		return page{next: next, decode: func() ([]map[string]any, error) {
			_, items, err := decodeList(raw, strs, true)
			if err != nil {
				return nil, fmt.Errorf("decoding %s: %w", path, err)
			}
			return items, nil
		}}, nil
	})
}

// listMeta lists PartialObjectMetadata: names, labels, annotations, owners —
// never the object's data.
func (s *clusterScan) listMeta(ctx context.Context, t target, ns string) ([]map[string]any, error) {
	ri := s.meta.Resource(t.gvr)
	var client metadata.ResourceInterface = ri
	if ns != "" {
		client = ri.Namespace(ns)
	}
	apiVersion := t.gvr.GroupVersion().String()
	return s.paginate(ctx, func(ctx context.Context, opts metav1.ListOptions) (page, error) {
		l, err := client.List(ctx, opts)
		if err != nil {
			return page{}, err
		}
		return page{next: l.Continue, decode: func() ([]map[string]any, error) {
			out := make([]map[string]any, 0, len(l.Items))
			for i := range l.Items {
				m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&l.Items[i].ObjectMeta)
				if err != nil {
					return nil, err
				}
				out = append(out, map[string]any{"apiVersion": apiVersion, "kind": t.kind, "metadata": m})
			}
			return out, nil
		}}, nil
	})
}

// page is one list response: the continue token of the next, and its
// objects, decoded while the next page is requested.
type page struct {
	next   string
	decode func() ([]map[string]any, error)
}

type pageFunc func(ctx context.Context, opts metav1.ListOptions) (page, error)

const maxListRestarts = 3

func (s *clusterScan) paginate(ctx context.Context, fetch pageFunc) ([]map[string]any, error) {
	for restart := 0; ; restart++ {
		dec := s.decodePages()
		cont := ""
		expired := false
		for {
			var p page
			err := retry(ctx, func(ctx context.Context) error {
				rctx, cancel := context.WithTimeout(ctx, s.opts.RequestTimeout)
				defer cancel()
				var err error
				p, err = fetch(rctx, metav1.ListOptions{Limit: s.opts.PageSize, Continue: cont})
				return err
			})
			if err != nil {
				dec.finish() // what was read is dropped: restarted or failed
				if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
					expired = true
					break
				}
				return nil, err
			}
			if !dec.add(p.decode) || p.next == "" {
				return dec.finish()
			}
			cont = p.next
		}
		if expired && restart >= maxListRestarts {
			return nil, fmt.Errorf("list restarted %d times after its continue token expired (410 Gone); the cluster changes faster than it can be listed", restart+1)
		}
	}
}

// pageDecoder decodes the pages of one list, in order, on its own
// goroutine: the API server prepares the next page meanwhile.
type pageDecoder struct {
	pages  chan func() ([]map[string]any, error)
	done   chan struct{}
	failed atomic.Bool
	all    []map[string]any
	err    error
}

func (s *clusterScan) decodePages() *pageDecoder {
	// One page waits while one is decoded: at most three pages' bytes
	// (with the one being read) are held per type.
	d := &pageDecoder{pages: make(chan func() ([]map[string]any, error), 1), done: make(chan struct{})}
	go func() {
		defer close(d.done)
		for decode := range d.pages {
			if d.err != nil {
				continue
			}
			items, err := decode()
			if err != nil {
				d.err = err
				d.failed.Store(true)
				continue
			}
			d.all = append(d.all, items...)
			s.prog.addObjects(len(items))
		}
	}()
	return d
}

// add queues a page; false when an earlier page could not be decoded
// (finish says why), so that no more are requested.
func (d *pageDecoder) add(decode func() ([]map[string]any, error)) bool {
	if d.failed.Load() {
		return false
	}
	d.pages <- decode
	return true
}

// finish waits for the queued pages and returns every object, or the first
// decoding error.
func (d *pageDecoder) finish() ([]map[string]any, error) {
	close(d.pages)
	<-d.done
	if d.err != nil {
		return nil, d.err
	}
	return d.all, nil
}

// add turns listed objects into graph nodes.
func (s *clusterScan) add(t target, objs []map[string]any) {
	apiVersion := t.gvr.GroupVersion().String()
	for _, o := range objs {
		if _, ok := o["apiVersion"].(string); !ok {
			o["apiVersion"] = apiVersion
		}
		if _, ok := o["kind"].(string); !ok {
			o["kind"] = t.kind
		}
		meta, _ := o["metadata"].(map[string]any)
		uid, _ := meta["uid"].(string)
		Normalize(o)
		ns, _ := meta["namespace"].(string)
		name, _ := meta["name"].(string)
		src := s.source(t.apiPath(ns, name))
		src.UID = uid
		n := graph.NewK8sNode(o, src, "")
		if !t.namespaced && ns == "" {
			// A cluster-scoped custom type: graph.NewK8sNode only knows the
			// built-in cluster-scoped kinds; discovery tells us.
			delete(meta, "namespace")
			n.ID = graph.K8sID("", t.kind, name)
		}
		if s.multi {
			n.ID = s.cluster.Name + ":" + n.ID
		}
		s.g.AddNode(n)
	}
}

// retryBackoff spaces retries of transient failures: 4 retries within about
// 3 s, jittered, always inside the scan's deadline.
var retryBackoff = wait.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.2, Steps: 5}

// retry runs f until it succeeds, fails with a permanent error, the back-off
// is exhausted (the last error) or ctx ends (ctx's error). 429 with
// Retry-After is already retried inside client-go.
func retry(ctx context.Context, f func(context.Context) error) error {
	var last error
	err := wait.ExponentialBackoffWithContext(ctx, retryBackoff, func(ctx context.Context) (bool, error) {
		last = f(ctx)
		switch {
		case last == nil:
			return true, nil
		case ctx.Err() != nil:
			return false, ctx.Err()
		case !transient(last):
			return false, last
		}
		return false, nil
	})
	if wait.Interrupted(err) && ctx.Err() == nil {
		return last
	}
	return err
}

func transient(err error) bool {
	switch {
	case apierrors.IsTooManyRequests(err), apierrors.IsServerTimeout(err), apierrors.IsTimeout(err),
		apierrors.IsInternalError(err), apierrors.IsServiceUnavailable(err), apierrors.IsUnexpectedServerError(err):
		return true
	case apierrors.IsForbidden(err), apierrors.IsUnauthorized(err), apierrors.IsNotFound(err),
		apierrors.IsResourceExpired(err), apierrors.IsGone(err), apierrors.IsBadRequest(err):
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true // one request's deadline, not the scan's (checked by the caller)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		var oe *net.OpError
		return errors.As(err, &oe) && !isRefused(err)
	}
	return false
}

func isRefused(err error) bool {
	return strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "no such host")
}

func isConnError(err error) bool {
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded)
}

// describe turns a cluster-level failure into a message a person can act on.
func describe(host, doing string, err error) error {
	switch {
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("API server %s rejected the credentials while %s (401 Unauthorized): the token or certificate is invalid or expired", host, doing)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("API server %s: forbidden while %s: %s", host, doing, reason(err))
	case isRefused(err):
		return fmt.Errorf("cannot reach API server %s while %s: %v", host, doing, err)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Errorf("API server %s did not answer in time while %s: %v", host, doing, err)
	}
	return fmt.Errorf("API server %s: %s: %w", host, doing, err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func reason(err error) string {
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		if m := se.Status().Message; m != "" {
			return m
		}
	}
	return err.Error()
}

// progress draws "kube: 12/40 types, 3456 objects" on one terminal line.
type progress struct {
	w        io.Writer
	mu       sync.Mutex
	types    atomic.Int64
	finished atomic.Int64
	objects  atomic.Int64
	last     time.Time
}

func newProgress(w io.Writer) *progress { return &progress{w: w} }

func (p *progress) addTypes(n int) { p.types.Add(int64(n)); p.draw(false) }
func (p *progress) typeDone()      { p.finished.Add(1); p.draw(false) }
func (p *progress) addObjects(n int) {
	p.objects.Add(int64(n))
	p.draw(false)
}

func (p *progress) draw(force bool) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !force && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	total, done := p.types.Load(), p.finished.Load()
	const width = 20
	filled := 0
	if total > 0 {
		filled = int(done * width / total)
	}
	fmt.Fprintf(p.w, "\r\x1b[Kkube [%s%s] %d/%d types, %d objects", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), done, total, p.objects.Load())
}

func (p *progress) done() {
	if p.w == nil {
		return
	}
	p.draw(true)
	fmt.Fprint(p.w, "\r\x1b[K")
}
