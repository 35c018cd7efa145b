package triggers

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/go-json-experiment/json/jsontext"
)

// MigrateUser is sent when a user who does not exist in the pool signs in
// with a password (UserMigration_Authentication) or asks for a password
// reset (UserMigration_ForgotPassword). The function looks the user up in
// the legacy store and answers with the attributes to create the user
// with; answering with no attributes, or an error, leaves the user
// unknown. Cognito does not call it again for a user once migrated.
type MigrateUser struct {
	Header
	Request  MigrateUserRequest  `json:"request"`
	Response MigrateUserResponse `json:"response"`
	Unknown  jsontext.Value      `json:",embed"`
}

// Trigger implements Event.
func (*MigrateUser) Trigger() Trigger { return TriggerUserMigration }

// LogValue logs only the header's safe fields. It is spelled out here
// because this event carries the plaintext password, and a struct logged
// whole goes through encoding/json, past the field-level redaction.
func (e MigrateUser) LogValue() slog.Value { return e.Header.LogValue() }

// MigrateUserRequest carries the credentials the user typed. The username
// is the header's UserName, which may be an alias such as an email address.
type MigrateUserRequest struct {
	// Password is the plaintext password for UserMigration_Authentication,
	// absent for UserMigration_ForgotPassword. Cognito only has it because
	// the client uses USER_PASSWORD_AUTH; it must never be logged.
	Password Password `json:"password,omitzero"`
	// ValidationData is InitiateAuth's ClientMetadata. Cognito sends null
	// when there is none, which is kept on the way back.
	ValidationData Attributes     `json:"validationData"`
	ClientMetadata Attributes     `json:"clientMetadata,omitzero"`
	Unknown        jsontext.Value `json:",embed"`
}

// LogValue logs whether a password was given and never the password: a
// request logged whole would otherwise go through encoding/json, which
// sends the real value.
func (r MigrateUserRequest) LogValue() slog.Value {
	return slog.GroupValue(slog.Bool("pwPresent", r.Password != ""))
}

// Password is a plaintext password. It prints and logs as "REDACTED" in
// every fmt verb and through log/slog, and marshals to JSON as the real
// value because Cognito needs the event back. Code that must compare it
// converts explicitly with string(p), which keeps every use visible.
type Password string

const redacted = "REDACTED"

// LogValue keeps the password out of slog output.
func (Password) LogValue() slog.Value { return slog.StringValue(redacted) }

// String keeps the password out of %v, %s and anything else that takes a
// fmt.Stringer, including a value passed to panic.
func (Password) String() string { return redacted }

// GoString keeps the password out of %#v.
func (Password) GoString() string { return `"` + redacted + `"` }

// Format keeps the password out of every fmt verb, including %q, %x and
// %d, which would otherwise print the underlying string.
func (Password) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, `"`+redacted+`"`)
		return
	}
	io.WriteString(f, redacted)
}

// Values of finalUserStatus, messageAction and desiredDeliveryMediums.
// Cognito refuses any other value ("invalid finalUserStatus").
const (
	// StatusConfirmed keeps the legacy password: the user can sign in at
	// once. Cognito does not apply the pool's password policy to it.
	StatusConfirmed = "CONFIRMED"
	// StatusResetRequired makes the user reset the password first; it is
	// also what Cognito does when finalUserStatus is omitted.
	StatusResetRequired = "RESET_REQUIRED"
	// MessageSuppress skips the welcome message, which Cognito otherwise
	// sends.
	MessageSuppress = "SUPPRESS"
	DeliveryEmail   = "EMAIL"
	DeliverySMS     = "SMS"
)

// MigrateUserResponse arrives with every field null. Everything but
// userAttributes is omitted until set, because Cognito documents an
// omitted field as "use the default", while what it makes of "" or false
// is not documented (aws-lambda-go sends those).
type MigrateUserResponse struct {
	// UserAttributes are the attributes to create the user with, and the
	// one field the migration needs: nil is sent as null, as it came in,
	// which leaves the user unmigrated. For UserMigration_ForgotPassword
	// the user must end with a verified email or phone
	// ("email_verified": "true") or no reset code can be sent. Never
	// return "sub".
	UserAttributes Attributes `json:"userAttributes"`
	// FinalUserStatus is StatusConfirmed or StatusResetRequired.
	FinalUserStatus string `json:"finalUserStatus,omitzero"`
	// MessageAction is MessageSuppress, or empty to send the welcome
	// message.
	MessageAction string `json:"messageAction,omitzero"`
	// DesiredDeliveryMediums lists DeliveryEmail and/or DeliverySMS for the
	// welcome message; omitted means SMS.
	DesiredDeliveryMediums []string `json:"desiredDeliveryMediums,omitzero"`
	// ForceAliasCreation moves an email or phone alias held by another user
	// to the migrated user, who then loses it; false fails the migration
	// instead.
	ForceAliasCreation bool `json:"forceAliasCreation,omitzero"`
	// EnableSMSMFA requires SMS MFA for the migrated user; the pool must
	// have MFA enabled and the attributes must include phone_number.
	// aws-lambda-go lacks the field.
	EnableSMSMFA *bool          `json:"enableSMSMFA,omitzero"`
	Unknown      jsontext.Value `json:",embed"`
}
