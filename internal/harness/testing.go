package harness

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// shared holds the servers Main shares across one test binary.
var shared struct {
	mu       sync.Mutex
	active   bool // Main is running m.Run
	moto     *Moto
	buildDir string
}

// Main runs the package's tests with shared servers and stops them by PID
// afterwards, then exits with m.Run's code. Call it from TestMain:
//
//	func TestMain(m *testing.M) { harness.Main(m) }
//
// Servers start lazily, on the first MotoT or BuildT, so a run filtered to
// unit tests pays nothing. Main's own cleanup covers a normal end of m.Run.
// A panic in a test or go test -timeout kills the process without running
// it; Pdeathsig on every child (see the package comment) covers that case.
func Main(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	shared.mu.Lock()
	shared.active = true
	shared.mu.Unlock()
	defer shutdownShared()
	return m.Run()
}

func shutdownShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.active = false
	if shared.moto != nil {
		if err := shared.moto.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "harness: stop shared moto:", err)
		}
		shared.moto = nil
	}
	if shared.buildDir != "" {
		os.RemoveAll(shared.buildDir)
		shared.buildDir = ""
	}
}

// MotoT returns a moto server with no tables, items or secrets. Under Main
// it is the binary's shared server, reset for this test, and tests using it
// must not run in parallel with each other; otherwise it is a private server
// stopped in t.Cleanup.
func MotoT(t testing.TB) *Moto {
	t.Helper()
	shared.mu.Lock()
	if shared.active {
		if shared.moto == nil {
			// Not t.Context(): the server outlives this test.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			m, err := StartMoto(ctx)
			cancel()
			if err != nil {
				shared.mu.Unlock()
				t.Fatal(err)
			}
			shared.moto = m
		}
		m := shared.moto
		shared.mu.Unlock()
		if err := m.Reset(t.Context()); err != nil {
			t.Fatal(err)
		}
		return m
	}
	shared.mu.Unlock()

	m, err := StartMoto(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Stop(); err != nil {
			t.Error(err)
		}
	})
	return m
}

// LambdaT starts a Lambda for this test and stops it in t.Cleanup. If the
// test failed, the cleanup logs the end of the emulator's log, which is
// usually where the reason is.
func LambdaT(t testing.TB, opts LambdaOptions) *Lambda {
	t.Helper()
	l, err := StartLambda(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		err := l.Stop()
		if t.Failed() {
			t.Logf("log of lambda %s (last 8 kB):\n%s", l.Name, tail(l.Logs(), 8<<10))
		}
		if err != nil {
			t.Error(err)
		}
	})
	return l
}

// BuildT builds pkg with Build. Under Main all tests share one output
// directory, removed after m.Run, so each package is linked once per
// binary; otherwise the output goes to t.TempDir().
func BuildT(t testing.TB, pkg string) string {
	t.Helper()
	dir, err := buildDir(t)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Build(t.Context(), pkg, dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func buildDir(t testing.TB) (string, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.active {
		return t.TempDir(), nil
	}
	if shared.buildDir == "" {
		d, err := makeTempDir("build")
		if err != nil {
			return "", err
		}
		shared.buildDir = d
	}
	return shared.buildDir, nil
}
