package adversarial

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/pkg/custommessage"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/postauth"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// TestAdversarialA11_SlowDependencyStaysInBudget: the domain table answers
// late, never, or just before the deadline; the pre sign-up decision cuts
// the lookup off at its own per-call timeout or the invocation budget,
// whichever is shorter, and fails closed with the timeout named. The Lambda
// deadline (the parent context) caps it too. The lookup's deadline is
// compared with the clock read after the call, so that a slow machine
// cannot make the test fail; the reason shows the deadline was what ended
// it.
func TestAdversarialA11_SlowDependencyStaysInBudget(t *testing.T) {
	cases := []struct {
		name    string
		store   func() *fakes.TrustedTable
		timeout time.Duration
		budget  time.Duration
		parent  time.Duration // Lambda deadline; 0 = none
	}{
		{"stall, table timeout", domainsStalled, 50 * time.Millisecond, time.Second, 0},
		{"stall, budget shorter than timeout", domainsStalled, 2 * time.Second, 100 * time.Millisecond, 0},
		{"stall, lambda deadline shorter", domainsStalled, 2 * time.Second, 2 * time.Second, 80 * time.Millisecond},
		{"slow answer after timeout", func() *fakes.TrustedTable { return domainsSlow(500*time.Millisecond, "evil.io") }, 50 * time.Millisecond, time.Second, 0},
		{"deadline already passed", domainsStalled, time.Second, time.Second, time.Nanosecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ctx(t)
			if tc.parent > 0 {
				var cancel context.CancelFunc
				c, cancel = context.WithTimeout(c, tc.parent)
				defer cancel()
			}
			inner := tc.store()
			var deadline time.Time
			var hasDeadline bool
			store := &fakes.TrustedTable{DomainFn: func(ctx context.Context, domain string) (trustedtable.DomainRecord, bool, error) {
				deadline, hasDeadline = ctx.Deadline()
				return inner.Domain(ctx, domain)
			}}
			logs := &logBuf{}
			h := presignupHandler(t, presignupSetup{store: store, timeout: tc.timeout, budget: tc.budget}, logs)
			_, err := h.Invoke(c, signUpEmail("a@evil.io"))
			after := time.Now()
			if err == nil {
				t.Error("admitted although the table never confirmed the domain (fail open)")
			}
			if reason := logs.decision(t)["reason"]; reason != string(decision.ReasonTableTimeout) {
				t.Errorf("reason %v, want table_timeout", reason)
			}
			if !hasDeadline {
				t.Fatal("the lookup ran without a deadline")
			}
			limit := min(tc.timeout, tc.budget)
			if tc.parent > 0 {
				limit = min(limit, tc.parent)
			}
			if deadline.After(after.Add(limit)) {
				t.Errorf("the lookup's deadline is %v after the answer, want at most %v", deadline.Sub(after), limit)
			}
		})
	}
}

// TestAdversarialA11_ConcurrentInvocationsShareNothing: Lambda may run
// several invocations in one process (AWS_LAMBDA_MAX_CONCURRENCY); each of
// the three handlers is hammered from 16 goroutines with different events,
// and every answer must belong to its own event (pooled buffers must not
// bleed between invocations). Run under -race.
func TestAdversarialA11_ConcurrentInvocationsShareNothing(t *testing.T) {
	ps := presignupHandler(t, presignupSetup{allow: "example.com"}, nil)
	cm := customMessageHandler(t, custommessage.Config{CustomizeEmail: true}, nil, nil)
	store := newMemStore()
	pa := postauthHandler(t, store, nil, postauth.FailOpen, nil)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 25 {
				id := fmt.Sprintf("g%02di%02d", g, i)
				out, err := ps.Invoke(context.Background(), signUp(strObj("email", id+"@example.com", "name", id)))
				if err != nil || !containsAll(string(out), id+"@example.com") {
					t.Errorf("presignup %s: %v", id, err)
				}
				src := allSources[(g+i)%len(allSources)]
				out, err = cm.Invoke(context.Background(), cmEvent(string(src), "user-"+id, strObj("given_name", "Name"+id[1:]), ""))
				if err != nil || !containsAll(string(out), `"userName":"user-`+id+`"`) {
					t.Errorf("custommessage %s: %v", id, err)
				}
				// Fatal is for the test's own goroutine: decode here and
				// report with Errorf.
				var ev struct {
					Response cmResponse `json:"response"`
				}
				if err := json.Unmarshal(out, &ev); err != nil {
					t.Errorf("custommessage %s: answer is not JSON: %v", id, err)
				} else if r := ev.Response; r.SMSMessage == nil {
					t.Errorf("custommessage %s fell back", id)
				} else if src == triggers.SourceMessageSignUp && !containsAll(deref(r.EmailMessage), "username=user-"+id) {
					t.Errorf("custommessage %s: link belongs to another user", id)
				}
				if _, err := pa.Invoke(context.Background(), postAuth(strObj("sub", "sub-"+id))); err != nil {
					t.Errorf("postauth %s: %v", id, err)
				}
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, r := range store.Records() {
		if seen[r.Sub] {
			t.Errorf("two rows for %s", r.Sub)
		}
		seen[r.Sub] = true
	}
	if len(seen) != 16*25 {
		t.Errorf("%d distinct rows, want %d", len(seen), 16*25)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
