package postauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// TestDecide runs the decision through invoke.New with the in-memory store,
// one event per case, and checks what Cognito gets back and what the
// decision line says.
func TestDecide(t *testing.T) {
	missing := &types.ResourceNotFoundException{Message: aws.String("Requested resource not found")}
	throttled := &types.ProvisionedThroughputExceededException{Message: aws.String("Rate exceeded")}
	cancelledThrottle := &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{
		{Code: aws.String("ThrottlingError")}, {Code: aws.String("None")}}}
	tests := []struct {
		name      string
		edit      func(ev map[string]any)
		mode      string
		store     func(s *memStore)
		prior     bool // the same event was recorded just before
		wantOut   string
		wantWhy   string
		wantUser  string             // the refusal text; "" = the sign-in goes on
		wantMetrs map[string]float64 // SignIns, NewDeviceSignIns, AuditWriteFailures, DuplicateDeliveries
		wantAudit bool               // the line carries the audit group
	}{
		{name: "recorded", wantOut: OutcomeRecorded, wantMetrs: metrics(1, 0, 0, 0)},
		{name: "recorded, new device", edit: func(ev map[string]any) { request(ev)["newDeviceUsed"] = true },
			wantOut: OutcomeRecorded, wantMetrs: metrics(1, 1, 0, 0)},
		{name: "recorded, newDeviceUsed absent", edit: func(ev map[string]any) { delete(request(ev), "newDeviceUsed") },
			wantOut: OutcomeRecorded, wantMetrs: metrics(1, 0, 0, 0)},
		{name: "recorded, newDeviceUsed null", edit: func(ev map[string]any) { request(ev)["newDeviceUsed"] = nil },
			wantOut: OutcomeRecorded, wantMetrs: metrics(1, 0, 0, 0)},
		{name: "recorded, no response member", edit: func(ev map[string]any) { delete(ev, "response") },
			wantOut: OutcomeRecorded, wantMetrs: metrics(1, 0, 0, 0)},
		{name: "recorded, response not empty", edit: func(ev map[string]any) { ev["response"] = map[string]any{"x": 1} },
			wantOut: OutcomeRecorded, wantMetrs: metrics(1, 0, 0, 0)},
		{name: "recorded, with client metadata", edit: func(ev map[string]any) { request(ev)["clientMetadata"] = map[string]any{"a": "b"} },
			wantOut: OutcomeRecorded, wantMetrs: metrics(1, 0, 0, 0)},
		{name: "duplicate", prior: true, wantOut: OutcomeDuplicate, wantMetrs: metrics(0, 0, 0, 1)},
		{name: "duplicate, new device", prior: true, edit: func(ev map[string]any) { request(ev)["newDeviceUsed"] = true },
			wantOut: OutcomeDuplicate, wantMetrs: metrics(0, 0, 0, 1)},
		{name: "duplicate in closed mode goes on", prior: true, mode: FailClosed, wantOut: OutcomeDuplicate, wantMetrs: metrics(0, 0, 0, 1)},

		{name: "open: table missing", store: fail(missing), wantOut: OutcomeAuditFailed, wantWhy: ReasonTableMissing, wantMetrs: metrics(1, 0, 1, 0), wantAudit: true},
		{name: "open: throttled", store: fail(throttled), wantOut: OutcomeAuditFailed, wantWhy: ReasonThrottled, wantMetrs: metrics(1, 0, 1, 0), wantAudit: true},
		{name: "open: throttled inside the transaction", store: fail(cancelledThrottle), wantOut: OutcomeAuditFailed, wantWhy: ReasonThrottled, wantMetrs: metrics(1, 0, 1, 0), wantAudit: true},
		{name: "open: stalled", store: func(s *memStore) { s.stall = true }, wantOut: OutcomeAuditFailed, wantWhy: ReasonTableTimeout, wantMetrs: metrics(1, 0, 1, 0), wantAudit: true},
		{name: "open: other error", store: fail(errors.New("connection reset")), wantOut: OutcomeAuditFailed, wantWhy: ReasonTableError, wantMetrs: metrics(1, 0, 1, 0), wantAudit: true},
		{name: "open: new device counted", edit: func(ev map[string]any) { request(ev)["newDeviceUsed"] = true }, store: fail(missing),
			wantOut: OutcomeAuditFailed, wantWhy: ReasonTableMissing, wantMetrs: metrics(1, 1, 1, 0), wantAudit: true},
		{name: "closed: table missing", mode: FailClosed, store: fail(missing), wantOut: OutcomeRefused, wantWhy: ReasonTableMissing, wantUser: triggers.GenericMessage, wantMetrs: metrics(0, 0, 1, 0)},
		{name: "closed: throttled", mode: FailClosed, store: fail(throttled), wantOut: OutcomeRefused, wantWhy: ReasonThrottled, wantUser: triggers.GenericMessage, wantMetrs: metrics(0, 0, 1, 0)},
		{name: "closed: stalled", mode: FailClosed, store: func(s *memStore) { s.stall = true }, wantOut: OutcomeRefused, wantWhy: ReasonTableTimeout, wantUser: triggers.GenericMessage, wantMetrs: metrics(0, 0, 1, 0)},
		{name: "closed: other error", mode: FailClosed, store: fail(errors.New("boom")), wantOut: OutcomeRefused, wantWhy: ReasonTableError, wantUser: triggers.GenericMessage, wantMetrs: metrics(0, 0, 1, 0)},

		{name: "malformed: no sub", edit: func(ev map[string]any) { delete(attributes(ev), "sub") }, wantOut: "error", wantWhy: "malformed_event", wantUser: invoke.MalformedMessage},
		{name: "malformed: empty sub", edit: func(ev map[string]any) { attributes(ev)["sub"] = "" }, wantOut: "error", wantWhy: "malformed_event", wantUser: invoke.MalformedMessage},
		{name: "malformed: sub with a space", edit: func(ev map[string]any) { attributes(ev)["sub"] = "a b" }, wantOut: "error", wantWhy: "malformed_event", wantUser: invoke.MalformedMessage},
		{name: "malformed: sub with a newline", edit: func(ev map[string]any) { attributes(ev)["sub"] = "a\nb" }, wantOut: "error", wantWhy: "malformed_event", wantUser: invoke.MalformedMessage},
		{name: "malformed: sub too long", edit: func(ev map[string]any) { attributes(ev)["sub"] = strings.Repeat("a", 129) }, wantOut: "error", wantWhy: "malformed_event", wantUser: invoke.MalformedMessage},
		{name: "malformed: sub a number", edit: func(ev map[string]any) { attributes(ev)["sub"] = 7 }, wantOut: "error", wantWhy: "malformed_event", wantUser: invoke.MalformedMessage},
		{name: "malformed: duplicate sub", edit: func(ev map[string]any) {
			request(ev)["userAttributes"] = json.RawMessage(`{"sub":"a","sub":"b"}`)
		}, wantOut: "error", wantWhy: "malformed_event", wantUser: invoke.MalformedMessage},
		{name: "malformed: no userAttributes", edit: func(ev map[string]any) { delete(request(ev), "userAttributes") }, wantOut: "error", wantWhy: "malformed_event", wantUser: invoke.MalformedMessage},
		{name: "malformed: userAttributes a list", edit: func(ev map[string]any) { request(ev)["userAttributes"] = []any{} }, wantOut: "error", wantWhy: "malformed_event", wantUser: invoke.MalformedMessage},
		{name: "malformed: case variant of newDeviceUsed", edit: func(ev map[string]any) { request(ev)["NewDeviceUsed"] = true }, wantOut: "error", wantWhy: "malformed_event", wantUser: invoke.MalformedMessage},
		{name: "malformed: newDeviceUsed a string", edit: func(ev map[string]any) { request(ev)["newDeviceUsed"] = "true" }, wantOut: "error", wantWhy: "malformed_event", wantUser: invoke.MalformedMessage},
		{name: "malformed: clientMetadata a string", edit: func(ev map[string]any) { request(ev)["clientMetadata"] = "x" }, wantOut: "error", wantWhy: "malformed_event", wantUser: invoke.MalformedMessage},
		{name: "malformed: clientMetadata with a duplicate key", edit: func(ev map[string]any) {
			request(ev)["clientMetadata"] = json.RawMessage(`{"a":"1","a":"2"}`)
		}, wantOut: "error", wantWhy: "malformed_event", wantUser: invoke.MalformedMessage},
		{name: "malformed: clientMetadata nested too deeply", edit: func(ev map[string]any) {
			request(ev)["clientMetadata"] = json.RawMessage(`{"a":` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + `}`)
		}, wantOut: "error", wantWhy: "malformed_event", wantUser: invoke.MalformedMessage},
		{name: "wrong trigger", edit: func(ev map[string]any) { ev["triggerSource"] = "PreSignUp_SignUp" }, wantOut: "error", wantWhy: "wrong_trigger", wantUser: invoke.MalformedMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newMemStore()
			if tt.store != nil {
				tt.store(store)
			}
			d := New(Config{Table: "audit", FailureMode: tt.mode, WriteTimeout: 200 * time.Millisecond}, store)
			in := event(t, tt.edit)
			if tt.prior {
				if _, err := handler(d, nil).Invoke(withRequestID(t.Context(), "req-prior"), in); err != nil {
					t.Fatal(err)
				}
			}
			var logs bytes.Buffer
			began := time.Now()
			out, err := handler(d, &logs).Invoke(withRequestID(t.Context(), "req-1"), in)
			if elapsed := time.Since(began); elapsed > time.Second {
				t.Errorf("answered after %v; the write budget is 200 ms", elapsed)
			}
			if tt.wantUser != "" {
				var ue *triggers.UserError
				if !errors.As(err, &ue) || out != nil {
					t.Fatalf("got %s, %v; want the refusal %q", out, err, tt.wantUser)
				}
				if ue.Error() != tt.wantUser {
					t.Errorf("user sees %q, want %q", ue.Error(), tt.wantUser)
				}
			} else {
				if err != nil {
					t.Fatalf("sign-in refused: %v (%v)", err, errors.Unwrap(err))
				}
				if diff := cmp.Diff(withEmptyResponse(t, in), decodeJSON(t, out)); diff != "" {
					t.Errorf("response (-want +got):\n%s", diff)
				}
			}
			lines := decisionLines(t, logs.Bytes())
			if len(lines) != 1 {
				t.Fatalf("%d log lines, want exactly the decision line:\n%s", len(lines), logs.Bytes())
			}
			line := lines[0]
			if line["outcome"] != tt.wantOut || (tt.wantWhy != "" && line["reason"] != tt.wantWhy) || (tt.wantWhy == "" && line["reason"] != nil) {
				t.Errorf("outcome, reason = %v, %v; want %s, %q", line["outcome"], line["reason"], tt.wantOut, tt.wantWhy)
			}
			if tt.wantMetrs != nil {
				got := map[string]float64{}
				for k := range tt.wantMetrs {
					got[k], _ = line[k].(float64)
				}
				if diff := cmp.Diff(tt.wantMetrs, got); diff != "" {
					t.Errorf("metrics (-want +got):\n%s", diff)
				}
				if line["event"] != "sign_in" || line["sub"] != fixtureSub || line["clientId"] != "1example23456789" {
					t.Errorf("line lacks event/sub/clientId: %v", line)
				}
				if _, ok := line["newDevice"].(bool); !ok {
					t.Errorf("line lacks newDevice: %v", line)
				}
			}
			if _, ok := line["audit"]; ok != tt.wantAudit {
				t.Errorf("audit group present = %v, want %v", ok, tt.wantAudit)
			}
			wantItems := 0
			if tt.wantOut == OutcomeRecorded || tt.prior {
				wantItems = 1
			}
			if n := len(store.records()); n != wantItems {
				t.Errorf("%d items stored, want %d", n, wantItems)
			}
		})
	}
}

