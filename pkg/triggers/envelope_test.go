package triggers

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readEvents(tb testing.TB) map[string][]byte {
	tb.Helper()
	paths, err := filepath.Glob("../../events/*.json")
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no fixtures under events/: %v", err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

// TestEnvelopeAgreesWithEncodingJSON: the fast path and encoding/json must
// read the same header from every real event shape.
func TestEnvelopeAgreesWithEncodingJSON(t *testing.T) {
	for name, data := range readEvents(t) {
		t.Run(name, func(t *testing.T) {
			ev, err := ParseEnvelope(data)
			if err != nil {
				t.Fatalf("ParseEnvelope: %v", err)
			}
			var want struct {
				Header
				Request json.RawMessage `json:"request"`
			}
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.Header, ev.Header); diff != "" {
				t.Errorf("header (-encoding/json +envelope):\n%s", diff)
			}
			if !json.Valid(ev.Request) || compact(t, ev.Request) != compact(t, want.Request) {
				t.Errorf("request = %s, want %s", ev.Request, want.Request)
			}
		})
	}
}

func compact(tb testing.TB, b []byte) string {
	tb.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatalf("not JSON: %v: %s", err, b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func TestWithResponse(t *testing.T) {
	resp := []byte(`{"autoConfirmUser":false,"x":[1,"}"]}`)
	for name, data := range readEvents(t) {
		ev, err := ParseEnvelope(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := ev.WithResponse(resp)
		var gotV, wantV map[string]any
		if err := json.Unmarshal(got, &gotV); err != nil {
			t.Fatalf("%s: spliced event is not JSON: %v\n%s", name, err, got)
		}
		_ = json.Unmarshal(data, &wantV)
		wantV["response"] = map[string]any{"autoConfirmUser": false, "x": []any{1.0, "}"}}
		if diff := cmp.Diff(wantV, gotV); diff != "" {
			t.Errorf("%s: spliced event (-want +got):\n%s", name, diff)
		}
	}
	// An event without a response member gets one.
	noResp := []byte(`{"version":"1","triggerSource":"PostAuthentication_Authentication","userPoolId":"p","callerContext":{"clientId":"c"},"request":{}} `)
	ev, err := ParseEnvelope(noResp)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(ev.WithResponse([]byte(`{}`))); got != `{"version":"1","triggerSource":"PostAuthentication_Authentication","userPoolId":"p","callerContext":{"clientId":"c"},"request":{},"response":{}} ` {
		t.Errorf("inserted response: %s", got)
	}
}

func TestParseEnvelopeRefuses(t *testing.T) {
	const ok = `"version":"1","triggerSource":"PreSignUp_SignUp","userPoolId":"p","callerContext":{"clientId":"c"},"request":{}`
	tests := []struct{ name, in, want string }{
		{"empty", ``, "malformed"},
		{"not json", `hello`, "malformed"},
		{"truncated", `{` + ok, "malformed"},
		{"array", `[` + ok + `]`, "malformed"},
		{"null", `null`, "malformed"},
		{"trailing garbage", `{` + ok + `}x`, "malformed"},
		{"unknown source", `{"version":"1","triggerSource":"PreSignUp_Evil","userPoolId":"p","callerContext":{},"request":{}}`, "unknown triggerSource"},
		{"missing source", `{"version":"1","userPoolId":"p","callerContext":{},"request":{}}`, `"triggerSource" is missing`},
		{"missing pool", `{"version":"1","triggerSource":"PreSignUp_SignUp","callerContext":{},"request":{}}`, `"userPoolId" is missing`},
		{"numeric version", `{"version":1,"triggerSource":"PreSignUp_SignUp","userPoolId":"p","callerContext":{},"request":{}}`, `"version" is not a string`},
		{"case-variant source", `{` + ok + `,"TRIGGERSOURCE":"PreSignUp_AdminCreateUser"}`, "case variant"},
		{"duplicate source", `{` + ok + `,"triggerSource":"PreSignUp_AdminCreateUser"}`, "duplicate"},
		{"duplicate pool", `{` + ok + `,"userPoolId":"other"}`, "duplicate"},
		{"case-variant request", `{` + ok + `,"Request":{}}`, "case variant"},
		{"long-s variant of source", `{` + ok + `,"triggerſource":"PreSignUp_AdminCreateUser"}`, "case variant"},
		{"kelvin-sign variant of sdk version", `{"version":"1","triggerSource":"PreSignUp_SignUp","userPoolId":"p","callerContext":{"awsSdKVersion":"x"},"request":{}}`, "case variant"},
		{"caller context not object", `{"version":"1","triggerSource":"PreSignUp_SignUp","userPoolId":"p","callerContext":"c","request":{}}`, "callerContext"},
		{"duplicate client id", `{"version":"1","triggerSource":"PreSignUp_SignUp","userPoolId":"p","callerContext":{"clientId":"a","clientId":"b"},"request":{}}`, "duplicate"},
		{"request missing", `{"version":"1","triggerSource":"PreSignUp_SignUp","userPoolId":"p","callerContext":{}}`, `"request" is not an object`},
		{"request array", `{"version":"1","triggerSource":"PreSignUp_SignUp","userPoolId":"p","callerContext":{},"request":[]}`, `"request" is not an object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEnvelope([]byte(tt.in))
			if err == nil {
				t.Fatalf("ParseEnvelope(%s) = nil error, want %q", tt.in, tt.want)
			}
			if !errors.Is(err, ErrMalformedEvent) {
				t.Errorf("error %v does not wrap ErrMalformedEvent", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestStrings(t *testing.T) {
	names := []string{"email", "email_verified", "sub"}
	dst := make([]string, 3)
	if err := Strings([]byte(`{"Email":"x","email":"a@b.co","email_verified":true,"sub":null,"n":5}`), names, dst); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a@b.co", "true", ""}, dst); diff != "" {
		t.Errorf("Strings (-want +got):\n%s", diff)
	}
	for _, bad := range []string{`{"email":"a","email":"b"}`, `{"sub":5}`, `{"sub":{}}`, `[]`, `{`} {
		if err := Strings([]byte(bad), names, dst); err == nil {
			t.Errorf("Strings(%s) = nil error", bad)
		}
	}
	for _, empty := range []string{``, `null`} {
		if err := Strings([]byte(empty), names, dst); err != nil || dst[0] != "" {
			t.Errorf("Strings(%q) = %v, %q; want empty", empty, err, dst)
		}
	}
}

// FuzzEnvelope: any input either fails cleanly or is valid JSON whose
// header encoding/json reads identically, and splicing a response keeps it
// valid JSON.
func FuzzEnvelope(f *testing.F) {
	for _, data := range readEvents(f) {
		f.Add(data)
	}
	f.Add([]byte(`{"version":"1","triggerSource":"PreSignUp_SignUp","userPoolId":"p","callerContext":{},"request":{},"TriggerSource":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := ParseEnvelope(data)
		if err != nil {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON: %q", data)
		}
		var h Header
		if err := json.Unmarshal(data, &h); err != nil {
			t.Fatalf("encoding/json refuses what the envelope accepted: %v", err)
		}
		if diff := cmp.Diff(h, ev.Header); diff != "" {
			t.Fatalf("parsers disagree (-encoding/json +envelope):\n%s", diff)
		}
		if out := ev.WithResponse([]byte(`{"a":1}`)); !json.Valid(out) {
			t.Fatalf("spliced event is not JSON: %q", out)
		}
	})
}
