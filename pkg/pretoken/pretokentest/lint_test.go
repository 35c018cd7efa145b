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

func TestGroupsCopied(t *testing.T) {
	in := []byte(`{"triggerSource":"TokenGeneration_Authentication","request":{"groupConfiguration":{ "groupsToOverride":["a"] }}}`)
	if err := GroupsCopied(in, []byte(`{"response":{"claimsOverrideDetails":{"groupOverrideDetails":{ "groupsToOverride":["a"] }}}}`)); err != nil {
		t.Error(err)
	}
	if err := GroupsCopied(in, []byte(`{"response":{"claimsOverrideDetails":{"groupOverrideDetails":{"groupsToOverride":["a"]}}}}`)); err == nil {
		t.Error("a re-encoded copy passed as byte-exact")
	}
	if err := GroupsCopied(in, []byte(`{"response":{"claimsOverrideDetails":{}}}`)); err == nil {
		t.Error("a missing override passed")
	}
}
