package postauth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/postauth"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// sameKeyGolden is the key of every file in testdata/same-key, computed
// independently as the first 32 hex digits of SHA-256 over
//
//	["postauth-idempotency-v1","us-east-1_EXAMPLE","1example23456789","PostAuthentication_Authentication","7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b",true,{"app":"mobile","flow":"passkey","locale":"de-DE"}]
const sameKeyGolden = "29eaa3c792e6d78e09c10b0bd33a5d5c"

func TestIdempotencyKeyStable(t *testing.T) {
	files, err := filepath.Glob("testdata/same-key/*.json")
	if err != nil || len(files) < 3 {
		t.Fatalf("testdata/same-key: %v files, %v", len(files), err)
	}
	for _, f := range files {
		if got := keyOf(t, testevent.Raw(t, f)); got != sameKeyGolden {
			t.Errorf("%s: key %s, want %s", f, got, sameKeyGolden)
		}
	}
}

// v1Keys are the keys that the byte-scanning implementation, which wrote
// the dedupe markers of every deployed table before the typed event model,
// computed for the files in testdata/v1-keys (and the fixture). A key
// that changes would let a redelivery in flight across a deployment be
// recorded twice. The files cover what the canonical form must get the
// same: member order, whitespace, every kind of escape, HTML characters,
// control characters, U+2028/U+2029, surrogate pairs and lone surrogates,
// invalid UTF-8, non-ASCII keys sorted bytewise, an empty key, many
// members, null and {} metadata, a missing clientId and header strings
// that need escaping.
var v1Keys = map[string]string{
	"../../events/postauth-authentication.json":  "961be1c977e8e3f46b996de66104de37",
	"testdata/v1-keys/empty-metadata.json":       "1ca2b43b29d54c0a8d30a55243cfc70f",
	"testdata/v1-keys/null-metadata.json":        "1ca2b43b29d54c0a8d30a55243cfc70f",
	"testdata/v1-keys/escapes.json":              "04164dd0f655da5b7216bad95a677a85",
	"testdata/v1-keys/flat-metadata.json":        "53eb985d66ef087270ed92ad25cd84ec",
	"testdata/v1-keys/invalid-utf8.json":         "d60ede3bb421936020ad376991a2f571",
	"testdata/v1-keys/many-keys.json":            "4dbd0e33983301e428dfaead1cd007e3",
	"testdata/v1-keys/new-device-no-client.json": "6ae892be6252c135e1ce8dfbafec4868",
	"testdata/v1-keys/special-header.json":       "32f0186781b9abd73005776e1a603f58",
}

// TestIdempotencyKeyUnchanged: for string-valued metadata, the key (from
// the raw event, and the one the decision hands to the store) is the key
// the first release computed.
func TestIdempotencyKeyUnchanged(t *testing.T) {
	files, err := filepath.Glob("testdata/v1-keys/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files)+1 != len(v1Keys) {
		t.Fatalf("%d files in testdata/v1-keys, %d pinned keys: pin the key of every file", len(files), len(v1Keys)-1)
	}
	for file, want := range v1Keys {
		raw := testevent.Raw(t, file)
		if got := keyOf(t, raw); got != want {
			t.Errorf("%s: IdempotencyKey %s, want %s", file, got, want)
		}
		var stored string
		d := newDecider(t, postauth.Config{Table: "audit"}, postauth.Deps{Store: &fakes.AuditStore{
			PutFn: func(_ context.Context, r *postauth.Record) error { stored = r.Key; return nil }}})
		if _, err := handler(d, nil).Invoke(withRequestID(t.Context(), "req-1"), raw); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if stored != want {
			t.Errorf("%s: the decision stored key %s, want %s", file, stored, want)
		}
	}
}

