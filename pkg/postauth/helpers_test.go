package postauth

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/cognito-triggers/suite/internal/harness"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/jsonscan"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// TestMain shares one moto_server between the integration tests; unit
// tests and benchmarks never start it.
func TestMain(m *testing.M) { harness.Main(m) }

// memStore is an in-memory Store with DynamoDB's semantics for the two
// conditional puts of Table.Put, plus injected failures. Its keys are
// structs of the record's own strings, so that a benchmark measures the
// handler rather than the fake.
type memStore struct {
	mu      sync.Mutex
	markers map[markerKey]int64 // -> until (epoch ms)
	items   map[itemKey]Record
	puts    int
	err     error // returned by every Put when set
	stall   bool  // block until the context ends
}

type markerKey struct{ sub, key string }

type itemKey struct {
	sub       string
	at        int64 // epoch ms
	requestID string
}

func newMemStore() *memStore {
	return &memStore{markers: map[markerKey]int64{}, items: map[itemKey]Record{}}
}

func (m *memStore) Put(ctx context.Context, r *Record) error {
	m.mu.Lock()
	m.puts++
	stall, err := m.stall, m.err
	m.mu.Unlock()
	if stall {
		<-ctx.Done()
		return ctx.Err()
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := r.Time.UnixMilli()
	mk := markerKey{r.Sub, r.Key}
	if until, ok := m.markers[mk]; ok && until >= now {
		return ErrDuplicate
	}
	ik := itemKey{r.Sub, now, r.RequestID}
	if _, ok := m.items[ik]; ok {
		return ErrDuplicate
	}
	m.markers[mk] = now + DedupeWindow.Milliseconds()
	m.items[ik] = *r
	return nil
}

func (m *memStore) records() []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Record, 0, len(m.items))
	for _, r := range m.items {
		out = append(out, r)
	}
	return out
}

// reset drops every item and marker (benchmarks keep the maps small).
func (m *memStore) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.markers)
	clear(m.items)
}

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const fixture = "../../events/postauth-authentication.json"

// fixtureSub is the sub of the fixture's user.
const fixtureSub = "7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b"

// event returns the post authentication fixture after edit, re-encoded.
func event(t testing.TB, edit func(ev map[string]any)) []byte {
	t.Helper()
	raw, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return raw
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	edit(ev)
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func request(ev map[string]any) map[string]any { return ev["request"].(map[string]any) }

func attributes(ev map[string]any) map[string]any {
	return request(ev)["userAttributes"].(map[string]any)
}

// handler returns the function's invoke.Handler over d, logging to logs
// when it is not nil.
func handler(d *Decider, logs *bytes.Buffer) *invoke.Handler {
	var log *slog.Logger
	if logs != nil {
		log = telemetry.NewLogger(logs, slog.LevelInfo)
	}
	return invoke.New(invoke.Options{Function: "postauth", Trigger: triggers.TriggerPostAuthentication,
		Budget: 4 * time.Second, Logger: log}, d.Decide)
}

// withRequestID is the context Lambda gives an invocation.
func withRequestID(ctx context.Context, id string) context.Context {
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: id})
}

// decisionLines parses every log line; each must be one JSON object.
func decisionLines(t testing.TB, logs []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(logs), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, line)
		}
		seen := map[string]bool{}
		_ = jsonscan.Object(line, func(mem jsonscan.Member) error {
			if seen[string(mem.Key)] {
				t.Errorf("log line repeats %q: %s", mem.Key, line)
			}
			seen[string(mem.Key)] = true
			return nil
		})
		out = append(out, m)
	}
	return out
}

// withEmptyResponse is what the function must answer for in: the event as
// sent, "response" replaced by {}; compared as decoded JSON.
func withEmptyResponse(t testing.TB, in []byte) any {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(in, &ev); err != nil {
		t.Fatal(err)
	}
	ev["response"] = map[string]any{}
	return ev
}

func decodeJSON(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return v
}
