package decision_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/pkg/decision"
)

func TestRefuse(t *testing.T) {
	cause := errors.New("dynamodb: throttled")
	ue := decision.Refuse("Sign-up is not allowed.", decision.ReasonDomainNotAllowed, cause)
	if ue.Error() != "Sign-up is not allowed." || !errors.Is(ue, cause) || ue.Reason != decision.ReasonDomainNotAllowed {
		t.Errorf("Refuse: Error() = %q, Is(cause) = %v, Reason = %q", ue.Error(), errors.Is(ue, cause), ue.Reason)
	}
	res := decision.Refusal(decision.OutcomeRefused, decision.ReasonTableTimeout, decision.GenericMessage, cause)
	if res.Outcome != decision.OutcomeRefused || res.Reason != decision.ReasonTableTimeout || res.Err == nil ||
		res.Err.Reason != decision.ReasonTableTimeout || res.Err.Message != decision.GenericMessage || !errors.Is(res.Err, cause) {
		t.Errorf("Refusal = %+v (Err %+v)", res, res.Err)
	}
}

func TestAsUserError(t *testing.T) {
	cause := errors.New("dynamodb: key user#jane@example.com")
	ue := decision.Refuse("Sign-up is not allowed.", decision.ReasonDomainNotAllowed, cause)
	tests := []struct {
		name string
		err  error
		want *decision.UserError
	}{
		{"user error", ue, ue},
		{"wrapped user error", errors.Join(errors.New("handler"), ue), ue},
		{"wrapped with %w", fmt.Errorf("decide: %w", ue), ue},
		{"internal error", cause, &decision.UserError{Message: decision.GenericMessage, Reason: decision.InternalError, Cause: cause}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decision.AsUserError(tt.err)
			if got.Message != tt.want.Message || got.Reason != tt.want.Reason || !errors.Is(got, cause) {
				t.Errorf("AsUserError = %+v, want %+v", got, tt.want)
			}
			// Cognito shows Error() to the end user: never the cause.
			if strings.Contains(got.Error(), "dynamodb") || strings.Contains(got.Error(), "jane") {
				t.Errorf("user-facing text %q contains the internal cause", got.Error())
			}
		})
	}
}

func TestFactsAndMetrics(t *testing.T) {
	facts := []decision.Fact{
		decision.String("sub", "s-1"), decision.Bool("cached", true), decision.Int("claims", 2),
		decision.Group("audit", decision.String("pk", "user#s-1"), decision.Int("n", 1)),
	}
	want := []decision.Fact{
		{Key: "sub", Value: "s-1"}, {Key: "cached", Value: true}, {Key: "claims", Value: 2},
		{Key: "audit", Value: []decision.Fact{{Key: "pk", Value: "user#s-1"}, {Key: "n", Value: 1}}},
	}
	if diff := cmp.Diff(want, facts); diff != "" {
		t.Errorf("facts (-want +got):\n%s", diff)
	}
	metrics := []decision.Metric{
		decision.Counter("SignIns", true), decision.Counter("NewDeviceSignIns", false),
		decision.Latency("AuditWriteLatencyMs", 1500*time.Microsecond+900*time.Nanosecond),
	}
	wantMetrics := []decision.Metric{
		{Name: "SignIns", Unit: decision.Count, Value: 1}, {Name: "NewDeviceSignIns", Unit: decision.Count, Value: 0},
		{Name: "AuditWriteLatencyMs", Unit: decision.Milliseconds, Value: 1.5},
	}
	if diff := cmp.Diff(wantMetrics, metrics); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	for d, want := range map[time.Duration]float64{0: 0, time.Microsecond: 0.001, 999 * time.Nanosecond: 0, 2 * time.Second: 2000} {
		if got := decision.Millis(d); got != want {
			t.Errorf("Millis(%v) = %v, want %v", d, got, want)
		}
	}
}

func TestEmailReason(t *testing.T) {
	if got := decision.EmailReason(""); got != decision.ReasonEmailInvalid {
		t.Errorf("EmailReason(\"\") = %q, want %q", got, decision.ReasonEmailInvalid)
	}
	if got := decision.EmailReason("trailing_dot"); got != "email_trailing_dot" {
		t.Errorf("EmailReason(trailing_dot) = %q", got)
	}
	if got := decision.EmailReason("x").Of(); got != "" {
		t.Errorf("an email reason belongs to dependency %q", got)
	}
}
