package triggers

import "github.com/aws/aws-lambda-go/events"

// PostAuth is sent after a successful sign-in
// (PostAuthentication_Authentication), before tokens are issued. An error
// fails the sign-in although the password was right, so only a deliberate
// block should return one; audit or analytics failures must not.
type PostAuth struct {
	Header
	Request  PostAuthRequest  `json:"request"`
	Response PostAuthResponse `json:"response"`
}

// PostAuthRequest describes the user who signed in.
type PostAuthRequest struct {
	UserAttributes Attributes `json:"userAttributes,omitzero"`
	// NewDeviceUsed is only meaningful when the pool remembers devices
	// (Always or User Opt-In).
	NewDeviceUsed bool `json:"newDeviceUsed"`
	// ClientMetadata comes only from (Admin)RespondToAuthChallenge;
	// InitiateAuth's metadata never reaches this trigger.
	ClientMetadata Attributes `json:"clientMetadata,omitzero"`
}

// PostAuthResponse is empty: Cognito reads nothing back, and the
// aws-lambda-go type marshals to {} as Cognito sends it.
type PostAuthResponse = events.CognitoEventUserPoolsPostAuthenticationResponse
