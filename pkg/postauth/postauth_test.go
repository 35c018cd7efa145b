package postauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/postauth"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// failing is a store whose every write fails with err.
func failing(err error) func(*testing.T) postauth.Store {
	return func(*testing.T) postauth.Store {
		return &fakes.AuditStore{PutFn: func(context.Context, *postauth.Record) error { return err }}
	}
}

// tableAnswering is the DynamoDB store whose every transaction DynamoDB
// answers with err: Table.Put reads what only the cancellation reasons say.
func tableAnswering(err error) func(*testing.T) postauth.Store {
	return func(*testing.T) postauth.Store {
		return postauth.NewTable(&fakes.AuditTransactions{TransactWriteItemsFn: func(context.Context, *dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
			return nil, err
		}}, "audit")
	}
}

// writeBudget is the write timeout of TestDecide.
const writeBudget = 200 * time.Millisecond

// stalled is a store that never answers: the write ends when its context
// does. It also checks that the write runs under the write budget, not
// just under the invocation's.
func stalled(t *testing.T) postauth.Store {
	return &fakes.AuditStore{PutFn: func(ctx context.Context, _ *postauth.Record) error {
		if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > writeBudget {
			t.Errorf("the write's deadline is %v away (set: %v); want at most the write budget %v", time.Until(dl), ok, writeBudget)
		}
		<-ctx.Done()
		return ctx.Err()
	}}
}

