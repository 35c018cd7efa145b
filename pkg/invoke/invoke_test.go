package invoke

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

const event = `{"version":"1","triggerSource":"PostAuthentication_Authentication","region":"us-east-1","userPoolId":"us-east-1_EXAMPLE",` +
	`"userName":"jane","callerContext":{"awsSdkVersion":"x","clientId":"c1"},"request":{"userAttributes":{"sub":"s"}},"response":{}}`

// run invokes a Handler for the post authentication trigger with decide and
// returns the answer and the one decision line.
func run(t *testing.T, opts Options, decide DecideFunc, payload string) ([]byte, error, map[string]any) {
	t.Helper()
	var logs bytes.Buffer
	opts.Function, opts.Trigger = "postauth", triggers.TriggerPostAuthentication
	opts.Logger = telemetry.NewLogger(&logs, slog.LevelInfo)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	out, err := New(opts, decide).Invoke(ctx, []byte(payload))
	lines := bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n"))
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want exactly one decision line:\n%s", len(lines), logs.String())
	}
	var line map[string]any
	if err := json.Unmarshal(lines[0], &line); err != nil {
		t.Fatalf("decision line is not JSON: %v: %s", err, lines[0])
	}
	return out, err, line
}

func TestAnswerAndDecisionLine(t *testing.T) {
	out, err, line := run(t, Options{}, func(ctx context.Context, ev *triggers.Envelope) Decision {
		return Decision{Outcome: "recorded", Response: ev.WithResponse([]byte(`{}`)), Attrs: []slog.Attr{slog.String("sub", "s")},
			Metrics: []telemetry.Metric{{Name: "SignIns", Unit: telemetry.Count, Value: 1}}}
	}, event)
	if err != nil || string(out) != event {
		t.Fatalf("got %s, %v; want the event back", out, err)
	}
	for k, want := range map[string]any{"message": "decision", "requestId": "req-1", "function": "postauth", "triggerSource": "PostAuthentication_Authentication",
		"userPoolId": "us-east-1_EXAMPLE", "clientId": "c1", "outcome": "recorded", "sub": "s", "Invocations": 1.0, "SignIns": 1.0, "level": "INFO"} {
		if diff := cmp.Diff(want, line[k]); diff != "" {
			t.Errorf("decision line %s (-want +got):\n%s", k, diff)
		}
	}
	if _, ok := line["_aws"]; !ok {
		t.Error("decision line has no EMF metadata")
	}
	if _, ok := line["reason"]; ok {
		t.Error("an allowed decision carries a reason dimension")
	}
}

