package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/harness"
	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/postauth"
)

// Emulator tests: the real bootstrap, built as for deployment, behind the
// Lambda Runtime Interface Emulator, with moto_server as DynamoDB or a
// fault server in its place. The emulator serves one invocation at a time;
// concurrent deliveries are tested against the Go handler in pkg/postauth.

func TestMain(m *testing.M) { harness.Main(m) }

const table = "audit"

const sub = "7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b"

// fixture is the post authentication event in events/ after the edits.
func fixture(t *testing.T, edits ...testevent.Edit) []byte {
	t.Helper()
	return testevent.Load(t, "postauth-authentication.json", edits...)
}

// start builds the function (once per test binary) and starts it with env.
func start(t *testing.T, env map[string]string) *harness.Lambda {
	t.Helper()
	return harness.LambdaT(t, harness.LambdaOptions{
		Name:      "postauth",
		Bootstrap: harness.BuildT(t, "./functions/postauth"),
		Env:       env,
	})
}

// withMoto resets moto, creates the audit table and returns the function's
// environment pointing at it.
func withMoto(t *testing.T) (*harness.Moto, map[string]string) {
	t.Helper()
	m := harness.MotoT(t)
	if err := m.CreateTable(t.Context(), table, postauth.AttrPK, postauth.AttrSK); err != nil {
		t.Fatal(err)
	}
	env := m.Env()
	env["AUDIT_TABLE"] = table
	return m, env
}

// deliver delivers ev and requires a response (not a function error).
func deliver(t *testing.T, l *harness.Lambda, ev []byte) harness.Result {
	t.Helper()
	res, err := l.Invoke(t.Context(), ev)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	if res.Failed() {
		t.Fatalf("sign-in refused: %s (%s)", res.ErrorMessage, res.ErrorType)
	}
	var got, want map[string]any
	if err := json.Unmarshal(res.Body, &got); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, res.Body)
	}
	if err := json.Unmarshal(ev, &want); err != nil {
		t.Fatal(err)
	}
	want["response"] = map[string]any{}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("response is not the event with response {} (-want +got):\n%s", diff)
	}
	return res
}

// lines returns the function's decision lines. Every line the function
// prints must be a JSON object: main installs the JSON logger as slog's
// default, so even aws-lambda-go's own echo of a returned error (log.Printf
// in its runtime loop) arrives as JSON; that echo is checked to carry only a
// user-safe message and is not returned.
func lines(t *testing.T, l *harness.Lambda) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range l.FunctionLogLines() {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("function log line is not JSON: %v\n%s", err, line)
		}
		if msg, _ := m["message"].(string); msg != "decision" {
			var e struct{ ErrorMessage string }
			if json.Unmarshal([]byte(msg), &e) != nil || (e.ErrorMessage != decision.MalformedMessage && e.ErrorMessage != decision.GenericMessage) {
				t.Errorf("unexpected function log line: %s", line)
			}
			continue
		}
		out = append(out, m)
	}
	return out
}

func TestSignInsThroughEmulator(t *testing.T) {
	m, env := withMoto(t)
	l := start(t, env)
	base := fixture(t)

	before := time.Now().UTC().Truncate(time.Millisecond)
	first := deliver(t, l, base)
	after := time.Now().UTC()
	second := deliver(t, l, base) // Cognito's redelivery: same content, new request id
	newDevice := deliver(t, l, fixture(t, testevent.SetRequest("newDeviceUsed", true)))
	otherClient := deliver(t, l, fixture(t, testevent.SetCaller("clientId", "2example98765432")))

	recs, err := postauth.LastSignIns(t.Context(), m.DynamoDB(), table, sub, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d items, want 3 (the redelivery adds none): %+v", len(recs), recs)
	}
	byID := map[string]postauth.Record{}
	for _, r := range recs {
		byID[r.RequestID] = r
	}
	if _, ok := byID[second.RequestID]; ok {
		t.Error("the redelivery wrote an item")
	}
	for _, id := range []string{newDevice.RequestID, otherClient.RequestID} {
		if _, ok := byID[id]; !ok {
			t.Errorf("no item for request %s", id)
		}
	}

	// The first sign-in's item, field by field.
	got, ok := byID[first.RequestID]
	if !ok {
		t.Fatalf("no item for the first request %s: %+v", first.RequestID, recs)
	}
	if got.Time.Before(before) || got.Time.After(after) {
		t.Errorf("signed_in_at %v outside the invocation [%v, %v]", got.Time, before, after)
	}
	if ttl := got.ExpiresAt - got.Time.Unix(); ttl != 365*86400 {
		t.Errorf("expires_at is %d s after the sign-in, want 365 days", ttl)
	}
	if now := time.Now().Unix(); got.ExpiresAt < now+365*86400-60 || got.ExpiresAt > now+365*86400+60 {
		t.Errorf("expires_at %d is not about a year from now (%d)", got.ExpiresAt, now)
	}
	// The item never stores the idempotency key (see postauth.Record.Key).
	want := postauth.Record{Sub: sub, Time: got.Time, UserPoolID: "us-east-1_EXAMPLE", ClientID: "1example23456789",
		TriggerSource: "PostAuthentication_Authentication", NewDeviceUsed: false, RequestID: first.RequestID,
		ExpiresAt: got.ExpiresAt}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first item (-want +got):\n%s", diff)
	}

	// One decision line per invocation and nothing else, each the
	// sign_in event with its outcome and metrics.
	ls := lines(t, l)
	if len(ls) != 4 {
		t.Fatalf("%d function log lines for 4 invocations", len(ls))
	}
	wantOutcomes := []string{"recorded", "duplicate", "recorded", "recorded"}
	ids := []string{first.RequestID, second.RequestID, newDevice.RequestID, otherClient.RequestID}
	for i, line := range ls {
		if line["event"] != "sign_in" || line["sub"] != sub || line["outcome"] != wantOutcomes[i] || line["requestId"] != ids[i] {
			t.Errorf("line %d: event=%v sub=%v outcome=%v requestId=%v; want sign_in, %s, %s, %s",
				i, line["event"], line["sub"], line["outcome"], line["requestId"], sub, wantOutcomes[i], ids[i])
		}
		dup := 0.0
		if wantOutcomes[i] == "duplicate" {
			dup = 1
		}
		if line["DuplicateDeliveries"] != dup || line["AuditWriteFailures"] != 0.0 {
			t.Errorf("line %d: DuplicateDeliveries=%v AuditWriteFailures=%v", i, line["DuplicateDeliveries"], line["AuditWriteFailures"])
		}
	}
	if ls[2]["NewDeviceSignIns"] != 1.0 || ls[2]["newDevice"] != true || ls[2]["SignIns"] != 1.0 {
		t.Errorf("new-device line: %v", ls[2])
	}
	if ls[3]["clientId"] != "2example98765432" {
		t.Errorf("other-client line: clientId %v", ls[3]["clientId"])
	}
}

