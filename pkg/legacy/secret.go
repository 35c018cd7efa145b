package legacy

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/cognito-triggers/suite/pkg/jsonscan"
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

// ParseSecret parses the secret JSON.
func ParseSecret(b []byte) (Secret, error) {
	var s Secret
	var seenKey, seenFirebase bool
	err := jsonscan.Object(b, func(m jsonscan.Member) error {
		switch string(m.Key) {
		case "api_key":
			if seenKey {
				return fmt.Errorf("%w: duplicate \"api_key\"", errSecret)
			}
			seenKey = true
			v, err := jsonscan.String(m.Value)
			if err != nil {
				return fmt.Errorf("%w: \"api_key\" is not a string", errSecret)
			}
			s.APIKey = v
		case "firebase":
			if seenFirebase {
				return fmt.Errorf("%w: duplicate \"firebase\"", errSecret)
			}
			seenFirebase = true
			p, err := parseFirebase(m.Value)
			if err != nil {
				return err
			}
			s.Firebase = p
		default:
			return fmt.Errorf("%w: unexpected member (only \"api_key\" and \"firebase\" are allowed)", errSecret)
		}
		return nil
	})
	if err != nil {
		if !errors.Is(err, errSecret) {
			// A jsonscan syntax error names an offset and at most one
			// character; keep only that it was not JSON.
			return Secret{}, fmt.Errorf("%w: not a JSON object", errSecret)
		}
		return Secret{}, err
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

func parseFirebase(v []byte) (*passhash.FirebaseParams, error) {
	var signer, sep string
	var rounds, memCost int
	var seen [4]bool
	names := [4]string{"signer_key", "salt_separator", "rounds", "mem_cost"}
	err := jsonscan.Object(v, func(m jsonscan.Member) error {
		i := -1
		for j, n := range names {
			if string(m.Key) == n {
				i = j
			}
		}
		if i < 0 {
			return fmt.Errorf("%w: unexpected member in \"firebase\"", errSecret)
		}
		if seen[i] {
			return fmt.Errorf("%w: duplicate firebase.%s", errSecret, names[i])
		}
		seen[i] = true
		var err error
		switch i {
		case 0:
			signer, err = jsonscan.String(m.Value)
		case 1:
			sep, err = jsonscan.String(m.Value)
		case 2:
			rounds, err = smallInt(m.Value)
		case 3:
			memCost, err = smallInt(m.Value)
		}
		if err != nil {
			return fmt.Errorf("%w: firebase.%s has the wrong type", errSecret, names[i])
		}
		return nil
	})
	if err != nil {
		if !errors.Is(err, errSecret) {
			return nil, fmt.Errorf("%w: \"firebase\" is not an object", errSecret)
		}
		return nil, err
	}
	for i, ok := range seen {
		if !ok {
			return nil, fmt.Errorf("%w: firebase.%s is missing", errSecret, names[i])
		}
	}
	// ParseFirebaseParams' errors give lengths and bounds, never key bytes.
	p, err := passhash.ParseFirebaseParams(signer, sep, rounds, memCost)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errSecret, err)
	}
	return p, nil
}

// smallInt reads a JSON integer written as plain digits ("8", not "8.0" or
// "8e0"), which is how every JSON encoder writes a small integer.
func smallInt(v []byte) (int, error) {
	if jsonscan.KindOf(v) != jsonscan.KindNumber || !jsonscan.Valid(v) {
		return 0, errSecret
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 0 || n > 1<<20 {
		return 0, errSecret
	}
	return n, nil
}
