package postauth

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// BenchmarkHandler measures the whole invocation, raw event bytes to raw
// response bytes, with the in-memory store and the decision line written
// to a discarding writer. "recorded" is a new sign-in each time (the clock
// moves past the dedupe window), "duplicate" a redelivery.
func BenchmarkHandler(b *testing.B) {
	in := event(b, nil)
	for _, bc := range []struct {
		name    string
		advance time.Duration
		want    string
	}{{"recorded", DedupeWindow + time.Millisecond, OutcomeRecorded}, {"duplicate", 0, OutcomeDuplicate}} {
		b.Run(bc.name, func(b *testing.B) {
			store := newMemStore()
			clock := newFakeClock()
			d := New(Config{Table: "audit", Now: clock.Now}, store)
			h := invoke.New(invoke.Options{Function: "postauth", Trigger: triggers.TriggerPostAuthentication,
				Logger: telemetry.NewLogger(discard{}, slog.LevelInfo)}, d.Decide)
			ctx := withRequestID(context.Background(), "0f3c9a7e-5d1b-4c2a-9e8f-7a6b5c4d3e2f")
			if _, err := h.Invoke(ctx, in); err != nil { // the first sign-in
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			i := 0
			for b.Loop() {
				clock.Advance(bc.advance)
				if _, err := h.Invoke(ctx, in); err != nil {
					b.Fatal(err)
				}
				if i++; i%4096 == 0 && bc.advance > 0 {
					store.reset() // keep the map small; the marker is rewritten next time anyway
				}
			}
			b.StopTimer()
			// Check the path measured is the path named.
			var last discardCount
			h2 := invoke.New(invoke.Options{Function: "postauth", Trigger: triggers.TriggerPostAuthentication,
				Logger: telemetry.NewLogger(&last, slog.LevelInfo)}, d.Decide)
			clock.Advance(bc.advance)
			if _, err := h2.Invoke(ctx, in); err != nil {
				b.Fatal(err)
			}
			if got := decisionLines(b, last.buf)[0]["outcome"]; got != bc.want {
				b.Fatalf("benchmarked path has outcome %v, want %s", got, bc.want)
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

type discardCount struct{ buf []byte }

func (d *discardCount) Write(p []byte) (int, error) {
	d.buf = append(d.buf, p...)
	return len(p), nil
}
