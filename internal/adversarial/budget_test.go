package adversarial

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/pkg/custommessage"
	"github.com/cognito-triggers/suite/pkg/postauth"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// TestAdversarialA11_SlowDependencyStaysInBudget: the domain table answers
// late, never, or just before the deadline; the pre sign-up decision comes
// back within its own per-call timeout or the invocation budget, whichever
// is shorter, and fails closed. The Lambda deadline (the parent context)
// caps it too.
//
// Threat model A11; ASVS 5.0 13.1.3, 15.1.3, 16.5.3.
func TestAdversarialA11_SlowDependencyStaysInBudget(t *testing.T) {
	cases := []struct {
		name    string
		store   *fakeDomains
		timeout time.Duration
		budget  time.Duration
		parent  time.Duration // Lambda deadline; 0 = none
		max     time.Duration
	}{
		{"stall, table timeout", &fakeDomains{stall: true}, 50 * time.Millisecond, time.Second, 0, 150 * time.Millisecond},
		{"stall, budget shorter than timeout", &fakeDomains{stall: true}, 2 * time.Second, 100 * time.Millisecond, 0, 200 * time.Millisecond},
		{"stall, lambda deadline shorter", &fakeDomains{stall: true}, 2 * time.Second, 2 * time.Second, 80 * time.Millisecond, 200 * time.Millisecond},
		{"slow answer after timeout", &fakeDomains{delay: 500 * time.Millisecond, records: map[string]bool{"evil.io": true}}, 50 * time.Millisecond, time.Second, 0, 150 * time.Millisecond},
		{"deadline already passed", &fakeDomains{stall: true}, time.Second, time.Second, time.Nanosecond, 100 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ctx(t)
			if tc.parent > 0 {
				var cancel context.CancelFunc
				c, cancel = context.WithTimeout(c, tc.parent)
				defer cancel()
			}
			h := presignupHandler(t, presignupSetup{store: tc.store, timeout: tc.timeout, budget: tc.budget}, nil)
			start := time.Now()
			_, err := h.Invoke(c, signUpEmail("a@evil.io"))
			if d := time.Since(start); d > tc.max {
				t.Errorf("answered after %v, want within %v", d, tc.max)
			}
			if err == nil {
				t.Error("admitted although the table never confirmed the domain (fail open)")
			}
		})
	}
}

// TestAdversarialA11_ConcurrentInvocationsShareNothing: Lambda may run
// several invocations in one process (AWS_LAMBDA_MAX_CONCURRENCY); each of
// the three handlers is hammered from 16 goroutines with different events,
// and every answer must belong to its own event (pooled buffers must not
// bleed between invocations). Run under -race.
//
// Threat model A14; ASVS 5.0 15.4.1.
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
				if r := readCMResponse(t, out); r.SMSMessage == nil {
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
	for _, r := range store.records() {
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
