package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestLambda drives one testlambda through the real RIE. The subtests share
// the Lambda and run in order, because several of them depend on what the
// earlier ones left in the log.
func TestLambda(t *testing.T) {
	t.Parallel()
	boot := BuildT(t, testlambdaPkg)
	l := LambdaT(t, LambdaOptions{
		Name:      "testlambda",
		Bootstrap: boot,
		Timeout:   time.Second,
		Env:       map[string]string{"ECHO_CANARY": "canary-7f3a", "FROM_OPTS": "yes"},
	})
	ctx := t.Context()

	var echoID string
	t.Run("invocations", func(t *testing.T) {
		tests := []struct {
			name     string
			event    string
			wantBody any // decoded JSON; nil to skip
			wantType string
			wantMsg  string
		}{
			{name: "echo", event: `{"hello":"world","n":1}`, wantBody: map[string]any{"hello": "world", "n": 1.0}},
			{name: "handler error", event: `{"fail":true}`, wantType: "errorString", wantMsg: "testlambda: asked to fail"},
			{name: "invalid JSON event", event: `not json`, wantType: "SyntaxError", wantMsg: "invalid character 'o' in literal null (expecting 'u')"},
		}
		for _, tc := range tests {
			res, err := l.Invoke(ctx, []byte(tc.event))
			if err != nil {
				t.Fatalf("%s: Invoke: %v", tc.name, err)
			}
			if tc.name == "echo" {
				echoID = res.RequestID
			}
			if res.StatusCode != 200 || res.RequestID == "" || res.Duration <= 0 {
				t.Errorf("%s: StatusCode=%d RequestID=%q Duration=%v; want 200, an id, > 0", tc.name, res.StatusCode, res.RequestID, res.Duration)
			}
			if got, want := [2]string{res.ErrorType, res.ErrorMessage}, [2]string{tc.wantType, tc.wantMsg}; got != want {
				t.Errorf("%s: (ErrorType, ErrorMessage) = %q; want %q", tc.name, got, want)
			}
			if res.Failed() != (tc.wantType != "") {
				t.Errorf("%s: Failed() = %v", tc.name, res.Failed())
			}
			if tc.wantBody != nil {
				var got any
				if err := json.Unmarshal(res.Body, &got); err != nil {
					t.Fatalf("%s: body %q: %v", tc.name, res.Body, err)
				}
				if diff := cmp.Diff(tc.wantBody, got); diff != "" {
					t.Errorf("%s: body mismatch (-want +got):\n%s", tc.name, diff)
				}
			}
		}
	})

	t.Run("environment is hermetic", func(t *testing.T) {
		res, err := l.Invoke(ctx, []byte(`{"environ":true}`))
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Environ []string }
		if err := json.Unmarshal(res.Body, &body); err != nil {
			t.Fatalf("body %q: %v", res.Body, err)
		}
		env := make(map[string]string)
		for _, kv := range body.Environ {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		// What the RIE itself adds, whatever its own environment holds.
		rieAdds := []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "_X_AMZN_TRACE_ID"}
		var rest []string
		for k := range env {
			if !strings.HasPrefix(k, "AWS_LAMBDA_") && !slices.Contains(rieAdds, k) {
				rest = append(rest, k)
			}
		}
		slices.Sort(rest)
		if diff := cmp.Diff([]string{"ECHO_CANARY", "FROM_OPTS", "HOME", "PATH"}, rest); diff != "" {
			t.Errorf("function environment beyond AWS_LAMBDA_* and the RIE's own (-want +got):\n%s", diff)
		}
		if os.Getenv(parentOnlyVar) == "" {
			t.Fatalf("%s is not set in the test binary; the check above proves nothing", parentOnlyVar)
		}
		got := map[string]string{"FROM_OPTS": env["FROM_OPTS"], "AWS_LAMBDA_FUNCTION_TIMEOUT": env["AWS_LAMBDA_FUNCTION_TIMEOUT"], "AWS_LAMBDA_FUNCTION_NAME": env["AWS_LAMBDA_FUNCTION_NAME"]}
		want := map[string]string{"FROM_OPTS": "yes", "AWS_LAMBDA_FUNCTION_TIMEOUT": "1", "AWS_LAMBDA_FUNCTION_NAME": "testlambda"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("function environment (-want +got):\n%s", diff)
		}
	})

	t.Run("function log lines", func(t *testing.T) {
		lines := l.FunctionLogLines()
		want := "testlambda: request=" + echoID + " canary=canary-7f3a"
		if !slices.ContainsFunc(lines, func(b []byte) bool { return string(b) == want }) {
			t.Errorf("FunctionLogLines() has no %q; got:\n%s", want, bytes.Join(lines, []byte("\n")))
		}
		for _, line := range lines {
			if bytes.Contains(line, []byte("(rapid)")) || bytes.HasPrefix(line, []byte("REPORT RequestId")) {
				t.Errorf("FunctionLogLines() kept an emulator line: %s", line)
			}
		}
		if !bytes.Contains(l.Logs(), []byte("REPORT RequestId: "+echoID)) {
			t.Errorf("Logs() lacks the REPORT line for %s", echoID)
		}
	})

	t.Run("init duration and peak RSS", func(t *testing.T) {
		inits := l.InitDurations()
		if len(inits) != 1 || inits[0] <= 0 || inits[0] > 5*time.Second {
			t.Errorf("InitDurations() = %v; want one duration in (0, 5s]", inits)
		}
		rss, err := l.PeakRSS()
		if err != nil {
			t.Fatal(err)
		}
		if rss <= 0 || rss >= 64<<20 {
			t.Errorf("PeakRSS() = %d bytes; want in (0, 64 MiB)", rss)
		}
	})

	t.Run("concurrent invokes are serialised", func(t *testing.T) {
		// Without serialisation the second concurrent POST panics the RIE.
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				res, err := l.Invoke(ctx, []byte(`{"sleep_ms":20}`))
				if err == nil && res.Failed() {
					err = errors.New(res.ErrorMessage)
				}
				errs[i] = err
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Error(err)
		}
	})

	t.Run("cancelled invoke does not break the next one", func(t *testing.T) {
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, err := l.Invoke(short, []byte(`{"sleep_ms":300}`)); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Invoke with 50 ms context: err = %v; want DeadlineExceeded", err)
		}
		res, err := l.Invoke(ctx, []byte(`{}`))
		if err != nil || res.Failed() {
			t.Errorf("next Invoke: %v %+v", err, res)
		}
	})

	t.Run("timeout then re-init", func(t *testing.T) {
		before := len(l.InitDurations())
		res, err := l.Invoke(ctx, []byte(`{"sleep_ms":3000}`))
		if err != nil {
			t.Fatal(err)
		}
		if res.ErrorType != "Timeout" || res.ErrorMessage != "Task timed out after 1.00 seconds" {
			t.Errorf("(ErrorType, ErrorMessage) = (%q, %q); want the 1-s timeout", res.ErrorType, res.ErrorMessage)
		}
		// The timeout message says the emulator cut the 3-s sleep at 1 s;
		// the duration can only confirm the lower bound, since a loaded
		// machine stretches it.
		if res.Duration < time.Second {
			t.Errorf("Duration = %v; want at least the 1-s timeout", res.Duration)
		}
		res, err = l.Invoke(ctx, []byte(`{"after":"timeout"}`))
		if err != nil || res.Failed() {
			t.Fatalf("Invoke after timeout: %v %+v", err, res)
		}
		if got := len(l.InitDurations()); got != before+1 {
			t.Errorf("InitDurations() grew from %d to %d; want one re-init", before, got)
		}
	})

	t.Run("restart is a new cold start", func(t *testing.T) {
		rieBefore, _, err := l.pids()
		if err != nil {
			t.Fatal(err)
		}
		before := len(l.InitDurations())
		if err := l.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		if alive(rieBefore) {
			t.Errorf("old RIE %d still alive after Restart", rieBefore.pid)
		}
		res, err := l.Invoke(ctx, []byte(`{}`))
		if err != nil || res.Failed() {
			t.Fatalf("Invoke after Restart: %v %+v", err, res)
		}
		if got := len(l.InitDurations()); got != before+1 {
			t.Errorf("InitDurations() grew from %d to %d; want one cold start", before, got)
		}
	})

	t.Run("stop leaves no process", func(t *testing.T) {
		rie, kids, err := l.pids()
		if err != nil {
			t.Fatal(err)
		}
		if len(kids) != 1 {
			t.Fatalf("RIE %d has children %v; want the one bootstrap", rie.pid, kids)
		}
		if err := l.Stop(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(rie.pid)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("/proc/%d (RIE) after Stop: err = %v; want not exist", rie.pid, err)
		}
		// The RIE reaps the bootstrap before it exits, so this too is gone,
		// not a zombie.
		if _, err := os.Stat("/proc/" + strconv.Itoa(kids[0].pid)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("/proc/%d (bootstrap) after Stop: err = %v; want not exist", kids[0].pid, err)
		}
		if len(l.Logs()) == 0 {
			t.Error("Logs() empty after Stop; want the final log")
		}
		if _, err := l.Invoke(ctx, []byte(`{}`)); err == nil {
			t.Error("Invoke after Stop succeeded")
		}
	})
}