// TestDecide runs the decision through invoke.New, one event per case, and
// checks what Cognito gets back, what the decision line says and what was
// stored.
func TestDecide(t *testing.T) {
	missing := &types.ResourceNotFoundException{Message: aws.String("Requested resource not found")}
	throttled := &types.ProvisionedThroughputExceededException{Message: aws.String("Rate exceeded")}
	denied := &fakeAPIError{code: "AccessDeniedException"}
	deep := func(n int) json.RawMessage {
		return json.RawMessage(`{"a":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`)
	}
	tests := []struct {
		name      string
		edits     []testevent.Edit
		raw       func(testing.TB) []byte // the event, instead of the edited fixture
		mode      string
		store     func(*testing.T) postauth.Store // nil: an in-memory table
		prior     bool                            // the same event was recorded just before
		wantOut   decision.Outcome
		wantWhy   decision.Reason
		wantUser  string             // the refusal text; "" = the sign-in goes on
		wantMetrs map[string]float64 // SignIns, NewDeviceSignIns, AuditWriteFailures, DuplicateDeliveries
		wantAudit bool               // the line carries the audit group
	}{
		{name: "recorded", wantOut: decision.OutcomeRecorded, wantMetrs: metrics(1, 0, 0, 0)},
		{name: "recorded, new device", edits: edits(testevent.SetRequest("newDeviceUsed", true)),
			wantOut: decision.OutcomeRecorded, wantMetrs: metrics(1, 1, 0, 0)},
		{name: "recorded, newDeviceUsed absent", edits: edits(testevent.SetRequest("newDeviceUsed", nil)),
			wantOut: decision.OutcomeRecorded, wantMetrs: metrics(1, 0, 0, 0)},
		{name: "recorded, newDeviceUsed null", edits: edits(testevent.SetRequest("newDeviceUsed", testevent.Null)),
			wantOut: decision.OutcomeRecorded, wantMetrs: metrics(1, 0, 0, 0)},
		{name: "recorded, no response member", edits: edits(testevent.Set("response", nil)),
			wantOut: decision.OutcomeRecorded, wantMetrs: metrics(1, 0, 0, 0)},
		{name: "recorded, response not empty", edits: edits(testevent.Set("response", map[string]any{"x": 1})),
			wantOut: decision.OutcomeRecorded, wantMetrs: metrics(1, 0, 0, 0)},
		{name: "recorded, with client metadata", edits: edits(testevent.SetRequest("clientMetadata", map[string]any{"a": "b"})),
			wantOut: decision.OutcomeRecorded, wantMetrs: metrics(1, 0, 0, 0)},
		// Metadata values are keyed as their JSON text (see
		// TestHostileMetadataCost), so nesting costs nothing extra and is
		// no longer refused.
		{name: "recorded, client metadata with a nested value", edits: edits(testevent.SetRequest("clientMetadata", deep(20))),
			wantOut: decision.OutcomeRecorded, wantMetrs: metrics(1, 0, 0, 0)},
		{name: "duplicate", prior: true, wantOut: decision.OutcomeDuplicate, wantMetrs: metrics(0, 0, 0, 1)},
		{name: "duplicate, new device", prior: true, edits: edits(testevent.SetRequest("newDeviceUsed", true)),
			wantOut: decision.OutcomeDuplicate, wantMetrs: metrics(0, 0, 0, 1)},
		{name: "duplicate in closed mode goes on", prior: true, mode: postauth.FailClosed, wantOut: decision.OutcomeDuplicate, wantMetrs: metrics(0, 0, 0, 1)},

		{name: "open: table missing", store: failing(missing), wantOut: decision.OutcomeAuditFailed, wantWhy: decision.ReasonTableMissing, wantMetrs: metrics(1, 0, 1, 0), wantAudit: true},
		{name: "open: throttled", store: failing(throttled), wantOut: decision.OutcomeAuditFailed, wantWhy: decision.ReasonTableThrottled, wantMetrs: metrics(1, 0, 1, 0), wantAudit: true},
		{name: "open: throttled inside the transaction", store: tableAnswering(cancelledWith("ThrottlingError", "None")), wantOut: decision.OutcomeAuditFailed, wantWhy: decision.ReasonTableThrottled, wantMetrs: metrics(1, 0, 1, 0), wantAudit: true},
		{name: "open: access denied", store: failing(denied), wantOut: decision.OutcomeAuditFailed, wantWhy: decision.ReasonTableRefused, wantMetrs: metrics(1, 0, 1, 0), wantAudit: true},
		{name: "open: stalled", store: stalled, wantOut: decision.OutcomeAuditFailed, wantWhy: decision.ReasonTableTimeout, wantMetrs: metrics(1, 0, 1, 0), wantAudit: true},
		{name: "open: other error", store: failing(errors.New("connection reset")), wantOut: decision.OutcomeAuditFailed, wantWhy: decision.ReasonTableError, wantMetrs: metrics(1, 0, 1, 0), wantAudit: true},
		{name: "open: new device counted", edits: edits(testevent.SetRequest("newDeviceUsed", true)), store: failing(missing),
			wantOut: decision.OutcomeAuditFailed, wantWhy: decision.ReasonTableMissing, wantMetrs: metrics(1, 1, 1, 0), wantAudit: true},
		{name: "closed: table missing", mode: postauth.FailClosed, store: failing(missing), wantOut: decision.OutcomeRefused, wantWhy: decision.ReasonTableMissing, wantUser: decision.GenericMessage, wantMetrs: metrics(0, 0, 1, 0)},
		{name: "closed: throttled", mode: postauth.FailClosed, store: failing(throttled), wantOut: decision.OutcomeRefused, wantWhy: decision.ReasonTableThrottled, wantUser: decision.GenericMessage, wantMetrs: metrics(0, 0, 1, 0)},
		{name: "closed: stalled", mode: postauth.FailClosed, store: stalled, wantOut: decision.OutcomeRefused, wantWhy: decision.ReasonTableTimeout, wantUser: decision.GenericMessage, wantMetrs: metrics(0, 0, 1, 0)},
		{name: "closed: other error", mode: postauth.FailClosed, store: failing(errors.New("boom")), wantOut: decision.OutcomeRefused, wantWhy: decision.ReasonTableError, wantUser: decision.GenericMessage, wantMetrs: metrics(0, 0, 1, 0)},

		{name: "malformed: no sub", edits: edits(testevent.SetAttr("sub", nil)), wantOut: decision.OutcomeError, wantWhy: decision.ReasonMalformedEvent, wantUser: decision.MalformedMessage},
		{name: "malformed: null sub", edits: edits(testevent.SetAttr("sub", testevent.Null)), wantOut: decision.OutcomeError, wantWhy: decision.ReasonMalformedEvent, wantUser: decision.MalformedMessage},
		{name: "malformed: empty sub", edits: edits(testevent.SetAttr("sub", "")), wantOut: decision.OutcomeError, wantWhy: decision.ReasonMalformedEvent, wantUser: decision.MalformedMessage},
		{name: "malformed: sub with a space", edits: edits(testevent.SetAttr("sub", "a b")), wantOut: decision.OutcomeError, wantWhy: decision.ReasonMalformedEvent, wantUser: decision.MalformedMessage},
		{name: "malformed: sub with a newline", edits: edits(testevent.SetAttr("sub", "a\nb")), wantOut: decision.OutcomeError, wantWhy: decision.ReasonMalformedEvent, wantUser: decision.MalformedMessage},
		{name: "malformed: sub with a non-ASCII letter", edits: edits(testevent.SetAttr("sub", "a\u00e9b")), wantOut: decision.OutcomeError, wantWhy: decision.ReasonMalformedEvent, wantUser: decision.MalformedMessage},
		{name: "malformed: sub too long", edits: edits(testevent.SetAttr("sub", strings.Repeat("a", 129))), wantOut: decision.OutcomeError, wantWhy: decision.ReasonMalformedEvent, wantUser: decision.MalformedMessage},
		{name: "malformed: sub an object with a space", edits: edits(testevent.SetAttr("sub", json.RawMessage(`{"a": "b c"}`))), wantOut: decision.OutcomeError, wantWhy: decision.ReasonMalformedEvent, wantUser: decision.MalformedMessage},
		{name: "malformed: duplicate sub", edits: edits(testevent.SetRequest("userAttributes", json.RawMessage(`{"sub":"a","sub":"b"}`))),
			wantOut: decision.OutcomeError, wantWhy: decision.ReasonMalformedEvent, wantUser: decision.MalformedMessage},
		{name: "malformed: no userAttributes", edits: edits(testevent.SetRequest("userAttributes", nil)), wantOut: decision.OutcomeError, wantWhy: decision.ReasonMalformedEvent, wantUser: decision.MalformedMessage},
		{name: "malformed: userAttributes a list", edits: edits(testevent.SetRequest("userAttributes", []any{})), wantOut: decision.OutcomeError, wantWhy: decision.ReasonMalformedEvent, wantUser: decision.MalformedMessage},
		{name: "malformed: case variant of newDeviceUsed", edits: edits(testevent.SetRequest("NewDeviceUsed", true)), wantOut: decision.OutcomeError, wantWhy: decision.ReasonMalformedEvent, wantUser: decision.MalformedMessage},
		{name: "malformed: newDeviceUsed a string", edits: edits(testevent.SetRequest("newDeviceUsed", "true")), wantOut: decision.OutcomeError, wantWhy: decision.ReasonMalformedEvent, wantUser: decision.MalformedMessage},
		{name: "malformed: clientMetadata a string", edits: edits(testevent.SetRequest("clientMetadata", "x")), wantOut: decision.OutcomeError, wantWhy: decision.ReasonMalformedEvent, wantUser: decision.MalformedMessage},
		{name: "malformed: clientMetadata with a duplicate key", edits: edits(testevent.SetRequest("clientMetadata", json.RawMessage(`{"a":"1","a":"2"}`))),
			wantOut: decision.OutcomeError, wantWhy: decision.ReasonMalformedEvent, wantUser: decision.MalformedMessage},
		{name: "malformed: clientMetadata nested past the decoder's limit", raw: tooDeep,
			wantOut: decision.OutcomeError, wantWhy: decision.ReasonMalformedEvent, wantUser: decision.MalformedMessage},
		{name: "wrong trigger", edits: edits(testevent.Set("triggerSource", "PreSignUp_SignUp")), wantOut: decision.OutcomeError, wantWhy: decision.ReasonWrongTrigger, wantUser: decision.MalformedMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := &fakes.MemAuditStore{}
			var store postauth.Store = mem
			if tt.store != nil {
				store = tt.store(t)
			}
			d := newDecider(t, postauth.Config{Table: "audit", FailureMode: tt.mode, WriteTimeout: writeBudget}, postauth.Deps{Store: store})
			in := event(t, tt.edits...)
			if tt.raw != nil {
				in = tt.raw(t)
			}
			if tt.prior {
				if _, err := handler(d, nil).Invoke(withRequestID(t.Context(), "req-prior"), in); err != nil {
					t.Fatal(err)
				}
			}
			var logs bytes.Buffer
			out, err := handler(d, &logs).Invoke(withRequestID(t.Context(), "req-1"), in)
			if tt.wantUser != "" {
				var ue *decision.UserError
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
				if diff := echoDiff(t, in, out); diff != "" {
					t.Errorf("response (-want +got):\n%s", diff)
				}
			}
			lines := decisionLines(t, logs.Bytes())
			if len(lines) != 1 {
				t.Fatalf("%d log lines, want exactly the decision line:\n%s", len(lines), logs.Bytes())
			}
			line := lines[0]
			if line["outcome"] != string(tt.wantOut) || (tt.wantWhy != "" && line["reason"] != string(tt.wantWhy)) || (tt.wantWhy == "" && line["reason"] != nil) {
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
				if _, ok := line[postauth.MetricAuditWriteLatencyMs].(float64); !ok {
					t.Errorf("line lacks %s: %v", postauth.MetricAuditWriteLatencyMs, line)
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
			if _, ok := line["cause"]; tt.wantWhy != "" && !ok {
				t.Errorf("a failure's line lacks its cause: %v", line)
			}
			wantItems := 0
			if tt.wantOut == decision.OutcomeRecorded || tt.prior {
				wantItems = 1
			}
			if n := len(mem.Records()); n != wantItems {
				t.Errorf("%d items stored, want %d", n, wantItems)
			}
		})
	}
}

func edits(e ...testevent.Edit) []testevent.Edit { return e }

func metrics(signIns, newDevice, failures, duplicates float64) map[string]float64 {
	return map[string]float64{postauth.MetricSignIns: signIns, postauth.MetricNewDeviceSignIns: newDevice,
		postauth.MetricAuditWriteFailures: failures, postauth.MetricDuplicateDeliveries: duplicates}
}

// fakeAPIError is an AWS error code as the SDK reports it.
type fakeAPIError struct{ code string }

func (e *fakeAPIError) Error() string     { return "api error " + e.code }
func (e *fakeAPIError) ErrorCode() string { return e.code }

// TestNonStringSub: userAttributes are strings in Cognito's model, and a
// value of another type reads as its JSON text (see triggers.Attributes),
// so a sub sent as a number is that number's digits, checked like any sub.
func TestNonStringSub(t *testing.T) {
	mem := &fakes.MemAuditStore{}
	d := newDecider(t, postauth.Config{Table: "audit"}, postauth.Deps{Store: mem})
	if _, err := handler(d, nil).Invoke(withRequestID(t.Context(), "req-1"), event(t, testevent.SetAttr("sub", 7))); err != nil {
		t.Fatal(err)
	}
	if recs := mem.Records(); len(recs) != 1 || recs[0].Sub != "7" {
		t.Errorf("records %+v, want one for sub \"7\"", recs)
	}
}

// TestDecideDirect calls the decision without package invoke: it leaves
// the response empty, whatever arrived in it, and returns the Result the
// line and the metrics are made of.
func TestDecideDirect(t *testing.T) {
	clock := fakes.NewClock()
	d := newDecider(t, postauth.Config{Table: "audit"}, postauth.Deps{Store: &fakes.MemAuditStore{}, Now: clock.Now})
	ev := testevent.Decode[triggers.PostAuth](t, event(t, testevent.Set("response", map[string]any{"claimsOverrideDetails": map[string]any{}})))
	res := d.Decide(t.Context(), ev)
	if res.Outcome != decision.OutcomeRecorded || res.Reason != "" || res.Err != nil {
		t.Fatalf("Decide = %+v, want recorded", res)
	}
	if len(ev.Response.Unknown) != 0 {
		t.Errorf("response %s, want {}", ev.Response.Unknown)
	}
	wantFacts := []decision.Fact{decision.String("event", "sign_in"), decision.String("sub", fixtureSub), decision.Bool("newDevice", false)}
	if diff := cmp.Diff(wantFacts, res.Facts); diff != "" {
		t.Errorf("facts (-want +got):\n%s", diff)
	}
	var names []string
	for _, m := range res.Metrics {
		names = append(names, m.Name)
	}
	if diff := cmp.Diff(postauth.Metrics(), names); diff != "" {
		t.Errorf("metric names (-want +got):\n%s", diff)
	}
}

// TestRecordFields: the record carries the event's fields, the request id,
// a millisecond UTC time and the TTL from the retention.
func TestRecordFields(t *testing.T) {
	mem := &fakes.MemAuditStore{}
	clock := fakes.NewClock()
	clock.Set(time.Date(2026, 7, 1, 23, 59, 59, 999_999_999, time.FixedZone("CEST", 2*3600)))
	d := newDecider(t, postauth.Config{Table: "audit", Retention: 10 * 24 * time.Hour}, postauth.Deps{Store: mem, Now: clock.Now})
	in := event(t, testevent.SetRequest("newDeviceUsed", true))
	if _, err := handler(d, nil).Invoke(withRequestID(t.Context(), "8f2c-req"), in); err != nil {
		t.Fatal(err)
	}
	key, err := postauth.IdempotencyKey(in)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 7, 1, 21, 59, 59, 999_000_000, time.UTC)
	want := []postauth.Record{{Sub: fixtureSub, Time: at, UserPoolID: "us-east-1_EXAMPLE", ClientID: "1example23456789",
		TriggerSource: "PostAuthentication_Authentication", NewDeviceUsed: true, RequestID: "8f2c-req", Key: key,
		ExpiresAt: at.Unix() + 10*86400}}
	recs := mem.Records()
	if diff := cmp.Diff(want, recs); diff != "" {
		t.Fatalf("record (-want +got):\n%s", diff)
	}
	r := recs[0]
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
		r := postauth.Record{Time: base.Add(off)}
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
	mem := &fakes.MemAuditStore{}
	clock := fakes.NewClock()
	d := newDecider(t, postauth.Config{Table: "audit"}, postauth.Deps{Store: mem, Now: clock.Now})
	h := handler(d, nil)
	for _, dev := range []bool{false, true} {
		if _, err := h.Invoke(context.Background(), event(t, testevent.SetRequest("newDeviceUsed", dev))); err != nil {
			t.Fatal(err)
		}
	}
	recs := mem.Records()
	if len(recs) != 2 || recs[0].SK() == recs[1].SK() || !strings.HasPrefix(recs[0].RequestID, "local-") {
		t.Errorf("records without a Lambda context: %+v", recs)
	}
}

