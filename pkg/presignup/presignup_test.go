package presignup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// fakeDomains is a DomainStore with per-test behaviour.
type fakeDomains struct {
	records map[string]trustedtable.DomainRecord
	err     error
	stall   bool
	calls   int
}

func (f *fakeDomains) Domain(ctx context.Context, domain string) (trustedtable.DomainRecord, bool, error) {
	f.calls++
	if f.stall {
		<-ctx.Done()
		return trustedtable.DomainRecord{}, false, ctx.Err()
	}
	if f.err != nil {
		return trustedtable.DomainRecord{}, false, f.err
	}
	r, ok := f.records[domain]
	return r, ok, nil
}

// event returns a fixture with its user attributes replaced.
func event(t testing.TB, fixture string, attrs map[string]any, edit func(map[string]any)) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../events/" + fixture)
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if attrs != nil {
		ev["request"].(map[string]any)["userAttributes"] = attrs
	}
	if edit != nil {
		edit(ev)
	}
	out, _ := json.Marshal(ev)
	return out
}

func handler(t testing.TB, allow string, store *fakeDomains, logs *bytes.Buffer) *invoke.Handler {
	t.Helper()
	al, err := emailgate.ParseAllowlist(allow)
	if err != nil {
		t.Fatal(err)
	}
	var ds DomainStore
	if store != nil {
		ds = store
	}
	d, _ := New(Config{Allowlist: al, TableTimeout: 300 * time.Millisecond}, ds)
	var log *slog.Logger
	if logs != nil {
		log = telemetry.NewLogger(logs, slog.LevelInfo)
	}
	return invoke.New(invoke.Options{Function: "presignup", Trigger: triggers.TriggerPreSignUp, Budget: 2 * time.Second, Logger: log}, d.Decide)
}

