package policies

import (
	"context"
	"sync"
	"testing"
)

// Concurrent callers asking for one set of rules share one prepared query;
// another set gets its own.
func TestQueryCacheSharesPreparation(t *testing.T) {
	e, err := Load(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	rules := e.Rules()[:3]
	var c queryCache
	got := make([]any, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pq, err := c.get(context.Background(), e.Compiler(), rules)
			if err != nil {
				t.Error(err)
			}
			got[i] = pq
		}()
	}
	wg.Wait()
	for i := range got {
		if got[i] == nil || got[i] != got[0] {
			t.Fatalf("caller %d got query %p, caller 0 %p: want one shared query", i, got[i], got[0])
		}
	}
	other, err := c.get(context.Background(), e.Compiler(), rules[:1])
	if err != nil {
		t.Fatal(err)
	}
	if any(other) == got[0] {
		t.Fatal("a different set of rules got the same query")
	}
	if len(c.queries) != 2 {
		t.Fatalf("cache holds %d queries, want 2", len(c.queries))
	}
}
