package pretoken

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/pretoken/pretokentest"
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

// seeded returns a table holding a record for every fixture's user and
// client, each with a tenant no event mentions ("initech"), so that a
// tenant in a token can only have come from the table.
func seeded() *table {
	t := newTable()
	for _, sub := range []string{subJane, subSam, subJohn, subMaria} {
		t.PutUser(sub, trustedtable.UserRecord{TenantID: "initech", AppRole: "analyst"})
	}
	t.PutClient(clientM2M, trustedtable.ClientRecord{TenantID: "initech", AppRole: "service",
		Scopes: []string{"https://api.example.com/reports.read", "https://api.example.com/tenant.initech"}})
	return t
}

func withoutUser(sub string) func(*table) {
	return func(t *table) { t.DeleteUser(sub) }
}

func withDomain(domain, tenant, role string) func(*table) {
	return func(t *table) { t.PutDomain(domain, trustedtable.DomainRecord{TenantID: tenant, DefaultRole: role}) }
}

func withUser(sub, tenant, role string) func(*table) {
	return func(t *table) { t.PutUser(sub, trustedtable.UserRecord{TenantID: tenant, AppRole: role}) }
}

func withClient(rec trustedtable.ClientRecord) func(*table) {
	return func(t *table) { t.PutClient(clientM2M, rec) }
}

// edits applies several edits in order.
func edits(es ...testevent.Edit) testevent.Edit {
	return func(ev map[string]any) {
		for _, e := range es {
			e(ev)
		}
	}
}

// load reads a fixture (events/ or testdata/) with an optional edit.
func load(tb testing.TB, name string, edit testevent.Edit) []byte {
	tb.Helper()
	if edit == nil {
		return testevent.Load(tb, name)
	}
	return testevent.Load(tb, name, edit)
}

type decideCase struct {
	name    string
	fixture string
	edit    testevent.Edit
	cfg     Config
	seed    []func(*table)
	// want is the expected response member for answered events, given the
	// request's decoded groupConfiguration; nil for refusals.
	want        func(groups any) map[string]any
	wantOutcome decision.Outcome
	wantReason  decision.Reason
	wantMessage string // refusals: the text the user sees
	wantBound   bool
	// echo, when set, says why the answer's request is not the event's:
	// the typed model writes some inputs back in another form.
	echo string
}

