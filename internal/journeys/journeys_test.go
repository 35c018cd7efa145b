package journeys

import (
	"context"
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
	pids := []int{world.Moto.PID()}
	for _, l := range r.Lambdas() {
		pids = append(pids, l.PIDs()...)
	}
	failed := r.RunAll(ctx)
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
