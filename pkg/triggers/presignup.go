package triggers

import "github.com/go-json-experiment/json/jsontext"

// PreSignUp is sent before Cognito creates a user: on SignUp
// (PreSignUp_SignUp), AdminCreateUser (PreSignUp_AdminCreateUser) and the
// first sign-in of a federated user (PreSignUp_ExternalProvider). Returning
// an error is the only way to refuse the sign-up; Cognito shows the error
// text to the user as "PreSignUp failed with error <text>.".
type PreSignUp struct {
	Header
	Request  PreSignUpRequest  `json:"request"`
	Response PreSignUpResponse `json:"response"`
	Unknown  jsontext.Value    `json:",embed"`
}

// Trigger implements Event.
func (*PreSignUp) Trigger() Trigger { return TriggerPreSignUp }

// PreSignUpRequest is what the caller supplied. The user does not exist
// yet, so userAttributes has no "sub" and no "cognito:user_status"; for a
// federated user it holds the attributes mapped from the identity provider.
type PreSignUpRequest struct {
	UserAttributes Attributes `json:"userAttributes,omitzero"`
	// ValidationData is the caller's SignUp/AdminCreateUser ValidationData,
	// or InitiateAuth's ClientMetadata. Cognito never stores it and sends
	// null when there is none, which is kept on the way back.
	ValidationData Attributes     `json:"validationData"`
	ClientMetadata Attributes     `json:"clientMetadata,omitzero"`
	Unknown        jsontext.Value `json:",embed"`
}

// PreSignUpResponse arrives all false, and false is Cognito's own default,
// so always sending the three flags changes nothing. Cognito ignores them
// for PreSignUp_AdminCreateUser, and autoVerifyEmail/autoVerifyPhone fail
// the sign-up when the attribute is missing.
type PreSignUpResponse struct {
	AutoConfirmUser bool           `json:"autoConfirmUser"`
	AutoVerifyEmail bool           `json:"autoVerifyEmail"`
	AutoVerifyPhone bool           `json:"autoVerifyPhone"`
	Unknown         jsontext.Value `json:",embed"`
}