func decideCases() []decideCase {
	initechAnalyst := claims("initech", "analyst")
	v1 := func(groups any) map[string]any { return wantV1(initechAnalyst, groups) }
	v2 := func(groups any) map[string]any { return wantV2(initechAnalyst, groups) }
	return []decideCase{
		// Every pre-token fixture, with a record in the table.
		{name: "v1 authentication", fixture: "pretoken-v1-authentication.json", want: v1, wantOutcome: decision.OutcomeClaimsAdded},
		{name: "v1 refresh with role-bearing group", fixture: "pretoken-v1-refresh-tokens.json", want: v1, wantOutcome: decision.OutcomeClaimsAdded},
		{name: "v2 hosted auth (federated)", fixture: "pretoken-v2-hosted-auth.json", want: v2, wantOutcome: decision.OutcomeClaimsAdded},
		{name: "v2 hostile custom:tenant_id and clientMetadata", fixture: "pretoken-v2-new-password-challenge.json", want: v2, wantOutcome: decision.OutcomeClaimsAdded},
		{name: "v3 authenticate device", fixture: "pretoken-v3-authenticate-device.json", want: v2, wantOutcome: decision.OutcomeClaimsAdded},
		{name: "v2 2 KB event", fixture: "testdata/pretoken-v2-2kb.json", want: v2, wantOutcome: decision.OutcomeClaimsAdded},
		{name: "v3 client credentials", fixture: "pretoken-v3-client-credentials.json", wantOutcome: decision.OutcomeClaimsAdded,
			want: func(any) map[string]any {
				return wantM2M(claims("initech", "service"),
					[]any{"https://api.example.com/reports.read", "https://api.example.com/tenant.initech"})
			}},
		{name: "v3 client credentials without scopes", fixture: "pretoken-v3-client-credentials.json", wantOutcome: decision.OutcomeClaimsAdded,
			seed: []func(*table){withClient(trustedtable.ClientRecord{TenantID: "initech", AppRole: "service"})},
			want: func(any) map[string]any { return wantM2M(claims("initech", "service"), nil) }},
		{name: "v3 client credentials with version 2", fixture: "pretoken-v3-client-credentials.json", edit: testevent.Set("version", "2"),
			seed: []func(*table){withClient(trustedtable.ClientRecord{TenantID: "initech", AppRole: "service"})},
			want: func(any) map[string]any { return wantM2M(claims("initech", "service"), nil) }, wantOutcome: decision.OutcomeClaimsAdded},
		{name: "unknown client", fixture: "pretoken-v3-client-credentials.json", seed: []func(*table){func(s *table) { s.DeleteClient(clientM2M) }},
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonUnknownClient, wantMessage: DenyMessage},
		{name: "unknown client under omit policy still denied", fixture: "pretoken-v3-client-credentials.json", cfg: Config{MissingPolicy: PolicyOmit},
			seed:        []func(*table){func(s *table) { s.DeleteClient(clientM2M) }},
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonUnknownClient, wantMessage: DenyMessage},

		// Tenant hopping attempts: nothing the caller sets is read.
		{name: "custom:tenant_id naming another tenant", fixture: "pretoken-v1-authentication.json",
			edit: edits(testevent.SetAttr("custom:tenant_id", "globex"), testevent.SetAttr("custom:app_role", "owner"), testevent.SetAttr("tenant_id", "globex"), testevent.SetAttr("app_role", "owner")),
			want: v1, wantOutcome: decision.OutcomeClaimsAdded},
		{name: "clientMetadata naming another tenant", fixture: "pretoken-v2-hosted-auth.json",
			edit: testevent.SetRequest("clientMetadata", map[string]any{"tenant_id": "globex", "app_role": "owner", "sub": subJohn}),
			want: v2, wantOutcome: decision.OutcomeClaimsAdded},
		{name: "clientMetadata of an unknown client names a tenant", fixture: "pretoken-v3-client-credentials.json",
			seed:        []func(*table){func(s *table) { s.DeleteClient(clientM2M) }},
			edit:        testevent.SetRequest("clientMetadata", map[string]any{"tenant_id": "acme", "client_id": clientM2M}),
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonUnknownClient, wantMessage: DenyMessage},
		{name: "a user without a record cannot vouch for a tenant", fixture: "pretoken-v2-new-password-challenge.json",
			seed: []func(*table){withoutUser(subJohn)}, edit: testevent.SetAttr("email_verified", "false"),
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonEmailUnverified, wantMessage: DenyMessage},

		// First sign-in: binding from the verified email's domain.
		{name: "first sign-in binds from a verified domain", fixture: "pretoken-v2-hosted-auth.json",
			seed:        []func(*table){withoutUser(subSam), withDomain("example.com", "acme", "member")},
			want:        func(g any) map[string]any { return wantV2(claims("acme", "member"), g) },
			wantOutcome: decision.OutcomeClaimsAdded, wantBound: true},
		{name: "first sign-in binds (v1)", fixture: "pretoken-v1-authentication.json",
			seed:        []func(*table){withoutUser(subJane), withDomain("example.com", "acme", "member")},
			want:        func(g any) map[string]any { return wantV1(claims("acme", "member"), g) },
			wantOutcome: decision.OutcomeClaimsAdded, wantBound: true},
		{name: "binding uses the domain case-insensitively", fixture: "pretoken-v2-hosted-auth.json", edit: testevent.SetAttr("email", "Sam.Lee@EXAMPLE.com"),
			seed:        []func(*table){withoutUser(subSam), withDomain("example.com", "acme", "member")},
			want:        func(g any) map[string]any { return wantV2(claims("acme", "member"), g) },
			wantOutcome: decision.OutcomeClaimsAdded, wantBound: true},
		{name: "no parent-domain fallback", fixture: "pretoken-v2-hosted-auth.json", edit: testevent.SetAttr("email", "sam@eu.example.com"),
			seed:        []func(*table){withoutUser(subSam), withDomain("example.com", "acme", "member")},
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonNoRecord, wantMessage: DenyMessage},
		{name: "lost binding race uses the winner's record", fixture: "pretoken-v2-hosted-auth.json",
			seed: []func(*table){withoutUser(subSam), withDomain("example.com", "acme", "member"),
				loseRace(trustedtable.UserRecord{TenantID: "acme", AppRole: "admin"})},
			want:        func(g any) map[string]any { return wantV2(claims("acme", "admin"), g) },
			wantOutcome: decision.OutcomeClaimsAdded},
		{name: "unverified email", fixture: "pretoken-v2-hosted-auth.json", edit: testevent.SetAttr("email_verified", "false"),
			seed:        []func(*table){withoutUser(subSam), withDomain("example.com", "acme", "member")},
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonEmailUnverified, wantMessage: DenyMessage},
		{name: "email_verified must be exactly true", fixture: "pretoken-v2-hosted-auth.json", edit: testevent.SetAttr("email_verified", "True"),
			seed:        []func(*table){withoutUser(subSam), withDomain("example.com", "acme", "member")},
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonEmailUnverified, wantMessage: DenyMessage},
		{name: "unverified email under omit policy", fixture: "pretoken-v2-hosted-auth.json", edit: testevent.SetAttr("email_verified", "false"), cfg: Config{MissingPolicy: PolicyOmit},
			seed:        []func(*table){withoutUser(subSam), withDomain("example.com", "acme", "member")},
			want:        func(g any) map[string]any { return wantV2(nil, g) },
			wantOutcome: decision.OutcomeClaimsOmitted, wantReason: decision.ReasonEmailUnverified},
		{name: "a strictly invalid email is not bound", fixture: "pretoken-v2-hosted-auth.json", edit: testevent.SetAttr("email", "\"sam\"@example.com"),
			seed:        []func(*table){withoutUser(subSam), withDomain("example.com", "acme", "member")},
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonNoRecord, wantMessage: DenyMessage},

		// Missing records under both policies.
		{name: "no record, no domain: deny", fixture: "pretoken-v2-hosted-auth.json", seed: []func(*table){withoutUser(subSam)},
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonNoRecord, wantMessage: DenyMessage},
		{name: "no record, no domain: omit", fixture: "pretoken-v2-hosted-auth.json", seed: []func(*table){withoutUser(subSam)}, cfg: Config{MissingPolicy: PolicyOmit},
			want: func(g any) map[string]any { return wantV2(nil, g) }, wantOutcome: decision.OutcomeClaimsOmitted, wantReason: decision.ReasonNoRecord},
		{name: "no record, no domain: omit (v1)", fixture: "pretoken-v1-refresh-tokens.json", seed: []func(*table){withoutUser(subJane)}, cfg: Config{MissingPolicy: PolicyOmit},
			want: func(g any) map[string]any { return wantV1(nil, g) }, wantOutcome: decision.OutcomeClaimsOmitted, wantReason: decision.ReasonNoRecord},
		{name: "no record, no email: deny", fixture: "pretoken-v2-hosted-auth.json", seed: []func(*table){withoutUser(subSam)}, edit: edits(testevent.SetAttr("email", nil), testevent.SetAttr("email_verified", nil)),
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonEmailUnverified, wantMessage: DenyMessage},
		{name: "no record, verified flag without an email: deny", fixture: "pretoken-v2-hosted-auth.json",
			seed: []func(*table){withoutUser(subSam), withDomain("example.com", "acme", "member")}, edit: testevent.SetAttr("email", nil),
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonNoRecord, wantMessage: DenyMessage},

		// Groups: exactly as sent, or no override at all.
		{name: "no groupConfiguration: no override", fixture: "pretoken-v2-hosted-auth.json", edit: testevent.SetRequest("groupConfiguration", nil),
			want: v2, wantOutcome: decision.OutcomeClaimsAdded},
		{name: "null groupConfiguration: no override", fixture: "pretoken-v1-authentication.json", edit: testevent.SetRequest("groupConfiguration", testevent.Null),
			want: v1, wantOutcome: decision.OutcomeClaimsAdded},
		{name: "empty groups are copied too", fixture: "pretoken-v2-hosted-auth.json",
			edit: testevent.SetRequest("groupConfiguration", map[string]any{"groupsToOverride": []any{}, "iamRolesToOverride": []any{}, "preferredRole": nil}),
			want: v2, wantOutcome: decision.OutcomeClaimsAdded},

		// Configuration.
		{name: "extra suppressed claims", fixture: "pretoken-v2-hosted-auth.json", cfg: Config{Suppress: []string{"custom:role", "custom:tenant_id", "custom:plan"}},
			wantOutcome: decision.OutcomeClaimsAdded,
			want: func(g any) map[string]any {
				s := []any{"custom:tenant_id", "custom:app_role", "custom:role", "custom:plan"}
				return map[string]any{"claimsAndScopeOverrideDetails": map[string]any{
					"idTokenGeneration":     tokenWant(initechAnalyst, s, nil),
					"accessTokenGeneration": tokenWant(initechAnalyst, s, nil),
					"groupOverrideDetails":  g,
				}}
			}},

		// Broken rows.
		{name: "control character in tenant", fixture: "pretoken-v2-hosted-auth.json", seed: []func(*table){withUser(subSam, "acme\x00", "member")},
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonBadRecord, wantMessage: DenyMessage},
		{name: "bidi override in tenant", fixture: "pretoken-v2-hosted-auth.json", seed: []func(*table){withUser(subSam, "acme\u202e", "member")},
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonBadRecord, wantMessage: DenyMessage},
		{name: "padded tenant", fixture: "pretoken-v2-hosted-auth.json", seed: []func(*table){withUser(subSam, " acme", "member")},
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonBadRecord, wantMessage: DenyMessage},
		{name: "empty role", fixture: "pretoken-v1-authentication.json", seed: []func(*table){withUser(subJane, "acme", "")},
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonBadRecord, wantMessage: DenyMessage},
		{name: "bad domain record is not bound", fixture: "pretoken-v2-hosted-auth.json",
			seed:        []func(*table){withoutUser(subSam), withDomain("example.com", "acme", "\n")},
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonBadRecord, wantMessage: DenyMessage},
		{name: "scope with a space", fixture: "pretoken-v3-client-credentials.json",
			seed:        []func(*table){withClient(trustedtable.ClientRecord{TenantID: "initech", AppRole: "service", Scopes: []string{"orders.read orders.write"}})},
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonBadRecord, wantMessage: DenyMessage},
		{name: "empty scope", fixture: "pretoken-v3-client-credentials.json",
			seed:        []func(*table){withClient(trustedtable.ClientRecord{TenantID: "initech", AppRole: "service", Scopes: []string{""}})},
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonBadRecord, wantMessage: DenyMessage},
		{name: "too many scopes", fixture: "pretoken-v3-client-credentials.json",
			seed:        []func(*table){withClient(trustedtable.ClientRecord{TenantID: "initech", AppRole: "service", Scopes: numbered("s", MaxScopes+1)})},
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonBadRecord, wantMessage: DenyMessage},
		{name: "scope too long", fixture: "pretoken-v3-client-credentials.json",
			seed:        []func(*table){withClient(trustedtable.ClientRecord{TenantID: "initech", AppRole: "service", Scopes: []string{strings.Repeat("s", MaxScopeLen+1)}})},
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonBadRecord, wantMessage: DenyMessage},
		{name: "claims too large", fixture: "pretoken-v2-hosted-auth.json", seed: []func(*table){withUser(subSam, strings.Repeat("t", 1000), "member")},
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonClaimsTooLarge, wantMessage: DenyMessage},
		{name: "claims and scopes too large together", fixture: "pretoken-v3-client-credentials.json",
			seed:        []func(*table){withClient(trustedtable.ClientRecord{TenantID: "initech", AppRole: "service", Scopes: numbered(strings.Repeat("s", 40), 30)})},
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonClaimsTooLarge, wantMessage: DenyMessage},
		{name: "escaped characters count as written", fixture: "pretoken-v2-hosted-auth.json", seed: []func(*table){withUser(subSam, strings.Repeat(`"`, 500), "member")},
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonClaimsTooLarge, wantMessage: DenyMessage},

		// Malformed events.
		{name: "missing sub", fixture: "pretoken-v2-hosted-auth.json", edit: testevent.SetAttr("sub", nil),
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonMalformedEvent, wantMessage: DenyMessage},
		{name: "sub with a control character", fixture: "pretoken-v2-hosted-auth.json", edit: testevent.SetAttr("sub", subSam+"\n"),
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonMalformedEvent, wantMessage: DenyMessage},
		{name: "sub is not a string", fixture: "pretoken-v2-hosted-auth.json", edit: testevent.SetAttr("sub", 42),
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonMalformedEvent, wantMessage: DenyMessage},
		{name: "no userAttributes", fixture: "pretoken-v1-authentication.json", edit: testevent.SetRequest("userAttributes", nil),
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonMalformedEvent, wantMessage: DenyMessage},
		{name: "unknown version", fixture: "pretoken-v2-hosted-auth.json", edit: testevent.Set("version", "4"),
			wantOutcome: decision.OutcomeError, wantReason: decision.ReasonMalformedEvent, wantMessage: decision.MalformedMessage},
		{name: "client credentials with version 1", fixture: "pretoken-v3-client-credentials.json", edit: testevent.Set("version", "1"),
			wantOutcome: decision.OutcomeError, wantReason: decision.ReasonMalformedEvent, wantMessage: decision.MalformedMessage},
		{name: "client credentials without a client id", fixture: "pretoken-v3-client-credentials.json", edit: testevent.Set("callerContext", map[string]any{"clientId": ""}),
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonMalformedEvent, wantMessage: DenyMessage},
		{name: "groupConfiguration is not an object", fixture: "pretoken-v2-hosted-auth.json", edit: testevent.SetRequest("groupConfiguration", []any{"admins"}),
			wantOutcome: decision.OutcomeError, wantReason: decision.ReasonMalformedEvent, wantMessage: decision.MalformedMessage},
		{name: "duplicate sub", fixture: "pretoken-v2-hosted-auth.json",
			edit:        testevent.SetRequest("userAttributes", json.RawMessage(`{"sub":"`+subSam+`","sub":"`+subJohn+`"}`)),
			wantOutcome: decision.OutcomeError, wantReason: decision.ReasonMalformedEvent, wantMessage: decision.MalformedMessage},
		{name: "case variant of groupConfiguration", fixture: "pretoken-v2-hosted-auth.json",
			edit:        testevent.SetRequest("GroupConfiguration", map[string]any{"groupsToOverride": []any{"admins"}}),
			wantOutcome: decision.OutcomeError, wantReason: decision.ReasonMalformedEvent, wantMessage: decision.MalformedMessage},
		// The decision reads what the strict decoder reads.
		{name: "an escaped member name is the name it spells", fixture: "pretoken-v2-hosted-auth.json",
			edit: testevent.SetRequest("userAttributes", json.RawMessage(`{"s\u0075b":"`+subSam+`","email":"sam.lee@example.com"}`)),
			want: v2, wantOutcome: decision.OutcomeClaimsAdded},
		{name: "escaped duplicate of sub", fixture: "pretoken-v2-hosted-auth.json",
			edit:        testevent.SetRequest("userAttributes", json.RawMessage(`{"sub":"`+subSam+`","s\u0075b":"`+subJohn+`"}`)),
			wantOutcome: decision.OutcomeError, wantReason: decision.ReasonMalformedEvent, wantMessage: decision.MalformedMessage},
		{name: "Unicode fold variant of userAttributes", fixture: "pretoken-v2-hosted-auth.json",
			edit:        testevent.SetRequest("userAttribute\u017f", map[string]any{"sub": subJohn}),
			wantOutcome: decision.OutcomeError, wantReason: decision.ReasonMalformedEvent, wantMessage: decision.MalformedMessage},
		{name: "sub that is a JSON object", fixture: "pretoken-v2-hosted-auth.json", edit: testevent.SetAttr("sub", map[string]any{"a": 1}),
			wantOutcome: decision.OutcomeDenied, wantReason: decision.ReasonMalformedEvent, wantMessage: DenyMessage},
		{name: "a JSON true email_verified is verified", fixture: "pretoken-v2-hosted-auth.json", edit: testevent.SetAttr("email_verified", true),
			seed:        []func(*table){withoutUser(subSam), withDomain("example.com", "acme", "member")},
			want:        func(g any) map[string]any { return wantV2(claims("acme", "member"), g) },
			wantOutcome: decision.OutcomeClaimsAdded, wantBound: true,
			echo: "an attribute that is not a string is kept as its JSON text, and written back as a string"},
		{name: "the response Cognito sent is replaced, not merged", fixture: "pretoken-v1-authentication.json",
			edit: testevent.Set("response", map[string]any{"claimsOverrideDetails": map[string]any{
				"claimsToAddOrOverride": map[string]any{"tenant_id": "globex", "plan": "gold"}, "claimsToSuppress": []any{"email"}}}),
			want: v1, wantOutcome: decision.OutcomeClaimsAdded},
		{name: "the response Cognito sent is replaced when claims are omitted", fixture: "pretoken-v1-authentication.json",
			seed: []func(*table){withoutUser(subJane)}, cfg: Config{MissingPolicy: PolicyOmit},
			edit: testevent.Set("response", map[string]any{"claimsOverrideDetails": map[string]any{
				"claimsToAddOrOverride": map[string]any{"tenant_id": "globex"}}}),
			want: func(g any) map[string]any { return wantV1(nil, g) }, wantOutcome: decision.OutcomeClaimsOmitted, wantReason: decision.ReasonNoRecord},
		{name: "the response Cognito sent is replaced (v2)", fixture: "pretoken-v2-hosted-auth.json",
			edit: edits(testevent.SetRequest("groupConfiguration", nil), testevent.Set("response", map[string]any{
				"claimsAndScopeOverrideDetails": map[string]any{"groupOverrideDetails": map[string]any{"groupsToOverride": []any{"admins"}},
					"idTokenGeneration": map[string]any{"claimsToAddOrOverride": map[string]any{"plan": "gold"}}}})),
			want: v2, wantOutcome: decision.OutcomeClaimsAdded},
		{name: "all-null groupConfiguration: no override", fixture: "pretoken-v2-hosted-auth.json",
			edit: testevent.SetRequest("groupConfiguration", map[string]any{"groupsToOverride": nil, "iamRolesToOverride": nil, "preferredRole": nil}),
			want: func(any) map[string]any { return wantV2(initechAnalyst, nil) }, wantOutcome: decision.OutcomeClaimsAdded,
			echo: "a groupConfiguration without groups is the zero value, which is written back as absent"},
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
// Events that are not well-formed never reach the decision: the
// invocation layer refuses them (outcome "error", the malformed-request
// text) and the line carries none of the decision's metrics.
func TestDecide(t *testing.T) {
	for _, tc := range decideCases() {
		t.Run(tc.name, func(t *testing.T) {
			tbl := seeded()
			for _, s := range tc.seed {
				s(tbl)
			}
			r := newRig(t, tc.cfg, tbl)
			in := load(t, tc.fixture, tc.edit)
			out, ue := r.invoke(t, in)
			line := r.lastLine(t)
			if got := line["outcome"]; got != string(tc.wantOutcome) {
				t.Errorf("outcome = %v, want %s (reason %v, cause %v)", got, tc.wantOutcome, line["reason"], line["cause"])
			}
			if got, _ := line["reason"].(string); got != string(tc.wantReason) {
				t.Errorf("reason = %q, want %q (cause %v)", got, tc.wantReason, line["cause"])
			}
			wantBound := any(nil)
			if tc.wantOutcome != decision.OutcomeError {
				wantBound = b2f(tc.wantBound)
			}
			if got := line["BoundFromDomain"]; got != wantBound {
				t.Errorf("BoundFromDomain = %v, want %v", got, wantBound)
			}
			if tc.want == nil {
				if ue == nil {
					t.Fatalf("answered, want a refusal:\n%s", out)
				}
				if ue.Message != tc.wantMessage {
					t.Errorf("user sees %q, want %q", ue.Message, tc.wantMessage)
				}
				return
			}
			if ue != nil {
				t.Fatalf("refused (%s: %v), want an answer", ue.Reason, ue.Cause)
			}
			if diff := cmp.Diff(pretokentest.WithoutNulls(tc.want(requestGroups(t, in))), pretokentest.WithoutNulls(response(t, out))); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
			if p := pretokentest.LintClaims(out); len(p) > 0 {
				t.Errorf("claim lint: %s", strings.Join(p, "; "))
			}
			if tc.echo == "" {
				assertRestUnchanged(t, in, out)
			}
			assertGroupsCopied(t, in, out)
		})
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// assertRestUnchanged: everything but the response is what Cognito sent.
// The answer is the event re-encoded, so this compares the decoded
// events, with members that are null or absent counted as the same.
func assertRestUnchanged(t *testing.T, in, out []byte) {
	t.Helper()
	a, b := decoded(t, in), decoded(t, out)
	delete(a, "response")
	delete(b, "response")
	if diff := cmp.Diff(pretokentest.WithoutNulls(a), pretokentest.WithoutNulls(b)); diff != "" {
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
// table's tenant in every token it changes, clean claims and its groups
// kept.
func TestEveryFixture(t *testing.T) {
	for _, name := range []string{
		"pretoken-v1-authentication.json", "pretoken-v1-refresh-tokens.json", "pretoken-v2-hosted-auth.json",
		"pretoken-v2-new-password-challenge.json", "pretoken-v3-authenticate-device.json", "pretoken-v3-client-credentials.json",
	} {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, Config{}, seeded())
			in := testevent.Load(t, name)
			out, ue := r.invoke(t, in)
			if ue != nil {
				t.Fatalf("denied: %s (%v)", ue.Reason, ue.Cause)
			}
			if p := pretokentest.LintClaims(out); len(p) > 0 {
				t.Errorf("claim lint: %s", strings.Join(p, "; "))
			}
			assertGroupsCopied(t, in, out)
			role := "analyst"
			if strings.Contains(name, "client-credentials") {
				role = "service"
			}
			got := addedClaims(t, out)
			if len(got) == 0 {
				t.Fatalf("no claims added:\n%s", out)
			}
			for where, cl := range got {
				if diff := cmp.Diff(claims("initech", role), cl); diff != "" {
					t.Errorf("%s: not the table's claims (-want +got):\n%s", where, diff)
				}
			}
		})
	}
}

// TestGroupsCopiedExactly: the override is the request's groups exactly:
// the same members in the same order with the same values, which is the
// request's groupConfiguration compacted, since the answer is written
// compactly.
func TestGroupsCopiedExactly(t *testing.T) {
	for _, name := range []string{"pretoken-v1-refresh-tokens.json", "pretoken-v2-hosted-auth.json", "testdata/pretoken-v2-2kb.json"} {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, Config{}, seeded())
			in := testevent.Load(t, name) // indented, as stored
			out, ue := r.invoke(t, in)
			if ue != nil {
				t.Fatalf("denied: %v", ue.Cause)
			}
			var ev struct {
				Request struct {
					Groups json.RawMessage `json:"groupConfiguration"`
				} `json:"request"`
			}
			if err := json.Unmarshal(in, &ev); err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := json.Compact(&want, ev.Request.Groups); err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(out, append([]byte(`"groupOverrideDetails":`), want.Bytes()...)) {
				t.Errorf("response does not carry the groupConfiguration %s:\n%s", want.Bytes(), out)
			}
		})
	}
}

