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
// *Error whose Reason is a legacy_* or secret_* reason of package
// decision, classified by decision.Legacy.Failed and decision.Secret.Failed
// like every other dependency failure of the suite.
//
// The plaintext password is a triggers.Password, which prints and logs as
// "REDACTED", and is never part of an error; errors carry fixed texts,
// member names, lengths and HTTP statuses, never the values the legacy
// store returned.
package legacy

import (
	"context"
	"errors"
	"log/slog"
	"strconv"

	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/passhash"
)

// Error is a failure of the legacy store or its secret, as opposed to a
// "no". Its text never contains the password, the API key or anything the
// store returned beyond its HTTP status.
type Error struct {
	// Reason is one of decision's legacy_* or secret_* reasons.
	Reason decision.Reason
	Err    error
}

func (e *Error) Error() string { return string(e.Reason) + ": " + e.Err.Error() }

// Unwrap exposes the cause to errors.Is / errors.As.
func (e *Error) Unwrap() error { return e.Err }

func fail(reason decision.Reason, err error) *Error { return &Error{Reason: reason, Err: err} }

// legacyErr classifies a failure of a call to the legacy store made under
// ctx (its own deadline, not only the invocation's).
func legacyErr(ctx context.Context, err error) *Error {
	return fail(decision.Legacy.Failed(ctx, err), err)
}

// secretErr classifies a failure to obtain the secret: a secret that was
// read but does not parse is secret_malformed, anything else is what
// decision.Secret.Failed makes of the Secrets Manager error.
func secretErr(ctx context.Context, err error) *Error {
	if errors.Is(err, errSecret) {
		return fail(decision.ReasonSecretMalformed, err)
	}
	return fail(decision.Secret.Failed(ctx, err), err)
}

// ReasonOf returns the Reason of the first *Error in err's chain. Any
// other error is classified as a failure of the legacy store under ctx
// (decision.Legacy.Failed).
func ReasonOf(ctx context.Context, err error) decision.Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return decision.Legacy.Failed(ctx, err)
}

// StatusError is an HTTP answer of the legacy endpoint other than 200.
// HTTPStatusCode lets decision.Classify tell a refused key (401, 403), a
// wrong URL (404) and throttling (429) from other failures.
type StatusError struct {
	Code int
	// Detail says what the function did about it, such as the retry after
	// a 401 with a refreshed key.
	Detail string
}

func (e *StatusError) Error() string {
	s := "HTTP " + strconv.Itoa(e.Code)
	if e.Detail != "" {
		s += ", " + e.Detail
	}
	return s
}

// HTTPStatusCode implements the interface decision.Classify reads.
func (e *StatusError) HTTPStatusCode() int { return e.Code }

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

// Answer is the store's verdict on one user.
type Answer struct {
	// OK is true when the password verified (Authenticate) or the user
	// exists (Lookup); User is then filled in.
	OK   bool
	User User
	// Note says why OK is false, for the log only: the caller answers
	// every one of them the same way. It is decision.ReasonInvalidCredentials
	// (unknown user or wrong password: one reason, because the HTTP
	// protocol does not tell them apart either), decision.ReasonNotFound
	// (Lookup: unknown user), or for a table record
	// decision.ReasonHashMissing, ReasonHashMalformed or
	// ReasonHashUnsupported.
	Note decision.Reason
	// Scheme is the password hash scheme of a table record, when known.
	Scheme passhash.Scheme
}
