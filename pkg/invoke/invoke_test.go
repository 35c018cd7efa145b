package invoke_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

const secret = "correct horse battery staple"

// result is one invocation: the answer, the error and the one decision
// line.
type result struct {
	out  []byte
	err  error
	line map[string]any
	raw  string
}

// run invokes a Handler for events of type E with decide and returns what
// it answered and logged; it fails unless exactly one line was written.
func run[E any, P invoke.Event[E]](t *testing.T, opts invoke.Options, decide invoke.DecideFunc[E], payload []byte) result {
	t.Helper()
	var logs bytes.Buffer
	if opts.Function == "" {
		opts.Function = "fn"
	}
	if opts.Logger == nil {
		opts.Logger = telemetry.NewLogger(&logs, slog.LevelInfo)
	}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	out, err := invoke.New[E, P](opts, decide).Invoke(ctx, payload)
	lines := bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n"))
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want exactly one decision line:\n%s", len(lines), logs.String())
	}
	var line map[string]any
	if err := json.Unmarshal(lines[0], &line); err != nil {
		t.Fatalf("decision line is not JSON: %v: %s", err, lines[0])
	}
	return result{out, err, line, logs.String()}
}

// semantic decodes JSON into generic values, so that member order does not
// count: the answer is the event re-encoded, not the input's bytes.
func semantic(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, data)
	}
	return v
}

// userError returns err as the UserError every refusal must be.
func userError(t *testing.T, err error) *decision.UserError {
	t.Helper()
	var ue *decision.UserError
	if !errors.As(err, &ue) {
		t.Fatalf("Invoke returned %T (%v), want *decision.UserError", err, err)
	}
	return ue
}

// emfMetrics lists the metric names the line's EMF directive declares.
func emfMetrics(t *testing.T, line map[string]any) (names []string, dims [][]any) {
	t.Helper()
	aws, ok := line["_aws"].(map[string]any)
	if !ok {
		t.Fatalf("decision line has no EMF metadata: %v", line)
	}
	cw, ok := aws["CloudWatchMetrics"].([]any)
	if !ok || len(cw) != 1 {
		t.Fatalf("EMF directive %v", aws)
	}
	dir := cw[0].(map[string]any)
	for _, m := range dir["Metrics"].([]any) {
		names = append(names, m.(map[string]any)["Name"].(string))
	}
	for _, d := range dir["Dimensions"].([]any) {
		dims = append(dims, d.([]any))
	}
	return names, dims
}

