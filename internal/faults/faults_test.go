// Package faults is the fault-injection campaign: every dependency of every
// function (table, secret, legacy endpoint) stalled, refusing connections,
// throttled, failing with 5xx, answering malformed data or missing, through
// the real binaries under the emulator. Each trigger must answer within its
// budget with its documented policy.
package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/internal/harness"
	"github.com/cognito-triggers/suite/internal/localenv"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

func TestMain(m *testing.M) { harness.Main(m) }

// budget is the TRIGGER_BUDGET_MS every scenario runs with; the slack is
// what the issue allows on top (process scheduling, the emulator's hop).
const (
	budget = 1200 * time.Millisecond
	slack  = 50 * time.Millisecond
)

// policy is what a function must answer when its dependency fails.
type policy int

const (
	refuseWith policy = iota // an error with exactly want
	answer                   // the event back, no error (fail open)
	unchanged                // the event back byte for byte (fail to default)
)

type scenario struct {
	name    string
	fn      string
	fixture string
	env     map[string]string // on top of localenv.FunctionEnv(fn); "<fault>" is replaced by the fault endpoint
	policy  policy
	want    string // the user-visible text for refuseWith
	// wantReason, when set, must prefix the decision line's reason: proof
	// that the failure came from the dependency under test.
	wantReason string
}

func scenarios() []scenario {
	withTable := map[string]string{"AWS_ENDPOINT_URL": "<fault>", "ALLOWED_EMAIL_DOMAINS": "", "TABLE_TIMEOUT_MS": "600"}
	return []scenario{
		{name: "presignup/table", fn: "presignup", fixture: "presignup-signup.json", env: withTable, policy: refuseWith, want: "Sign-up is not available for this email address."},
		{name: "pretoken/table", fn: "pretoken", fixture: "pretoken-v2-hosted-auth.json", env: map[string]string{"AWS_ENDPOINT_URL": "<fault>", "TABLE_TIMEOUT_MS": "600"}, policy: refuseWith, want: triggers.GenericMessage},
		{name: "pretoken/table (M2M)", fn: "pretoken", fixture: "pretoken-v3-client-credentials.json", env: map[string]string{"AWS_ENDPOINT_URL": "<fault>", "TABLE_TIMEOUT_MS": "600"}, policy: refuseWith, want: triggers.GenericMessage},
		{name: "postauth/table open", fn: "postauth", fixture: "postauth-authentication.json", env: map[string]string{"AWS_ENDPOINT_URL": "<fault>", "AUDIT_FAILURE_MODE": "open", "AUDIT_TIMEOUT_MS": "600"}, policy: answer},
		{name: "postauth/table closed", fn: "postauth", fixture: "postauth-authentication.json", env: map[string]string{"AWS_ENDPOINT_URL": "<fault>", "AUDIT_FAILURE_MODE": "closed", "AUDIT_TIMEOUT_MS": "600"}, policy: refuseWith, want: triggers.GenericMessage},
		{name: "migrateuser/table+secret", fn: "migrateuser", fixture: "migrateuser-authentication.json", env: map[string]string{"AWS_ENDPOINT_URL": "<fault>", "LEGACY_TIMEOUT_MS": "600", "TABLE_TIMEOUT_MS": "600"}, policy: refuseWith, want: triggers.GenericMessage},
		{name: "migrateuser/legacy http endpoint", fn: "migrateuser", fixture: "migrateuser-authentication.json", env: map[string]string{
			"LEGACY_SOURCE": "http", "LEGACY_AUTH_URL": "<fault>", "LEGACY_USERS_TABLE": "", "LEGACY_TIMEOUT_MS": "600",
			// The gate's domain records stay reachable in moto: only the legacy endpoint fails.
			"ALLOWED_EMAIL_DOMAINS": "example.com"}, policy: refuseWith, want: triggers.GenericMessage, wantReason: "legacy_"},
	}
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
	var total, passed atomic.Int32
	for _, sc := range scenarios() {
		for _, f := range harness.Faults {
			name := fmt.Sprintf("%s/%s", sc.name, f)
			total.Add(1)
			ok := t.Run(name, func(t *testing.T) {
				endpoint, stop, err := harness.StartFault(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(stop)
				env := moto.Env()
				for k, v := range localenv.FunctionEnv(sc.fn) {
					env[k] = v
				}
				for k, v := range sc.env {
					env[k] = strings.ReplaceAll(v, "<fault>", endpoint)
				}
				env["TRIGGER_BUDGET_MS"] = fmt.Sprint(budget.Milliseconds())
				l := harness.LambdaT(t, harness.LambdaOptions{Name: sc.fn, Bootstrap: harness.BuildT(t, "./functions/"+sc.fn), Env: env})
				event, err := localenv.Fixture(sc.fixture)
				if err != nil {
					t.Fatal(err)
				}
				// A first call pays the cold start; the policy is timed on the second.
				if _, err := l.Invoke(ctx, event); err != nil {
					t.Fatalf("first invoke: %v", err)
				}
				res, err := l.Invoke(ctx, event)
				if err != nil {
					t.Fatalf("invoke: %v", err)
				}
				if res.Duration > budget+slack {
					t.Errorf("answered after %v, want within %v + %v", res.Duration, budget, slack)
				}
				switch sc.policy {
				case refuseWith:
					if res.ErrorMessage != sc.want {
						t.Errorf("answer %q %s, want the refusal %q", res.ErrorMessage, res.Body, sc.want)
					}
				case answer:
					if res.Failed() || !json.Valid(res.Body) {
						t.Errorf("answer %q %s, want the event back (fail open)", res.ErrorMessage, res.Body)
					}
				case unchanged:
					if res.Failed() || string(res.Body) != string(event) {
						t.Errorf("answer %q %s, want the event unchanged", res.ErrorMessage, res.Body)
					}
				}
				reasons := ""
				for _, line := range l.FunctionLogLines() {
					var m map[string]any
					if err := json.Unmarshal(line, &m); err != nil {
						t.Errorf("log line is not JSON: %s", line)
						continue
					}
					if m["message"] == "decision" {
						reasons += fmt.Sprint(m["reason"]) + " "
					}
				}
				if sc.wantReason != "" && !strings.Contains(" "+reasons, " "+sc.wantReason) {
					t.Errorf("decision reasons %q, want one starting %q (the fault did not reach the dependency under test)", reasons, sc.wantReason)
				}
			})
			if ok {
				passed.Add(1)
			}
		}
	}
	t.Logf("fault campaign: %d/%d scenarios passed", passed.Load(), total.Load())
	fmt.Printf("fault campaign: %d/%d scenarios passed\n", passed.Load(), total.Load())
}
