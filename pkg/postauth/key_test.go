package postauth

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
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
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := IdempotencyKey(raw)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if got != sameKeyGolden {
			t.Errorf("%s: key %s, want %s", f, got, sameKeyGolden)
		}
	}
}

// TestIdempotencyKeyFields: each keyed field changes the key; forms of "no
// metadata" do not.
func TestIdempotencyKeyFields(t *testing.T) {
	base := keyOf(t, event(t, nil))
	if len(base) != 32 {
		t.Fatalf("key %q is not 32 hex characters", base)
	}
	for _, tt := range []struct {
		name string
		edit func(ev map[string]any)
		same bool
	}{
		{name: "other pool", edit: func(ev map[string]any) { ev["userPoolId"] = "us-east-1_OTHER" }},
		{name: "other client", edit: func(ev map[string]any) { ev["callerContext"].(map[string]any)["clientId"] = "2example" }},
		{name: "no client", edit: func(ev map[string]any) { delete(ev["callerContext"].(map[string]any), "clientId") }},
		{name: "other sub", edit: func(ev map[string]any) { attributes(ev)["sub"] = "8c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b" }},
		{name: "new device", edit: func(ev map[string]any) { request(ev)["newDeviceUsed"] = true }},
		{name: "metadata added", edit: func(ev map[string]any) { request(ev)["clientMetadata"] = map[string]any{"a": "1"} }},
		{name: "metadata value differs", edit: func(ev map[string]any) { request(ev)["clientMetadata"] = map[string]any{"a": "2"} }},
		{name: "metadata key differs", edit: func(ev map[string]any) { request(ev)["clientMetadata"] = map[string]any{"b": "1"} }},
		{name: "metadata value not a string", edit: func(ev map[string]any) { request(ev)["clientMetadata"] = map[string]any{"a": 1} }},
		{name: "field boundary", edit: func(ev map[string]any) {
			// pool+client concatenated are equal; framing must still differ
			ev["userPoolId"] = "us-east-1_EXAMPLE1example"
			ev["callerContext"].(map[string]any)["clientId"] = "23456789"
		}},
		{name: "metadata null", edit: func(ev map[string]any) { request(ev)["clientMetadata"] = nil }, same: true},
		{name: "metadata empty", edit: func(ev map[string]any) { request(ev)["clientMetadata"] = map[string]any{} }, same: true},
		{name: "newDeviceUsed absent", edit: func(ev map[string]any) { delete(request(ev), "newDeviceUsed") }, same: true},
		{name: "user name differs", edit: func(ev map[string]any) { ev["userName"] = "x" }, same: true},
		{name: "email differs", edit: func(ev map[string]any) { attributes(ev)["email"] = "x@example.org" }, same: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := keyOf(t, event(t, tt.edit))
			if (got == base) != tt.same {
				t.Errorf("key %s vs base %s: same = %v, want %v", got, base, got == base, tt.same)
			}
		})
	}
}

func keyOf(t testing.TB, ev []byte) string {
	t.Helper()
	k, err := IdempotencyKey(ev)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestAppendCanonical(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{}`, `{}`},
		{` { "b" : "2" , "a" : "1" } `, `{"a":"1","b":"2"}`},
		{`{"\u00e9":"\u00e9", "e":"<&>"}`, `{"e":"\u003c\u0026\u003e","é":"é"}`},
		{`{"a":[3, {"z":true,"y":null}, "x"]}`, `{"a":[3,{"y":null,"z":true},"x"]}`},
		{`{"a":1.50,"b":-0}`, `{"a":1.50,"b":-0}`},
	} {
		got, err := appendCanonical(nil, []byte(tt.in), maxMetadataDepth)
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("appendCanonical(%s) = %s, want %s", tt.in, got, tt.want)
		}
		if !json.Valid(got) {
			t.Errorf("appendCanonical(%s) = %s is not JSON", tt.in, got)
		}
	}
	for _, bad := range []string{`{"a":"1","a":"1"}`, `{"a":{"b":1,"b":2}}`} {
		if _, err := appendCanonical(nil, []byte(bad), maxMetadataDepth); err == nil {
			t.Errorf("appendCanonical(%s) accepted a duplicate key", bad)
		}
	}
}
