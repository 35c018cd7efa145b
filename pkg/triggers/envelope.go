package triggers

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cognito-triggers/suite/pkg/jsonscan"
)

// Envelope is the part of an event that every trigger reads, taken from the
// raw bytes without decoding the whole event: the header, the raw request,
// and where the response sits so that the answer can be spliced in.
//
// Cognito waits for every trigger on the sign-in path, and encoding/json
// needs tens of microseconds and over a hundred allocations for a typical
// pre-token event; reading only what a decision needs and writing the
// response into the original bytes costs a fraction of that. The typed
// events in this package remain the reference for the wire format; tests
// check that both views agree.
//
// Parsing is stricter than encoding/json where leniency is dangerous
// (threat model A14): encoding/json matches struct keys case-insensitively
// and keeps the last duplicate, so an event with both "triggerSource" and
// "TRIGGERSOURCE" means different things to different parsers. Envelope
// refuses duplicate and case-variant copies of every key it reads.
type Envelope struct {
	Header
	// Request is the raw "request" object.
	Request []byte

	raw                []byte
	respStart, respEnd int // span of the "response" value; respStart < 0 when absent
}

// ErrMalformedEvent wraps every reason an event is refused before a
// trigger sees it.
var ErrMalformedEvent = errors.New("malformed event")

// ParseEnvelope reads the envelope of a trigger event.
func ParseEnvelope(data []byte) (Envelope, error) {
	var ev Envelope
	err := ParseEnvelopeInto(&ev, data)
	return ev, err
}

var envelopeKeys = []string{"version", "triggerSource", "region", "userPoolId", "userName", "callerContext", "request", "response"}

// ParseEnvelopeInto is ParseEnvelope writing into ev, so the hot path can
// keep the Envelope on the stack.
func ParseEnvelopeInto(ev *Envelope, data []byte) error {
	*ev = Envelope{raw: data, respStart: -1}
	var raw [8][]byte
	var starts [8]int
	if err := fields(data, envelopeKeys, raw[:], starts[:]); err != nil {
		return err
	}
	var err error
	str := func(i int, required bool) string {
		v := raw[i]
		if v == nil || (!required && jsonscan.IsNull(v)) {
			if required && err == nil {
				err = fmt.Errorf("%w: %q is missing", ErrMalformedEvent, envelopeKeys[i])
			}
			return ""
		}
		s, serr := jsonscan.String(v)
		if serr != nil && err == nil {
			err = fmt.Errorf("%w: %q is not a string", ErrMalformedEvent, envelopeKeys[i])
		}
		return s
	}
	ev.Version = str(0, true)
	source := str(1, true)
	ev.Region = str(2, false)
	ev.UserPoolID = str(3, true)
	ev.UserName = str(4, false)
	if err != nil {
		return err
	}
	if ev.TriggerSource, err = ParseSource(source); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedEvent, err)
	}
	if raw[5] == nil || jsonscan.KindOf(raw[5]) != jsonscan.KindObject {
		return fmt.Errorf("%w: \"callerContext\" is not an object", ErrMalformedEvent)
	}
	var cc [2][]byte
	if err := fields(raw[5], []string{"awsSdkVersion", "clientId"}, cc[:], nil); err != nil {
		return err
	}
	for i, dst := range []*string{&ev.CallerContext.AWSSDKVersion, &ev.CallerContext.ClientID} {
		if cc[i] == nil || jsonscan.IsNull(cc[i]) {
			continue
		}
		s, serr := jsonscan.String(cc[i])
		if serr != nil {
			return fmt.Errorf("%w: callerContext member is not a string", ErrMalformedEvent)
		}
		*dst = s
	}
	if raw[6] == nil || jsonscan.KindOf(raw[6]) != jsonscan.KindObject {
		return fmt.Errorf("%w: \"request\" is not an object", ErrMalformedEvent)
	}
	ev.Request = raw[6]
	if raw[7] != nil {
		ev.respStart = starts[7]
		ev.respEnd = starts[7] + len(raw[7])
	}
	return nil
}

