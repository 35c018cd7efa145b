package adversarial

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/postauth"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// TestAdversarialA10_RetriesAreRecordedOnce: Cognito's retries (up to three
// attempts, 5 s apart) must yield one audit row, also when the retry is
// serialised differently (member order, whitespace, escapes, null versus
// absent versus empty) and when deliveries race. 200 sequential replays and
// 10-way concurrent bursts.
func TestAdversarialA10_RetriesAreRecordedOnce(t *testing.T) {
	attrs := strObj("sub", testSub, "email", "jane@example.com")
	variants := [][]byte{
		postAuth(attrs, "newDeviceUsed", "false", "clientMetadata", strObj("a", "1", "b", "2")),
		postAuth(attrs, "clientMetadata", strObj("b", "2", "a", "1"), "newDeviceUsed", "false"),
		postAuth(attrs, "newDeviceUsed", "false", "clientMetadata", obj(`\u0061`, `"\u0031"`, "b", ` "2" `)),
		[]byte(strings.NewReplacer(",", ",\n  ", ":", ": ").Replace(string(postAuth(attrs, "newDeviceUsed", "false", "clientMetadata", strObj("a", "1", "b", "2"))))),
		event{source: "PostAuthentication_Authentication", region: jstr("eu-west-1"), userName: jstr("other-name"),
			callerContext: strObj("awsSdkVersion", "aws-sdk-js-3", "clientId", testClient),
			request:       obj("userAttributes", strObj("sub", testSub, "name", "Changed"), "clientMetadata", strObj("a", "1", "b", "2"))}.bytes(),
	}
	store := newMemStore()
	clock := newClock()
	h := postauthHandler(t, store, clock, postauth.FailOpen, nil)
	for i := range 200 {
		if _, err := h.Invoke(ctx(t), variants[i%len(variants)]); err != nil {
			t.Fatalf("replay %d refused: %v", i, err)
		}
		if i%3 == 2 {
			clock.Advance(50 * time.Millisecond)
		}
	}
	if n := len(store.Records()); n != 1 {
		t.Errorf("%d audit rows for one sign-in replayed 200 times", n)
	}

	for _, meta := range []string{"", "null", "{}"} {
		t.Run("metadata "+meta, func(t *testing.T) {
			store := newMemStore()
			clock := newClock()
			h := postauthHandler(t, store, clock, postauth.FailOpen, nil)
			forms := [][]byte{postAuth(attrs), postAuth(attrs, "clientMetadata", "null"), postAuth(attrs, "clientMetadata", "{}"),
				postAuth(attrs, "newDeviceUsed", "null"), postAuth(attrs, "newDeviceUsed", "false")}
			for _, f := range forms {
				if _, err := h.Invoke(ctx(t), f); err != nil {
					t.Fatal(err)
				}
				clock.Advance(4 * time.Second) // Cognito's next attempt
			}
			if n := len(store.Records()); n != 1 {
				t.Errorf("%d rows for one sign-in whose retries spell empty metadata differently", n)
			}
		})
	}

	t.Run("10-way concurrent bursts", func(t *testing.T) {
		store := newMemStore()
		clock := newClock()
		h := postauthHandler(t, store, clock, postauth.FailOpen, nil)
		for burst := range 20 {
			ev := postAuth(strObj("sub", fmt.Sprintf("sub-%02d", burst)))
			var wg sync.WaitGroup
			for range 10 {
				wg.Go(func() {
					if _, err := h.Invoke(ctx(t), ev); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		}
		if n := len(store.Records()); n != 20 {
			t.Errorf("%d rows for 20 sign-ins delivered 10 times each concurrently", n)
		}
	})
}

// TestAdversarialA10_DistinctSignInsNeverMerge: sign-ins that differ in
// any keyed fact (user, pool, app client, device novelty, client metadata
// value, key, type or presence) get their own rows, even at the same
// instant. Near-collisions of the canonical form are included (a value that
// looks like a JSON fragment, keys that sort or escape alike).
func TestAdversarialA10_DistinctSignInsNeverMerge(t *testing.T) {
	attrs := strObj("sub", testSub)
	events := map[string][]byte{
		"base":                   postAuth(attrs),
		"other sub":              postAuth(strObj("sub", "7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7c")),
		"sub differs in case":    postAuth(strObj("sub", strings.ToUpper(testSub))),
		"other client":           event{source: "PostAuthentication_Authentication", callerContext: strObj("clientId", "other"), request: obj("userAttributes", attrs)}.bytes(),
		"empty client":           event{source: "PostAuthentication_Authentication", callerContext: "{}", request: obj("userAttributes", attrs)}.bytes(),
		"other pool":             event{source: "PostAuthentication_Authentication", pool: jstr("us-east-1_OTHER"), request: obj("userAttributes", attrs)}.bytes(),
		"new device":             postAuth(attrs, "newDeviceUsed", "true"),
		"metadata a=1":           postAuth(attrs, "clientMetadata", strObj("a", "1")),
		"metadata a=2":           postAuth(attrs, "clientMetadata", strObj("a", "2")),
		"metadata a=\"\"":        postAuth(attrs, "clientMetadata", strObj("a", "")),
		"metadata b=1":           postAuth(attrs, "clientMetadata", strObj("b", "1")),
		"metadata a=1,b=1":       postAuth(attrs, "clientMetadata", strObj("a", "1", "b", "1")),
		"metadata framing":       postAuth(attrs, "clientMetadata", strObj("a", `1","b":"1`)),
		"metadata framing key":   postAuth(attrs, "clientMetadata", strObj(`a\":\"1\",\"b`, "1")),
		"metadata nul":           postAuth(attrs, "clientMetadata", strObj("a", "1\x00")),
		"metadata unicode":       postAuth(attrs, "clientMetadata", strObj("a", "\u00e9")),
		"metadata decomposed":    postAuth(attrs, "clientMetadata", strObj("a", "e\u0301")),
		"sub boolean-looking":    postAuth(strObj("sub", "true")),
		"sub with hash":          postAuth(strObj("sub", testSub+"#dedupe")),
		"metadata key sub":       postAuth(attrs, "clientMetadata", strObj("sub", testSub)),
		"metadata empty key":     postAuth(attrs, "clientMetadata", strObj("", "")),
		"metadata nested string": postAuth(attrs, "clientMetadata", strObj("a", `{"b":"1"}`)),
	}
	store := newMemStore()
	clock := newClock() // all at the same millisecond
	h := postauthHandler(t, store, clock, postauth.FailOpen, nil)
	keys := map[string]string{}
	for name, ev := range events {
		k, err := postauth.IdempotencyKey(ev)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if other, ok := keys[k]; ok {
			t.Errorf("%q and %q share the idempotency key %s", name, other, k)
		}
		keys[k] = name
		if _, err := h.Invoke(ctx(t), ev); err != nil {
			t.Fatalf("%s: refused: %v", name, err)
		}
	}
	if n := len(store.Records()); n != len(events) {
		t.Errorf("%d rows for %d distinct sign-ins", n, len(events))
	}

	// Cognito's clientMetadata holds strings only. A value of another
	// type, which only a forged event can carry, reads as its compact JSON
	// text, as the typed event reads every attribute, and is keyed as that
	// string: it cannot make one sign-in look like two.
	for name, pair := range map[string][2][]byte{
		"number":  {postAuth(attrs, "clientMetadata", obj("a", "1")), postAuth(attrs, "clientMetadata", strObj("a", "1"))},
		"null":    {postAuth(attrs, "clientMetadata", obj("a", "null")), postAuth(attrs, "clientMetadata", strObj("a", ""))},
		"object":  {postAuth(attrs, "clientMetadata", obj("a", `{ "b" : "1" }`)), postAuth(attrs, "clientMetadata", strObj("a", `{"b":"1"}`))},
		"boolean": {postAuth(attrs, "clientMetadata", obj("a", "true")), postAuth(attrs, "clientMetadata", strObj("a", "true"))},
	} {
		k0, err0 := postauth.IdempotencyKey(pair[0])
		k1, err1 := postauth.IdempotencyKey(pair[1])
		if err0 != nil || err1 != nil || k0 != k1 {
			t.Errorf("metadata %s: keys %s (%v) and %s (%v), want the key of its string spelling", name, k0, err0, k1, err1)
		}
	}
}

// TestAdversarialA12_AuditRowHoldsNoPII: the row written for a sign-in
// carries nothing that identifies a person beyond the sub: no email, phone,
// names, username or client-metadata values, whatever the event holds, and
// the same holds for the rebuild line written when the write fails.
func TestAdversarialA12_AuditRowHoldsNoPII(t *testing.T) {
	ev := event{source: "PostAuthentication_Authentication", userName: jstr(canaryUser),
		request: obj("userAttributes", hostileAttrs(canaryEmail), "newDeviceUsed", "true",
			"clientMetadata", strObj("device", canaryMeta, "ip", "203.0.113.7"))}.bytes()
	store := newMemStore()
	if _, err := postauthHandler(t, store, newClock(), postauth.FailOpen, nil).Invoke(ctx(t), ev); err != nil {
		t.Fatal(err)
	}
	recs := store.Records()
	if len(recs) != 1 {
		t.Fatalf("%d rows", len(recs))
	}
	// What a reader of the real table sees: the item, and the record read
	// back from it.
	item := postauth.Item(&recs[0])
	stored, err := postauth.RecordFromItem(item)
	if err != nil {
		t.Fatalf("RecordFromItem: %v", err)
	}
	assertNoCanary(t, "audit item", fmt.Sprintf("%+v %+v %+v", recs[0], stored, item), append(allCanaries, "203.0.113.7", "jane")...)
	if stored.Sub != testSub {
		t.Errorf("sub = %q", stored.Sub)
	}

	logs := &logBuf{}
	if _, err := postauthHandler(t, failingStore(errBoom), newClock(), postauth.FailOpen, logs).Invoke(ctx(t), ev); err != nil {
		t.Fatal(err)
	}
	line := logs.decision(t)
	if _, ok := line["audit"].(map[string]any); !ok {
		t.Fatalf("fail-open line lacks the audit group: %v", line)
	}
	assertNoCanary(t, "fail-open line", logs.String(), append(allCanaries, "203.0.113.7")...)
}

// TestAdversarialA10_MalformedSubsAreRefusedNotStored: a sub that is not a
// bounded printable-ASCII token (which would bloat or split keys and log
// lines) is refused, never written. A sub of another JSON type reads as its
// compact JSON text, like every attribute, and is judged by the same rule.
func TestAdversarialA10_MalformedSubsAreRefusedNotStored(t *testing.T) {
	subs := map[string]string{
		"missing": obj("email", jstr("a@example.com")), "null": obj("sub", "null"), "empty": strObj("sub", ""),
		"object with a space": obj("sub", `{"a":"b c"}`), "space": strObj("sub", "a b"), "newline": strObj("sub", "a\nb"),
		"nul": strObj("sub", "a\x00"), "non-ascii": strObj("sub", "ａ"), "invalid utf8": strObj("sub", "a\xff"),
		"too long": strObj("sub", strings.Repeat("a", 129)), "duplicate": obj("sub", jstr(testSub), "sub", jstr("other")),
		"escaped duplicate": obj("sub", jstr(testSub), `s\u0075b`, jstr("other")),
	}
	for name, attrs := range subs {
		t.Run(name, func(t *testing.T) {
			store := newMemStore()
			_, err := postauthHandler(t, store, newClock(), postauth.FailOpen, nil).Invoke(ctx(t), postAuth(attrs))
			if err == nil {
				t.Errorf("accepted")
			} else if msg := userErr(t, err); !userMessages[msg] {
				t.Errorf("user text %q", msg)
			}
			if n := len(store.Records()); n != 0 {
				t.Errorf("%d rows written", n)
			}
		})
	}
}

// TestAdversarialA11_AuditWriteFailurePolicy: a stalled, failing or
// erroring table never holds the sign-in past the budget; fail-open lets it
// through, fail-closed refuses it with the generic text.
func TestAdversarialA11_AuditWriteFailurePolicy(t *testing.T) {
	const writeTimeout = 200 * time.Millisecond // postauthHandler's
	for _, mode := range []string{postauth.FailOpen, postauth.FailClosed} {
		for name, tc := range map[string]struct {
			stall  bool
			reason decision.Reason
		}{
			"stall": {true, decision.ReasonTableTimeout},
			"error": {false, decision.ReasonTableError},
		} {
			t.Run(mode+"/"+name, func(t *testing.T) {
				var deadline time.Time
				var hasDeadline bool
				store := &fakes.AuditStore{PutFn: func(ctx context.Context, _ *postauth.Record) error {
					deadline, hasDeadline = ctx.Deadline()
					if tc.stall {
						<-ctx.Done()
						return ctx.Err()
					}
					return errBoom
				}}
				logs := &logBuf{}
				_, err := postauthHandler(t, store, newClock(), mode, logs).Invoke(ctx(t), postAuthDefault())
				after := time.Now()
				// The write is cut off by its own timeout: its deadline can
				// lie no later than the timeout after the call returned.
				if !hasDeadline || deadline.After(after.Add(writeTimeout)) {
					t.Errorf("the write ran with deadline %v (set %v), want one within %v", deadline, hasDeadline, writeTimeout)
				}
				line := logs.decision(t)
				if line["reason"] != string(tc.reason) {
					t.Errorf("reason %v, want %s", line["reason"], tc.reason)
				}
				switch mode {
				case postauth.FailOpen:
					if err != nil {
						t.Errorf("fail-open refused the sign-in: %v", err)
					}
					if line["outcome"] != string(decision.OutcomeAuditFailed) {
						t.Errorf("outcome %v, want audit_failed", line["outcome"])
					}
				case postauth.FailClosed:
					if userErr(t, err) != decision.GenericMessage {
						t.Errorf("fail-closed answered %v", err)
					}
					if line["outcome"] != string(decision.OutcomeRefused) {
						t.Errorf("outcome %v, want refused", line["outcome"])
					}
				}
			})
		}
	}
}

// TestAdversarialA6_MetadataCannotChooseTheAuditedUser: clientMetadata
// (set by whoever calls RespondToAuthChallenge) naming another sub, pool or
// client changes nothing but the idempotency key: the row is filed under
// the sub Cognito authenticated.
func TestAdversarialA6_MetadataCannotChooseTheAuditedUser(t *testing.T) {
	store := newMemStore()
	ev := postAuthDefault("clientMetadata", strObj("sub", "victim-sub", "userPoolId", "us-east-1_OTHER",
		"clientId", "other", "triggerSource", "PreSignUp_SignUp", "newDeviceUsed", "true"))
	if _, err := postauthHandler(t, store, newClock(), postauth.FailOpen, nil).Invoke(ctx(t), ev); err != nil {
		t.Fatal(err)
	}
	r := store.Records()
	if len(r) != 1 || r[0].Sub != testSub || r[0].UserPoolID != testPool || r[0].ClientID != testClient ||
		r[0].TriggerSource != string(triggers.SourcePostAuthentication) || r[0].NewDeviceUsed || r[0].PK() != "user#"+testSub {
		t.Errorf("row %+v took a value from clientMetadata", r)
	}
}

// TestAdversarialA10_WindowBoundary: the same event just past the dedupe
// window is a new sign-in (never silently merged forever), and the window
// does not slide with each duplicate (a user re-triggering every 59 s is
// still recorded every other minute at worst).
func TestAdversarialA10_WindowBoundary(t *testing.T) {
	store := newMemStore()
	clock := newClock()
	h := postauthHandler(t, store, clock, postauth.FailOpen, nil)
	ev := postAuthDefault()
	for _, step := range []time.Duration{0, 59 * time.Second, 1001 * time.Millisecond, 59 * time.Second, 59 * time.Second} {
		clock.Advance(step)
		if _, err := h.Invoke(ctx(t), ev); err != nil {
			t.Fatal(err)
		}
	}
	// t=0 recorded; 59 s dup; 60.001 s recorded; 119.001 s dup; 178.001 s recorded.
	if n := len(store.Records()); n != 3 {
		t.Errorf("%d rows, want 3", n)
	}
}
