// Package faults is the fault-injection campaign: every dependency of every
// function (table, secret, legacy endpoint) stalled, refusing connections,
// throttled, failing with 5xx, answering malformed data or missing, through
// the real binaries under the emulator. Each trigger must answer within its
// budget with its documented policy, and its decision line must name the
// reason that fault causes: proof that the injected fault, and not some
// other failure on the way, decided the answer.
package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/internal/harness"
	"github.com/cognito-triggers/suite/internal/localenv"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/presignup"
)

func TestMain(m *testing.M) { harness.Main(m) }

// budget is the TRIGGER_BUDGET_MS every scenario runs with. A function's
// own durationMs may pass it by what the scheduler takes to wake the
// handler once the deadline fires and to write the line: a tenth of the
// budget, far below the time left before Cognito gives up.
const (
	budget      = 1200 * time.Millisecond
	budgetSlack = budget / 10
	// cognitoWait is how long Cognito waits for a trigger, fixed: the
	// round trip through the emulator must stay below it.
	cognitoWait = 5 * time.Second
)

// policy is what a function must answer when its dependency fails.
type policy int

const (
	refuseWith policy = iota // an error with exactly the scenario's message
	answer                   // the event back, no error (fail open)
)

// reasons maps each fault to the reason it must cause: how pkg/decision
// classifies what the fault server does (see harness.Fault). A refused
// connection is not an AWS refusal (401/403, AccessDenied, which no fault
// produces) but a transport failure, so it is *_error; a truncated SDK
// response is a deserialization failure of the call, *_error too, while a
// truncated answer of the legacy HTTP endpoint breaks its own protocol,
// legacy_malformed.
type reasons map[harness.Fault]decision.Reason

func dependencyReasons(d decision.Dependency, malformed decision.Reason) reasons {
	return reasons{
		harness.FaultStall:        d.Reason(harness.FaultStall.Failure()),
		harness.FaultRefuse:       d.Reason(harness.FaultRefuse.Failure()),
		harness.FaultThrottle:     d.Reason(harness.FaultThrottle.Failure()),
		harness.Fault5xx:          d.Reason(harness.Fault5xx.Failure()),
		harness.FaultMalformed:    malformed,
		harness.FaultMissingTable: d.Reason(harness.FaultMissingTable.Failure()),
	}
}

type scenario struct {
	name    string
	fn      string
	fixture string
	env     map[string]string // on top of localenv.FunctionEnv(fn) and moto's; "<fault>" is replaced by the fault endpoint
	policy  policy
	message string           // the user-visible text for refuseWith
	outcome decision.Outcome // the decision line's outcome
	reasons reasons          // the decision line's reason, per fault
}