func metrics(signIns, newDevice, failures, duplicates float64) map[string]float64 {
	return map[string]float64{MetricSignIns: signIns, MetricNewDeviceSignIns: newDevice,
		MetricAuditWriteFailures: failures, MetricDuplicateDeliveries: duplicates}
}

func fail(err error) func(*memStore) { return func(s *memStore) { s.err = err } }

// TestRecordFields: the record carries the event's fields, the request id,
// a millisecond UTC time and the TTL from the retention.
func TestRecordFields(t *testing.T) {
	store := newMemStore()
	clock := &fakeClock{t: time.Date(2026, 7, 1, 23, 59, 59, 999_999_999, time.FixedZone("CEST", 2*3600))}
	d := New(Config{Table: "audit", Retention: 10 * 24 * time.Hour, Now: clock.Now}, store)
	in := event(t, func(ev map[string]any) { request(ev)["newDeviceUsed"] = true })
	if _, err := handler(d, nil).Invoke(withRequestID(t.Context(), "8f2c-req"), in); err != nil {
		t.Fatal(err)
	}
	key, err := IdempotencyKey(in)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 7, 1, 21, 59, 59, 999_000_000, time.UTC)
	want := []Record{{Sub: fixtureSub, Time: at, UserPoolID: "us-east-1_EXAMPLE", ClientID: "1example23456789",
		TriggerSource: "PostAuthentication_Authentication", NewDeviceUsed: true, RequestID: "8f2c-req", Key: key,
		ExpiresAt: at.Unix() + 10*86400}}
	if diff := cmp.Diff(want, store.records()); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	r := store.records()[0]
	if got, want := r.SK(), "signin#2026-07-01T21:59:59.999Z#8f2c-req"; got != want {
		t.Errorf("SK() = %q, want %q", got, want)
	}
	if got, want := r.PK(), "user#"+fixtureSub; got != want {
		t.Errorf("PK() = %q, want %q", got, want)
	}
}