func TestAnswerAndDecisionLine(t *testing.T) {
	payload := testevent.Raw(t, "postauth-authentication.json")
	r := run(t, invoke.Options{Function: "postauth"}, func(ctx context.Context, ev *triggers.PostAuth) decision.Result {
		return decision.Result{Outcome: decision.OutcomeRecorded,
			Facts:   []decision.Fact{decision.String("sub", ev.Request.UserAttributes.Get("sub"))},
			Metrics: []decision.Metric{decision.Counter("SignIns", true)}}
	}, payload)
	if r.err != nil {
		t.Fatalf("err = %v", r.err)
	}
	if diff := cmp.Diff(semantic(t, payload), semantic(t, r.out)); diff != "" {
		t.Errorf("answer is not the event (-event +answer):\n%s", diff)
	}
	for k, want := range map[string]any{"message": "decision", "requestId": "req-1", "function": "postauth",
		"triggerSource": "PostAuthentication_Authentication", "userPoolId": "us-east-1_EXAMPLE", "clientId": "1example23456789",
		"outcome": "recorded", "sub": "7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b", "Invocations": 1.0, "SignIns": 1.0, "level": "INFO"} {
		if diff := cmp.Diff(want, r.line[k]); diff != "" {
			t.Errorf("decision line %s (-want +got):\n%s", k, diff)
		}
	}
	if _, ok := r.line["durationMs"].(float64); !ok {
		t.Errorf("durationMs = %v, want a number", r.line["durationMs"])
	}
	if _, ok := r.line["reason"]; ok {
		t.Error("a decision without a reason carries a reason dimension")
	}
	names, dims := emfMetrics(t, r.line)
	if diff := cmp.Diff([]string{"Invocations", "DurationMs", "SignIns"}, names); diff != "" {
		t.Errorf("EMF metrics (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]any{{"function"}, {"function", "outcome"}}, dims); diff != "" {
		t.Errorf("EMF dimensions (-want +got):\n%s", diff)
	}
	// Nothing but the header's identifiers and the facts: no attribute of
	// the user reaches the line.
	if strings.Contains(r.raw, "jane.doe") {
		t.Errorf("decision line carries the user's name or email:\n%s", r.raw)
	}
}

// TestResponseEditIsTheAnswer: the decision edits the typed response and
// invoke alone encodes it; everything else of the event goes back as it
// came, unknown members included.
func TestResponseEditIsTheAnswer(t *testing.T) {
	payload := testevent.Load(t, "pretoken-v2-hosted-auth.json", testevent.Set("eventId", "e-1"))
	r := run(t, invoke.Options{}, func(_ context.Context, ev *triggers.PreToken) decision.Result {
		ev.V2.Response.Overrides().AccessToken().ClaimsToAddOrOverride.Set("tenant_id", "acme")
		return decision.Result{Outcome: decision.OutcomeClaimsAdded}
	}, payload)
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := semantic(t, payload).(map[string]any)
	want["response"] = map[string]any{"claimsAndScopeOverrideDetails": map[string]any{
		"accessTokenGeneration": map[string]any{"claimsToAddOrOverride": map[string]any{"tenant_id": "acme"}}}}
	if diff := cmp.Diff(want, semantic(t, r.out)); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
}

func TestRefusalsTheLayerMakesItself(t *testing.T) {
	called := false
	decide := func(context.Context, *triggers.PostAuth) decision.Result {
		called = true
		return decision.Result{Outcome: decision.OutcomeRecorded}
	}
	event := testevent.Raw(t, "postauth-authentication.json")
	tests := []struct {
		name    string
		payload []byte
		reason  decision.Reason
		opts    invoke.Options
	}{
		{"malformed", []byte(`{"version":`), decision.ReasonMalformedEvent, invoke.Options{}},
		{"not an event", []byte(`[]`), decision.ReasonMalformedEvent, invoke.Options{}},
		{"empty", nil, decision.ReasonMalformedEvent, invoke.Options{}},
		{"duplicate source", []byte(strings.Replace(string(event), `"region"`, `"triggerSource": "PostAuthentication_Authentication", "region"`, 1)),
			decision.ReasonMalformedEvent, invoke.Options{}},
		{"broken request, no policy", testevent.Load(t, "postauth-authentication.json", testevent.SetRequest("newDeviceUsed", "yes")),
			decision.ReasonMalformedEvent, invoke.Options{}},
		{"wrong trigger", testevent.Raw(t, "presignup-signup.json"), decision.ReasonWrongTrigger, invoke.Options{}},
		{"foreign pool", event, decision.ReasonUnexpectedPool, invoke.Options{AllowedPools: []string{"us-east-1_OTHER"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called = false
			r := run(t, tt.opts, decide, tt.payload)
			if ue := userError(t, r.err); r.out != nil || ue.Error() != decision.MalformedMessage {
				t.Fatalf("got %s, %v; want the malformed-event refusal", r.out, r.err)
			}
			if called {
				t.Error("the decision ran on an event the layer refuses")
			}
			if r.line["reason"] != string(tt.reason) || r.line["outcome"] != "error" || r.line["level"] != "ERROR" {
				t.Errorf("decision line reason %v outcome %v level %v, want %s/error/ERROR", r.line["reason"], r.line["outcome"], r.line["level"], tt.reason)
			}
			if _, ok := r.line["cause"].(string); !ok {
				t.Errorf("the refusal's cause is not logged: %v", r.line)
			}
		})
	}
	if r := run(t, invoke.Options{AllowedPools: []string{"us-east-1_OTHER", "us-east-1_EXAMPLE"}}, decide, event); r.err != nil || !called {
		t.Errorf("an allowed pool was refused: %v", r.err)
	}
}

// TestMalformedRequestPolicy: with Options.MalformedRequest, an event whose
// header is fine but whose request is not is answered exactly as received
// with the policy's result (the custom message trigger's "send the pool's
// own message"); the decision never sees it. A broken header, another
// trigger or another pool is still refused.
func TestMalformedRequestPolicy(t *testing.T) {
	var policyErr error
	opts := invoke.Options{Function: "custommessage", AllowedPools: []string{"us-east-1_EXAMPLE"},
		MalformedRequest: func(err error) decision.Result {
			policyErr = err
			return decision.Result{Outcome: decision.OutcomeDefaultMessage, Reason: decision.ReasonMalformedRequest}
		}}
	called := false
	decide := func(context.Context, *triggers.CustomMessage) decision.Result {
		called = true
		return decision.Result{Outcome: decision.OutcomeRendered}
	}
	const file = "custommessage-signup.json"
	broken := map[string][]byte{
		"type error":          testevent.Load(t, file, testevent.SetRequest("codeParameter", 5)),
		"attributes an array": testevent.Load(t, file, testevent.SetRequest("userAttributes", []any{1, 2})),
		"duplicate attribute": []byte(strings.Replace(string(testevent.Raw(t, file)), `"name": "Jane Doe"`, `"name": "Jane Doe", "name": "<b>"`, 1)),
		"case variant":        []byte(strings.Replace(string(testevent.Raw(t, file)), `"linkParameter"`, `"CodeParameter": "{x}", "linkParameter"`, 1)),
		"response broken":     testevent.Load(t, file, testevent.Set("response", "x")),
	}
	for name, payload := range broken {
		t.Run(name, func(t *testing.T) {
			called, policyErr = false, nil
			r := run(t, opts, decide, payload)
			if r.err != nil {
				t.Fatalf("err = %v, want the event back", r.err)
			}
			if !bytes.Equal(r.out, payload) {
				t.Errorf("answer is not the payload unchanged:\n got %s\nwant %s", r.out, payload)
			}
			if called {
				t.Error("the decision ran on a malformed request")
			}
			if !errors.Is(policyErr, triggers.ErrMalformedRequest) {
				t.Errorf("policy saw %v, want an ErrMalformedRequest", policyErr)
			}
			for k, want := range map[string]any{"outcome": "default_message", "reason": "malformed_request", "level": "INFO",
				"triggerSource": "CustomMessage_SignUp", "userPoolId": "us-east-1_EXAMPLE", "clientId": "1example23456789"} {
				if r.line[k] != want {
					t.Errorf("decision line %s = %v, want %v", k, r.line[k], want)
				}
			}
		})
	}
	refused := map[string]struct {
		payload []byte
		reason  decision.Reason
	}{
		"broken header":  {testevent.Load(t, file, testevent.Set("userPoolId", 5)), decision.ReasonMalformedEvent},
		"unknown source": {testevent.Load(t, file, testevent.Set("triggerSource", "CustomMessage_Nope"), testevent.SetRequest("codeParameter", 5)), decision.ReasonMalformedEvent},
		"wrong trigger":  {testevent.Load(t, "presignup-signup.json", testevent.SetRequest("userAttributes", 5)), decision.ReasonWrongTrigger},
		"foreign pool":   {testevent.Load(t, file, testevent.Set("userPoolId", "us-east-1_OTHER"), testevent.SetRequest("codeParameter", 5)), decision.ReasonMalformedEvent},
		"not JSON":       {[]byte(`{"version":"1",`), decision.ReasonMalformedEvent},
	}
	for name, tc := range refused {
		t.Run("refused/"+name, func(t *testing.T) {
			called, policyErr = false, nil
			r := run(t, opts, decide, tc.payload)
			if r.out != nil || userError(t, r.err).Error() != decision.MalformedMessage {
				t.Errorf("got %s, %v; want the malformed-event refusal", r.out, r.err)
			}
			if called || policyErr != nil {
				t.Errorf("decision ran %v, policy ran %v", called, policyErr != nil)
			}
			if r.line["reason"] != string(tc.reason) {
				t.Errorf("reason %v, want %s", r.line["reason"], tc.reason)
			}
		})
	}
}

// TestPanicIsContained: a panicking decision becomes the generic user-safe
// error, and the panic value (which may quote a password) is logged by its
// type only.
func TestPanicIsContained(t *testing.T) {
	for name, v := range map[string]any{
		"string": "bad password " + secret,
		"error":  fmt.Errorf("password %s", secret),
		"struct": struct{ Password string }{secret},
		"nil":    nil,
	} {
		t.Run(name, func(t *testing.T) {
			r := run(t, invoke.Options{}, func(context.Context, *triggers.PostAuth) decision.Result { panic(v) },
				testevent.Raw(t, "postauth-authentication.json"))
			if r.out != nil || userError(t, r.err).Error() != decision.GenericMessage {
				t.Fatalf("got %s, %v; want the generic message", r.out, r.err)
			}
			if strings.Contains(r.raw, secret) || strings.Contains(r.raw, "correct horse") {
				t.Errorf("the panic value reached the log: %s", r.raw)
			}
			if r.line["reason"] != "panic" || r.line["outcome"] != "error" {
				t.Errorf("reason %v outcome %v, want panic/error", r.line["reason"], r.line["outcome"])
			}
			if cause, _ := r.line["cause"].(string); !strings.HasPrefix(cause, "panic of type ") {
				t.Errorf("cause %q, want the panic's type", cause)
			}
		})
	}
}

// TestCauseIsLoggedNotReturned: the user sees Message, the log the cause;
// Cognito shows the returned error's text to the end user verbatim.
func TestCauseIsLoggedNotReturned(t *testing.T) {
	cause := errors.New("ResourceNotFoundException: table audit, key user#jane")
	r := run(t, invoke.Options{}, func(context.Context, *triggers.PostAuth) decision.Result {
		return decision.Refusal(decision.OutcomeRefused, decision.ReasonTableMissing, "Nope.", cause)
	}, testevent.Raw(t, "postauth-authentication.json"))
	ue := userError(t, r.err)
	if r.err.Error() != "Nope." || r.out != nil {
		t.Fatalf("got %s, %q; want the user text only", r.out, r.err)
	}
	if !errors.Is(ue, cause) {
		t.Error("the cause is not reachable in-process through errors.Is")
	}
	for k, want := range map[string]any{"cause": cause.Error(), "userMessage": "Nope.", "reason": "table_missing", "outcome": "refused", "level": "INFO"} {
		if r.line[k] != want {
			t.Errorf("decision line %s = %v, want %v", k, r.line[k], want)
		}
	}
	_, dims := emfMetrics(t, r.line)
	if diff := cmp.Diff([][]any{{"function"}, {"function", "outcome"}, {"function", "outcome", "reason"}}, dims); diff != "" {
		t.Errorf("a decision with a reason is published per reason too (-want +got):\n%s", diff)
	}
	t.Run("reason taken from the error", func(t *testing.T) {
		r := run(t, invoke.Options{}, func(context.Context, *triggers.PostAuth) decision.Result {
			return decision.Result{Err: decision.Refuse("Nope.", decision.ReasonTableThrottled, nil)}
		}, testevent.Raw(t, "postauth-authentication.json"))
		if r.line["reason"] != "table_throttled" || r.line["outcome"] != "error" || r.line["level"] != "ERROR" {
			t.Errorf("reason %v outcome %v level %v, want table_throttled/error/ERROR", r.line["reason"], r.line["outcome"], r.line["level"])
		}
		if _, ok := r.line["cause"]; ok {
			t.Errorf("a nil cause was logged: %v", r.line["cause"])
		}
	})
}

// TestBudgetIsTheDeadline: the decision runs under the configured budget,
// not the (longer) Lambda deadline, and under the Lambda deadline when
// that is the shorter. Deadlines are compared with the clock read around
// the call, so that a slow machine cannot make the test fail.
func TestBudgetIsTheDeadline(t *testing.T) {
	payload := testevent.Raw(t, "postauth-authentication.json")
	for _, tc := range []struct {
		name           string
		budget, parent time.Duration
	}{
		{"budget shorter", 300 * time.Millisecond, time.Hour},
		{"lambda deadline shorter", time.Hour, 2 * time.Second},
		{"default budget", 0, time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tc.parent)
			defer cancel()
			parentDeadline, _ := ctx.Deadline()
			var deadline time.Time
			var ok bool
			h := invoke.New[triggers.PostAuth](invoke.Options{Budget: tc.budget}, func(ctx context.Context, _ *triggers.PostAuth) decision.Result {
				deadline, ok = ctx.Deadline()
				return decision.Result{Outcome: decision.OutcomeRecorded}
			})
			before := time.Now()
			if _, err := h.Invoke(ctx, payload); err != nil {
				t.Fatal(err)
			}
			after := time.Now()
			if !ok {
				t.Fatal("the decision ran without a deadline")
			}
			budget := tc.budget
			if budget == 0 {
				budget = 4 * time.Second
			}
			earliest, latest := before.Add(budget), after.Add(budget)
			if parentDeadline.Before(earliest) {
				earliest, latest = parentDeadline, parentDeadline
			}
			if deadline.Before(earliest) || deadline.After(latest) {
				t.Errorf("deadline %v outside [%v, %v]", deadline, earliest, latest)
			}
		})
	}
}

