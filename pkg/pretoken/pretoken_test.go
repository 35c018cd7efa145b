package pretoken

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/pretoken/pretokentest"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// The subs and client of the fixtures in events/.
const (
	subJane   = "7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b" // v1-*, v3-authenticate-device
	subSam    = "e2b7c9d4-5a6f-4b8e-9c1d-3f2a1b0e9d8c" // v2-hosted-auth
	subJohn   = "0d8f6b3a-9e2c-4d71-b5a4-6f1e2d3c4b5a" // v2-new-password-challenge (hostile custom:tenant_id)
	subMaria  = "a1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d" // testdata/pretoken-v2-2kb.json
	clientM2M = "7m2mclient0example1"                  // v3-client-credentials
)

// seeded returns a store holding a record for every fixture's user and
// client, each with a tenant no event mentions ("initech"), so that a
// tenant in a token can only have come from the table.
func seeded() *fakeStore {
	s := newFakeStore()
	for _, sub := range []string{subJane, subSam, subJohn, subMaria} {
		s.users[sub] = trustedtable.UserRecord{TenantID: "initech", AppRole: "analyst"}
	}
	s.clients[clientM2M] = trustedtable.ClientRecord{TenantID: "initech", AppRole: "service",
		Scopes: []string{"https://api.example.com/reports.read", "https://api.example.com/tenant.initech"}}
	return s
}

func withoutUser(sub string) func(*fakeStore) {
	return func(s *fakeStore) { delete(s.users, sub) }
}

func withDomain(domain, tenant, role string) func(*fakeStore) {
	return func(s *fakeStore) { s.domains[domain] = trustedtable.DomainRecord{TenantID: tenant, DefaultRole: role} }
}

func withUser(sub, tenant, role string) func(*fakeStore) {
	return func(s *fakeStore) { s.users[sub] = trustedtable.UserRecord{TenantID: tenant, AppRole: role} }
}

func withClient(rec trustedtable.ClientRecord) func(*fakeStore) {
	return func(s *fakeStore) { s.clients[clientM2M] = rec }
}

type decideCase struct {
	name    string
	fixture string
	edit    func(map[string]any)
	cfg     Config
	seed    []func(*fakeStore)
	// want is the expected response member for answered events, given the
	// request's decoded groupConfiguration; nil for denials.
	want        func(groups any) map[string]any
	wantOutcome string
	wantReason  string
	wantMessage string // denials: the text the user sees
	wantBound   bool
}