// TestLambdaInitFailure checks what a function that dies during init looks
// like, the way a trigger with a missing env var would.
func TestLambdaInitFailure(t *testing.T) {
	t.Parallel()
	boot := filepath.Join(t.TempDir(), "bootstrap")
	script := "#!/bin/sh\necho 'config: TABLE_NAME is not set' >&2\nexit 3\n"
	if err := os.WriteFile(boot, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	l := LambdaT(t, LambdaOptions{Bootstrap: boot})
	res, err := l.Invoke(t.Context(), []byte(`{}`))
	if err == nil || res.StatusCode != 502 {
		t.Errorf("Invoke: StatusCode=%d err=%v; want 502 and an error", res.StatusCode, err)
	}
	want := "config: TABLE_NAME is not set"
	if !slices.ContainsFunc(l.FunctionLogLines(), func(b []byte) bool { return string(b) == want }) {
		t.Errorf("FunctionLogLines() lacks %q", want)
	}
}

func TestStartLambdaRejects(t *testing.T) {
	t.Parallel()
	boot := filepath.Join(t.TempDir(), "bootstrap")
	if err := os.WriteFile(boot, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		opts    LambdaOptions
		wantErr string
	}{
		{"missing RIE", LambdaOptions{Bootstrap: boot, RIE: "/nonexistent/aws-lambda-rie"}, "run `make tools`"},
		{"missing bootstrap", LambdaOptions{Bootstrap: boot + ".missing"}, "no such file"},
		{"fractional timeout", LambdaOptions{Bootstrap: boot, Timeout: 1500 * time.Millisecond}, "whole number of seconds"},
		{"timeout in Env", LambdaOptions{Bootstrap: boot, Env: map[string]string{"AWS_LAMBDA_FUNCTION_TIMEOUT": "3"}}, "set LambdaOptions.Timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := StartLambda(t.Context(), tc.opts)
			if err == nil {
				l.Stop()
				t.Fatal("StartLambda succeeded")
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v; want it to mention %q", err, tc.wantErr)
			}
		})
	}
}
