package message

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	// maxNameRunes bounds the display name: long enough for real names,
	// too short to carry a sentence of phishing text.
	maxNameRunes = 40
	// maxNameInput bounds the work spent on one attribute value. A 10 KB
	// name costs the same as a 512-byte one; nothing past this point could
	// survive the 40-rune cap anyway.
	maxNameInput = 512
	// maxMarksPerBase stops "Zalgo" stacks of combining marks from
	// overflowing the greeting line while keeping real diacritics.
	maxMarksPerBase = 3
	// maxUserNameRunes is Cognito's username limit; a longer userName is not
	// a real one and is left out of the link.
	maxUserNameRunes = 128
)

// nameAttributes are the attributes tried, in order, for the greeting.
// preferred_username is left out on purpose: it is a handle, often an email
// address or a domain, not a way to address a person.
var nameAttributes = [...]string{"given_name", "name", "nickname"}

// displayName picks the greeting name for the message, or "" for the neutral
// greeting. Messages to unverified recipients never get one: the attacker who
// signs up with a victim's address chooses every attribute.
func displayName(k *kind, attrs map[string]string) string {
	if k.unverified {
		return ""
	}
	for _, a := range nameAttributes {
		if n := sanitizeName(attrs[a]); n != "" {
			return n
		}
	}
	return ""
}

// sanitizeName reduces an untrusted attribute value to a display name that is
// safe to show in a mail: letters, combining marks, decimal digits, single
// spaces and the name punctuation . ' - · only, at most maxNameRunes runes,
// with at least one letter. Everything else is dropped, which removes markup,
// braces (so no copy of {####} or {username} can be smuggled in), control and
// format characters (NUL, CR/LF, bidi overrides, zero-width joiners) and the
// separators of URLs and addresses (: / @ ? # % and friends). A value that
// still looks like a domain name after that ("evil.io", "x.com", an IP
// address) is discarded as a whole: mail clients link bare domains, and the
// stripped text of a URL is no one's name.
func sanitizeName(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > maxNameInput {
		s = s[:maxNameInput] // a rune cut in half decodes as RuneError and is dropped
	}
	var buf [maxNameInput]byte
	b := buf[:0]
	pendingSpace, marks, letters := false, 0, 0
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			pendingSpace = len(b) > 0
			continue
		case unicode.IsMark(r):
			// A mark needs a base: none at the start, none after a space, and
			// no more than a few in a row.
			if len(b) == 0 || pendingSpace || marks >= maxMarksPerBase {
				continue
			}
			marks++
			b = utf8.AppendRune(b, r)
			continue
		case dotLike(r):
			// Letters that render as a full stop would let "evilꓸio" pass
			// the domain check below; they count as the dot they look like.
			r = '.'
		case unicode.IsLetter(r):
			letters++
		case unicode.IsDigit(r), r == '.', r == '\'', r == '-', r == '·':
		case r == '’' || r == '‘': // the apostrophe phones type in O’Brien
			r = '\''
		case r == '‐' || r == '‑': // Unicode hyphens
			r = '-'
		default:
			continue
		}
		if pendingSpace {
			b = append(b, ' ')
			pendingSpace = false
		}
		marks = 0
		b = utf8.AppendRune(b, r)
	}
	if letters == 0 || looksLikeDomain(b) {
		return ""
	}
	b = truncateRunes(b, maxNameRunes)
	b = trimName(b)
	if len(b) == 0 || !hasLetter(b) {
		return ""
	}
	return string(b)
}

// looksLikeDomain reports a '.' directly followed by a digit, or by two or
// more letters or digits: the shape of an IP address ("8.8.8.8") or of a
// top-level domain ("evil.io", "evil.中国"), which mail clients turn into a
// link. Initials such as "J.R.R. Tolkien" pass; "St.John" is lost to the
// neutral greeting, a price worth paying.
func looksLikeDomain(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '.' {
			continue
		}
		if i+1 < len(b) && '0' <= b[i+1] && b[i+1] <= '9' {
			return true
		}
		n := 0
		for _, r := range string(b[i+1:]) {
			if unicode.IsMark(r) {
				continue
			}
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				break
			}
			if n++; n >= 2 {
				return true
			}
		}
	}
	return false
}

