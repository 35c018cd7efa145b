package postauth_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/postauth"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// BenchmarkHandler measures the whole invocation, raw event bytes to raw
// response bytes, with the in-memory store and the decision line written
// to a discarding writer. "recorded" is a new sign-in each time (the clock
// moves past the dedupe window), "duplicate" a redelivery.
func BenchmarkHandler(b *testing.B) {
	in := event(b)
	for _, bc := range []struct {
		name    string
		advance time.Duration
		want    decision.Outcome
	}{{"recorded", postauth.DedupeWindow + time.Millisecond, decision.OutcomeRecorded}, {"duplicate", 0, decision.OutcomeDuplicate}} {
		b.Run(bc.name, func(b *testing.B) {
			store := &fakes.MemAuditStore{}
			clock := fakes.NewClock()
			d := newDecider(b, postauth.Config{Table: "audit"}, postauth.Deps{Store: store, Now: clock.Now})
			h := invoke.New[triggers.PostAuth](invoke.Options{Function: "postauth",
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
					store.Reset() // keep the map small; the marker is rewritten next time anyway
				}
			}
			b.StopTimer()
			// Check the path measured is the path named.
			var last discardCount
			h2 := invoke.New[triggers.PostAuth](invoke.Options{Function: "postauth",
				Logger: telemetry.NewLogger(&last, slog.LevelInfo)}, d.Decide)
			clock.Advance(bc.advance)
			if _, err := h2.Invoke(ctx, in); err != nil {
				b.Fatal(err)
			}
			if got := decisionLines(b, last.buf)[0]["outcome"]; got != string(bc.want) {
				b.Fatalf("benchmarked path has outcome %v, want %s", got, bc.want)
			}
		})
	}
}

// BenchmarkIdempotencyKey measures the key of a decoded event: the
// fixture's, and one whose metadata holds a value nested 5000 levels deep
// (keyed as its text, so one pass over its bytes).
func BenchmarkIdempotencyKey(b *testing.B) {
	deep := strings.Repeat(`["x",`, 5000) + `"x"` + strings.Repeat("]", 5000)
	for _, bc := range []struct {
		name  string
		edits []testevent.Edit
	}{
		{"fixture", nil},
		{"flat metadata", edits(testevent.SetRequest("clientMetadata", map[string]any{"app": "mobile", "locale": "de-DE"}))},
		{"nested metadata", edits(testevent.SetRequest("clientMetadata", json.RawMessage(`{"a":`+deep+`}`)))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ev := testevent.Decode[triggers.PostAuth](b, event(b, bc.edits...))
			b.ReportAllocs()
			for b.Loop() {
				_ = postauth.Key(ev, fixtureSub)
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
