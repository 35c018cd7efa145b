package harness

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// orphanHelperEnv, when set, makes the test binary run orphanHelper instead
// of its tests; its value is the bootstrap to run.
const orphanHelperEnv = "HARNESS_ORPHAN_HELPER_BOOTSTRAP"

// orphanReport is what the helper prints once its children run.
type orphanReport struct {
	PIDs []int    // moto, RIE, bootstrap
	Dirs []string // temp dirs the helper will never get to remove
}

// orphanHelper starts moto and a Lambda, invokes it so the bootstrap runs,
// reports the PIDs and then waits to be SIGKILLed: the harshest way a test
// binary can die, with no deferred call, cleanup or TestMain code running.
func orphanHelper() int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, err := StartMoto(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	l, err := StartLambda(ctx, LambdaOptions{Bootstrap: os.Getenv(orphanHelperEnv), Env: m.Env()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := l.Invoke(ctx, []byte(`{}`)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	rie, kids, err := l.pids()
	if err != nil || len(kids) != 1 {
		fmt.Fprintln(os.Stderr, "bootstrap not found:", err, kids)
		return 1
	}
	json.NewEncoder(os.Stdout).Encode(orphanReport{
		PIDs: []int{m.proc.pid, rie.pid, kids[0].pid},
		Dirs: []string{m.dir, l.dir},
	})
	select {} // until SIGKILL
}

// TestChildrenDieWithTestBinary checks the guarantee shared servers rely
// on: when the test binary dies without cleaning up (a panic elsewhere,
// go test -timeout, SIGKILL), moto, the RIE and the bootstrap die too.
func TestChildrenDieWithTestBinary(t *testing.T) {
	t.Parallel()
	boot := BuildT(t, testlambdaPkg)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), orphanHelperEnv+"="+boot)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})

	var rep orphanReport
	if err := json.NewDecoder(bufio.NewReader(out)).Decode(&rep); err != nil {
		t.Fatalf("read helper report: %v", err)
	}
	for _, d := range rep.Dirs {
		t.Cleanup(func() { os.RemoveAll(d) })
	}
	var procs []procStat
	for _, pid := range rep.PIDs {
		s, err := readStat(pid)
		if err != nil {
			t.Fatalf("helper child %d: %v", pid, err)
		}
		procs = append(procs, s)
	}

	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	killed = true

	// The bootstrap exits on its own once its RIE is gone, at its next
	// runtime-API call; allow it a moment.
	deadline := time.Now().Add(5 * time.Second)
	for _, p := range procs {
		for alive(p) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if alive(p) {
			syscall.Kill(p.pid, syscall.SIGKILL) // leave nothing behind even when failing
			t.Errorf("process %d outlived the killed test binary", p.pid)
		}
	}
}
