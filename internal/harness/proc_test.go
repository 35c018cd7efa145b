package harness

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

func TestSweepTempDirs(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	// A PID that certainly existed and is now reaped.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadPID := strconv.Itoa(dead.Process.Pid)
	live := strconv.Itoa(os.Getpid())

	tests := []struct {
		name     string
		wantKept bool
	}{
		{"harness-" + deadPID + "-lambda-123", false},
		{"harness-" + live + "-moto-456", true},
		{"harness-notapid-x", true},
		{"unrelated-" + deadPID, true},
	}
	for _, tc := range tests {
		if err := os.Mkdir(filepath.Join(tmp, tc.name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sweepTempDirs()
	for _, tc := range tests {
		_, err := os.Stat(filepath.Join(tmp, tc.name))
		if kept := !errors.Is(err, os.ErrNotExist); kept != tc.wantKept {
			t.Errorf("%s kept = %v; want %v", tc.name, kept, tc.wantKept)
		}
	}
}
