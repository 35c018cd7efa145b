package emailgate

import (
	"errors"
	"net/mail"
	"strings"
)

// Address is a strictly valid email address.
//
// Raw is the exact input, and the only form that may be stored, compared for
// identity or mailed to: Cognito keeps and mails the raw attribute, so any
// other spelling would name a different account. Local is Raw's local part,
// case preserved (RFC 5321 §2.4 lets the receiving host treat it
// case-sensitively). Domain is the domain lower-cased byte by byte over ASCII,
// for allowlist and table look-ups only; never write it back.
type Address struct {
	Raw    string
	Local  string
	Domain string
}

// Reason says which rule refused an address, a domain or an allowlist entry.
// The values are stable snake_case strings for logs and metric dimensions;
// they are never shown to users, who only see the trigger's generic refusal.
type Reason string

// The closed set of reasons. When several rules are broken, Parse reports the
// first one in the order listed from ReasonNonASCII to ReasonSourceRoute (the
// attack-shaped characters), then the structural rules, so that an attack
// input is counted under its attack class rather than under a side effect
// (for example "Alice <a@x.com>" is display_name, not whitespace).
const (
	ReasonEmpty   Reason = "empty"    // the input is the empty string
	ReasonTooLong Reason = "too_long" // address > 254, local part > 64, domain > 253 or label > 63 bytes

	// Attack-shaped characters, anywhere in the input.
	ReasonNonASCII      Reason = "non_ascii"       // a byte >= 0x80: Unicode folding, homographs, invisible and bidi characters (A3, A4)
	ReasonControlChar   Reason = "control_char"    // NUL, CR, LF and the other C0 controls or DEL: header injection, C-string truncation
	ReasonDisplayName   Reason = "display_name"    // '<' or '>': "Name <addr>" forms that SES delivers to the bracketed address (A3)
	ReasonQuotedLocal   Reason = "quoted_local"    // '"': quoted local parts that hide an '@' from naive splitting (A3)
	ReasonEncodedWord   Reason = "encoded_word"    // "=?": RFC 2047 encoded-words that a mailer may decode into another address (A3)
	ReasonComment       Reason = "comment"         // '(' or ')': RFC 5322 comments (A3)
	ReasonIPLiteral     Reason = "ip_literal"      // '[' or ']': domain literals such as [127.0.0.1] (A3)
	ReasonBackslash     Reason = "backslash"       // '\': quoted-pair escapes
	ReasonWhitespace    Reason = "whitespace"      // space or horizontal tab (folding white space)
	ReasonAddressList   Reason = "address_list"    // ',', ';' or ':': address lists, groups and obsolete source routes
	ReasonSourceRoute   Reason = "source_route"    // '%' or '!': percent-hack and UUCP bang-path relaying
	ReasonNoAt          Reason = "no_at"           // no '@'
	ReasonMultipleAt    Reason = "multiple_at"     // more than one '@' (A3 "splitting the email atom")
	ReasonBadLocal      Reason = "bad_local"       // empty local part, character outside the local alphabet, or a misplaced dot or leading '-'
	ReasonBadDomain     Reason = "bad_domain"      // empty domain or label, character outside [A-Za-z0-9-], label starting or ending with '-'
	ReasonTrailingDot   Reason = "trailing_dot"    // "example.com.": same DNS name, different stored string (A3)
	ReasonSingleLabel   Reason = "single_label"    // a domain of one label, such as "localhost" or "com"
	ReasonNumericTLD    Reason = "numeric_tld"     // an all-digit last label: an IPv4 address dressed as a domain
	ReasonParseMismatch Reason = "parser_mismatch" // net/mail reads the input differently from the strict grammar (A14)

	// Allowlist decisions (Allowlist.Check).
	ReasonNotAllowed Reason = "not_allowed" // a valid domain that no entry admits
	ReasonPunycode   Reason = "punycode"    // not admitted, and carries an "xn--" label: counted apart as a likely homograph (A4)

	// Allowlist configuration (ParseAllowlist).
	ReasonBadWildcard Reason = "bad_wildcard" // '*' anywhere but a single leading "*." label
	ReasonWildcardTLD Reason = "wildcard_tld" // "*.com": a wildcard over a bare TLD admits anyone who registers a domain
)

