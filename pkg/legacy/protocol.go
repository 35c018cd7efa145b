package legacy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cognito-triggers/suite/pkg/jsonscan"
)

// The protocol's result values.
const (
	ResultOK       = "ok"
	ResultInvalid  = "invalid"   // /verify: unknown user or wrong password, indistinguishably
	ResultNotFound = "not_found" // /lookup: unknown user
)

// errProtocol is the parent of every response the protocol does not allow.
var errProtocol = errors.New("response breaks the legacy protocol")

// ParseResponse reads the body of a 200 answer to /verify or /lookup.
// result is ResultOK (user filled in) or the endpoint's "no" value.
//
// It is deliberately stricter than encoding/json (ASVS 5.0 1.5.3, 15.3.5):
// member names match exactly (encoding/json would accept "Result" or
// "EMAIL_VERIFIED"), a duplicate member is refused (encoding/json keeps the
// last), unknown members and trailing data are refused, booleans must be
// JSON booleans ("email_verified": "true" is malformed, never coerced), and
// a result value the endpoint may not send is an error. null reads as an
// absent member, except for result. username must equal the name asked
// about: a profile for another name means the adapter read the wrong record.
//
// Errors name members, kinds and offsets, never values: a response can hold
// personal data.
func ParseResponse(body []byte, no, username string) (result string, u User, err error) {
	var raw [2][]byte
	err = jsonscan.Object(body, func(m jsonscan.Member) error {
		i := -1
		switch string(m.Key) {
		case "result":
			i = 0
		case "user":
			i = 1
		default:
			return protocolErr("unknown member %s", keyName(m.Key))
		}
		if raw[i] != nil {
			return protocolErr("duplicate member %q", knownMembers[i])
		}
		raw[i] = m.Value
		return nil
	})
	if err != nil {
		return "", User{}, syntaxOr(err, "body")
	}
	if raw[0] == nil {
		return "", User{}, protocolErr("no \"result\" member")
	}
	result, err = jsonscan.String(raw[0])
	if err != nil {
		return "", User{}, protocolErr("\"result\" is a %s, want a string", jsonscan.KindOf(raw[0]))
	}
	switch result {
	case ResultOK:
		if raw[1] == nil || jsonscan.IsNull(raw[1]) {
			return "", User{}, protocolErr("result %q without a user", result)
		}
		u, err = parseUser(raw[1])
		if err != nil {
			return "", User{}, err
		}
		if u.Username != username {
			return "", User{}, protocolErr("the user's username is not the one asked about")
		}
		return result, u, nil
	case no:
		if raw[1] != nil && !jsonscan.IsNull(raw[1]) {
			return "", User{}, protocolErr("result %q with a user", result)
		}
		return result, User{}, nil
	default:
		return "", User{}, protocolErr("result value not allowed here (want %q or %q)", ResultOK, no)
	}
}

var userMembers = [...]string{"username", "email", "email_verified", "phone_number", "phone_number_verified", "attributes"}

func parseUser(obj []byte) (User, error) {
	if k := jsonscan.KindOf(obj); k != jsonscan.KindObject {
		return User{}, protocolErr("user is a %s, want an object", k)
	}
	var u User
	var seen [len(userMembers)]bool
	err := jsonscan.Object(obj, func(m jsonscan.Member) error {
		i := -1
		for j, n := range userMembers {
			if string(m.Key) == n {
				i = j
				break
			}
		}
		if i < 0 {
			return protocolErr("unknown member user.%s", keyName(m.Key))
		}
		if seen[i] {
			return protocolErr("duplicate member user.%s", userMembers[i])
		}
		seen[i] = true
		if jsonscan.IsNull(m.Value) {
			if i == 0 {
				return protocolErr("user.username is null")
			}
			return nil
		}
		var err error
		switch i {
		case 0:
			u.Username, err = str(m.Value, "user.username")
		case 1:
			u.Email, err = str(m.Value, "user.email")
		case 2:
			u.EmailVerified, err = boolean(m.Value, "user.email_verified")
		case 3:
			u.PhoneNumber, err = str(m.Value, "user.phone_number")
		case 4:
			u.PhoneNumberVerified, err = boolean(m.Value, "user.phone_number_verified")
		case 5:
			u.Attributes, err = attributes(m.Value)
		}
		return err
	})
	if err != nil {
		return User{}, syntaxOr(err, "user")
	}
	if !seen[0] || u.Username == "" {
		return User{}, protocolErr("user.username is missing or empty")
	}
	return u, nil
}

func attributes(obj []byte) (map[string]string, error) {
	if jsonscan.KindOf(obj) != jsonscan.KindObject {
		return nil, protocolErr("user.attributes is a %s, want an object", jsonscan.KindOf(obj))
	}
	attrs := map[string]string{}
	err := jsonscan.Object(obj, func(m jsonscan.Member) error {
		name := string(m.Key)
		if _, dup := attrs[name]; dup {
			return protocolErr("duplicate member in user.attributes")
		}
		if jsonscan.IsNull(m.Value) {
			attrs[name] = ""
			return nil
		}
		v, err := jsonscan.String(m.Value)
		if err != nil {
			return protocolErr("a member of user.attributes is a %s, want a string", jsonscan.KindOf(m.Value))
		}
		attrs[name] = v
		return nil
	})
	if err != nil {
		return nil, syntaxOr(err, "user.attributes")
	}
	for k, v := range attrs {
		if v == "" {
			delete(attrs, k)
		}
	}
	return attrs, nil
}

func str(v []byte, name string) (string, error) {
	s, err := jsonscan.String(v)
	if err != nil {
		return "", protocolErr("%s is a %s, want a string", name, jsonscan.KindOf(v))
	}
	return s, nil
}

// boolean refuses "true" and 1: a verified flag must be unambiguous.
func boolean(v []byte, name string) (bool, error) {
	b, err := jsonscan.Bool(v)
	if err != nil {
		return false, protocolErr("%s is a %s, want a boolean", name, jsonscan.KindOf(v))
	}
	return b, nil
}

func protocolErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errProtocol, fmt.Sprintf(format, args...))
}

// syntaxOr keeps protocol errors and reduces anything else (a jsonscan
// syntax error, whose message may quote a byte of the body) to where it
// happened.
func syntaxOr(err error, where string) error {
	if errors.Is(err, errProtocol) {
		return err
	}
	var se *jsonscan.SyntaxError
	if errors.As(err, &se) {
		return protocolErr("%s is not valid JSON (offset %d)", where, se.Offset)
	}
	return protocolErr("%s is not valid JSON", where)
}

// knownMembers are the protocol's member names, which errors may quote.
var knownMembers = [...]string{"result", "user", "username", "email", "email_verified", "phone_number", "phone_number_verified", "attributes"}

// keyName describes a member name the protocol does not know without
// repeating it: a response's names are the adapter's data, and a broken
// adapter could put anything there. A case variant of a known name (the
// likely mistake) is named by the name it imitates.
func keyName(k []byte) string {
	for _, n := range knownMembers {
		if strings.EqualFold(string(k), n) {
			return "(a case variant of " + strconv.Quote(n) + ")"
		}
	}
	return "(name not shown)"
}
