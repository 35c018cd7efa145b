package emailgate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// allReasons is the closed set; tests and fuzz targets check that every
// refusal carries one of these.
var allReasons = []Reason{
	ReasonEmpty, ReasonTooLong,
	ReasonNonASCII, ReasonControlChar, ReasonDisplayName, ReasonQuotedLocal,
	ReasonEncodedWord, ReasonComment, ReasonIPLiteral, ReasonBackslash,
	ReasonWhitespace, ReasonAddressList, ReasonSourceRoute,
	ReasonNoAt, ReasonMultipleAt, ReasonBadLocal, ReasonBadDomain,
	ReasonTrailingDot, ReasonSingleLabel, ReasonNumericTLD, ReasonParseMismatch,
	ReasonNotAllowed, ReasonPunycode,
	ReasonBadWildcard, ReasonWildcardTLD,
}

func isKnownReason(r Reason) bool {
	for _, k := range allReasons {
		if r == k {
			return true
		}
	}
	return false
}

func TestReasonsAreStableSnakeCase(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	seen := map[Reason]bool{}
	for _, r := range allReasons {
		if !snake.MatchString(string(r)) {
			t.Errorf("reason %q is not snake_case", r)
		}
		if seen[r] {
			t.Errorf("reason %q listed twice", r)
		}
		seen[r] = true
	}
}

// parseCase is one row of testdata/parse-cases.json: an input, and either the
// reason it is refused for or the parts it is accepted with.
type parseCase struct {
	Class  string `json:"class"` // the attack class the row exercises
	Name   string `json:"name"`
	In     string `json:"in"`
	Local  string `json:"local,omitempty"`
	Domain string `json:"domain,omitempty"`
	Reason Reason `json:"reason,omitempty"`
}

func loadJSON[T any](tb testing.TB, name string) []T {
	tb.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	var out []T
	if err := json.Unmarshal(b, &out); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return out
}

// domainOfLen builds a valid domain of exactly n bytes (n >= 5) out of labels
// of at most 63 bytes, ending in ".com".
func domainOfLen(n int) string {
	var labels []string
	rest := n - len(".com")
	for rest > 0 {
		l := min(rest, 63)
		if rest-l == 1 { // a lone byte left would need a label of length 0
			l--
		}
		labels = append(labels, strings.Repeat("d", l))
		rest -= l + 1 // the label and its dot
	}
	return strings.Join(labels, ".") + ".com"
}

// lengthCases are the boundaries of RFC 5321 and RFC 1035, built in code
// because the inputs are long.
func lengthCases() []parseCase {
	local64 := strings.Repeat("l", 64)
	label63 := strings.Repeat("x", 63)
	// 64 + 1 + 189 = 254 bytes; 64 + 1 + 188 = 253.
	d189, d188, d190 := domainOfLen(189), domainOfLen(188), domainOfLen(190)
	return []parseCase{
		{Class: "length", Name: "local part of 64", In: local64 + "@example.com", Local: local64, Domain: "example.com"},
		{Class: "length", Name: "local part of 65", In: local64 + "l@example.com", Reason: ReasonTooLong},
		{Class: "length", Name: "label of 63", In: "a@" + label63 + ".com", Local: "a", Domain: label63 + ".com"},
		{Class: "length", Name: "label of 64", In: "a@" + label63 + "x.com", Reason: ReasonTooLong},
		{Class: "length", Name: "TLD of 64", In: "a@example." + label63 + "x", Reason: ReasonTooLong},
		{Class: "length", Name: "address of 253", In: local64 + "@" + d188, Local: local64, Domain: d188},
		{Class: "length", Name: "address of 254", In: local64 + "@" + d189, Local: local64, Domain: d189},
		{Class: "length", Name: "address of 255", In: local64 + "@" + d190, Reason: ReasonTooLong},
		{Class: "length", Name: "address of 255 with short local part", In: "a@" + domainOfLen(253), Reason: ReasonTooLong},
		{Class: "A14 resource use", Name: "one megabyte", In: strings.Repeat("a", 1<<20) + "@example.com", Reason: ReasonTooLong},
		// JSON cannot carry invalid UTF-8, so these live here.
		{Class: "A3 unicode", Name: "invalid UTF-8 byte", In: "alice@exampl\xff.com", Reason: ReasonNonASCII},
		{Class: "A3 unicode", Name: "overlong encoding of @", In: "alice\xc0\x80evil.io@example.com", Reason: ReasonNonASCII},
		{Class: "A3 unicode", Name: "lone continuation byte", In: "\x80alice@example.com", Reason: ReasonNonASCII},
	}
}