// TestIdempotencyKeyNonStringMetadata: a metadata value that is not a
// string is keyed as its JSON text, as a string. The first release keyed
// it as a canonical JSON value instead (fc1a7941f1c15fbbc4199b99f89df27a
// for this file), so such events get a new key; Cognito's metadata is a
// map of strings, so no real redelivery is affected.
func TestIdempotencyKeyNonStringMetadata(t *testing.T) {
	const v1Key = "fc1a7941f1c15fbbc4199b99f89df27a"
	input := `["postauth-idempotency-v1","us-east-1_EXAMPLE","1example23456789","PostAuthentication_Authentication",` +
		`"7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b",false,{"b":"true","n":"1.50","o":"{\"y\":null,\"x\":[1,\"\\u0041\"]}","z":""}]`
	sum := sha256.Sum256([]byte(input))
	want := hex.EncodeToString(sum[:16])
	got := keyOf(t, testevent.Raw(t, "testdata/nonstring-metadata.json"))
	if got != want {
		t.Errorf("key %s, want %s (the hash of %s)", got, want, input)
	}
	if got == v1Key {
		t.Error("the key equals the first release's, whose canonical form kept the values' types")
	}
}

// TestIdempotencyKeyFields: each keyed field changes the key; forms of "no
// metadata", fields outside the key, and the type a value is written in do
// not.
func TestIdempotencyKeyFields(t *testing.T) {
	base := keyOf(t, event(t))
	if len(base) != 32 {
		t.Fatalf("key %q is not 32 hex characters", base)
	}
	withMeta := keyOf(t, event(t, testevent.SetRequest("clientMetadata", map[string]any{"a": "1"})))
	for _, tt := range []struct {
		name  string
		edits []testevent.Edit
		base  string // the key compared with; "" = base
		same  bool
	}{
		{name: "other pool", edits: edits(testevent.Set("userPoolId", "us-east-1_OTHER"))},
		{name: "other client", edits: edits(testevent.SetCaller("clientId", "2example"))},
		{name: "no client", edits: edits(testevent.SetCaller("clientId", nil))},
		{name: "other sub", edits: edits(testevent.SetAttr("sub", "8c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b"))},
		{name: "new device", edits: edits(testevent.SetRequest("newDeviceUsed", true))},
		{name: "metadata added", edits: edits(testevent.SetRequest("clientMetadata", map[string]any{"a": "1"}))},
		{name: "metadata value differs", base: withMeta, edits: edits(testevent.SetRequest("clientMetadata", map[string]any{"a": "2"}))},
		{name: "metadata key differs", base: withMeta, edits: edits(testevent.SetRequest("clientMetadata", map[string]any{"b": "1"}))},
		{name: "metadata key differs in case only", base: withMeta, edits: edits(testevent.SetRequest("clientMetadata", map[string]any{"A": "1"}))},
		{name: "metadata member added", base: withMeta, edits: edits(testevent.SetRequest("clientMetadata", map[string]any{"a": "1", "b": ""}))},
		{name: "field boundary", edits: edits(
			// pool+client concatenated are equal; framing must still differ
			testevent.Set("userPoolId", "us-east-1_EXAMPLE1example"),
			testevent.SetCaller("clientId", "23456789"))},
		{name: "metadata null", edits: edits(testevent.SetRequest("clientMetadata", testevent.Null)), same: true},
		{name: "metadata empty", edits: edits(testevent.SetRequest("clientMetadata", map[string]any{})), same: true},
		{name: "newDeviceUsed absent", edits: edits(testevent.SetRequest("newDeviceUsed", nil)), same: true},
		{name: "newDeviceUsed null", edits: edits(testevent.SetRequest("newDeviceUsed", testevent.Null)), same: true},
		{name: "user name differs", edits: edits(testevent.Set("userName", "x")), same: true},
		{name: "email differs", edits: edits(testevent.SetAttr("email", "x@example.org")), same: true},
		{name: "region differs", edits: edits(testevent.Set("region", "eu-west-1")), same: true},
		// Values arrive as their JSON text, so 1 and "1" are the same.
		{name: "metadata value a number", base: withMeta, edits: edits(testevent.SetRequest("clientMetadata", map[string]any{"a": 1})), same: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.base
			if want == "" {
				want = base
			}
			got := keyOf(t, event(t, tt.edits...))
			if (got == want) != tt.same {
				t.Errorf("key %s vs %s: same = %v, want %v", got, want, got == want, tt.same)
			}
		})
	}
}