// dotLike reports letters that render as a full stop or comma (the Lisu
// tone letters U+A4F8-U+A4FB). Other modifier letters stay: the Hawaiian
// ʻokina (U+02BB) is one, and it belongs in names.
func dotLike(r rune) bool { return r >= 0xA4F8 && r <= 0xA4FB }

// truncateRunes cuts b to at most n runes without separating a letter from
// its combining marks.
func truncateRunes(b []byte, n int) []byte {
	if utf8.RuneCount(b) <= n {
		return b
	}
	cut, count := 0, 0
	for i, r := range string(b) {
		if count == n {
			cut = i
			if unicode.IsMark(r) {
				// Back off to before the base of this mark cluster.
				for cut > 0 {
					pr, size := utf8.DecodeLastRune(b[:cut])
					cut -= size
					if !unicode.IsMark(pr) {
						break
					}
				}
			}
			break
		}
		count++
	}
	return b[:cut]
}

// trimName removes separators from the ends, where they only look odd
// ("- Alice"); a final '.' stays for "Jr.".
func trimName(b []byte) []byte {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r != ' ' && r != '.' && r != '\'' && r != '-' && r != '·' {
			break
		}
		b = b[size:]
	}
	for len(b) > 0 {
		r, size := utf8.DecodeLastRune(b)
		if r != ' ' && r != '\'' && r != '-' && r != '·' {
			break
		}
		b = b[:len(b)-size]
	}
	return b
}

func hasLetter(b []byte) bool {
	for _, r := range string(b) {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// linkUserName returns the userName to put in a link, or "" to leave it out.
// It is percent-encoded by the caller; this only refuses values Cognito would
// never send, so an oversized or broken one cannot bloat the message.
func linkUserName(u string) string {
	if u == "" || len(u) > 4*maxUserNameRunes || !utf8.ValidString(u) ||
		utf8.RuneCountInString(u) > maxUserNameRunes {
		return ""
	}
	return u
}

// validPlaceholder checks a placeholder Cognito sent in the event. They are
// inserted verbatim into HTML after escaping has run, so they must be inert
// there: brace-delimited, no braces inside (so the checker can find them and
// a copy in user data is impossible), no markup characters, nothing Cognito's
// body pattern rejects. Spaces are allowed only in the link text
// ("{##Click Here##}").
func validPlaceholder(p string, spaces bool) bool {
	if len(p) < 3 || len(p) > 64 || p[0] != '{' || p[len(p)-1] != '}' || !utf8.ValidString(p) {
		return false
	}
	for _, r := range p[1 : len(p)-1] {
		switch {
		case r == ' ':
			if !spaces {
				return false
			}
		case strings.ContainsRune("{}<>&\"'`\\", r):
			return false
		case !cognitoVisible(r):
			return false
		}
	}
	return true
}

// validLinkParameter accepts Cognito's link syntax {##text##}.
func validLinkParameter(p string) bool {
	return validPlaceholder(p, true) && len(p) >= 7 &&
		strings.HasPrefix(p, "{##") && strings.HasSuffix(p, "##}")
}

// cognitoVisible reports whether r is in the classes Cognito's emailBody
// pattern accepts besides whitespace: letters, marks, symbols, numbers,
// punctuation. It excludes controls, format characters (bidi overrides,
// zero-width joiners), private use, unassigned code points and the Unicode
// space separators (NBSP, U+3000), because Java's \s is ASCII-only.
func cognitoVisible(r rune) bool {
	if r < utf8.RuneSelf {
		return r > ' ' && r < 0x7f
	}
	if 0x4e00 <= r && r <= 0x9fff { // CJK Unified Ideographs, all letters (Lo)
		return true
	}
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsNumber(r) ||
		unicode.IsPunct(r) || unicode.IsSymbol(r)
}
