// Package budget gives each invocation a deadline below Cognito's fixed
// five-second wait, and hands every dependency call a share of what is left.
//
// The context deadline aws-lambda-go provides is the Lambda function timeout,
// not Cognito's: a function configured for 5 s that spends 4.9 s on a stalled
// table answers after Cognito has already given up and retried. So a handler
// starts its own, shorter budget at entry, and every call it makes inherits
// that deadline minus a reserve kept back to log and answer.
package budget

import (
	"context"
	"time"
)

// Default is the budget from handler entry when TRIGGER_BUDGET_MS is unset:
// one second of headroom under Cognito's 5 s for cold start, network and the
// Lambda service itself.
const Default = 4 * time.Second

// Reserve is kept back from every dependency call so that the handler can
// still decide, log and answer after the call has been cut off.
const Reserve = 25 * time.Millisecond

// Start returns a context that expires after d, or earlier if the parent
// (the Lambda deadline) expires first.
func Start(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}

// For returns a context for one dependency call: it expires after max, or
// Reserve before the invocation's own deadline, whichever comes first. When
// nothing is left the returned context is already done, so the call fails
// at once instead of starting.
func For(ctx context.Context, max time.Duration) (context.Context, context.CancelFunc) {
	if deadline, ok := ctx.Deadline(); ok {
		if left := time.Until(deadline) - Reserve; left < max {
			max = left
		}
	}
	if max <= 0 {
		c, cancel := context.WithCancel(ctx)
		cancel()
		return c, cancel
	}
	return context.WithTimeout(ctx, max)
}

// Remaining reports how much of the invocation's budget is left (zero when
// the context has no deadline or it has passed), for decisions such as
// "is there time for one more attempt".
func Remaining(ctx context.Context) time.Duration {
	deadline, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	if left := time.Until(deadline); left > 0 {
		return left
	}
	return 0
}
