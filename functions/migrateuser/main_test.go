package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/bcrypt"

	"github.com/cognito-triggers/suite/internal/harness"
	"github.com/cognito-triggers/suite/internal/legacyserver"
	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/migrateuser"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

func TestMain(m *testing.M) { harness.Main(m) }

const (
	usersTable     = "legacy-users"
	passwordCanary = "pw-CANARY-e2e-51c0"
	apiKeyCanary   = "sk-CANARY-e2e-0b7d"
	rotatedKey     = "sk-CANARY-e2e-rotated-9f2a"
)

func auth(t *testing.T, user, password string) []byte {
	t.Helper()
	return testevent.Load(t, "migrateuser-authentication.json", testevent.Set("userName", user), testevent.SetRequest("password", password))
}

func forgot(t *testing.T, user string) []byte {
	t.Helper()
	return testevent.Load(t, "migrateuser-forgot-password.json", testevent.Set("userName", user))
}

// lastDecision is the function's latest decision line, decoded: the one
// line of an invocation that has an outcome.
func lastDecision(t *testing.T, fn *harness.Lambda) map[string]any {
	t.Helper()
	lines := fn.FunctionLogLines()
	for i := len(lines) - 1; i >= 0; i-- {
		var m map[string]any
		if err := json.Unmarshal(lines[i], &m); err != nil {
			t.Fatalf("log line is not JSON: %s", lines[i])
		}
		if _, ok := m["outcome"]; ok {
			return m
		}
	}
	t.Fatalf("no decision line in:\n%s", fn.Logs())
	return nil
}

// durationMs is the invocation's own measure of its time, from its
// decision line.
func durationMs(t *testing.T, line map[string]any) time.Duration {
	t.Helper()
	ms, ok := line["durationMs"].(float64)
	if !ok {
		t.Fatalf("no durationMs in %v", line)
	}
	return time.Duration(ms * float64(time.Millisecond))
}

func startFunction(t *testing.T, env map[string]string) *harness.Lambda {
	t.Helper()
	return harness.LambdaT(t, harness.LambdaOptions{Name: "migrateuser", Bootstrap: harness.BuildT(t, "./functions/migrateuser"), Env: env})
}

func sv(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func bv(v bool) types.AttributeValue   { return &types.AttributeValueMemberBOOL{Value: v} }

// outcome is what one invocation should produce.
type outcome int

const (
	migrated    outcome = iota // a profile with finalUserStatus
	unchanged                  // the event as sent: Cognito's "no such user"
	userSafeErr                // the generic error text
)

type call struct {
	name   string
	event  []byte
	want   outcome
	status string          // finalUserStatus when migrated
	reason decision.Reason // of the decision line, when not ""
}

// check invokes fn with every call and checks the outcome and, where a
// call names one, the reason the decision line gives.
func check(t *testing.T, fn *harness.Lambda, calls []call) {
	t.Helper()
	for _, c := range calls {
		res, err := fn.Invoke(context.Background(), c.event)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if c.reason != "" {
			if got := lastDecision(t, fn)["reason"]; got != string(c.reason) {
				t.Errorf("%s: reason %v, want %s", c.name, got, c.reason)
			}
		}
		switch c.want {
		case migrated:
			if res.Failed() || !bytes.Contains(res.Body, []byte(`"finalUserStatus":"`+c.status+`"`)) || !bytes.Contains(res.Body, []byte(`"messageAction":"SUPPRESS"`)) {
				t.Errorf("%s: got %q %s, want a %s migration", c.name, res.ErrorMessage, res.Body, c.status)
			}
			if bytes.Contains(res.Body, []byte("forceAliasCreation")) {
				t.Errorf("%s: forceAliasCreation set", c.name)
			}
		case unchanged:
			// The answer is re-encoded from the typed event: the same JSON
			// value as the event, not necessarily the same bytes.
			if res.Failed() {
				t.Errorf("%s: got %q, want the event unchanged", c.name, res.ErrorMessage)
			} else if diff := cmp.Diff(decode(t, c.event), decode(t, res.Body)); diff != "" {
				t.Errorf("%s: the answer is not the event (-sent +answered):\n%s", c.name, diff)
			}
		case userSafeErr:
			if res.ErrorMessage != decision.GenericMessage {
				t.Errorf("%s: got %q %s, want %q", c.name, res.ErrorMessage, res.Body, decision.GenericMessage)
			}
		}
	}
}

func decode(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not JSON: %v: %s", err, raw)
	}
	return m
}

