package emailgate

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// matchCase is one row of testdata/match-cases.json: an allowlist, an
// address, and the reason the pair is refused for ("" when admitted). The
// table follows the "deny variants, allow near misses" shape: every refused
// look-alike sits next to a genuine address that must still pass.
type matchCase struct {
	Class  string `json:"class"`
	Name   string `json:"name"`
	Allow  string `json:"allow"`
	In     string `json:"in"`
	Reason Reason `json:"reason,omitempty"`
}

// gate is what the pre sign-up trigger does: Parse, then Check the domain.
func gate(a Allowlist, s string) error {
	addr, err := Parse(s)
	if err != nil {
		return err
	}
	return a.Check(addr.Domain)
}

func TestGate(t *testing.T) {
	for _, tc := range loadJSON[matchCase](t, "match-cases.json") {
		t.Run(tc.Class+"/"+tc.Name, func(t *testing.T) {
			a, err := ParseAllowlist(tc.Allow)
			if err != nil {
				t.Fatalf("ParseAllowlist(%q): %v", tc.Allow, err)
			}
			err = gate(a, tc.In)
			if got := ReasonOf(err); got != tc.Reason {
				t.Errorf("gate(%q, %q) reason = %q (err %v), want %q", tc.Allow, tc.In, got, err, tc.Reason)
			}
			if err != nil && ReasonOf(err) == "" {
				t.Errorf("error %v is not an *Error", err)
			}
			if addr, perr := Parse(tc.In); perr == nil {
				if got, want := a.Match(addr.Domain), tc.Reason == ""; got != want {
					t.Errorf("Match(%q) = %v, want %v", addr.Domain, got, want)
				}
			}
		})
	}
}

// TestMatchRefusesUnparsedDomains checks that Match does not rely on its
// caller having used Parse: strings Parse would never produce as a Domain
// are refused even where a lenient suffix test would admit them.
func TestMatchRefusesUnparsedDomains(t *testing.T) {
	a, err := ParseAllowlist("example.com, *.example.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{
		"",
		".example.com",            // empty leftmost label under the wildcard
		"..example.com",           // ditto
		"a..example.com",          // empty inner label
		"EXAMPLE.com",             // not lower-cased
		"Sub.example.com",         // ditto, wildcard path
		"example.com.",            // trailing dot
		"sub.example.com.",        // ditto
		"ex ample.com",            // whitespace
		"\u212Aelvin.example.com", // non-ASCII
		"a@sub.example.com",       // an address, not a domain
		"-x.example.com",          // hyphen at label start
		"com",                     // single label
	} {
		if a.Match(d) {
			t.Errorf("Match(%q) = true, want false", d)
		}
		if r := ReasonOf(a.Check(d)); r != ReasonBadDomain {
			t.Errorf("Check(%q) reason = %q, want %q", d, r, ReasonBadDomain)
		}
	}
	if err := a.Check("sub.example.com"); err != nil {
		t.Errorf("Check(sub.example.com) = %v, want nil", err)
	}
}

