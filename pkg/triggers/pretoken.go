package triggers

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/aws/aws-lambda-go/events"
)

// GroupConfiguration is the user's groups and IAM roles as the request
// carries them, and the replacement a response may set. preferredRole is
// null when no group has a role. The aws-lambda-go type matches the wire
// format; what it gets wrong is where the responses embed it, not the type.
type GroupConfiguration = events.GroupConfiguration

// PreTokenV1 is the pre token generation event of a trigger configured
// with LambdaVersion V1_0 (event version "1"), which can only change ID
// token claims and the groups. Cognito calls it on every issue and refresh
// of tokens, for the TokenGeneration_* sources other than
// ClientCredentials.
type PreTokenV1 struct {
	Header
	Request  PreTokenV1Request  `json:"request"`
	Response PreTokenV1Response `json:"response"`
}

// PreTokenV1Request describes the user the tokens are for.
type PreTokenV1Request struct {
	UserAttributes     Attributes         `json:"userAttributes,omitzero"`
	GroupConfiguration GroupConfiguration `json:"groupConfiguration"`
	ClientMetadata     Attributes         `json:"clientMetadata,omitzero"`
}

// PreTokenV1Response arrives as {"claimsOverrideDetails": null}, which is
// also the answer for "issue the tokens unchanged"; it stays null until
// Overrides is called.
type PreTokenV1Response struct {
	ClaimsOverrideDetails *ClaimsOverrideDetails `json:"claimsOverrideDetails"`
}

// ClaimsOverrideDetails is a V1 change to the ID token. Each part is
// omitted until set: above all GroupOverrideDetails, because Cognito
// replaces the groups wholesale with what it finds there and drops them
// when the override is empty or null (aws-lambda-go always sends it).
type ClaimsOverrideDetails struct {
	// ClaimsToAddOrOverride takes string values only in V1.
	ClaimsToAddOrOverride Attributes          `json:"claimsToAddOrOverride,omitzero"`
	ClaimsToSuppress      []string            `json:"claimsToSuppress,omitzero"`
	GroupOverrideDetails  *GroupConfiguration `json:"groupOverrideDetails,omitempty"`
}

// Overrides returns the response's override details, allocating them on
// first use so that a handler can write claims into a response Cognito
// sent as null.
func (r *PreTokenV1Response) Overrides() *ClaimsOverrideDetails {
	if r.ClaimsOverrideDetails == nil {
		r.ClaimsOverrideDetails = new(ClaimsOverrideDetails)
	}
	return r.ClaimsOverrideDetails
}

