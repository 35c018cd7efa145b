package pretoken

import (
	"encoding/binary"
	"math/bits"
	"strings"

	"github.com/cognito-triggers/suite/pkg/triggers"
)

// readRequest finds what a user token's decision needs in the request:
// the raw userAttributes and groupConfiguration values and the sub.
//
// triggers.Fields and triggers.Strings validate their whole input before
// reading it, so reading request → userAttributes → sub validates the
// userAttributes bytes three times over, although the envelope parse has
// already validated the entire event; for a 2 KB event that was a quarter
// of the invocation's cost. fastRequest therefore walks the (already
// valid) request once, without validating it again, and accepts only the
// plain case: no escape in any key, no duplicate or case variant of a key
// it relies on, and a sub that is a plain visible-ASCII string. Anything
// else goes to the strict readers, which give the refusal.
// FuzzFastRequest holds the two paths to the same answers.
func readRequest(req []byte) (attrs, group []byte, sub string, err error) {
	if attrs, group, sub, ok := fastRequest(req); ok {
		return attrs, group, sub, nil
	}
	var r [2][]byte
	if err := triggers.Fields(req, userRequestKeys, r[:]); err != nil {
		return nil, nil, "", err
	}
	var s [1]string
	if err := triggers.Strings(r[0], subKey, s[:]); err != nil {
		return nil, nil, "", err
	}
	return r[0], r[1], s[0], nil
}

// fastRequest is readRequest's fast path; ok is false whenever the strict
// path must decide. It never reads out of bounds whatever req holds, but
// it agrees with the strict path only on input the envelope validated.
func fastRequest(req []byte) (attrs, group []byte, sub string, ok bool) {
	var nAttrs, nGroups, nSub int
	var subVal []byte
	i := skipWS(req, 0)
	if i >= len(req) || req[i] != '{' {
		return nil, nil, "", false
	}
	i = skipWS(req, i+1)
	for {
		key, end := keyAt(req, i)
		if end < 0 {
			return nil, nil, "", false
		}
		i = skipWS(req, end)
		if i >= len(req) || req[i] != ':' {
			return nil, nil, "", false
		}
		start := skipWS(req, i+1)
		switch {
		case string(key) == "userAttributes":
			nAttrs++
			end, subVal, nSub = findSub(req, start)
			attrs = req[start:max(end, start)]
		case string(key) == "groupConfiguration":
			nGroups++
			end = valueEnd(req, start)
			group = req[start:max(end, start)]
		case strings.EqualFold(string(key), "userAttributes"), strings.EqualFold(string(key), "groupConfiguration"):
			// A case variant, under the Unicode folding triggers.Fields
			// uses ("userAttributeſ" too): the strict path refuses it.
			return nil, nil, "", false
		default:
			end = valueEnd(req, start)
		}
		if end < 0 {
			return nil, nil, "", false
		}
		i = skipWS(req, end)
		if i >= len(req) {
			return nil, nil, "", false
		}
		if req[i] == '}' {
			if skipWS(req, i+1) != len(req) {
				return nil, nil, "", false
			}
			break
		}
		if req[i] != ',' {
			return nil, nil, "", false
		}
		i = skipWS(req, i+1)
	}
	if nAttrs != 1 || nGroups > 1 || nSub != 1 || len(subVal) < 2 || subVal[0] != '"' {
		return nil, nil, "", false
	}
	raw := subVal[1 : len(subVal)-1]
	if len(raw) == 0 || len(raw) > 256 {
		return nil, nil, "", false
	}
	for _, c := range raw {
		// Visible ASCII (validKey's alphabet) without the escape character,
		// so that the raw bytes are the decoded value.
		if c <= ' ' || c >= 0x7f || c == '\\' {
			return nil, nil, "", false
		}
	}
	return attrs, group, string(raw), true
}

// findSub walks the userAttributes object starting at b[i] and returns
// the offset just past it, the raw value of its "sub" member and how many
// "sub" members it has; end is -1 when it is not a plain object.
func findSub(b []byte, i int) (end int, sub []byte, n int) {
	if i >= len(b) || b[i] != '{' {
		return -1, nil, 0
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil, 0
	}
	for {
		key, kend := keyAt(b, i)
		if kend < 0 {
			return -1, nil, 0
		}
		i = skipWS(b, kend)
		if i >= len(b) || b[i] != ':' {
			return -1, nil, 0
		}
		start := skipWS(b, i+1)
		vend := valueEnd(b, start)
		if vend < 0 {
			return -1, nil, 0
		}
		if string(key) == "sub" {
			n++
			sub = b[start:vend]
		}
		i = skipWS(b, vend)
		if i >= len(b) {
			return -1, nil, 0
		}
		switch b[i] {
		case '}':
			return i + 1, sub, n
		case ',':
			i = skipWS(b, i+1)
		default:
			return -1, nil, 0
		}
	}
}

// keyAt reads the member key starting at b[i] and returns its bytes
// (without quotes) and the offset just past it; end is -1 when there is no
// key there or the key holds an escape (its decoded form could differ from
// its bytes, so only the strict path may compare it).
func keyAt(b []byte, i int) (key []byte, end int) {
	if i >= len(b) || b[i] != '"' {
		return nil, -1
	}
	end, escaped := stringEnd(b, i)
	if end < 0 || escaped {
		return nil, -1
	}
	return b[i+1 : end-1], end
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// quoteOrBackslash has the high bit set in each byte of v that is '"' or
// '\\' (and possibly in bytes above the first such byte: the borrow trick
// is exact only for the lowest one).
func quoteOrBackslash(v uint64) uint64 {
	q := v ^ (lsb * '"')
	s := v ^ (lsb * '\\')
	return ((q - lsb) | (s - lsb)) &^ v & msb
}

// stringEnd returns the offset just past the string whose opening quote
// is b[i], or -1, and whether it contains an escape. Strings are most of
// an event's bytes, so they are searched 8 bytes at a time.
func stringEnd(b []byte, i int) (end int, escaped bool) {
	j := i + 1
	for {
		for j+8 <= len(b) {
			if m := quoteOrBackslash(binary.LittleEndian.Uint64(b[j:])); m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
			j += 8
		}
		for j < len(b) && b[j] != '"' && b[j] != '\\' {
			j++
		}
		if j >= len(b) {
			return -1, escaped
		}
		if b[j] == '"' {
			return j + 1, escaped
		}
		escaped = true
		j += 2 // the backslash and the escaped byte (\u's hex digits need no care)
	}
}

// valueEnd returns the offset just past the value starting at b[i], or -1.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		end, _ := stringEnd(b, i)
		return end
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, _ := stringEnd(b, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\n', '\r', '\t':
			if j == i {
				return -1
			}
			return j
		}
		j++
	}
	if j == i {
		return -1
	}
	return j
}