// TestEncodeFailure: a response that cannot be encoded is the generic
// refusal, not a half-written answer.
func TestEncodeFailure(t *testing.T) {
	r := run(t, invoke.Options{}, func(_ context.Context, ev *triggers.PreToken) decision.Result {
		ev.V2.Response.Overrides().IDToken().ClaimsToAddOrOverride.Set("bad", make(chan int))
		return decision.Result{Outcome: decision.OutcomeClaimsAdded}
	}, testevent.Raw(t, "pretoken-v2-hosted-auth.json"))
	if r.out != nil || userError(t, r.err).Error() != decision.GenericMessage {
		t.Fatalf("got %s, %v; want the generic refusal", r.out, r.err)
	}
	if r.line["reason"] != "internal_error" || r.line["outcome"] != "error" {
		t.Errorf("reason %v outcome %v, want internal_error/error", r.line["reason"], r.line["outcome"])
	}
	if cause, _ := r.line["cause"].(string); !strings.Contains(cause, "encode the response") {
		t.Errorf("cause %q", cause)
	}
}

// TestFactsAreRenderedByType: facts of the documented types are written as
// values, durations in milliseconds, groups as objects; any other value as
// its type name only, so that no formatter can leak a secret.
func TestFactsAreRenderedByType(t *testing.T) {
	r := run(t, invoke.Options{}, func(context.Context, *triggers.PostAuth) decision.Result {
		return decision.Result{Outcome: decision.OutcomeRecorded, Facts: []decision.Fact{
			decision.String("s", "x"), decision.Bool("b", true), decision.Int("i", 3),
			{Key: "i64", Value: int64(1) << 40}, {Key: "f", Value: 1.25}, {Key: "d", Value: 1500 * time.Microsecond},
			decision.Group("g", decision.String("in", "y"), decision.Fact{Key: "d2", Value: 2 * time.Millisecond}),
			{Key: "other", Value: struct{ Password string }{secret}},
			{Key: "err", Value: errors.New(secret)},
		}}
	}, testevent.Raw(t, "postauth-authentication.json"))
	want := map[string]any{"s": "x", "b": true, "i": 3.0, "i64": float64(int64(1) << 40), "f": 1.25, "d": 1.5,
		"g": map[string]any{"in": "y", "d2": 2.0}, "other": "[struct { Password string }]", "err": "[*errors.errorString]"}
	for k, w := range want {
		if diff := cmp.Diff(w, r.line[k]); diff != "" {
			t.Errorf("fact %s (-want +got):\n%s", k, diff)
		}
	}
	if strings.Contains(r.raw, secret) {
		t.Errorf("a fact of an undocumented type leaked its value:\n%s", r.raw)
	}
}

