package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cognito-triggers/suite/internal/harness"
	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/pretoken"
	"github.com/cognito-triggers/suite/pkg/pretoken/pretokentest"
)

// These tests run the real bootstrap behind the Lambda Runtime Interface
// Emulator, with moto_server (or a fault server) as DynamoDB. A missing
// emulator or moto_server fails them with the fix in the message.
func TestMain(m *testing.M) { harness.Main(m) }

const (
	table = "claims"
	// The function's budget and table timeout are set low so that fault
	// tests are fast; the assertion is "answered within the budget".
	budgetMS       = 1000
	tableTimeoutMS = 500
)

// The subs of the fixtures in events/.
var fixtureSubs = map[string]string{
	"pretoken-v1-authentication.json":         "7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b",
	"pretoken-v1-refresh-tokens.json":         "7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b",
	"pretoken-v2-hosted-auth.json":            "e2b7c9d4-5a6f-4b8e-9c1d-3f2a1b0e9d8c",
	"pretoken-v2-new-password-challenge.json": "0d8f6b3a-9e2c-4d71-b5a4-6f1e2d3c4b5a",
	"pretoken-v3-authenticate-device.json":    "7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b",
	"pretoken-v3-client-credentials.json":     "",
}

const m2mClient = "7m2mclient0example1"

// emails of the fixtures, which must never reach a log line.
var fixtureEmails = []string{"jane.doe", "sam.lee", "john.roe", "@example.com"}

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	return testevent.Raw(t, name)
}