func decideCases() []decideCase {
	initechAnalyst := claims("initech", "analyst")
	v1 := func(groups any) map[string]any { return wantV1(initechAnalyst, groups) }
	v2 := func(groups any) map[string]any { return wantV2(initechAnalyst, groups) }
	return []decideCase{
		// Every pre-token fixture, with a record in the table.
		{name: "v1 authentication", fixture: "pretoken-v1-authentication.json", want: v1, wantOutcome: OutcomeClaimsAdded},
		{name: "v1 refresh with role-bearing group", fixture: "pretoken-v1-refresh-tokens.json", want: v1, wantOutcome: OutcomeClaimsAdded},
		{name: "v2 hosted auth (federated)", fixture: "pretoken-v2-hosted-auth.json", want: v2, wantOutcome: OutcomeClaimsAdded},
		{name: "v2 hostile custom:tenant_id and clientMetadata", fixture: "pretoken-v2-new-password-challenge.json", want: v2, wantOutcome: OutcomeClaimsAdded},
		{name: "v3 authenticate device", fixture: "pretoken-v3-authenticate-device.json", want: v2, wantOutcome: OutcomeClaimsAdded},
		{name: "v2 2 KB event", fixture: "testdata/pretoken-v2-2kb.json", want: v2, wantOutcome: OutcomeClaimsAdded},
		{name: "v3 client credentials", fixture: "pretoken-v3-client-credentials.json", wantOutcome: OutcomeClaimsAdded,
			want: func(any) map[string]any {
				return wantM2M(claims("initech", "service"),
					[]any{"https://api.example.com/reports.read", "https://api.example.com/tenant.initech"})
			}},
		{name: "v3 client credentials without scopes", fixture: "pretoken-v3-client-credentials.json", wantOutcome: OutcomeClaimsAdded,
			seed: []func(*fakeStore){withClient(trustedtable.ClientRecord{TenantID: "initech", AppRole: "service"})},
			want: func(any) map[string]any { return wantM2M(claims("initech", "service"), nil) }},
		{name: "v3 client credentials with version 2", fixture: "pretoken-v3-client-credentials.json", edit: setTop("version", "2"),
			seed: []func(*fakeStore){withClient(trustedtable.ClientRecord{TenantID: "initech", AppRole: "service"})},
			want: func(any) map[string]any { return wantM2M(claims("initech", "service"), nil) }, wantOutcome: OutcomeClaimsAdded},
		{name: "unknown client", fixture: "pretoken-v3-client-credentials.json", seed: []func(*fakeStore){func(s *fakeStore) { delete(s.clients, clientM2M) }},
			wantOutcome: OutcomeDenied, wantReason: ReasonUnknownClient, wantMessage: DenyMessage},
		{name: "unknown client under omit policy still denied", fixture: "pretoken-v3-client-credentials.json", cfg: Config{MissingPolicy: PolicyOmit},
			seed:        []func(*fakeStore){func(s *fakeStore) { delete(s.clients, clientM2M) }},
			wantOutcome: OutcomeDenied, wantReason: ReasonUnknownClient, wantMessage: DenyMessage},

		// Tenant hopping attempts: nothing the caller sets is read.
		{name: "custom:tenant_id naming another tenant", fixture: "pretoken-v1-authentication.json",
			edit: edits(setAttr("custom:tenant_id", "globex"), setAttr("custom:app_role", "owner"), setAttr("tenant_id", "globex"), setAttr("app_role", "owner")),
			want: v1, wantOutcome: OutcomeClaimsAdded},
		{name: "clientMetadata naming another tenant", fixture: "pretoken-v2-hosted-auth.json",
			edit: setRequest("clientMetadata", map[string]any{"tenant_id": "globex", "app_role": "owner", "sub": subJohn}),
			want: v2, wantOutcome: OutcomeClaimsAdded},
		{name: "clientMetadata of an unknown client names a tenant", fixture: "pretoken-v3-client-credentials.json",
			seed:        []func(*fakeStore){func(s *fakeStore) { delete(s.clients, clientM2M) }},
			edit:        setRequest("clientMetadata", map[string]any{"tenant_id": "acme", "client_id": clientM2M}),
			wantOutcome: OutcomeDenied, wantReason: ReasonUnknownClient, wantMessage: DenyMessage},
		{name: "a user without a record cannot vouch for a tenant", fixture: "pretoken-v2-new-password-challenge.json",
			seed: []func(*fakeStore){withoutUser(subJohn)}, edit: setAttr("email_verified", "false"),
			wantOutcome: OutcomeDenied, wantReason: ReasonEmailUnverified, wantMessage: DenyMessage},

		// First sign-in: binding from the verified email's domain.
		{name: "first sign-in binds from a verified domain", fixture: "pretoken-v2-hosted-auth.json",
			seed:        []func(*fakeStore){withoutUser(subSam), withDomain("example.com", "acme", "member")},
			want:        func(g any) map[string]any { return wantV2(claims("acme", "member"), g) },
			wantOutcome: OutcomeClaimsAdded, wantBound: true},
		{name: "first sign-in binds (v1)", fixture: "pretoken-v1-authentication.json",
			seed:        []func(*fakeStore){withoutUser(subJane), withDomain("example.com", "acme", "member")},
			want:        func(g any) map[string]any { return wantV1(claims("acme", "member"), g) },
			wantOutcome: OutcomeClaimsAdded, wantBound: true},
		{name: "binding uses the domain case-insensitively", fixture: "pretoken-v2-hosted-auth.json", edit: setAttr("email", "Sam.Lee@EXAMPLE.com"),
			seed:        []func(*fakeStore){withoutUser(subSam), withDomain("example.com", "acme", "member")},
			want:        func(g any) map[string]any { return wantV2(claims("acme", "member"), g) },
			wantOutcome: OutcomeClaimsAdded, wantBound: true},
		{name: "no parent-domain fallback", fixture: "pretoken-v2-hosted-auth.json", edit: setAttr("email", "sam@eu.example.com"),
			seed:        []func(*fakeStore){withoutUser(subSam), withDomain("example.com", "acme", "member")},
			wantOutcome: OutcomeDenied, wantReason: ReasonNoRecord, wantMessage: DenyMessage},
		{name: "lost binding race uses the winner's record", fixture: "pretoken-v2-hosted-auth.json",
			seed: []func(*fakeStore){withoutUser(subSam), withDomain("example.com", "acme", "member"),
				func(s *fakeStore) { s.loseRace = &trustedtable.UserRecord{TenantID: "acme", AppRole: "admin"} }},
			want:        func(g any) map[string]any { return wantV2(claims("acme", "admin"), g) },
			wantOutcome: OutcomeClaimsAdded},
		{name: "unverified email", fixture: "pretoken-v2-hosted-auth.json", edit: setAttr("email_verified", "false"),
			seed:        []func(*fakeStore){withoutUser(subSam), withDomain("example.com", "acme", "member")},
			wantOutcome: OutcomeDenied, wantReason: ReasonEmailUnverified, wantMessage: DenyMessage},
		{name: "email_verified must be exactly true", fixture: "pretoken-v2-hosted-auth.json", edit: setAttr("email_verified", "True"),
			seed:        []func(*fakeStore){withoutUser(subSam), withDomain("example.com", "acme", "member")},
			wantOutcome: OutcomeDenied, wantReason: ReasonEmailUnverified, wantMessage: DenyMessage},
		{name: "unverified email under omit policy", fixture: "pretoken-v2-hosted-auth.json", edit: setAttr("email_verified", "false"), cfg: Config{MissingPolicy: PolicyOmit},
			seed:        []func(*fakeStore){withoutUser(subSam), withDomain("example.com", "acme", "member")},
			want:        func(g any) map[string]any { return wantV2(nil, g) },
			wantOutcome: OutcomeClaimsOmitted, wantReason: ReasonEmailUnverified},
		{name: "a strictly invalid email is not bound", fixture: "pretoken-v2-hosted-auth.json", edit: setAttr("email", "\"sam\"@example.com"),
			seed:        []func(*fakeStore){withoutUser(subSam), withDomain("example.com", "acme", "member")},
			wantOutcome: OutcomeDenied, wantReason: ReasonNoRecord, wantMessage: DenyMessage},

		// Missing records under both policies.
		{name: "no record, no domain: deny", fixture: "pretoken-v2-hosted-auth.json", seed: []func(*fakeStore){withoutUser(subSam)},
			wantOutcome: OutcomeDenied, wantReason: ReasonNoRecord, wantMessage: DenyMessage},
		{name: "no record, no domain: omit", fixture: "pretoken-v2-hosted-auth.json", seed: []func(*fakeStore){withoutUser(subSam)}, cfg: Config{MissingPolicy: PolicyOmit},
			want: func(g any) map[string]any { return wantV2(nil, g) }, wantOutcome: OutcomeClaimsOmitted, wantReason: ReasonNoRecord},
		{name: "no record, no domain: omit (v1)", fixture: "pretoken-v1-refresh-tokens.json", seed: []func(*fakeStore){withoutUser(subJane)}, cfg: Config{MissingPolicy: PolicyOmit},
			want: func(g any) map[string]any { return wantV1(nil, g) }, wantOutcome: OutcomeClaimsOmitted, wantReason: ReasonNoRecord},
		{name: "no record, no email: deny", fixture: "pretoken-v2-hosted-auth.json", seed: []func(*fakeStore){withoutUser(subSam)}, edit: edits(delAttr("email"), delAttr("email_verified")),
			wantOutcome: OutcomeDenied, wantReason: ReasonEmailUnverified, wantMessage: DenyMessage},
		{name: "no record, verified flag without an email: deny", fixture: "pretoken-v2-hosted-auth.json",
			seed: []func(*fakeStore){withoutUser(subSam), withDomain("example.com", "acme", "member")}, edit: delAttr("email"),
			wantOutcome: OutcomeDenied, wantReason: ReasonNoRecord, wantMessage: DenyMessage},

		// Groups: exactly as sent, or no override at all.
		{name: "no groupConfiguration: no override", fixture: "pretoken-v2-hosted-auth.json", edit: delRequest("groupConfiguration"),
			want: v2, wantOutcome: OutcomeClaimsAdded},
		{name: "null groupConfiguration: no override", fixture: "pretoken-v1-authentication.json", edit: setRequest("groupConfiguration", nil),
			want: v1, wantOutcome: OutcomeClaimsAdded},
		{name: "empty groups are copied too", fixture: "pretoken-v2-hosted-auth.json",
			edit: setRequest("groupConfiguration", map[string]any{"groupsToOverride": []any{}, "iamRolesToOverride": []any{}, "preferredRole": nil}),
			want: v2, wantOutcome: OutcomeClaimsAdded},

		// Configuration.
		{name: "extra suppressed claims", fixture: "pretoken-v2-hosted-auth.json", cfg: Config{Suppress: []string{"custom:role", "custom:tenant_id", "custom:plan"}},
			wantOutcome: OutcomeClaimsAdded,
			want: func(g any) map[string]any {
				s := []any{"custom:tenant_id", "custom:app_role", "custom:role", "custom:plan"}
				return map[string]any{"claimsAndScopeOverrideDetails": map[string]any{
					"idTokenGeneration":     tokenWant(initechAnalyst, s, nil),
					"accessTokenGeneration": tokenWant(initechAnalyst, s, nil),
					"groupOverrideDetails":  g,
				}}
			}},

		// Broken rows.
		{name: "control character in tenant", fixture: "pretoken-v2-hosted-auth.json", seed: []func(*fakeStore){withUser(subSam, "acme\x00", "member")},
			wantOutcome: OutcomeDenied, wantReason: ReasonBadRecord, wantMessage: DenyMessage},
		{name: "bidi override in tenant", fixture: "pretoken-v2-hosted-auth.json", seed: []func(*fakeStore){withUser(subSam, "acme\u202e", "member")},
			wantOutcome: OutcomeDenied, wantReason: ReasonBadRecord, wantMessage: DenyMessage},
		{name: "padded tenant", fixture: "pretoken-v2-hosted-auth.json", seed: []func(*fakeStore){withUser(subSam, " acme", "member")},
			wantOutcome: OutcomeDenied, wantReason: ReasonBadRecord, wantMessage: DenyMessage},
		{name: "empty role", fixture: "pretoken-v1-authentication.json", seed: []func(*fakeStore){withUser(subJane, "acme", "")},
			wantOutcome: OutcomeDenied, wantReason: ReasonBadRecord, wantMessage: DenyMessage},
		{name: "bad domain record is not bound", fixture: "pretoken-v2-hosted-auth.json",
			seed:        []func(*fakeStore){withoutUser(subSam), withDomain("example.com", "acme", "\n")},
			wantOutcome: OutcomeDenied, wantReason: ReasonBadRecord, wantMessage: DenyMessage},
		{name: "scope with a space", fixture: "pretoken-v3-client-credentials.json",
			seed:        []func(*fakeStore){withClient(trustedtable.ClientRecord{TenantID: "initech", AppRole: "service", Scopes: []string{"orders.read orders.write"}})},
			wantOutcome: OutcomeDenied, wantReason: ReasonBadRecord, wantMessage: DenyMessage},
		{name: "empty scope", fixture: "pretoken-v3-client-credentials.json",
			seed:        []func(*fakeStore){withClient(trustedtable.ClientRecord{TenantID: "initech", AppRole: "service", Scopes: []string{""}})},
			wantOutcome: OutcomeDenied, wantReason: ReasonBadRecord, wantMessage: DenyMessage},
		{name: "too many scopes", fixture: "pretoken-v3-client-credentials.json",
			seed:        []func(*fakeStore){withClient(trustedtable.ClientRecord{TenantID: "initech", AppRole: "service", Scopes: numbered("s", MaxScopes+1)})},
			wantOutcome: OutcomeDenied, wantReason: ReasonBadRecord, wantMessage: DenyMessage},
		{name: "scope too long", fixture: "pretoken-v3-client-credentials.json",
			seed:        []func(*fakeStore){withClient(trustedtable.ClientRecord{TenantID: "initech", AppRole: "service", Scopes: []string{strings.Repeat("s", MaxScopeLen+1)}})},
			wantOutcome: OutcomeDenied, wantReason: ReasonBadRecord, wantMessage: DenyMessage},
		{name: "claims too large", fixture: "pretoken-v2-hosted-auth.json", seed: []func(*fakeStore){withUser(subSam, strings.Repeat("t", 1000), "member")},
			wantOutcome: OutcomeDenied, wantReason: ReasonClaimsTooLarge, wantMessage: DenyMessage},
		{name: "claims and scopes too large together", fixture: "pretoken-v3-client-credentials.json",
			seed:        []func(*fakeStore){withClient(trustedtable.ClientRecord{TenantID: "initech", AppRole: "service", Scopes: numbered(strings.Repeat("s", 40), 30)})},
			wantOutcome: OutcomeDenied, wantReason: ReasonClaimsTooLarge, wantMessage: DenyMessage},
		{name: "escaped characters count as written", fixture: "pretoken-v2-hosted-auth.json", seed: []func(*fakeStore){withUser(subSam, strings.Repeat("<", 200), "member")},
			wantOutcome: OutcomeDenied, wantReason: ReasonClaimsTooLarge, wantMessage: DenyMessage},

		// Malformed events.
		{name: "missing sub", fixture: "pretoken-v2-hosted-auth.json", edit: delAttr("sub"),
			wantOutcome: OutcomeDenied, wantReason: ReasonMalformedEvent, wantMessage: DenyMessage},
		{name: "sub with a control character", fixture: "pretoken-v2-hosted-auth.json", edit: setAttr("sub", subSam+"\n"),
			wantOutcome: OutcomeDenied, wantReason: ReasonMalformedEvent, wantMessage: DenyMessage},
		{name: "sub is not a string", fixture: "pretoken-v2-hosted-auth.json", edit: setAttr("sub", 42),
			wantOutcome: OutcomeDenied, wantReason: ReasonMalformedEvent, wantMessage: DenyMessage},
		{name: "no userAttributes", fixture: "pretoken-v1-authentication.json", edit: delRequest("userAttributes"),
			wantOutcome: OutcomeDenied, wantReason: ReasonMalformedEvent, wantMessage: DenyMessage},
		{name: "unknown version", fixture: "pretoken-v2-hosted-auth.json", edit: setTop("version", "4"),
			wantOutcome: OutcomeDenied, wantReason: ReasonMalformedEvent, wantMessage: DenyMessage},
		{name: "client credentials with version 1", fixture: "pretoken-v3-client-credentials.json", edit: setTop("version", "1"),
			wantOutcome: OutcomeDenied, wantReason: ReasonMalformedEvent, wantMessage: DenyMessage},
		{name: "client credentials without a client id", fixture: "pretoken-v3-client-credentials.json", edit: setTop("callerContext", map[string]any{"clientId": ""}),
			wantOutcome: OutcomeDenied, wantReason: ReasonMalformedEvent, wantMessage: DenyMessage},
		{name: "groupConfiguration is not an object", fixture: "pretoken-v2-hosted-auth.json", edit: setRequest("groupConfiguration", []any{"admins"}),
			wantOutcome: OutcomeDenied, wantReason: ReasonMalformedEvent, wantMessage: DenyMessage},
		{name: "duplicate sub", fixture: "pretoken-v2-hosted-auth.json",
			edit:        setRequest("userAttributes", json.RawMessage(`{"sub":"`+subSam+`","sub":"`+subJohn+`"}`)),
			wantOutcome: OutcomeDenied, wantReason: ReasonMalformedEvent, wantMessage: DenyMessage},
		{name: "case variant of groupConfiguration", fixture: "pretoken-v2-hosted-auth.json",
			edit:        setRequest("GroupConfiguration", map[string]any{"groupsToOverride": []any{"admins"}}),
			wantOutcome: OutcomeDenied, wantReason: ReasonMalformedEvent, wantMessage: DenyMessage},
	}
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
	}
	return out
}

