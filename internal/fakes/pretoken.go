package fakes

import (
	"context"
	"slices"
	"sync"

	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// Records is an in-memory trusted claims table: its user#, client# and
// domain# records, the bindings written and how often each method was
// called. Table returns a TrustedTable over it; a test that needs one
// method to behave otherwise replaces (or wraps) that field of the
// TrustedTable. It is safe for concurrent use.
type Records struct {
	// Fail, when set, is called at the start of every method with the
	// method's name ("User", "Client", "Domain", "Bind"); a non-nil error
	// is the method's answer. Set it before the records are used.
	Fail func(ctx context.Context, method string) error

	mu       sync.Mutex
	users    map[string]trustedtable.UserRecord
	clients  map[string]trustedtable.ClientRecord
	domains  map[string]trustedtable.DomainRecord
	bindings []Binding
	calls    map[string]int
}

// Binding is one binding Bind wrote.
type Binding struct {
	Sub string
	trustedtable.Binding
}

// NewRecords returns an empty table.
func NewRecords() *Records {
	return &Records{
		users:   map[string]trustedtable.UserRecord{},
		clients: map[string]trustedtable.ClientRecord{},
		domains: map[string]trustedtable.DomainRecord{},
		calls:   map[string]int{},
	}
}

// PutUser stores user#<sub>.
func (r *Records) PutUser(sub string, rec trustedtable.UserRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.users[sub] = rec
}

// DeleteUser removes user#<sub>.
func (r *Records) DeleteUser(sub string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.users, sub)
}

// PutClient stores client#<id>.
func (r *Records) PutClient(id string, rec trustedtable.ClientRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clients[id] = rec
}

// DeleteClient removes client#<id>.
func (r *Records) DeleteClient(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.clients, id)
}

// PutDomain stores domain#<domain>.
func (r *Records) PutDomain(domain string, rec trustedtable.DomainRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.domains[domain] = rec
}

// Bindings returns the bindings written so far, in order.
func (r *Records) Bindings() []Binding {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.bindings)
}

// Calls reports how often method was called.
func (r *Records) Calls(method string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[method]
}

// ResetCalls sets every call count back to zero.
func (r *Records) ResetCalls() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.calls)
}

// begin counts a call and returns its injected failure, if any. A real
// client gives up on a context that is already done, and so does this
// one.
func (r *Records) begin(ctx context.Context, method string) error {
	r.mu.Lock()
	r.calls[method]++
	r.mu.Unlock()
	if r.Fail != nil {
		if err := r.Fail(ctx, method); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// Table returns a TrustedTable reading and binding the records. Its Bind
// is the conditional write of the real table: it never overwrites a
// record, and answers with the one it finds.
func (r *Records) Table() *TrustedTable {
	return &TrustedTable{
		UserFn: func(ctx context.Context, sub string) (trustedtable.UserRecord, bool, error) {
			if err := r.begin(ctx, "User"); err != nil {
				return trustedtable.UserRecord{}, false, err
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			rec, ok := r.users[sub]
			return rec, ok, nil
		},
		ClientFn: func(ctx context.Context, id string) (trustedtable.ClientRecord, bool, error) {
			if err := r.begin(ctx, "Client"); err != nil {
				return trustedtable.ClientRecord{}, false, err
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			rec, ok := r.clients[id]
			return rec, ok, nil
		},
		DomainFn: func(ctx context.Context, domain string) (trustedtable.DomainRecord, bool, error) {
			if err := r.begin(ctx, "Domain"); err != nil {
				return trustedtable.DomainRecord{}, false, err
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			rec, ok := r.domains[domain]
			return rec, ok, nil
		},
		BindFn: func(ctx context.Context, sub string, b trustedtable.Binding) (trustedtable.UserRecord, bool, error) {
			if err := r.begin(ctx, "Bind"); err != nil {
				return trustedtable.UserRecord{}, false, err
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			if rec, ok := r.users[sub]; ok {
				return rec, false, nil
			}
			rec := trustedtable.UserRecord{TenantID: b.TenantID, AppRole: b.AppRole}
			r.users[sub] = rec
			r.bindings = append(r.bindings, Binding{Sub: sub, Binding: b})
			return rec, true, nil
		},
	}
}

// Stall blocks until ctx ends and returns its error, as a call to a table
// that never answers does. Use it as a Records.Fail.
func Stall(ctx context.Context, _ string) error {
	<-ctx.Done()
	return ctx.Err()
}