// TestNoSecretsOrContactsInLogs plants a canary in the email, the phone
// number, the name and in client metadata (under a key the log handler
// would redact and one it would not) and runs every path that logs.
func TestNoSecretsOrContactsInLogs(t *testing.T) {
	const canary = "canary-7d1f"
	planted := []testevent.Edit{
		testevent.SetAttr("email", canary+"@example.com"),
		testevent.SetAttr("phone_number", "+1555"+"0100"),
		testevent.SetAttr("name", canary),
		testevent.SetRequest("clientMetadata", map[string]any{"password": canary + "-pw", "note": canary + "-note", "email": canary + "@example.org"}),
	}
	var logs bytes.Buffer
	for _, c := range []struct {
		name    string
		mode    string
		store   func(*testing.T) postauth.Store
		edit    testevent.Edit
		refused bool
	}{
		{name: "recorded"},
		{name: "audit_failed", store: failing(errors.New("boom"))},
		{name: "refused", mode: postauth.FailClosed, store: failing(errors.New("boom")), refused: true},
		{name: "malformed", edit: testevent.SetAttr("sub", nil), refused: true},
	} {
		var store postauth.Store = &fakes.MemAuditStore{}
		if c.store != nil {
			store = c.store(t)
		}
		d := newDecider(t, postauth.Config{Table: "audit", FailureMode: c.mode}, postauth.Deps{Store: store})
		e := planted
		if c.edit != nil {
			e = append(e[:len(e):len(e)], c.edit)
		}
		in := event(t, e...)
		h := handler(d, &logs)
		for range 2 { // the second is a duplicate where the first was recorded
			if _, err := h.Invoke(withRequestID(t.Context(), "req-"+c.name), in); (err != nil) != c.refused {
				t.Errorf("%s: err = %v, want refused = %v", c.name, err, c.refused)
			}
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
		want    postauth.Config
		wantErr []string // substrings of the error; nil = no error
	}{
		{name: "defaults", env: map[string]string{"AUDIT_TABLE": "audit"},
			want: postauth.Config{Table: "audit", Retention: 365 * 24 * time.Hour, FailureMode: postauth.FailOpen, WriteTimeout: 1500 * time.Millisecond}},
		{name: "all set", env: map[string]string{"AUDIT_TABLE": "a", "AUDIT_RETENTION_DAYS": "3650", "AUDIT_FAILURE_MODE": "closed", "AUDIT_TIMEOUT_MS": "800"},
			want: postauth.Config{Table: "a", Retention: 3650 * 24 * time.Hour, FailureMode: postauth.FailClosed, WriteTimeout: 800 * time.Millisecond}},
		{name: "everything wrong at once", env: map[string]string{"AUDIT_RETENTION_DAYS": "0", "AUDIT_FAILURE_MODE": "Closed", "AUDIT_TIMEOUT_MS": "5000"},
			want:    postauth.Config{Retention: 365 * 24 * time.Hour, FailureMode: postauth.FailOpen, WriteTimeout: 1500 * time.Millisecond},
			wantErr: []string{"AUDIT_TABLE", "AUDIT_RETENTION_DAYS", "AUDIT_FAILURE_MODE", "AUDIT_TIMEOUT_MS"}},
		{name: "retention above 10 years", env: map[string]string{"AUDIT_TABLE": "a", "AUDIT_RETENTION_DAYS": "3651"},
			want:    postauth.Config{Table: "a", Retention: 365 * 24 * time.Hour, FailureMode: postauth.FailOpen, WriteTimeout: 1500 * time.Millisecond},
			wantErr: []string{"AUDIT_RETENTION_DAYS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := envconfig.New(func(k string) string { return tt.env[k] })
			got := postauth.LoadConfig(r)
			if diff := cmp.Diff(tt.want, got); diff != "" {
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
			if err == nil {
				if _, err := postauth.New(got, postauth.Deps{Store: &fakes.MemAuditStore{}}); err != nil {
					t.Errorf("New refuses what LoadConfig accepted: %v", err)
				}
			}
		})
	}
}

// TestNew: New fills in the defaults and refuses what LoadConfig would
// refuse, and a missing store.
func TestNew(t *testing.T) {
	store := postauth.Deps{Store: &fakes.MemAuditStore{}}
	for _, tt := range []struct {
		name    string
		cfg     postauth.Config
		deps    postauth.Deps
		wantErr string
	}{
		{name: "zero config takes the defaults", deps: store},
		{name: "closed", cfg: postauth.Config{FailureMode: postauth.FailClosed}, deps: store},
		{name: "no store", wantErr: "store"},
		{name: "unknown failure mode", cfg: postauth.Config{FailureMode: "Closed"}, deps: store, wantErr: "failure mode"},
		{name: "retention under a day", cfg: postauth.Config{Retention: time.Hour}, deps: store, wantErr: "retention"},
		{name: "retention over 10 years", cfg: postauth.Config{Retention: 3651 * 24 * time.Hour}, deps: store, wantErr: "retention"},
		{name: "negative write timeout", cfg: postauth.Config{WriteTimeout: -time.Second}, deps: store, wantErr: "write timeout"},
		{name: "write timeout past Cognito's wait", cfg: postauth.Config{WriteTimeout: 5 * time.Second}, deps: store, wantErr: "write timeout"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := postauth.New(tt.cfg, tt.deps)
			switch {
			case tt.wantErr == "" && (err != nil || d == nil):
				t.Fatalf("New = %v, %v; want a decider", d, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("New error = %v, want one about %s", err, tt.wantErr)
			}
		})
	}
}
