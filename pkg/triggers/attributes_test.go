package triggers

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAttributesNil(t *testing.T) {
	var a Attributes
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

	var claims Claims
	claims.Set("tenant_id", "acme")
	if diff := cmp.Diff(Claims{"tenant_id": "acme"}, claims); diff != "" {
		t.Errorf("Claims.Set (-want +got):\n%s", diff)
	}
}

func TestAttributesUnmarshal(t *testing.T) {
	tests := []struct {
		in      string
		want    Attributes
		wantErr bool
	}{
		{in: `null`, want: nil},
		{in: `{}`, want: Attributes{}},
		{in: `{"a":"x","b":true,"c":false,"d":1.50,"e":null,"f":{"k": [1, 2]},"g":[],"h":"\u00e9\"q"}`,
			want: Attributes{"a": "x", "b": "true", "c": "false", "d": "1.50", "e": "", "f": `{"k":[1,2]}`, "g": "[]", "h": "é\"q"}},
		{in: `"x"`, wantErr: true},
		{in: `[]`, wantErr: true},
		{in: `true`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := Attributes{"stale": "value"}
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
