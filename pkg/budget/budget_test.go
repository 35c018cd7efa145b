package budget

import (
	"context"
	"testing"
	"time"
)

func TestForCapsAtInvocationDeadlineMinusReserve(t *testing.T) {
	ctx, cancel := Start(context.Background(), 200*time.Millisecond)
	defer cancel()
	call, cancelCall := For(ctx, time.Hour)
	defer cancelCall()
	parent, _ := ctx.Deadline()
	got, ok := call.Deadline()
	if !ok {
		t.Fatal("call context has no deadline")
	}
	if want := parent.Add(-Reserve); got.After(want.Add(time.Millisecond)) {
		t.Errorf("call deadline %v is later than invocation deadline minus reserve %v", got, want)
	}
}

func TestForUsesMaxWhenSmaller(t *testing.T) {
	ctx, cancel := Start(context.Background(), time.Hour)
	defer cancel()
	call, cancelCall := For(ctx, 10*time.Millisecond)
	defer cancelCall()
	got, _ := call.Deadline()
	if left := time.Until(got); left > 10*time.Millisecond {
		t.Errorf("call has %v left, want at most 10ms", left)
	}
}

func TestForWhenNothingIsLeft(t *testing.T) {
	ctx, cancel := Start(context.Background(), Reserve/2)
	defer cancel()
	call, cancelCall := For(ctx, time.Second)
	defer cancelCall()
	if call.Err() == nil {
		t.Error("call context is live although the budget is spent; want it done at once")
	}
}

func TestRemaining(t *testing.T) {
	if got := Remaining(context.Background()); got != 0 {
		t.Errorf("Remaining(no deadline) = %v, want 0", got)
	}
	ctx, cancel := Start(context.Background(), time.Second)
	defer cancel()
	if got := Remaining(ctx); got <= 900*time.Millisecond || got > time.Second {
		t.Errorf("Remaining = %v, want about 1s", got)
	}
}
