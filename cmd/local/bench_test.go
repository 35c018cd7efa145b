package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[int]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond, 1: time.Millisecond} {
		if got := percentile(ds, p); got != want {
			t.Errorf("p%d = %v, want %v", p, got, want)
		}
	}
	if got := median([]time.Duration{3, 1, 2}); got != 2 {
		t.Errorf("median = %v, want 2", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("percentile(nil) = %v", got)
	}
}

// TestVaryClientMetadata: each benchmark sign-in is a distinct event (post
// authentication would treat a repeat as a retry), and nothing else changes.
func TestVaryClientMetadata(t *testing.T) {
	in := []byte(`{"triggerSource":"PostAuthentication_Authentication","request":{"userAttributes":{"sub":"s"},"newDeviceUsed":false},"response":{}}`)
	a, b := varyClientMetadata(in, 1), varyClientMetadata(in, 2)
	if string(a) == string(b) {
		t.Fatal("two iterations produced the same event")
	}
	var ev map[string]any
	if err := json.Unmarshal(a, &ev); err != nil {
		t.Fatal(err)
	}
	req := ev["request"].(map[string]any)
	if req["clientMetadata"].(map[string]any)["bench_iteration"] != "1" || req["userAttributes"].(map[string]any)["sub"] != "s" {
		t.Errorf("varied event: %s", a)
	}
}

func TestBenchLineParsing(t *testing.T) {
	m := benchLine.FindStringSubmatch("BenchmarkHandler/SignUp/en-2   	   38113	     29712 ns/op	   12431 B/op	     125 allocs/op")
	if m == nil || m[1] != "BenchmarkHandler/SignUp/en-2" || m[2] != "29712" || m[3] != "125" {
		t.Errorf("parsed %q", m)
	}
}

func TestRenderReportsErrorsAndTargets(t *testing.T) {
	out := render([]result{{row: "x", err: errTest("boom")}, {row: "y", binaryBytes: 7_860_000, coldStart: 4 * time.Millisecond, coldStarts: 7, firstInvoke: 2 * time.Millisecond, firstDecision: 0.25, peakRSS: 12 << 20, handlerNs: "5.6 µs", handlerAll: "22", stalled: "1502 ms (refused)"}},
		nil, "", []sdkInitResult{{version: "v1.68.0", binaryBytes: 5_500_000, initMs: 0.9, initBytes: 150 << 10}}, "1s")
	for _, want := range []string{"| x | error: boom", "| y | 7.86 MB | 4.00 ms (n=7) | 2.00 ms | 0.25 ms", "12.0 MB", "| v1.68.0 | 5.50 MB | 0.90 ms | 0.00 ms | 150 KB |", "Decision:", "The floor is"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

func TestTargetsNameEveryMiss(t *testing.T) {
	out := targets([]result{
		{row: "floor (DynamoDB client only)", coldStart: 8 * time.Millisecond},
		{row: "a", binaryBytes: 8_130_000, coldStart: 8500 * time.Microsecond, firstDecision: 2.5, peakRSS: 12 << 20, stalled: "1502 ms (refused)", budget: 4 * time.Second, handlerMaxNs: 20_000},
		{row: "b", binaryBytes: 7_000_000, coldStart: 9 * time.Millisecond, firstDecision: 0.5, peakRSS: 12 << 20, stalled: "4100 ms (refused)", budget: 4 * time.Second, handlerMaxNs: 60_000},
	}, []result{{row: "a @old", firstDecision: 1.0}, {row: "b @old", firstDecision: 0.4}})
	for _, want := range []string{"within 10 % of the floor: **missed** by b 9.00 ms against 8.00 ms", "above the baseline's: **missed** by a 2.50 ms against 1.00 ms",
		"under 50 µs (without the hash or the render's own work): **missed** by b 60.0 µs",
		"peak RSS under 16 MB: met", "binary under 8 MB: **missed** by a 8.13 MB", "budget + 50 ms: **missed** by b 4100 ms"} {
		if !strings.Contains(out, want) {
			t.Errorf("targets lack %q:\n%s", want, out)
		}
	}
}
