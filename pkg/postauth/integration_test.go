package postauth_test

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/internal/harness"
	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/awsconf"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/dynamo"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/postauth"
)

// Integration tests: the real Table and SDK client (built as main builds
// it) against moto_server, and against the harness's fault servers.

const auditTable = "audit"

// clientFor builds the DynamoDB client exactly as the function's main does,
// from the environment a deployment would give it.
func clientFor(env map[string]string) *dynamodb.Client {
	r := envconfig.New(func(k string) string { return env[k] })
	return dynamo.NewClient(awsconf.Load(r))
}

// motoTable resets the shared moto_server, creates the audit table and
// returns the server and a production-built client for it.
func motoTable(t *testing.T) (*harness.Moto, *dynamodb.Client) {
	t.Helper()
	m := harness.MotoT(t)
	if err := m.CreateTable(t.Context(), auditTable, postauth.AttrPK, postauth.AttrSK); err != nil {
		t.Fatal(err)
	}
	return m, clientFor(m.Env())
}

// getItem reads one item back, strongly consistent.
func getItem(t *testing.T, client *dynamodb.Client, pk, sk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := client.GetItem(t.Context(), &dynamodb.GetItemInput{
		TableName:      aws.String(auditTable),
		Key:            map[string]types.AttributeValue{postauth.AttrPK: &types.AttributeValueMemberS{Value: pk}, postauth.AttrSK: &types.AttributeValueMemberS{Value: sk}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

// plain turns an item into what its JSON log rendering decodes to: S as
// string, N as float64, BOOL as bool.
func plain(t testing.TB, item map[string]types.AttributeValue) map[string]any {
	t.Helper()
	out := make(map[string]any, len(item))
	for k, v := range item {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			out[k] = v.Value
		case *types.AttributeValueMemberN:
			f, err := strconv.ParseFloat(v.Value, 64)
			if err != nil {
				t.Fatal(err)
			}
			out[k] = f
		case *types.AttributeValueMemberBOOL:
			out[k] = v.Value
		default:
			t.Fatalf("attribute %s has unexpected type %T", k, v)
		}
	}
	return out
}

// fromPlain is plain's inverse: how an operator turns a rebuild log line's
// "audit" group back into an item.
func fromPlain(t testing.TB, group map[string]any) map[string]types.AttributeValue {
	t.Helper()
	item := make(map[string]types.AttributeValue, len(group))
	for k, v := range group {
		switch v := v.(type) {
		case string:
			item[k] = &types.AttributeValueMemberS{Value: v}
		case float64:
			item[k] = &types.AttributeValueMemberN{Value: strconv.FormatFloat(v, 'f', -1, 64)}
		case bool:
			item[k] = &types.AttributeValueMemberBOOL{Value: v}
		default:
			t.Fatalf("audit.%s has unexpected type %T", k, v)
		}
	}
	return item
}

func TestSignInRecorded(t *testing.T) {
	_, client := motoTable(t)
	clock := fakes.NewClock()
	d := newDecider(t, postauth.Config{Table: auditTable, Retention: 30 * 24 * time.Hour}, postauth.Deps{Store: postauth.NewTable(client, auditTable), Now: clock.Now})
	var logs bytes.Buffer
	in := event(t)
	out, err := handler(d, &logs).Invoke(withRequestID(t.Context(), "req-0001"), in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := echoDiff(t, in, out); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
	key, err := postauth.IdempotencyKey(in)
	if err != nil {
		t.Fatal(err)
	}
	now := clock.Now()
	want := postauth.Record{
		Sub:           fixtureSub,
		Time:          now,
		UserPoolID:    "us-east-1_EXAMPLE",
		ClientID:      "1example23456789",
		TriggerSource: "PostAuthentication_Authentication",
		NewDeviceUsed: false,
		RequestID:     "req-0001",
		ExpiresAt:     now.Add(30 * 24 * time.Hour).Unix(),
	}
	got, err := postauth.LastSignIns(t.Context(), client, auditTable, fixtureSub, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]postauth.Record{want}, got); diff != "" {
		t.Errorf("postauth.LastSignIns (-want +got):\n%s", diff)
	}

	// The stored item holds exactly the documented attributes: nothing
	// from userAttributes beyond the sub (no email, no name).
	item := getItem(t, client, "user#"+fixtureSub, "signin#2026-03-14T15:09:26.535Z#req-0001")
	wantItem := map[string]any{
		"pk": "user#" + fixtureSub, "sk": "signin#2026-03-14T15:09:26.535Z#req-0001",
		"sub": fixtureSub, "signed_in_at": "2026-03-14T15:09:26.535Z",
		"user_pool_id": "us-east-1_EXAMPLE", "client_id": "1example23456789",
		"trigger_source": "PostAuthentication_Authentication", "new_device_used": false,
		"request_id": "req-0001",
		"expires_at": float64(now.Unix() + 30*86400),
	}
	if diff := cmp.Diff(wantItem, plain(t, item)); diff != "" {
		t.Errorf("audit item (-want +got):\n%s", diff)
	}
	marker := getItem(t, client, "user#"+fixtureSub, "dedupe#"+key)
	wantMarker := map[string]any{
		"pk": "user#" + fixtureSub, "sk": "dedupe#" + key,
		"until":      float64(now.UnixMilli() + 60_000),
		"expires_at": float64(now.Unix() + 86400),
	}
	if diff := cmp.Diff(wantMarker, plain(t, marker)); diff != "" {
		t.Errorf("dedupe marker (-want +got):\n%s", diff)
	}

	lines := decisionLines(t, logs.Bytes())
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want the one decision line", len(lines))
	}
	checkLine(t, lines[0], map[string]any{
		"event": "sign_in", "sub": fixtureSub, "clientId": "1example23456789", "newDevice": false,
		"outcome": "recorded", "requestId": "req-0001",
		"SignIns": 1.0, "NewDeviceSignIns": 0.0, "AuditWriteFailures": 0.0, "DuplicateDeliveries": 0.0,
	})
	if _, ok := lines[0]["audit"]; ok {
		t.Error("a recorded sign-in's line carries the audit group; only failures need it")
	}
}

// checkLine compares the named fields of a decision line.
func checkLine(t *testing.T, line map[string]any, want map[string]any) {
	t.Helper()
	got := make(map[string]any, len(want))
	for k := range want {
		got[k] = line[k]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decision line (-want +got):\n%s", diff)
	}
	if _, ok := line["AuditWriteLatencyMs"].(float64); !ok {
		t.Errorf("decision line lacks AuditWriteLatencyMs: %v", line)
	}
}

// TestConcurrentDeliveriesWriteOneItem delivers one event ten times at once
// through the Go handler: exactly one item, one "recorded", nine
// "duplicate", and every sign-in goes on.
func TestConcurrentDeliveriesWriteOneItem(t *testing.T) {
	for _, mode := range []struct {
		name string
		iso  isolation
	}{{"serialized", serialize}, {"transaction conflicts", conflict}} {
		t.Run(mode.name, func(t *testing.T) {
			m, client := motoTable(t)
			env := m.Env()
			proxy := startIsolatingProxy(t, m.Endpoint, mode.iso)
			env["AWS_ENDPOINT_URL"] = proxy.Endpoint
			d := newDecider(t, postauth.Config{Table: auditTable, FailureMode: postauth.FailClosed}, postauth.Deps{Store: postauth.NewTable(clientFor(env), auditTable)})
			var logs bytes.Buffer
			h := handler(d, &logs)
			in := event(t)
			const n = 10
			var wg sync.WaitGroup
			errs := make([]error, n)
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					_, errs[i] = h.Invoke(withRequestID(t.Context(), fmt.Sprintf("req-%02d", i)), in)
				})
			}
			close(start)
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Errorf("a delivery was refused: %v", err)
			}
			recs, err := postauth.LastSignIns(t.Context(), client, auditTable, fixtureSub, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 {
				t.Errorf("%d items after %d concurrent deliveries of one event, want 1", len(recs), n)
			}
			outcomes := map[string]int{}
			for _, l := range decisionLines(t, logs.Bytes()) {
				outcomes[fmt.Sprint(l["outcome"])]++
			}
			if diff := cmp.Diff(map[string]int{"recorded": 1, "duplicate": n - 1}, outcomes); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			if mode.iso == conflict {
				t.Logf("%d TransactionConflict answers were retried", proxy.conflicts.Load())
				if proxy.conflicts.Load() == 0 {
					t.Error("no delivery met a TransactionConflict; the retry path went untested")
				}
			}
		})
	}
}

