package memguard

import (
	"context"
	"testing"
	"time"
)

// A computation that keeps what it allocates is stopped, with the cause
// naming it; one that stays under the budget is not.
func TestWatch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		grow   int // bytes kept, in 1 MiB blocks
		budget uint64
		want   bool
	}{
		{"under the budget", 8 << 20, 64 << 20, false},
		{"over the budget", 512 << 20, 64 << 20, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, stop := Watch(context.Background(), "rule custom/x", tc.budget)
			defer stop()
			var kept [][]byte
			deadline := time.Now().Add(10 * time.Second)
			for n := 0; n < tc.grow && ctx.Err() == nil && time.Now().Before(deadline); n += 1 << 20 {
				b := make([]byte, 1<<20)
				for i := range b {
					b[i] = byte(i)
				}
				kept = append(kept, b)
				time.Sleep(50 * time.Microsecond)
			}
			time.Sleep(50 * time.Millisecond)
			ee := Exceeded(ctx)
			if (ee != nil) != tc.want {
				t.Fatalf("stopped: %v, want %v (kept %d MiB)", ee, tc.want, len(kept))
			}
			if ee != nil && (ee.What != "rule custom/x" || len(kept) > int(tc.budget>>20)*2) {
				t.Errorf("cause %v after %d MiB, want it named and at most twice the budget", ee, len(kept))
			}
			if ee != nil && ee.Error() != "rule custom/x exceeded the memory budget (its evaluation grew the heap by more than 64 MiB)" {
				t.Errorf("message %q", ee.Error())
			}
		})
	}
}

// stop releases the context without a cause.
func TestStop(t *testing.T) {
	ctx, stop := Watch(context.Background(), "x", 0)
	stop()
	if ctx.Err() == nil || Exceeded(ctx) != nil {
		t.Errorf("after stop: err %v, exceeded %v", ctx.Err(), Exceeded(ctx))
	}
}
