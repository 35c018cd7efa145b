// Package pretokentest checks pre token generation answers, for the unit
// tests of package pretoken and the emulator tests of functions/pretoken.
//
// Its list of reserved claims is written out here rather than taken from
// package pretoken, so that a mistake in the package's list cannot hide
// itself from the tests.
package pretokentest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// reserved is contracts §3.6: claims a pre token trigger may not add,
// override or suppress; any "cognito:" claim is reserved too.
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
// groupConfiguration byte for byte, or absent when the request has none
// (or null) and always for client credentials: Cognito replaces the groups
// with the override and drops them for an empty or null one.
func GroupsCopied(in, out []byte) error {
	var req struct {
		TriggerSource string `json:"triggerSource"`
		Request       struct {
			Groups json.RawMessage `json:"groupConfiguration"`
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
	var got json.RawMessage
	switch {
	case resp.Response.V1 != nil:
		got = resp.Response.V1.Groups
	case resp.Response.V2 != nil:
		got = resp.Response.V2.Groups
	}
	want := req.Request.Groups
	if string(want) == "null" || req.TriggerSource == "TokenGeneration_ClientCredentials" {
		want = nil
	}
	if !bytes.Equal(got, want) {
		return errors.New("groupOverrideDetails is not a byte-exact copy of groupConfiguration:\n got: " + string(got) + "\nwant: " + string(want))
	}
	return nil
}
