package pretoken

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// fakeStore is a Store held in memory, with failure injection. It is safe
// for concurrent use (fuzzing and -race call it from several goroutines).
type fakeStore struct {
	mu      sync.Mutex
	users   map[string]trustedtable.UserRecord
	clients map[string]trustedtable.ClientRecord
	domains map[string]trustedtable.DomainRecord
	// bindings records every Bind that wrote, with what it wrote.
	bindings []fakeBinding

	err   error // every call fails with it (only errOn's calls when set)
	stall bool  // every call blocks until its context ends
	// errOn and stallOn limit err and stalling to one method.
	errOn, stallOn string
	// loseRace makes the next Bind find an existing record (written by
	// "someone else") instead of writing.
	loseRace *trustedtable.UserRecord

	calls map[string]int // per method
}

type fakeBinding struct {
	sub string
	b   trustedtable.Binding
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		users:   map[string]trustedtable.UserRecord{},
		clients: map[string]trustedtable.ClientRecord{},
		domains: map[string]trustedtable.DomainRecord{},
		calls:   map[string]int{},
	}
}

// fail returns the injected failure, after waiting for ctx when stalled.
func (f *fakeStore) fail(ctx context.Context, method string) error {
	f.mu.Lock()
	f.calls[method]++
	stall, err := f.stall || f.stallOn == method, f.err
	if f.errOn != "" && f.errOn != method {
		err = nil
	}
	f.mu.Unlock()
	if stall {
		<-ctx.Done()
		return ctx.Err()
	}
	if err != nil {
		return err
	}
	// A real client gives up on a context that is already done.
	return ctx.Err()
}

func (f *fakeStore) User(ctx context.Context, sub string) (trustedtable.UserRecord, bool, error) {
	if err := f.fail(ctx, "User"); err != nil {
		return trustedtable.UserRecord{}, false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.users[sub]
	return r, ok, nil
}

func (f *fakeStore) Client(ctx context.Context, id string) (trustedtable.ClientRecord, bool, error) {
	if err := f.fail(ctx, "Client"); err != nil {
		return trustedtable.ClientRecord{}, false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.clients[id]
	return r, ok, nil
}

func (f *fakeStore) Domain(ctx context.Context, domain string) (trustedtable.DomainRecord, bool, error) {
	if err := f.fail(ctx, "Domain"); err != nil {
		return trustedtable.DomainRecord{}, false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.domains[domain]
	return r, ok, nil
}

// Bind behaves like the real conditional write: it never overwrites.
func (f *fakeStore) Bind(ctx context.Context, sub string, b trustedtable.Binding) (trustedtable.UserRecord, bool, error) {
	if err := f.fail(ctx, "Bind"); err != nil {
		return trustedtable.UserRecord{}, false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.loseRace != nil {
		f.users[sub] = *f.loseRace
		f.loseRace = nil
	}
	if r, ok := f.users[sub]; ok {
		return r, false, nil
	}
	r := trustedtable.UserRecord{TenantID: b.TenantID, AppRole: b.AppRole}
	f.users[sub] = r
	f.bindings = append(f.bindings, fakeBinding{sub: sub, b: b})
	return r, true, nil
}

func (f *fakeStore) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *fakeStore) resetCounts() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.calls)
}

// envReader is an envconfig.Reader over a map.
func envReader(env map[string]string) *envconfig.Reader {
	return envconfig.New(func(k string) string { return env[k] })
}

// decodeLine decodes one log line.
func decodeLine(tb testing.TB, line string) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		tb.Fatalf("log line is not JSON: %v\n%s", err, line)
	}
	return m
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