// addedClaims returns the claims the answer adds, for each token it
// changes.
func addedClaims(t *testing.T, body []byte) map[string]map[string]any {
	t.Helper()
	var ev struct {
		Response struct {
			V1 *struct {
				Add map[string]any `json:"claimsToAddOrOverride"`
			} `json:"claimsOverrideDetails"`
			V2 *map[string]struct {
				Add map[string]any `json:"claimsToAddOrOverride"`
			} `json:"claimsAndScopeOverrideDetails"`
		} `json:"response"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, body)
	}
	got := map[string]map[string]any{}
	if v1 := ev.Response.V1; v1 != nil {
		got["claimsOverrideDetails"] = v1.Add
	}
	if v2 := ev.Response.V2; v2 != nil {
		for _, tok := range []string{"idTokenGeneration", "accessTokenGeneration"} {
			if part, ok := (*v2)[tok]; ok {
				got[tok] = part.Add
			}
		}
	}
	return got
}

// assertClaims fails the test unless every token the answer changes gets
// exactly tenant and role.
func assertClaims(t *testing.T, body []byte, tenant, role string) {
	t.Helper()
	got := addedClaims(t, body)
	if len(got) == 0 {
		t.Errorf("answer adds no claims:\n%s", body)
	}
	for where, add := range got {
		if len(add) != 2 || add["tenant_id"] != tenant || add["app_role"] != role {
			t.Errorf("%s adds %v, want tenant_id %q and app_role %q", where, add, tenant, role)
		}
	}
}

// sameJSON reports whether two answers are the same JSON value: the
// answer is the event re-encoded, whose member order is not fixed.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	return reflect.DeepEqual(x, y)
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// claimsTable creates the claims table on m.
func claimsTable(t *testing.T, m *harness.Moto, items ...map[string]types.AttributeValue) {
	t.Helper()
	if err := m.CreateTable(t.Context(), table, "pk", ""); err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if err := m.PutItem(t.Context(), table, it); err != nil {
			t.Fatal(err)
		}
	}
}

func userItem(sub, tenant, role string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": s("user#" + sub), "tenant_id": s(tenant), "app_role": s(role)}
}

// startFunction starts the pretoken bootstrap with env (AWS settings
// included) plus the test's defaults.
func startFunction(t *testing.T, env map[string]string) *harness.Lambda {
	t.Helper()
	boot := harness.BuildT(t, "./functions/pretoken")
	full := map[string]string{
		"CLAIMS_TABLE":      table,
		"TRIGGER_BUDGET_MS": "1000",
		"TABLE_TIMEOUT_MS":  "500",
		"AWS_REGION":        harness.Region,
		// The region and credentials are always set in Lambda.
		"AWS_ACCESS_KEY_ID":     harness.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": harness.SecretAccessKey,
	}
	for k, v := range env {
		full[k] = v
	}
	return harness.LambdaT(t, harness.LambdaOptions{Name: "pretoken", Bootstrap: boot, Env: full})
}

// decisionLines returns the function's decision lines, decoded, failing
// the test on any line that is not JSON or that carries an email.
func decisionLines(t *testing.T, l *harness.Lambda) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range l.FunctionLogLines() {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Errorf("function log line is not JSON: %s", line)
			continue
		}
		for _, e := range fixtureEmails {
			if bytes.Contains(line, []byte(e)) {
				t.Errorf("function log line carries an email (%q): %s", e, line)
			}
		}
		if m["message"] == "decision" {
			out = append(out, m)
		}
	}
	return out
}

// TestFixtures: every pre-token event in events/ gets the table's tenant
// and role (never the custom:tenant_id or clientMetadata it carries),
// clean claims, and its groups unchanged.
func TestFixtures(t *testing.T) {
	m := harness.MotoT(t)
	items := []map[string]types.AttributeValue{{
		"pk": s("client#" + m2mClient), "tenant_id": s("initech"), "app_role": s("service"),
		"scopes": &types.AttributeValueMemberSS{Value: []string{"https://api.example.com/reports.read"}},
	}}
	for _, sub := range fixtureSubs {
		if sub != "" {
			items = append(items, userItem(sub, "initech", "analyst"))
		}
	}
	claimsTable(t, m, items...)
	l := startFunction(t, m.Env())
	names, err := filepath.Glob(filepath.Join(testevent.Dir(), "pretoken-*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(fixtureSubs) {
		t.Fatalf("%d pre-token fixtures in events/, the test knows %d: add the new one", len(names), len(fixtureSubs))
	}
	for _, path := range names {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			in := readEvent(t, name)
			res, err := l.Invoke(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			if res.Failed() {
				t.Fatalf("denied: %s %s", res.ErrorType, res.ErrorMessage)
			}
			if p := pretokentest.LintClaims(res.Body); len(p) > 0 {
				t.Errorf("claim lint: %s", strings.Join(p, "; "))
			}
			if err := pretokentest.GroupsCopied(in, res.Body); err != nil {
				t.Error(err)
			}
			role := "analyst"
			if fixtureSubs[name] == "" {
				role = "service"
			}
			assertClaims(t, res.Body, "initech", role)
			for _, hostile := range []string{`"tenant_id":"acme"`, `"tenant_id":"globex"`, `ACME/../globex`} {
				if strings.Contains(responseOf(t, res.Body), hostile) {
					t.Errorf("response carries a caller-set tenant %s", hostile)
				}
			}
		})
	}
	lines := decisionLines(t, l)
	if len(lines) != len(names) {
		t.Errorf("%d decision lines for %d invocations", len(lines), len(names))
	}
}

func responseOf(t *testing.T, body []byte) string {
	t.Helper()
	var ev struct {
		Response json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, body)
	}
	return string(ev.Response)
}

// TestFirstSignInBinding: a user with no record and a verified email in a
// domain with a domain# record is bound, once, by the real conditional
// write; a replay gets the same answer and writes nothing.
func TestFirstSignInBinding(t *testing.T) {
	m := harness.MotoT(t)
	claimsTable(t, m, map[string]types.AttributeValue{"pk": s("domain#example.com"), "tenant_id": s("acme"), "default_role": s("member")})
	l := startFunction(t, m.Env())
	in := readEvent(t, "pretoken-v2-hosted-auth.json")
	first, err := l.Invoke(t.Context(), in)
	if err != nil || first.Failed() {
		t.Fatalf("first sign-in: %v %s", err, first.ErrorMessage)
	}
	assertClaims(t, first.Body, "acme", "member")
	out, err := m.DynamoDB().GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(table),
		Key: map[string]types.AttributeValue{"pk": s("user#" + fixtureSubs["pretoken-v2-hosted-auth.json"])}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	str := func(k string) string { v, _ := out.Item[k].(*types.AttributeValueMemberS); return v.Value }
	if str("tenant_id") != "acme" || str("app_role") != "member" || str("bound_from") != "domain#example.com" {
		t.Errorf("binding item = %v", out.Item)
	}
	if _, err := time.Parse(time.RFC3339, str("bound_at")); err != nil {
		t.Errorf("bound_at %q is not RFC 3339", str("bound_at"))
	}
	again, err := l.Invoke(t.Context(), in)
	if err != nil || again.Failed() || !sameJSON(t, first.Body, again.Body) {
		t.Errorf("replay: %v %s\n%s", err, again.ErrorMessage, again.Body)
	}
	lines := decisionLines(t, l)
	if len(lines) != 2 || lines[0]["bound"] != true || lines[0]["BoundFromDomain"] != 1.0 || lines[1]["bound"] != false {
		t.Errorf("decision lines: %v", lines)
	}
}

// TestWarmCacheHit: with a counting proxy in front of moto, the second
// sign-in of a warm container makes no table call; with the cache off it
// does.
func TestWarmCacheHit(t *testing.T) {
	m := harness.MotoT(t)
	sub := fixtureSubs["pretoken-v2-hosted-auth.json"]
	claimsTable(t, m, userItem(sub, "acme", "member"), map[string]types.AttributeValue{
		"pk": s("client#" + m2mClient), "tenant_id": s("initech"), "app_role": s("service")})
	proxy, err := harness.StartCountingProxy(t.Context(), m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Stop() })
	for _, tc := range []struct {
		ttl        string
		wantSecond int
	}{{"30s", 0}, {"0", 1}} {
		t.Run("CLAIMS_CACHE_TTL="+tc.ttl, func(t *testing.T) {
			env := m.Env()
			env["AWS_ENDPOINT_URL"] = proxy.Endpoint
			env["CLAIMS_CACHE_TTL"] = tc.ttl
			l := startFunction(t, env)
			for _, name := range []string{"pretoken-v2-hosted-auth.json", "pretoken-v3-client-credentials.json"} {
				in := readEvent(t, name)
				proxy.Reset()
				if res, err := l.Invoke(t.Context(), in); err != nil || res.Failed() {
					t.Fatalf("%s first: %v %s", name, err, res.ErrorMessage)
				}
				if n := proxy.Count("DynamoDB_20120810.GetItem"); n != 1 {
					t.Errorf("%s first invocation: %d GetItem, want 1", name, n)
				}
				proxy.Reset()
				if res, err := l.Invoke(t.Context(), in); err != nil || res.Failed() {
					t.Fatalf("%s second: %v %s", name, err, res.ErrorMessage)
				}
				if got := proxy.Counts(); got["DynamoDB_20120810.GetItem"] != tc.wantSecond || len(got) > tc.wantSecond {
					t.Errorf("%s second invocation: calls %v, want %d GetItem", name, got, tc.wantSecond)
				}
			}
			lines := decisionLines(t, l)
			wantCache := map[bool]string{true: "hit", false: "miss"}[tc.wantSecond == 0]
			if len(lines) != 4 || lines[1]["cache"] != wantCache || lines[3]["cache"] != wantCache {
				t.Errorf("decision lines' cache facts: %v", lines)
			}
		})
	}
}

// TestTableFaults: with DynamoDB stalled, refusing connections,
// throttling, failing, answering garbage or missing the table, the
// function denies the token with the generic text, within the budget by
// its own clock, and logs the reason that names the failure.
func TestTableFaults(t *testing.T) {
	// A warm-up event that is denied before any table call, so that the
	// measured invocations are not the cold start.
	warmUp := readEvent(t, "pretoken-v2-hosted-auth.json")
	warmUp = bytes.Replace(warmUp, []byte(`"sub"`), []byte(`"not_sub"`), 1)
	for _, f := range harness.Faults {
		t.Run(string(f), func(t *testing.T) {
			wantReason := decision.Table.Reason(f.Failure())
			endpoint, stop, err := harness.StartFault(t.Context(), f)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(stop)
			l := startFunction(t, map[string]string{"AWS_ENDPOINT_URL": endpoint, "CLAIMS_MISSING_POLICY": "omit"})
			if res, err := l.Invoke(t.Context(), warmUp); err != nil || res.ErrorMessage != pretoken.DenyMessage {
				t.Fatalf("warm-up: %v %q", err, res.ErrorMessage)
			}
			for _, name := range []string{"pretoken-v2-new-password-challenge.json", "pretoken-v3-client-credentials.json"} {
				res, err := l.Invoke(t.Context(), readEvent(t, name))
				if err != nil {
					t.Fatal(err)
				}
				if res.ErrorMessage != decision.GenericMessage {
					t.Errorf("%s: answered %q / %s, want the generic denial", name, res.ErrorMessage, res.Body)
				}
				// Cognito waits 5 s whatever the budget; how long the
				// function itself took is checked on its decision line.
				if res.Duration >= 5*time.Second {
					t.Errorf("%s: answered after %v, after Cognito gave up", name, res.Duration)
				}
			}
			lines := decisionLines(t, l)
			if len(lines) != 3 {
				t.Fatalf("%d decision lines, want 3", len(lines))
			}
			for _, line := range lines[1:] {
				if line["outcome"] != string(decision.OutcomeDenied) || line["reason"] != string(wantReason) {
					t.Errorf("decision: outcome %v reason %v, want denied %s (cause %v)", line["outcome"], line["reason"], wantReason, line["cause"])
				}
				if ms, ok := line["durationMs"].(float64); !ok || ms >= budgetMS {
					t.Errorf("decision took %v ms by the function's clock, want under the %d ms budget", line["durationMs"], budgetMS)
				}
				t.Logf("denied %s in %v ms", line["reason"], line["durationMs"])
			}
		})
	}
}

// TestBadConfigurationFailsInit: a reserved claim in SUPPRESS_CLAIMS stops
// the function at cold start, with a log line naming the variable.
func TestBadConfigurationFailsInit(t *testing.T) {
	l := startFunction(t, map[string]string{"SUPPRESS_CLAIMS": "custom:role,cognito:groups", "CLAIMS_CACHE_TTL": "5m"})
	res, err := l.Invoke(context.Background(), readEvent(t, "pretoken-v2-hosted-auth.json"))
	if err == nil && !res.Failed() {
		t.Fatalf("function answered with a bad configuration:\n%s", res.Body)
	}
	logs := string(bytes.Join(l.FunctionLogLines(), []byte("\n")))
	for _, want := range []string{"cold start failed", "SUPPRESS_CLAIMS", "cognito:groups", "CLAIMS_CACHE_TTL"} {
		if !strings.Contains(logs, want) {
			t.Errorf("init log lacks %q:\n%s", want, logs)
		}
	}
}
