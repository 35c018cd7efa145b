package pretoken

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// benchEvent is the 2 KB V2 fixture in the compact form Cognito sends.
func benchEvent(b *testing.B) []byte {
	var c bytes.Buffer
	if err := json.Compact(&c, testevent.Raw(b, "testdata/pretoken-v2-2kb.json")); err != nil {
		b.Fatal(err)
	}
	return c.Bytes()
}

func benchHandler(b *testing.B, tbl *table, ttl time.Duration) *invoke.Handler[triggers.PreToken, *triggers.PreToken] {
	d, err := New(Config{Table: "claims", CacheTTL: ttl, TableTimeout: time.Second}, Deps{Store: tbl.TrustedTable})
	if err != nil {
		b.Fatal(err)
	}
	return invoke.New[triggers.PreToken](invoke.Options{Function: "pretoken",
		Logger: telemetry.NewLogger(discard{}, slog.LevelInfo)}, d.Decide)
}

// BenchmarkHandler measures a warm sign-in from raw event bytes to raw
// response bytes (strict decode, decision, encode), decision line
// included (to a discarding writer): the user's record is in the
// container's cache, so no table call is made.
func BenchmarkHandler(b *testing.B) {
	in := benchEvent(b)
	tbl := newTable()
	tbl.PutUser(subMaria, trustedtable.UserRecord{TenantID: "acme", AppRole: "member"})
	h := benchHandler(b, tbl, MaxCacheTTL)
	ctx := context.Background()
	if _, err := h.Invoke(ctx, in); err != nil { // fills the cache
		b.Fatal(err)
	}
	tbl.ResetCalls()
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	cpu := startCPU()
	for b.Loop() {
		if _, err := h.Invoke(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
	if n := tbl.Calls("User"); n != 0 {
		b.Fatalf("%d table reads on cache hits", n)
	}
}

// BenchmarkHandlerMiss is BenchmarkHandler with the cache off: every
// invocation reads the (in-memory) table.
func BenchmarkHandlerMiss(b *testing.B) {
	in := benchEvent(b)
	tbl := newTable()
	tbl.PutUser(subMaria, trustedtable.UserRecord{TenantID: "acme", AppRole: "member"})
	h := benchHandler(b, tbl, 0)
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

// BenchmarkInvokeFloor is the same 2 KB event through invoke.New with a
// decision that changes nothing: what the strict decode, the encode and
// the decision line cost any handler of this event, for comparison with
// BenchmarkHandler.
func BenchmarkInvokeFloor(b *testing.B) {
	in := benchEvent(b)
	h := invoke.New[triggers.PreToken](invoke.Options{Function: "pretoken",
		Logger: telemetry.NewLogger(discard{}, slog.LevelInfo)}, func(context.Context, *triggers.PreToken) decision.Result {
		return decision.Result{Outcome: decision.OutcomeClaimsAdded}
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
