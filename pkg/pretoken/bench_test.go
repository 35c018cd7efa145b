package pretoken

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// benchEvent is the 2 KB V2 fixture in the compact form Cognito sends.
func benchEvent(b *testing.B) []byte {
	raw, err := os.ReadFile("testdata/pretoken-v2-2kb.json")
	if err != nil {
		b.Fatal(err)
	}
	var c bytes.Buffer
	if err := json.Compact(&c, raw); err != nil {
		b.Fatal(err)
	}
	return c.Bytes()
}

func benchHandler(b *testing.B, store Store, ttl time.Duration) *invoke.Handler {
	d, err := New(Config{Table: "claims", CacheTTL: ttl, TableTimeout: time.Second}, store, nil)
	if err != nil {
		b.Fatal(err)
	}
	return invoke.New(invoke.Options{Function: "pretoken", Trigger: triggers.TriggerPreTokenGeneration,
		Logger: telemetry.NewLogger(discard{}, slog.LevelInfo)}, d.Decide)
}

// BenchmarkHandler measures a warm sign-in from raw event bytes to raw
// response bytes, decision line included (to a discarding writer): the
// user's record is in the container's cache, so no table call is made.
func BenchmarkHandler(b *testing.B) {
	in := benchEvent(b)
	store := newFakeStore()
	store.users["a1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d"] = trustedtable.UserRecord{TenantID: "acme", AppRole: "member"}
	h := benchHandler(b, store, MaxCacheTTL)
	ctx := context.Background()
	if _, err := h.Invoke(ctx, in); err != nil { // fills the cache
		b.Fatal(err)
	}
	store.resetCounts()
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	cpu := startCPU()
	for b.Loop() {
		if _, err := h.Invoke(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
	if n := store.count("User"); n != 0 {
		b.Fatalf("%d table reads on cache hits", n)
	}
}

// BenchmarkHandlerMiss is BenchmarkHandler with the cache off: every
// invocation reads the (in-memory) store.
func BenchmarkHandlerMiss(b *testing.B) {
	in := benchEvent(b)
	store := newFakeStore()
	store.users["a1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d"] = trustedtable.UserRecord{TenantID: "acme", AppRole: "member"}
	h := benchHandler(b, store, 0)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	cpu := startCPU()
	for b.Loop() {
		if _, err := h.Invoke(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

// cpuClock measures the process's CPU time (user + system, GC included)
// over a benchmark loop. On a shared machine ns/op also counts the time
// the benchmark waited for a core; cpu-ns/op does not.
type cpuClock struct{ start time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{start: processCPU()} }

func (c cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(processCPU()-c.start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkInvokeFloor is the same 2 KB event through invoke.New with a
// decision that only splices a constant response: what the envelope parse,
// the response copy and the decision line cost any handler of this event,
// for comparison with BenchmarkHandler.
func BenchmarkInvokeFloor(b *testing.B) {
	in := benchEvent(b)
	resp := []byte(`{"claimsAndScopeOverrideDetails":null}`)
	h := invoke.New(invoke.Options{Function: "pretoken", Trigger: triggers.TriggerPreTokenGeneration,
		Logger: telemetry.NewLogger(discard{}, slog.LevelInfo)}, func(ctx context.Context, ev *triggers.Envelope) invoke.Decision {
		return invoke.Decision{Outcome: "claims_added", Response: ev.WithResponse(resp)}
	})
	ctx := context.Background()
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if _, err := h.Invoke(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
