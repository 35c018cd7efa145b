package adversarial

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/pkg/postauth"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// TestAdversarialA10_RetriesAreRecordedOnce: Cognito's retries (up to three
// attempts, 5 s apart) must yield one audit row, also when the retry is
// serialised differently (member order, whitespace, escapes, null versus
// absent versus empty) and when deliveries race. 200 sequential replays and
// 10-way concurrent bursts.
//
// Threat model A10; ASVS 5.0 15.4.2.
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
	if n := len(store.records()); n != 1 {
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
			if n := len(store.records()); n != 1 {
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
		if n := len(store.records()); n != 20 {
			t.Errorf("%d rows for 20 sign-ins delivered 10 times each concurrently", n)
		}
	})
}

// TestAdversarialA10_DistinctSignInsNeverMerge: sign-ins that differ in
// any keyed fact (user, pool, app client, device novelty, client metadata
// value, key, type or presence) get their own rows, even at the same
// instant. Near-collisions of the canonical form are included (a value that
// looks like a JSON fragment, keys that sort or escape alike).
//
// Threat model A10; ASVS 5.0 16.3.1.
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
		"metadata a=1 number":    postAuth(attrs, "clientMetadata", obj("a", "1")),
		"metadata a=null":        postAuth(attrs, "clientMetadata", obj("a", "null")),
		"metadata framing":       postAuth(attrs, "clientMetadata", strObj("a", `1","b":"1`)),
		"metadata framing key":   postAuth(attrs, "clientMetadata", strObj(`a\":\"1\",\"b`, "1")),
		"metadata nul":           postAuth(attrs, "clientMetadata", strObj("a", "1\x00")),
		"metadata unicode":       postAuth(attrs, "clientMetadata", strObj("a", "\u00e9")),
		"metadata decomposed":    postAuth(attrs, "clientMetadata", strObj("a", "e\u0301")),
		"sub boolean-looking":    postAuth(strObj("sub", "true")),
		"sub with hash":          postAuth(strObj("sub", testSub+"#dedupe")),
		"metadata key sub":       postAuth(attrs, "clientMetadata", strObj("sub", testSub)),
		"metadata empty key":     postAuth(attrs, "clientMetadata", strObj("", "")),
		"metadata nested":        postAuth(attrs, "clientMetadata", obj("a", strObj("b", "1"))),
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
	if n := len(store.records()); n != len(events) {
		t.Errorf("%d rows for %d distinct sign-ins", n, len(events))
	}
}

// TestAdversarialA12_AuditRowHoldsNoPII: the row written for a sign-in
// carries nothing that identifies a person beyond the sub: no email, phone,
// names, username or client-metadata values, whatever the event holds, and
// the same holds for the rebuild line written when the write fails.
//
// Threat model A12; ASVS 5.0 16.2.5; GDPR data minimisation.
func TestAdversarialA12_AuditRowHoldsNoPII(t *testing.T) {
	ev := event{source: "PostAuthentication_Authentication", userName: jstr(canaryUser),
		request: obj("userAttributes", hostileAttrs(canaryEmail), "newDeviceUsed", "true",
			"clientMetadata", strObj("device", canaryMeta, "ip", "203.0.113.7"))}.bytes()
	store := newMemStore()
	if _, err := postauthHandler(t, store, newClock(), postauth.FailOpen, nil).Invoke(ctx(t), ev); err != nil {
		t.Fatal(err)
	}
	recs := store.records()
	if len(recs) != 1 {
		t.Fatalf("%d rows", len(recs))
	}
	item := postauth.Item(&recs[0])
	assertNoCanary(t, "audit item", fmt.Sprintf("%+v %+v", recs[0], item), append(allCanaries, "203.0.113.7", "jane")...)
	if recs[0].Sub != testSub {
		t.Errorf("sub = %q", recs[0].Sub)
	}

	logs := &logBuf{}
	failing := newMemStore()
	failing.err = errBoom
	if _, err := postauthHandler(t, failing, newClock(), postauth.FailOpen, logs).Invoke(ctx(t), ev); err != nil {
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
// lines) is refused, never written.
//
// Threat model A10, A14.
func TestAdversarialA10_MalformedSubsAreRefusedNotStored(t *testing.T) {
	subs := map[string]string{
		"missing": obj("email", jstr("a@example.com")), "null": obj("sub", "null"), "empty": strObj("sub", ""),
		"number": obj("sub", "42"), "object": obj("sub", "{}"), "space": strObj("sub", "a b"), "newline": strObj("sub", "a\nb"),
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
			if n := len(store.records()); n != 0 {
				t.Errorf("%d rows written", n)
			}
		})
	}
}

// TestAdversarialA11_AuditWriteFailurePolicy: a stalled, failing or
// erroring table never holds the sign-in past the budget; fail-open lets it
// through, fail-closed refuses it with the generic text.
//
// Threat model A10, A11; ASVS 5.0 16.5.2, 16.5.3, 15.1.3.
func TestAdversarialA11_AuditWriteFailurePolicy(t *testing.T) {
	for _, mode := range []string{postauth.FailOpen, postauth.FailClosed} {
		for name, mk := range map[string]func() *memStore{
			"stall": func() *memStore { s := newMemStore(); s.stall = true; return s },
			"error": func() *memStore { s := newMemStore(); s.err = errBoom; return s },
		} {
			t.Run(mode+"/"+name, func(t *testing.T) {
				start := time.Now()
				_, err := postauthHandler(t, mk(), newClock(), mode, nil).Invoke(ctx(t), postAuthDefault())
				if d := time.Since(start); d > 400*time.Millisecond {
					t.Errorf("took %v (write timeout 200 ms)", d)
				}
				switch mode {
				case postauth.FailOpen:
					if err != nil {
						t.Errorf("fail-open refused the sign-in: %v", err)
					}
				case postauth.FailClosed:
					if userErr(t, err) != triggers.GenericMessage {
						t.Errorf("fail-closed answered %v", err)
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
//
// Threat model A6; ASVS 5.0 16.2.1.
func TestAdversarialA6_MetadataCannotChooseTheAuditedUser(t *testing.T) {
	store := newMemStore()
	ev := postAuthDefault("clientMetadata", strObj("sub", "victim-sub", "userPoolId", "us-east-1_OTHER",
		"clientId", "other", "triggerSource", "PreSignUp_SignUp", "newDeviceUsed", "true"))
	if _, err := postauthHandler(t, store, newClock(), postauth.FailOpen, nil).Invoke(ctx(t), ev); err != nil {
		t.Fatal(err)
	}
	r := store.records()
	if len(r) != 1 || r[0].Sub != testSub || r[0].UserPoolID != testPool || r[0].ClientID != testClient ||
		r[0].TriggerSource != string(triggers.SourcePostAuthentication) || r[0].NewDeviceUsed || r[0].PK() != "user#"+testSub {
		t.Errorf("row %+v took a value from clientMetadata", r)
	}
}

// TestAdversarialA10_WindowBoundary: the same event just past the dedupe
// window is a new sign-in (never silently merged forever), and the window
// does not slide with each duplicate (a user re-triggering every 59 s is
// still recorded every other minute at worst).
//
// Threat model A10; ASVS 5.0 16.3.1.
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
	if n := len(store.records()); n != 3 {
		t.Errorf("%d rows, want 3", n)
	}
}
