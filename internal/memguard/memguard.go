// Package memguard bounds the memory an untrusted computation may take in
// kscan's own process: Rego rules and queries a user or a repository wrote.
// OPA has no allocation limit, but it stops an evaluation between steps, and
// inside its generating built-ins (numbers.range, net.cidr_expand, replace,
// regex.replace…), once its context is cancelled. Watch polls the heap and
// cancels the context, with an *ExceededError as the cause, when the heap
// has grown by more than the budget since the watch began.
package memguard

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/metrics"
	"time"
)

// DefaultBudget is how much one rule, one query or one set of Rego tests
// may grow the heap (or half the heap at the start, when that is more):
// kscan's own rules on a 50,000-object cluster stay far below it; a rule
// that needs more is almost certainly building something quadratic. It is
// small because the stop must come before a doubling buffer's next
// allocation, and all of it must fit next to the scan under a 2 GiB
// address-space limit.
const DefaultBudget = 128 << 20

// pollEvery is how often the heap is read: at a few GB/s of allocation the
// budget is overshot by tens of MiB at most.
const pollEvery = 5 * time.Millisecond

// ExceededError is the cause of a context Watch cancelled.
type ExceededError struct {
	// What names the evaluation ("rule custom/x", "the query").
	What   string
	Budget uint64
}

func (e *ExceededError) Error() string {
	return fmt.Sprintf("%s exceeded the memory budget (its evaluation grew the heap by more than %d MiB)", e.What, e.Budget>>20)
}

// Exceeded returns the *ExceededError that cancelled ctx (or any context
// derived from it), nil when ctx was not stopped by a watch.
func Exceeded(ctx context.Context) *ExceededError {
	var ee *ExceededError
	if errors.As(context.Cause(ctx), &ee) {
		return ee
	}
	return nil
}

// heapBytes is the memory held by heap objects, live or not yet collected.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// Watch returns a context that is cancelled, with an *ExceededError naming
// what, when the evaluation grows the heap by more than budget
// (when 0: DefaultBudget, or half the heap now if that is more) over its
// size now. Garbage counts until it is
// collected, so past the budget Watch has a collection run and cancels if
// the heap is still over it afterwards. Meanwhile a growth that is
// certainly more than garbage — the heap past twice its size at the start
// plus twice the budget (kscan's soft memory limit lets garbage reach 2/3
// of the live heap) — cancels at once: a buffer that doubles must be
// stopped before its next doubling. stop ends the watch and releases the
// context; call it when the evaluation returns.
func Watch(ctx context.Context, what string, budget uint64) (_ context.Context, stop func()) {
	base := heapBytes()
	if budget == 0 {
		// A large scan's own evaluations need more room.
		budget = max(DefaultBudget, base/2)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	soft, hard := base+budget, 2*base+2*budget
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(pollEvery)
		defer t.Stop()
		var collected chan struct{} // a collection under way
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			heap := heapBytes()
			switch {
			case heap > hard:
			case heap <= soft:
				continue
			case collected == nil:
				collected = make(chan struct{})
				go func(c chan struct{}) {
					runtime.GC()
					close(c)
				}(collected)
				continue
			default:
				select {
				case <-collected:
					collected = nil
					if heapBytes() <= soft {
						continue
					}
				default:
					continue // still collecting
				}
			}
			cancel(&ExceededError{What: what, Budget: budget})
			return
		}
	}()
	return ctx, func() {
		close(done)
		cancel(nil)
	}
}
