package triggers

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// GroupConfiguration is the user's groups and IAM roles as the request
// carries them, and the replacement a response may set. preferredRole is
// null when no group has a role.
type GroupConfiguration struct {
	GroupsToOverride   []string       `json:"groupsToOverride"`
	IAMRolesToOverride []string       `json:"iamRolesToOverride"`
	PreferredRole      *string        `json:"preferredRole"`
	Unknown            jsontext.Value `json:",embed"`
}

// PreToken is a pre token generation event of either shape, chosen by its
// version: V1 for "1" (LambdaVersion V1_0), V2 for "2" and "3" (V2_0 and
// V3_0, which share one shape). Exactly one of the two is set after a
// decode. Answering a V2 event in the V1 shape (or the reverse) would make
// Cognito ignore the claims or fail the token, so any other version is
// refused rather than guessed at.
type PreToken struct {
	V1 *PreTokenV1 `json:"-"`
	V2 *PreTokenV2 `json:"-"`
}

// Trigger implements Event.
func (*PreToken) Trigger() Trigger { return TriggerPreTokenGeneration }

// EventHeader implements Event.
func (e *PreToken) EventHeader() *Header {
	switch {
	case e.V1 != nil:
		return &e.V1.Header
	case e.V2 != nil:
		return &e.V2.Header
	}
	return new(Header)
}

// UnmarshalJSONFrom reads the version and decodes the event in its shape.
func (e *PreToken) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	var h struct {
		Version       string `json:"version"`
		TriggerSource Source `json:"triggerSource"`
	}
	if err := json.Unmarshal(raw, &h, dec.Options()); err != nil {
		return err
	}
	*e = PreToken{}
	m2m := h.TriggerSource == SourceTokenClientCredentials
	switch h.Version {
	case "1":
		if m2m {
			return fmt.Errorf("%w: %s is only sent to V3_0 triggers", ErrWrongVersion, h.TriggerSource)
		}
		e.V1 = new(PreTokenV1)
		return json.Unmarshal(raw, e.V1, dec.Options())
	case "2", "3":
		// Client credentials come only to V3_0 triggers, but the V3
		// version string is not documented and V2 and V3 share one
		// shape, so "2" is accepted for them as well.
		e.V2 = new(PreTokenV2)
		return json.Unmarshal(raw, e.V2, dec.Options())
	}
	return fmt.Errorf("%w: unknown version %.16q", ErrWrongVersion, h.Version)
}

// MarshalJSONTo writes the event in its shape.
func (e PreToken) MarshalJSONTo(enc *jsontext.Encoder) error {
	switch {
	case e.V1 != nil:
		return json.MarshalEncode(enc, e.V1)
	case e.V2 != nil:
		return json.MarshalEncode(enc, e.V2)
	}
	return errors.New("pre token event with neither shape")
}

// PreTokenV1 is the pre token generation event of a trigger configured
// with LambdaVersion V1_0 (event version "1"), which can only change ID
// token claims and the groups. Cognito calls it on every issue and refresh
// of tokens, for the TokenGeneration_* sources other than
// ClientCredentials.
type PreTokenV1 struct {
	Header
	Request  PreTokenV1Request  `json:"request"`
	Response PreTokenV1Response `json:"response"`
	Unknown  jsontext.Value     `json:",embed"`
}

// Trigger implements Event.
func (*PreTokenV1) Trigger() Trigger { return TriggerPreTokenGeneration }

// PreTokenV1Request describes the user the tokens are for.
type PreTokenV1Request struct {
	UserAttributes     Attributes         `json:"userAttributes,omitzero"`
	GroupConfiguration GroupConfiguration `json:"groupConfiguration,omitzero"`
	ClientMetadata     Attributes         `json:"clientMetadata,omitzero"`
	Unknown            jsontext.Value     `json:",embed"`
}

// PreTokenV1Response arrives as {"claimsOverrideDetails": null}, which is
// also the answer for "issue the tokens unchanged"; it stays null until
// Overrides is called.
type PreTokenV1Response struct {
	ClaimsOverrideDetails *ClaimsOverrideDetails `json:"claimsOverrideDetails"`
	Unknown               jsontext.Value         `json:",embed"`
}

