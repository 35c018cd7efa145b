package signupgate_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/signupgate"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// records is a trusted table holding domain# records, counting its calls.
func records(calls *int, domains ...string) *fakes.TrustedTable {
	return &fakes.TrustedTable{DomainFn: func(_ context.Context, domain string) (trustedtable.DomainRecord, bool, error) {
		*calls++
		for _, d := range domains {
			if d == domain {
				return trustedtable.DomainRecord{TenantID: "t-" + d, DefaultRole: "member"}, true, nil
			}
		}
		return trustedtable.DomainRecord{}, false, nil
	}}
}

func gate(t *testing.T, allow string, cfg signupgate.Config, store signupgate.DomainStore) *signupgate.Gate {
	t.Helper()
	if allow != "" {
		al, err := emailgate.ParseAllowlist(allow)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Allowlist = al
	}
	if store != nil && cfg.Table == "" {
		cfg.Table = "claims"
	}
	g, err := signupgate.New(cfg, signupgate.Deps{Domains: store})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestAdmit: an address is admitted by the allowlist, else by an exact
// domain# record, else refused; the table is asked only when the
// allowlist does not admit, and only about an address that parsed.
func TestAdmit(t *testing.T) {
	tests := []struct {
		name      string
		email     string
		allow     string
		table     bool // a table holding domain#partner.example.org
		rule      string
		reason    decision.Reason
		wantCalls int
	}{
		{name: "allowlisted", email: "jane@example.com", allow: "example.com", table: true, rule: "allowlist"},
		{name: "domain case ignored", email: "Jane@EXAMPLE.com", allow: "example.com", rule: "allowlist"},
		{name: "wildcard admits a subdomain", email: "a@sub.example.com", allow: "*.example.com", rule: "allowlist"},
		{name: "wildcard is not the apex", email: "a@example.com", allow: "*.example.com", reason: decision.ReasonDomainNotAllowed},
		{name: "domain record", email: "ann@partner.example.org", allow: "example.com", table: true, rule: "table", wantCalls: 1},
		{name: "no domain record", email: "ann@other.example.org", table: true, reason: decision.ReasonDomainNotAllowed, wantCalls: 1},
		{name: "a record is for its domain only", email: "ann@x.partner.example.org", table: true, reason: decision.ReasonDomainNotAllowed, wantCalls: 1},
		{name: "no allowlist entry and no table", email: "ann@partner.example.org", allow: "example.com", reason: decision.ReasonDomainNotAllowed},
		{name: "nothing configured", email: "jane@example.com", reason: decision.ReasonDomainNotAllowed},
		{name: "no email", email: "", allow: "example.com", table: true, reason: decision.ReasonMissingEmail},
		{name: "strict parsing names its rule", email: "a@example.com.", allow: "example.com", table: true, reason: "email_trailing_dot"},
		{name: "non-ASCII never reaches the table", email: "a@partner.example.\u0440rg", table: true, reason: "email_non_ascii"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			var store signupgate.DomainStore
			if tt.table {
				store = records(&calls, "partner.example.org")
			}
			v := gate(t, tt.allow, signupgate.Config{}, store).Admit(context.Background(), tt.email)
			if v.Rule != tt.rule || v.Reason != tt.reason {
				t.Errorf("Admit(%q) = rule %q reason %q, want rule %q reason %q (cause %v)", tt.email, v.Rule, v.Reason, tt.rule, tt.reason, v.Cause)
			}
			if v.Admitted() != (tt.reason == "") || v.Failed() {
				t.Errorf("Admitted() = %v, Failed() = %v for reason %q", v.Admitted(), v.Failed(), v.Reason)
			}
			if !v.Admitted() && v.Cause == nil {
				t.Error("a refusal without a cause for the log")
			}
			if calls != tt.wantCalls {
				t.Errorf("%d table calls, want %d", calls, tt.wantCalls)
			}
			if (v.TableLatency > 0) != (calls > 0) {
				t.Errorf("TableLatency = %v after %d table calls", v.TableLatency, calls)
			}
		})
	}
}

