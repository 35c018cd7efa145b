package presignup_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// BenchmarkHandler measures the whole invocation from raw event bytes to
// raw response bytes, as the function runs it: the strict decode, the
// decision, the encode and the decision line (to a discarding writer).
func BenchmarkHandler(b *testing.B) {
	in := testevent.Raw(b, "presignup-signup.json")
	d := decider(b, "example.com", nil)
	h := invoke.New[triggers.PreSignUp](invoke.Options{Function: "presignup",
		Logger: telemetry.NewLogger(io.Discard, slog.LevelInfo)}, d.Decide)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := h.Invoke(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}
