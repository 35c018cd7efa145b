package pretoken

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// TestTableFailuresDenyWithinBudget: a stalled, throttled or missing
// table denies the token with the generic text, within the table's share
// of the budget, and never falls back to the attributes (the fixture
// carries a custom:tenant_id that would otherwise be there to take).
func TestTableFailuresDenyWithinBudget(t *testing.T) {
	const tableTimeout = 150 * time.Millisecond
	throttled := &types.ProvisionedThroughputExceededException{Message: ptr("Rate of requests exceeds the allowed throughput.")}
	missing := &types.ResourceNotFoundException{Message: ptr("Requested resource not found")}
	for _, tc := range []struct {
		name    string
		fixture string
		setup   func(*fakeStore)
		reason  string
	}{
		{"stalled", "pretoken-v1-authentication.json", func(s *fakeStore) { s.stall = true }, ReasonTableTimeout},
		{"throttled", "pretoken-v1-authentication.json", func(s *fakeStore) { s.err = throttled }, ReasonTableError},
		{"missing table", "pretoken-v1-authentication.json", func(s *fakeStore) { s.err = missing }, ReasonTableError},
		{"stalled (m2m)", "pretoken-v3-client-credentials.json", func(s *fakeStore) { s.stall = true }, ReasonTableTimeout},
		{"throttled (m2m)", "pretoken-v3-client-credentials.json", func(s *fakeStore) { s.err = throttled }, ReasonTableError},
		{"stalled during binding", "pretoken-v2-hosted-auth.json", func(s *fakeStore) {
			delete(s.users, subSam)
			s.domains["example.com"] = trustedtable.DomainRecord{TenantID: "acme", DefaultRole: "member"}
			s.stallOn = "Bind"
		}, ReasonTableTimeout},
		{"domain read fails", "pretoken-v2-hosted-auth.json", func(s *fakeStore) {
			delete(s.users, subSam)
			s.errOn, s.err = "Domain", missing
		}, ReasonTableError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := seeded()
			tc.setup(store)
			r := newRig(t, Config{TableTimeout: tableTimeout, MissingPolicy: PolicyOmit}, store)
			start := time.Now()
			out, ue := r.invoke(t, fixture(t, tc.fixture, nil))
			elapsed := time.Since(start)
			if ue == nil {
				t.Fatalf("answered during a table failure:\n%s", out)
			}
			if ue.Reason != tc.reason || ue.Message != triggers.GenericMessage {
				t.Errorf("denial = %s %q, want %s with the generic text", ue.Reason, ue.Message, tc.reason)
			}
			if elapsed > tableTimeout+100*time.Millisecond {
				t.Errorf("answered after %v, want within the %v table timeout", elapsed, tableTimeout)
			}
			if line := r.lastLine(t); line["outcome"] != OutcomeDenied || line["reason"] != tc.reason {
				t.Errorf("decision line: outcome %v reason %v", line["outcome"], line["reason"])
			}
		})
	}
}

// TestTableBudgetCappedByInvocation: a table timeout longer than what is
// left of the invocation budget is cut to the budget.
func TestTableBudgetCappedByInvocation(t *testing.T) {
	store := seeded()
	store.stall = true
	d, err := New(Config{Table: "claims", TableTimeout: 4 * time.Second}, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := invoke.New(invoke.Options{Function: "pretoken", Trigger: triggers.TriggerPreTokenGeneration, Budget: 200 * time.Millisecond}, d.Decide)
	start := time.Now()
	_, err = h.Invoke(context.Background(), fixture(t, "pretoken-v2-hosted-auth.json", nil))
	if elapsed := time.Since(start); elapsed > 300*time.Millisecond {
		t.Errorf("answered after %v with a 200 ms budget", elapsed)
	}
	var ue *triggers.UserError
	if !errors.As(err, &ue) || ue.Reason != ReasonTableTimeout {
		t.Errorf("err = %v, want a table_timeout denial", err)
	}
}

func ptr(s string) *string { return &s }

// TestConfig covers LoadConfig's defaults and every refusal.
func TestConfig(t *testing.T) {
	ok := map[string]string{"CLAIMS_TABLE": "claims"}
	t.Run("defaults", func(t *testing.T) {
		cfg, err := loadConfig(ok)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.MissingPolicy != PolicyDeny || cfg.CacheTTL != DefaultCacheTTL || cfg.TableTimeout != DefaultTableTimeout || len(cfg.Suppress) != 0 {
			t.Errorf("defaults = %+v", cfg)
		}
	})
	t.Run("all set", func(t *testing.T) {
		cfg, err := loadConfig(map[string]string{"CLAIMS_TABLE": "claims", "CLAIMS_MISSING_POLICY": "omit", "CLAIMS_CACHE_TTL": "0",
			"SUPPRESS_CLAIMS": " custom:role , custom:plan,", "TABLE_TIMEOUT_MS": "500"})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.MissingPolicy != PolicyOmit || cfg.CacheTTL != 0 || cfg.TableTimeout != 500*time.Millisecond ||
			strings.Join(cfg.Suppress, ",") != "custom:role,custom:plan" {
			t.Errorf("config = %+v", cfg)
		}
	})
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // in the error
	}{
		{"table required", map[string]string{}, "CLAIMS_TABLE"},
		{"policy", map[string]string{"CLAIMS_TABLE": "c", "CLAIMS_MISSING_POLICY": "allow"}, "CLAIMS_MISSING_POLICY"},
		{"ttl above 60s", map[string]string{"CLAIMS_TABLE": "c", "CLAIMS_CACHE_TTL": "61s"}, "CLAIMS_CACHE_TTL"},
		{"negative ttl", map[string]string{"CLAIMS_TABLE": "c", "CLAIMS_CACHE_TTL": "-1s"}, "CLAIMS_CACHE_TTL"},
		{"table timeout", map[string]string{"CLAIMS_TABLE": "c", "TABLE_TIMEOUT_MS": "9000"}, "TABLE_TIMEOUT_MS"},
		{"reserved sub", map[string]string{"CLAIMS_TABLE": "c", "SUPPRESS_CLAIMS": "custom:role,sub"}, `"sub" is a reserved claim`},
		{"reserved in another case", map[string]string{"CLAIMS_TABLE": "c", "SUPPRESS_CLAIMS": "Aud"}, "reserved"},
		{"cognito: claim", map[string]string{"CLAIMS_TABLE": "c", "SUPPRESS_CLAIMS": "cognito:groups"}, "reserved"},
		{"our own claim", map[string]string{"CLAIMS_TABLE": "c", "SUPPRESS_CLAIMS": "tenant_id"}, "added by this trigger"},
		{"not a claim name", map[string]string{"CLAIMS_TABLE": "c", "SUPPRESS_CLAIMS": "custom:a b"}, "not a claim name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfig(tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %s", err, tc.want)
			}
		})
	}
	t.Run("New refuses what LoadConfig refuses", func(t *testing.T) {
		for _, cfg := range []Config{
			{Suppress: []string{"iss"}},
			{CacheTTL: 2 * time.Minute},
			{MissingPolicy: "allow"},
		} {
			if _, err := New(cfg, newFakeStore(), nil); err == nil {
				t.Errorf("New(%+v) succeeded", cfg)
			}
		}
	})
}