func scenarios() []scenario {
	table := dependencyReasons(decision.Table, decision.ReasonTableError)
	legacyTable := dependencyReasons(decision.Legacy, decision.ReasonLegacyError)
	legacyHTTP := dependencyReasons(decision.Legacy, decision.ReasonLegacyMalformed)
	secret := dependencyReasons(decision.Secret, decision.ReasonSecretError)
	tableEnv := func(timeoutVar string, extra ...string) map[string]string {
		env := map[string]string{"AWS_ENDPOINT_URL": "<fault>", timeoutVar: "600"}
		for i := 0; i+1 < len(extra); i += 2 {
			env[extra[i]] = extra[i+1]
		}
		return env
	}
	return []scenario{
		// No allowlist: the domain can only be admitted by the table.
		{name: "presignup/table", fn: "presignup", fixture: "presignup-signup.json",
			env:    tableEnv("TABLE_TIMEOUT_MS", "ALLOWED_EMAIL_DOMAINS", ""),
			policy: refuseWith, message: presignup.RefusalMessage, outcome: decision.OutcomeRefused, reasons: table},
		{name: "pretoken/table", fn: "pretoken", fixture: "pretoken-v2-hosted-auth.json",
			env:    tableEnv("TABLE_TIMEOUT_MS"),
			policy: refuseWith, message: decision.GenericMessage, outcome: decision.OutcomeDenied, reasons: table},
		{name: "pretoken/table (M2M)", fn: "pretoken", fixture: "pretoken-v3-client-credentials.json",
			env:    tableEnv("TABLE_TIMEOUT_MS"),
			policy: refuseWith, message: decision.GenericMessage, outcome: decision.OutcomeDenied, reasons: table},
		{name: "postauth/table open", fn: "postauth", fixture: "postauth-authentication.json",
			env:    tableEnv("AUDIT_TIMEOUT_MS", "AUDIT_FAILURE_MODE", "open"),
			policy: answer, outcome: decision.OutcomeAuditFailed, reasons: table},
		{name: "postauth/table closed", fn: "postauth", fixture: "postauth-authentication.json",
			env:    tableEnv("AUDIT_TIMEOUT_MS", "AUDIT_FAILURE_MODE", "closed"),
			policy: refuseWith, message: decision.GenericMessage, outcome: decision.OutcomeRefused, reasons: table},
		// The legacy users table is read first: the sign-up gate (its
		// allowlist admits example.com) is never reached, and the secret
		// is read only for Firebase scrypt hashes.
		{name: "migrateuser/legacy table", fn: "migrateuser", fixture: "migrateuser-authentication.json",
			env:    tableEnv("LEGACY_TIMEOUT_MS", "TABLE_TIMEOUT_MS", "600"),
			policy: refuseWith, message: decision.GenericMessage, outcome: decision.OutcomeError, reasons: legacyTable},
		// The API key secret stays in moto: only the legacy endpoint fails.
		{name: "migrateuser/legacy http endpoint", fn: "migrateuser", fixture: "migrateuser-authentication.json", env: map[string]string{
			"LEGACY_SOURCE": "http", "LEGACY_AUTH_URL": "<fault>", "LEGACY_USERS_TABLE": "", "LEGACY_TIMEOUT_MS": "600"},
			policy: refuseWith, message: decision.GenericMessage, outcome: decision.OutcomeError, reasons: legacyHTTP},
		// Secrets Manager fails, DynamoDB stays in moto. The endpoint is
		// the fault server too: the key is fetched before the endpoint is
		// called, so a legacy_* reason would mean the secret was skipped.
		{name: "migrateuser/legacy secret", fn: "migrateuser", fixture: "migrateuser-authentication.json", env: map[string]string{
			"LEGACY_SOURCE": "http", "LEGACY_AUTH_URL": "<fault>", "LEGACY_USERS_TABLE": "", "LEGACY_TIMEOUT_MS": "600",
			"AWS_ENDPOINT_URL_SECRETS_MANAGER": "<fault>"},
			policy: refuseWith, message: decision.GenericMessage, outcome: decision.OutcomeError, reasons: secret},
	}
}

// TestScenariosCoverEveryFault keeps the table honest: every scenario
// names the reason of every fault, and only reasons the vocabulary has.
func TestScenariosCoverEveryFault(t *testing.T) {
	known := decision.Reasons()
	for _, sc := range scenarios() {
		if got, want := slices.Sorted(maps.Keys(sc.reasons)), slices.Sorted(slices.Values(harness.Faults)); !slices.Equal(got, want) {
			t.Errorf("%s: reasons for %v, want one for each of %v", sc.name, got, want)
		}
		for f, r := range sc.reasons {
			if !slices.Contains(known, r) {
				t.Errorf("%s/%s: reason %q is not in decision.Reasons()", sc.name, f, r)
			}
		}
		if !slices.Contains(decision.Outcomes(), sc.outcome) {
			t.Errorf("%s: outcome %q is not in decision.Outcomes()", sc.name, sc.outcome)
		}
	}
}

// decisionLine is what the campaign reads from a function's decision line.
type decisionLine struct {
	Outcome    decision.Outcome `json:"outcome"`
	Reason     decision.Reason  `json:"reason"`
	DurationMs float64          `json:"durationMs"`
}

