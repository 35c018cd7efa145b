package triggers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// ErrWrongVersion is returned for a pre token event of the other
// LambdaVersion: a V2/V3 event decoded as V1, a V1 event decoded as V2, or
// a client-credentials event (sent only to V3_0) decoded as V1. The shapes
// differ in the response, so a mismatch would otherwise decode cleanly and
// answer with overrides Cognito silently ignores.
var ErrWrongVersion = errors.New("event version does not match the decoder")

// DecodePreSignUp decodes a pre sign-up event. Every error wraps
// ErrMalformedEvent and, where it applies, ErrUnknownSource,
// ErrWrongTrigger or the encoding/json error (*json.SyntaxError,
// *json.UnmarshalTypeError), so callers can tell them apart with errors.Is
// and errors.As. The same holds for every Decode function.
func DecodePreSignUp(data []byte) (PreSignUp, error) {
	return decode[PreSignUp](data, TriggerPreSignUp, nil)
}

// DecodePreTokenV1 decodes a pre token generation event for a trigger
// configured with LambdaVersion V1_0. It refuses V2/V3 events and
// client-credentials events with ErrWrongVersion.
func DecodePreTokenV1(data []byte) (PreTokenV1, error) {
	return decode[PreTokenV1](data, TriggerPreTokenGeneration, func(h *Header) error {
		if h.TriggerSource == SourceTokenClientCredentials {
			return fmt.Errorf("%w: %s is only sent to V3_0 triggers", ErrWrongVersion, h.TriggerSource)
		}
		if h.Version == "2" || h.Version == "3" {
			return fmt.Errorf("%w: version %q is a V2/V3 event, want a V1 event", ErrWrongVersion, h.Version)
		}
		return nil
	})
}

// DecodePreTokenV2 decodes a pre token generation event for a trigger
// configured with LambdaVersion V2_0 or V3_0. It refuses V1 events with
// ErrWrongVersion. Only the known-wrong version is refused, not every
// version other than "2" and "3": AWS has not documented the V3 value, and
// refusing an unexpected one would fail every sign-in.
func DecodePreTokenV2(data []byte) (PreTokenV2, error) {
	return decode[PreTokenV2](data, TriggerPreTokenGeneration, func(h *Header) error {
		if h.Version == "1" {
			return fmt.Errorf("%w: version %q is a V1 event, want a V2/V3 event", ErrWrongVersion, h.Version)
		}
		return nil
	})
}

// DecodePostAuth decodes a post authentication event.
func DecodePostAuth(data []byte) (PostAuth, error) {
	return decode[PostAuth](data, TriggerPostAuthentication, nil)
}

// DecodeMigrateUser decodes a user migration event. No error text contains
// the password.
func DecodeMigrateUser(data []byte) (MigrateUser, error) {
	return decode[MigrateUser](data, TriggerUserMigration, nil)
}

// DecodeCustomMessage decodes a custom message event.
func DecodeCustomMessage(data []byte) (CustomMessage, error) {
	return decode[CustomMessage](data, TriggerCustomMessage, nil)
}

// requiredKeys are the top-level members every event carries. The
// envelope refuses an event without them, and the typed decoders must
// agree with it about which events a handler may see.
var requiredKeys = []string{"version", "triggerSource", "userPoolId", "callerContext", "request"}

func decode[E any](data []byte, want Trigger, check func(*Header) error) (E, error) {
	var zero, e E
	fail := func(err error) (E, error) {
		return zero, fmt.Errorf("decode %s event: %w", reflect.TypeFor[E]().Name(), err)
	}
	switch trimmed := bytes.TrimSpace(data); {
	case len(trimmed) == 0:
		return fail(fmt.Errorf("%w: empty input", ErrMalformedEvent))
	case string(trimmed) == "null":
		return fail(fmt.Errorf("%w: event is null", ErrMalformedEvent))
	}
	if err := json.Unmarshal(data, &e); err != nil {
		return fail(fmt.Errorf("%w: %w", ErrMalformedEvent, err))
	}
	if err := checkRequired(data); err != nil {
		return fail(err)
	}
	if err := checkKeys(data, reflect.TypeFor[E](), ""); err != nil {
		return fail(err)
	}
	h := headerOf(&e)
	if h == nil {
		return fail(fmt.Errorf("%T is not an event type", e))
	}
	src, err := ParseSource(string(h.TriggerSource))
	if err != nil {
		return fail(fmt.Errorf("%w: %w", ErrMalformedEvent, err))
	}
	if got := src.Trigger(); got != want {
		return fail(fmt.Errorf("%w: %w: %s is a %s source", ErrMalformedEvent, ErrWrongTrigger, src, got))
	}
	if check != nil {
		if err := check(h); err != nil {
			return fail(fmt.Errorf("%w: %w", ErrMalformedEvent, err))
		}
	}
	return e, nil
}