// checkLogs asserts every function log line is JSON and free of canaries.
func checkLogs(t *testing.T, fn *harness.Lambda, minLines int, canaries ...string) {
	t.Helper()
	lines := fn.FunctionLogLines()
	if len(lines) < minLines {
		t.Errorf("%d function log lines, want at least %d", len(lines), minLines)
	}
	for _, line := range lines {
		if !json.Valid(line) {
			t.Errorf("log line is not JSON: %s", line)
		}
	}
	all := fn.Logs()
	for _, c := range canaries {
		if bytes.Contains(all, []byte(c)) {
			t.Errorf("canary %q in the function's output", c)
		}
	}
}

// TestBinaryTableSource: the real binary under the emulator, the legacy
// users exported into local DynamoDB, one published vector per hash scheme
// (right password, wrong password, corrupted record), Firebase parameters
// from local Secrets Manager, and the bookkeeping of who migrated.
func TestBinaryTableSource(t *testing.T) {
	ctx := context.Background()
	moto := harness.MotoT(t)
	if err := moto.CreateTable(ctx, usersTable, "username", ""); err != nil {
		t.Fatal(err)
	}
	vectors, projects, err := legacyserver.LoadVectors("../../pkg/passhash/testdata")
	if err != nil {
		t.Fatal(err)
	}
	if err := moto.CreateSecret(ctx, "legacy/firebase", projects["readme"].SecretJSON()); err != nil {
		t.Fatal(err)
	}
	byName := map[string]legacyserver.Vector{}
	for _, v := range vectors {
		byName[v.Name] = v
	}
	put := func(user string, item map[string]types.AttributeValue) {
		t.Helper()
		item["username"] = sv(user)
		if err := moto.PutItem(ctx, usersTable, item); err != nil {
			t.Fatal(err)
		}
	}
	profile := func(user, hash string, verified bool) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"password_hash": sv(hash), "email": sv(user), "email_verified": bv(verified),
			"name": sv("Legacy User"), "custom:role": sv("admin")}
	}

	var calls []call
	// One right/wrong/corrupt triple per scheme, from passhash's vectors.
	for _, sc := range []struct{ scheme, good, corrupt string }{
		{"bcrypt", "x-crypto-allmine-cost10", "derived-truncated"},
		{"argon2id", "phc-m256-t2-p1", "derived-digest-too-short"},
		{"pbkdf2-django", "django-1.4-letmein", "derived-django-truncated"},
		{"pbkdf2-phc", "derived-phc-standard-alphabet", "derived-phc-padded"},
		{"firebase_scrypt", "readme-user1password", "derived-hash-shorter-than-key"},
	} {
		good, bad := byName[sc.good], byName[sc.corrupt]
		if good.Encoded == "" || bad.Encoded == "" || !good.Match || bad.Err != "malformed" {
			t.Fatalf("%s: vectors %q / %q missing or not as expected", sc.scheme, sc.good, sc.corrupt)
		}
		user, broken := sc.scheme+"@example.com", sc.scheme+".broken@example.com"
		put(user, profile(user, good.Encoded, true))
		put(broken, profile(broken, bad.Encoded, true))
		calls = append(calls,
			call{sc.scheme + " right password", auth(t, user, string(good.Password)), migrated, "CONFIRMED", ""},
			call{sc.scheme + " wrong password", auth(t, user, string(good.Password)+"x"), unchanged, "", decision.ReasonInvalidCredentials},
			call{sc.scheme + " corrupted hash", auth(t, broken, string(bad.Password)), unchanged, "", decision.ReasonHashMalformed},
		)
	}
	canaryHash, _ := bcrypt.GenerateFromPassword([]byte(passwordCanary), bcrypt.MinCost)
	put("canary@example.com", profile("canary@example.com", string(canaryHash), true))
	put("unverified@example.com", profile("unverified@example.com", string(canaryHash), false))
	put("outsider@evil.io", profile("outsider@evil.io", string(canaryHash), true))
	put("typed@example.com", map[string]types.AttributeValue{"password_hash": sv(string(canaryHash)), "email": sv("typed@example.com"), "email_verified": sv("true")})
	calls = append(calls,
		call{"canary user", auth(t, "canary@example.com", passwordCanary), migrated, "CONFIRMED", ""},
		call{"unknown user", auth(t, "nobody@example.com", passwordCanary), unchanged, "", decision.ReasonInvalidCredentials},
		call{"unverified email signs in", auth(t, "unverified@example.com", passwordCanary), migrated, "CONFIRMED", ""},
		call{"gate refuses the legacy domain", auth(t, "outsider@evil.io", passwordCanary), unchanged, "", decision.ReasonGateRefused},
		call{"string-typed flag with the right password", auth(t, "typed@example.com", passwordCanary), userSafeErr, "", decision.ReasonLegacyMalformed},
		call{"string-typed flag with a wrong password", auth(t, "typed@example.com", "wrong"), unchanged, "", decision.ReasonInvalidCredentials},
		call{"forgot password, vouched", forgot(t, "canary@example.com"), migrated, "RESET_REQUIRED", ""},
		call{"forgot password, not vouched", forgot(t, "unverified@example.com"), unchanged, "", decision.ReasonNotVouched},
		call{"forgot password, unknown", forgot(t, "nobody@example.com"), unchanged, "", decision.ReasonNotFound},
	)

	env := moto.Env()
	env["LEGACY_SOURCE"] = "table"
	env["LEGACY_USERS_TABLE"] = usersTable
	env["LEGACY_SECRET_ID"] = "legacy/firebase"
	env["LEGACY_ATTRIBUTES"] = "name"
	env["ALLOWED_EMAIL_DOMAINS"] = "example.com"
	fn := startFunction(t, env)
	check(t, fn, calls)

	// The migrated profile: allowlisted attributes only.
	res, err := fn.Invoke(ctx, auth(t, "canary@example.com", passwordCanary))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Response triggers.MigrateUserResponse `json:"response"`
	}
	if err := json.Unmarshal(res.Body, &got); err != nil {
		t.Fatal(err)
	}
	want := triggers.Attributes{"email": "canary@example.com", "email_verified": "true", "name": "Legacy User"}
	if diff := diffAttrs(want, got.Response.UserAttributes); diff != "" {
		t.Errorf("migrated attributes: %s", diff)
	}

	// migrated_at is set on exactly the users handed to Cognito.
	out, err := moto.DynamoDB().Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(usersTable), FilterExpression: aws.String("attribute_exists(migrated_at)"),
		ProjectionExpression: aws.String("username")})
	if err != nil {
		t.Fatal(err)
	}
	var marked []string
	for _, it := range out.Items {
		marked = append(marked, it["username"].(*types.AttributeValueMemberS).Value)
	}
	wantMarked := []string{"argon2id@example.com", "bcrypt@example.com", "canary@example.com", "firebase_scrypt@example.com",
		"pbkdf2-django@example.com", "pbkdf2-phc@example.com", "unverified@example.com"}
	if !sameSet(marked, wantMarked) {
		t.Errorf("migrated_at set on %v, want %v", marked, wantMarked)
	}
	checkLogs(t, fn, len(calls)+1, passwordCanary)
}

