package telemetry

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"
	"testing/slogtest"
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
}

// TestHandlerConformsToSlog runs slog's own handler test suite: groups,
// WithAttrs/WithGroup, empty groups, LogValuer resolution and the rest
// behave as in any slog handler, with Lambda's key names mapped back to
// slog's.
func TestHandlerConformsToSlog(t *testing.T) {
	var buf bytes.Buffer
	newHandler := func(*testing.T) slog.Handler {
		buf.Reset()
		return NewHandler(&buf, slog.LevelDebug)
	}
	result := func(t *testing.T) map[string]any {
		t.Helper()
		line := buf.Bytes()
		if bytes.Count(line, []byte("\n")) != 1 {
			t.Fatalf("want exactly one line, got %q", line)
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("line is not JSON: %v: %s", err, line)
		}
		for lambda, std := range map[string]string{timestampKey: slog.TimeKey, messageKey: slog.MessageKey} {
			if v, ok := m[lambda]; ok {
				m[std] = v
				delete(m, lambda)
			}
		}
		return m
	}
	slogtest.Run(t, newHandler, result)
}

// TestHandlerBuiltinsOnlyByKind: an attribute that merely shares a built-in
// key's name is not taken for the built-in, so it is still redacted; and an
// attribute with an empty key is dropped, not written as "".
func TestHandlerBuiltinsOnlyByKind(t *testing.T) {
	var buf bytes.Buffer
	NewLogger(&buf, slog.LevelInfo).Info("m", "level", map[string]string{"password": "canary-7f3a9"}, "", "dropped")
	line := buf.String()
	for _, want := range []string{`"level":"INFO"`, `"level":"[unlogged map[string]string]"`} {
		if !strings.Contains(line, want) {
			t.Errorf("line lacks %s: %s", want, line)
		}
	}
	for _, bad := range []string{"canary-7f3a9", `"":`, "dropped"} {
		if strings.Contains(line, bad) {
			t.Errorf("line contains %s: %s", bad, line)
		}
	}
}

func TestInstallKeepsJSONWhateverTheLogFormat(t *testing.T) {
	defer slog.SetDefault(slog.Default())
	for _, tc := range []struct {
		format string
		warns  bool
	}{{"", false}, {"JSON", false}, {"json", false}, {"Text", true}} {
		var buf bytes.Buffer
		log := install(&buf, "INFO", tc.format)
		log.Info("decision")
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		for _, l := range lines {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Errorf("format %q: a line is not JSON: %v: %s", tc.format, err, l)
			}
		}
		if got := len(lines) == 2 && strings.Contains(lines[0], `"level":"WARN"`); got != tc.warns {
			t.Errorf("format %q: warned = %v, want %v:\n%s", tc.format, got, tc.warns, buf.String())
		}
		if slog.Default().Handler() != log.Handler() {
			t.Errorf("format %q: the logger is not slog's default", tc.format)
		}
	}
}
