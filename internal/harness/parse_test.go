package harness

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseFunctionError(t *testing.T) {
	tests := []struct {
		name, body       string
		wantMsg, wantTyp string
	}{
		{"handler error", `{"errorMessage":"domain not allowed","errorType":"errorString"}`, "domain not allowed", "errorString"},
		{"node error with trace", `{"errorType":"Error","errorMessage":"boom","trace":["Error: boom"]}`, "boom", "Error"},
		{"timeout", `Task timed out after 5.00 seconds`, "Task timed out after 5.00 seconds", "Timeout"},
		{"response", `{"response":{"autoConfirmUser":true}}`, "", ""},
		{"response with an errorMessage field", `{"errorMessage":"x","response":{}}`, "", ""},
		{"empty", ``, "", ""},
		{"not JSON", `<html>`, "", ""},
		{"error members that are not strings", `{"errorMessage":5,"errorType":7}`, "5", "7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg, typ := parseFunctionError([]byte(tc.body))
			if msg != tc.wantMsg || typ != tc.wantTyp {
				t.Errorf("parseFunctionError(%q) = (%q, %q); want (%q, %q)", tc.body, msg, typ, tc.wantMsg, tc.wantTyp)
			}
		})
	}
}

// sampleLog is an RIE log as the classic emulator writes it, with a function
// line, an aws-lambda-go error line and a managed-instances INIT REPORT.
const sampleLog = `25 Nov 2026 18:20:07,487 [INFO] (rapid) exec '/tmp/exp/bootstrap' (cwd=/tmp/exp, handler=)
START RequestId: req-1 Version: $LATEST
25 Nov 2026 18:20:07,818 [INFO] (rapid) INIT REPORT(durationMs: 2.797000)
testlambda: request=req-1 canary=tweet
2026/11/25 18:20:07 {"errorMessage":"x","errorType":"errorString"}
END RequestId: req-1
REPORT RequestId: req-1	Init Duration: 0.22 ms	Duration: 3.77 ms	Billed Duration: 4 ms	Memory Size: 128 MB	Max Memory Used: 128 MB	
25 Nov 2026 18:21:00,000 [INFO] (rapid) INIT REPORT(initType: on-demand, durationMs: 70.25, status: success, phase: init, errorType: )
`

func TestFunctionLines(t *testing.T) {
	var got []string
	for _, l := range functionLines([]byte(sampleLog)) {
		got = append(got, string(l))
	}
	want := []string{
		"testlambda: request=req-1 canary=tweet",
		`2026/11/25 18:20:07 {"errorMessage":"x","errorType":"errorString"}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("functionLines mismatch (-want +got):\n%s", diff)
	}
}

func TestInitDurations(t *testing.T) {
	want := []time.Duration{2797 * time.Microsecond, 70250 * time.Microsecond}
	if diff := cmp.Diff(want, initDurations([]byte(sampleLog))); diff != "" {
		t.Errorf("initDurations mismatch (-want +got):\n%s", diff)
	}
}

func TestNewRequestID(t *testing.T) {
	a, b := newRequestID(), newRequestID()
	if a == b || len(a) != 36 || a[14] != '4' {
		t.Errorf("newRequestID() = %q, %q; want two distinct UUIDv4s", a, b)
	}
}
