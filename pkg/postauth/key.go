package postauth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/cognito-triggers/suite/pkg/jsonscan"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// maxSubLen bounds the sub. Cognito's is a 36-character UUID; the bound
// keeps a forged event from writing an oversized key or log line.
const maxSubLen = 128

// signIn is what the audit needs from a post authentication request.
type signIn struct {
	sub       string
	newDevice bool
	// metadata is request.clientMetadata in canonical form (see
	// appendCanonical); "{}" when absent, null or empty.
	metadata []byte
}

var requestFields = []string{"userAttributes", "newDeviceUsed", "clientMetadata"}
var subAttr = []string{"sub"}

// parseRequest reads request.userAttributes.sub, request.newDeviceUsed and
// request.clientMetadata. Cognito always sends a sub for a user who has just
// signed in; without one there is nothing to key the audit item on, so the
// event is refused as malformed. newDeviceUsed may be absent or null (it is
// only meaningful when the pool remembers devices) and then reads false.
// scratch is reused for the canonical metadata.
func parseRequest(req []byte, scratch []byte) (signIn, error) {
	var raw [3][]byte
	if err := triggers.Fields(req, requestFields, raw[:]); err != nil {
		return signIn{}, err
	}
	var in signIn
	if raw[0] == nil || jsonscan.KindOf(raw[0]) != jsonscan.KindObject {
		return in, fmt.Errorf("%w: request.userAttributes is not an object", triggers.ErrMalformedEvent)
	}
	var sub [1]string
	if err := triggers.Strings(raw[0], subAttr, sub[:]); err != nil {
		return in, err
	}
	if err := checkSub(sub[0]); err != nil {
		return in, err
	}
	in.sub = sub[0]
	if v := raw[1]; v != nil && !jsonscan.IsNull(v) {
		b, err := jsonscan.Bool(v)
		if err != nil {
			return in, fmt.Errorf("%w: request.newDeviceUsed is not a boolean", triggers.ErrMalformedEvent)
		}
		in.newDevice = b
	}
	switch v := raw[2]; {
	case v == nil || jsonscan.IsNull(v):
		in.metadata = append(scratch[:0], "{}"...)
	case jsonscan.KindOf(v) != jsonscan.KindObject:
		return in, fmt.Errorf("%w: request.clientMetadata is not an object", triggers.ErrMalformedEvent)
	default:
		m, err := appendCanonical(scratch[:0], v, maxMetadataDepth)
		if err != nil {
			return in, fmt.Errorf("%w: request.clientMetadata: %w", triggers.ErrMalformedEvent, err)
		}
		in.metadata = m
	}
	return in, nil
}

// checkSub accepts 1 to maxSubLen printable ASCII characters without
// spaces. The sub becomes part of the partition key and of log lines; a
// Cognito sub is a lower-case UUID, so nothing real is refused.
func checkSub(sub string) error {
	if sub == "" {
		return fmt.Errorf("%w: userAttributes.sub is missing", triggers.ErrMalformedEvent)
	}
	if len(sub) > maxSubLen {
		return fmt.Errorf("%w: userAttributes.sub is longer than %d bytes", triggers.ErrMalformedEvent, maxSubLen)
	}
	for i := 0; i < len(sub); i++ {
		if c := sub[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("%w: userAttributes.sub has a character outside printable ASCII", triggers.ErrMalformedEvent)
		}
	}
	return nil
}

// keyVersion starts the hashed input, so that a future change of the
// canonical form cannot collide with keys written by this one.
const keyVersion = "postauth-idempotency-v1"

// idempotencyKey computes the key of a parsed event (see IdempotencyKey);
// scratch is reused for the hashed bytes.
func idempotencyKey(ev *triggers.Envelope, in *signIn, scratch []byte) string {
	b := append(scratch[:0], '[')
	b = jsonscan.AppendString(b, keyVersion)
	for _, s := range [...]string{ev.UserPoolID, ev.CallerContext.ClientID, string(ev.TriggerSource), in.sub} {
		b = append(b, ',')
		b = jsonscan.AppendString(b, s)
	}
	b = append(b, ',')
	b = strconv.AppendBool(b, in.newDevice)
	b = append(b, ',')
	b = append(b, in.metadata...)
	b = append(b, ']')
	sum := sha256.Sum256(b)
	var out [32]byte
	hex.Encode(out[:], sum[:16])
	return string(out[:])
}

