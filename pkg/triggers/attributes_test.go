package triggers_test

import (
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/pkg/triggers"
)

func TestAttributesNil(t *testing.T) {
	var a triggers.Attributes
	if got := a.Get("email"); got != "" {
		t.Errorf("nil Get = %q, want empty", got)
	}
	if _, ok := a.Lookup("email"); ok {
		t.Error("nil Lookup found a value")
	}
	if a.Clone() != nil {
		t.Error("nil Clone is not nil")
	}
	a.Set("email", "jane.doe@example.com")
	if got, ok := a.Lookup("email"); !ok || got != "jane.doe@example.com" {
		t.Errorf("after Set: Lookup = %q, %v", got, ok)
	}
	c := a.Clone()
	c.Set("email", "other@example.com")
	if a.Get("email") != "jane.doe@example.com" {
		t.Error("Clone shares storage")
	}

	var claims triggers.Claims
	claims.Set("tenant_id", "acme")
	if diff := cmp.Diff(triggers.Claims{"tenant_id": "acme"}, claims); diff != "" {
		t.Errorf("Claims.Set (-want +got):\n%s", diff)
	}
}

// TestAttributesLenientValues: a value of another type than string is kept
// as its compact JSON text instead of failing the decode (and with it the
// user's sign-up or message); null reads as "" and a null map as nil;
// anything but an object or null is refused, and so is a duplicate name.
func TestAttributesLenientValues(t *testing.T) {
	tests := []struct {
		in      string
		want    triggers.Attributes
		wantErr bool
	}{
		{in: `null`, want: nil},
		{in: `{}`, want: triggers.Attributes{}},
		{in: `{"a":"x","b":true,"c":false,"d":1.50,"e":null,"f":{"k": [1, 2]},"g":[],"h":"\u00e9\"q"}`,
			want: triggers.Attributes{"a": "x", "b": "true", "c": "false", "d": "1.50", "e": "", "f": `{"k":[1,2]}`, "g": "[]", "h": "é\"q"}},
		{in: `"x"`, wantErr: true},
		{in: `[]`, wantErr: true},
		{in: `true`, wantErr: true},
		{in: `5`, wantErr: true},
		{in: `{"a":"x","a":"y"}`, wantErr: true},
		{in: `{"a":"x","\u0061":"y"}`, wantErr: true},
		{in: `{"a":"x"`, wantErr: true},
		{in: `{"a":}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := triggers.Attributes{"stale": "value"}
			err := json.Unmarshal([]byte(tt.in), &got)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("decoded %v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestAttributesInEvents: the leniency holds inside every event that
// carries attributes, and the values go back as strings.
func TestAttributesInEvents(t *testing.T) {
	data := mutate(t, post, `"email_verified": "true"`, `"email_verified": true, "custom:n": 7, "custom:o": {"b": [true, null]}, "custom:z": null`)
	ev := decode[triggers.PostAuth](t, data)
	want := map[string]string{"email_verified": "true", "custom:n": "7", "custom:o": `{"b":[true,null]}`, "custom:z": ""}
	for k, v := range want {
		if got, ok := ev.Request.UserAttributes.Lookup(k); !ok || got != v {
			t.Errorf("%s = %q (present %v), want %q", k, got, ok, v)
		}
	}
	again := decode[triggers.PostAuth](t, encode(t, ev))
	if diff := cmp.Diff(ev.Request.UserAttributes, again.Request.UserAttributes); diff != "" {
		t.Errorf("attributes changed on a second round trip (-first +second):\n%s", diff)
	}
}
