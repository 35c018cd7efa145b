package emailgate

import (
	"errors"
	"fmt"
	"strings"
)

// Allowlist is a set of allowed domains from configuration. The zero value is
// empty and admits nothing; an Allowlist is read-only once built and safe for
// concurrent use.
type Allowlist struct {
	exact map[string]struct{} // "example.com" admits exactly example.com
	wild  map[string]struct{} // "*.example.com" stored as "example.com": strict subdomains only
}

// ParseAllowlist parses a comma-separated list of domains. Blanks around
// entries and empty entries are ignored, so "a.com, b.com," is fine. Every
// entry must be a strictly valid ASCII domain in any case, optionally
// preceded by one "*." label, which admits every subdomain at any depth but
// not the domain itself. Entries for internationalised domains must be
// spelled in punycode ("xn--…"), the only form Match compares.
//
// Invalid entries are a configuration error: the function should refuse to
// start rather than run with a gate other than the one configured. The error
// joins one error per invalid entry; each quotes the entry, with non-ASCII
// escaped so that a homograph shows its code point, and wraps an *Error with
// its Reason. A wildcard over a single label ("*.com") is refused with
// ReasonWildcardTLD because it would admit anyone willing to register a
// domain. Wildcards over multi-label public suffixes ("*.co.uk") cannot be
// recognised without the public suffix list, which this package does not
// carry; reviewing the configuration has to catch those.
func ParseAllowlist(list string) (Allowlist, error) {
	a := Allowlist{exact: map[string]struct{}{}, wild: map[string]struct{}{}}
	var errs []error
	for _, e := range strings.Split(list, ",") {
		e = trimBlanks(e)
		if e == "" {
			continue
		}
		base, wildcard, r := parseEntry(e)
		switch {
		case r != "":
			errs = append(errs, fmt.Errorf("allowlist entry %+q: %w", e, refuse(r)))
		case wildcard:
			a.wild[base] = struct{}{}
		default:
			a.exact[base] = struct{}{}
		}
	}
	if len(errs) > 0 {
		return Allowlist{}, errors.Join(errs...)
	}
	return a, nil
}

// parseEntry validates one trimmed, non-empty allowlist entry and returns its
// lower-cased domain and whether it is a wildcard.
func parseEntry(e string) (base string, wildcard bool, r Reason) {
	mask, _, _ := scan(e)
	if r := classReason(mask, e); r != "" {
		return "", false, r
	}
	if strings.HasPrefix(e, "*.") {
		wildcard, e = true, e[2:]
	}
	if e == "" || strings.IndexByte(e, '*') >= 0 {
		return "", false, ReasonBadWildcard
	}
	if r := checkDomain(e); r != "" {
		if wildcard && r == ReasonSingleLabel {
			r = ReasonWildcardTLD
		}
		return "", false, r
	}
	return lowerASCII(e), wildcard, ""
}

// trimBlanks strips ASCII blanks and line ends around a configuration entry,
// which often arrive from YAML or a file with a trailing newline. Blanks
// inside an entry are left in place, so the entry is refused.
func trimBlanks(s string) string {
	for s != "" && isBlank(s[0]) {
		s = s[1:]
	}
	for s != "" && isBlank(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// Empty reports whether the allowlist has no entries, in which case it admits
// nothing. Callers decide at start-up whether that is a configuration error.
func (a Allowlist) Empty() bool { return len(a.exact) == 0 && len(a.wild) == 0 }

// Match reports whether the allowlist admits domain, which must be an
// Address.Domain from Parse: any other string (upper case, trailing dot,
// empty label, non-ASCII) is never admitted.
//
// Matching is label-exact, never a string-suffix test: "example.com" admits
// only example.com, and "*.example.com" admits names ending in
// ".example.com" on a label boundary, so neither admits evil-example.com or
// example.com.evil.io. A label beginning "xn--" is admitted only where an
// entry spells it: an exact entry, or the base of a wildcard. The labels a
// wildcard stands for were never seen by whoever wrote the configuration,
// and a punycode label there could display as a look-alike of a trusted name
// in a mail client that renders IDNs (threat class A4).
func (a Allowlist) Match(domain string) bool { return a.check(domain) == "" }

// Check is Match with the reason for a refusal, for logging and metrics: nil
// when admitted, else an *Error with ReasonBadDomain (not a lower-case valid
// domain), ReasonPunycode (not admitted and has an "xn--" label) or
// ReasonNotAllowed.
func (a Allowlist) Check(domain string) error {
	if r := a.check(domain); r != "" {
		return refuse(r)
	}
	return nil
}

func (a Allowlist) check(domain string) Reason {
	if !isLowerDomain(domain) {
		return ReasonBadDomain
	}
	if _, ok := a.exact[domain]; ok {
		return ""
	}
	// Walk the parents of domain label by label. puny records whether a label
	// to the left of the current parent, which the wildcard would cover,
	// starts with "xn--".
	puny, start := false, 0
	for i := 0; i < len(domain); i++ {
		if domain[i] != '.' {
			continue
		}
		puny = puny || strings.HasPrefix(domain[start:i], "xn--")
		start = i + 1
		if _, ok := a.wild[domain[start:]]; ok && !puny {
			return ""
		}
	}
	if puny || strings.HasPrefix(domain[start:], "xn--") {
		return ReasonPunycode
	}
	return ReasonNotAllowed
}

// Candidates returns domain and each of its parent domains, longest first and
// without the bare TLD: "a.b.example.com" gives "a.b.example.com",
// "b.example.com" and "example.com". It is meant for looking up per-domain
// records in a table, where the most specific record should win. The strings
// share domain's memory; the slice is the only allocation. Like Match it
// accepts only an Address.Domain from Parse and returns nil for anything else.
func Candidates(domain string) []string {
	if !isLowerDomain(domain) {
		return nil
	}
	out := make([]string, 0, strings.Count(domain, "."))
	out = append(out, domain)
	for i := 0; i < len(domain); i++ {
		if domain[i] != '.' {
			continue
		}
		parent := domain[i+1:]
		if strings.IndexByte(parent, '.') < 0 {
			break
		}
		out = append(out, parent)
	}
	return out
}
