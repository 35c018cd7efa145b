package legacy

import (
	"errors"
	"fmt"
	"slices"

	"github.com/go-json-experiment/json"

	"github.com/cognito-triggers/suite/pkg/passhash"
)

// Secret is the JSON held in the LEGACY_SECRET_ID secret:
//
//	{"api_key": "…"}                                   for the HTTP source
//	{"firebase": {"signer_key": "<base64>", "salt_separator": "<base64>",
//	              "rounds": 8, "mem_cost": 14}}       for Firebase scrypt hashes
//
// Both members may be present. Parsing is strict: unknown members, wrong
// types and duplicates are refused, so that a typo fails loudly at the
// first use instead of silently disabling verification.
type Secret struct {
	APIKey   string
	Firebase *passhash.FirebaseParams
}

// errSecret is the parent of every parse failure. Messages name members
// and types only: the input is the secret.
var errSecret = errors.New("malformed secret")

type secretJSON struct {
	APIKey   *string       `json:"api_key"`
	Firebase *firebaseJSON `json:"firebase"`
}

type firebaseJSON struct {
	SignerKey     *string `json:"signer_key"`
	SaltSeparator *string `json:"salt_separator"`
	Rounds        *int    `json:"rounds"`
	MemCost       *int    `json:"mem_cost"`
}

// ParseSecret parses the secret JSON.
func ParseSecret(b []byte) (Secret, error) {
	var w secretJSON
	if err := json.Unmarshal(b, &w, strict); err != nil {
		return Secret{}, secretProblem(problemOf(err))
	}
	var s Secret
	if w.APIKey != nil {
		s.APIKey = *w.APIKey
	}
	if w.Firebase != nil {
		p, err := w.Firebase.params()
		if err != nil {
			return Secret{}, err
		}
		s.Firebase = p
	}
	return s, nil
}

// ParseAPIKeySecret is ParseSecret for the HTTP source, which needs a
// non-empty api_key.
func ParseAPIKeySecret(b []byte) (Secret, error) {
	s, err := ParseSecret(b)
	if err != nil {
		return Secret{}, err
	}
	if s.APIKey == "" {
		return Secret{}, fmt.Errorf("%w: \"api_key\" is missing or empty", errSecret)
	}
	for i := 0; i < len(s.APIKey); i++ {
		// The key goes into an HTTP header; a control character or a
		// space there would be refused by net/http or split the header.
		if c := s.APIKey[i]; c <= ' ' || c >= 0x7f {
			return Secret{}, fmt.Errorf("%w: \"api_key\" must be printable ASCII without spaces", errSecret)
		}
	}
	return s, nil
}

func (f *firebaseJSON) params() (*passhash.FirebaseParams, error) {
	for _, m := range []struct {
		name string
		set  bool
	}{{"signer_key", f.SignerKey != nil}, {"salt_separator", f.SaltSeparator != nil}, {"rounds", f.Rounds != nil}, {"mem_cost", f.MemCost != nil}} {
		if !m.set {
			return nil, fmt.Errorf("%w: firebase.%s is missing", errSecret, m.name)
		}
	}
	// JSON numbers written as plain small integers only: passhash bounds
	// them further.
	for _, m := range []struct {
		name string
		v    int
	}{{"rounds", *f.Rounds}, {"mem_cost", *f.MemCost}} {
		if m.v < 0 || m.v > 1<<20 {
			return nil, fmt.Errorf("%w: firebase.%s has the wrong type", errSecret, m.name)
		}
	}
	// ParseFirebaseParams' errors give lengths and bounds, never key bytes.
	p, err := passhash.ParseFirebaseParams(*f.SignerKey, *f.SaltSeparator, *f.Rounds, *f.MemCost)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errSecret, err)
	}
	return p, nil
}

var firebaseMembers = []string{"signer_key", "salt_separator", "rounds", "mem_cost"}

// secretProblem names only the secret format's own members: an unknown
// member's name could be part of the secret.
func secretProblem(p problem) error {
	top := len(p.path) > 0 && (p.path[0] == "api_key" || p.path[0] == "firebase")
	inFirebase := len(p.path) > 1 && p.path[0] == "firebase"
	member := ""
	switch {
	case inFirebase && slices.Contains(firebaseMembers, p.path[1]):
		member = "firebase." + p.path[1]
	case top && len(p.path) == 1:
		member = `"` + p.path[0] + `"`
	}
	switch {
	case p.kind == problemUnknown && inFirebase:
		return fmt.Errorf("%w: unexpected member in \"firebase\"", errSecret)
	case p.kind == problemUnknown:
		return fmt.Errorf("%w: unexpected member (only \"api_key\" and \"firebase\" are allowed)", errSecret)
	case p.kind == problemDuplicate && member != "":
		return fmt.Errorf("%w: duplicate %s", errSecret, member)
	case p.kind == problemDuplicate:
		return fmt.Errorf("%w: duplicate member", errSecret)
	case p.kind == problemType && member == `"api_key"`:
		return fmt.Errorf("%w: \"api_key\" is not a string", errSecret)
	case p.kind == problemType && member == `"firebase"`:
		return fmt.Errorf("%w: \"firebase\" is not an object", errSecret)
	case p.kind == problemType && member != "":
		return fmt.Errorf("%w: %s has the wrong type", errSecret, member)
	}
	return fmt.Errorf("%w: not a JSON object", errSecret)
}
