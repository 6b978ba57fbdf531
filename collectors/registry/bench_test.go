package registry

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/kscan-io/kscan/graph"
)

// BenchmarkResolve2000 resolves 2,000 distinct images (each in its own
// repository: a HEAD, the manifest and the config, plus the per-repository
// ping) against go-containerregistry's registry on loopback, with a fresh
// resolver (empty cache) per iteration, as one scan does. rtt adds a delay
// to every response to model a registry across a network. Run:
//
//	go test ./collectors/registry -run '^$' -bench Resolve2000 -benchtime 1x
func BenchmarkResolve2000(b *testing.B) {
	const images = 2000
	var delay time.Duration
	var mu sync.RWMutex
	host := startRegistry(b, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.RLock()
			d := delay
			mu.RUnlock()
			if d > 0 {
				time.Sleep(d)
			}
			h.ServeHTTP(w, r)
		})
	})
	refs := make([]string, images)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	created := time.Now().Add(-time.Hour)
	for i := range refs {
		refs[i] = fmt.Sprintf("%s/bench/app-%04d:1", host, i)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			push(b, refs[i], image(b, created, "amd64"))
		}()
	}
	wg.Wait()

	for _, bc := range []struct {
		rtt         time.Duration
		concurrency int
	}{
		{0, 1}, {0, DefaultConcurrency}, {2 * time.Millisecond, 1}, {2 * time.Millisecond, DefaultConcurrency}, {2 * time.Millisecond, 64},
	} {
		b.Run(fmt.Sprintf("rtt=%s/concurrency=%d", bc.rtt, bc.concurrency), func(b *testing.B) {
			mu.Lock()
			delay = bc.rtt
			mu.Unlock()
			var total time.Duration
			for b.Loop() {
				r, err := NewResolver(ResolverOptions{Keychain: authn.NewMultiKeychain(), Concurrency: bc.concurrency})
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				for _, res := range r.ResolveAll(context.Background(), refs) {
					if res.Status != graph.ImageResolved || res.Created.IsZero() {
						b.Fatalf("%s: %s %v", res.Ref, res.Status, res.Err)
					}
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(images*b.N)/total.Seconds(), "images/s")
		})
	}
}