// TestDecide runs every case through invoke.New with a fake table and
// checks the response, the refusal, the decision line and the claim lint.
func TestDecide(t *testing.T) {
	for _, tc := range decideCases() {
		t.Run(tc.name, func(t *testing.T) {
			store := seeded()
			for _, s := range tc.seed {
				s(store)
			}
			r := newRig(t, tc.cfg, store)
			in := fixture(t, tc.fixture, tc.edit)
			out, ue := r.invoke(t, in)
			line := r.lastLine(t)
			if got := line["outcome"]; got != tc.wantOutcome {
				t.Errorf("outcome = %v, want %s (reason %v, cause %v)", got, tc.wantOutcome, line["reason"], line["cause"])
			}
			if got, _ := line["reason"].(string); got != tc.wantReason {
				t.Errorf("reason = %q, want %q (cause %v)", got, tc.wantReason, line["cause"])
			}
			if got := line["BoundFromDomain"]; got != b2f(tc.wantBound) {
				t.Errorf("BoundFromDomain = %v, want %v", got, b2f(tc.wantBound))
			}
			if tc.want == nil {
				if ue == nil {
					t.Fatalf("answered, want a denial:\n%s", out)
				}
				if ue.Message != tc.wantMessage {
					t.Errorf("user sees %q, want %q", ue.Message, tc.wantMessage)
				}
				return
			}
			if ue != nil {
				t.Fatalf("denied (%s: %v), want an answer", ue.Reason, ue.Cause)
			}
			if diff := cmp.Diff(tc.want(requestGroups(t, in)), response(t, out)); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
			if p := pretokentest.LintClaims(out); len(p) > 0 {
				t.Errorf("claim lint: %s", strings.Join(p, "; "))
			}
			assertRestUnchanged(t, in, out)
			assertGroupsCopied(t, in, out)
		})
	}
}