// decisionLines waits until l has printed n decision lines and returns
// them. The function writes its line before it answers, but the emulator
// relays the function's output on its own, so the last line may land in
// the log a moment after the answer.
func decisionLines(t *testing.T, l *harness.Lambda, n int) []decisionLine {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var out []decisionLine
		for _, line := range l.FunctionLogLines() {
			var m struct {
				Message string `json:"message"`
				decisionLine
			}
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatalf("log line is not JSON (%v): %s", err, line)
			}
			if m.Message == "decision" {
				out = append(out, m.decisionLine)
			}
		}
		if len(out) >= n || time.Now().After(deadline) {
			if len(out) != n {
				t.Fatalf("%d decision lines for %d invocations:\n%s", len(out), n, l.Logs())
			}
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sameRequest reports whether answer is the event with the same request:
// the event comes back re-encoded, so it is compared as JSON values, not
// bytes.
func sameRequest(t *testing.T, answer, event []byte) bool {
	t.Helper()
	var a, e struct {
		TriggerSource string          `json:"triggerSource"`
		Request       json.RawMessage `json:"request"`
	}
	if err := json.Unmarshal(answer, &a); err != nil {
		return false
	}
	if err := json.Unmarshal(event, &e); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	var ar, er any
	if err := json.Unmarshal(a.Request, &ar); err != nil {
		return false
	}
	if err := json.Unmarshal(e.Request, &er); err != nil {
		t.Fatalf("fixture request: %v", err)
	}
	return a.TriggerSource == e.TriggerSource && reflect.DeepEqual(ar, er)
}

// TestFaultCampaign runs every scenario against every fault and reports the
// count passed.
func TestFaultCampaign(t *testing.T) {
	ctx := context.Background()
	moto := harness.MotoT(t)
	// The HTTP legacy source reads its API key from this secret before it
	// calls the (faulty) endpoint; without it every case would stop at the
	// secret and never reach the fault.
	if err := moto.CreateSecret(ctx, localenv.LegacySecret, `{"api_key":"`+localenv.LegacyAPIKey+`"}`); err != nil {
		t.Fatal(err)
	}
	var ran, passed atomic.Int32
	for _, sc := range scenarios() {
		for _, f := range harness.Faults {
			name := fmt.Sprintf("%s/%s", sc.name, f)
			// Counted inside the subtest: t.Run also reports true for a
			// subtest that -run filtered out.
			t.Run(name, func(t *testing.T) {
				ran.Add(1)
				defer func() {
					if !t.Failed() {
						passed.Add(1)
					}
				}()
				endpoint, stop, err := harness.StartFault(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(stop)
				env := moto.Env()
				maps.Copy(env, localenv.FunctionEnv(sc.fn))
				for k, v := range sc.env {
					env[k] = strings.ReplaceAll(v, "<fault>", endpoint)
				}
				env["TRIGGER_BUDGET_MS"] = fmt.Sprint(budget.Milliseconds())
				l := harness.LambdaT(t, harness.LambdaOptions{Name: sc.fn, Bootstrap: harness.BuildT(t, "./functions/"+sc.fn), Env: env})
				event, err := localenv.Fixture(sc.fixture)
				if err != nil {
					t.Fatal(err)
				}
				// A first call pays the cold start; both must meet the policy,
				// and the second (warm) one is where a cache or a reused
				// connection could hide the fault.
				var results []harness.Result
				for range 2 {
					res, err := l.Invoke(ctx, event)
					if err != nil {
						t.Fatalf("invoke: %v", err)
					}
					results = append(results, res)
				}
				lines := decisionLines(t, l, len(results))
				want := sc.reasons[f]
				for i, res := range results {
					d := lines[i]
					if d.Reason != want || d.Outcome != sc.outcome {
						t.Errorf("invocation %d: decision %s/%s, want %s/%s (the fault did not decide the answer)", i+1, d.Outcome, d.Reason, sc.outcome, want)
					}
					if limit := budget + budgetSlack; time.Duration(d.DurationMs*float64(time.Millisecond)) > limit {
						t.Errorf("invocation %d: the function took %.1f ms by its own count, want within its budget %v (+%v)", i+1, d.DurationMs, budget, budgetSlack)
					}
					if res.Duration >= cognitoWait {
						t.Errorf("invocation %d: answered after %v, when Cognito has stopped waiting (%v)", i+1, res.Duration, cognitoWait)
					}
					switch sc.policy {
					case refuseWith:
						if res.ErrorMessage != sc.message {
							t.Errorf("invocation %d: answer %q %s, want the refusal %q", i+1, res.ErrorMessage, res.Body, sc.message)
						}
					case answer:
						if res.Failed() || !sameRequest(t, res.Body, event) {
							t.Errorf("invocation %d: answer %q %s, want the event back (fail open)", i+1, res.ErrorMessage, res.Body)
						}
					}
				}
			})
		}
	}
	t.Logf("fault campaign: %d/%d scenarios passed", passed.Load(), ran.Load())
	fmt.Printf("fault campaign: %d/%d scenarios passed\n", passed.Load(), ran.Load())
}