func TestRefusalsTheLayerMakesItself(t *testing.T) {
	called := false
	decide := func(context.Context, *triggers.Envelope) Decision {
		called = true
		return Decision{Outcome: "x", Response: []byte(`{}`)}
	}
	presignup := strings.Replace(event, "PostAuthentication_Authentication", "PreSignUp_SignUp", 1)
	tests := []struct {
		name, payload, reason string
		opts                  Options
	}{
		{"malformed", `{"version":`, "malformed_event", Options{}},
		{"not an event", `[]`, "malformed_event", Options{}},
		{"wrong trigger", presignup, "wrong_trigger", Options{}},
		{"foreign pool", event, "unexpected_pool", Options{AllowedPools: []string{"us-east-1_OTHER"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called = false
			out, err, line := run(t, tt.opts, decide, tt.payload)
			var ue *triggers.UserError
			if out != nil || !errors.As(err, &ue) || ue.Error() != MalformedMessage {
				t.Fatalf("got %s, %v; want the malformed-event refusal", out, err)
			}
			if called {
				t.Error("the decision ran on an event the layer refuses")
			}
			if line["reason"] != tt.reason || line["outcome"] != "error" || line["level"] != "ERROR" {
				t.Errorf("decision line reason %v outcome %v level %v, want %s/error/ERROR", line["reason"], line["outcome"], line["level"], tt.reason)
			}
		})
	}
	if _, err, _ := run(t, Options{AllowedPools: []string{"us-east-1_EXAMPLE"}}, decide, event); err != nil {
		t.Errorf("an allowed pool was refused: %v", err)
	}
}

// TestPanicIsContained: a panicking decision becomes the generic user-safe
// error, and the panic value (which may quote a password) is not logged.
func TestPanicIsContained(t *testing.T) {
	const secret = "correct horse battery staple"
	out, err, line := run(t, Options{}, func(context.Context, *triggers.Envelope) Decision { panic("bad password " + secret) }, event)
	if out != nil || err == nil || err.Error() != triggers.GenericMessage {
		t.Fatalf("got %s, %v; want the generic message", out, err)
	}
	raw, _ := json.Marshal(line)
	if strings.Contains(string(raw), secret) {
		t.Errorf("the panic value reached the log: %s", raw)
	}
	if line["reason"] != "panic" {
		t.Errorf("reason %v, want panic", line["reason"])
	}
}

// TestCauseIsLoggedNotReturned: the user sees Message, the log the cause.
func TestCauseIsLoggedNotReturned(t *testing.T) {
	_, err, line := run(t, Options{}, func(context.Context, *triggers.Envelope) Decision {
		return Decision{Outcome: "refused", Err: triggers.Refuse("Nope.", "table_error", errors.New("ResourceNotFoundException: table audit"))}
	}, event)
	if err == nil || err.Error() != "Nope." {
		t.Fatalf("err = %v, want the user text only", err)
	}
	if line["cause"] != "ResourceNotFoundException: table audit" || line["userMessage"] != "Nope." || line["reason"] != "table_error" {
		t.Errorf("decision line cause %v userMessage %v reason %v", line["cause"], line["userMessage"], line["reason"])
	}
}

func TestNoResponseIsAnError(t *testing.T) {
	_, err, line := run(t, Options{}, func(context.Context, *triggers.Envelope) Decision { return Decision{Outcome: "forgot"} }, event)
	if err == nil || err.Error() != triggers.GenericMessage || line["reason"] != "no_response" {
		t.Errorf("err %v reason %v, want the generic message and no_response", err, line["reason"])
	}
}

// TestBudgetIsTheDeadline: the decision runs under the configured budget,
// not the (longer) Lambda deadline.
func TestBudgetIsTheDeadline(t *testing.T) {
	var left time.Duration
	_, _, _ = run(t, Options{Budget: 300 * time.Millisecond}, func(ctx context.Context, ev *triggers.Envelope) Decision {
		d, ok := ctx.Deadline()
		if ok {
			left = time.Until(d)
		}
		return Decision{Outcome: "ok", Response: ev.Raw()}
	}, event)
	if left <= 0 || left > 300*time.Millisecond {
		t.Errorf("decision saw %v left, want at most the 300 ms budget", left)
	}
}

func TestLoadOptions(t *testing.T) {
	env := map[string]string{"TRIGGER_BUDGET_MS": "2500", "ALLOWED_USER_POOL_IDS": "a, b", "METRICS_NAMESPACE": "Ns"}
	r := envconfig.New(func(k string) string { return env[k] })
	o := LoadOptions(r, "fn", triggers.TriggerPreSignUp, nil)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if o.Budget != 2500*time.Millisecond || !cmp.Equal(o.AllowedPools, []string{"a", "b"}) || o.Function != "fn" {
		t.Errorf("options %+v", o)
	}
	env["TRIGGER_BUDGET_MS"] = "5000" // above Cognito's 5 s minus headroom
	r = envconfig.New(func(k string) string { return env[k] })
	LoadOptions(r, "fn", triggers.TriggerPreSignUp, nil)
	if r.Err() == nil {
		t.Error("a budget of 5000 ms was accepted")
	}
}

// typedNilErr is a nil pointer in an error interface: calling Error on it
// panics, the classic Go mistake a dependency may make.
type typedNilErr struct{ msg string }

func (e *typedNilErr) Error() string { return e.msg }

// TestLoggingCannotPanic: a cause whose Error panics, or an attribute whose
// formatting panics, still yields the user-safe refusal and a decision line.
func TestLoggingCannotPanic(t *testing.T) {
	var nilErr *typedNilErr
	_, err, line := run(t, Options{}, func(context.Context, *triggers.Envelope) Decision {
		return Decision{Outcome: "refused", Err: triggers.Refuse("Nope.", "table_error", nilErr)}
	}, event)
	if err == nil || err.Error() != "Nope." {
		t.Fatalf("err = %v, want the user text", err)
	}
	if !strings.Contains(fmt.Sprint(line["cause"]), "unprintable") {
		t.Errorf("cause %v, want the unprintable marker", line["cause"])
	}
	out, err, line := run(t, Options{}, func(ctx context.Context, ev *triggers.Envelope) Decision {
		return Decision{Outcome: "ok", Response: ev.Raw(), Attrs: []slog.Attr{slog.Any("v", panicky{})}}
	}, event)
	if err != nil || string(out) != event {
		t.Fatalf("got %s, %v; want the answer despite the log failure", out, err)
	}
	if line["message"] != "decision" || line["outcome"] != "ok" {
		t.Errorf("fallback line %v", line)
	}
}

// panicky panics when slog resolves it.
type panicky struct{}

func (panicky) LogValue() slog.Value { panic("secret=hunter2") }