func diffAttrs(want, got triggers.Attributes) string {
	var b strings.Builder
	for k, v := range want {
		if got[k] != v {
			b.WriteString(k + " = " + got[k] + ", want " + v + "; ")
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			b.WriteString("unexpected " + k + "; ")
		}
	}
	return b.String()
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

// TestBinaryHTTPSource: the real binary, a real legacy endpoint on loopback
// (internal/legacyserver) and the API key in local Secrets Manager,
// including a key rotation between calls and every way the endpoint can
// misbehave.
func TestBinaryHTTPSource(t *testing.T) {
	ctx := context.Background()
	moto := harness.MotoT(t)
	if err := moto.CreateSecret(ctx, "legacy/api", `{"api_key":"`+apiKeyCanary+`"}`); err != nil {
		t.Fatal(err)
	}
	srv, err := legacyserver.Start(apiKeyCanary,
		legacyserver.Account{Password: passwordCanary, User: legacyserver.User{Username: "maria@example.com", Email: "maria@example.com", EmailVerified: true,
			Attributes: map[string]string{"name": "Maria", "custom:role": "admin"}}},
		legacyserver.Account{Password: passwordCanary, User: legacyserver.User{Username: "unproven@example.com", Email: "unproven@example.com"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	const budget, legacyTimeout = 1500 * time.Millisecond, 500 * time.Millisecond
	env := moto.Env()
	env["LEGACY_SOURCE"] = "http"
	env["LEGACY_AUTH_URL"] = srv.URL
	env["LEGACY_SECRET_ID"] = "legacy/api"
	env["LEGACY_ATTRIBUTES"] = "name"
	env["LEGACY_TIMEOUT_MS"] = "500"
	env["TRIGGER_BUDGET_MS"] = "1500"
	env["ALLOWED_EMAIL_DOMAINS"] = "example.com"
	fn := startFunction(t, env)

	check(t, fn, []call{
		{"right password", auth(t, "maria@example.com", passwordCanary), migrated, "CONFIRMED", ""},
		{"wrong password", auth(t, "maria@example.com", passwordCanary+"x"), unchanged, "", decision.ReasonInvalidCredentials},
		{"unknown user", auth(t, "nobody@example.com", passwordCanary), unchanged, "", decision.ReasonInvalidCredentials},
		{"forgot password, vouched", forgot(t, "maria@example.com"), migrated, "RESET_REQUIRED", ""},
		{"forgot password, not vouched", forgot(t, "unproven@example.com"), unchanged, "", decision.ReasonNotVouched},
		{"forgot password, unknown", forgot(t, "nobody@example.com"), unchanged, "", decision.ReasonNotFound},
	})

	// Rotation: the legacy side and the secret change between two calls;
	// the cached key is refused once, the secret is read again, the
	// request is retried once with the new key.
	srv.SetAPIKey(rotatedKey)
	if _, err := moto.SecretsManager().PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String("legacy/api"), SecretString: aws.String(`{"api_key":"` + rotatedKey + `"}`),
	}); err != nil {
		t.Fatal(err)
	}
	refusedBefore, callsBefore := srv.Refused(legacyserver.PathVerify), srv.Calls(legacyserver.PathVerify)
	check(t, fn, []call{{"after rotation", auth(t, "maria@example.com", passwordCanary), migrated, "CONFIRMED", ""}})
	if r, c := srv.Refused(legacyserver.PathVerify)-refusedBefore, srv.Calls(legacyserver.PathVerify)-callsBefore; r != 1 || c != 2 {
		t.Errorf("rotation: %d refused of %d requests, want 1 of 2", r, c)
	}
	// The legacy side rotates again but the secret does not: refused,
	// refreshed (same key), no retry: an infrastructure error.
	srv.SetAPIKey("sk-unknown-to-us")
	check(t, fn, []call{{"key refused after refresh", auth(t, "maria@example.com", passwordCanary), userSafeErr, "", decision.ReasonLegacyRefused}})
	srv.SetAPIKey(rotatedKey)

	big := append(append([]byte(`{"result":"invalid","x":"`), bytes.Repeat([]byte("a"), 70<<10)...), `"}`...)
	for _, f := range []struct {
		name   string
		fault  *legacyserver.Fault
		reason decision.Reason
	}{
		{"HTTP 500", &legacyserver.Fault{Status: 500}, decision.ReasonLegacyError},
		{"HTTP 403", &legacyserver.Fault{Status: 403}, decision.ReasonLegacyRefused},
		{"HTTP 429", &legacyserver.Fault{Status: 429}, decision.ReasonLegacyThrottled},
		{"hang past the timeout", &legacyserver.Fault{Hang: true}, decision.ReasonLegacyTimeout},
		{"malformed body", &legacyserver.Fault{Body: []byte(`{"result":"ok","user":`)}, decision.ReasonLegacyMalformed},
		{"oversized body", &legacyserver.Fault{Body: big}, decision.ReasonLegacyMalformed},
		{"string-typed boolean", &legacyserver.Fault{Body: []byte(`{"result":"ok","user":{"username":"maria@example.com","email":"maria@example.com","email_verified":"true"}}`)}, decision.ReasonLegacyMalformed},
	} {
		srv.SetFault(legacyserver.PathVerify, f.fault)
		callsBefore := srv.Calls(legacyserver.PathVerify)
		check(t, fn, []call{{f.name, auth(t, "maria@example.com", passwordCanary), userSafeErr, "", f.reason}})
		// The function's own measure: within its budget, and for a hang
		// only after the legacy timeout cut the request off.
		line := lastDecision(t, fn)
		if d := durationMs(t, line); d > budget {
			t.Errorf("%s: answered after %v, budget %v", f.name, d, budget)
		} else if f.fault.Hang && d < legacyTimeout {
			t.Errorf("%s: answered after %v, before the legacy timeout", f.name, d)
		}
		if line[migrateuser.MetricLegacyErrors] != 1.0 {
			t.Errorf("%s: LegacyErrors %v, want 1", f.name, line[migrateuser.MetricLegacyErrors])
		}
		if n := srv.Calls(legacyserver.PathVerify) - callsBefore; n != 1 {
			t.Errorf("%s: %d requests, want 1 (no retry)", f.name, n)
		}
	}
	srv.SetFault(legacyserver.PathVerify, nil)
	checkLogs(t, fn, 13, passwordCanary, apiKeyCanary, rotatedKey)
	logs := string(fn.Logs())
	for _, r := range []decision.Reason{decision.ReasonLegacyError, decision.ReasonLegacyTimeout, decision.ReasonLegacyMalformed, decision.ReasonLegacyRefused} {
		if !strings.Contains(logs, `"reason":"`+string(r)+`"`) {
			t.Errorf("no decision line with reason %s", r)
		}
	}
}

// TestBinaryDependenciesDown: Secrets Manager or the legacy table failing
// in every way the harness can fail them gives the user-safe error within
// the budget, never a migration, and the reason the injected fault causes:
// the HTTP source needs the secret first, the table source reads the
// legacy users table first.
func TestBinaryDependenciesDown(t *testing.T) {
	ctx := context.Background()
	srv, err := legacyserver.Start(apiKeyCanary, legacyserver.Account{Password: passwordCanary,
		User: legacyserver.User{Username: "maria@example.com", Email: "maria@example.com", EmailVerified: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	const budget = 1000 * time.Millisecond
	// With the http source the AWS call is the secret's; with the table
	// source it is the legacy users table's, which is the legacy store.
	dependency := map[string]decision.Dependency{"http": decision.Secret, "table": decision.Legacy}
	for _, f := range harness.Faults {
		for _, source := range []string{"http", "table"} {
			t.Run(source+"/"+string(f), func(t *testing.T) {
				endpoint, stop, err := harness.StartFault(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(stop)
				env := map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
					"AWS_ENDPOINT_URL": endpoint, "TRIGGER_BUDGET_MS": "1000", "ALLOWED_EMAIL_DOMAINS": "example.com",
					"LEGACY_SOURCE": source, "LEGACY_SECRET_ID": "legacy/api", "LEGACY_AUTH_URL": srv.URL, "LEGACY_USERS_TABLE": usersTable}
				fn := startFunction(t, env)
				callsBefore := srv.Calls(legacyserver.PathVerify)
				check(t, fn, []call{{string(f), auth(t, "maria@example.com", passwordCanary), userSafeErr, "", dependency[source].Reason(f.Failure())}})
				line := lastDecision(t, fn)
				if d := durationMs(t, line); d > budget {
					t.Errorf("answered after %v, budget %v", d, budget)
				}
				if line[migrateuser.MetricLegacyErrors] != 1.0 {
					t.Errorf("LegacyErrors %v, want 1", line[migrateuser.MetricLegacyErrors])
				}
				if n := srv.Calls(legacyserver.PathVerify) - callsBefore; n != 0 {
					t.Errorf("the legacy endpoint was called %d times without a key", n)
				}
			})
		}
	}
}

// TestBinaryColdStartConfigErrors: a broken configuration fails the init
// with one error naming every bad variable.
func TestBinaryColdStartConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		env   map[string]string
		names []string
	}{
		{"nothing set", map[string]string{}, []string{"LEGACY_SOURCE", "MIGRATION_DOMAIN_GATE", "AWS_REGION"}},
		{"http without TLS or secret", map[string]string{"LEGACY_SOURCE": "http", "LEGACY_AUTH_URL": "http://legacy.example.com",
			"LEGACY_ATTRIBUTES": "name,sub,custom:tenant_id", "MIGRATION_DOMAIN_GATE": "off"}, []string{"LEGACY_AUTH_URL", "LEGACY_SECRET_ID", "LEGACY_ATTRIBUTES"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn := startFunction(t, tc.env)
			res, err := fn.Invoke(context.Background(), auth(t, "maria@example.com", passwordCanary))
			if err == nil && !res.Failed() {
				t.Fatalf("a misconfigured function answered: %s", res.Body)
			}
			logs := string(fn.Logs())
			for _, name := range tc.names {
				if !strings.Contains(logs, name) {
					t.Errorf("cold-start error does not name %s:\n%s", name, logs)
				}
			}
		})
	}
}