// Error reports a refusal. Its text names only the Reason, never the input,
// so it is safe to log (addresses are PII) and meaningless to end users.
type Error struct {
	Reason Reason
}

// Error returns "emailgate: " followed by the reason.
func (e *Error) Error() string { return "emailgate: " + string(e.Reason) }

// ReasonOf returns the Reason of the first *Error in err's chain, or "" if
// there is none, so that callers can log the reason without a type switch.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func refuse(r Reason) error { return &Error{Reason: r} }

// Length limits: RFC 5321 §4.5.3.1 (local part 64 octets, path 256 octets
// including the angle brackets, hence 254 for the bare address) and RFC 1035
// §2.3.4 (labels 63 octets, names 253 octets in text form without the root).
const (
	maxAddressLen = 254
	maxLocalLen   = 64
	maxDomainLen  = 253
	maxLabelLen   = 63
)

// Parse accepts s only if it is an address of the strict grammar documented
// in the package comment, and otherwise returns an *Error. Nothing is
// normalised: an input that would need trimming, folding or decoding to be
// acceptable is refused, because the pre sign-up trigger cannot rewrite what
// Cognito stores.
func Parse(s string) (Address, error) {
	return parse(s, netMailAgrees)
}

// parse is Parse with the parser-agreement check injected, so that tests can
// reach the mismatch branch, which no input reaches while the strict grammar
// is a subset of what net/mail accepts.
func parse(s string, agrees func(string) bool) (Address, error) {
	if s == "" {
		return Address{}, refuse(ReasonEmpty)
	}
	if len(s) > maxAddressLen {
		return Address{}, refuse(ReasonTooLong)
	}
	mask, at, ats := scan(s)
	if r := classReason(mask, s); r != "" {
		return Address{}, refuse(r)
	}
	switch {
	case ats == 0:
		return Address{}, refuse(ReasonNoAt)
	case ats > 1:
		return Address{}, refuse(ReasonMultipleAt)
	}
	local, domain := s[:at], s[at+1:]
	if r := checkLocal(local); r != "" {
		return Address{}, refuse(r)
	}
	if r := checkDomain(domain); r != "" {
		return Address{}, refuse(r)
	}
	if !agrees(s) {
		return Address{}, refuse(ReasonParseMismatch)
	}
	return Address{Raw: s, Local: local, Domain: lowerASCII(domain)}, nil
}

// netMailAgrees is the belt-and-braces check of threat class A14 (parsers of
// the same data must agree): the mail stack downstream parses RFC 5322, so an
// input that net/mail reads as anything other than itself, with no display
// name, is refused even if the strict grammar passed it. It is deliberately
// not the gate on its own: net/mail accepts display names, quoted local
// parts, domain literals and encoded-words.
func netMailAgrees(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// Character classes of the pre-scan. One pass over the input ORs the class of
// every byte into a mask, so that the reason reported depends on which
// characters occur, not on where the first one happens to be.
const (
	clsNonASCII uint16 = 1 << iota
	clsControl
	clsAngle
	clsQuote
	clsParen
	clsBracket
	clsBackslash
	clsSpace
	clsList
	clsRoute
	// clsOther is every printable byte outside both alphabets and the classes
	// above: # $ & * / = ? ^ ` { | } ~. They are refused later by the local-
	// part or domain rules; "=?" among them marks an encoded-word.
	clsOther
)

// classes maps each byte to its class; letters, digits and . - _ + ' @ are 0.
var classes = func() (t [256]uint16) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= 0x80:
			t[c] = clsNonASCII
		case c == ' ' || c == '\t':
			t[c] = clsSpace
		case c < 0x20 || c == 0x7f:
			t[c] = clsControl
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte(".-_+'@", byte(c)) >= 0:
		case c == '<' || c == '>':
			t[c] = clsAngle
		case c == '"':
			t[c] = clsQuote
		case c == '(' || c == ')':
			t[c] = clsParen
		case c == '[' || c == ']':
			t[c] = clsBracket
		case c == '\\':
			t[c] = clsBackslash
		case c == ',' || c == ';' || c == ':':
			t[c] = clsList
		case c == '%' || c == '!':
			t[c] = clsRoute
		default:
			t[c] = clsOther
		}
	}
	return t
}()

