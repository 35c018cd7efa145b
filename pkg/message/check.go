package message

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cognito-triggers/suite/pkg/triggers"
)

// Cognito's limits on a custom message trigger's response: a message
// beyond them fails the request, and with it the user's sign-up or
// sign-in. All lengths are in runes: Cognito counts "UTF-8 characters".
const (
	MaxSubjectRunes = 140
	MaxSMSRunes     = 140
	// MaxEmailRunes is exclusive: Cognito accepts at most 20,000 characters;
	// staying strictly below leaves no off-by-one to argue about.
	MaxEmailRunes = 20000
	// minMessageRunes is the MessageTemplateType minimum for both bodies.
	minMessageRunes = 6
)

var (
	// ErrPlaceholder reports a CodeParameter, UsernameParameter or
	// LinkParameter that is missing or unsafe to insert verbatim. The
	// trigger should return the event unchanged, so that Cognito sends the
	// pool's default message.
	ErrPlaceholder = errors.New("message: invalid placeholder parameter")
	// ErrInvalidOutput reports an output that breaks one of Cognito's rules
	// or this package's placeholder policy. Every error Check returns wraps
	// it.
	ErrInvalidOutput = errors.New("message: output breaks Cognito's rules")
)

// FieldError is one broken rule in one output field. Its text never quotes
// message content, so it is safe to log.
type FieldError struct {
	Field   string // EmailSubject, EmailMessage or SMSMessage
	Problem string
}

func (e *FieldError) Error() string { return e.Field + " " + e.Problem }

// Unwrap makes every FieldError match ErrInvalidOutput.
func (e *FieldError) Unwrap() error { return ErrInvalidOutput }

// Check verifies an output against everything Cognito enforces and
// everything this package promises, so that a message that would be rejected
// (and fail the user's sign-up or sign-in) is caught here instead:
//
//   - EmailSubject: 1–140 runes; no placeholder and no brace at all (a code
//     in a subject leaks into notification previews); one line.
//   - SMSMessage: 6–140 runes; contains CodeParameter (and, for
//     AdminCreateUser, UsernameParameter); one line, because Cognito's
//     .*{####}.* pattern does not cross line breaks.
//   - EmailMessage: 6–19,999 runes; contains CodeParameter (and, for
//     AdminCreateUser, UsernameParameter; and LinkParameter when the source
//     is a verification message and the pool sent one); only \t \n \r as
//     whitespace controls.
//   - Every field: valid UTF-8 of Cognito's accepted classes (letters, marks,
//     numbers, punctuation, symbols, ASCII space); and no '{' or '}' except
//     as part of an occurrence of a placeholder allowed in that field, so no
//     {####}-, {username}- or {##…##}-like sequence can exist that Cognito
//     would fill in or that a template author hard-coded.
//
// The placeholders themselves are validated too (brace-delimited, no markup
// characters). Check returns nil or an error joining one *FieldError (or
// ErrPlaceholder) per broken rule.
func Check(in Input, out Output) error {
	i, ok := kindIndex(in.Source)
	if !ok {
		return fmt.Errorf("message: %w %.64q", triggers.ErrUnknownSource, string(in.Source))
	}
	k := &kinds[i]
	if err := checkInput(k, &in); err != nil {
		return err
	}
	return errors.Join(
		checkSubject(out.EmailSubject),
		checkSMS(k, &in, out.SMSMessage),
		checkEmail(k, &in, out.EmailMessage),
	)
}

// checkInput validates the placeholders this source needs.
func checkInput(k *kind, in *Input) error {
	if !validPlaceholder(in.CodeParameter, false) {
		return fmt.Errorf("%w: CodeParameter", ErrPlaceholder)
	}
	if k.invitation && !validPlaceholder(in.UsernameParameter, false) {
		return fmt.Errorf("%w: UsernameParameter", ErrPlaceholder)
	}
	if k.unverified && in.LinkParameter != "" && !validLinkParameter(in.LinkParameter) {
		return fmt.Errorf("%w: LinkParameter", ErrPlaceholder)
	}
	return nil
}

func checkSubject(s string) error {
	const f = "EmailSubject"
	if err := checkText(f, s, false, 1, MaxSubjectRunes); err != nil {
		return err
	}
	return checkBraces(f, s)
}