// typedNilErr is a nil pointer in an error interface: calling Error on it
// panics, the classic Go mistake a dependency may make.
type typedNilErr struct{ msg string }

func (e *typedNilErr) Error() string { return e.msg }

// panicsOn is a log handler that panics on a record carrying the key, as a
// handler with a bug in formatting some value would.
type panicsOn struct {
	slog.Handler
	key string
}

func (h panicsOn) Handle(ctx context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == h.key {
			panic("formatting " + secret)
		}
		return true
	})
	return h.Handler.Handle(ctx, r)
}

// TestLoggingCannotPanic: a cause whose Error panics, or a log handler that
// panics on a value, still yields the answer (or the user-safe refusal) and
// a decision line; a panic escaping Invoke would reach aws-lambda-go, whose
// panic text Cognito shows to the user.
func TestLoggingCannotPanic(t *testing.T) {
	payload := testevent.Raw(t, "postauth-authentication.json")
	var nilErr *typedNilErr
	r := run(t, invoke.Options{}, func(context.Context, *triggers.PostAuth) decision.Result {
		return decision.Refusal(decision.OutcomeRefused, decision.ReasonTableError, "Nope.", nilErr)
	}, payload)
	if r.err == nil || r.err.Error() != "Nope." {
		t.Fatalf("err = %v, want the user text", r.err)
	}
	if !strings.Contains(fmt.Sprint(r.line["cause"]), "unprintable") {
		t.Errorf("cause %v, want the unprintable marker", r.line["cause"])
	}

	var logs bytes.Buffer
	logger := slog.New(panicsOn{telemetry.NewHandler(&logs, slog.LevelInfo), "sub"})
	h := invoke.New[triggers.PostAuth](invoke.Options{Function: "fn", Logger: logger}, func(context.Context, *triggers.PostAuth) decision.Result {
		return decision.Result{Outcome: decision.OutcomeRecorded, Facts: []decision.Fact{decision.String("sub", "s")}}
	})
	out, err := h.Invoke(context.Background(), payload)
	if err != nil || out == nil {
		t.Fatalf("got %s, %v; want the answer despite the log failure", out, err)
	}
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(logs.Bytes()), &line); err != nil {
		t.Fatalf("fallback line: %v\n%s", err, logs.String())
	}
	if line["message"] != "decision" || line["outcome"] != "recorded" || !strings.Contains(fmt.Sprint(line["logError"]), "panic of type string") {
		t.Errorf("fallback line %v", line)
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("the panic value reached the log: %s", logs.String())
	}
}

