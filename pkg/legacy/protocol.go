package legacy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The protocol's result values.
const (
	ResultOK       = "ok"
	ResultInvalid  = "invalid"   // /verify: unknown user or wrong password, indistinguishably
	ResultNotFound = "not_found" // /lookup: unknown user
)

// errProtocol is the parent of every response the protocol does not allow.
var errProtocol = errors.New("response breaks the legacy protocol")

// response is the body of a 200 answer. result and username stay raw so
// that a missing, null or mistyped value can each be told apart: every
// other null reads as an absent member.
type response struct {
	Result jsontext.Value `json:"result"`
	User   *responseUser  `json:"user"`
}

type responseUser struct {
	Username            jsontext.Value    `json:"username"`
	Email               string            `json:"email"`
	EmailVerified       bool              `json:"email_verified"`
	PhoneNumber         string            `json:"phone_number"`
	PhoneNumberVerified bool              `json:"phone_number_verified"`
	Attributes          map[string]string `json:"attributes"`
}

// ParseResponse reads the body of a 200 answer to /verify or /lookup.
// result is ResultOK (user filled in) or the endpoint's "no" value.
//
// It is deliberately stricter than encoding/json, because a lenient parser
// would read a broken or hostile adapter's answer differently from what the
// adapter meant: member names match exactly (encoding/json would accept
// "Result" or "EMAIL_VERIFIED"), a duplicate member is refused
// (encoding/json keeps the last), unknown members and trailing data are
// refused, booleans must be JSON booleans ("email_verified": "true" is
// malformed, never coerced), and a result value the endpoint may not send
// is an error. null reads as an absent member, except for result and
// username. username must equal the name asked about: a profile for
// another name means the adapter read the wrong record.
//
// Errors name members, kinds and offsets, never values: a response can hold
// personal data.
func ParseResponse(body []byte, no, username string) (result string, u User, err error) {
	var r response
	if err := json.Unmarshal(body, &r, strict); err != nil {
		return "", User{}, describe(problemOf(err))
	}
	switch {
	case len(r.Result) == 0:
		return "", User{}, protocolErr("no \"result\" member")
	case r.Result.Kind() != '"':
		return "", User{}, protocolErr("\"result\" is %s, want a string", kindName(r.Result.Kind()))
	}
	if err := json.Unmarshal(r.Result, &result); err != nil {
		return "", User{}, protocolErr("\"result\" is not a valid string")
	}
	switch result {
	case ResultOK:
		if r.User == nil {
			return "", User{}, protocolErr("result %q without a user", result)
		}
		u, err = r.User.profile()
		if err != nil {
			return "", User{}, err
		}
		if u.Username != username {
			return "", User{}, protocolErr("the user's username is not the one asked about")
		}
		return result, u, nil
	case no:
		if r.User != nil {
			return "", User{}, protocolErr("result %q with a user", result)
		}
		return result, User{}, nil
	default:
		return "", User{}, protocolErr("result value not allowed here (want %q or %q)", ResultOK, no)
	}
}

func (w *responseUser) profile() (User, error) {
	switch {
	case len(w.Username) == 0:
		return User{}, protocolErr("user.username is missing or empty")
	case w.Username.Kind() == 'n':
		return User{}, protocolErr("user.username is null")
	case w.Username.Kind() != '"':
		return User{}, protocolErr("user.username is %s, want a string", kindName(w.Username.Kind()))
	}
	u := User{Email: w.Email, EmailVerified: w.EmailVerified, PhoneNumber: w.PhoneNumber, PhoneNumberVerified: w.PhoneNumberVerified}
	if err := json.Unmarshal(w.Username, &u.Username); err != nil || u.Username == "" {
		return User{}, protocolErr("user.username is missing or empty")
	}
	for name, v := range w.Attributes {
		if v == "" {
			continue // empty and null values are absent
		}
		if u.Attributes == nil {
			u.Attributes = map[string]string{}
		}
		u.Attributes[name] = v
	}
	return u, nil
}

func protocolErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errProtocol, fmt.Sprintf(format, args...))
}

// describe turns a decode problem into a protocol error that names only
// the protocol's own members.
func describe(p problem) error {
	where := memberPath(p.path)
	switch p.kind {
	case problemDuplicate:
		if strings.HasPrefix(where, "a member of ") {
			return protocolErr("duplicate member in %s", strings.TrimPrefix(where, "a member of "))
		}
		return protocolErr("duplicate member %s", where)
	case problemUnknown:
		return protocolErr("unknown member %s", where)
	case problemType:
		if len(p.path) == 0 {
			return protocolErr("body is %s, want an object", p.got)
		}
		return protocolErr("%s is %s, want %s", where, p.got, p.want)
	}
	return protocolErr("body is not valid JSON (offset %d)", p.offset)
}

// userMembers are the members of the user object.
var userMembers = [...]string{"username", "email", "email_verified", "phone_number", "phone_number_verified", "attributes"}

// memberPath names the member at path for an error: `"result"`, "user",
// "user.email_verified", "a member of user.attributes" (attribute names are
// the adapter's data), and for a name the protocol does not know, at most
// the known name it imitates.
func memberPath(path []string) string {
	switch {
	case len(path) == 0:
		return "body"
	case path[0] == "result":
		return `"result"`
	case path[0] != "user":
		return keyName(path[0])
	case len(path) == 1:
		return "user"
	case path[1] == "attributes" && len(path) > 2:
		return "a member of user.attributes"
	}
	for _, n := range userMembers {
		if path[1] == n {
			return "user." + n
		}
	}
	return "user." + keyName(path[1])
}

// knownMembers are the protocol's member names, which errors may quote.
var knownMembers = [...]string{"result", "user", "username", "email", "email_verified", "phone_number", "phone_number_verified", "attributes"}

// keyName describes a member name the protocol does not know without
// repeating it: a response's names are the adapter's data, and a broken
// adapter could put anything there. A case variant of a known name (the
// likely mistake) is named by the name it imitates.
func keyName(k string) string {
	for _, n := range knownMembers {
		if strings.EqualFold(k, n) {
			return "(a case variant of " + strconv.Quote(n) + ")"
		}
	}
	return "(name not shown)"
}
