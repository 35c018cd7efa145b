package postauth

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/cognito-triggers/suite/pkg/triggers"
)

// maxSubLen bounds the sub. Cognito's is a 36-character UUID; the bound
// keeps a forged event from writing an oversized key or log line.
const maxSubLen = 128

// checkSub accepts 1 to maxSubLen printable ASCII characters without
// spaces. Cognito always sends a sub for a user who has just signed in;
// without one there is nothing to key the audit item on, so such an event
// is not Cognito's and is refused as malformed. The sub becomes part of
// the partition key and of log lines; a Cognito sub is a lower-case UUID,
// so nothing real is refused.
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

// keyInput is the canonical JSON array the idempotency key hashes (see
// IdempotencyKey). encoding/json writes it: strings escaped the one way it
// escapes them (HTML-safe, U+2028 and U+2029 escaped, invalid UTF-8 as
// \ufffd) and map members sorted bytewise by key, which is exactly the form
// keys were computed in since the first release, so the keys in the dedupe
// markers of deployed tables keep matching their redeliveries.
func keyInput(ev *triggers.PostAuth, sub string) []byte {
	// Absent, null and {} metadata are the same: an empty, non-nil map
	// encodes as {}.
	meta := map[string]string(ev.Request.ClientMetadata)
	if meta == nil {
		meta = map[string]string{}
	}
	b, err := json.Marshal([...]any{keyVersion, ev.UserPoolID, ev.CallerContext.ClientID,
		string(ev.TriggerSource), sub, ev.Request.NewDeviceUsed, meta})
	if err != nil {
		// Strings, a bool and a map of strings always encode.
		panic("postauth: encode the idempotency key input: " + err.Error())
	}
	return b
}

// idempotencyKey is the key of an event whose sub has been checked.
func idempotencyKey(ev *triggers.PostAuth, sub string) string {
	sum := sha256.Sum256(keyInput(ev, sub))
	return hex.EncodeToString(sum[:16])
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
// Every field is decoded before hashing and the metadata is canonical
// (members sorted bytewise by key, every value a JSON string; absent, null
// and {} are the same), so the key does not change with member order,
// whitespace or escaping: a retry that Cognito serialises differently is
// still recognised. JSON framing keeps adjacent fields apart.
//
// Metadata values are strings in Cognito's model. A value of another type
// is keyed as its compact JSON text (see triggers.Attributes), so a hostile
// nested value costs one pass over its bytes and nothing more; such a key
// differs from the one releases before the typed event model computed.
//
// The decision computes the same key; this form, from the raw event, is for
// tests and for tools that reconcile the trail with its log lines.
func IdempotencyKey(event []byte) (string, error) {
	ev, err := triggers.Decode[triggers.PostAuth](event)
	if err != nil {
		return "", err
	}
	sub := ev.Request.UserAttributes.Get("sub")
	if err := checkSub(sub); err != nil {
		return "", err
	}
	return idempotencyKey(ev, sub), nil
}
