package triggers

import (
	"fmt"
	"maps"

	"github.com/go-json-experiment/json/jsontext"
)

// Attributes is a string map as Cognito sends it: userAttributes,
// clientMetadata, validationData, and the V1 claims to add. Cognito omits
// or nulls the maps that are empty, so the methods treat a nil map as
// empty.
type Attributes map[string]string

// Get returns the value of name, or "" when the map is nil or lacks it.
func (a Attributes) Get(name string) string { return a[name] }

// Lookup returns the value of name and whether it is present.
func (a Attributes) Lookup(name string) (string, bool) {
	v, ok := a[name]
	return v, ok
}

// Set stores value under name, allocating the map when it is nil, so that a
// handler can write to a map Cognito sent as null.
func (a *Attributes) Set(name, value string) {
	if *a == nil {
		*a = make(Attributes)
	}
	(*a)[name] = value
}

// Clone returns a copy that does not share storage; nil stays nil.
func (a Attributes) Clone() Attributes { return maps.Clone(a) }

// UnmarshalJSONFrom reads a JSON object of strings. Cognito's attributes
// are strings in its data model, but custom message events have been seen
// with "phone_number_verified": true, so a value of another type is kept
// as its compact JSON text ("true", "42") instead of failing the decode,
// which would fail the user's sign-up or message. null, as a value, reads
// as "" the way encoding/json reads it into a string; null as the whole
// map reads as nil. Duplicate names are refused by the decoder.
func (a *Attributes) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		*a = nil
		return err
	case '{':
	default:
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		return fmt.Errorf("attributes are a JSON %s, not an object", v.Kind())
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	m := make(Attributes)
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		// A token is only valid until the next read.
		name := tok.String()
		switch dec.PeekKind() {
		case '"':
			v, err := dec.ReadToken()
			if err != nil {
				return err
			}
			m[name] = v.String()
		case 'n':
			if _, err := dec.ReadToken(); err != nil {
				return err
			}
			m[name] = ""
		default:
			v, err := dec.ReadValue()
			if err != nil {
				return err
			}
			v = v.Clone()
			if err := v.Compact(); err != nil {
				return err
			}
			m[name] = string(v)
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	*a = m
	return nil
}

// Claims are the claims to add or override in a V2/V3 token. Cognito
// accepts any JSON value there (string, number, boolean, array, object), so
// the values are any.
type Claims map[string]any

// Set stores value under name, allocating the map when it is nil.
func (c *Claims) Set(name string, value any) {
	if *c == nil {
		*c = make(Claims)
	}
	(*c)[name] = value
}