// assertRestUnchanged: everything but the response is what Cognito sent.
func assertRestUnchanged(t *testing.T, in, out []byte) {
	t.Helper()
	var a, b map[string]any
	if err := json.Unmarshal(in, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatal(err)
	}
	delete(a, "response")
	delete(b, "response")
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("event outside the response changed (-in +out):\n%s", diff)
	}
}

// assertGroupsCopied: see pretokentest.GroupsCopied.
func assertGroupsCopied(t testing.TB, in, out []byte) {
	t.Helper()
	if err := pretokentest.GroupsCopied(in, out); err != nil {
		t.Error(err)
	}
}

// TestEveryFixture: each pre-token event in events/ is answered, with the
// table's tenant, clean claims and its groups kept.
func TestEveryFixture(t *testing.T) {
	for _, name := range []string{
		"pretoken-v1-authentication.json", "pretoken-v1-refresh-tokens.json", "pretoken-v2-hosted-auth.json",
		"pretoken-v2-new-password-challenge.json", "pretoken-v3-authenticate-device.json", "pretoken-v3-client-credentials.json",
	} {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, Config{}, seeded())
			in := fixture(t, name, nil)
			out, ue := r.invoke(t, in)
			if ue != nil {
				t.Fatalf("denied: %s (%v)", ue.Reason, ue.Cause)
			}
			if p := pretokentest.LintClaims(out); len(p) > 0 {
				t.Errorf("claim lint: %s", strings.Join(p, "; "))
			}
			assertGroupsCopied(t, in, out)
			if !bytes.Contains(out, []byte(`"claimsToAddOrOverride":{"tenant_id":"initech","app_role":`)) {
				t.Errorf("the table's tenant is not in the answer:\n%s", out)
			}
		})
	}
}

