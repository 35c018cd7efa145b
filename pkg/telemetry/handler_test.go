package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func logLine(t *testing.T, f func(*slog.Logger)) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	f(NewLogger(&buf, slog.LevelDebug))
	if bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
		t.Fatalf("want exactly one line, got %q", buf.String())
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("line is not JSON: %v: %s", err, buf.Bytes())
	}
	delete(m, "timestamp")
	return m
}

func TestHandlerValues(t *testing.T) {
	got := logLine(t, func(l *slog.Logger) {
		l.With("fn", "presignup").WithGroup("g").Info("hello \"x\"\n<b>",
			"s", "a\u2028b", "i", -3, "u", uint64(7), "f", 0.25, "nan", math.NaN(), "b", true,
			"d", 1500*time.Millisecond, "t", time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)),
			"err", errors.New("boom"), "nil", nil, "any", map[string]int{"k": 1},
			slog.Group("inner", "k", "v"), slog.Group("empty"), "raw", json.RawMessage(`{"a":[1,2]}`), "bad", json.RawMessage(`{`))
	})
	want := map[string]any{
		"level": "INFO", "message": "hello \"x\"\n<b>", "fn": "presignup",
		"g": map[string]any{
			"s": "a\u2028b", "i": -3.0, "u": 7.0, "f": 0.25, "nan": "NaN", "b": true, "d": 1.5e9,
			"t": "2026-01-02T02:04:05Z", "err": "boom", "nil": nil, "any": "[unlogged map[string]int]",
			"inner": map[string]any{"k": "v"}, "raw": map[string]any{"a": []any{1.0, 2.0}}, "bad": "[invalid raw JSON]",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("line (-want +got):\n%s", diff)
	}
}

func TestHandlerRedactsSecretKeys(t *testing.T) {
	const canary = "canary-7f3a9"
	var buf bytes.Buffer
	l := NewLogger(&buf, slog.LevelInfo)
	for _, k := range []string{"password", "Password", "code", "secret", "SecretString", "token", "idToken", "Authorization"} {
		l.Info("x", k, canary)
		l.Info("x", slog.Group("nested", k, canary))
		l.With(k, canary).Info("x")
	}
	l.Info("x", "codeDeliveryMedium", "EMAIL") // a harmless near miss is kept
	if strings.Contains(buf.String(), canary) {
		t.Errorf("a secret-named value reached the log:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), `"codeDeliveryMedium":"EMAIL"`) {
		t.Errorf("near-miss key was redacted too:\n%s", buf.String())
	}
}

func TestHandlerLevelAndEmptyGroup(t *testing.T) {
	var buf bytes.Buffer
	l := NewLogger(&buf, slog.LevelWarn)
	l.Info("dropped")
	l.WithGroup("unused").Warn("kept")
	if got := strings.Count(buf.String(), "\n"); got != 1 {
		t.Fatalf("lines = %d, want 1: %s", got, buf.String())
	}
	if strings.Contains(buf.String(), "unused") {
		t.Errorf("an empty group was written: %s", buf.String())
	}
	_ = context.Background()
}