func checkSMS(k *kind, in *Input, s string) error {
	const f = "SMSMessage"
	if err := checkText(f, s, false, minMessageRunes, MaxSMSRunes); err != nil {
		return err
	}
	var user string
	if k.invitation {
		user = in.UsernameParameter
	}
	return errors.Join(
		checkContains(f, s, "CodeParameter", in.CodeParameter),
		checkContains(f, s, "UsernameParameter", user),
		checkBraces(f, s, in.CodeParameter, user),
	)
}

func checkEmail(k *kind, in *Input, s string) error {
	const f = "EmailMessage"
	if err := checkText(f, s, true, minMessageRunes, MaxEmailRunes-1); err != nil {
		return err
	}
	var user, link string
	if k.invitation {
		user = in.UsernameParameter
	}
	if k.unverified {
		link = in.LinkParameter
	}
	return errors.Join(
		checkContains(f, s, "CodeParameter", in.CodeParameter),
		checkContains(f, s, "UsernameParameter", user),
		checkContains(f, s, "LinkParameter", link),
		checkBraces(f, s, in.CodeParameter, user, link),
	)
}

// checkText enforces valid UTF-8, Cognito's character classes and the rune
// limits [lo, hi] in one pass. It runs over every Render's output, nearly
// all ASCII, so it skips eight plain-ASCII bytes at a time. Only the email
// body may contain line breaks and tabs; in a subject they would be a
// mail-header injection, in an SMS a pattern mismatch.
func checkText(field, s string, breaks bool, lo, hi int) error {
	n := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) && plainASCII8(s[i:i+8]) {
			i += 8
			n += 8
			continue
		}
		if c := s[i]; c < utf8.RuneSelf {
			if c < ' ' || c == 0x7f {
				if !breaks || (c != '\n' && c != '\r' && c != '\t') {
					return &FieldError{field, fmt.Sprintf("contains U+%04X at byte %d, which Cognito rejects", c, i)}
				}
			}
			i++
			n++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return &FieldError{field, "is not valid UTF-8"}
		}
		if !cognitoVisible(r) {
			return &FieldError{field, fmt.Sprintf("contains U+%04X at byte %d, which Cognito rejects", r, i)}
		}
		i += size
		n++
	}
	if n < lo || n > hi {
		return &FieldError{field, fmt.Sprintf("is %d runes, want %d to %d", n, lo, hi)}
	}
	return nil
}

// plainASCII8 reports whether all 8 bytes of b are in 0x20–0x7E, using the
// classic SWAR tests for "has a byte ≥ 0x80", "has a byte < 0x20" and "has
// a byte equal to 0x7F".
func plainASCII8(b string) bool {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	_ = b[7] // one bounds check, so the compiler emits a single 8-byte load
	x := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
	if x&msb != 0 {
		return false
	}
	if (x-0x20*lsb)&^x&msb != 0 {
		return false
	}
	y := x ^ 0x7f*lsb
	return (y-lsb)&^y&msb == 0
}

func checkContains(field, s, name, p string) error {
	if p != "" && !strings.Contains(s, p) {
		return &FieldError{field, "does not contain the " + name}
	}
	return nil
}

// checkBraces reports any '{' or '}' that is not part of one of the allowed
// placeholders (empty ones are ignored). Placeholders have a brace at each
// end and none inside, so each '{' must start one and the text between
// placeholders must hold no brace at all.
func checkBraces(field, s string, allowed ...string) error {
	off := 0
	for {
		j := strings.IndexByte(s[off:], '{')
		if j < 0 {
			j = len(s) - off
		}
		if k := strings.IndexByte(s[off:off+j], '}'); k >= 0 {
			return &FieldError{field, fmt.Sprintf("has a '}' at byte %d that is not part of an allowed placeholder", off+k)}
		}
		off += j
		if off == len(s) {
			return nil
		}
		n := 0
		for _, p := range allowed {
			if p != "" && strings.HasPrefix(s[off:], p) {
				n = len(p)
				break
			}
		}
		if n == 0 {
			return &FieldError{field, fmt.Sprintf("has a '{' at byte %d that is not an allowed placeholder", off)}
		}
		off += n
	}
}