// headerOf returns the header of one of the event types.
func headerOf(e any) *Header {
	switch e := e.(type) {
	case *PreSignUp:
		return &e.Header
	case *PreTokenV1:
		return &e.Header
	case *PreTokenV2:
		return &e.Header
	case *PostAuth:
		return &e.Header
	case *MigrateUser:
		return &e.Header
	case *CustomMessage:
		return &e.Header
	}
	return nil // unreachable: decode is only instantiated with the types above
}

// checkRequired refuses an event that lacks a required member or has it as
// null, which encoding/json would read as a zero value.
func checkRequired(data []byte) error {
	obj, ok := members(data)
	if !ok {
		return fmt.Errorf("%w: event is not an object", ErrMalformedEvent)
	}
	for _, name := range requiredKeys {
		found := false
		for _, m := range obj {
			if m.key == name {
				found = string(m.value) != "null"
				break
			}
		}
		if !found {
			return fmt.Errorf("%w: %q is missing or null", ErrMalformedEvent, name)
		}
	}
	return nil
}

// checkKeys refuses, in every JSON object that decodes into a struct or a
// map of t, a duplicate key and a key that matches a field only
// case-insensitively. encoding/json accepts both (the last duplicate wins,
// and keys match fields with Unicode case folding, so "triggerſource"
// sets TriggerSource), while other parsers of the same bytes, such as the
// envelope, read them differently or refuse them; Cognito sends neither.
// data has already been decoded, so it is valid JSON.
func checkKeys(data []byte, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct && t.Kind() != reflect.Map {
		return nil
	}
	obj, ok := members(data)
	if !ok {
		return nil // null or another kind; encoding/json has judged it
	}
	if t.Kind() == reflect.Map {
		seen := make(map[string]bool, len(obj))
		for _, m := range obj {
			if seen[m.key] {
				return fmt.Errorf("%w: duplicate key %q in %s", ErrMalformedEvent, truncate(m.key, 64), where(path))
			}
			seen[m.key] = true
		}
		return nil
	}
	fields := jsonFields(t)
	seen := make([]bool, len(fields))
members:
	for _, m := range obj {
		for i, f := range fields {
			if m.key != f.name {
				continue
			}
			if seen[i] {
				return fmt.Errorf("%w: duplicate key %q in %s", ErrMalformedEvent, f.name, where(path))
			}
			seen[i] = true
			if err := checkKeys(m.value, f.typ, join(path, f.name)); err != nil {
				return err
			}
			continue members
		}
		for _, f := range fields {
			if strings.EqualFold(m.key, f.name) {
				return fmt.Errorf("%w: key %q in %s is a case variant of %q", ErrMalformedEvent, truncate(m.key, 64), where(path), f.name)
			}
		}
	}
	return nil
}

type member struct {
	key   string
	value json.RawMessage
}

// members lists the members of a JSON object in input order, keys decoded
// as encoding/json decodes them. ok is false when data is not an object.
func members(data []byte) (obj []member, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, false
		}
		obj = append(obj, member{key, value})
	}
	return obj, true
}

type jsonField struct {
	name string
	typ  reflect.Type
}

// jsonFields lists the JSON members of struct type t as encoding/json
// sees them, with embedded structs (the Header) flattened.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name, f.Type})
	}
	return out
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func where(path string) string {
	if path == "" {
		return "the event"
	}
	return path
}