// Raw returns the event as received.
func (e *Envelope) Raw() []byte { return e.raw }

// WithResponse returns the event with its "response" value replaced by
// resp (which must be valid JSON), everything else byte for byte as Cognito
// sent it. When the event had no response member, one is added.
func (e *Envelope) WithResponse(resp []byte) []byte {
	if e.respStart < 0 {
		// Insert before the final '}' of the top-level object.
		end := len(e.raw) - 1
		for end > 0 && e.raw[end] != '}' {
			end--
		}
		out := make([]byte, 0, len(e.raw)+len(resp)+16)
		out = append(out, e.raw[:end]...)
		out = append(out, `,"response":`...)
		out = append(out, resp...)
		return append(out, e.raw[end:]...)
	}
	out := make([]byte, 0, len(e.raw)-(e.respEnd-e.respStart)+len(resp))
	out = append(out, e.raw[:e.respStart]...)
	out = append(out, resp...)
	return append(out, e.raw[e.respEnd:]...)
}

// Fields reads members of a JSON object that are decoded as struct fields
// elsewhere (the typed events, encoding/json): dst[i] receives the raw value
// of names[i], or nil when absent. A duplicate, or a case variant of a name
// (which encoding/json would also match), is an error.
func Fields(obj []byte, names []string, dst [][]byte) error { return fields(obj, names, dst, nil) }

// fields is Fields that also records each value's offset in obj when starts
// is not nil.
func fields(obj []byte, names []string, dst [][]byte, starts []int) error {
	for i := range dst {
		dst[i] = nil
	}
	err := jsonscan.Object(obj, func(m jsonscan.Member) error {
		for i, name := range names {
			if string(m.Key) == name {
				if dst[i] != nil {
					return fmt.Errorf("%w: duplicate %q", ErrMalformedEvent, name)
				}
				dst[i] = m.Value
				if starts != nil {
					starts[i] = m.Start
				}
				return nil
			}
			// encoding/json matches keys with Unicode simple folding, so
			// "triggerſource" (long s) or a Kelvin-sign "K" selects the
			// same field; strings.EqualFold folds the same way.
			if strings.EqualFold(string(m.Key), name) {
				return fmt.Errorf("%w: %q is a case variant of %q", ErrMalformedEvent, truncate(string(m.Key), 64), name)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrMalformedEvent) {
		return fmt.Errorf("%w: %w", ErrMalformedEvent, err)
	}
	return err
}

// Strings reads string members of a JSON object that is a map on the wire
// (userAttributes, clientMetadata): dst[i] receives the value of names[i],
// "" when absent or null. Keys match exactly, as map keys do; a duplicate of
// a wanted key is an error, because which copy "wins" differs between
// parsers. Booleans are read as "true"/"false", since some events carry
// them where strings are documented. A nil or null obj reads as empty.
func Strings(obj []byte, names []string, dst []string) error {
	for i := range dst {
		dst[i] = ""
	}
	if len(obj) == 0 || jsonscan.IsNull(obj) {
		return nil
	}
	var seen uint64
	err := jsonscan.Object(obj, func(m jsonscan.Member) error {
		for i, name := range names {
			if string(m.Key) != name {
				continue
			}
			if i < 64 {
				if seen&(1<<i) != 0 {
					return fmt.Errorf("%w: duplicate attribute %q", ErrMalformedEvent, name)
				}
				seen |= 1 << i
			}
			switch jsonscan.KindOf(m.Value) {
			case jsonscan.KindString:
				s, err := jsonscan.String(m.Value)
				if err != nil {
					return err
				}
				dst[i] = s
			case jsonscan.KindBool:
				if m.Value[0] == 't' {
					dst[i] = "true"
				} else {
					dst[i] = "false"
				}
			case jsonscan.KindNull:
			default:
				return fmt.Errorf("%w: attribute %q is not a string", ErrMalformedEvent, name)
			}
			return nil
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrMalformedEvent) {
		return fmt.Errorf("%w: %w", ErrMalformedEvent, err)
	}
	return err
}
