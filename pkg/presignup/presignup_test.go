package presignup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/presignup"
	"github.com/cognito-triggers/suite/pkg/signupgate"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// partnerTable is a trusted table holding one domain record,
// domain#partner.example.org.
func partnerTable() *fakes.TrustedTable {
	return &fakes.TrustedTable{DomainFn: func(_ context.Context, domain string) (trustedtable.DomainRecord, bool, error) {
		if domain == "partner.example.org" {
			return trustedtable.DomainRecord{TenantID: "t-partner", DefaultRole: "member"}, true, nil
		}
		return trustedtable.DomainRecord{}, false, nil
	}}
}

// decider returns a Decider admitting the domains of allow and, when store
// is set, those with a record in it.
func decider(tb testing.TB, allow string, store signupgate.DomainStore, edit ...func(*presignup.Config)) *presignup.Decider {
	tb.Helper()
	cfg := presignup.Config{TableTimeout: 300 * time.Millisecond}
	if allow != "" {
		al, err := emailgate.ParseAllowlist(allow)
		if err != nil {
			tb.Fatal(err)
		}
		cfg.Allowlist = al
	}
	if store != nil {
		cfg.Table = "claims"
	}
	for _, e := range edit {
		e(&cfg)
	}
	d, err := presignup.New(cfg, presignup.Deps{Domains: store})
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// handler is the invocation layer around d, as the function runs it.
func handler(d *presignup.Decider, logs *bytes.Buffer) *invoke.Handler[triggers.PreSignUp, *triggers.PreSignUp] {
	opts := invoke.Options{Function: "presignup", Budget: 2 * time.Second}
	if logs != nil {
		opts.Logger = telemetry.NewLogger(logs, slog.LevelInfo)
	}
	return invoke.New[triggers.PreSignUp](opts, d.Decide)
}

// attrs replaces the fixture's user attributes.
func attrs(a map[string]any) testevent.Edit { return testevent.SetRequest("userAttributes", a) }

func TestDecide(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		edits   []testevent.Edit
		allow   string
		table   bool // the trusted table holds domain#partner.example.org
		// Exactly one of rule (allowed by it) and reason (refused for it).
		rule   string
		reason decision.Reason
	}{
		{name: "allowlisted domain", edits: []testevent.Edit{attrs(map[string]any{"email": "jane@example.com"})}, allow: "example.com", rule: "allowlist"},
		{name: "case of domain ignored", edits: []testevent.Edit{attrs(map[string]any{"email": "Jane@EXAMPLE.com"})}, allow: "example.com", rule: "allowlist"},
		{name: "plus addressing", edits: []testevent.Edit{attrs(map[string]any{"email": "jane+x@example.com"})}, allow: "example.com", rule: "allowlist"},
		{name: "admin create user gated", fixture: "presignup-admin-create-user.json", edits: []testevent.Edit{attrs(map[string]any{"email": "bob@evil.io"})}, allow: "example.com", reason: decision.ReasonDomainNotAllowed},
		{name: "admin create user allowed", fixture: "presignup-admin-create-user.json", edits: []testevent.Edit{attrs(map[string]any{"email": "bob@example.com"})}, allow: "example.com", rule: "allowlist"},
		{name: "external provider gated", fixture: "presignup-external-provider.json", edits: []testevent.Edit{attrs(map[string]any{"email": "x@gmail.com"})}, allow: "example.com", reason: decision.ReasonDomainNotAllowed},
		{name: "external provider allowed", fixture: "presignup-external-provider.json", edits: []testevent.Edit{attrs(map[string]any{"email": "x@example.com"})}, allow: "example.com", rule: "allowlist"},
		{name: "table record", edits: []testevent.Edit{attrs(map[string]any{"email": "ann@partner.example.org"})}, allow: "example.com", table: true, rule: "table"},
		{name: "table has no record", edits: []testevent.Edit{attrs(map[string]any{"email": "ann@other.example.org"})}, table: true, reason: decision.ReasonDomainNotAllowed},
		{name: "table record is exact, not for subdomains", edits: []testevent.Edit{attrs(map[string]any{"email": "ann@x.partner.example.org"})}, table: true, reason: decision.ReasonDomainNotAllowed},
		{name: "nothing configured refuses all", edits: []testevent.Edit{attrs(map[string]any{"email": "jane@example.com"})}, reason: decision.ReasonDomainNotAllowed},
		{name: "missing email", edits: []testevent.Edit{attrs(map[string]any{"name": "Jane"})}, allow: "example.com", reason: decision.ReasonMissingEmail},
		{name: "null user attributes", edits: []testevent.Edit{testevent.SetRequest("userAttributes", testevent.Null)}, allow: "example.com", reason: decision.ReasonMissingEmail},
		{name: "absent user attributes", edits: []testevent.Edit{testevent.SetRequest("userAttributes", nil)}, allow: "example.com", reason: decision.ReasonMissingEmail},
		{name: "subdomain needs wildcard", edits: []testevent.Edit{attrs(map[string]any{"email": "a@sub.example.com"})}, allow: "example.com", reason: decision.ReasonDomainNotAllowed},
		{name: "wildcard admits subdomain", edits: []testevent.Edit{attrs(map[string]any{"email": "a@sub.example.com"})}, allow: "*.example.com", rule: "allowlist"},
		{name: "wildcard is not the apex", edits: []testevent.Edit{attrs(map[string]any{"email": "a@example.com"})}, allow: "*.example.com", reason: decision.ReasonDomainNotAllowed},
		{name: "suffix lookalike", edits: []testevent.Edit{attrs(map[string]any{"email": "a@evil-example.com"})}, allow: "example.com", reason: decision.ReasonDomainNotAllowed},

		// Hostile addresses: each is refused by the rule written beside it,
		// before any allowlist or table sees its domain.
		{name: "trailing dot", edits: []testevent.Edit{attrs(map[string]any{"email": "a@example.com."})}, allow: "example.com", reason: "email_trailing_dot"},
		{name: "kelvin sign", edits: []testevent.Edit{attrs(map[string]any{"email": "a@\u212Aelvin.example.com"})}, allow: "*.example.com", reason: "email_non_ascii"},
		{name: "cyrillic homograph", edits: []testevent.Edit{attrs(map[string]any{"email": "a@exampl\u0435.com"})}, allow: "example.com", reason: "email_non_ascii"},
		{name: "punycode homograph", edits: []testevent.Edit{attrs(map[string]any{"email": "a@xn--exampl-8of.com"})}, allow: "example.com", reason: decision.ReasonDomainNotAllowed},
		{name: "quoted local part", edits: []testevent.Edit{attrs(map[string]any{"email": `"a@example.com"@evil.io`})}, allow: "example.com", reason: "email_quoted_local"},
		{name: "display name", edits: []testevent.Edit{attrs(map[string]any{"email": "Alice <alice@example.com>"})}, allow: "example.com", reason: "email_display_name"},
		{name: "ses parser differential", edits: []testevent.Edit{attrs(map[string]any{"email": "<a@evil.io>b@example.com"})}, allow: "example.com", reason: "email_display_name"},
		{name: "encoded word", edits: []testevent.Edit{attrs(map[string]any{"email": "=?utf-7?q?a&AEA-evil.io?=@example.com"})}, allow: "example.com", reason: "email_encoded_word"},
		{name: "crlf injection", edits: []testevent.Edit{attrs(map[string]any{"email": "a@example.com\r\nBcc: x@evil.io"})}, allow: "example.com", reason: "email_control_char"},
		// A value of another JSON type is read as its JSON text, which is
		// never an address.
		{name: "email is a number", edits: []testevent.Edit{attrs(map[string]any{"email": 42})}, allow: "example.com", reason: "email_no_at"},
		{name: "email is an array", edits: []testevent.Edit{attrs(map[string]any{"email": []any{"a@example.com"}})}, allow: "example.com", reason: "email_quoted_local"},
		{name: "custom attribute and metadata cannot vouch",
			edits: []testevent.Edit{
				attrs(map[string]any{"email": "a@evil.io", "custom:domain": "example.com"}),
				testevent.SetRequest("validationData", map[string]any{"domain": "example.com", "email": "a@example.com"}),
				testevent.SetRequest("clientMetadata", map[string]any{"allow": "true", "email": "a@example.com"}),
			}, allow: "example.com", reason: decision.ReasonDomainNotAllowed},

		{name: "phone must be E.164", edits: []testevent.Edit{attrs(map[string]any{"email": "a@example.com", "phone_number": "0044 20 7946 0000"})}, allow: "example.com", reason: decision.ReasonPhoneInvalid},
		{name: "E.164 phone accepted", edits: []testevent.Edit{attrs(map[string]any{"email": "a@example.com", "phone_number": "+442079460000"})}, allow: "example.com", rule: "allowlist"},
		{name: "phone is checked before the email", edits: []testevent.Edit{attrs(map[string]any{"email": "a@evil.io", "phone_number": "+44 20"})}, allow: "example.com", reason: decision.ReasonPhoneInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.rule == "") == (tt.reason == "") {
				t.Fatal("a case names exactly one of rule and reason")
			}
			fixture := tt.fixture
			if fixture == "" {
				fixture = "presignup-signup.json"
			}
			var store signupgate.DomainStore
			if tt.table {
				store = partnerTable()
			}
			ev := testevent.Decode[triggers.PreSignUp](t, testevent.Load(t, fixture, tt.edits...))
			res := decider(t, tt.allow, store).Decide(context.Background(), ev)

			if tt.reason != "" {
				if res.Outcome != decision.OutcomeRefused || res.Reason != tt.reason || res.Err == nil {
					t.Fatalf("got %s/%s (err %v), want refused for %s", res.Outcome, res.Reason, res.Err, tt.reason)
				}
				if res.Err.Error() != presignup.RefusalMessage || res.Err.Reason != tt.reason {
					t.Errorf("user sees %q with reason %q, want the one refusal text", res.Err.Error(), res.Err.Reason)
				}
				if res.Err.Cause == nil {
					t.Error("a refusal without a cause for the log")
				}
				return
			}
			if res.Err != nil || res.Outcome != decision.OutcomeAllowed || res.Reason != "" {
				t.Fatalf("got %s/%s (err %v, cause %v), want allowed", res.Outcome, res.Reason, res.Err, errors.Unwrap(res.Err))
			}
			if diff := cmp.Diff([]decision.Fact{decision.String("rule", tt.rule)}, res.Facts); diff != "" {
				t.Errorf("facts (-want +got):\n%s", diff)
			}
			if r := ev.Response; r.AutoConfirmUser || r.AutoVerifyEmail || r.AutoVerifyPhone || len(r.Unknown) != 0 {
				t.Errorf("response %+v, want the three flags false and nothing else", ev.Response)
			}
			if got := len(res.Metrics) > 0; got != (tt.rule == "table") {
				t.Errorf("metrics %v: TableLatencyMs is reported exactly when the table was asked", res.Metrics)
			}
		})
	}
}

