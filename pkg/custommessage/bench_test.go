package custommessage_test

import (
	"bytes"
	"context"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/custommessage"
	"github.com/cognito-triggers/suite/pkg/decision"
)

// BenchmarkHandler measures the whole invocation, raw event bytes to raw
// response bytes through invoke.New as main builds it (strict decode,
// decision, encode), decision line included (to a discarding writer), for the
// most frequent message (SignUp) and the largest (AdminCreateUser, with a
// greeting name) in both locales, email customised. Target: under 50 µs.
//
// cpu-ns/op is the process's CPU time (user+system, GC included) per
// invocation. On a shared machine ns/op measures the queue for a core as
// much as the work; cpu-ns/op does not.
func BenchmarkHandler(b *testing.B) {
	r := testRenderer(b)
	for _, fx := range []struct{ name, file string }{
		{"SignUp", "custommessage-signup.json"},
		{"AdminCreateUser", "custommessage-admin-create-user.json"},
	} {
		for _, locale := range []string{"en", "zh-CN"} {
			in := testevent.Load(b, fx.file, testevent.SetAttr("locale", locale))
			cfg := custommessage.Config{Message: brand, CustomizeEmail: true}
			b.Run(fx.name+"/"+locale, func(b *testing.B) {
				h := handler(b, cfg, r, io.Discard)
				ctx := context.Background()
				b.ReportAllocs()
				b.SetBytes(int64(len(in)))
				cpu0 := cpuTime(b)
				for b.Loop() {
					if _, err := h.Invoke(ctx, in); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
				// Check the path measured is the path named.
				var logs bytes.Buffer
				if _, err := handler(b, cfg, r, &logs).Invoke(ctx, in); err != nil {
					b.Fatal(err)
				}
				if line := lastDecision(b, &logs); line["outcome"] != string(decision.OutcomeRendered) || line["locale"] != locale {
					b.Fatalf("benchmarked path: %v", line)
				}
			})
		}
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
