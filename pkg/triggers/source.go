package triggers

import (
	"errors"
	"fmt"
)

// Trigger names one of the five user-pool triggers this suite implements. A
// function serves exactly one trigger; the invocation layer refuses events of
// any other trigger, so a mis-attached function fails loudly instead of
// answering with the wrong shape.
type Trigger string

// The triggers, named as in the user pool's LambdaConfig.
const (
	TriggerPreSignUp          Trigger = "PreSignUp"
	TriggerPreTokenGeneration Trigger = "PreTokenGeneration"
	TriggerPostAuthentication Trigger = "PostAuthentication"
	TriggerUserMigration      Trigger = "UserMigration"
	TriggerCustomMessage      Trigger = "CustomMessage"
)

// Source is the event's triggerSource: which trigger fired and why.
type Source string

// Every triggerSource Cognito sends to the five triggers.
const (
	SourcePreSignUpSignUp           Source = "PreSignUp_SignUp"
	SourcePreSignUpAdminCreateUser  Source = "PreSignUp_AdminCreateUser"
	SourcePreSignUpExternalProvider Source = "PreSignUp_ExternalProvider"

	SourceTokenHostedAuth           Source = "TokenGeneration_HostedAuth"
	SourceTokenAuthentication       Source = "TokenGeneration_Authentication"
	SourceTokenNewPasswordChallenge Source = "TokenGeneration_NewPasswordChallenge"
	SourceTokenAuthenticateDevice   Source = "TokenGeneration_AuthenticateDevice"
	SourceTokenRefreshTokens        Source = "TokenGeneration_RefreshTokens"
	// SourceTokenClientCredentials is a machine-to-machine token; Cognito only
	// sends it to functions configured with LambdaVersion V3_0.
	SourceTokenClientCredentials Source = "TokenGeneration_ClientCredentials"

	SourcePostAuthentication Source = "PostAuthentication_Authentication"

	SourceMigrateAuthentication Source = "UserMigration_Authentication"
	SourceMigrateForgotPassword Source = "UserMigration_ForgotPassword"

	SourceMessageSignUp              Source = "CustomMessage_SignUp"
	SourceMessageAdminCreateUser     Source = "CustomMessage_AdminCreateUser"
	SourceMessageResendCode          Source = "CustomMessage_ResendCode"
	SourceMessageForgotPassword      Source = "CustomMessage_ForgotPassword"
	SourceMessageUpdateUserAttribute Source = "CustomMessage_UpdateUserAttribute"
	SourceMessageVerifyUserAttribute Source = "CustomMessage_VerifyUserAttribute"
	SourceMessageAuthentication      Source = "CustomMessage_Authentication"
)

// sourceTriggers is the closed set of known sources.
var sourceTriggers = map[Source]Trigger{
	SourcePreSignUpSignUp:           TriggerPreSignUp,
	SourcePreSignUpAdminCreateUser:  TriggerPreSignUp,
	SourcePreSignUpExternalProvider: TriggerPreSignUp,

	SourceTokenHostedAuth:           TriggerPreTokenGeneration,
	SourceTokenAuthentication:       TriggerPreTokenGeneration,
	SourceTokenNewPasswordChallenge: TriggerPreTokenGeneration,
	SourceTokenAuthenticateDevice:   TriggerPreTokenGeneration,
	SourceTokenRefreshTokens:        TriggerPreTokenGeneration,
	SourceTokenClientCredentials:    TriggerPreTokenGeneration,

	SourcePostAuthentication: TriggerPostAuthentication,

	SourceMigrateAuthentication: TriggerUserMigration,
	SourceMigrateForgotPassword: TriggerUserMigration,

	SourceMessageSignUp:              TriggerCustomMessage,
	SourceMessageAdminCreateUser:     TriggerCustomMessage,
	SourceMessageResendCode:          TriggerCustomMessage,
	SourceMessageForgotPassword:      TriggerCustomMessage,
	SourceMessageUpdateUserAttribute: TriggerCustomMessage,
	SourceMessageVerifyUserAttribute: TriggerCustomMessage,
	SourceMessageAuthentication:      TriggerCustomMessage,
}

// ErrUnknownSource is returned for a triggerSource outside the known set.
var ErrUnknownSource = errors.New("unknown triggerSource")

// ErrWrongTrigger is returned for a known triggerSource that belongs to
// another trigger than the one being decoded or served: a function attached
// to the wrong LambdaConfig slot.
var ErrWrongTrigger = errors.New("triggerSource belongs to another trigger")

// ParseSource checks s against the known trigger sources. Matching is exact:
// a case variant is unknown, because Cognito never sends one.
func ParseSource(s string) (Source, error) {
	if _, ok := sourceTriggers[Source(s)]; !ok {
		return "", fmt.Errorf("%w %q", ErrUnknownSource, truncate(s, 64))
	}
	return Source(s), nil
}

// Trigger reports which trigger the source belongs to, or "" when unknown.
func (s Source) Trigger() Trigger { return sourceTriggers[s] }

// Sources lists every known source of trigger t, for tests and fixtures.
func Sources(t Trigger) []Source {
	var out []Source
	for s, tt := range sourceTriggers {
		if tt == t {
			out = append(out, s)
		}
	}
	return out
}

// truncate keeps error texts bounded when they quote untrusted input.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
