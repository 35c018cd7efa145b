package journeys

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/internal/harness"
	"github.com/cognito-triggers/suite/internal/localenv"
)

// TestJourneys plays every journey through the five real binaries and
// asserts each step's outcome, then that every process it started is gone.
func TestJourneys(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	world, err := localenv.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	r, err := NewRunner(ctx, world, &out)
	if err != nil {
		_ = world.Stop()
		t.Fatal(err)
	}
	failed := r.RunAll(ctx)
	auditLogs(t, r)
	// The emulator starts a bootstrap on its first invocation, so the
	// processes are counted after the journeys, before the stop.
	pids := []int{world.Moto.PID()}
	for _, l := range r.Lambdas() {
		pids = append(pids, l.PIDs()...)
	}
	if err := world.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	t.Logf("journeys:\n%s", out.String())
	if failed > 0 {
		t.Errorf("%d step(s) failed", failed)
	}
	for _, st := range r.Steps {
		if st.Err != nil {
			t.Errorf("%s: %s %s: %v", st.Journey, st.Function, st.Source, st.Err)
		}
	}
	if len(r.Steps) < 14 {
		t.Errorf("%d steps ran, want at least 14", len(r.Steps))
	}
	if len(pids) < 1+2*len(localenv.Functions) {
		t.Errorf("tracked %d processes, want moto plus an RIE and a bootstrap per function", len(pids))
	}
	for _, pid := range pids {
		if harness.Alive(pid) {
			t.Errorf("process %d is still running after Stop", pid)
		}
	}
}

// auditLogs reads every line every function printed during the journeys:
// each must be one JSON object, and none may carry the legacy password, the
// legacy API key (a secret), a code placeholder's value or an email address.
func auditLogs(t *testing.T, r *Runner) {
	t.Helper()
	canaries := []string{localenv.LegacyPassword, localenv.LegacyAPIKey, "@example.com", "@evil.example.net", "Maria Rivera", "Li Wei"}
	lines := 0
	for fn, l := range r.Lambdas() {
		for _, line := range l.FunctionLogLines() {
			lines++
			var v map[string]any
			if err := json.Unmarshal(line, &v); err != nil {
				t.Errorf("%s: log line is not a JSON object (%v): %s", fn, err, line)
			}
			// The template's alarms select on the "function" dimension by
			// the directory name (internal/samtemplate relies on it).
			if v["message"] == "decision" && v["function"] != fn {
				t.Errorf("%s: decision line names function %v, want %q: %s", fn, v["function"], fn, line)
			}
			for _, c := range canaries {
				if strings.Contains(string(line), c) {
					t.Errorf("%s: log line carries %q: %s", fn, c, line)
				}
			}
		}
	}
	if lines < len(r.Steps) {
		t.Errorf("%d log lines for %d invocations: every decision must be logged", lines, len(r.Steps))
	}
	t.Logf("log audit: %d lines, all JSON, no canary", lines)
}
