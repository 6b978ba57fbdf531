// Package budget is the scan's byte budget: what all its inputs together
// may bring into memory — scanned files as read, and what snapshots
// decompress to — so that many files, or one small archive that inflates,
// cannot add up to an out-of-memory crash where each alone is within its
// own limit (--max-file-size, a snapshot's limit). The budget travels in
// the scan's context; collectors take from it as they read.
package budget

import (
	"context"
	"sync/atomic"
)

// MaxScanBytes is the default budget of one scan: far above any real
// repository or cluster (a 50,000-object snapshot decompresses to well
// under 256 MiB).
const MaxScanBytes = 1 << 30

type key struct{}

// With returns ctx carrying a budget of MaxScanBytes, unless it carries
// one already.
func With(ctx context.Context) context.Context {
	if _, ok := ctx.Value(key{}).(*atomic.Int64); ok {
		return ctx
	}
	b := &atomic.Int64{}
	b.Store(MaxScanBytes)
	return context.WithValue(ctx, key{}, b)
}

// Remaining is what is left of ctx's budget; MaxScanBytes without one.
func Remaining(ctx context.Context) int64 {
	if b, ok := ctx.Value(key{}).(*atomic.Int64); ok {
		return max(b.Load(), 0)
	}
	return MaxScanBytes
}

// Take counts n bytes against ctx's budget and reports whether they fit;
// when they do not, the budget is left as it was and the input must not be
// used. Without a budget in ctx everything fits.
func Take(ctx context.Context, n int64) bool {
	b, ok := ctx.Value(key{}).(*atomic.Int64)
	if !ok {
		return true
	}
	if b.Add(-n) < 0 {
		b.Add(n)
		return false
	}
	return true
}