// ClaimsOverrideDetails is a V1 change to the ID token. Each part is
// omitted until set: above all GroupOverrideDetails, because Cognito
// replaces the groups wholesale with what it finds there and drops them
// when the override is empty or null (aws-lambda-go always sends it).
type ClaimsOverrideDetails struct {
	// ClaimsToAddOrOverride takes string values only in V1.
	ClaimsToAddOrOverride Attributes          `json:"claimsToAddOrOverride,omitzero"`
	ClaimsToSuppress      []string            `json:"claimsToSuppress,omitzero"`
	GroupOverrideDetails  *GroupConfiguration `json:"groupOverrideDetails,omitzero"`
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

// UnmarshalJSONFrom reads the response, taking an empty array as null:
// AWS's documented sample events show the incoming override details as
// [], and an event copied from them must not fail token issue.
func (r *PreTokenV1Response) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	var raw struct {
		Details jsontext.Value `json:"claimsOverrideDetails"`
		Unknown jsontext.Value `json:",embed"`
	}
	if err := json.UnmarshalDecode(dec, &raw); err != nil {
		return err
	}
	*r = PreTokenV1Response{Unknown: raw.Unknown}
	if isNullish(raw.Details) {
		return nil
	}
	r.ClaimsOverrideDetails = new(ClaimsOverrideDetails)
	return json.Unmarshal(raw.Details, r.ClaimsOverrideDetails, dec.Options())
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
	Unknown  jsontext.Value     `json:",embed"`
}

// Trigger implements Event.
func (*PreTokenV2) Trigger() Trigger { return TriggerPreTokenGeneration }

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
	ClientMetadata Attributes     `json:"clientMetadata,omitzero"`
	Unknown        jsontext.Value `json:",embed"`
}

// PreTokenV2Response arrives as {"claimsAndScopeOverrideDetails": null},
// which is also the answer for "issue the tokens unchanged"; it stays null
// until Overrides is called.
type PreTokenV2Response struct {
	ClaimsAndScopeOverrideDetails *ClaimsAndScopeOverrideDetails `json:"claimsAndScopeOverrideDetails"`
	Unknown                       jsontext.Value                 `json:",embed"`
}

// ClaimsAndScopeOverrideDetails is a V2/V3 change to the tokens. Each part
// is omitted until set, for the reason given on ClaimsOverrideDetails: an
// emitted but empty groupOverrideDetails would drop the user's groups.
type ClaimsAndScopeOverrideDetails struct {
	IDTokenGeneration     *IDTokenGeneration     `json:"idTokenGeneration,omitzero"`
	AccessTokenGeneration *AccessTokenGeneration `json:"accessTokenGeneration,omitzero"`
	GroupOverrideDetails  *GroupConfiguration    `json:"groupOverrideDetails,omitzero"`
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

// UnmarshalJSONFrom reads the response, taking an empty array as null:
// AWS's documented V2 sample event shows "claimsAndScopeOverrideDetails":
// [], and an event copied from it must not fail token issue.
func (r *PreTokenV2Response) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	var raw struct {
		Details jsontext.Value `json:"claimsAndScopeOverrideDetails"`
		Unknown jsontext.Value `json:",embed"`
	}
	if err := json.UnmarshalDecode(dec, &raw); err != nil {
		return err
	}
	*r = PreTokenV2Response{Unknown: raw.Unknown}
	if isNullish(raw.Details) {
		return nil
	}
	r.ClaimsAndScopeOverrideDetails = new(ClaimsAndScopeOverrideDetails)
	return json.Unmarshal(raw.Details, r.ClaimsAndScopeOverrideDetails, dec.Options())
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
		Unknown:            slices.Clone(g.Unknown),
	}
	if g.PreferredRole != nil {
		role := *g.PreferredRole
		c.PreferredRole = &role
	}
	return c
}

// isNullish reports whether a raw member is absent, null or an empty
// array.
func isNullish(raw jsontext.Value) bool {
	v := bytes.TrimSpace(raw)
	if len(v) == 0 || string(v) == "null" {
		return true
	}
	return len(v) >= 2 && v[0] == '[' && v[len(v)-1] == ']' &&
		len(bytes.TrimSpace(v[1:len(v)-1])) == 0
}
