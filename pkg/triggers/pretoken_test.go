package triggers_test

import (
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// encodePart encodes part of an event the way Encode encodes the whole.
func encodePart(tb testing.TB, v any) string {
	tb.Helper()
	out, err := json.Marshal(v, json.FormatNilMapAsNull(true), json.FormatNilSliceAsNull(true), json.Deterministic(true))
	if err != nil {
		tb.Fatalf("marshal %T: %v", v, err)
	}
	return string(out)
}

// TestPreTokenResponseEncoding pins what an untouched or partly set
// response sends: never a groupOverrideDetails the handler did not set,
// because Cognito drops the user's groups on an empty or null one.
func TestPreTokenResponseEncoding(t *testing.T) {
	v1Claim := triggers.PreTokenV1Response{}
	v1Claim.Overrides().ClaimsToAddOrOverride.Set("tenant_id", "acme")
	v1Suppress := triggers.PreTokenV1Response{}
	v1Suppress.Overrides().ClaimsToSuppress = []string{"custom:tenant_id"}

	v2Access := triggers.PreTokenV2Response{}
	v2Access.Overrides().AccessToken().ClaimsToAddOrOverride.Set("tenant_id", "acme")
	v2Access.Overrides().AccessToken().ScopesToAdd = []string{"orders/read"}
	v2ID := triggers.PreTokenV2Response{}
	v2ID.Overrides().IDToken().ClaimsToAddOrOverride.Set("roles", []string{"viewer", "editor"})
	v2ID.Overrides().IDToken().ClaimsToSuppress = []string{"custom:tenant_id"}
	v2Scopes := triggers.PreTokenV2Response{}
	v2Scopes.Overrides().AccessToken().ScopesToSuppress = []string{"aws.cognito.signin.user.admin"}

	tests := []struct {
		name string
		resp any
		want string
	}{
		{"V1 zero", triggers.PreTokenV1Response{}, `{"claimsOverrideDetails":null}`},
		{"V1 empty details", triggers.PreTokenV1Response{ClaimsOverrideDetails: &triggers.ClaimsOverrideDetails{}}, `{"claimsOverrideDetails":{}}`},
		{"V1 claim", v1Claim, `{"claimsOverrideDetails":{"claimsToAddOrOverride":{"tenant_id":"acme"}}}`},
		{"V1 suppress", v1Suppress, `{"claimsOverrideDetails":{"claimsToSuppress":["custom:tenant_id"]}}`},
		{"V2 zero", triggers.PreTokenV2Response{}, `{"claimsAndScopeOverrideDetails":null}`},
		{"V2 empty details", triggers.PreTokenV2Response{ClaimsAndScopeOverrideDetails: &triggers.ClaimsAndScopeOverrideDetails{}}, `{"claimsAndScopeOverrideDetails":{}}`},
		{"V2 empty token parts", triggers.PreTokenV2Response{ClaimsAndScopeOverrideDetails: &triggers.ClaimsAndScopeOverrideDetails{
			IDTokenGeneration: &triggers.IDTokenGeneration{}, AccessTokenGeneration: &triggers.AccessTokenGeneration{},
		}}, `{"claimsAndScopeOverrideDetails":{"idTokenGeneration":{},"accessTokenGeneration":{}}}`},
		{"V2 access claim and scope", v2Access, `{"claimsAndScopeOverrideDetails":{"accessTokenGeneration":{"claimsToAddOrOverride":{"tenant_id":"acme"},"scopesToAdd":["orders/read"]}}}`},
		{"V2 complex ID claim", v2ID, `{"claimsAndScopeOverrideDetails":{"idTokenGeneration":{"claimsToAddOrOverride":{"roles":["viewer","editor"]},"claimsToSuppress":["custom:tenant_id"]}}}`},
		{"V2 scope suppress", v2Scopes, `{"claimsAndScopeOverrideDetails":{"accessTokenGeneration":{"scopesToSuppress":["aws.cognito.signin.user.admin"]}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, encodePart(t, tt.resp)); diff != "" {
				t.Errorf("encoding (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeepGroups(t *testing.T) {
	t.Run("V1", func(t *testing.T) {
		ev := decode[triggers.PreToken](t, testevent.Raw(t, "pretoken-v1-refresh-tokens.json")).V1
		ev.KeepGroups()
		got := ev.Response.ClaimsOverrideDetails.GroupOverrideDetails
		if diff := cmp.Diff(&ev.Request.GroupConfiguration, got); diff != "" {
			t.Fatalf("group override (-request +response):\n%s", diff)
		}
		// The copy must not alias the request.
		got.GroupsToOverride[0] = "changed"
		*got.PreferredRole = "changed"
		if ev.Request.GroupConfiguration.GroupsToOverride[0] == "changed" || *ev.Request.GroupConfiguration.PreferredRole == "changed" {
			t.Errorf("editing the override changed the request: %+v", ev.Request.GroupConfiguration)
		}
	})
	t.Run("V2 keeps empty lists", func(t *testing.T) {
		ev := decode[triggers.PreToken](t, testevent.Raw(t, v2)).V2
		ev.KeepGroups()
		want := `{"claimsAndScopeOverrideDetails":{"groupOverrideDetails":{"groupsToOverride":["us-east-1_EXAMPLE_Google"],"iamRolesToOverride":[],"preferredRole":null}}}`
		if diff := cmp.Diff(want, encodePart(t, ev.Response)); diff != "" {
			t.Errorf("response (-want +got):\n%s", diff)
		}
	})
	t.Run("V3 client credentials untouched", func(t *testing.T) {
		ev := decode[triggers.PreToken](t, testevent.Raw(t, m2m)).V2
		ev.KeepGroups()
		if ev.Response.ClaimsAndScopeOverrideDetails != nil {
			t.Errorf("response = %s, want null details for a machine token", encodePart(t, ev.Response))
		}
	})
}
