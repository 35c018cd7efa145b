package pretokentest

import (
	"strings"
	"testing"
)

// TestLintClaims: the linter itself catches what it must.
func TestLintClaims(t *testing.T) {
	for _, tc := range []struct {
		name, response string
		want           string // substring of the problems; "" = clean
	}{
		{"clean v1", `{"claimsOverrideDetails":{"claimsToAddOrOverride":{"tenant_id":"a","app_role":"b"},"claimsToSuppress":["custom:tenant_id"]}}`, ""},
		{"clean v2", `{"claimsAndScopeOverrideDetails":{"idTokenGeneration":{"claimsToSuppress":["custom:x"]},"accessTokenGeneration":{"claimsToAddOrOverride":{"tenant_id":"a","app_role":"b"},"scopesToAdd":["s"]}}}`, ""},
		{"adds sub", `{"claimsOverrideDetails":{"claimsToAddOrOverride":{"sub":"x"}}}`, `reserved claim "sub"`},
		{"suppresses cognito:groups", `{"claimsAndScopeOverrideDetails":{"accessTokenGeneration":{"claimsToSuppress":["cognito:groups"]}}}`, "reserved"},
		{"suppresses Aud", `{"claimsAndScopeOverrideDetails":{"idTokenGeneration":{"claimsToSuppress":["Aud"]}}}`, "reserved"},
		{"adds another claim", `{"claimsOverrideDetails":{"claimsToAddOrOverride":{"tenant":"x"}}}`, "unexpected claim"},
		{"non-string value", `{"claimsAndScopeOverrideDetails":{"idTokenGeneration":{"claimsToAddOrOverride":{"tenant_id":1}}}}`, "not a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(LintClaims([]byte(`{"version":"2","response":`+tc.response+`}`)), "; ")
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("problems = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestGroupsCopied: the group check refuses every way of losing or
// changing groups, and accepts a re-encoded copy.
func TestGroupsCopied(t *testing.T) {
	const user = `{"triggerSource":"TokenGeneration_Authentication","request":{"groupConfiguration":`
	const m2m = `{"triggerSource":"TokenGeneration_ClientCredentials","request":{"groupConfiguration":`
	const groups = `{ "groupsToOverride":["a"], "iamRolesToOverride":[], "preferredRole":null }`
	for _, tc := range []struct {
		name, in, override string // override "" = none in the answer
		ok                 bool
	}{
		{"exact copy", user + groups + `}}`, groups, true},
		{"re-encoded copy", user + groups + `}}`, `{"groupsToOverride":["a"],"iamRolesToOverride":[],"preferredRole":null}`, true},
		{"null member left out", user + groups + `}}`, `{"groupsToOverride":["a"],"iamRolesToOverride":[]}`, true},
		{"override missing", user + groups + `}}`, "", false},
		{"a group lost", user + groups + `}}`, `{"groupsToOverride":[],"iamRolesToOverride":[]}`, false},
		{"a group added", user + groups + `}}`, `{"groupsToOverride":["a","admins"],"iamRolesToOverride":[]}`, false},
		{"a role granted", user + groups + `}}`, `{"groupsToOverride":["a"],"iamRolesToOverride":[],"preferredRole":"arn:x"}`, false},
		{"empty override", user + groups + `}}`, `{}`, false},
		{"null override", user + groups + `}}`, `null`, false},
		{"no groups, no override", user + `null}}`, "", true},
		{"no groups, an override", user + `null}}`, `{"groupsToOverride":["a"]}`, false},
		{"all-null groups, no override", user + `{"groupsToOverride":null,"preferredRole":null}}}`, "", true},
		{"client credentials never", m2m + groups + `}}`, groups, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := `{"response":{"claimsOverrideDetails":{}}}`
			if tc.override != "" {
				out = `{"response":{"claimsOverrideDetails":{"groupOverrideDetails":` + tc.override + `}}}`
			}
			err := GroupsCopied([]byte(tc.in), []byte(out))
			if (err == nil) != tc.ok {
				t.Errorf("GroupsCopied = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