// TestAdmitTableFailures: a table that fails refuses the address (the
// gate fails closed), with the reason the one classifier gives, so that
// "table_throttled" means the same for every trigger.
func TestAdmitTableFailures(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		reason decision.Reason
	}{
		{"throttled", &types.ProvisionedThroughputExceededException{Message: new("slow down")}, decision.ReasonTableThrottled},
		{"missing table", &types.ResourceNotFoundException{Message: new("no such table")}, decision.ReasonTableMissing},
		{"access denied", &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not allowed"}, decision.ReasonTableRefused},
		{"anything else", errors.New("connection reset by peer"), decision.ReasonTableError},
		{"deadline", context.DeadlineExceeded, decision.ReasonTableTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakes.TrustedTable{DomainFn: func(context.Context, string) (trustedtable.DomainRecord, bool, error) {
				return trustedtable.DomainRecord{TenantID: "t"}, true, tt.err
			}}
			v := gate(t, "", signupgate.Config{}, store).Admit(context.Background(), "ann@partner.example.org")
			if v.Reason != tt.reason || v.Admitted() || !v.Failed() {
				t.Errorf("reason %q admitted %v failed %v, want refused with %q and Failed", v.Reason, v.Admitted(), v.Failed(), tt.reason)
			}
			if !errors.Is(v.Cause, tt.err) {
				t.Errorf("cause %v does not carry the table's error", v.Cause)
			}
			if v.TableLatency <= 0 {
				t.Error("no TableLatency for a table call")
			}
		})
	}
}

// TestAdmitTableTimeout: the lookup runs under TABLE_TIMEOUT_MS, so a
// stalled table is abandoned by the gate's own deadline, well inside the
// invocation budget, and reported as a timeout.
func TestAdmitTableTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	var deadline time.Duration
	store := &fakes.TrustedTable{DomainFn: func(ctx context.Context, _ string) (trustedtable.DomainRecord, bool, error) {
		dl, ok := ctx.Deadline()
		if !ok {
			return trustedtable.DomainRecord{}, false, errors.New("the table call has no deadline")
		}
		deadline = time.Until(dl)
		<-ctx.Done()
		return trustedtable.DomainRecord{}, false, ctx.Err()
	}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // the invocation budget
	defer cancel()
	v := gate(t, "", signupgate.Config{TableTimeout: timeout}, store).Admit(ctx, "ann@partner.example.org")
	if v.Reason != decision.ReasonTableTimeout || !v.Failed() {
		t.Fatalf("reason %q, want %q (cause %v)", v.Reason, decision.ReasonTableTimeout, v.Cause)
	}
	if deadline <= 0 || deadline > timeout {
		t.Errorf("the table call had %v left, want at most TABLE_TIMEOUT_MS (%v)", deadline, timeout)
	}
}

// TestPhone: a phone number must be strict E.164 and, with
// ALLOWED_PHONE_COUNTRY_CODES set, carry a listed calling code (the
// sign-up lever against SMS pumping to premium ranges); without a list any
// strict E.164 number passes.
func TestPhone(t *testing.T) {
	tests := []struct {
		codes  []string
		phone  string
		reason decision.Reason
	}{
		{nil, "+88216123456", ""},
		{[]string{"+1", "+44"}, "+14155550100", ""},
		{[]string{"+1", "+44"}, "+442079460000", ""},
		{[]string{"+1", "+44"}, "+88216123456", decision.ReasonPhoneCountryDenied}, // an international premium range
		{[]string{"+1", "+44"}, "+4930123456", decision.ReasonPhoneCountryDenied},
		{[]string{"+44"}, "+4", decision.ReasonPhoneInvalid},
		{nil, "0044 20 7946 0000", decision.ReasonPhoneInvalid},
		{[]string{"+44"}, "+44 20 7946 0000", decision.ReasonPhoneInvalid}, // the format is checked before the code
	}
	for _, tt := range tests {
		g := gate(t, "", signupgate.Config{PhoneCountryCodes: tt.codes}, nil)
		if got := g.Phone(tt.phone); got != tt.reason {
			t.Errorf("codes %v: Phone(%q) = %q, want %q", tt.codes, tt.phone, got, tt.reason)
		}
	}
}