// TestGroupsByteIdentical: the override carries the request's bytes,
// whitespace and member order included, not a re-encoding.
func TestGroupsByteIdentical(t *testing.T) {
	for _, name := range []string{"pretoken-v1-refresh-tokens.json", "pretoken-v2-hosted-auth.json", "testdata/pretoken-v2-2kb.json"} {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, Config{}, seeded())
			in := fixture(t, name, nil) // indented, as stored
			out, ue := r.invoke(t, in)
			if ue != nil {
				t.Fatalf("denied: %v", ue.Cause)
			}
			start := bytes.Index(in, []byte(`"groupConfiguration": `)) + len(`"groupConfiguration": `)
			end := start + bytes.IndexByte(in[start:], '}') + 1
			raw := in[start:end]
			if !bytes.Contains(out, append([]byte(`"groupOverrideDetails":`), raw...)) {
				t.Errorf("response does not carry the raw groupConfiguration %q:\n%s", raw, out)
			}
		})
	}
}

// TestUserSafeDenials: the user only ever sees one of the fixed texts,
// never a table name, an error code or the sub.
func TestUserSafeDenials(t *testing.T) {
	store := seeded()
	store.err = errors.New("ResourceNotFoundException: Requested resource not found: Table: claims not found")
	r := newRig(t, Config{CacheTTL: 0}, store)
	_, ue := r.invoke(t, fixture(t, "pretoken-v2-hosted-auth.json", nil))
	if ue == nil || ue.Error() != triggers.GenericMessage {
		t.Fatalf("got %v, want the generic text", ue)
	}
	if strings.Contains(ue.Error(), "claims") || strings.Contains(ue.Error(), subSam) {
		t.Errorf("denial leaks detail: %q", ue.Error())
	}
}

