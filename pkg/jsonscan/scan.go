package jsonscan

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// maxDepth bounds nesting so that the record of open containers is a small
// fixed array and hostile input cannot exhaust memory. It is ten times
// stricter than encoding/json (10000) because no Cognito event nests deeper
// than a handful of levels.
const maxDepth = 1000

// SyntaxError reports malformed JSON, or a well-formed value of the wrong
// kind (an array where an object was required). Offset is the 0-based byte
// offset, in the slice the caller passed, of the first byte that made the
// input unacceptable; it is len(input) when the input ended too early.
// (encoding/json's Offset counts the bytes read, one more than ours.)
type SyntaxError struct {
	Offset int
	Msg    string
}

// Error includes the offset because the message alone does not say where a
// multi-kilobyte event went wrong.
func (e *SyntaxError) Error() string {
	return "jsonscan: " + e.Msg + " at offset " + strconv.Itoa(e.Offset)
}

// Kind is the JSON type of a value, as told by its first byte.
type Kind uint8

// The JSON kinds. They carry a Kind prefix because Bool, String, Array and
// Object are the names of the functions that read those kinds. KindInvalid is
// the zero value so that an unset Kind is never mistaken for a real one.
const (
	KindInvalid Kind = iota
	KindNull
	KindBool
	KindNumber
	KindString
	KindArray
	KindObject
)

var kindNames = [...]string{"invalid", "null", "bool", "number", "string", "array", "object"}

// String makes error messages and test failures readable.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// KindOf looks only at the first non-space byte, so it is cheap and trusts
// that value was already validated (Member.Value and Array elements are).
// It returns KindInvalid for empty input or a byte that cannot start a value.
func KindOf(value []byte) Kind {
	i := skipSpace(value, 0)
	if i >= len(value) {
		return KindInvalid
	}
	switch c := value[i]; c {
	case 'n':
		return KindNull
	case 't', 'f':
		return KindBool
	case '"':
		return KindString
	case '[':
		return KindArray
	case '{':
		return KindObject
	default:
		if c == '-' || isDigit(c) {
			return KindNumber
		}
		return KindInvalid
	}
}

// Valid agrees with encoding/json.Valid on every input except values nested
// deeper than 1000 levels, which Valid rejects and encoding/json accepts up to
// 10000.
func Valid(data []byte) bool {
	return scanDocument(data) == nil
}

// scanDocument validates that data is one value with optional surrounding
// whitespace.
func scanDocument(data []byte) error {
	end, err := scanValue(data, skipSpace(data, 0), 0)
	if err != nil {
		return err
	}
	return checkEnd(data, end)
}