func TestValidE164(t *testing.T) {
	for s, want := range map[string]bool{
		"+14155550100":      true,
		"+1234567":          true, // 7 digits, the shortest
		"+123456789012345":  true, // 15 digits, the longest
		"+123456":           false,
		"+1234567890123456": false,
		"14155550100":       false, // no +
		"+04155550100":      false, // a calling code never starts with 0
		"+1 415 555 0100":   false,
		"+1-415-555-0100":   false,
		"+1415555010\u0661": false, // an Arabic-Indic digit
		"+":                 false,
		"":                  false,
	} {
		if got := signupgate.ValidE164(s); got != want {
			t.Errorf("ValidE164(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestLoadConfig reads the gate's four variables, with their defaults,
// and names each bad one.
func TestLoadConfig(t *testing.T) {
	load := func(env map[string]string) (signupgate.Config, error) {
		r := envconfig.New(func(k string) string { return env[k] })
		c := signupgate.LoadConfig(r)
		return c, r.Err()
	}

	c, err := load(map[string]string{})
	if err != nil {
		t.Fatalf("an empty environment: %v", err)
	}
	if !c.Allowlist.Empty() || c.Table != "" || c.TableTimeout != signupgate.DefaultTableTimeout || c.PhoneCountryCodes != nil {
		t.Errorf("defaults: %+v", c)
	}

	c, err = load(map[string]string{
		"ALLOWED_EMAIL_DOMAINS":       "example.com, *.partner.example.org",
		"CLAIMS_TABLE":                "claims",
		"TABLE_TIMEOUT_MS":            "600",
		"ALLOWED_PHONE_COUNTRY_CODES": "+1, +44,+353",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Allowlist.Match("example.com") || !c.Allowlist.Match("eu.partner.example.org") || c.Allowlist.Match("partner.example.org") {
		t.Errorf("allowlist does not hold the two entries")
	}
	if c.Table != "claims" || c.TableTimeout != 600*time.Millisecond {
		t.Errorf("table %q timeout %v", c.Table, c.TableTimeout)
	}
	if got := strings.Join(c.PhoneCountryCodes, " "); got != "+1 +44 +353" {
		t.Errorf("calling codes %q", got)
	}

	for name, bad := range map[string][]string{
		"ALLOWED_EMAIL_DOMAINS":       {"exa mple.com", "*.com", "example.com."},
		"TABLE_TIMEOUT_MS":            {"10", "5000", "1s"},
		"ALLOWED_PHONE_COUNTRY_CODES": {"44", "+0", "+1234", "+1a", "+"},
	} {
		for _, v := range bad {
			_, err := load(map[string]string{name: v})
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%q: err %v, want one naming %s", name, v, err, name)
			}
		}
	}
}

// TestNew refuses what would make the gate wrong rather than fail later.
func TestNew(t *testing.T) {
	if _, err := signupgate.New(signupgate.Config{Table: "claims"}, signupgate.Deps{}); err == nil {
		t.Error("CLAIMS_TABLE without a store accepted")
	}
	if _, err := signupgate.New(signupgate.Config{PhoneCountryCodes: []string{"44"}}, signupgate.Deps{}); err == nil {
		t.Error("a calling code without + accepted")
	}
	// A zero TableTimeout means the default, not a lookup that is out of
	// time before it starts.
	store := &fakes.TrustedTable{DomainFn: func(ctx context.Context, _ string) (trustedtable.DomainRecord, bool, error) {
		if _, ok := ctx.Deadline(); !ok || ctx.Err() != nil {
			return trustedtable.DomainRecord{}, false, errors.New("the lookup has no time")
		}
		return trustedtable.DomainRecord{}, true, nil
	}}
	if v := gate(t, "", signupgate.Config{}, store).Admit(context.Background(), "a@partner.example.org"); !v.Admitted() {
		t.Errorf("zero TableTimeout: %q (%v)", v.Reason, v.Cause)
	}
}

// TestAdmitsNothing: with neither an allowlist nor a table every address
// is refused, which a main reports at cold start.
func TestAdmitsNothing(t *testing.T) {
	calls := 0
	for _, tt := range []struct {
		name  string
		allow string
		store signupgate.DomainStore
		want  bool
	}{
		{"nothing", "", nil, true},
		{"allowlist", "example.com", nil, false},
		{"table", "", records(&calls), false},
	} {
		if got := gate(t, tt.allow, signupgate.Config{}, tt.store).AdmitsNothing(); got != tt.want {
			t.Errorf("%s: AdmitsNothing() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
