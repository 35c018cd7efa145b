package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cognito-triggers/suite/internal/harness"
	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/presignup"
)

func TestMain(m *testing.M) { harness.Main(m) }

const table = "claims"

func fixture(t *testing.T, name, email string) []byte {
	t.Helper()
	return testevent.Load(t, name, testevent.SetAttr("email", email))
}

// decisionLines returns the function's decision lines, decoded, in the
// order of the invocations: the lines with an outcome, which only the one
// decision line of an invocation has.
func decisionLines(t *testing.T, fn *harness.Lambda) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range fn.FunctionLogLines() {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if _, ok := m["outcome"]; ok {
			out = append(out, m)
		}
	}
	return out
}

// startFunction runs the real bootstrap under the emulator with env.
func startFunction(t *testing.T, env map[string]string) *harness.Lambda {
	t.Helper()
	return harness.LambdaT(t, harness.LambdaOptions{Name: "presignup", Bootstrap: harness.BuildT(t, "./functions/presignup"), Env: env})
}

// TestBinaryAgainstLocalDynamoDB: the real binary under the emulator, with
// domain records in local DynamoDB, for every pre sign-up source.
func TestBinaryAgainstLocalDynamoDB(t *testing.T) {
	ctx := context.Background()
	moto := harness.MotoT(t)
	if err := moto.CreateTable(ctx, table, "pk", ""); err != nil {
		t.Fatal(err)
	}
	if err := moto.PutItem(ctx, table, map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "domain#partner.example.org"}, "tenant_id": &types.AttributeValueMemberS{Value: "t-partner"},
		"default_role": &types.AttributeValueMemberS{Value: "member"},
	}); err != nil {
		t.Fatal(err)
	}
	env := moto.Env()
	env["CLAIMS_TABLE"] = table
	env["ALLOWED_EMAIL_DOMAINS"] = "example.com"
	fn := startFunction(t, env)

	tests := []struct {
		fixture, email string
		allowed        bool
		rule, reason   string // of the decision line
	}{
		{"presignup-signup.json", "jane@example.com", true, "allowlist", ""},
		{"presignup-signup.json", "ann@partner.example.org", true, "table", ""},
		{"presignup-signup.json", "eve@evil.io", false, "", "domain_not_allowed"},
		{"presignup-signup.json", "eve@example.com.", false, "", "email_trailing_dot"},
		{"presignup-admin-create-user.json", "bob@partner.example.org", true, "table", ""},
		{"presignup-admin-create-user.json", "bob@evil.io", false, "", "domain_not_allowed"},
		{"presignup-external-provider.json", "fed@example.com", true, "allowlist", ""},
		{"presignup-external-provider.json", "fed@gmail.com", false, "", "domain_not_allowed"},
	}
	for _, tt := range tests {
		res, err := fn.Invoke(ctx, fixture(t, tt.fixture, tt.email))
		if err != nil {
			t.Fatalf("%s %s: %v", tt.fixture, tt.email, err)
		}
		if tt.allowed {
			if res.Failed() || !bytes.Contains(res.Body, []byte(`"autoConfirmUser":false,"autoVerifyEmail":false,"autoVerifyPhone":false`)) {
				t.Errorf("%s %s: got %s %s, want allowed", tt.fixture, tt.email, res.ErrorMessage, res.Body)
			}
			continue
		}
		if res.ErrorMessage != presignup.RefusalMessage {
			t.Errorf("%s %s: error message %q, want the refusal text", tt.fixture, tt.email, res.ErrorMessage)
		}
	}
	for _, line := range fn.FunctionLogLines() {
		for _, pii := range []string{"jane@", "eve@", "bob@", "ann@", "fed@"} {
			if bytes.Contains(line, []byte(pii)) {
				t.Errorf("log line carries an address: %s", line)
			}
		}
	}
	lines := decisionLines(t, fn)
	if len(lines) != len(tests) {
		t.Fatalf("%d decision lines for %d invocations", len(lines), len(tests))
	}
	for i, tt := range tests {
		outcome := "refused"
		if tt.allowed {
			outcome = "allowed"
		}
		got := func(key string) string { s, _ := lines[i][key].(string); return s }
		if got("outcome") != outcome || got("rule") != tt.rule || got("reason") != tt.reason {
			t.Errorf("%s %s: decision %q rule %q reason %q, want %q rule %q reason %q",
				tt.fixture, tt.email, got("outcome"), got("rule"), got("reason"), outcome, tt.rule, tt.reason)
		}
	}
}