// TestAllowedEchoesTheEvent: an allowed sign-up answers with the event as
// it came, apart from the response, for every source. The event is
// re-encoded from its typed form, so the comparison is of the JSON
// values, not the bytes.
func TestAllowedEchoesTheEvent(t *testing.T) {
	h := handler(decider(t, "example.com", nil), nil)
	for _, fixture := range []string{"presignup-signup.json", "presignup-admin-create-user.json", "presignup-external-provider.json"} {
		t.Run(fixture, func(t *testing.T) {
			in := testevent.Load(t, fixture,
				testevent.SetAttr("email", "jane@example.com"),
				testevent.Set("futureMember", map[string]any{"kept": true}),
				testevent.SetRequest("futureRequestMember", []any{"kept"}))
			out, err := h.Invoke(context.Background(), in)
			if err != nil {
				t.Fatalf("refused: %v (%v)", err, errors.Unwrap(err))
			}
			var got, want map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("response is not JSON: %v", err)
			}
			if err := json.Unmarshal(in, &want); err != nil {
				t.Fatal(err)
			}
			want["response"] = map[string]any{"autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("answer differs from the event with an all-false response (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNeverAutoVerifies: even an incoming response with every flag true,
// or with a member Cognito might add one day (Cognito sends neither, but
// nothing in the event may switch anything on), is answered with exactly
// the three flags, all false.
func TestNeverAutoVerifies(t *testing.T) {
	h := handler(decider(t, "example.com", nil), nil)
	in := testevent.Load(t, "presignup-signup.json",
		testevent.SetAttr("email", "a@example.com"),
		testevent.Set("response", map[string]any{"autoConfirmUser": true, "autoVerifyEmail": true, "autoVerifyPhone": true, "autoLinkUser": true}))
	out, err := h.Invoke(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Response map[string]any `json:"response"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false}
	if diff := cmp.Diff(want, got.Response); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
}

// TestTableFailureRefuses: a failing table refuses the sign-up (fail
// closed) with the one refusal text, the classified reason in the decision
// line and the time the table took as TableLatencyMs. A stalled table is
// abandoned at TABLE_TIMEOUT_MS, inside the invocation budget.
func TestTableFailureRefuses(t *testing.T) {
	const tableTimeout = 300 * time.Millisecond
	stall := func(ctx context.Context, _ string) (trustedtable.DomainRecord, bool, error) {
		if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > tableTimeout {
			return trustedtable.DomainRecord{}, false, errors.New("the table call is not bounded by TABLE_TIMEOUT_MS")
		}
		<-ctx.Done()
		return trustedtable.DomainRecord{}, false, ctx.Err()
	}
	failWith := func(err error) func(context.Context, string) (trustedtable.DomainRecord, bool, error) {
		return func(context.Context, string) (trustedtable.DomainRecord, bool, error) {
			return trustedtable.DomainRecord{}, false, err
		}
	}
	for _, tt := range []struct {
		name   string
		fn     func(context.Context, string) (trustedtable.DomainRecord, bool, error)
		reason decision.Reason
	}{
		{"table error", failWith(errors.New("InternalServerError: Resource temporarily broken")), decision.ReasonTableError},
		{"table missing", failWith(&types.ResourceNotFoundException{Message: new("Requested resource not found")}), decision.ReasonTableMissing},
		{"table throttled", failWith(&types.ProvisionedThroughputExceededException{Message: new("Rate exceeded")}), decision.ReasonTableThrottled},
		{"table stalled", stall, decision.ReasonTableTimeout},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := handler(decider(t, "", &fakes.TrustedTable{DomainFn: tt.fn}), &logs)
			_, err := h.Invoke(context.Background(), testevent.Load(t, "presignup-signup.json", testevent.SetAttr("email", "a@partner.example.org")))
			var ue *decision.UserError
			if !errors.As(err, &ue) || ue.Reason != tt.reason {
				t.Fatalf("err = %v, want refusal %s", err, tt.reason)
			}
			if ue.Error() != presignup.RefusalMessage {
				t.Errorf("user sees %q", ue.Error())
			}
			var line map[string]any
			if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
				t.Fatalf("decision line: %v\n%s", err, logs.String())
			}
			if line["outcome"] != "refused" || line["reason"] != string(tt.reason) {
				t.Errorf("decision line says %v/%v, want refused/%s", line["outcome"], line["reason"], tt.reason)
			}
			if _, ok := line["TableLatencyMs"].(float64); !ok {
				t.Errorf("decision line lacks TableLatencyMs: %s", logs.String())
			}
		})
	}
}

func TestMalformedAndMisdirectedEvents(t *testing.T) {
	h := handler(decider(t, "example.com", nil), nil)
	for name, tt := range map[string]struct {
		in     []byte
		reason decision.Reason
	}{
		"not json":        {[]byte(`{"version":`), decision.ReasonMalformedEvent},
		"unknown source":  {[]byte(`{"version":"1","triggerSource":"PreSignUp_Whatever","userPoolId":"p","callerContext":{},"request":{}}`), decision.ReasonMalformedEvent},
		"another trigger": {testevent.Raw(t, "postauth-authentication.json"), decision.ReasonWrongTrigger},
		"empty":           {nil, decision.ReasonMalformedEvent},
		// Which copy of a duplicated attribute "wins" differs between
		// parsers, so the event is refused rather than read either way.
		"duplicate email attribute": {testevent.Load(t, "presignup-signup.json",
			testevent.SetRequest("userAttributes", json.RawMessage(`{"email":"a@evil.io","email":"a@example.com"}`))), decision.ReasonMalformedEvent},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := h.Invoke(context.Background(), tt.in)
			var ue *decision.UserError
			if !errors.As(err, &ue) || out != nil {
				t.Fatalf("got %s, %v; want a user-safe refusal", out, err)
			}
			if ue.Error() != decision.MalformedMessage || ue.Reason != tt.reason {
				t.Errorf("user sees %q with reason %q, want the malformed-event text with %q", ue.Error(), ue.Reason, tt.reason)
			}
		})
	}
}

// TestLogsCarryNoAddress: the decision line names the rule, never the
// address (the local part is personal data): one JSON line per decision.
func TestLogsCarryNoAddress(t *testing.T) {
	var logs bytes.Buffer
	h := handler(decider(t, "example.com", nil), &logs)
	for _, c := range []struct {
		email   string
		allowed bool
	}{{"canary.local.part@example.com", true}, {"canary.local.part@evil.io", false}} {
		_, err := h.Invoke(context.Background(), testevent.Load(t, "presignup-signup.json", testevent.SetAttr("email", c.email)))
		if (err == nil) != c.allowed {
			t.Fatalf("%s: err %v, want allowed %v", c.email, err, c.allowed)
		}
	}
	if strings.Contains(logs.String(), "canary.local.part") {
		t.Errorf("an email address reached the log:\n%s", logs.String())
	}
	lines := bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d log lines for 2 decisions, want one per decision:\n%s", len(lines), logs.String())
	}
	want := []map[string]any{{"outcome": "allowed", "rule": "allowlist"}, {"outcome": "refused", "reason": "domain_not_allowed"}}
	for i, line := range lines {
		var got map[string]any
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		for k, v := range want[i] {
			if got[k] != v {
				t.Errorf("line %d: %s = %v, want %v", i, k, got[k], v)
			}
		}
	}
}

// TestPhoneCountryAllowlist: with ALLOWED_PHONE_COUNTRY_CODES set, a
// sign-up whose phone number has another calling code is refused; the
// rules themselves are package signupgate's.
func TestPhoneCountryAllowlist(t *testing.T) {
	d := decider(t, "example.com", nil, func(c *presignup.Config) { c.PhoneCountryCodes = []string{"+1", "+44"} })
	for phone, want := range map[string]decision.Reason{
		"+442079460000": "",
		"+88216123456":  decision.ReasonPhoneCountryDenied, // an international premium range
		"+4":            decision.ReasonPhoneInvalid,
	} {
		ev := testevent.Decode[triggers.PreSignUp](t, testevent.Load(t, "presignup-signup.json",
			attrs(map[string]any{"email": "a@example.com", "phone_number": phone})))
		if res := d.Decide(context.Background(), ev); res.Reason != want {
			t.Errorf("phone %s: reason %q (err %v), want %q", phone, res.Reason, res.Err, want)
		}
	}
}

// TestNewAndAdmitsNothing: New refuses a table without a store, and a
// decider with neither an allowlist nor a table says it admits nothing,
// so that main can warn at cold start.
func TestNewAndAdmitsNothing(t *testing.T) {
	if _, err := presignup.New(presignup.Config{Table: "claims"}, presignup.Deps{}); err == nil {
		t.Error("CLAIMS_TABLE without a domain store accepted")
	}
	if !decider(t, "", nil).AdmitsNothing() {
		t.Error("nothing configured, but AdmitsNothing is false")
	}
	if decider(t, "example.com", nil).AdmitsNothing() || decider(t, "", partnerTable()).AdmitsNothing() {
		t.Error("an allowlist or a table admits something, but AdmitsNothing is true")
	}
}