// TestDedupeWindow walks one user's deliveries on a fake clock: repeats
// within 60 s of the recorded sign-in are duplicates (the window does not
// slide with duplicates), the first repeat after it is a new sign-in, and
// sign-ins that differ in a keyed field are never merged, even a second
// apart.
func TestDedupeWindow(t *testing.T) {
	_, client := motoTable(t)
	clock := fakes.NewClock()
	d := newDecider(t, postauth.Config{Table: auditTable}, postauth.Deps{Store: postauth.NewTable(client, auditTable), Now: clock.Now})
	h := handler(d, nil)
	base := event(t)
	newDevice := event(t, testevent.SetRequest("newDeviceUsed", true))
	otherClient := event(t, testevent.SetCaller("clientId", "2example98765432"))
	withMetadata := event(t, testevent.SetRequest("clientMetadata", map[string]any{"app": "mobile"}))
	steps := []struct {
		advance time.Duration
		event   []byte
		want    decision.Outcome
	}{
		{0, base, decision.OutcomeRecorded},
		{time.Second, base, decision.OutcomeDuplicate},
		{58 * time.Second, base, decision.OutcomeDuplicate},   // 59 s after the recorded one
		{time.Second, base, decision.OutcomeDuplicate},        // exactly 60 s: still inside
		{time.Millisecond, base, decision.OutcomeRecorded},    // 60.001 s: a new sign-in
		{time.Second, newDevice, decision.OutcomeRecorded},    // differs in newDeviceUsed
		{time.Second, otherClient, decision.OutcomeRecorded},  // differs in client
		{time.Second, withMetadata, decision.OutcomeRecorded}, // differs in clientMetadata
		{0, withMetadata, decision.OutcomeDuplicate},          // same instant, same event
		{time.Second, newDevice, decision.OutcomeDuplicate},   // 2 s after its own record
		{30 * time.Second, base, decision.OutcomeDuplicate},   // 33 s after its second record
		{30 * time.Second, base, decision.OutcomeRecorded},    // 63 s after it
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		var logs bytes.Buffer
		h = handler(d, &logs)
		out, err := h.Invoke(withRequestID(t.Context(), fmt.Sprintf("req-%02d", i)), s.event)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if diff := echoDiff(t, s.event, out); diff != "" {
			t.Errorf("step %d: response (-want +got):\n%s", i, diff)
		}
		if got := decisionLines(t, logs.Bytes())[0]["outcome"]; got != string(s.want) {
			t.Errorf("step %d (+%v): outcome %v, want %s", i, s.advance, got, s.want)
		}
	}
	recs, err := postauth.LastSignIns(t.Context(), client, auditTable, fixtureSub, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, s := range steps {
		if s.want == decision.OutcomeRecorded {
			want++
		}
	}
	if len(recs) != want {
		t.Errorf("%d items, want %d", len(recs), want)
	}
}

// TestLastSignIns: newest first, at most n, markers never returned.
func TestLastSignIns(t *testing.T) {
	_, client := motoTable(t)
	clock := fakes.NewClock()
	d := newDecider(t, postauth.Config{Table: auditTable}, postauth.Deps{Store: postauth.NewTable(client, auditTable), Now: clock.Now})
	var times []time.Time
	for i := range 5 {
		// Past the dedupe window each time, with milliseconds 535, 635,
		// 835, 135, 535: a sort on times with trailing zeros trimmed
		// (".5Z" after ".135Z") would put them out of order.
		if _, err := handler(d, nil).Invoke(withRequestID(t.Context(), fmt.Sprintf("req-%d", i)), event(t)); err != nil {
			t.Fatal(err)
		}
		times = append(times, clock.Now())
		clock.Advance(61*time.Second + time.Duration(i)*100*time.Millisecond)
	}
	other := event(t, testevent.SetAttr("sub", "someone-else"))
	if _, err := handler(d, nil).Invoke(withRequestID(t.Context(), "req-other"), other); err != nil {
		t.Fatal(err)
	}
	got, err := postauth.LastSignIns(t.Context(), client, auditTable, fixtureSub, 3)
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []string
	for _, r := range got {
		gotIDs = append(gotIDs, r.RequestID)
		if r.Sub != fixtureSub {
			t.Errorf("another user's sign-in returned: %+v", r)
		}
	}
	if diff := cmp.Diff([]string{"req-4", "req-3", "req-2"}, gotIDs); diff != "" {
		t.Errorf("postauth.LastSignIns(3) request ids (-want +got):\n%s", diff)
	}
	if len(got) == 3 && !got[0].Time.Equal(times[4]) {
		t.Errorf("newest time %v, want %v", got[0].Time, times[4])
	}
	for _, n := range []int{0, -1, postauth.MaxLastSignIns + 1} {
		if _, err := postauth.LastSignIns(t.Context(), client, auditTable, fixtureSub, n); err == nil {
			t.Errorf("postauth.LastSignIns(n=%d) succeeded", n)
		}
	}
}

// TestTableFaults points the real client at each fault server, under both
// failure modes. Every answer comes within AUDIT_TIMEOUT_MS (read from the
// decision's own duration, with a margin for a loaded machine), open mode
// lets the sign-in go on and logs the complete item, closed mode refuses
// with the generic message.
func TestTableFaults(t *testing.T) {
	const writeTimeout = 1500 * time.Millisecond
	for _, fault := range harness.Faults {
		for _, mode := range []string{postauth.FailOpen, postauth.FailClosed} {
			t.Run(string(fault)+"/"+mode, func(t *testing.T) {
				t.Parallel()
				endpoint, stop, err := harness.StartFault(t.Context(), fault)
				if err != nil {
					t.Fatal(err)
				}
				defer stop()
				env := map[string]string{"AWS_REGION": harness.Region, "AWS_ACCESS_KEY_ID": "testing",
					"AWS_SECRET_ACCESS_KEY": "testing", "AWS_ENDPOINT_URL": endpoint}
				clock := fakes.NewClock()
				d := newDecider(t, postauth.Config{Table: auditTable, FailureMode: mode, WriteTimeout: writeTimeout}, postauth.Deps{Store: postauth.NewTable(clientFor(env), auditTable), Now: clock.Now})
				var logs bytes.Buffer
				in := event(t, testevent.SetRequest("newDeviceUsed", true))
				out, err := handler(d, &logs).Invoke(withRequestID(t.Context(), "req-fault"), in)
				lines := decisionLines(t, logs.Bytes())
				if len(lines) != 1 {
					t.Fatalf("%d log lines, want one", len(lines))
				}
				line := lines[0]
				// The write stops at its own budget, not at the invocation's:
				// the decision's own duration stays below the midpoint of the
				// two, a margin of more than a second for a loaded machine.
				if ms, _ := line["durationMs"].(float64); ms > decision.Millis((writeTimeout+invocationBudget)/2) {
					t.Errorf("decision took %.1f ms; the write budget is %v, the invocation's %v", ms, writeTimeout, invocationBudget)
				}
				want := map[string]any{"event": "sign_in", "sub": fixtureSub, "newDevice": true,
					"reason": string(decision.Table.Reason(fault.Failure())), "AuditWriteFailures": 1.0, "DuplicateDeliveries": 0.0}
				if mode == postauth.FailClosed {
					var ue *decision.UserError
					if !errors.As(err, &ue) || ue.Error() != decision.GenericMessage || out != nil {
						t.Fatalf("got %s, %v; want the generic refusal", out, err)
					}
					want["outcome"], want["SignIns"], want["NewDeviceSignIns"] = "refused", 0.0, 0.0
					checkLine(t, line, want)
					if _, ok := line["audit"]; ok {
						t.Error("a refused sign-in's line carries the audit group")
					}
					return
				}
				if err != nil {
					t.Fatalf("open mode refused the sign-in: %v", err)
				}
				if diff := echoDiff(t, in, out); diff != "" {
					t.Errorf("response (-want +got):\n%s", diff)
				}
				want["outcome"], want["SignIns"], want["NewDeviceSignIns"] = "audit_failed", 1.0, 1.0
				checkLine(t, line, want)
				if _, ok := line["cause"].(string); !ok {
					t.Errorf("line lacks the cause: %v", line)
				}
				// The line holds exactly what the item would have held.
				key, err := postauth.IdempotencyKey(in)
				if err != nil {
					t.Fatal(err)
				}
				rec := &postauth.Record{Sub: fixtureSub, Time: clock.Now(), UserPoolID: "us-east-1_EXAMPLE",
					ClientID: "1example23456789", TriggerSource: "PostAuthentication_Authentication",
					NewDeviceUsed: true, RequestID: "req-fault", Key: key,
					ExpiresAt: clock.Now().Add(365 * 24 * time.Hour).Unix()}
				if diff := cmp.Diff(plain(t, postauth.Item(rec)), line["audit"]); diff != "" {
					t.Errorf("rebuild line vs the item (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestRebuildFromLogLine: an open-mode failure's audit group, written back
// to the table as is, is the item a successful write would have made.
func TestRebuildFromLogLine(t *testing.T) {
	endpoint, stop, err := harness.StartFault(t.Context(), harness.FaultMissingTable)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	m, client := motoTable(t)
	env := m.Env()
	env["AWS_ENDPOINT_URL"] = endpoint
	clock := fakes.NewClock()
	failing := newDecider(t, postauth.Config{Table: auditTable}, postauth.Deps{Store: postauth.NewTable(clientFor(env), auditTable), Now: clock.Now})
	var logs bytes.Buffer
	in := event(t)
	if _, err := handler(failing, &logs).Invoke(withRequestID(t.Context(), "req-lost"), in); err != nil {
		t.Fatal(err)
	}
	group, ok := decisionLines(t, logs.Bytes())[0]["audit"].(map[string]any)
	if !ok {
		t.Fatalf("no audit group in %s", logs.Bytes())
	}
	if err := m.PutItem(t.Context(), auditTable, fromPlain(t, group)); err != nil {
		t.Fatal(err)
	}

	// The same sign-in written by a healthy function, for comparison.
	healthy := newDecider(t, postauth.Config{Table: auditTable}, postauth.Deps{Store: postauth.NewTable(client, auditTable), Now: clock.Now})
	if _, err := handler(healthy, nil).Invoke(withRequestID(t.Context(), "req-kept"), in); err != nil {
		t.Fatal(err)
	}
	got, err := postauth.LastSignIns(t.Context(), client, auditTable, fixtureSub, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d items, want the rebuilt and the written one", len(got))
	}
	byID := map[string]postauth.Record{}
	for _, r := range got {
		byID[r.RequestID] = r
	}
	rebuilt, written := byID["req-lost"], byID["req-kept"]
	written.RequestID = "req-lost"
	if diff := cmp.Diff(written, rebuilt); diff != "" {
		t.Errorf("rebuilt vs written record (-want +got):\n%s", diff)
	}
	if keys := slices.Sorted(maps.Keys(group)); len(keys) != len(postauth.Item(&rebuilt)) {
		t.Errorf("audit group has %v", keys)
	}
}