func keyOf(tb testing.TB, ev []byte) string {
	tb.Helper()
	k, err := postauth.IdempotencyKey(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// TestKeyInput pins the canonical array the key hashes: the documented
// fields in order, metadata members sorted bytewise with every value a
// JSON string, strings escaped as encoding/json escapes them.
func TestKeyInput(t *testing.T) {
	const head = `["postauth-idempotency-v1","us-east-1_EXAMPLE","1example23456789","PostAuthentication_Authentication","7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b",false,`
	for _, tt := range []struct {
		name, metadata, want string
	}{
		{"absent", "", `{}`},
		{"null", `null`, `{}`},
		{"empty", `{}`, `{}`},
		{"sorted, whitespace gone", ` { "b" : "2" , "a" : "1" } `, `{"a":"1","b":"2"}`},
		{"bytewise order", `{"b":"","a":"","B":"","\u00e9":"","z":""}`, `{"B":"","a":"","b":"","z":"","é":""}`},
		{"escapes", `{"\u00e9":"\u00e9", "e":"<&>", "q":"\"\\\/", "c":"\u0001\n\u2028"}`, `{"c":"\u0001\n\u2028","e":"\u003c\u0026\u003e","q":"\"\\/","é":"é"}`},
		{"null value", `{"a":null}`, `{"a":""}`},
		{"values of other types as their text", `{"a":[3, {"z":true,"y":null}, "x"],"b":1.50,"c":false}`, `{"a":"[3,{\"z\":true,\"y\":null},\"x\"]","b":"1.50","c":"false"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var e []testevent.Edit
			if tt.metadata != "" {
				e = append(e, testevent.SetRequest("clientMetadata", json.RawMessage(tt.metadata)))
			}
			ev := testevent.Decode[triggers.PostAuth](t, event(t, e...))
			got := postauth.KeyInput(ev, fixtureSub)
			if want := head + tt.want + "]"; got != want {
				t.Errorf("key input\n got %s\nwant %s", got, want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("key input %s is not JSON", got)
			}
		})
	}
}

// TestHostileMetadataCost: metadata is caller-controlled, so a forged
// event may nest a value as deeply as the decoder allows. The value is
// keyed as its text, so the bytes hashed grow with the bytes sent and no
// faster (at most six for one, the longest escape), however deep the
// nesting; beyond the decoder's nesting limit the event is refused.
func TestHostileMetadataCost(t *testing.T) {
	for _, depth := range []int{17, 1000, 9000} {
		value := strings.Repeat(`["<\u0001",`, depth) + `"x"` + strings.Repeat("]", depth)
		raw := event(t, testevent.SetRequest("clientMetadata", json.RawMessage(`{"a":`+value+`}`)))
		ev := testevent.Decode[triggers.PostAuth](t, raw)
		input := postauth.KeyInput(ev, fixtureSub)
		if limit := 6*len(value) + 512; len(input) > limit {
			t.Errorf("depth %d: %d bytes hashed for a %d-byte value (limit %d)", depth, len(input), len(value), limit)
		}
		if _, err := postauth.IdempotencyKey(raw); err != nil {
			t.Errorf("depth %d: %v", depth, err)
		}
	}
	if _, err := postauth.IdempotencyKey(tooDeep(t)); err == nil {
		t.Error("metadata nested past the decoder's limit was keyed")
	}
}

// tooDeep is the fixture with metadata nested past the decoder's limit of
// 10000 levels, written into the bytes (encoding/json, which the edits go
// through, refuses such a value).
func tooDeep(tb testing.TB) []byte {
	tb.Helper()
	const at = `"newDeviceUsed": false`
	raw := event(tb)
	deep := `"clientMetadata": {"a":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}, ` + at
	out := bytes.Replace(raw, []byte(at), []byte(deep), 1)
	if bytes.Equal(out, raw) {
		tb.Fatalf("the fixture has no %s to insert the metadata before", at)
	}
	return out
}
