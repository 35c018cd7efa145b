package pretoken

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/budget"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// deadlines records, for every table call, when it started and the
// deadline its context carried.
type deadlines struct {
	mu    sync.Mutex
	calls []deadline
}

type deadline struct {
	method   string
	at, ends time.Time
	has      bool
}

func (d *deadlines) note(ctx context.Context, method string) {
	ends, has := ctx.Deadline()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, deadline{method: method, at: time.Now(), ends: ends, has: has})
}

// recordDeadlines wraps every method of t to record its deadline.
func recordDeadlines(t *table) *deadlines {
	d := new(deadlines)
	user, client, domain, bind := t.UserFn, t.ClientFn, t.DomainFn, t.BindFn
	t.UserFn = func(ctx context.Context, sub string) (trustedtable.UserRecord, bool, error) {
		d.note(ctx, "User")
		return user(ctx, sub)
	}
	t.ClientFn = func(ctx context.Context, id string) (trustedtable.ClientRecord, bool, error) {
		d.note(ctx, "Client")
		return client(ctx, id)
	}
	t.DomainFn = func(ctx context.Context, name string) (trustedtable.DomainRecord, bool, error) {
		d.note(ctx, "Domain")
		return domain(ctx, name)
	}
	t.BindFn = func(ctx context.Context, sub string, b trustedtable.Binding) (trustedtable.UserRecord, bool, error) {
		d.note(ctx, "Bind")
		return bind(ctx, sub, b)
	}
	return d
}

// check fails the test unless every call had a deadline at most limit
// after it started, and all calls of the invocation shared one deadline:
// TABLE_TIMEOUT_MS bounds them together, not each.
func (d *deadlines) check(t *testing.T, limit time.Duration) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.calls) == 0 {
		t.Fatal("no table call")
	}
	for _, c := range d.calls {
		if !c.has {
			t.Errorf("%s: called without a deadline", c.method)
			continue
		}
		if left := c.ends.Sub(c.at); left > limit {
			t.Errorf("%s: %v left to its deadline, more than %v", c.method, left, limit)
		}
		if !c.ends.Equal(d.calls[0].ends) {
			t.Errorf("%s: deadline %v, the first call's was %v: not one deadline for the invocation", c.method, c.ends, d.calls[0].ends)
		}
	}
}

// TestTableFailuresDeny: a stalled, throttled or missing table denies the
// token with the generic text and the reason that names the failure,
// never falls back to the attributes (the fixture carries a
// custom:tenant_id that would otherwise be there to take) and never
// applies the omit policy. Every table call of the invocation runs under
// one deadline at most TABLE_TIMEOUT_MS away, so a stall ends within it.
func TestTableFailuresDeny(t *testing.T) {
	const tableTimeout = 150 * time.Millisecond
	throttled := &types.ProvisionedThroughputExceededException{Message: ptr("Rate of requests exceeds the allowed throughput.")}
	missing := &types.ResourceNotFoundException{Message: ptr("Requested resource not found")}
	serverErr := &types.InternalServerError{Message: ptr("Internal server error")}
	for _, tc := range []struct {
		name    string
		fixture string
		setup   []func(*table)
		reason  decision.Reason
		calls   []string
	}{
		{"stalled", "pretoken-v1-authentication.json", []func(*table){stall()}, decision.ReasonTableTimeout, []string{"User"}},
		{"throttled", "pretoken-v1-authentication.json", []func(*table){failWith(throttled)}, decision.ReasonTableThrottled, []string{"User"}},
		{"missing table", "pretoken-v1-authentication.json", []func(*table){failWith(missing)}, decision.ReasonTableMissing, []string{"User"}},
		{"server error", "pretoken-v1-authentication.json", []func(*table){failWith(serverErr)}, decision.ReasonTableError, []string{"User"}},
		{"stalled (m2m)", "pretoken-v3-client-credentials.json", []func(*table){stall()}, decision.ReasonTableTimeout, []string{"Client"}},
		{"throttled (m2m)", "pretoken-v3-client-credentials.json", []func(*table){failWith(throttled)}, decision.ReasonTableThrottled, []string{"Client"}},
		{"stalled during binding", "pretoken-v2-hosted-auth.json", []func(*table){
			withoutUser(subSam), withDomain("example.com", "acme", "member"), stall("Bind"),
		}, decision.ReasonTableTimeout, []string{"User", "Domain", "Bind"}},
		{"domain read fails", "pretoken-v2-hosted-auth.json", []func(*table){
			withoutUser(subSam), failWith(missing, "Domain"),
		}, decision.ReasonTableMissing, []string{"User", "Domain"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tbl := seeded()
			for _, s := range tc.setup {
				s(tbl)
			}
			seen := recordDeadlines(tbl)
			r := newRig(t, Config{TableTimeout: tableTimeout, MissingPolicy: PolicyOmit}, tbl)
			out, ue := r.invoke(t, testevent.Load(t, tc.fixture))
			if ue == nil {
				t.Fatalf("answered during a table failure:\n%s", out)
			}
			if ue.Reason != tc.reason || ue.Message != decision.GenericMessage {
				t.Errorf("denial = %s %q, want %s with the generic text", ue.Reason, ue.Message, tc.reason)
			}
			if line := r.lastLine(t); line["outcome"] != string(decision.OutcomeDenied) || line["reason"] != string(tc.reason) {
				t.Errorf("decision line: outcome %v reason %v", line["outcome"], line["reason"])
			}
			seen.check(t, tableTimeout)
			for _, m := range tc.calls {
				if n := tbl.Calls(m); n != 1 {
					t.Errorf("%d %s calls, want 1", n, m)
				}
			}
		})
	}
}

