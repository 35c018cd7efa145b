package jsonscan

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var stringCases = []struct {
	name    string
	in      string
	want    string
	wantErr bool
}{
	{"empty", `""`, "", false},
	{"plain", `"CONFIRMED"`, "CONFIRMED", false},
	{"whitespace around", " \"a\"\n", "a", false},
	{"non-ASCII raw", `"García López"`, "García López", false},
	{"short escapes", `"\"\\\/\b\f\n\r\t"`, "\"\\/\b\f\n\r\t", false},
	{"unicode escape", `"\u0074ype"`, "type", false},
	{"uppercase hex", `"\u00E9"`, "é", false},
	{"NUL escape", `"\u0000"`, "\x00", false},
	{"surrogate pair", `"\uD83D\uDE00"`, "\U0001F600", false},
	{"lone high surrogate", `"\uD800x"`, "\ufffdx", false},
	{"lone low surrogate", `"\uDC00"`, "\ufffd", false},
	{"reversed pair", `"\uDE00\uD83D"`, "\ufffd\ufffd", false},
	{"high then non-surrogate escape", `"\uD800\u0041"`, "\ufffdA", false},
	{"high then high then low", `"\uD800\uD83D\uDE00"`, "\ufffd\U0001F600", false},
	{"invalid UTF-8 byte", "\"a\xffb\"", "a\ufffdb", false},
	{"truncated UTF-8", "\"\xe2\x82\"", "\ufffd\ufffd", false},
	{"UTF-8 encoded surrogate", "\"\xed\xa0\x80\"", "\ufffd\ufffd\ufffd", false},
	{"overlong UTF-8", "\"\xc0\xaf\"", "\ufffd\ufffd", false},
	{"escape and invalid UTF-8", "\"\\n\xff\"", "\n\ufffd", false},
	{"JSON in a string", `"[{\"userId\":\"1\"}]"`, `[{"userId":"1"}]`, false},
	{"long plain", `"arn:aws:iam::123456789012:role/cognito-tenant-admins"`, "arn:aws:iam::123456789012:role/cognito-tenant-admins", false},
	{"null", `null`, "", true},
	{"number", `1`, "", true},
	{"empty input", ``, "", true},
	{"unterminated", `"abc`, "", true},
	{"trailing garbage", `"a"b`, "", true},
	{"two strings", `"a" "b"`, "", true},
	{"raw control", "\"a\x1fb\"", "", true},
	{"bad escape", `"\a"`, "", true},
	{"single quotes", `'a'`, "", true},
}

func TestString(t *testing.T) {
	for _, tc := range stringCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := String([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("String(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			}
			var se *SyntaxError
			if err != nil && !errors.As(err, &se) {
				t.Errorf("String(%q) error = %T, want *SyntaxError", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
			}
			// The table must agree with encoding/json where it has an opinion.
			if !tc.wantErr {
				var ref string
				if err := json.Unmarshal([]byte(tc.in), &ref); err != nil || ref != tc.want {
					t.Errorf("table disagrees with encoding/json: %q, %v", ref, err)
				}
			}
		})
	}
}

// TestStringBytesSharing pins when StringBytes may return a subslice: only
// when decoding changes nothing.
func TestStringBytesSharing(t *testing.T) {
	tests := []struct {
		in         string
		wantShared bool
	}{
		{`"CONFIRMED"`, true},
		{`"García López, a long enough value"`, true},
		{`""`, true},
		{`"\u0074ype"`, false},
		{`"a\/b"`, false},
		{"\"\xff\"", false},
		{"\"0123456789\xff\"", false},
	}
	for _, tc := range tests {
		in := []byte(tc.in)
		got, err := StringBytes(in)
		if err != nil {
			t.Fatalf("StringBytes(%q): %v", tc.in, err)
		}
		shared := len(got) > 0 && &got[0] == &in[1] || len(got) == 0 && tc.wantShared
		if shared != tc.wantShared {
			t.Errorf("StringBytes(%q) shares input = %v, want %v", tc.in, shared, tc.wantShared)
		}
		want, _ := String(in)
		if string(got) != want {
			t.Errorf("StringBytes(%q) = %q, String = %q", tc.in, got, want)
		}
	}
}

func TestBool(t *testing.T) {
	tests := []struct {
		in      string
		want    bool
		wantErr bool
	}{
		{`true`, true, false},
		{`false`, false, false},
		{" true\n", true, false},
		{`"true"`, false, true},
		{`True`, false, true},
		{`tru`, false, true},
		{`truex`, false, true},
		{`true false`, false, true},
		{`null`, false, true},
		{`1`, false, true},
		{``, false, true},
	}
	for _, tc := range tests {
		got, err := Bool([]byte(tc.in))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("Bool(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		var se *SyntaxError
		if err != nil && !errors.As(err, &se) {
			t.Errorf("Bool(%q) error = %T, want *SyntaxError", tc.in, err)
		}
	}
}

func TestIsNull(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{`null`, true},
		{" null \n", true},
		{`nul`, false},
		{`nullx`, false},
		{`null null`, false},
		{`"null"`, false},
		{`Null`, false},
		{``, false},
	}
	for _, tc := range tests {
		if got := IsNull([]byte(tc.in)); got != tc.want {
			t.Errorf("IsNull(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestStringWrongKindError(t *testing.T) {
	_, err := String([]byte(`{"a":"b"}`))
	want := &SyntaxError{Offset: 0, Msg: "expected string, found object"}
	if diff := cmp.Diff(want, err); diff != "" {
		t.Errorf("String error mismatch (-want +got):\n%s", diff)
	}
	// Malformed input reports the syntax problem, not the kind.
	_, err = String([]byte(`{"a":}`))
	want = &SyntaxError{Offset: 5, Msg: "invalid character '}' looking for beginning of value"}
	if diff := cmp.Diff(want, err); diff != "" {
		t.Errorf("String error mismatch (-want +got):\n%s", diff)
	}
}
