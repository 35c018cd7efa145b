// Package harness runs the suite's functions the way Lambda would, on this
// machine: a real moto_server stands in for DynamoDB and Secrets Manager, and
// each function is a real static bootstrap behind its own AWS Lambda Runtime
// Interface Emulator (RIE). Go integration tests, `make invoke`, `make demo`
// and `make bench` all use it, so a behaviour seen in one is the behaviour of
// the others.
//
// Everything binds to 127.0.0.1 on ports picked at start-up, so several test
// binaries (go test ./... runs packages in parallel) never collide.
//
// # Processes
//
// Every child is the leader of its own process group and is stopped by
// signalling that group by PID (SIGTERM, then SIGKILL after 2 s), then
// waited for. The RIE starts the bootstrap in a process group of its own;
// SIGTERM makes the RIE SIGKILL and reap it, and Lambda.Stop additionally
// kills any bootstrap that outlived its RIE. Every child also carries
// Pdeathsig=SIGKILL, started from a thread that never exits, so a test binary
// that dies without running its cleanups (a panic in any test, go test
// -timeout, SIGKILL) still takes moto and the RIE with it; a bootstrap whose
// RIE died exits by itself on its next runtime-API call, which fails at once.
//
// # Shared servers in tests
//
// Starting moto costs about 0.4 s plus 0.3 s to warm DynamoDB, so a package
// with several tests should share one server. Call Main from TestMain:
//
//	func TestMain(m *testing.M) { harness.Main(m) }
//
// MotoT then hands every test the same server, reset to empty state, and Main
// stops it by PID after m.Run. Without Main, MotoT starts a private server per
// test and stops it in t.Cleanup. Tests that share a server must not call
// t.Parallel, because each MotoT call wipes the state the others see.
//
// Lambdas are cheap (about 10 ms to start) and are never shared: LambdaT
// starts one per test. The RIE serves one invocation at a time, and Invoke
// serialises calls, so a test that needs parallel invocations starts one
// Lambda per worker.
package harness
