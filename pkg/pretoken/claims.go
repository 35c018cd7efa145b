package pretoken

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The claims this trigger adds, to the ID token and (V2/V3) the access
// token. Backends read these, never custom:tenant_id: custom attributes are
// writable by the user unless the pool forbids it.
const (
	ClaimTenantID = "tenant_id"
	ClaimAppRole  = "app_role"
)

// alwaysSuppressed are the client-writable look-alikes of the two claims.
// A user who sets custom:tenant_id with UpdateUserAttributes gets it into
// the ID token by default; suppressing it means a backend that reads the
// wrong claim finds nothing rather than the attacker's value.
var alwaysSuppressed = []string{"custom:tenant_id", "custom:app_role"}

// Limits on what a response adds.
const (
	// MaxAddition bounds the added claims and scopes together, JSON-encoded
	// as the response writes them: tokens travel in headers and cookies
	// with limits of a few kilobytes.
	MaxAddition = 1024
	// MaxScopes and MaxScopeLen bound a client#'s scopes.
	MaxScopes   = 50
	MaxScopeLen = 256
)

// reservedClaims are the claims Cognito does not let a pre token trigger
// add, override or suppress; any other "cognito:" claim is reserved too. Touching one is at best ignored, at worst fails every token
// issue, so none may ever appear in a response.
var reservedClaims = map[string]bool{
	"acr": true, "amr": true, "at_hash": true, "aud": true, "auth_time": true, "azp": true,
	"client_id": true, "cognito:username": true, "device_key": true, "event_id": true,
	"exp": true, "iat": true, "identities": true, "iss": true, "jti": true, "nbf": true,
	"nonce": true, "origin_jti": true, "sub": true, "token_use": true, "username": true,
	"version": true,
}

// IsReserved reports whether name is a claim no response may touch.
// Matching ignores ASCII case: a near-miss such as "SUB" is refused too,
// because nothing good comes of a claim that differs from a reserved one
// only in case.
func IsReserved(name string) bool {
	l := strings.ToLower(name)
	return reservedClaims[l] || strings.HasPrefix(l, "cognito:")
}

// parseSuppress checks SUPPRESS_CLAIMS entries and returns the full list
// to suppress: the built-in look-alikes first, then the entries, without
// duplicates.
func parseSuppress(extra []string) ([]string, error) {
	out := append([]string(nil), alwaysSuppressed...)
	var bad []string
	for _, name := range extra {
		switch {
		case !validClaimName(name):
			bad = append(bad, fmt.Sprintf("%.64q is not a claim name (printable ASCII without spaces, quotes or backslashes, at most 128 bytes)", name))
		case IsReserved(name):
			bad = append(bad, fmt.Sprintf("%q is a reserved claim that Cognito does not allow a trigger to suppress", name))
		case name == ClaimTenantID || name == ClaimAppRole:
			bad = append(bad, fmt.Sprintf("%q is added by this trigger; suppressing it would remove it (suppression wins)", name))
		case !slices.Contains(out, name):
			out = append(out, name)
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	return out, nil
}

func validClaimName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == ',' {
			return false
		}
	}
	return true
}

// validKey accepts what Cognito uses as a sub or app client id (visible
// ASCII, at most 256 bytes); anything else is not Cognito's and must not
// become a table key.
func validKey(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// validSub is validKey for a user's sub, refusing also a sub that reads
// as a JSON value (a number, true, an object...): triggers.Attributes
// keeps an attribute that is not a string as its JSON text, so such a sub
// was not a string in the event, and no Cognito sub (a UUID) looks like
// one.
func validSub(s string) bool { return validKey(s) && !jsontext.Value(s).IsValid() }

// valueProblem says what is wrong with a tenant or role value from the
// table, or "" when it may go into a token: a non-empty string of valid
// UTF-8 without control or invisible formatting characters (bidi
// overrides, zero-width spaces) and without surrounding white space. The
// table is trusted, but a broken row must not mint a token whose tenant
// looks like another one.
func valueProblem(s string) string {
	if s == "" {
		return "is empty or not a string"
	}
	// The common case, plain ASCII, without decoding runes.
	ascii := s[0] != ' ' && s[len(s)-1] != ' '
	for i := 0; ascii && i < len(s); i++ {
		ascii = s[i] >= ' ' && s[i] < 0x7f
	}
	if ascii {
		return ""
	}
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return "has leading or trailing white space"
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "contains a control or formatting character"
		}
	}
	return ""
}

// scopesProblem checks a client#'s scopes against Cognito's rule (no white
// space) and our bounds.
func scopesProblem(scopes []string) string {
	if len(scopes) > MaxScopes {
		return fmt.Sprintf("has %d scopes, more than %d", len(scopes), MaxScopes)
	}
	for i, s := range scopes {
		if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxScopeLen {
			return fmt.Sprintf("scope %d is empty, longer than %d characters or not UTF-8", i, MaxScopeLen)
		}
		for _, r := range s {
			if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				return fmt.Sprintf("scope %d contains white space or a control character", i)
			}
		}
	}
	return ""
}

// additionSize is the size of the added claims object and, when there are
// scopes, the added scopes array, encoded as the response encodes them
// (so an escaped character counts as the bytes it takes).
func additionSize(claims map[string]string, scopes []string) (int, error) {
	b, err := json.Marshal(claims)
	if err != nil {
		return 0, err
	}
	n := len(b)
	if len(scopes) > 0 {
		if b, err = json.Marshal(scopes); err != nil {
			return 0, err
		}
		n += len(b)
	}
	return n, nil
}