// TestTableBudgetCappedByInvocation: a table timeout longer than what is
// left of the invocation budget is cut to the budget, less the reserve
// kept back to answer.
func TestTableBudgetCappedByInvocation(t *testing.T) {
	const invocationBudget = 200 * time.Millisecond
	tbl := seeded()
	stall()(tbl)
	seen := recordDeadlines(tbl)
	d, err := New(Config{Table: "claims", TableTimeout: 4 * time.Second}, Deps{Store: tbl.TrustedTable})
	if err != nil {
		t.Fatal(err)
	}
	h := invoke.New[triggers.PreToken](invoke.Options{Function: "pretoken", Budget: invocationBudget}, d.Decide)
	_, err = h.Invoke(context.Background(), testevent.Load(t, "pretoken-v2-hosted-auth.json"))
	ue := decision.AsUserError(err)
	if err == nil || ue.Reason != decision.ReasonTableTimeout {
		t.Errorf("err = %v, want a table_timeout denial", err)
	}
	seen.check(t, invocationBudget-budget.Reserve)
}

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
			if _, err := New(cfg, Deps{Store: newTable().TrustedTable}); err == nil {
				t.Errorf("New(%+v) succeeded", cfg)
			}
		}
	})
	t.Run("New needs a store", func(t *testing.T) {
		if _, err := New(Config{}, Deps{}); err == nil {
			t.Error("New without a store succeeded")
		}
	})
}

func loadConfig(env map[string]string) (Config, error) {
	r := envconfig.New(func(k string) string { return env[k] })
	cfg := LoadConfig(r)
	return cfg, r.Err()
}

// TestLogLines: one JSON decision line per invocation, carrying the
// decision's facts and metrics and never the email.
func TestLogLines(t *testing.T) {
	tbl := seeded()
	tbl.DeleteUser(subSam)
	tbl.PutDomain("example.com", trustedtable.DomainRecord{TenantID: "acme", DefaultRole: "member"})
	r := newRig(t, Config{CacheTTL: DefaultCacheTTL}, tbl)
	in := testevent.Load(t, "pretoken-v2-hosted-auth.json", testevent.SetAttr("email", "canary.local@example.com"))
	for range 2 {
		if _, ue := r.invoke(t, in); ue != nil {
			t.Fatal(ue.Cause)
		}
	}
	if _, ue := r.invoke(t, testevent.Load(t, "pretoken-v2-hosted-auth.json",
		testevent.SetAttr("sub", "e2b7c9d4-0000-0000-0000-000000000000"),
		testevent.SetAttr("email", "canary.local@nowhere.example"))); ue == nil || ue.Reason != decision.ReasonNoRecord {
		t.Fatalf("got %v, want no_record", ue)
	}
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

// TestTelemetryNames pins the names the template's alarms and dashboards
// use: the dimensions, the metrics of this package, and the outcomes and
// reasons a pre token decision can give.
func TestTelemetryNames(t *testing.T) {
	if telemetry.DimOutcome != "outcome" || telemetry.DimReason != "reason" {
		t.Fatal("dimension names changed")
	}
	if got, want := strings.Join(MetricNames(), " "), "BoundFromDomain CacheHit CacheMiss TableLatencyMs"; got != want {
		t.Errorf("metrics = %s\nwant      %s", got, want)
	}
	names := []any{decision.OutcomeClaimsAdded, decision.OutcomeClaimsOmitted, decision.OutcomeDenied,
		decision.ReasonTableError, decision.ReasonTableTimeout, decision.ReasonTableThrottled, decision.ReasonTableMissing,
		decision.ReasonTableRefused, decision.ReasonNoRecord, decision.ReasonUnknownClient, decision.ReasonEmailUnverified,
		decision.ReasonClaimsTooLarge, decision.ReasonBadRecord, decision.ReasonMalformedEvent}
	got := strings.TrimSuffix(strings.Repeat("%s ", len(names)), " ")
	want := "claims_added claims_omitted denied table_error table_timeout table_throttled table_missing table_refused " +
		"no_record unknown_client email_unverified claims_too_large bad_record malformed_event"
	if got = fmt.Sprintf(got, names...); got != want {
		t.Errorf("names = %s\nwant    %s", got, want)
	}
}
