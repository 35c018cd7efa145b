// Package fakes holds the test doubles of the repository, one kind per
// dependency: function-field fakes whose zero value fails loudly, each
// with a compile-time assertion that it implements the interface its
// consumer defines, and a settable clock.
//
// A fake's field is the behaviour of one method for one test:
//
//	store := &fakes.TrustedTable{UserFn: func(ctx context.Context, sub string) (trustedtable.UserRecord, bool, error) {
//		return trustedtable.UserRecord{TenantID: "t1", AppRole: "admin"}, true, nil
//	}}
//
// A method whose field is nil returns ErrUnexpectedCall, so a test that
// does not expect a call notices one.
package fakes

import (
	"errors"
	"sync"
	"time"
)

// ErrUnexpectedCall is returned by a fake method whose function field is
// nil.
var ErrUnexpectedCall = errors.New("fakes: unexpected call")

// Clock is a settable clock, safe for concurrent use. Pass its Now method
// as a Deps.Now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Epoch is where a NewClock starts: a fixed instant with a millisecond
// part, so that truncation bugs show.
var Epoch = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

// NewClock returns a Clock at Epoch.
func NewClock() *Clock { return &Clock{t: Epoch} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
