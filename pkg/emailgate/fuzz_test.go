package emailgate

import (
	"net/mail"
	"strings"
	"testing"
)

// FuzzParse checks the invariants of an accepted address, and that every
// refusal carries a Reason of the closed set. Seeds are the whole attack table.
//
//	go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 20s ./pkg/emailgate/
func FuzzParse(f *testing.F) {
	for _, tc := range allParseCases(f) {
		if len(tc.In) <= 4096 { // keep the megabyte case out of the corpus
			f.Add(tc.In)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		addr, err := Parse(s)
		if err != nil {
			r := ReasonOf(err)
			if !isKnownReason(r) {
				t.Fatalf("Parse(%q) error %v has reason %q outside the closed set", s, err, r)
			}
			// The strict grammar must stay a subset of what net/mail accepts.
			// A failure here is not a bypass (the input was refused) but means
			// the two parsers drifted apart and the grammar needs a look.
			if r == ReasonParseMismatch {
				t.Fatalf("Parse(%q): strict grammar accepted what net/mail reads differently", s)
			}
			if addr != (Address{}) {
				t.Fatalf("Parse(%q) refused but returned %+v", s, addr)
			}
			return
		}
		if addr.Raw != s {
			t.Fatalf("Raw = %q, want the input %q", addr.Raw, s)
		}
		if len(s) > 254 {
			t.Fatalf("accepted %d bytes", len(s))
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; c >= 0x80 || c <= ' ' || c == 0x7f {
				t.Fatalf("accepted %q with byte %#x at %d", s, c, i)
			}
		}
		if strings.Count(s, "@") != 1 {
			t.Fatalf("accepted %q with %d '@'", s, strings.Count(s, "@"))
		}
		at := strings.IndexByte(s, '@')
		if addr.Local != s[:at] {
			t.Fatalf("Local = %q, want %q", addr.Local, s[:at])
		}
		if want := strings.ToLower(s[at+1:]); addr.Domain != want { // s is ASCII here
			t.Fatalf("Domain = %q, want %q", addr.Domain, want)
		}
		for i := 0; i < len(addr.Domain); i++ {
			if c := addr.Domain[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
				t.Fatalf("Domain %q has byte %q", addr.Domain, c)
			}
		}
		if m, err := mail.ParseAddress(s); err != nil || m.Address != s || m.Name != "" {
			t.Fatalf("net/mail disagrees on %q: %+v, %v", s, m, err)
		}
		// The look-up helpers accept exactly what Parse produces.
		c := Candidates(addr.Domain)
		if len(c) != strings.Count(addr.Domain, ".") || c[0] != addr.Domain {
			t.Fatalf("Candidates(%q) = %q", addr.Domain, c)
		}
		for _, p := range c[1:] {
			if !strings.HasSuffix(addr.Domain, "."+p) || !strings.Contains(p, ".") {
				t.Fatalf("Candidates(%q) has %q, not a parent above the TLD", addr.Domain, p)
			}
		}
		exact, err := ParseAllowlist(addr.Domain)
		if err != nil || !exact.Match(addr.Domain) {
			t.Fatalf("an accepted domain %q is not a valid allowlist entry that matches itself: %v", addr.Domain, err)
		}
	})
}

// FuzzMatch checks Match against a plain oracle written from the
// specification: admitted exactly when the lower-cased domain equals an exact
// entry, or ends in "." + a wildcard base with no "xn--" label in the part the
// wildcard covers. It also feeds Match the raw text after the '@', to check
// that Match on its own never admits a string Parse would not produce.
//
//	go test -run '^$' -fuzz '^FuzzMatch$' -fuzztime 20s ./pkg/emailgate/
func FuzzMatch(f *testing.F) {
	for _, tc := range loadJSON[matchCase](f, "match-cases.json") {
		f.Add(tc.Allow, tc.In)
	}
	f.Add("*.example.com", "alice@.example.com")
	f.Add("*.example.com", "alice@Sub.example.com")
	f.Fuzz(func(t *testing.T, entries, email string) {
		a, err := ParseAllowlist(entries)
		if err != nil {
			if r := ReasonOf(err); !isKnownReason(r) || r == "" {
				t.Fatalf("ParseAllowlist(%q) error %v has reason %q", entries, err, r)
			}
			return
		}
		if at := strings.LastIndexByte(email, '@'); at >= 0 {
			d := email[at+1:]
			if a.Match(d) {
				addr, err := Parse("a@" + d)
				if err != nil || addr.Domain != d {
					t.Fatalf("Match(%q) admitted a string Parse does not produce as a Domain (%+v, %v)", d, addr, err)
				}
			}
		}
		addr, err := Parse(email)
		if err != nil {
			return
		}
		got := a.Match(addr.Domain)
		if want := oracle(entries, addr.Domain); got != want {
			t.Fatalf("ParseAllowlist(%q).Match(%q) = %v, oracle says %v", entries, addr.Domain, got, want)
		}
		if cerr := a.Check(addr.Domain); (cerr == nil) != got {
			t.Fatalf("Check(%q) = %v disagrees with Match = %v", addr.Domain, cerr, got)
		}
	})
}

// oracle is the specification of Match, for entries ParseAllowlist accepted
// (so they are ASCII and strings.ToLower and strings.TrimSpace are safe).
func oracle(entries, domain string) bool {
	for _, e := range strings.Split(entries, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		base, ok := strings.CutPrefix(e, "*.")
		if !ok {
			if e != "" && domain == e {
				return true
			}
			continue
		}
		prefix, ok := strings.CutSuffix(domain, "."+base)
		if !ok {
			continue
		}
		puny := false
		for _, l := range strings.Split(prefix, ".") {
			puny = puny || strings.HasPrefix(l, "xn--")
		}
		if !puny {
			return true
		}
	}
	return false
}
