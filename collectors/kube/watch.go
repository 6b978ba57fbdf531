package kube

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
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
	// stores are the informers' caches, indexed by namespace
	// (cache.NamespaceIndex) so that one namespace's objects are found
	// without walking the others.
	stores  []cache.Indexer
	version string
	mu      sync.Mutex
	warned  map[string]bool
}

// Change is what one informer event changed: an object of Type (a graph
// node type, "k8s:apps/Deployment") in Namespace ("" for a cluster-scoped
// object). Resync is set for the informers' periodic re-delivery of an
// unchanged object, Unknown when the event's object could not be read (a
// deletion whose final state is unknown): callers evaluate everything then.
type Change struct {
	Namespace string
	Type      string
	Resync    bool
	Unknown   bool
}

// Cluster reports whether the change may touch more than one namespace: a
// cluster-scoped object, a resync or an unreadable event.
func (c Change) Cluster() bool { return c.Namespace == "" || c.Resync || c.Unknown }

// Watch starts informers for the built-in types of opts.Clusters[0] and
// returns once their caches are filled. changed is called (from informer
// goroutines; it must not block) after every add, update and delete.
func Watch(ctx context.Context, opts WatchOptions, changed func(Change)) (*Watcher, error) {
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
	var synced []cache.InformerSynced
	for _, t := range w.targets {
		handler := cache.ResourceEventHandlerFuncs{
			AddFunc:    func(o any) { changed(t.change(o, nil)) },
			UpdateFunc: func(old, o any) { changed(t.change(o, old)) },
			DeleteFunc: func(o any) { changed(t.change(o, nil)) },
		}
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
		w.stores = append(w.stores, si.GetIndexer())
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
func (w *Watcher) Graph() *graph.Graph { return w.graph(nil) }

// GraphOf builds a graph of the objects of the given namespaces, their
// Namespace objects and every other cluster-scoped object (ClusterRoles,
// bindings, Nodes…): what a namespace-local answer about those namespaces
// reads (see internal/incremental). The objects are the same nodes Graph
// makes; the other namespaces' objects and Namespace objects are left out.
func (w *Watcher) GraphOf(namespaces map[string]bool) *graph.Graph {
	if namespaces == nil {
		namespaces = map[string]bool{}
	}
	return w.graph(namespaces)
}

// graph builds the graph of everything (only == nil) or of the namespaces
// in only (see GraphOf).
func (w *Watcher) graph(only map[string]bool) *graph.Graph {
	g := graph.New()
	if w.version != "" {
		g.SetKubeVersion(w.scan.cluster.Name, w.version)
	}
	s := &clusterScan{opts: w.scan.opts, cluster: w.scan.cluster, multi: w.scan.multi, g: g}
	for i, t := range w.targets {
		items := w.items(i, only)
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

// items lists the cached objects of target i: all of them (only == nil),
// or those of the namespaces in only through the namespace index (for a
// cluster-scoped type all of them, but of Namespaces only those in only).
func (w *Watcher) items(i int, only map[string]bool) []any {
	t, st := w.targets[i], w.stores[i]
	switch {
	case only == nil:
		return st.List()
	case t.isNamespaceType():
		var out []any
		for ns := range only {
			if o, ok, err := st.GetByKey(ns); err == nil && ok {
				out = append(out, o)
			}
		}
		return out
	case !t.namespaced:
		return st.List()
	}
	var out []any
	for ns := range only {
		objs, err := st.ByIndex(cache.NamespaceIndex, ns)
		if err != nil {
			// The index exists on every informer and on NewStoreWatcher's
			// stores; without it, everything (the caller discards rows of
			// other namespaces, so more objects are never wrong).
			return st.List()
		}
		out = append(out, objs...)
	}
	return out
}

func (t target) isNamespaceType() bool { return t.gvr.Group == "" && t.gvr.Resource == "namespaces" }

// nodeType is the graph node type of the target's objects.
func (t target) nodeType() string { return graph.K8sType(t.gvr.GroupVersion().String(), t.kind) }

// change describes an informer event on obj (old: the previous state of an
// update, nil otherwise).
func (t target) change(obj, old any) Change {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	c := Change{Type: t.nodeType()}
	m, err := meta.Accessor(obj)
	if err != nil {
		c.Unknown = true
		return c
	}
	if t.namespaced {
		c.Namespace = m.GetNamespace()
	}
	if old != nil {
		// The informers' periodic resync delivers every object again,
		// unchanged: an update with the same resourceVersion.
		if om, err := meta.Accessor(old); err == nil && om.GetResourceVersion() == m.GetResourceVersion() {
			c.Resync = true
		}
	}
	return c
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

// couplingGroups are the API groups whose objects may name objects of other
// namespaces: RoleBinding subjects (a ServiceAccount of another namespace)
// and the Gateway API (a route's parentRefs and backendRefs, a
// ReferenceGrant's from, a Gateway's certificateRefs). Every other built-in
// type kscan reads refers within its own namespace or to cluster-scoped
// objects (Services and Ingresses select and name in their namespace, pods
// mount and run as objects of theirs, owners are in the same namespace).
var couplingGroups = map[string]bool{"rbac.authorization.k8s.io": true, "gateway.networking.k8s.io": true}

// Couplings lists the pairs of namespaces an object of one names the other
// (a "namespace" field anywhere in its spec, subjects or rules that is not
// its own namespace): answers about one may depend on the other's objects.
// Pairs are [object's namespace, named namespace], sorted.
func (w *Watcher) Couplings() [][2]string {
	seen := map[[2]string]bool{}
	for i, t := range w.targets {
		if !t.namespaced || !couplingGroups[t.gvr.Group] {
			continue
		}
		for _, it := range w.stores[i].List() {
			u, ok := it.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			own := u.GetNamespace()
			for k, v := range u.Object {
				if k == "metadata" || k == "status" {
					continue
				}
				namedNamespaces(v, func(ns string) {
					if ns != own {
						seen[[2]string{own, ns}] = true
					}
				})
			}
		}
	}
	return slices.SortedFunc(maps.Keys(seen), func(a, b [2]string) int { return slices.Compare(a[:], b[:]) })
}

// namedNamespaces calls f with the string value of every "namespace" key
// in v, at any depth.
func namedNamespaces(v any, f func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "namespace" && s != "" {
				f(s)
				continue
			}
			namedNamespaces(e, f)
		}
	case []any:
		for _, e := range x {
			namedNamespaces(e, f)
		}
	}
}

// WatchType is a resource type NewStoreWatcher keeps.
type WatchType struct {
	Group, Version, Resource, Kind string
	Namespaced                     bool
}

// NewStoreWatcher returns a Watcher whose caches the caller fills (Apply,
// Remove) instead of informers: the same client-go stores, indexed by
// namespace, and the same graphs as Watch's, for tests and benchmarks of
// what is built from a live cluster's caches.
func NewStoreWatcher(clusterName, kubeVersion string, types []WatchType) *Watcher {
	s := &clusterScan{opts: Options{SkipCustomResources: true}, cluster: Cluster{Name: clusterName}, g: graph.New()}
	w := &Watcher{scan: s, version: kubeVersion, warned: map[string]bool{}}
	for _, wt := range types {
		w.targets = append(w.targets, target{gvr: schema.GroupVersionResource{Group: wt.Group, Version: wt.Version, Resource: wt.Resource},
			kind: wt.Kind, namespaced: wt.Namespaced})
	}
	sort.Slice(w.targets, func(i, j int) bool { return w.targets[i].String() < w.targets[j].String() })
	for range w.targets {
		w.stores = append(w.stores, cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}))
	}
	return w
}

// storeOf finds the store of obj's type.
func (w *Watcher) storeOf(obj *unstructured.Unstructured) (int, error) {
	gvk := obj.GroupVersionKind()
	for i, t := range w.targets {
		if t.gvr.Group == gvk.Group && t.kind == gvk.Kind {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%s %s: not a watched type", gvk, obj.GetName())
}

// Apply adds or replaces obj in a NewStoreWatcher's caches and returns the
// Change an informer would report.
func (w *Watcher) Apply(obj *unstructured.Unstructured) (Change, error) {
	i, err := w.storeOf(obj)
	if err != nil {
		return Change{}, err
	}
	return w.targets[i].change(obj, nil), w.stores[i].Update(obj)
}

// Remove deletes obj from a NewStoreWatcher's caches.
func (w *Watcher) Remove(obj *unstructured.Unstructured) (Change, error) {
	i, err := w.storeOf(obj)
	if err != nil {
		return Change{}, err
	}
	return w.targets[i].change(obj, nil), w.stores[i].Delete(obj)
}