// TestUserSafeDenials: the user only ever sees one of the fixed texts,
// never a table name, an error code or the sub.
func TestUserSafeDenials(t *testing.T) {
	tbl := seeded()
	failWith(&types.ResourceNotFoundException{Message: ptr("Requested resource not found: Table: claims not found")})(tbl)
	r := newRig(t, Config{CacheTTL: 0}, tbl)
	_, ue := r.invoke(t, testevent.Load(t, "pretoken-v2-hosted-auth.json"))
	if ue == nil || ue.Error() != decision.GenericMessage {
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
		_, ue := r.invoke(t, testevent.Load(t, name))
		if ue == nil || ue.Message != decision.MalformedMessage || ue.Reason != decision.ReasonWrongTrigger {
			t.Errorf("%s: got %v, want a wrong_trigger refusal", name, ue)
		}
	}
	if n := r.table.Calls("User") + r.table.Calls("Client"); n != 0 {
		t.Errorf("%d table calls for misdirected events", n)
	}
}

// TestBindingRecord: the binding written on a first sign-in.
func TestBindingRecord(t *testing.T) {
	tbl := seeded()
	tbl.DeleteUser(subSam)
	tbl.PutDomain("example.com", trustedtable.DomainRecord{TenantID: "acme", DefaultRole: "member"})
	r := newRig(t, Config{}, tbl)
	if _, ue := r.invoke(t, testevent.Load(t, "pretoken-v2-hosted-auth.json")); ue != nil {
		t.Fatalf("denied: %v", ue.Cause)
	}
	want := []fakes.Binding{{Sub: subSam, Binding: trustedtable.Binding{TenantID: "acme", AppRole: "member", From: "domain#example.com", At: r.clock.Now()}}}
	if diff := cmp.Diff(want, tbl.Bindings()); diff != "" {
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
	tbl := seeded()
	tbl.DeleteUser(subSam)
	tbl.PutDomain("example.com", trustedtable.DomainRecord{TenantID: "acme", DefaultRole: "member"})
	tbl.PutDomain("globex.example", trustedtable.DomainRecord{TenantID: "globex", DefaultRole: "admin"})
	r := newRig(t, Config{CacheTTL: 0}, tbl)
	first, ue := r.invoke(t, testevent.Load(t, "pretoken-v2-hosted-auth.json"))
	if ue != nil {
		t.Fatal(ue.Cause)
	}
	moved, ue := r.invoke(t, testevent.Load(t, "pretoken-v2-hosted-auth.json", testevent.SetAttr("email", "sam@globex.example")))
	if ue != nil {
		t.Fatal(ue.Cause)
	}
	if diff := cmp.Diff(response(t, first), response(t, moved)); diff != "" {
		t.Errorf("email change moved the user (-first +after):\n%s", diff)
	}
	if n := len(tbl.Bindings()); n != 1 {
		t.Errorf("%d bindings, want 1", n)
	}
}

// TestRepeatedInvocation: Cognito may retry; a replayed first sign-in
// gives the same answer and never a second binding, with or without the
// cache, and also when the replay reads the table before the first write
// is visible (it then loses the conditional write and uses the record it
// finds).
func TestRepeatedInvocation(t *testing.T) {
	for _, ttl := range []time.Duration{0, DefaultCacheTTL} {
		t.Run(ttl.String(), func(t *testing.T) {
			tbl := seeded()
			tbl.DeleteUser(subSam)
			tbl.PutDomain("example.com", trustedtable.DomainRecord{TenantID: "acme", DefaultRole: "member"})
			r := newRig(t, Config{CacheTTL: ttl}, tbl)
			in := testevent.Load(t, "pretoken-v2-hosted-auth.json")
			first, ue := r.invoke(t, in)
			if ue != nil {
				t.Fatal(ue.Cause)
			}
			for i := range 3 {
				again, ue := r.invoke(t, in)
				if ue != nil {
					t.Fatal(ue.Cause)
				}
				if diff := cmp.Diff(decoded(t, first), decoded(t, again)); diff != "" {
					t.Errorf("replay %d answered differently (-first +replay):\n%s", i, diff)
				}
				if line := r.lastLine(t); line["bound"] != false {
					t.Errorf("replay %d reports a new binding", i)
				}
			}
			if n := len(tbl.Bindings()); n != 1 {
				t.Errorf("%d bindings written, want 1", n)
			}
		})
	}
	t.Run("replay races the first write", func(t *testing.T) {
		tbl := seeded()
		tbl.DeleteUser(subSam)
		tbl.PutDomain("example.com", trustedtable.DomainRecord{TenantID: "acme", DefaultRole: "member"})
		r := newRig(t, Config{CacheTTL: 0}, tbl)
		in := testevent.Load(t, "pretoken-v2-hosted-auth.json")
		first, ue := r.invoke(t, in)
		if ue != nil {
			t.Fatal(ue.Cause)
		}
		// The replay's eventually consistent read misses the new item;
		// the conditional write then finds it.
		tbl.DeleteUser(subSam)
		loseRace(trustedtable.UserRecord{TenantID: "acme", AppRole: "member"})(tbl)
		again, ue := r.invoke(t, in)
		if ue != nil {
			t.Fatal(ue.Cause)
		}
		if diff := cmp.Diff(decoded(t, first), decoded(t, again)); diff != "" {
			t.Errorf("replay answered differently (-first +replay):\n%s", diff)
		}
		if n := len(tbl.Bindings()); n != 1 {
			t.Errorf("%d bindings written, want 1", n)
		}
	})
}

func ptr(s string) *string { return &s }
