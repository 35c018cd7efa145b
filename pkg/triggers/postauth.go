package triggers

import "github.com/go-json-experiment/json/jsontext"

// PostAuth is sent after a successful sign-in
// (PostAuthentication_Authentication), before tokens are issued. An error
// fails the sign-in although the password was right, so only a deliberate
// block should return one; audit or analytics failures must not.
type PostAuth struct {
	Header
	Request  PostAuthRequest  `json:"request"`
	Response PostAuthResponse `json:"response"`
	Unknown  jsontext.Value   `json:",embed"`
}

// Trigger implements Event.
func (*PostAuth) Trigger() Trigger { return TriggerPostAuthentication }

// PostAuthRequest describes the user who signed in.
type PostAuthRequest struct {
	UserAttributes Attributes `json:"userAttributes,omitzero"`
	// NewDeviceUsed is only meaningful when the pool remembers devices
	// (Always or User Opt-In).
	NewDeviceUsed bool `json:"newDeviceUsed"`
	// ClientMetadata comes only from (Admin)RespondToAuthChallenge;
	// InitiateAuth's metadata never reaches this trigger.
	ClientMetadata Attributes     `json:"clientMetadata,omitzero"`
	Unknown        jsontext.Value `json:",embed"`
}

// PostAuthResponse is empty: Cognito reads nothing back and sends {}.
type PostAuthResponse struct {
	Unknown jsontext.Value `json:",embed"`
}