// TestBinaryRefusesWithinBudgetWhenTheTableFails: a stalled, refusing,
// throttling or missing table refuses the sign-up (fail closed), in time,
// and the decision line names what the table did.
func TestBinaryRefusesWithinBudgetWhenTheTableFails(t *testing.T) {
	ctx := context.Background()
	const budgetMS = 1000
	for _, f := range harness.Faults {
		t.Run(string(f), func(t *testing.T) {
			want := decision.Table.Reason(f.Failure())
			endpoint, stop, err := harness.StartFault(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(stop)
			fn := startFunction(t, map[string]string{
				"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
				"AWS_ENDPOINT_URL": endpoint, "CLAIMS_TABLE": table, "TRIGGER_BUDGET_MS": "1000", "TABLE_TIMEOUT_MS": "600",
			})
			start := time.Now()
			res, err := fn.Invoke(ctx, fixture(t, "presignup-signup.json", "ann@partner.example.org"))
			elapsed := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if res.ErrorMessage != presignup.RefusalMessage {
				t.Errorf("got %q %s, want the refusal text", res.ErrorMessage, res.Body)
			}
			lines := decisionLines(t, fn)
			if len(lines) != 1 {
				t.Fatalf("%d decision lines for one invocation:\n%s", len(lines), fn.Logs())
			}
			if got := lines[0]; got["outcome"] != "refused" || got["reason"] != string(want) {
				t.Errorf("decision %v/%v, want refused/%s", got["outcome"], got["reason"], want)
			}
			// The function's own measure of its time is the budget's subject;
			// the round trip through the emulator adds its overhead, which a
			// loaded machine may stretch, so it gets half a budget of slack.
			if ms, ok := lines[0]["durationMs"].(float64); !ok || ms > budgetMS {
				t.Errorf("decision took %v ms, want within the %d ms budget", lines[0]["durationMs"], budgetMS)
			}
			if elapsed > budgetMS*time.Millisecond*3/2 {
				t.Errorf("answered after %v, want within the %d ms budget and half of it for the emulator", elapsed, budgetMS)
			}
		})
	}
}

// TestBinaryColdStartConfigErrors: a broken configuration fails the init
// with one error naming every bad variable, instead of answering wrongly.
func TestBinaryColdStartConfigErrors(t *testing.T) {
	fn := startFunction(t, map[string]string{"ALLOWED_EMAIL_DOMAINS": "exa mple.com", "TRIGGER_BUDGET_MS": "9000", "CLAIMS_TABLE": "claims"})
	// The emulator answers an init failure with HTTP 502, which the harness
	// reports as an error: either way the function must not answer.
	res, err := fn.Invoke(context.Background(), fixture(t, "presignup-signup.json", "jane@example.com"))
	if err == nil && !res.Failed() {
		t.Fatalf("a misconfigured function answered: %s", res.Body)
	}
	logs := string(fn.Logs())
	for _, name := range []string{"ALLOWED_EMAIL_DOMAINS", "TRIGGER_BUDGET_MS", "AWS_REGION"} {
		if !strings.Contains(logs, name) {
			t.Errorf("cold-start error does not name %s:\n%s", name, logs)
		}
	}
}

// TestBinaryWithNothingConfigured refuses every sign-up and says why once.
func TestBinaryWithNothingConfigured(t *testing.T) {
	fn := startFunction(t, map[string]string{})
	res, err := fn.Invoke(context.Background(), fixture(t, "presignup-signup.json", "jane@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if res.ErrorMessage != presignup.RefusalMessage {
		t.Errorf("got %q, want a refusal", res.ErrorMessage)
	}
	if !strings.Contains(string(fn.Logs()), "every sign-up will be refused") {
		t.Errorf("cold start did not log why:\n%s", fn.Logs())
	}
}