// checkEnd rejects anything but whitespace after the top-level value, so
// that "{}{}" or "{} x" never passes as an object.
func checkEnd(data []byte, i int) error {
	i = skipSpace(data, i)
	if i < len(data) {
		return errChar(data, i, "after top-level value")
	}
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(data []byte, i int) int {
	for i < len(data) && data[i] <= ' ' && isSpace(data[i]) {
		i++
	}
	return i
}

// errEOF uses len(data) as the offset: the input ended where more was needed.
func errEOF(data []byte) error {
	return &SyntaxError{Offset: len(data), Msg: "unexpected end of JSON input"}
}

// errChar words its message like encoding/json so that log searches and
// people reading both kinds of error see the same text.
func errChar(data []byte, i int, context string) error {
	return &SyntaxError{Offset: i, Msg: "invalid character " + quoteChar(data[i]) + " " + context}
}

func quoteChar(c byte) string {
	switch c {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	if c >= utf8.RuneSelf {
		// Show the byte itself: it is usually one byte of a multi-byte
		// sequence, and U+0080..U+00FF would misdescribe it.
		return `'\x` + string(hexDigits[c>>4]) + string(hexDigits[c&0xF]) + `'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}

// scanValue validates one value starting at data[i] (whitespace already
// skipped) inside depth already-open containers, and returns the offset just
// past it. Scalars are handled here so that the common case never pays for
// zeroing the depth stack in scanContainer.
func scanValue(data []byte, i, depth int) (int, error) {
	if i >= len(data) {
		return i, errEOF(data)
	}
	switch c := data[i]; c {
	case '"':
		return scanString(data, i)
	case '{', '[':
		return scanContainer(data, i, depth)
	case 't':
		return scanLiteral(data, i, "true")
	case 'f':
		return scanLiteral(data, i, "false")
	case 'n':
		return scanLiteral(data, i, "null")
	default:
		if c == '-' || isDigit(c) {
			return scanNumber(data, i)
		}
		return i, errChar(data, i, "looking for beginning of value")
	}
}

// scanContainer is iterative, with the open containers recorded one bit
// per level, so that depth costs 128 bytes of stack instead of recursion.
func scanContainer(data []byte, i, depth int) (int, error) {
	var isObject [(maxDepth + 63) / 64]uint64
	top := 0 // containers opened by this call
	var err error
	for {
		// data[i] starts a value; whitespace before it is already skipped.
		if i >= len(data) {
			return i, errEOF(data)
		}
		switch c := data[i]; c {
		case '{', '[':
			if depth+top >= maxDepth {
				return i, &SyntaxError{Offset: i, Msg: "exceeded max depth"}
			}
			if c == '{' {
				isObject[top>>6] |= 1 << (top & 63)
			} else {
				isObject[top>>6] &^= 1 << (top & 63)
			}
			top++
			i = skipSpace(data, i+1)
			if i >= len(data) {
				return i, errEOF(data)
			}
			if c == '{' {
				if data[i] == '}' {
					i++
					top--
					break
				}
				if i, err = scanKey(data, i); err != nil {
					return i, err
				}
				continue
			}
			if data[i] == ']' {
				i++
				top--
				break
			}
			continue
		default:
			if i, err = scanValue(data, i, depth+top); err != nil {
				return i, err
			}
		}
		// A value just ended: close containers until one wants another value.
		for {
			if top == 0 {
				return i, nil
			}
			i = skipSpace(data, i)
			if i >= len(data) {
				return i, errEOF(data)
			}
			obj := isObject[(top-1)>>6]>>((top-1)&63)&1 != 0
			c := data[i]
			if c == ',' {
				i = skipSpace(data, i+1)
				if obj {
					if i, err = scanKey(data, i); err != nil {
						return i, err
					}
				}
				break
			}
			if obj && c == '}' || !obj && c == ']' {
				i++
				top--
				continue
			}
			if obj {
				return i, errChar(data, i, "after object key:value pair")
			}
			return i, errChar(data, i, "after array element")
		}
	}
}

// scanKey validates `"key" :` starting at data[i] and returns the offset of
// the member's value, whitespace skipped.
func scanKey(data []byte, i int) (int, error) {
	if i >= len(data) {
		return i, errEOF(data)
	}
	if data[i] != '"' {
		return i, errChar(data, i, "looking for beginning of object key string")
	}
	i, err := scanString(data, i)
	if err != nil {
		return i, err
	}
	i = skipSpace(data, i)
	if i >= len(data) {
		return i, errEOF(data)
	}
	if data[i] != ':' {
		return i, errChar(data, i, "after object key")
	}
	return skipSpace(data, i+1), nil
}

// strSpecial marks the bytes that end the fast path inside a string: the
// closing quote, an escape, and the control characters JSON forbids raw.
var strSpecial = [256]bool{'"': true, '\\': true}

func init() {
	for c := 0; c < 0x20; c++ {
		strSpecial[c] = true
	}
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// specialMask has the high bit set in each of the 8 bytes of v that is '"',
// '\\' or < 0x20, plus possibly in bytes above the first such byte: the
// borrow tricks give false positives only above a true positive, so the
// lowest set bit is exact. Bytes >= 0x80 never match: non-ASCII is allowed
// raw in strings.
func specialMask(v uint64) uint64 {
	q := v ^ (lsb * '"')
	b := v ^ (lsb * '\\')
	return ((v - lsb*0x20) | (q - lsb) | (b - lsb)) &^ v & msb
}

// scanString validates a string starting at the quote at data[i] and returns
// the offset just past the closing quote. Most bytes of a Cognito event are
// inside strings, so the body is searched 8 bytes at a time.
func scanString(data []byte, i int) (int, error) {
	i++
	for {
	search:
		for {
			if i+8 <= len(data) {
				if m := specialMask(binary.LittleEndian.Uint64(data[i:])); m != 0 {
					i += bits.TrailingZeros64(m) >> 3
					break search
				}
				i += 8
				continue
			}
			for i < len(data) && !strSpecial[data[i]] {
				i++
			}
			break
		}
		if i >= len(data) {
			return i, errEOF(data)
		}
		switch data[i] {
		case '"':
			return i + 1, nil
		case '\\':
			i++
			if i >= len(data) {
				return i, errEOF(data)
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				i++
				for end := i + 4; i < end; i++ {
					if i >= len(data) {
						return i, errEOF(data)
					}
					if !isHex(data[i]) {
						return i, errChar(data, i, `in \u hexadecimal character escape`)
					}
				}
			default:
				return i, errChar(data, i, "in string escape code")
			}
		default:
			return i, errChar(data, i, "in string literal")
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// scanNumber follows the JSON grammar exactly, so "01", "1." and ".5" fail
// as in encoding/json; the byte after the number is judged by the caller.
func scanNumber(data []byte, i int) (int, error) {
	if data[i] == '-' {
		i++
		if i >= len(data) {
			return i, errEOF(data)
		}
	}
	switch c := data[i]; {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		i++
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	default:
		return i, errChar(data, i, "in numeric literal")
	}
	if i < len(data) && data[i] == '.' {
		i++
		if i >= len(data) {
			return i, errEOF(data)
		}
		if !isDigit(data[i]) {
			return i, errChar(data, i, "after decimal point in numeric literal")
		}
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) {
			return i, errEOF(data)
		}
		if !isDigit(data[i]) {
			return i, errChar(data, i, "in exponent of numeric literal")
		}
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	}
	return i, nil
}

func scanLiteral(data []byte, i int, lit string) (int, error) {
	if len(data)-i >= len(lit) && string(data[i:i+len(lit)]) == lit {
		return i + len(lit), nil
	}
	for j := 1; j < len(lit); j++ {
		if i+j >= len(data) {
			return len(data), errEOF(data)
		}
		if data[i+j] != lit[j] {
			return i + j, errChar(data, i+j, "in literal "+lit+" (expecting "+quoteChar(lit[j])+")")
		}
	}
	return i + len(lit), nil
}