// scan returns the class mask of s, the index of its first '@' and the
// number of '@'.
func scan(s string) (mask uint16, at, ats int) {
	at = -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		mask |= classes[c]
		if c == '@' {
			if ats == 0 {
				at = i
			}
			ats++
		}
	}
	return mask, at, ats
}

// classReason turns a class mask into the reason of highest priority, or ""
// when only the two alphabets (and possibly clsOther without "=?") occur.
func classReason(mask uint16, s string) Reason {
	switch {
	case mask&clsNonASCII != 0:
		return ReasonNonASCII
	case mask&clsControl != 0:
		return ReasonControlChar
	case mask&clsAngle != 0:
		return ReasonDisplayName
	case mask&clsQuote != 0:
		return ReasonQuotedLocal
	case mask&clsOther != 0 && strings.Contains(s, "=?"): // '=' is clsOther: the mask only spares the search
		return ReasonEncodedWord
	case mask&clsParen != 0:
		return ReasonComment
	case mask&clsBracket != 0:
		return ReasonIPLiteral
	case mask&clsBackslash != 0:
		return ReasonBackslash
	case mask&clsSpace != 0:
		return ReasonWhitespace
	case mask&clsList != 0:
		return ReasonAddressList
	case mask&clsRoute != 0:
		return ReasonSourceRoute
	}
	return ""
}

// checkLocal enforces the local-part alphabet: ASCII letters, digits and
// . _ + - ' as a dot-atom, not starting with '-'. See the package comment for
// why the other RFC 5322 atext characters are refused.
func checkLocal(local string) Reason {
	n := len(local)
	switch {
	case n == 0:
		return ReasonBadLocal
	case n > maxLocalLen:
		return ReasonTooLong
	case local[0] == '.' || local[n-1] == '.' || local[0] == '-':
		return ReasonBadLocal
	}
	for i := 0; i < n; i++ {
		switch c := local[i]; {
		case isAlnum(c), c == '_', c == '+', c == '-', c == '\'':
		case c == '.' && local[i-1] != '.': // i > 0: local[0] is not '.'
		default:
			return ReasonBadLocal
		}
	}
	return ""
}

// checkDomain enforces the hostname grammar of RFC 1123 §2.1 on d in either
// case: two or more labels of [A-Za-z0-9-], 1-63 bytes, no hyphen at either
// end, 253 bytes at most, no trailing root dot, and a last label that is not
// all digits. It is shared by Parse, the allowlist entries and the look-up
// functions, so that all three agree on what a domain is.
func checkDomain(d string) Reason {
	switch {
	case d == "":
		return ReasonBadDomain
	case len(d) > maxDomainLen:
		return ReasonTooLong
	case d[len(d)-1] == '.':
		return ReasonTrailingDot
	}
	labels, start := 0, 0
	digitsOnly := true // of the current label
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			c := d[i]
			if !isAlnum(c) && c != '-' {
				return ReasonBadDomain
			}
			digitsOnly = digitsOnly && '0' <= c && c <= '9'
			continue
		}
		label := d[start:i]
		switch {
		case label == "":
			return ReasonBadDomain
		case len(label) > maxLabelLen:
			return ReasonTooLong
		case label[0] == '-' || label[len(label)-1] == '-':
			return ReasonBadDomain
		}
		labels++
		if i < len(d) {
			start, digitsOnly = i+1, true
		}
	}
	switch {
	case labels < 2:
		return ReasonSingleLabel
	case digitsOnly:
		return ReasonNumericTLD
	}
	return ""
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// lowerASCII lower-cases A-Z and touches no other byte. It is written out
// rather than using strings.ToLower so that no Unicode mapping (Kelvin sign to
// k, and the like) can ever take part in a comparison; callers only pass
// strings already checked to be ASCII. It allocates only if s has upper case.
func lowerASCII(s string) string {
	i := 0
	for i < len(s) && !isUpper(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if isUpper(c) {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

// isLowerDomain reports whether d is what Parse puts in Address.Domain: a
// valid domain without upper case. The look-up functions require it, so a
// caller that skips Parse gets a refusal rather than a lenient match.
func isLowerDomain(d string) bool {
	if checkDomain(d) != "" {
		return false
	}
	for i := 0; i < len(d); i++ {
		if isUpper(d[i]) {
			return false
		}
	}
	return true
}