func TestLoadOptions(t *testing.T) {
	env := map[string]string{"TRIGGER_BUDGET_MS": "2500", "ALLOWED_USER_POOL_IDS": "a, b", "METRICS_NAMESPACE": "Ns"}
	r := envconfig.New(func(k string) string { return env[k] })
	o := invoke.LoadOptions(r, "fn", nil)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if o.Budget != 2500*time.Millisecond || !cmp.Equal(o.AllowedPools, []string{"a", "b"}) || o.Function != "fn" || o.EMF == nil {
		t.Errorf("options %+v", o)
	}
	for _, bad := range []string{"5000", "60000", "0", "-1", "99", "4s", "1e3", "4000.5"} {
		env["TRIGGER_BUDGET_MS"] = bad
		r = envconfig.New(func(k string) string { return env[k] })
		invoke.LoadOptions(r, "fn", nil)
		if r.Err() == nil {
			t.Errorf("TRIGGER_BUDGET_MS=%q was accepted", bad)
		}
	}
	delete(env, "TRIGGER_BUDGET_MS")
	r = envconfig.New(func(k string) string { return env[k] })
	if o := invoke.LoadOptions(r, "fn", nil); r.Err() != nil || o.Budget != 4*time.Second {
		t.Errorf("unset budget: %v, %v; want the 4 s default", o.Budget, r.Err())
	}

	// The namespace reaches the metric record.
	var logs bytes.Buffer
	env = map[string]string{"METRICS_NAMESPACE": "Ns"}
	o = invoke.LoadOptions(envconfig.New(func(k string) string { return env[k] }), "fn", telemetry.NewLogger(&logs, slog.LevelInfo))
	if _, err := invoke.New[triggers.PostAuth](o, func(context.Context, *triggers.PostAuth) decision.Result {
		return decision.Result{Outcome: decision.OutcomeRecorded}
	}).Invoke(context.Background(), testevent.Raw(t, "postauth-authentication.json")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), `"Namespace":"Ns"`) {
		t.Errorf("namespace not in the EMF record: %s", logs.String())
	}
}

// BenchmarkHandler measures one warm invocation bytes → bytes: the strict
// decode of the 2.4 KB pre token V2 fixture, a trivial decision, the
// encode, and the decision line written to a discarding logger. The
// issue's target is under 50 µs.
func BenchmarkHandler(b *testing.B) {
	payload := testevent.Raw(b, "pretoken-v2-hosted-auth.json")
	h := invoke.New[triggers.PreToken](invoke.Options{Function: "pretoken", Logger: telemetry.NewLogger(io.Discard, slog.LevelInfo)},
		func(_ context.Context, ev *triggers.PreToken) decision.Result {
			ev.V2.Response.Overrides().AccessToken().ClaimsToAddOrOverride.Set("tenant_id", "acme")
			return decision.Result{Outcome: decision.OutcomeClaimsAdded, Facts: []decision.Fact{decision.String("sub", "s")}}
		})
	ctx := context.Background()
	if _, err := h.Invoke(ctx, payload); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Invoke(ctx, payload); err != nil {
			b.Fatal(err)
		}
	}
}