// TestMisdirected: events of other triggers are refused by the invocation
// layer before a decision.
func TestMisdirected(t *testing.T) {
	r := newRig(t, Config{}, seeded())
	for _, name := range []string{"presignup-signup.json", "postauth-authentication.json"} {
		_, ue := r.invoke(t, fixture(t, name, nil))
		if ue == nil || ue.Message != invoke.MalformedMessage {
			t.Errorf("%s: got %v, want a refusal", name, ue)
		}
	}
	if n := r.store.count("User") + r.store.count("Client"); n != 0 {
		t.Errorf("%d table calls for misdirected events", n)
	}
}

// TestBindingRecord: the binding written on a first sign-in.
func TestBindingRecord(t *testing.T) {
	store := seeded()
	delete(store.users, subSam)
	store.domains["example.com"] = trustedtable.DomainRecord{TenantID: "acme", DefaultRole: "member"}
	r := newRig(t, Config{}, store)
	if _, ue := r.invoke(t, fixture(t, "pretoken-v2-hosted-auth.json", nil)); ue != nil {
		t.Fatalf("denied: %v", ue.Cause)
	}
	want := []fakeBinding{{sub: subSam, b: trustedtable.Binding{TenantID: "acme", AppRole: "member", From: "domain#example.com", At: r.clock.Now()}}}
	if diff := cmp.Diff(want, store.bindings, cmp.AllowUnexported(fakeBinding{})); diff != "" {
		t.Errorf("bindings (-want +got):\n%s", diff)
	}
	line := r.lastLine(t)
	if line["bound"] != true || line["tenantId"] != "acme" || line["role"] != "member" || line["sub"] != subSam {
		t.Errorf("decision line lacks the binding facts: %v", line)
	}
}