var allFalse = map[string]any{"autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false}

func TestDecide(t *testing.T) {
	tableStore := func() *fakeDomains {
		return &fakeDomains{records: map[string]trustedtable.DomainRecord{"partner.example.org": {TenantID: "t-partner", DefaultRole: "member"}}}
	}
	tests := []struct {
		name       string
		fixture    string
		attrs      map[string]any
		edit       func(map[string]any)
		allow      string
		store      *fakeDomains
		wantReason string // "" = allowed
		wantRule   string
	}{
		{name: "allowlisted domain", fixture: "presignup-signup.json", attrs: map[string]any{"email": "jane@example.com"}, allow: "example.com", wantRule: "allowlist"},
		{name: "case of domain ignored", fixture: "presignup-signup.json", attrs: map[string]any{"email": "Jane@EXAMPLE.com"}, allow: "example.com", wantRule: "allowlist"},
		{name: "plus addressing", fixture: "presignup-signup.json", attrs: map[string]any{"email": "jane+x@example.com"}, allow: "example.com", wantRule: "allowlist"},
		{name: "admin create user gated", fixture: "presignup-admin-create-user.json", attrs: map[string]any{"email": "bob@evil.io"}, allow: "example.com", wantReason: "domain_not_allowed"},
		{name: "admin create user allowed", fixture: "presignup-admin-create-user.json", attrs: map[string]any{"email": "bob@example.com"}, allow: "example.com", wantRule: "allowlist"},
		{name: "external provider gated", fixture: "presignup-external-provider.json", attrs: map[string]any{"email": "x@gmail.com"}, allow: "example.com", wantReason: "domain_not_allowed"},
		{name: "external provider allowed", fixture: "presignup-external-provider.json", attrs: map[string]any{"email": "x@example.com"}, allow: "example.com", wantRule: "allowlist"},
		{name: "table record", fixture: "presignup-signup.json", attrs: map[string]any{"email": "ann@partner.example.org"}, allow: "example.com", store: tableStore(), wantRule: "table"},
		{name: "table has no record", fixture: "presignup-signup.json", attrs: map[string]any{"email": "ann@other.example.org"}, store: tableStore(), wantReason: "domain_not_allowed"},
		{name: "table record is exact, not for subdomains", fixture: "presignup-signup.json", attrs: map[string]any{"email": "ann@x.partner.example.org"}, store: tableStore(), wantReason: "domain_not_allowed"},
		{name: "nothing configured refuses all", fixture: "presignup-signup.json", attrs: map[string]any{"email": "jane@example.com"}, wantReason: "domain_not_allowed"},
		{name: "missing email", fixture: "presignup-signup.json", attrs: map[string]any{"name": "Jane"}, allow: "example.com", wantReason: "missing_email"},
		{name: "null user attributes", fixture: "presignup-signup.json", edit: func(ev map[string]any) { ev["request"].(map[string]any)["userAttributes"] = nil }, allow: "example.com", wantReason: "missing_email"},
		{name: "subdomain needs wildcard", fixture: "presignup-signup.json", attrs: map[string]any{"email": "a@sub.example.com"}, allow: "example.com", wantReason: "domain_not_allowed"},
		{name: "wildcard admits subdomain", fixture: "presignup-signup.json", attrs: map[string]any{"email": "a@sub.example.com"}, allow: "*.example.com", wantRule: "allowlist"},
		{name: "wildcard is not the apex", fixture: "presignup-signup.json", attrs: map[string]any{"email": "a@example.com"}, allow: "*.example.com", wantReason: "domain_not_allowed"},
		{name: "suffix lookalike", fixture: "presignup-signup.json", attrs: map[string]any{"email": "a@evil-example.com"}, allow: "example.com", wantReason: "domain_not_allowed"},
		{name: "trailing dot", fixture: "presignup-signup.json", attrs: map[string]any{"email": "a@example.com."}, allow: "example.com", wantReason: "email_trailing_dot"},
		{name: "kelvin sign", fixture: "presignup-signup.json", attrs: map[string]any{"email": "a@\u212Aelvin.example.com"}, allow: "*.example.com", wantReason: "email_non_ascii"},
		{name: "cyrillic homograph", fixture: "presignup-signup.json", attrs: map[string]any{"email": "a@exampl\u0435.com"}, allow: "example.com", wantReason: "email_non_ascii"},
		{name: "punycode homograph", fixture: "presignup-signup.json", attrs: map[string]any{"email": "a@xn--exampl-8of.com"}, allow: "example.com", wantReason: "domain_not_allowed"},
		{name: "quoted local part", fixture: "presignup-signup.json", attrs: map[string]any{"email": `"a@example.com"@evil.io`}, allow: "example.com"},
		{name: "display name", fixture: "presignup-signup.json", attrs: map[string]any{"email": "Alice <alice@example.com>"}, allow: "example.com"},
		{name: "ses parser differential", fixture: "presignup-signup.json", attrs: map[string]any{"email": "<a@evil.io>b@example.com"}, allow: "example.com"},
		{name: "encoded word", fixture: "presignup-signup.json", attrs: map[string]any{"email": "=?utf-7?q?a&AEA-evil.io?=@example.com"}, allow: "example.com"},
		{name: "crlf injection", fixture: "presignup-signup.json", attrs: map[string]any{"email": "a@example.com\r\nBcc: x@evil.io"}, allow: "example.com"},
		{name: "custom attribute and metadata cannot vouch", fixture: "presignup-signup.json",
			attrs: map[string]any{"email": "a@evil.io", "custom:domain": "example.com"},
			edit: func(ev map[string]any) {
				req := ev["request"].(map[string]any)
				req["validationData"] = map[string]any{"domain": "example.com", "email": "a@example.com"}
				req["clientMetadata"] = map[string]any{"allow": "true", "email": "a@example.com"}
			}, allow: "example.com", wantReason: "domain_not_allowed"},
		{name: "phone must be E.164", fixture: "presignup-signup.json", attrs: map[string]any{"email": "a@example.com", "phone_number": "0044 20 7946 0000"}, allow: "example.com", wantReason: "phone_invalid"},
		{name: "E.164 phone accepted", fixture: "presignup-signup.json", attrs: map[string]any{"email": "a@example.com", "phone_number": "+442079460000"}, allow: "example.com", wantRule: "allowlist"},
		{name: "duplicate email attribute", fixture: "presignup-signup.json", edit: func(ev map[string]any) {
			ev["request"].(map[string]any)["userAttributes"] = json.RawMessage(`{"email":"a@evil.io","email":"a@example.com"}`)
		}, allow: "example.com", wantReason: "malformed_event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := handler(t, tt.allow, tt.store, nil)
			in := event(t, tt.fixture, tt.attrs, tt.edit)
			out, err := h.Invoke(context.Background(), in)
			if tt.wantReason == "" && tt.wantRule == "" { // any refusal will do: an attack on the gate
				if err == nil {
					t.Fatalf("allowed a hostile address: %s", out)
				}
				return
			}
			if tt.wantReason != "" {
				var ue *triggers.UserError
				if !errors.As(err, &ue) {
					t.Fatalf("err = %v (out %s), want a refusal for %s", err, out, tt.wantReason)
				}
				if ue.Reason != tt.wantReason {
					t.Errorf("reason = %q, want %q (cause: %v)", ue.Reason, tt.wantReason, ue.Cause)
				}
				if ue.Error() != RefusalMessage {
					t.Errorf("user sees %q, want the one refusal text", ue.Error())
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v (%v)", err, errors.Unwrap(err))
			}
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("response is not JSON: %v", err)
			}
			if diff := cmp.Diff(allFalse, got["response"]); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
			var want map[string]any
			_ = json.Unmarshal(in, &want)
			want["response"] = allFalse
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("the rest of the event changed (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNeverAutoVerifies: even an incoming response with every flag true
// (Cognito never sends that, but nothing may switch a flag on) is answered
// with all three false.
func TestNeverAutoVerifies(t *testing.T) {
	h := handler(t, "example.com", nil, nil)
	in := event(t, "presignup-signup.json", map[string]any{"email": "a@example.com"}, func(ev map[string]any) {
		ev["response"] = map[string]any{"autoConfirmUser": true, "autoVerifyEmail": true, "autoVerifyPhone": true}
	})
	out, err := h.Invoke(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(`"response":{"autoConfirmUser":false,"autoVerifyEmail":false,"autoVerifyPhone":false}`)) {
		t.Errorf("response flags not all false: %s", out)
	}
}

func TestTableFailureRefusesWithinBudget(t *testing.T) {
	for _, tt := range []struct {
		name   string
		store  *fakeDomains
		reason string
	}{
		{"table error", &fakeDomains{err: errors.New("ResourceNotFoundException: table missing")}, "table_error"},
		{"table stalled", &fakeDomains{stall: true}, "table_timeout"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := handler(t, "", tt.store, &logs)
			start := time.Now()
			_, err := h.Invoke(context.Background(), event(t, "presignup-signup.json", map[string]any{"email": "a@partner.example.org"}, nil))
			elapsed := time.Since(start)
			var ue *triggers.UserError
			if !errors.As(err, &ue) || ue.Reason != tt.reason {
				t.Fatalf("err = %v, want refusal %s", err, tt.reason)
			}
			if ue.Error() != RefusalMessage || strings.Contains(ue.Error(), "Resource") {
				t.Errorf("user sees %q", ue.Error())
			}
			if elapsed > time.Second { // TableTimeout is 300 ms, budget 2 s
				t.Errorf("answered after %v, want within the 300 ms table timeout", elapsed)
			}
			if !strings.Contains(logs.String(), `"reason":"`+tt.reason+`"`) {
				t.Errorf("decision line lacks the reason: %s", logs.String())
			}
		})
	}
}

func TestMalformedAndMisdirectedEvents(t *testing.T) {
	h := handler(t, "example.com", nil, nil)
	post, _ := os.ReadFile("../../events/postauth-authentication.json")
	for name, in := range map[string][]byte{
		"not json":        []byte(`{"version":`),
		"unknown source":  []byte(`{"version":"1","triggerSource":"PreSignUp_Whatever","userPoolId":"p","callerContext":{},"request":{}}`),
		"another trigger": post,
		"empty":           nil,
	} {
		t.Run(name, func(t *testing.T) {
			out, err := h.Invoke(context.Background(), in)
			var ue *triggers.UserError
			if !errors.As(err, &ue) || out != nil {
				t.Fatalf("got %s, %v; want a user-safe refusal", out, err)
			}
			if ue.Error() != invoke.MalformedMessage {
				t.Errorf("user sees %q", ue.Error())
			}
		})
	}
}

// TestLogsCarryNoAddress: the decision line names the rule, never the
// address (the local part is personal data).
func TestLogsCarryNoAddress(t *testing.T) {
	var logs bytes.Buffer
	h := handler(t, "example.com", nil, &logs)
	for _, email := range []string{"canary.local.part@example.com", "canary.local.part@evil.io"} {
		_, _ = h.Invoke(context.Background(), event(t, "presignup-signup.json", map[string]any{"email": email}, nil))
	}
	if strings.Contains(logs.String(), "canary.local.part") {
		t.Errorf("an email address reached the log:\n%s", logs.String())
	}
	for _, line := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
		if !json.Valid(line) {
			t.Errorf("log line is not JSON: %s", line)
		}
	}
	if n := bytes.Count(logs.Bytes(), []byte("\n")); n != 2 {
		t.Errorf("%d log lines for 2 decisions, want one per decision", n)
	}
}

// FuzzDecide: any event and any address either is refused, or is allowed
// with a domain byte-equal to an allowlist entry, an unchanged event and an
// all-false response.
func FuzzDecide(f *testing.F) {
	for _, e := range []string{"a@example.com", "a@EXAMPLE.COM", "a@example.com.", "a@\u212A.example.com", `"a"@example.com`, "a@sub.example.com", "a@b.c", ""} {
		f.Add(e, "PreSignUp_SignUp")
	}
	f.Add("a@example.com", "PreSignUp_AdminCreateUser")
	f.Add("a@example.com", "PreSignUp_ExternalProvider")
	f.Add("a@example.com", "TokenGeneration_HostedAuth")
	h := handler(f, "example.com", nil, nil)
	f.Fuzz(func(t *testing.T, email, source string) {
		in := event(t, "presignup-signup.json", map[string]any{"email": email}, func(ev map[string]any) { ev["triggerSource"] = source })
		out, err := h.Invoke(context.Background(), in)
		if err != nil {
			var ue *triggers.UserError
			if !errors.As(err, &ue) || (ue.Message != RefusalMessage && ue.Message != invoke.MalformedMessage) {
				t.Fatalf("refusal is not user-safe: %v", err)
			}
			return
		}
		at := strings.LastIndexByte(email, '@')
		if at < 0 || strings.ToLower(email[at+1:]) != "example.com" {
			t.Fatalf("allowed %q", email)
		}
		for i := 0; i < len(email); i++ {
			if email[i] >= 0x80 {
				t.Fatalf("allowed non-ASCII %q", email)
			}
		}
		if !bytes.Contains(out, []byte(`"response":{"autoConfirmUser":false,"autoVerifyEmail":false,"autoVerifyPhone":false}`)) {
			t.Fatalf("response not all false: %s", out)
		}
	})
}

// BenchmarkHandler measures the whole invocation from raw event bytes to
// raw response bytes, decision line included (to a discarding writer).
func BenchmarkHandler(b *testing.B) {
	in, err := os.ReadFile("../../events/presignup-signup.json")
	if err != nil {
		b.Fatal(err)
	}
	al, _ := emailgate.ParseAllowlist("example.com")
	d, _ := New(Config{Allowlist: al}, nil)
	h := invoke.New(invoke.Options{Function: "presignup", Trigger: triggers.TriggerPreSignUp,
		Logger: telemetry.NewLogger(discard{}, slog.LevelInfo)}, d.Decide)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := h.Invoke(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestPhoneCountryAllowlist: with ALLOWED_PHONE_COUNTRY_CODES set, a phone
// number outside the listed calling codes is refused (SMS pumping, threat
// model A9); without a list any strict E.164 number passes.
func TestPhoneCountryAllowlist(t *testing.T) {
	al, _ := emailgate.ParseAllowlist("example.com")
	tests := []struct {
		codes  []string
		phone  string
		reason string
	}{
		{nil, "+88216123456", ""},
		{[]string{"+1", "+44"}, "+14155550100", ""},
		{[]string{"+1", "+44"}, "+442079460000", ""},
		{[]string{"+1", "+44"}, "+88216123456", "phone_country_not_allowed"}, // an international premium range
		{[]string{"+1", "+44"}, "+4930123456", "phone_country_not_allowed"},
		{[]string{"+44"}, "+4", "phone_invalid"},
	}
	for _, tt := range tests {
		d, _ := New(Config{Allowlist: al, PhoneCountryCodes: tt.codes}, nil)
		h := invoke.New(invoke.Options{Function: "presignup", Trigger: triggers.TriggerPreSignUp}, d.Decide)
		_, err := h.Invoke(context.Background(), event(t, "presignup-signup.json", map[string]any{"email": "a@example.com", "phone_number": tt.phone}, nil))
		var ue *triggers.UserError
		switch {
		case tt.reason == "" && err != nil:
			t.Errorf("codes %v phone %s: refused (%v), want allowed", tt.codes, tt.phone, err)
		case tt.reason != "" && (!errors.As(err, &ue) || ue.Reason != tt.reason):
			t.Errorf("codes %v phone %s: got %v, want refusal %s", tt.codes, tt.phone, err, tt.reason)
		}
	}
}

func TestLoadConfigPhoneCodes(t *testing.T) {
	env := map[string]string{"ALLOWED_PHONE_COUNTRY_CODES": "+1, +44,+353"}
	r := envconfig.New(func(k string) string { return env[k] })
	if c := LoadConfig(r); r.Err() != nil || len(c.PhoneCountryCodes) != 3 {
		t.Fatalf("codes %v, err %v", c.PhoneCountryCodes, r.Err())
	}
	for _, bad := range []string{"44", "+0", "+1234", "+1a", "+"} {
		env["ALLOWED_PHONE_COUNTRY_CODES"] = bad
		r := envconfig.New(func(k string) string { return env[k] })
		LoadConfig(r)
		if r.Err() == nil {
			t.Errorf("ALLOWED_PHONE_COUNTRY_CODES=%q accepted", bad)
		}
	}
}
