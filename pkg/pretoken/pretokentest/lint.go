// Package pretokentest checks pre token generation answers, for the unit
// tests of package pretoken and the emulator tests of functions/pretoken.
//
// Its list of reserved claims is written out here rather than taken from
// package pretoken, so that a mistake in the package's list cannot hide
// itself from the tests.
package pretokentest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// reserved are the claims a pre token trigger may not add, override or
// suppress (Cognito ignores the change or fails the token); any
// "cognito:" claim is reserved too.
var reserved = []string{
	"acr", "amr", "at_hash", "aud", "auth_time", "azp", "client_id", "cognito:username",
	"device_key", "event_id", "exp", "iat", "identities", "iss", "jti", "nbf", "nonce",
	"origin_jti", "sub", "token_use", "username", "version",
}

// IsReserved reports whether a claim name is reserved, ignoring ASCII case.
func IsReserved(name string) bool {
	l := strings.ToLower(name)
	if strings.HasPrefix(l, "cognito:") {
		return true
	}
	for _, r := range reserved {
		if l == r {
			return true
		}
	}
	return false
}

// LintClaims walks every add and suppress list of an answered event's
// response, in both response shapes, and reports each reserved claim it
// finds, each added claim other than tenant_id and app_role, and each
// added value that is not a string. No problems: nil.
func LintClaims(out []byte) []string {
	var ev struct {
		Response map[string]json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(out, &ev); err != nil {
		return []string{"answer is not JSON: " + err.Error()}
	}
	var problems []string
	lintToken := func(where string, raw json.RawMessage) {
		if raw == nil {
			return
		}
		var tok struct {
			Add      map[string]any `json:"claimsToAddOrOverride"`
			Suppress []string       `json:"claimsToSuppress"`
		}
		if err := json.Unmarshal(raw, &tok); err != nil {
			problems = append(problems, where+": "+err.Error())
			return
		}
		for name, v := range tok.Add {
			if IsReserved(name) {
				problems = append(problems, fmt.Sprintf("%s adds reserved claim %q", where, name))
			}
			if name != "tenant_id" && name != "app_role" {
				problems = append(problems, fmt.Sprintf("%s adds unexpected claim %q", where, name))
			}
			if _, ok := v.(string); !ok {
				problems = append(problems, fmt.Sprintf("%s: claim %q is %T, not a string", where, name, v))
			}
		}
		for _, name := range tok.Suppress {
			if IsReserved(name) {
				problems = append(problems, fmt.Sprintf("%s suppresses reserved claim %q", where, name))
			}
		}
	}
	if raw, ok := ev.Response["claimsOverrideDetails"]; ok {
		lintToken("claimsOverrideDetails", raw)
	}
	if raw, ok := ev.Response["claimsAndScopeOverrideDetails"]; ok && string(raw) != "null" {
		var d map[string]json.RawMessage
		if err := json.Unmarshal(raw, &d); err != nil {
			return append(problems, "claimsAndScopeOverrideDetails: "+err.Error())
		}
		lintToken("idTokenGeneration", d["idTokenGeneration"])
		lintToken("accessTokenGeneration", d["accessTokenGeneration"])
	}
	return problems
}

// GroupsCopied checks that the answer's group override is the request's
// groupConfiguration, or absent. Cognito replaces the user's groups with
// the override and drops them for an empty or null one, so an override
// that differs from the request in any group, role or preferred role, or
// one missing where the request names any, loses or grants groups.
//
// The two are compared as JSON values: the answer is the event
// re-encoded, so its spacing may differ, and a member that is null in one
// and absent in the other is the same to Cognito. A request with no
// groupConfiguration, a null one, or one whose members are all null
// carries no groups and must get no override; neither must a client
// credentials event, which has no user.
func GroupsCopied(in, out []byte) error {
	var req struct {
		TriggerSource string `json:"triggerSource"`
		Request       struct {
			Groups any `json:"groupConfiguration"`
		} `json:"request"`
	}
	if err := json.Unmarshal(in, &req); err != nil {
		return err
	}
	var resp struct {
		Response struct {
			V1 *struct {
				Groups json.RawMessage `json:"groupOverrideDetails"`
			} `json:"claimsOverrideDetails"`
			V2 *struct {
				Groups json.RawMessage `json:"groupOverrideDetails"`
			} `json:"claimsAndScopeOverrideDetails"`
		} `json:"response"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return err
	}
	var raw json.RawMessage
	switch {
	case resp.Response.V1 != nil:
		raw = resp.Response.V1.Groups
	case resp.Response.V2 != nil:
		raw = resp.Response.V2.Groups
	}
	want := WithoutNulls(req.Request.Groups)
	if m, ok := want.(map[string]any); ok && len(m) == 0 || req.TriggerSource == "TokenGeneration_ClientCredentials" {
		want = nil
	}
	if raw == nil {
		if want != nil {
			return fmt.Errorf("no groupOverrideDetails, but the request has groups: %v", want)
		}
		return nil
	}
	var got any
	if err := json.Unmarshal(raw, &got); err != nil {
		return err
	}
	if want == nil {
		return errors.New("groupOverrideDetails " + string(raw) + " where the request has no groups")
	}
	if got = WithoutNulls(got); !reflect.DeepEqual(got, want) {
		return fmt.Errorf("groupOverrideDetails is not a copy of groupConfiguration:\n got: %v\nwant: %v", got, want)
	}
	return nil
}

// WithoutNulls removes the object members whose value is null, at every
// level: the typed encoder writes a member Cognito left out as null (and
// omits some that Cognito sent as null), and to Cognito the two are the
// same.
func WithoutNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if e != nil {
				out[k] = WithoutNulls(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = WithoutNulls(e)
		}
		return out
	}
	return v
}
