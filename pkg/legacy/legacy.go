// Package legacy reads the user store a pool is migrating away from, for
// the user migration trigger. Two sources are supported:
//
//   - HTTP: a legacy authentication endpoint speaking the small JSON
//     protocol documented in docs/migrateuser.md (POST /verify and
//     POST /lookup), authenticated with an API key from Secrets Manager.
//     The endpoint verifies passwords itself.
//   - Table: users exported into a DynamoDB table keyed by username, with
//     the legacy password hash verified here by package passhash.
//
// Both answer the same two questions: does this password belong to this
// user (Authenticate), and who is this user (Lookup, for a forgotten
// password). An unknown user and a wrong password give the same Answer
// (OK false); only a failure of the store itself is an error, always an
// *Error whose Reason is one of the closed set below.
//
// The plaintext password is handled as []byte, is never part of an error,
// and is never logged; errors carry fixed texts, member names, lengths and
// HTTP statuses, never the values the legacy store returned.
package legacy

import (
	"errors"
	"log/slog"

	"github.com/cognito-triggers/suite/pkg/passhash"
)

// Reasons an infrastructure failure is reported under. They are the
// migration trigger's metric dimensions and alarm selectors.
const (
	ReasonTimeout      = "legacy_timeout"      // the legacy store did not answer within LEGACY_TIMEOUT_MS or the budget
	ReasonError        = "legacy_error"        // transport failure, or an HTTP status other than 200 and 401
	ReasonUnauthorized = "legacy_unauthorized" // the endpoint refused our API key, also after a refresh
	ReasonMalformed    = "legacy_malformed"    // a response or record that breaks the protocol or the item format
	ReasonSecret       = "secret_error"        // the Secrets Manager secret could not be fetched or parsed
	ReasonTable        = "table_error"         // a DynamoDB call on the legacy users table failed
	ReasonTableTimeout = "table_timeout"       // a DynamoDB call on the legacy users table ran out of time
)

// Error is a failure of the legacy store, as opposed to a "no". Its text
// never contains the password, the API key or anything the store returned
// beyond its HTTP status.
type Error struct {
	Reason string // one of the Reason constants
	Err    error
}

func (e *Error) Error() string { return e.Reason + ": " + e.Err.Error() }

// Unwrap exposes the cause to errors.Is / errors.As.
func (e *Error) Unwrap() error { return e.Err }

func fail(reason string, err error) *Error { return &Error{Reason: reason, Err: err} }

// ReasonOf returns the Reason of the first *Error in err's chain, or
// ReasonError for any other error.
func ReasonOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ReasonError
}

// User is a legacy account's profile, as the legacy store holds it. The
// migration trigger decides what of it reaches Cognito.
type User struct {
	// Username is the name the store answered for; it always equals the
	// name asked about (a mismatch is refused as malformed).
	Username            string
	Email               string
	EmailVerified       bool // the legacy system proved the address
	PhoneNumber         string
	PhoneNumberVerified bool // the legacy system proved the number
	// Attributes are further profile values, by Cognito attribute name.
	Attributes map[string]string
}

// LogValue keeps the profile (PII) out of logs even if a User is logged
// whole by mistake: only which contacts exist and are verified.
func (u User) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("hasEmail", u.Email != ""), slog.Bool("emailVerified", u.EmailVerified),
		slog.Bool("hasPhone", u.PhoneNumber != ""), slog.Bool("phoneVerified", u.PhoneNumberVerified),
		slog.Int("attributes", len(u.Attributes)),
	)
}

// Notes explain an Answer that is not OK. They are for the log only: the
// caller answers every one of them the same way.
const (
	NoteInvalid         = "invalid_credentials" // unknown user or wrong password (one note: the HTTP protocol does not tell them apart either)
	NoteNotFound        = "not_found"           // Lookup: unknown user
	NoteHashMissing     = "hash_missing"        // table: the record has no usable password_hash attribute
	NoteHashMalformed   = "hash_malformed"      // table: the hash claims a known scheme but is corrupt or out of bounds
	NoteHashUnsupported = "hash_unsupported"    // table: unknown scheme, or Firebase scrypt without project parameters
)

// Answer is the store's verdict on one user.
type Answer struct {
	// OK is true when the password verified (Authenticate) or the user
	// exists (Lookup); User is then filled in.
	OK   bool
	User User
	// Note says why OK is false, one of the Note constants.
	Note string
	// Scheme is the password hash scheme of a table record, when known.
	Scheme passhash.Scheme
}
