package fakes

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cognito-triggers/suite/pkg/postauth"
)

// AuditStore fakes the post authentication audit store: each Put calls
// PutFn.
type AuditStore struct {
	PutFn func(ctx context.Context, r *postauth.Record) error
}

var _ postauth.Store = (*AuditStore)(nil)

// Put calls PutFn.
func (f *AuditStore) Put(ctx context.Context, r *postauth.Record) error {
	if f.PutFn == nil {
		return ErrUnexpectedCall
	}
	return f.PutFn(ctx, r)
}

// MemAuditStore is an in-memory audit store with DynamoDB's semantics for
// the two conditional puts of postauth.Table.Put: a dedupe marker per
// (sub, idempotency key) that blocks the same event for
// postauth.DedupeWindow after the recorded sign-in, and an item per sort
// key. Its zero value is empty and ready; it is safe for concurrent use.
// Its keys are structs of the record's own fields, so that a benchmark
// measures the handler rather than the fake.
type MemAuditStore struct {
	mu      sync.Mutex
	markers map[memMarker]int64 // end of the window, epoch ms
	items   map[memItem]postauth.Record
}

var _ postauth.Store = (*MemAuditStore)(nil)

type memMarker struct{ sub, key string }

type memItem struct {
	sub       string
	at        int64 // epoch ms
	requestID string
}

// Put records r unless the same event was recorded within the window or
// an item with r's sort key exists (postauth.ErrDuplicate). A done context
// fails the write, as it would fail the SDK call.
func (m *MemAuditStore) Put(ctx context.Context, r *postauth.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.markers == nil {
		m.markers = map[memMarker]int64{}
		m.items = map[memItem]postauth.Record{}
	}
	now := r.Time.UnixMilli()
	mk := memMarker{r.Sub, r.Key}
	if until, ok := m.markers[mk]; ok && until >= now {
		return postauth.ErrDuplicate
	}
	ik := memItem{r.Sub, now, r.RequestID}
	if _, ok := m.items[ik]; ok {
		return postauth.ErrDuplicate
	}
	m.markers[mk] = now + postauth.DedupeWindow.Milliseconds()
	m.items[ik] = *r
	return nil
}

// Records returns the stored sign-ins in key order (partition key, then
// sort key), as a query per user would list them oldest first.
func (m *MemAuditStore) Records() []postauth.Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]postauth.Record, 0, len(m.items))
	for _, r := range m.items {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b postauth.Record) int {
		return cmp.Or(cmp.Compare(a.PK(), b.PK()), cmp.Compare(a.SK(), b.SK()))
	})
	return out
}

// Reset drops every item and marker.
func (m *MemAuditStore) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.markers)
	clear(m.items)
}

// AuditTransactions fakes the one DynamoDB call of postauth.Table: each
// TransactWriteItems calls TransactWriteItemsFn.
type AuditTransactions struct {
	TransactWriteItemsFn func(ctx context.Context, in *dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ postauth.TransactWriteItemsAPI = (*AuditTransactions)(nil)

// TransactWriteItems calls TransactWriteItemsFn.
func (f *AuditTransactions) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if f.TransactWriteItemsFn == nil {
		return nil, ErrUnexpectedCall
	}
	return f.TransactWriteItemsFn(ctx, in)
}
