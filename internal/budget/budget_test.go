package budget

import (
	"context"
	"testing"
)

func TestTake(t *testing.T) {
	ctx := With(context.Background())
	if With(ctx) != ctx {
		t.Error("With replaced the scan's budget")
	}
	if !Take(ctx, MaxScanBytes-10) || Remaining(ctx) != 10 {
		t.Fatalf("remaining %d, want 10", Remaining(ctx))
	}
	if Take(ctx, 11) || Remaining(ctx) != 10 {
		t.Errorf("11 bytes fit in 10 (remaining %d)", Remaining(ctx))
	}
	if !Take(ctx, 10) || Remaining(ctx) != 0 {
		t.Errorf("remaining %d, want 0", Remaining(ctx))
	}
	if !Take(context.Background(), 1<<40) {
		t.Error("no budget in the context: everything fits")
	}
}
