package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDecisionLineIsValidEMF(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger(&buf, slog.LevelInfo)
	emf := NewEMF("CognitoTriggers")
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	attrs := []slog.Attr{slog.String(DimFunction, "presignup"), slog.String(DimOutcome, "refused"), slog.String(DimReason, "not_allowed")}
	attrs = emf.Attrs(attrs, now, true, []Metric{{Name: "Invocations", Unit: Count, Value: 1}, {Name: "DurationMs", Unit: Milliseconds, Value: 0.5}})
	log.LogAttrs(context.Background(), slog.LevelInfo, "decision", attrs...)

	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("decision line is not JSON: %v\n%s", err, buf.Bytes())
	}
	want := map[string]any{
		"timestamp": "2026-11-25T12:00:00Z", "level": "INFO", "message": "decision",
		"function": "presignup", "outcome": "refused", "reason": "not_allowed",
		"Invocations": 1.0, "DurationMs": 0.5,
		"_aws": map[string]any{
			"Timestamp": float64(now.UnixMilli()),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  "CognitoTriggers",
				"Dimensions": []any{[]any{"function"}, []any{"function", "outcome"}, []any{"function", "outcome", "reason"}},
				"Metrics":    []any{map[string]any{"Name": "Invocations", "Unit": "Count"}, map[string]any{"Name": "DurationMs", "Unit": "Milliseconds"}},
			}},
		},
	}
	line["timestamp"] = "2026-11-25T12:00:00Z" // the record time is the wall clock
	if diff := cmp.Diff(want, line); diff != "" {
		t.Errorf("decision line (-want +got):\n%s", diff)
	}
}

func TestDirectiveIsCachedPerShape(t *testing.T) {
	emf := NewEMF("ns")
	a := emf.directive(false, []Metric{{Name: "A", Unit: Count, Value: 1}})
	b := emf.directive(false, []Metric{{Name: "A", Unit: Count, Value: 2}})
	c := emf.directive(true, []Metric{{Name: "A", Unit: Count, Value: 1}})
	if &a[0] != &b[0] {
		t.Error("same shape built twice")
	}
	if bytes.Equal(a, c) {
		t.Error("reason dimension ignored in the shape")
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"": slog.LevelInfo, "debug": slog.LevelDebug, "WARN": slog.LevelWarn, "FATAL": slog.LevelError, "nonsense": slog.LevelInfo} {
		if got := ParseLevel(in); got != want {
			t.Errorf("ParseLevel(%q) = %v, want %v", in, got, want)
		}
	}
}

func BenchmarkDecisionLine(b *testing.B) {
	log := NewLogger(discard{}, slog.LevelInfo)
	emf := NewEMF("CognitoTriggers")
	metrics := []Metric{{Name: "Invocations", Unit: Count, Value: 1}, {Name: "DurationMs", Unit: Milliseconds, Value: 0.5}}
	b.ReportAllocs()
	for b.Loop() {
		attrs := make([]slog.Attr, 0, 16)
		attrs = append(attrs, slog.String("requestId", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"), slog.String(DimFunction, "presignup"),
			slog.String(DimOutcome, "allowed"), slog.String("source", "PreSignUp_SignUp"), slog.String("userPoolId", "us-east-1_EXAMPLE"),
			slog.String("clientId", "1example23456789"), slog.Float64("durationMs", 0.5))
		attrs = emf.Attrs(attrs, time.Now(), false, metrics)
		log.LogAttrs(context.Background(), slog.LevelInfo, "decision", attrs...)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