// TestFaultsThroughEmulator: a missing, stalled and throttled table, under
// both failure modes. The answer comes within AUDIT_TIMEOUT_MS; open mode
// lets the sign-in go on and its one log line holds the whole item; closed
// mode refuses with the generic message.
func TestFaultsThroughEmulator(t *testing.T) {
	const writeTimeout = 1500 * time.Millisecond     // AUDIT_TIMEOUT_MS's default
	const invocationBudget = 4000 * time.Millisecond // TRIGGER_BUDGET_MS's default
	for _, c := range []struct {
		fault  harness.Fault
		reason decision.Reason
	}{
		{harness.FaultMissingTable, decision.ReasonTableMissing},
		{harness.FaultStall, decision.ReasonTableTimeout},
		{harness.FaultThrottle, decision.ReasonTableThrottled},
	} {
		for _, mode := range []string{postauth.FailOpen, postauth.FailClosed} {
			t.Run(string(c.fault)+"/"+mode, func(t *testing.T) {
				t.Parallel()
				endpoint, stop, err := harness.StartFault(t.Context(), c.fault)
				if err != nil {
					t.Fatal(err)
				}
				defer stop()
				l := start(t, map[string]string{
					"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": harness.Region,
					"AWS_ACCESS_KEY_ID": harness.AccessKeyID, "AWS_SECRET_ACCESS_KEY": harness.SecretAccessKey,
					"AUDIT_TABLE": table, "AUDIT_FAILURE_MODE": mode,
				})
				ev := fixture(t, testevent.SetRequest("newDeviceUsed", true))
				before := time.Now().UTC().Truncate(time.Millisecond)
				res, err := l.Invoke(t.Context(), ev)
				if err != nil {
					t.Fatal(err)
				}
				after := time.Now().UTC()
				ls := lines(t, l)
				if len(ls) != 1 {
					t.Fatalf("%d function log lines, want the one decision line", len(ls))
				}
				line := ls[0]
				// The round trip includes the cold start; the function's own
				// duration says whether the write stopped at its own budget
				// rather than at the invocation's: below the midpoint of the
				// two, a margin of more than a second for a loaded machine.
				if ms, _ := line["durationMs"].(float64); ms > decision.Millis((writeTimeout+invocationBudget)/2) {
					t.Errorf("decision took %.1f ms; the write budget is %v, the invocation's %v", ms, writeTimeout, invocationBudget)
				}
				if line["reason"] != string(c.reason) || line["AuditWriteFailures"] != 1.0 {
					t.Errorf("reason=%v AuditWriteFailures=%v; want %s, 1", line["reason"], line["AuditWriteFailures"], c.reason)
				}
				if mode == postauth.FailClosed {
					if res.ErrorMessage != decision.GenericMessage {
						t.Errorf("closed mode answered %q (%s); want the generic refusal", res.ErrorMessage, res.Body)
					}
					if line["outcome"] != "refused" || line["audit"] != nil {
						t.Errorf("closed mode line: outcome %v, audit %v", line["outcome"], line["audit"])
					}
					return
				}
				if res.Failed() {
					t.Fatalf("open mode refused the sign-in: %s", res.ErrorMessage)
				}
				if line["outcome"] != "audit_failed" || line["SignIns"] != 1.0 || line["NewDeviceSignIns"] != 1.0 {
					t.Errorf("open mode line: outcome %v SignIns %v NewDeviceSignIns %v", line["outcome"], line["SignIns"], line["NewDeviceSignIns"])
				}
				group, ok := line["audit"].(map[string]any)
				if !ok {
					t.Fatalf("no audit group on the line: %v", line)
				}
				// Rebuild the record the item would have held from the event,
				// the request id and the logged time, and compare.
				at, err := time.Parse(postauth.TimeLayout, fmt.Sprint(group["signed_in_at"]))
				if err != nil || at.Before(before) || at.After(after) {
					t.Errorf("signed_in_at %v (%v) outside the invocation", group["signed_in_at"], err)
				}
				key, err := postauth.IdempotencyKey(ev)
				if err != nil {
					t.Fatal(err)
				}
				rec := &postauth.Record{Sub: sub, Time: at, UserPoolID: "us-east-1_EXAMPLE", ClientID: "1example23456789",
					TriggerSource: "PostAuthentication_Authentication", NewDeviceUsed: true, RequestID: res.RequestID,
					Key: key, ExpiresAt: at.Add(365 * 24 * time.Hour).Unix()}
				if diff := cmp.Diff(plain(t, postauth.Item(rec)), group); diff != "" {
					t.Errorf("rebuild line vs the item it stands for (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// plain is an item as its JSON log rendering decodes.
func plain(t *testing.T, item map[string]types.AttributeValue) map[string]any {
	t.Helper()
	out := map[string]any{}
	for k, v := range item {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			out[k] = v.Value
		case *types.AttributeValueMemberN:
			f, err := strconv.ParseFloat(v.Value, 64)
			if err != nil {
				t.Fatal(err)
			}
			out[k] = f
		case *types.AttributeValueMemberBOOL:
			out[k] = v.Value
		}
	}
	return out
}

func TestMalformedThroughEmulator(t *testing.T) {
	m, env := withMoto(t)
	l := start(t, env)
	for name, ev := range map[string][]byte{
		"truncated JSON":  []byte(`{"version":"1","triggerSource":`),
		"no sub":          fixture(t, testevent.SetAttr("sub", nil)),
		"request missing": fixture(t, testevent.Set("request", nil)),
		"another trigger": fixture(t, testevent.Set("triggerSource", "PreSignUp_SignUp")),
	} {
		res, err := l.Invoke(t.Context(), ev)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.ErrorMessage != decision.MalformedMessage {
			t.Errorf("%s: answered %q / %s; want the malformed-event refusal", name, res.ErrorMessage, res.Body)
		}
	}
	out, err := m.DynamoDB().Scan(t.Context(), &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 0 {
		t.Errorf("malformed events wrote %d items", len(out.Items))
	}
	for _, line := range lines(t, l) {
		if line["outcome"] != "error" {
			t.Errorf("line outcome %v, want error: %v", line["outcome"], line)
		}
	}
}

// TestNoCanaryInLogs plants a canary in the email and in client metadata
// (also under "password") and checks everything the emulator printed, for a
// recorded sign-in, a redelivery and an open-mode failure.
func TestNoCanaryInLogs(t *testing.T) {
	const canary = "canary-3b9e"
	ev := fixture(t,
		testevent.SetAttr("email", canary+"@example.com"),
		testevent.SetRequest("clientMetadata", map[string]any{"password": canary + "-password", "email": canary + "@example.org", "note": canary}))
	_, env := withMoto(t)
	healthy := start(t, env)
	deliver(t, healthy, ev)
	deliver(t, healthy, ev)

	endpoint, stop, err := harness.StartFault(t.Context(), harness.FaultMissingTable)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	env["AWS_ENDPOINT_URL"] = endpoint
	failing := start(t, env)
	deliver(t, failing, ev)

	for _, l := range []*harness.Lambda{healthy, failing} {
		if len(l.FunctionLogLines()) == 0 {
			t.Fatal("no function log lines to check")
		}
		for _, leak := range []string{canary, "@example.", "jane.doe"} {
			if bytes.Contains(l.Logs(), []byte(leak)) {
				t.Errorf("%q reached the log:\n%s", leak, l.Logs())
			}
		}
	}
}

// TestBadConfigurationFailsInit: a cold start with a bad configuration
// fails, naming every bad variable.
func TestBadConfigurationFailsInit(t *testing.T) {
	l := start(t, map[string]string{"AWS_REGION": harness.Region, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y",
		"AUDIT_FAILURE_MODE": "sometimes", "AUDIT_RETENTION_DAYS": "0"})
	res, err := l.Invoke(t.Context(), fixture(t))
	if err == nil && !res.Failed() {
		t.Fatalf("the function answered despite its configuration: %s", res.Body)
	}
	for _, name := range []string{"AUDIT_TABLE", "AUDIT_FAILURE_MODE", "AUDIT_RETENTION_DAYS"} {
		if !bytes.Contains(l.Logs(), []byte(name)) {
			t.Errorf("the init failure does not name %s:\n%s", name, l.Logs())
		}
	}
}