// TestTimeStringSortsByTime: the fixed-width time makes string order time
// order, which the newest-first query relies on.
func TestTimeStringSortsByTime(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	prev := ""
	for _, off := range []time.Duration{0, time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond,
		120 * time.Millisecond, 500 * time.Millisecond, time.Second, 59 * time.Minute} {
		r := Record{Time: base.Add(off)}
		s := r.TimeString()
		if len(s) != len("2026-01-01T00:00:00.000Z") {
			t.Errorf("%v: %q is not fixed width", off, s)
		}
		if s <= prev {
			t.Errorf("%q sorts before %q", s, prev)
		}
		prev = s
	}
}

// TestNoRequestIDOutsideLambda: without a Lambda context, two records of
// the same instant still get distinct sort keys.
func TestNoRequestIDOutsideLambda(t *testing.T) {
	store := newMemStore()
	clock := newFakeClock()
	d := New(Config{Table: "audit", Now: clock.Now}, store)
	h := handler(d, nil)
	for _, dev := range []bool{false, true} {
		in := event(t, func(ev map[string]any) { request(ev)["newDeviceUsed"] = dev })
		if _, err := h.Invoke(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	recs := store.records()
	if len(recs) != 2 || recs[0].SK() == recs[1].SK() || !strings.HasPrefix(recs[0].RequestID, "local-") {
		t.Errorf("records without a Lambda context: %+v", recs)
	}
}

// TestNoSecretsOrContactsInLogs plants a canary in the email, the phone
// number, the name and in client metadata (under a key the log handler
// would redact and one it would not) and runs every path that logs.
func TestNoSecretsOrContactsInLogs(t *testing.T) {
	const canary = "canary-7d1f"
	planted := func(ev map[string]any) {
		a := attributes(ev)
		a["email"] = canary + "@example.com"
		a["phone_number"] = "+1555" + "0100"
		a["name"] = canary
		request(ev)["clientMetadata"] = map[string]any{"password": canary + "-pw", "note": canary + "-note", "email": canary + "@example.org"}
	}
	var logs bytes.Buffer
	for _, c := range []struct {
		name  string
		mode  string
		store func(*memStore)
		edit  func(map[string]any)
	}{
		{name: "recorded"},
		{name: "audit_failed", store: fail(errors.New("boom"))},
		{name: "refused", mode: FailClosed, store: fail(errors.New("boom"))},
		{name: "malformed", edit: func(ev map[string]any) { delete(attributes(ev), "sub") }},
	} {
		store := newMemStore()
		if c.store != nil {
			c.store(store)
		}
		d := New(Config{Table: "audit", FailureMode: c.mode}, store)
		in := event(t, func(ev map[string]any) {
			planted(ev)
			if c.edit != nil {
				c.edit(ev)
			}
		})
		h := handler(d, &logs)
		for range 2 { // the second is a duplicate where the first was recorded
			_, _ = h.Invoke(withRequestID(t.Context(), "req-"+c.name), in)
		}
	}
	if n := len(decisionLines(t, logs.Bytes())); n != 8 {
		t.Errorf("%d lines for 8 invocations", n)
	}
	for _, leak := range []string{canary, "example.com", "example.org", "+15550100", "jane.doe"} {
		if bytes.Contains(logs.Bytes(), []byte(leak)) {
			t.Errorf("%q reached the log:\n%s", leak, logs.Bytes())
		}
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr []string // substrings of the error; nil = no error
	}{
		{name: "defaults", env: map[string]string{"AUDIT_TABLE": "audit"},
			want: Config{Table: "audit", Retention: 365 * 24 * time.Hour, FailureMode: FailOpen, WriteTimeout: 1500 * time.Millisecond}},
		{name: "all set", env: map[string]string{"AUDIT_TABLE": "a", "AUDIT_RETENTION_DAYS": "3650", "AUDIT_FAILURE_MODE": "closed", "AUDIT_TIMEOUT_MS": "800"},
			want: Config{Table: "a", Retention: 3650 * 24 * time.Hour, FailureMode: FailClosed, WriteTimeout: 800 * time.Millisecond}},
		{name: "everything wrong at once", env: map[string]string{"AUDIT_RETENTION_DAYS": "0", "AUDIT_FAILURE_MODE": "Closed", "AUDIT_TIMEOUT_MS": "5000"},
			want:    Config{Retention: 365 * 24 * time.Hour, FailureMode: FailOpen, WriteTimeout: 1500 * time.Millisecond},
			wantErr: []string{"AUDIT_TABLE", "AUDIT_RETENTION_DAYS", "AUDIT_FAILURE_MODE", "AUDIT_TIMEOUT_MS"}},
		{name: "retention above 10 years", env: map[string]string{"AUDIT_TABLE": "a", "AUDIT_RETENTION_DAYS": "3651"},
			want:    Config{Table: "a", Retention: 365 * 24 * time.Hour, FailureMode: FailOpen, WriteTimeout: 1500 * time.Millisecond},
			wantErr: []string{"AUDIT_RETENTION_DAYS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := envconfig.New(func(k string) string { return tt.env[k] })
			got := LoadConfig(r)
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b func() time.Time) bool { return a == nil && b == nil })); diff != "" {
				t.Errorf("LoadConfig (-want +got):\n%s", diff)
			}
			err := r.Err()
			if (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("err = %v, want errors about %v", err, tt.wantErr)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %s", err, s)
				}
			}
		})
	}
}
