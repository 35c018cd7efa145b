package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cognito-triggers/suite/internal/harness"
	"github.com/cognito-triggers/suite/pkg/presignup"
)

func TestMain(m *testing.M) { harness.Main(m) }

const table = "claims"

func fixture(t *testing.T, name, email string) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev["request"].(map[string]any)["userAttributes"].(map[string]any)["email"] = email
	out, _ := json.Marshal(ev)
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
	}{
		{"presignup-signup.json", "jane@example.com", true},
		{"presignup-signup.json", "ann@partner.example.org", true},
		{"presignup-signup.json", "eve@evil.io", false},
		{"presignup-signup.json", "eve@example.com.", false},
		{"presignup-admin-create-user.json", "bob@partner.example.org", true},
		{"presignup-admin-create-user.json", "bob@evil.io", false},
		{"presignup-external-provider.json", "fed@example.com", true},
		{"presignup-external-provider.json", "fed@gmail.com", false},
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
	lines := fn.FunctionLogLines()
	if len(lines) < len(tests) {
		t.Fatalf("%d function log lines for %d invocations", len(lines), len(tests))
	}
	for _, line := range lines {
		if !json.Valid(line) {
			t.Errorf("log line is not JSON: %s", line)
		}
		for _, pii := range []string{"jane@", "eve@", "bob@", "ann@", "fed@"} {
			if bytes.Contains(line, []byte(pii)) {
				t.Errorf("log line carries an address: %s", line)
			}
		}
	}
}

// TestBinaryRefusesWithinBudgetWhenTheTableFails: a stalled, refusing,
// throttling or missing table refuses the sign-up (fail closed), in time.
func TestBinaryRefusesWithinBudgetWhenTheTableFails(t *testing.T) {
	ctx := context.Background()
	const budgetMS = 1000
	for _, f := range []harness.Fault{harness.FaultStall, harness.FaultRefuse, harness.FaultThrottle, harness.Fault5xx, harness.FaultMalformed, harness.FaultMissingTable} {
		t.Run(string(f), func(t *testing.T) {
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
			if elapsed > budgetMS*time.Millisecond+50*time.Millisecond {
				t.Errorf("answered after %v, want within the %d ms budget + 50 ms", elapsed, budgetMS)
			}
			if logs := string(fn.Logs()); !strings.Contains(logs, `"outcome":"refused"`) {
				t.Errorf("no refusal decision line in:\n%s", logs)
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