// UnmarshalJSON reads the response, taking an empty array as null: AWS's
// documented sample events show the incoming override details as [], and
// an event copied from them must not fail token issue.
func (r *PreTokenV1Response) UnmarshalJSON(data []byte) error {
	var raw struct {
		Details json.RawMessage `json:"claimsOverrideDetails"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*r = PreTokenV1Response{}
	if isNullish(raw.Details) {
		return nil
	}
	r.ClaimsOverrideDetails = new(ClaimsOverrideDetails)
	return json.Unmarshal(raw.Details, r.ClaimsOverrideDetails)
}

// KeepGroups copies the request's groups into the response's group
// override. Cognito documents an empty or null override as "drop the
// groups" and copying as the way to keep them; use it when a handler
// changes claims and must be sure the groups survive.
func (e *PreTokenV1) KeepGroups() {
	g := cloneGroups(e.Request.GroupConfiguration)
	e.Response.Overrides().GroupOverrideDetails = &g
}

// PreTokenV2 is the pre token generation event of a trigger configured
// with LambdaVersion V2_0 (event version "2") or V3_0 (event version "3");
// the two share one shape and differ in which tokens Cognito applies the
// answer to. V3_0 alone also receives TokenGeneration_ClientCredentials,
// a machine-to-machine token with no user: UserName, UserAttributes and
// GroupConfiguration are then absent and only accessTokenGeneration
// matters.
type PreTokenV2 struct {
	Header
	Request  PreTokenV2Request  `json:"request"`
	Response PreTokenV2Response `json:"response"`
}

// PreTokenV2Request describes the user, or for client credentials only
// the client, the tokens are for.
type PreTokenV2Request struct {
	UserAttributes Attributes `json:"userAttributes,omitzero"`
	// Scopes are the scopes the access token would carry.
	Scopes             []string           `json:"scopes,omitzero"`
	GroupConfiguration GroupConfiguration `json:"groupConfiguration,omitzero"`
	// ClientMetadata is set by whoever calls the API (for client
	// credentials, the aws_client_metadata form field). Cognito checks none
	// of it, so it must never decide a tenant or a role.
	ClientMetadata Attributes `json:"clientMetadata,omitzero"`
}

// PreTokenV2Response arrives as {"claimsAndScopeOverrideDetails": null},
// which is also the answer for "issue the tokens unchanged"; it stays null
// until Overrides is called.
type PreTokenV2Response struct {
	ClaimsAndScopeOverrideDetails *ClaimsAndScopeOverrideDetails `json:"claimsAndScopeOverrideDetails"`
}

// ClaimsAndScopeOverrideDetails is a V2/V3 change to the tokens. Each part
// is omitted until set, for the reason given on ClaimsOverrideDetails: an
// emitted but empty groupOverrideDetails would drop the user's groups.
type ClaimsAndScopeOverrideDetails struct {
	IDTokenGeneration     *IDTokenGeneration     `json:"idTokenGeneration,omitempty"`
	AccessTokenGeneration *AccessTokenGeneration `json:"accessTokenGeneration,omitempty"`
	GroupOverrideDetails  *GroupConfiguration    `json:"groupOverrideDetails,omitempty"`
}

// IDTokenGeneration changes the ID token. Cognito ignores it for client
// credentials, which issue no ID token.
type IDTokenGeneration struct {
	ClaimsToAddOrOverride Claims   `json:"claimsToAddOrOverride,omitzero"`
	ClaimsToSuppress      []string `json:"claimsToSuppress,omitzero"`
}

// AccessTokenGeneration changes the access token. Scopes must not contain
// whitespace; suppressing aws.cognito.signin.user.admin stops the token
// calling the user pool's self-service APIs.
type AccessTokenGeneration struct {
	ClaimsToAddOrOverride Claims   `json:"claimsToAddOrOverride,omitzero"`
	ClaimsToSuppress      []string `json:"claimsToSuppress,omitzero"`
	ScopesToAdd           []string `json:"scopesToAdd,omitzero"`
	ScopesToSuppress      []string `json:"scopesToSuppress,omitzero"`
}

// Overrides returns the response's override details, allocating them on
// first use so that a handler can write into a response Cognito sent as
// null.
func (r *PreTokenV2Response) Overrides() *ClaimsAndScopeOverrideDetails {
	if r.ClaimsAndScopeOverrideDetails == nil {
		r.ClaimsAndScopeOverrideDetails = new(ClaimsAndScopeOverrideDetails)
	}
	return r.ClaimsAndScopeOverrideDetails
}

// IDToken returns the ID token changes, allocating them on first use.
func (d *ClaimsAndScopeOverrideDetails) IDToken() *IDTokenGeneration {
	if d.IDTokenGeneration == nil {
		d.IDTokenGeneration = new(IDTokenGeneration)
	}
	return d.IDTokenGeneration
}

// AccessToken returns the access token changes, allocating them on first
// use.
func (d *ClaimsAndScopeOverrideDetails) AccessToken() *AccessTokenGeneration {
	if d.AccessTokenGeneration == nil {
		d.AccessTokenGeneration = new(AccessTokenGeneration)
	}
	return d.AccessTokenGeneration
}

// UnmarshalJSON reads the response, taking an empty array as null: AWS's
// documented V2 sample event shows "claimsAndScopeOverrideDetails": [], and
// an event copied from it must not fail token issue.
func (r *PreTokenV2Response) UnmarshalJSON(data []byte) error {
	var raw struct {
		Details json.RawMessage `json:"claimsAndScopeOverrideDetails"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*r = PreTokenV2Response{}
	if isNullish(raw.Details) {
		return nil
	}
	r.ClaimsAndScopeOverrideDetails = new(ClaimsAndScopeOverrideDetails)
	return json.Unmarshal(raw.Details, r.ClaimsAndScopeOverrideDetails)
}

// KeepGroups copies the request's groups into the response's group
// override, as Cognito documents for keeping them unchanged. It does
// nothing for client credentials: there is no user and no group, and what
// Cognito does with a group override on a machine token is not documented.
func (e *PreTokenV2) KeepGroups() {
	if e.TriggerSource == SourceTokenClientCredentials {
		return
	}
	g := cloneGroups(e.Request.GroupConfiguration)
	e.Response.Overrides().GroupOverrideDetails = &g
}

// cloneGroups copies g so that editing the response's override cannot
// change the request it came from.
func cloneGroups(g GroupConfiguration) GroupConfiguration {
	c := GroupConfiguration{
		GroupsToOverride:   slices.Clone(g.GroupsToOverride),
		IAMRolesToOverride: slices.Clone(g.IAMRolesToOverride),
	}
	if g.PreferredRole != nil {
		role := *g.PreferredRole
		c.PreferredRole = &role
	}
	return c
}

// isNullish reports whether a raw member is absent, null or an empty
// array.
func isNullish(raw json.RawMessage) bool {
	v := bytes.TrimSpace(raw)
	if len(v) == 0 || string(v) == "null" {
		return true
	}
	return len(v) >= 2 && v[0] == '[' && v[len(v)-1] == ']' &&
		len(bytes.TrimSpace(v[1:len(v)-1])) == 0
}
