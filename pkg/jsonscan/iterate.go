package jsonscan

// Member is one object member as found in the input. Key is the decoded key:
// a subslice of the input when the raw key has no escape and is valid UTF-8,
// otherwise a fresh allocation (escapes decoded, invalid UTF-8 replaced by
// U+FFFD as encoding/json does), so "\u0074ype" and "type" compare equal.
// Value is the raw value, a subslice of the input without surrounding
// whitespace, and Start/End are its offsets in the slice passed to Object,
// so a caller can splice a replacement into the original event.
type Member struct {
	Key        []byte
	Value      []byte
	Start, End int
}

// batch is how many members or elements Object and Array remember during
// the validating pass. Cognito objects have at most a few dozen members, so
// one pass usually suffices; bigger inputs are rescanned batch by batch,
// which costs at most one extra pass over each member.
const batch = 32

// span locates one member (key including quotes, and value) in the input.
type span struct{ key, keyEnd, start, end int }

// Object calls fn for each member of the object in data, in input order and
// including duplicate keys (encoding/json would keep only the last one;
// security-relevant keys should be checked for duplicates by the caller).
//
// The whole input is validated before fn is first called, so a handler never
// acts on the valid prefix of a truncated or tampered event: malformed input,
// trailing garbage, nesting deeper than 1000 levels or a top-level value that
// is not an object yields a *SyntaxError and no call to fn. An error from fn
// stops the iteration and is returned unchanged.
func Object(data []byte, fn func(m Member) error) error {
	start, err := expect(data, KindObject)
	if err != nil {
		return err
	}
	var buf [batch]span
	n, resume, end, more, err := scanMembers(data, start+1, false, buf[:], true)
	if err != nil {
		return err
	}
	if err := checkEnd(data, end); err != nil {
		return err
	}
	for {
		for _, s := range buf[:n] {
			m := Member{
				Key:   decodeBody(data[s.key+1 : s.keyEnd-1]),
				Value: data[s.start:s.end],
				Start: s.start,
				End:   s.end,
			}
			if err := fn(m); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
		n, resume, _, more, err = scanMembers(data, resume, true, buf[:], false)
		if err != nil {
			return err // unreachable: the first pass validated everything
		}
	}
}

// scanMembers scans the members of the object whose body starts at i and
// records up to len(buf) of them. With afterValue, i is just past a
// member's value rather than just past the '{'. With all, it keeps
// validating after buf is full and reports more; without, it stops there and
// returns the offset to resume from. end is the offset just past the '}'.
func scanMembers(data []byte, i int, afterValue bool, buf []span, all bool) (n, resume, end int, more bool, err error) {
	if !afterValue {
		i = skipSpace(data, i)
		if i >= len(data) {
			return 0, 0, 0, false, errEOF(data)
		}
		if data[i] == '}' {
			return 0, 0, i + 1, false, nil
		}
	}
	for {
		if !afterValue {
			if n == len(buf) {
				more = true
				if !all {
					return n, resume, 0, true, nil
				}
			}
			if i >= len(data) {
				return n, 0, 0, false, errEOF(data)
			}
			if data[i] != '"' {
				return n, 0, 0, false, errChar(data, i, "looking for beginning of object key string")
			}
			key := i
			if i, err = scanString(data, i); err != nil {
				return n, 0, 0, false, err
			}
			keyEnd := i
			i = skipSpace(data, i)
			if i >= len(data) {
				return n, 0, 0, false, errEOF(data)
			}
			if data[i] != ':' {
				return n, 0, 0, false, errChar(data, i, "after object key")
			}
			i = skipSpace(data, i+1)
			start := i
			if i, err = scanValue(data, i, 1); err != nil {
				return n, 0, 0, false, err
			}
			if n < len(buf) {
				buf[n] = span{key: key, keyEnd: keyEnd, start: start, end: i}
				n++
				resume = i
			}
		}
		afterValue = false
		i = skipSpace(data, i)
		if i >= len(data) {
			return n, 0, 0, false, errEOF(data)
		}
		switch data[i] {
		case '}':
			return n, resume, i + 1, more, nil
		case ',':
			i = skipSpace(data, i+1)
		default:
			return n, 0, 0, false, errChar(data, i, "after object key:value pair")
		}
	}
}

// Array is Object for arrays: fn gets each element's raw bytes, a subslice
// of data without surrounding whitespace, only after the whole input has
// been validated.
func Array(data []byte, fn func(elem []byte) error) error {
	start, err := expect(data, KindArray)
	if err != nil {
		return err
	}
	var buf [batch]span
	n, resume, end, more, err := scanElements(data, start+1, false, buf[:], true)
	if err != nil {
		return err
	}
	if err := checkEnd(data, end); err != nil {
		return err
	}
	for {
		for _, s := range buf[:n] {
			if err := fn(data[s.start:s.end]); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
		n, resume, _, more, err = scanElements(data, resume, true, buf[:], false)
		if err != nil {
			return err // unreachable: the first pass validated everything
		}
	}
}

// scanElements is scanMembers for arrays.
func scanElements(data []byte, i int, afterValue bool, buf []span, all bool) (n, resume, end int, more bool, err error) {
	if !afterValue {
		i = skipSpace(data, i)
		if i >= len(data) {
			return 0, 0, 0, false, errEOF(data)
		}
		if data[i] == ']' {
			return 0, 0, i + 1, false, nil
		}
	}
	for {
		if !afterValue {
			if n == len(buf) {
				more = true
				if !all {
					return n, resume, 0, true, nil
				}
			}
			start := i
			if i, err = scanValue(data, i, 1); err != nil {
				return n, 0, 0, false, err
			}
			if n < len(buf) {
				buf[n] = span{start: start, end: i}
				n++
				resume = i
			}
		}
		afterValue = false
		i = skipSpace(data, i)
		if i >= len(data) {
			return n, 0, 0, false, errEOF(data)
		}
		switch data[i] {
		case ']':
			return n, resume, i + 1, more, nil
		case ',':
			i = skipSpace(data, i+1)
		default:
			return n, 0, 0, false, errChar(data, i, "after array element")
		}
	}
}

// expect returns the offset of the value in data if it starts like a value
// of kind want. Otherwise it validates the whole input so that malformed
// JSON is reported as such, and only then reports the kind mismatch.
func expect(data []byte, want Kind) (int, error) {
	i := skipSpace(data, 0)
	if i >= len(data) {
		return i, errEOF(data)
	}
	got := KindOf(data[i:])
	if got == want {
		return i, nil
	}
	if err := scanDocument(data); err != nil {
		return i, err
	}
	return i, &SyntaxError{Offset: i, Msg: "expected " + want.String() + ", found " + got.String()}
}
