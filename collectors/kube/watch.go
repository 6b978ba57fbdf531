package kube

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/kscan-io/kscan/graph"
)

// WatchOptions configures Watch.
type WatchOptions struct {
	Options
	// Resync re-delivers every object at this interval (0: never), so a
	// missed event cannot leave the graph stale for long.
	Resync time.Duration
	// Warn receives problems that do not stop the watch: a type the
	// credentials may not list or watch (403) is reported once and left out.
	Warn func(msg string)
}

// Watcher keeps one cluster's built-in types current with client-go
// informers (a shared dynamic informer factory; Secrets through the
// metadata informer, so their data is never fetched) and builds a graph
// from the informers' caches on demand. Custom resources are not watched.
// Expired watches (410 Gone) are re-listed by the informers themselves.
type Watcher struct {
	scan    *clusterScan
	targets []target
	stores  []cache.Store
	version string
	mu      sync.Mutex
	warned  map[string]bool
}

// Watch starts informers for the built-in types of opts.Clusters[0] and
// returns once their caches are filled. changed is called (from informer
// goroutines; it must not block) after every add, update and delete.
func Watch(ctx context.Context, opts WatchOptions, changed func()) (*Watcher, error) {
	if len(opts.Clusters) != 1 {
		return nil, fmt.Errorf("watching needs exactly one cluster (%d selected)", len(opts.Clusters))
	}
	if opts.Warn == nil {
		opts.Warn = func(string) {}
	}
	opts.SkipCustomResources = true
	s := &clusterScan{opts: opts.Options, cluster: opts.Clusters[0], g: graph.New()}
	cfg := s.restConfig()
	cfg.Timeout = 0 // watches are long requests; list requests keep the informers' own limits
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("API server %s: %w", cfg.Host, err)
	}
	rcfg := rest.CopyConfig(cfg)
	rcfg.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	if s.rest, err = rest.UnversionedRESTClientFor(rcfg); err != nil {
		return nil, err
	}
	lists, err := discover(ctx, dc)
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return nil, describe(cfg.Host, "discovering resource types", err)
	}
	s.serverVersion(ctx)
	w := &Watcher{scan: s, targets: s.targets(lists), warned: map[string]bool{}, version: s.g.KubeVersion(s.cluster.Name)}
	for _, e := range s.g.Errors() {
		opts.Warn(e.Error())
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	meta, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dynFactory := dynamicinformer.NewDynamicSharedInformerFactory(dyn, opts.Resync)
	metaFactory := metadatainformer.NewSharedInformerFactory(meta, opts.Resync)
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { changed() },
		UpdateFunc: func(any, any) { changed() },
		DeleteFunc: func(any) { changed() },
	}
	var synced []cache.InformerSynced
	for _, t := range w.targets {
		var inf informers.GenericInformer
		if t.gvr.Group == "" && t.gvr.Resource == "secrets" {
			inf = metaFactory.ForResource(t.gvr)
		} else {
			inf = dynFactory.ForResource(t.gvr)
		}
		si := inf.Informer()
		t := t
		_ = si.SetWatchErrorHandler(func(_ *cache.Reflector, err error) {
			switch {
			case apierrors.IsForbidden(err):
				w.warnOnce(t.String(), fmt.Sprintf("warning: forbidden: cannot list or watch %s (%s); they are not watched", t, reason(err)), opts.Warn)
			case apierrors.IsResourceExpired(err) || apierrors.IsGone(err):
				// The informer lists again and carries on.
			case errors.Is(err, context.Canceled):
			default:
				w.warnOnce(t.String()+err.Error(), fmt.Sprintf("warning: watching %s: %v (retrying)", t, err), opts.Warn)
			}
		})
		if _, err := si.AddEventHandler(handler); err != nil {
			return nil, err
		}
		w.stores = append(w.stores, si.GetStore())
		synced = append(synced, si.HasSynced)
	}
	dynFactory.Start(ctx.Done())
	metaFactory.Start(ctx.Done())
	// A type the credentials cannot list never syncs: wait for the others,
	// and for those at most a while.
	syncCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for i, ok := range synced {
		if !cache.WaitForCacheSync(syncCtx.Done(), ok) && ctx.Err() == nil && !w.isWarned(w.targets[i].String()) {
			opts.Warn(fmt.Sprintf("warning: %s did not sync within 30 s; the answer may miss them until it does", w.targets[i]))
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return w, nil
}

func (w *Watcher) warnOnce(key, msg string, warn func(string)) {
	w.mu.Lock()
	seen := w.warned[key]
	w.warned[key] = true
	w.mu.Unlock()
	if !seen {
		warn(msg)
	}
}

func (w *Watcher) isWarned(key string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.warned[key]
}

// Graph builds a new graph from the informers' caches, with the nodes a
// scan of the cluster would make (same identity, source and shape).
func (w *Watcher) Graph() *graph.Graph {
	g := graph.New()
	if w.version != "" {
		g.SetKubeVersion(w.scan.cluster.Name, w.version)
	}
	s := &clusterScan{opts: w.scan.opts, cluster: w.scan.cluster, multi: w.scan.multi, g: g}
	for i, t := range w.targets {
		items := w.stores[i].List()
		objs := make([]map[string]any, 0, len(items))
		for _, it := range items {
			if m := objectOf(it, t); m != nil {
				objs = append(objs, m)
			}
		}
		// Informer order is a map's: sort for deterministic keys.
		sort.Slice(objs, func(a, b int) bool { return objKey(objs[a]) < objKey(objs[b]) })
		s.add(t, objs)
	}
	return g
}

// objectOf copies a cached object into a plain map (add normalises it in
// place; the cache must not change).
func objectOf(it any, t target) map[string]any {
	switch o := it.(type) {
	case *unstructured.Unstructured:
		return runtime.DeepCopyJSON(o.Object)
	case *metav1.PartialObjectMetadata:
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&o.ObjectMeta)
		if err != nil {
			return nil
		}
		return map[string]any{"apiVersion": t.gvr.GroupVersion().String(), "kind": t.kind, "metadata": m}
	}
	return nil
}

func objKey(m map[string]any) string {
	meta, _ := m["metadata"].(map[string]any)
	ns, _ := meta["namespace"].(string)
	name, _ := meta["name"].(string)
	return ns + "/" + name
}
