// Package emailgate parses email addresses strictly and matches their domains
// against an allowlist. It is the gate of the pre sign-up trigger and is
// reused by user migration for legacy addresses.
//
// # Why reject, never normalise
//
// The pre sign-up response can only confirm or verify; it cannot rewrite
// attributes. Cognito stores and mails the raw string the client sent. If the
// gate cleaned an address up before judging it ("Alice <a@x.com>" to
// "a@x.com", "EXAMPLE.com." to "example.com"), it would approve one string
// while Cognito stored and SES delivered another. So Parse refuses every
// input that would need trimming, folding, decoding or unquoting, and Address
// keeps the exact input in Raw. Domain is lower-cased over ASCII only, and
// only for comparison.
//
// # The grammar
//
//   - At most 254 bytes, exactly one '@', a local part of 1-64 bytes.
//   - ASCII only. Any byte of 0x80 or above is refused (ReasonNonASCII).
//     This one rule covers Unicode case-folding collisions (dotless ı, long
//     ſ, the Kelvin sign, ß, ligatures), fullwidth letters, Cyrillic and
//     Greek look-alikes, zero-width joiners, bidi overrides and non-breaking
//     spaces.
//   - No control characters (NUL, CR, LF, …), spaces or tabs.
//   - None of the RFC 5322 forms that carry a second address or hide one:
//     display names and angle brackets, quoted local parts, comments, domain
//     literals ("[127.0.0.1]"), RFC 2047 encoded-words ("=?…?="),
//     backslash escapes, address lists and groups (',' ';' ':').
//   - Local part: a dot-atom of ASCII letters, digits and . _ + - ' with no
//     leading, trailing or doubled dot and no leading '-'.
//   - Domain: two or more labels of ASCII letters, digits and '-', each 1-63
//     bytes and not starting or ending with '-'; at most 253 bytes; no
//     trailing dot; a last label that is not all digits.
//   - net/mail.ParseAddress must read the input as exactly itself, with no
//     display name. This is a second, independent check, never the only one.
//
// # Decisions
//
// Local-part alphabet. RFC 5322 also allows ! # $ % & * / = ? ^ ` { | } ~.
// They are refused because each has a downstream meaning: '%' is the
// percent-hack relay ("alice%evil.io@example.com" can be forwarded to
// alice@evil.io by a relay that honours it), '!' is the UUCP bang path
// ("evil.io!alice@example.com"), '=' and '?' make encoded-words, '&' '#' '$'
// '*' '/' '`' '{' '|' '}' mean something to HTML, URLs, shells, globs,
// paths and templates, and almost no real mailbox uses them. The apostrophe
// is kept because real surnames use it (o'brien@…); our outputs must escape
// it like any other user data. A leading '-' is refused because an address
// passed to a mail program's command line would be read as an option (the
// sendmail argument injection of CVE-2016-10033).
//
// Plus-addressing is accepted: alice+tag@example.com is a real, deliverable
// mailbox, and OWASP advises against stripping tags. So one mailbox can hold
// many accounts. The gate admits a domain; it does not decide tenant
// membership, which comes from the trusted table keyed by sub. Rate limiting
// sign-ups is a job for WAF and Cognito, not for this package.
//
// Punycode. Parse accepts "xn--" labels as plain ASCII. Allowlist.Match admits
// such a label only where an allowlist entry spells it: an exact entry, or the
// base of a wildcard entry. It never admits one that a wildcard only covers.
// The Unicode spelling of a homograph, such as examplе.com with a Cyrillic е,
// is refused by Parse as non-ASCII. Its punycode spelling, xn--exampl-8of.com,
// is a different label from example.com and so is not admitted either.
//
// Wildcards. "*.example.com" admits subdomains at any depth but not
// example.com itself; list both to admit both. "*.com" is a configuration
// error (ReasonWildcardTLD): it would admit every registrant of the TLD.
//
// # Threat classes stopped (see the suite's threat model)
//
// A2, unverified email change and account takeover. Identity is sub, not
// email, and this package does not change that. It does keep the raw address
// as the only stored form, and it refuses look-alike spellings (trailing dot,
// non-ASCII folding) that would yield a second account for one mailbox.
// Deciding whether to auto-verify an email is the caller's job, and must
// never be based on the domain alone.
//
// A3, email-allowlist bypasses. It stops case tricks (only the ASCII domain
// is lower-cased, byte by byte, and never with strings.EqualFold,
// strings.ToLower, NFKC or IDNA mapping), Unicode case-mapping collisions
// (ASCII only), trailing-dot and subdomain or look-alike confusion
// (label-exact matching, never suffix strings), and the parser differentials
// of "Splitting the email atom" and of SES angle-address delivery (no
// quotes, comments, literals, encoded-words, angle brackets or second '@',
// plus the net/mail agreement check).
//
// A4, IDN homographs. ASCII-only input plus exact spelling of punycode labels,
// as described above.
//
// A14, parser robustness in Go. Parsers of the same data must agree, hence
// the net/mail agreement check. The input length is bounded before any other
// work, the parser does one linear pass with no regular expressions and no
// recursion, and it is fuzzed with its invariants asserted.
package emailgate
