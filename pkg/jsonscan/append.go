package jsonscan

import "unicode/utf8"

// htmlSafe marks the ASCII bytes AppendString copies as they are; it is
// encoding/json's htmlSafeSet.
var htmlSafe [utf8.RuneSelf]bool

func init() {
	for c := ' '; c < utf8.RuneSelf; c++ {
		htmlSafe[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
}

// AppendString appends s as a quoted JSON string, escaping exactly as
// json.Marshal does (including <, >, &, U+2028 and U+2029, with invalid
// UTF-8 replaced by \ufffd). The output is therefore byte-identical to what
// encoding/json would have spliced into a response, and safe to embed in
// HTML or JavaScript. It allocates only when dst lacks capacity.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if htmlSafe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
