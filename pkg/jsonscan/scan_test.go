package jsonscan

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// validCases is shared by TestValid and the fuzz seeds. Every entry is also
// checked against encoding/json, so the table cannot drift from the
// reference it claims to follow.
var validCases = []struct {
	name string
	in   string
	want bool
}{
	{"empty", ``, false},
	{"whitespace only", " \t\r\n", false},
	{"null", `null`, true},
	{"true", `true`, true},
	{"false", `false`, true},
	{"surrounding whitespace", " \t\n\r{} \n", true},
	{"empty object", `{}`, true},
	{"empty array", `[]`, true},
	{"empty string", `""`, true},
	{"nested", `{"a":[1,{"b":null},"c",[true,false]],"d":{}}`, true},
	{"spaces everywhere", `{ "a" : [ 1 , 2 ] , "b" : { } }`, true},
	{"zero", `0`, true},
	{"negative zero", `-0`, true},
	{"negative zero fraction", `-0.0`, true},
	{"exponent", `1e5`, true},
	{"exponent upper signed", `1.5E-3`, true},
	{"exponent plus", `2e+10`, true},
	{"big number", `123456789012345678901234567890`, true},
	{"leading zero", `01`, false},
	{"negative leading zero", `-01`, false},
	{"trailing dot", `1.`, false},
	{"leading dot", `.5`, false},
	{"bare minus", `-`, false},
	{"minus letter", `-a`, false},
	{"plus sign", `+1`, false},
	{"exponent without digits", `1e`, false},
	{"exponent sign without digits", `1e+`, false},
	{"dot exponent", `1.e5`, false},
	{"hex", `0x10`, false},
	{"NaN", `NaN`, false},
	{"Infinity", `-Infinity`, false},
	{"escapes", `"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"`, true},
	{"lone surrogate escape", `"\uD800"`, true},
	{"invalid UTF-8 raw", "\"\xff\xfe\"", true},
	{"DEL raw", "\"\x7f\"", true},
	{"raw tab in string", "\"\t\"", false},
	{"raw newline in string", "\"a\nb\"", false},
	{"raw NUL in string", "\"\x00\"", false},
	{"bad escape", `"\x41"`, false},
	{"single quote escape", `"\'"`, false},
	{"short unicode escape", `"\u12"`, false},
	{"bad hex in unicode escape", `"\u12G4"`, false},
	{"unterminated string", `"abc`, false},
	{"unterminated escape", `"abc\`, false},
	{"single quotes", `'a'`, false},
	{"truncated object", `{"a":1`, false},
	{"truncated after key", `{"a"`, false},
	{"truncated after colon", `{"a":`, false},
	{"truncated array", `[1,2`, false},
	{"truncated literal", `tru`, false},
	{"misspelled literal", `nul1`, false},
	{"uppercase literal", `True`, false},
	{"trailing comma object", `{"a":1,}`, false},
	{"trailing comma array", `[1,2,]`, false},
	{"leading comma", `[,1]`, false},
	{"double comma", `[1,,2]`, false},
	{"missing comma", `[1 2]`, false},
	{"missing colon", `{"a" 1}`, false},
	{"non-string key", `{1:2}`, false},
	{"unquoted key", `{a:1}`, false},
	{"mismatched close", `[}`, false},
	{"mismatched close object", `{"a":1]`, false},
	{"extra close", `{}}`, false},
	{"trailing garbage", `{} x`, false},
	{"two values", `{}{}`, false},
	{"two numbers", `1 2`, false},
	{"comment", `{} // c`, false},
	{"byte order mark", "\ufeff{}", false},
	{"vertical tab", "\v{}", false},
	{"non-breaking space", "\u00a0{}", false},
	{"NUL after value", "{}\x00", false},
}

func TestValid(t *testing.T) {
	for _, tc := range validCases {
		t.Run(tc.name, func(t *testing.T) {
			if ref := json.Valid([]byte(tc.in)); ref != tc.want {
				t.Fatalf("table is wrong: json.Valid(%q) = %v", tc.in, ref)
			}
			if got := Valid([]byte(tc.in)); got != tc.want {
				t.Errorf("Valid(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestValidFixtures(t *testing.T) {
	for name, data := range fixtures(t) {
		if !Valid(data) {
			t.Errorf("Valid(%s) = false, want true", name)
		}
	}
}

func TestDepth(t *testing.T) {
	nest := func(open, inner, close string, n int) string {
		return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
	}
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"arrays at limit", nest("[", "", "]", maxDepth), true},
		{"arrays over limit", nest("[", "", "]", maxDepth+1), false},
		{"objects at limit", nest(`{"a":`, "1", "}", maxDepth), true},
		{"objects over limit", nest(`{"a":`, "1", "}", maxDepth+1), false},
		{"mixed at limit", nest(`{"a":[`, "", "]}", maxDepth/2), true},
		{"mixed over limit", "[" + nest(`{"a":[`, "", "]}", maxDepth/2) + "]", false},
		{"siblings do not add up", "[" + nest("[", "", "]", maxDepth-1) + "," + nest("[", "", "]", maxDepth-1) + "]", true},
		// Far past any recursion budget: must fail cleanly, not overflow.
		{"million open brackets", strings.Repeat("[", 1_000_000), false},
		{"million closed", nest("[", "", "]", 1_000_000), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Valid([]byte(tc.in)); got != tc.want {
				t.Errorf("Valid(depth %d) = %v, want %v", nesting([]byte(tc.in)), got, tc.want)
			}
		})
	}
}

func TestDepthError(t *testing.T) {
	in := []byte(`{"a":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}`)
	err := Object(in, func(Member) error {
		t.Fatal("fn called for input over the depth limit")
		return nil
	})
	want := &SyntaxError{Offset: 5 + maxDepth - 1, Msg: "exceeded max depth"}
	if diff := cmp.Diff(want, err); diff != "" {
		t.Errorf("Object error mismatch (-want +got):\n%s", diff)
	}
}

// TestSyntaxError pins offsets and messages: callers log them, and the
// offset must point at the offending byte in the slice they passed.
func TestSyntaxError(t *testing.T) {
	tests := []struct {
		in   string
		want SyntaxError
	}{
		{``, SyntaxError{0, "unexpected end of JSON input"}},
		{`   `, SyntaxError{3, "unexpected end of JSON input"}},
		{`{"a":1`, SyntaxError{6, "unexpected end of JSON input"}},
		{`{"a":1,}`, SyntaxError{7, "invalid character '}' looking for beginning of object key string"}},
		{`{"a" 1}`, SyntaxError{5, "invalid character '1' after object key"}},
		{`{"a":1 "b":2}`, SyntaxError{7, `invalid character '"' after object key:value pair`}},
		{`{"a":[1 2]}`, SyntaxError{8, "invalid character '2' after array element"}},
		{`{"a":01}`, SyntaxError{6, "invalid character '1' after object key:value pair"}},
		{`{"a":1.}`, SyntaxError{7, "invalid character '}' after decimal point in numeric literal"}},
		{`{"a":1e}`, SyntaxError{7, "invalid character '}' in exponent of numeric literal"}},
		{`{"a":-x}`, SyntaxError{6, "invalid character 'x' in numeric literal"}},
		{`{"a":.5}`, SyntaxError{5, "invalid character '.' looking for beginning of value"}},
		{`{"a":"\q"}`, SyntaxError{7, "invalid character 'q' in string escape code"}},
		{`{"a":"\u00zz"}`, SyntaxError{10, `invalid character 'z' in \u hexadecimal character escape`}},
		{"{\"a\":\"x\ty\"}", SyntaxError{7, `invalid character '\t' in string literal`}},
		{`{"a":trUe}`, SyntaxError{7, "invalid character 'U' in literal true (expecting 'u')"}},
		{`{"a":1} x`, SyntaxError{8, "invalid character 'x' after top-level value"}},
		{"{\"a\":\xff}", SyntaxError{5, `invalid character '\xff' looking for beginning of value`}},
		{`[1]`, SyntaxError{0, "expected object, found array"}},
		{` "s"`, SyntaxError{1, "expected object, found string"}},
		{`[1,]`, SyntaxError{3, "invalid character ']' looking for beginning of value"}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			err := Object([]byte(tc.in), func(Member) error {
				t.Fatal("fn called for malformed input")
				return nil
			})
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Object(%q) error = %v, want *SyntaxError", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, *se); diff != "" {
				t.Errorf("Object(%q) error mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestSyntaxErrorString(t *testing.T) {
	err := &SyntaxError{Offset: 12, Msg: "unexpected end of JSON input"}
	if got, want := err.Error(), "jsonscan: unexpected end of JSON input at offset 12"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestKindOf(t *testing.T) {
	tests := []struct {
		in   string
		want Kind
	}{
		{``, KindInvalid},
		{`  `, KindInvalid},
		{`null`, KindNull},
		{`true`, KindBool},
		{`false`, KindBool},
		{`-1`, KindNumber},
		{`0.5`, KindNumber},
		{`"s"`, KindString},
		{` [1]`, KindArray},
		{"\n{}", KindObject},
		{`}`, KindInvalid},
		{`x`, KindInvalid},
	}
	for _, tc := range tests {
		if got := KindOf([]byte(tc.in)); got != tc.want {
			t.Errorf("KindOf(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if got, want := Kind(200).String(), "Kind(200)"; got != want {
		t.Errorf("Kind(200).String() = %q, want %q", got, want)
	}
}
