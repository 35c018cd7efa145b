package jsonscan

import (
	"encoding/json"
	"testing"
)

var appendCases = []struct {
	name string
	in   string
	want string
}{
	{"empty", "", `""`},
	{"plain", "CONFIRMED", `"CONFIRMED"`},
	{"quote and backslash", `a"b\c`, `"a\"b\\c"`},
	{"short escapes", "\b\f\n\r\t", `"\b\f\n\r\t"`},
	{"other controls", "\x00\x01\x1f", `"\u0000\u0001\u001f"`},
	{"DEL is raw", "\x7f", "\"\x7f\""},
	{"slash is raw", "a/b", `"a/b"`},
	{"HTML", "<script>&</script>", `"\u003cscript\u003e\u0026\u003c/script\u003e"`},
	{"non-ASCII is raw", "García 😀", `"García 😀"`},
	{"line separators", "a\u2028b\u2029c", `"a\u2028b\u2029c"`},
	{"invalid UTF-8", "a\xffb\xe2\x82", `"a\ufffdb\ufffd\ufffd"`},
	{"encoded surrogate", "\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`},
	{"placeholder stays", "{####}", `"{####}"`},
}

func TestAppendString(t *testing.T) {
	for _, tc := range appendCases {
		t.Run(tc.name, func(t *testing.T) {
			got := string(AppendString([]byte("x:"), tc.in))
			if got != "x:"+tc.want {
				t.Errorf("AppendString(%q) = %s, want x:%s", tc.in, got, tc.want)
			}
			ref, err := json.Marshal(tc.in)
			if err != nil || string(ref) != tc.want {
				t.Errorf("table disagrees with json.Marshal: %s, %v", ref, err)
			}
		})
	}
}