// TestBindingIsFixed: once bound, a later change of email (even to
// another tenant's verified domain) does not move the user.
func TestBindingIsFixed(t *testing.T) {
	store := seeded()
	delete(store.users, subSam)
	store.domains["example.com"] = trustedtable.DomainRecord{TenantID: "acme", DefaultRole: "member"}
	store.domains["globex.example"] = trustedtable.DomainRecord{TenantID: "globex", DefaultRole: "admin"}
	r := newRig(t, Config{CacheTTL: 0}, store)
	first, ue := r.invoke(t, fixture(t, "pretoken-v2-hosted-auth.json", nil))
	if ue != nil {
		t.Fatal(ue.Cause)
	}
	moved, ue := r.invoke(t, fixture(t, "pretoken-v2-hosted-auth.json", setAttr("email", "sam@globex.example")))
	if ue != nil {
		t.Fatal(ue.Cause)
	}
	if diff := cmp.Diff(response(t, first), response(t, moved)); diff != "" {
		t.Errorf("email change moved the user (-first +after):\n%s", diff)
	}
	if len(store.bindings) != 1 {
		t.Errorf("%d bindings, want 1", len(store.bindings))
	}
}

// TestRepeatedInvocation: Cognito may retry; a replayed first sign-in
// gives the same answer and never a second binding, with or without the
// cache, and also when the replay reads the table before the first write
// is visible (it then loses the conditional write and re-reads).
func TestRepeatedInvocation(t *testing.T) {
	for _, ttl := range []time.Duration{0, DefaultCacheTTL} {
		t.Run(ttl.String(), func(t *testing.T) {
			store := seeded()
			delete(store.users, subSam)
			store.domains["example.com"] = trustedtable.DomainRecord{TenantID: "acme", DefaultRole: "member"}
			r := newRig(t, Config{CacheTTL: ttl}, store)
			in := fixture(t, "pretoken-v2-hosted-auth.json", nil)
			first, ue := r.invoke(t, in)
			if ue != nil {
				t.Fatal(ue.Cause)
			}
			for i := 0; i < 3; i++ {
				again, ue := r.invoke(t, in)
				if ue != nil {
					t.Fatal(ue.Cause)
				}
				if !bytes.Equal(first, again) {
					t.Errorf("replay %d answered differently:\n%s\n%s", i, first, again)
				}
				if line := r.lastLine(t); line["bound"] != false {
					t.Errorf("replay %d reports a new binding", i)
				}
			}
			if len(store.bindings) != 1 {
				t.Errorf("%d bindings written, want 1", len(store.bindings))
			}
		})
	}
	t.Run("replay races the first write", func(t *testing.T) {
		store := seeded()
		delete(store.users, subSam)
		store.domains["example.com"] = trustedtable.DomainRecord{TenantID: "acme", DefaultRole: "member"}
		r := newRig(t, Config{CacheTTL: 0}, store)
		in := fixture(t, "pretoken-v2-hosted-auth.json", nil)
		first, _ := r.invoke(t, in)
		// The replay's eventually consistent read misses the new item;
		// the conditional write then finds it.
		delete(store.users, subSam)
		store.loseRace = &trustedtable.UserRecord{TenantID: "acme", AppRole: "member"}
		again, ue := r.invoke(t, in)
		if ue != nil {
			t.Fatal(ue.Cause)
		}
		if !bytes.Equal(first, again) {
			t.Errorf("replay answered differently:\n%s\n%s", first, again)
		}
		if len(store.bindings) != 1 {
			t.Errorf("%d bindings written, want 1", len(store.bindings))
		}
	})
}
