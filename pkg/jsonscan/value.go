package jsonscan

import (
	"encoding/binary"
	"unicode/utf16"
	"unicode/utf8"
)

// String returns exactly what json.Unmarshal into a string would, including
// its replacement of invalid UTF-8 and lone surrogates by U+FFFD, so that a
// value read here can never differ from the value another component decodes
// with encoding/json. value is one JSON string, surrounding whitespace
// allowed; anything else, including null, is a *SyntaxError.
func String(value []byte) (string, error) {
	b, err := StringBytes(value)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// StringBytes is String without the copy: when the string has no escape and
// is valid UTF-8 (the common case for Cognito attributes) the result is a
// subslice of value and must not be modified; otherwise it is newly
// allocated.
func StringBytes(value []byte) ([]byte, error) {
	start, err := expect(value, KindString)
	if err != nil {
		return nil, err
	}
	end, err := scanString(value, start)
	if err != nil {
		return nil, err
	}
	if err := checkEnd(value, end); err != nil {
		return nil, err
	}
	return decodeBody(value[start+1 : end-1]), nil
}

// Bool accepts only the literals true and false, surrounding whitespace
// allowed. Cognito sends user attributes such as email_verified as the
// strings "true" and "false"; those are rejected here so that a caller
// notices which of the two it is holding rather than guessing.
func Bool(value []byte) (bool, error) {
	start, err := expect(value, KindBool)
	if err != nil {
		return false, err
	}
	lit := "true"
	if value[start] == 'f' {
		lit = "false"
	}
	end, err := scanLiteral(value, start, lit)
	if err != nil {
		return false, err
	}
	if err := checkEnd(value, end); err != nil {
		return false, err
	}
	return lit == "true", nil
}

// IsNull reports whether value is the literal null, surrounding whitespace
// allowed; Cognito uses null for absent optional fields such as
// preferredRole.
func IsNull(value []byte) bool {
	i := skipSpace(value, 0)
	return len(value)-i >= 4 && string(value[i:i+4]) == "null" && skipSpace(value, i+4) == len(value)
}

// decodeBody decodes the validated body of a string (quotes removed),
// sharing the input when decoding would not change it.
func decodeBody(s []byte) []byte {
	if isPlain(s) {
		return s
	}
	return appendUnquoted(make([]byte, 0, len(s)), s)
}

// isPlain reports whether decoding s would return s unchanged: no escape
// and valid UTF-8. It checks 8 ASCII bytes at a time because attribute
// values are mostly ASCII.
func isPlain(s []byte) bool {
	i := 0
	for i+8 <= len(s) {
		v := binary.LittleEndian.Uint64(s[i:])
		b := v ^ (lsb * '\\')
		if v&msb != 0 || (b-lsb)&^b&msb != 0 {
			break
		}
		i += 8
	}
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c == '\\' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		i += size
	}
	return true
}

// appendUnquoted decodes the validated string body s onto dst. It mirrors
// encoding/json's unquoteBytes step for step (a high surrogate followed by a
// low one makes one rune; any other surrogate becomes U+FFFD and the next
// escape is decoded on its own), because agreeing with encoding/json on
// every input is the point of this package.
func appendUnquoted(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		// Copy the run of bytes that decode to themselves in one go.
		j := i
		for j < len(s) && s[j] != '\\' && s[j] < utf8.RuneSelf {
			j++
		}
		dst = append(dst, s[i:j]...)
		if i = j; i == len(s) {
			break
		}
		c := s[i]
		switch {
		case c == '\\':
			switch e := s[i+1]; e {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r := getu4(s[i:])
				i += 6
				if utf16.IsSurrogate(r) {
					if dec := utf16.DecodeRune(r, getu4(s[i:])); dec != utf8.RuneError {
						dst = utf8.AppendRune(dst, dec)
						i += 6
						continue
					}
					r = utf8.RuneError
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default: // '"', '\\', '/'
				dst = append(dst, e)
			}
			i += 2
		default:
			r, size := utf8.DecodeRune(s[i:])
			dst = utf8.AppendRune(dst, r)
			i += size
		}
	}
	return dst
}

// getu4 decodes the \uXXXX escape at the start of s, or returns -1 when s
// does not start with one.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}
