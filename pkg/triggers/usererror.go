package triggers

import "errors"

// UserError is an error whose text is safe to show to the end user. Cognito
// displays a trigger's error message verbatim ("PreSignUp failed with error
// <text>."), so the Lambda runtime must only ever see Message; Cause carries
// the detail for the log and never leaves the function.
type UserError struct {
	Message string // shown to the end user; short, no internals
	Reason  string // stable machine-readable reason, logged and counted
	Cause   error  // logged, never returned to Cognito
}

// Error returns only the user-safe text.
func (e *UserError) Error() string { return e.Message }

// Unwrap exposes the cause to errors.Is / errors.As inside the function.
func (e *UserError) Unwrap() error { return e.Cause }

// Refuse builds a UserError.
func Refuse(message, reason string, cause error) *UserError {
	return &UserError{Message: message, Reason: reason, Cause: cause}
}

// GenericMessage is the text for failures the user can do nothing about.
const GenericMessage = "The service is temporarily unavailable. Please try again."

// AsUserError returns err as a UserError, turning anything else into the
// generic message so that no internal text can reach Cognito by accident.
func AsUserError(err error) *UserError {
	var ue *UserError
	if errors.As(err, &ue) {
		return ue
	}
	return &UserError{Message: GenericMessage, Reason: "internal_error", Cause: err}
}
