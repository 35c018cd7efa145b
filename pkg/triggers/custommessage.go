package triggers

import "github.com/go-json-experiment/json/jsontext"

// CustomMessage is sent before Cognito sends a code or an invitation by
// email or SMS, so that the function can write the message. Cognito does
// not call it for federated users. The message must keep the placeholders
// the request names; Cognito substitutes them after the function returns.
type CustomMessage struct {
	Header
	Request  CustomMessageRequest  `json:"request"`
	Response CustomMessageResponse `json:"response"`
	Unknown  jsontext.Value        `json:",embed"`
}

// Trigger implements Event.
func (*CustomMessage) Trigger() Trigger { return TriggerCustomMessage }

// CustomMessageRequest carries the placeholders the message must contain.
type CustomMessageRequest struct {
	// UserAttributes may include "sub", "cognito:user_status" and
	// "cognito:email_alias"; a value sent as a JSON boolean reads as
	// "true"/"false" (see Attributes.UnmarshalJSON).
	UserAttributes Attributes `json:"userAttributes,omitzero"`
	// CodeParameter is the placeholder for the code or temporary password,
	// typically "{####}"; it must appear in smsMessage and emailMessage.
	CodeParameter string `json:"codeParameter"`
	// LinkParameter is the placeholder for a verification link, such as
	// "{##Click Here##}", for pools that verify email by link. Cognito
	// sends it with some sources only; it is omitted when empty.
	// aws-lambda-go lacks the field and drops it.
	LinkParameter string `json:"linkParameter,omitzero"`
	// UsernameParameter is the username placeholder, "{username}", for
	// CustomMessage_AdminCreateUser, whose invitation must contain it; null
	// for every other source, which is kept on the way back.
	UsernameParameter *string        `json:"usernameParameter"`
	ClientMetadata    Attributes     `json:"clientMetadata,omitzero"`
	Unknown           jsontext.Value `json:",embed"`
}

// CustomMessageResponse arrives with all three fields null, and null is
// what tells Cognito to keep the message or subject configured on the pool,
// so an unset field is sent as null: the handler can customise the email
// and leave the SMS alone. aws-lambda-go sends "" instead, whose effect is
// not documented.
type CustomMessageResponse struct {
	// SMSMessage must contain the request's CodeParameter and be at most
	// 140 characters including the code.
	SMSMessage *string `json:"smsMessage"`
	// EmailMessage must contain the request's CodeParameter; HTML is
	// allowed, up to 20,000 characters. Cognito only honours it when the
	// pool sends email through SES (EmailSendingAccount DEVELOPER) and
	// answers InvalidLambdaResponseException otherwise.
	EmailMessage *string `json:"emailMessage"`
	// EmailSubject is 1 to 140 characters, under the same SES condition.
	EmailSubject *string        `json:"emailSubject"`
	Unknown      jsontext.Value `json:",embed"`
}