func loadConfig(env map[string]string) (Config, error) {
	r := envReader(env)
	cfg := LoadConfig(r)
	return cfg, r.Err()
}

// TestLogLines: one JSON decision line per invocation, carrying the
// decision's facts and metrics and never the email.
func TestLogLines(t *testing.T) {
	store := seeded()
	delete(store.users, subSam)
	store.domains["example.com"] = trustedtable.DomainRecord{TenantID: "acme", DefaultRole: "member"}
	r := newRig(t, Config{CacheTTL: DefaultCacheTTL}, store)
	in := fixture(t, "pretoken-v2-hosted-auth.json", setAttr("email", "canary.local@example.com"))
	for i := 0; i < 2; i++ {
		if _, ue := r.invoke(t, in); ue != nil {
			t.Fatal(ue.Cause)
		}
	}
	r.invoke(t, fixture(t, "pretoken-v2-hosted-auth.json", edits(setAttr("sub", "e2b7c9d4-0000-0000-0000-000000000000"),
		setAttr("email", "canary.local@nowhere.example"))))
	logs := r.logs.String()
	if strings.Contains(logs, "canary.local") || strings.Contains(logs, "nowhere.example") {
		t.Errorf("an email address reached the log:\n%s", logs)
	}
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d log lines for 3 invocations:\n%s", len(lines), logs)
	}
	wantFacts := []map[string]any{
		{"sub": subSam, "tenantId": "acme", "role": "member", "version": "2", "cache": "miss", "bound": true,
			"outcome": "claims_added", "BoundFromDomain": 1.0, "CacheHit": 0.0, "CacheMiss": 1.0},
		{"sub": subSam, "tenantId": "acme", "role": "member", "version": "2", "cache": "hit", "bound": false,
			"outcome": "claims_added", "BoundFromDomain": 0.0, "CacheHit": 1.0, "CacheMiss": 0.0},
		{"sub": "e2b7c9d4-0000-0000-0000-000000000000", "version": "2", "cache": "miss", "bound": false,
			"outcome": "denied", "reason": "no_record", "BoundFromDomain": 0.0, "CacheHit": 0.0, "CacheMiss": 1.0},
	}
	for i, line := range lines {
		m := decodeLine(t, line)
		for k, want := range wantFacts[i] {
			if m[k] != want {
				t.Errorf("line %d: %s = %v, want %v", i, k, m[k], want)
			}
		}
		if i != 1 && m["TableLatencyMs"] == nil {
			t.Errorf("line %d: no TableLatencyMs after table calls", i)
		}
		if i == 1 && m["TableLatencyMs"] != nil {
			t.Errorf("line %d: TableLatencyMs on a cache hit", i)
		}
		for _, metric := range []string{"BoundFromDomain", "CacheHit", "CacheMiss"} {
			if !strings.Contains(line, `{"Name":"`+metric+`","Unit":"Count"}`) {
				t.Errorf("line %d: EMF directive lacks %s: %s", i, metric, line)
			}
		}
	}
}

// TestTelemetryNames pins the metric and dimension names the template's
// alarms use.
func TestTelemetryNames(t *testing.T) {
	if telemetry.DimOutcome != "outcome" || telemetry.DimReason != "reason" {
		t.Fatal("dimension names changed")
	}
	got := []string{OutcomeClaimsAdded, OutcomeClaimsOmitted, OutcomeDenied, ReasonTableError, ReasonTableTimeout, ReasonNoRecord,
		ReasonUnknownClient, ReasonEmailUnverified, ReasonClaimsTooLarge, ReasonBadRecord, ReasonMalformedEvent}
	want := "claims_added claims_omitted denied table_error table_timeout no_record unknown_client email_unverified claims_too_large bad_record malformed_event"
	if strings.Join(got, " ") != want {
		t.Errorf("names = %s\nwant    %s", strings.Join(got, " "), want)
	}
}