func allParseCases(tb testing.TB) []parseCase {
	return append(loadJSON[parseCase](tb, "parse-cases.json"), lengthCases()...)
}

func TestParse(t *testing.T) {
	for _, tc := range allParseCases(t) {
		t.Run(tc.Class+"/"+tc.Name, func(t *testing.T) {
			got, err := Parse(tc.In)
			if tc.Reason != "" {
				if got != (Address{}) {
					t.Errorf("Parse(%q) = %+v, want zero Address with an error", tc.In, got)
				}
				if r := ReasonOf(err); r != tc.Reason {
					t.Errorf("Parse(%q) reason = %q (err %v), want %q", tc.In, r, err, tc.Reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q) error = %v, want accepted", tc.In, err)
			}
			want := Address{Raw: tc.In, Local: tc.Local, Domain: tc.Domain}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tc.In, diff)
			}
		})
	}
}

func TestLengthFixturesHaveTheirLengths(t *testing.T) {
	for _, n := range []int{188, 189, 190, 253, 254} {
		d := domainOfLen(n)
		want := Reason("")
		if n > 253 {
			want = ReasonTooLong
		}
		if len(d) != n || checkDomain(d) != want {
			t.Errorf("domainOfLen(%d) = %d bytes, checkDomain %q, want %q", n, len(d), checkDomain(d), want)
		}
	}
}

// TestParseRefusesWhatNetMailReadsDifferently drives the agreement check
// through the injected seam: no input reaches it through net/mail while the
// strict grammar is a subset of RFC 5322.
func TestParseRefusesWhatNetMailReadsDifferently(t *testing.T) {
	_, err := parse("alice@example.com", func(string) bool { return false })
	if r := ReasonOf(err); r != ReasonParseMismatch {
		t.Errorf("reason = %q, want %q", r, ReasonParseMismatch)
	}
}

func TestNetMailAgrees(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"alice@example.com", true},
		{"o'brien+tag@Mail.Example.com", true},
		{"Alice <alice@example.com>", false},         // parsed, but Address differs from input
		{"\"alice@example.com\"@evil.io", false},     // parsed as alice@example.com@evil.io
		{"alice@example.com(comment)", false},        // comment dropped
		{"alice@example.com@evil.io", false},         // error
		{"=?utf-8?q?Alice?= <a@example.com>", false}, // name decoded
	}
	for _, tc := range tests {
		if got := netMailAgrees(tc.in); got != tc.want {
			t.Errorf("netMailAgrees(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	_, err := Parse("alice@exampl\u0435.com")
	if got, want := err.Error(), "emailgate: non_ascii"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if strings.Contains(err.Error(), "alice") {
		t.Errorf("Error() %q quotes the address; it must not (PII in logs)", err)
	}
}

func TestReasonOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Reason
	}{
		{"nil", nil, ""},
		{"foreign error", errors.New("boom"), ""},
		{"direct", &Error{Reason: ReasonNoAt}, ReasonNoAt},
		{"wrapped", fmt.Errorf("sign-up: %w", &Error{Reason: ReasonPunycode}), ReasonPunycode},
	}
	for _, tc := range tests {
		if got := ReasonOf(tc.err); got != tc.want {
			t.Errorf("%s: ReasonOf = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestLowerASCII(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"example.com", "example.com"},
		{"EXAMPLE.COM", "example.com"},
		{"mail.Example.com", "mail.example.com"},
		{"AZaz09-.@[`", "azaz09-.@[`"}, // '@' and '[' sit next to 'A' and 'Z'
	}
	for _, tc := range tests {
		if got := lowerASCII(tc.in); got != tc.want {
			t.Errorf("lowerASCII(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = lowerASCII("mail.example.com") }); n != 0 {
		t.Errorf("lowerASCII of a lower-case string allocates %v times, want 0", n)
	}
}

// TestClassesCoverEveryByte pins the pre-scan table: exactly the two
// alphabets and '@' are unclassified.
func TestClassesCoverEveryByte(t *testing.T) {
	var free []byte
	for c := 0; c < 256; c++ {
		if classes[c] == 0 {
			free = append(free, byte(c))
		}
	}
	want := "'+-.0123456789@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
	if diff := cmp.Diff(want, string(free)); diff != "" {
		t.Errorf("unclassified bytes mismatch (-want +got):\n%s", diff)
	}
}