func TestParseAllowlist(t *testing.T) {
	long253, long254 := domainOfLen(253), domainOfLen(254)
	label63 := strings.Repeat("x", 63)
	tests := []struct {
		name      string
		list      string
		wantExact []string
		wantWild  []string
		wantErr   string // the whole error text; "" for success
	}{
		{name: "empty string", list: ""},
		{name: "only separators and blanks", list: " , ,\t,\n"},
		{name: "one exact entry", list: "example.com", wantExact: []string{"example.com"}},
		{name: "blanks and case are normalised in configuration",
			list:      " Example.COM ,\t*.Example.ORG ,\r\n",
			wantExact: []string{"example.com"}, wantWild: []string{"example.org"}},
		{name: "duplicates collapse", list: "example.com,EXAMPLE.com", wantExact: []string{"example.com"}},
		{name: "punycode entry", list: "xn--exampl-8of.com", wantExact: []string{"xn--exampl-8of.com"}},
		{name: "domain of 253 bytes", list: long253, wantExact: []string{long253}},
		{name: "label of 63 bytes", list: "*." + label63 + ".com", wantWild: []string{label63 + ".com"}},

		{name: "wildcard with nothing after it", list: "*.", wantErr: `allowlist entry "*.": emailgate: bad_wildcard`},
		{name: "bare star", list: "*", wantErr: `allowlist entry "*": emailgate: bad_wildcard`},
		{name: "double star", list: "**.example.com", wantErr: `allowlist entry "**.example.com": emailgate: bad_wildcard`},
		{name: "two wildcard labels", list: "*.*.example.com", wantErr: `allowlist entry "*.*.example.com": emailgate: bad_wildcard`},
		{name: "inner wildcard", list: "mail.*.example.com", wantErr: `allowlist entry "mail.*.example.com": emailgate: bad_wildcard`},
		{name: "star without dot", list: "*example.com", wantErr: `allowlist entry "*example.com": emailgate: bad_wildcard`},
		{name: "wildcard over a bare TLD", list: "*.com", wantErr: `allowlist entry "*.com": emailgate: wildcard_tld`},
		{name: "wildcard over a numeric TLD", list: "*.123", wantErr: `allowlist entry "*.123": emailgate: wildcard_tld`},
		{name: "bare TLD", list: "com", wantErr: `allowlist entry "com": emailgate: single_label`},
		{name: "inner space", list: "exa mple.com", wantErr: `allowlist entry "exa mple.com": emailgate: whitespace`},
		{name: "double dot", list: "example..com", wantErr: `allowlist entry "example..com": emailgate: bad_domain`},
		{name: "leading dot", list: ".example.com", wantErr: `allowlist entry ".example.com": emailgate: bad_domain`},
		{name: "trailing dot", list: "example.com.", wantErr: `allowlist entry "example.com.": emailgate: trailing_dot`},
		{name: "wildcard with trailing dot", list: "*.example.com.", wantErr: `allowlist entry "*.example.com.": emailgate: trailing_dot`},
		{name: "Unicode homograph must be spelled in punycode", list: "exampl\u0435.com", wantErr: `allowlist entry "exampl\u0435.com": emailgate: non_ascii`},
		{name: "an address instead of a domain", list: "alice@example.com", wantErr: `allowlist entry "alice@example.com": emailgate: bad_domain`},
		{name: "IPv4 address", list: "127.0.0.1", wantErr: `allowlist entry "127.0.0.1": emailgate: numeric_tld`},
		{name: "IP literal", list: "[127.0.0.1]", wantErr: `allowlist entry "[127.0.0.1]": emailgate: ip_literal`},
		{name: "domain of 254 bytes", list: long254, wantErr: `allowlist entry "` + long254 + `": emailgate: too_long`},
		{name: "label of 64 bytes", list: label63 + "x.com", wantErr: `allowlist entry "` + label63 + `x.com": emailgate: too_long`},
		{name: "every bad entry is reported, good ones are not",
			list:    "example.com, *.com, ok.example.org, example.com.",
			wantErr: "allowlist entry \"*.com\": emailgate: wildcard_tld\nallowlist entry \"example.com.\": emailgate: trailing_dot"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParseAllowlist(tc.list)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseAllowlist(%q) error = nil, want %q", tc.list, tc.wantErr)
				}
				if diff := cmp.Diff(tc.wantErr, err.Error()); diff != "" {
					t.Errorf("error text mismatch (-want +got):\n%s", diff)
				}
				if ReasonOf(err) == "" {
					t.Errorf("error %v carries no Reason", err)
				}
				if !a.Empty() {
					t.Errorf("allowlist returned with an error is not empty")
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAllowlist(%q) error = %v", tc.list, err)
			}
			if diff := cmp.Diff(keys(tc.wantExact), a.exact); diff != "" {
				t.Errorf("exact entries mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(keys(tc.wantWild), a.wild); diff != "" {
				t.Errorf("wildcard entries mismatch (-want +got):\n%s", diff)
			}
			if got, want := a.Empty(), len(tc.wantExact)+len(tc.wantWild) == 0; got != want {
				t.Errorf("Empty() = %v, want %v", got, want)
			}
		})
	}
}

func keys(ss []string) map[string]struct{} {
	m := map[string]struct{}{}
	for _, s := range ss {
		m[s] = struct{}{}
	}
	return m
}

func TestZeroAllowlistAdmitsNothing(t *testing.T) {
	var a Allowlist
	if !a.Empty() {
		t.Error("zero Allowlist is not Empty")
	}
	if a.Match("example.com") {
		t.Error("zero Allowlist admits example.com")
	}
	if r := ReasonOf(a.Check("example.com")); r != ReasonNotAllowed {
		t.Errorf("Check reason = %q, want %q", r, ReasonNotAllowed)
	}
}

func TestCandidates(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a.b.example.com", []string{"a.b.example.com", "b.example.com", "example.com"}},
		{"example.com", []string{"example.com"}},
		{"example.co.uk", []string{"example.co.uk", "co.uk"}},
		{"com", nil},              // a bare TLD has no candidates
		{"", nil},                 // not a domain
		{"Example.com", nil},      // not lower-cased by Parse
		{"example.com.", nil},     // trailing dot
		{".example.com", nil},     // empty label
		{"exampl\u0435.com", nil}, // non-ASCII
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, Candidates(tc.in)); diff != "" {
			t.Errorf("Candidates(%q) mismatch (-want +got):\n%s", tc.in, diff)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = Candidates("a.b.example.com") }); n > 1 {
		t.Errorf("Candidates allocates %v times, want at most 1", n)
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	a, err := ParseAllowlist("example.org, *.example.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"example.org", "a.b.example.com", "evil.io"} {
		if n := testing.AllocsPerRun(100, func() { _ = a.Match(d) }); n != 0 {
			t.Errorf("Match(%q) allocates %v times, want 0", d, n)
		}
	}
}