// IdempotencyKey is the key of one post authentication delivery: the first
// 128 bits of SHA-256, in hex (32 characters), over a canonical JSON array
//
//	["postauth-idempotency-v1", userPoolId, callerContext.clientId,
//	 triggerSource, sub, newDeviceUsed, <canonical clientMetadata>]
//
// Why the content and not an id: the event carries neither an event id nor
// a timestamp, and a Cognito retry after a timeout is a new Lambda
// invocation with a new request id, so only the content can recognise it.
// Every field is decoded before hashing and the metadata is canonicalised
// (see appendCanonical; absent, null and {} are the same), so the key does
// not change with member order, whitespace or escaping: a retry that Cognito
// serialises differently is still recognised. JSON framing keeps adjacent
// fields apart.
//
// The decision computes the same key; this form, from the raw event, is for
// tests and for tools that reconcile the trail with its log lines.
func IdempotencyKey(event []byte) (string, error) {
	ev, err := triggers.ParseEnvelope(event)
	if err != nil {
		return "", err
	}
	in, err := parseRequest(ev.Request, nil)
	if err != nil {
		return "", err
	}
	return idempotencyKey(&ev, &in, nil), nil
}

// maxMetadataDepth bounds the nesting of clientMetadata, which Cognito
// documents as a flat map of strings. Each level re-validates what it
// holds, so the bound also keeps a forged, deeply nested event from costing
// more than a few passes over its bytes.
const maxMetadataDepth = 16

var errTooDeep = errors.New("nested too deeply")

// errDuplicateKey refuses an object with the same key twice: which copy
// counts differs between parsers, so such metadata has no single meaning.
var errDuplicateKey = errors.New("duplicate key")

// appendCanonical appends value in canonical JSON: no insignificant
// whitespace, object members sorted by their decoded keys (bytewise),
// strings decoded and re-encoded as encoding/json would, numbers and
// literals as written. Two values that mean the same map of strings thus
// have the same bytes. value must be valid JSON (jsonscan validates it
// before any callback). depth is how many more levels of objects and arrays
// may follow.
func appendCanonical(dst, value []byte, depth int) ([]byte, error) {
	kind := jsonscan.KindOf(value)
	if (kind == jsonscan.KindObject || kind == jsonscan.KindArray) && depth <= 0 {
		return dst, errTooDeep
	}
	switch kind {
	case jsonscan.KindObject:
		type member struct{ key, value []byte }
		var buf [8]member
		members := buf[:0]
		err := jsonscan.Object(value, func(m jsonscan.Member) error {
			members = append(members, member{m.Key, m.Value})
			return nil
		})
		if err != nil {
			return dst, err
		}
		slices.SortFunc(members, func(a, b member) int { return bytes.Compare(a.key, b.key) })
		dst = append(dst, '{')
		for i, m := range members {
			if i > 0 {
				if bytes.Equal(members[i-1].key, m.key) {
					return dst, fmt.Errorf("%w %q", errDuplicateKey, truncate(m.key, 64))
				}
				dst = append(dst, ',')
			}
			dst = jsonscan.AppendString(dst, string(m.key))
			dst = append(dst, ':')
			if dst, err = appendCanonical(dst, m.value, depth-1); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case jsonscan.KindArray:
		dst = append(dst, '[')
		first := true
		err := jsonscan.Array(value, func(elem []byte) error {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			var err error
			dst, err = appendCanonical(dst, elem, depth-1)
			return err
		})
		return append(dst, ']'), err
	case jsonscan.KindString:
		s, err := jsonscan.StringBytes(value)
		if err != nil {
			return dst, err
		}
		return jsonscan.AppendString(dst, string(s)), nil
	default: // number, true, false, null: already canonical once trimmed
		return append(dst, bytes.TrimSpace(value)...), nil
	}
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}
