// Package decision is the vocabulary every trigger decides in: the typed
// Result a decision returns, its Outcome and Reason, the facts and metrics
// it reports, and the user-safe error that refuses an operation.
//
// A decision package (presignup, pretoken, postauth, migrateuser,
// custommessage) takes its typed event from package triggers, edits the
// event's response in place and returns a Result. It knows nothing of
// bytes, log handlers, the metric format or the environment: package
// invoke turns the event into the response bytes and the Result into the
// one decision line and its metrics, the same way for all five triggers.
package decision

import (
	"errors"
	"time"
)

// Result is what a trigger decided for one event.
type Result struct {
	// Outcome is the closed-set word for what happened; it is logged and is
	// the "outcome" metric dimension that the template's alarms select on.
	Outcome Outcome
	// Reason says why, for refusals, failures and fallbacks; "" when the
	// operation simply went ahead.
	Reason Reason
	// Err, when set, refuses the operation: Cognito shows Err.Message to
	// the end user and the event is not answered. Nil answers with the
	// event, whose response the decision has edited in place.
	Err *UserError
	// Facts are extra fields of the decision line. Never secrets, and no
	// personal data beyond the user's sub.
	Facts []Fact
	// Metrics are extra data points of the decision's metric record
	// ("Invocations" and "DurationMs" are always written).
	Metrics []Metric
}

// Refusal returns a Result that refuses with outcome o and reason r; the
// user sees message and cause goes to the log only.
func Refusal(o Outcome, r Reason, message string, cause error) Result {
	return Result{Outcome: o, Reason: r, Err: Refuse(message, r, cause)}
}

// Fact is one field of the decision line. Value is a string, bool, int,
// int64, float64, time.Duration (logged in milliseconds) or []Fact (a
// group); package invoke renders anything else as its type name only, so
// that no value can leak through an unexpected formatter.
type Fact struct {
	Key   string
	Value any
}

// String, Bool, Int and Group build facts.
func String(key, value string) Fact    { return Fact{key, value} }
func Bool(key string, value bool) Fact { return Fact{key, value} }
func Int(key string, value int) Fact   { return Fact{key, value} }
func Group(key string, facts ...Fact) Fact {
	return Fact{key, facts}
}

// Metric is one data point of the decision's metric record.
type Metric struct {
	Name  string
	Unit  Unit
	Value float64
}

// Unit is a CloudWatch metric unit.
type Unit string

// The units the suite reports in.
const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
)

// Counter is a 0-or-1 Count metric: written on every decision so that each
// series has a data point per invocation and a rate is a plain average.
func Counter(name string, on bool) Metric {
	v := 0.0
	if on {
		v = 1
	}
	return Metric{Name: name, Unit: Count, Value: v}
}

// Latency is a Milliseconds metric, with microsecond precision.
func Latency(name string, d time.Duration) Metric {
	return Metric{Name: name, Unit: Milliseconds, Value: Millis(d)}
}

// Millis converts d to fractional milliseconds, the unit of every
// duration the suite logs.
func Millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// UserError is an error whose text is safe to show to the end user.
// Cognito displays a trigger's error message verbatim ("PreSignUp failed
// with error <text>."), so the Lambda runtime must only ever see Message;
// Cause carries the detail for the log and never leaves the function.
type UserError struct {
	Message string // shown to the end user; short, no internals
	Reason  Reason // logged and counted
	Cause   error  // logged, never returned to Cognito
}

// Error returns only the user-safe text.
func (e *UserError) Error() string { return e.Message }

// Unwrap exposes the cause to errors.Is / errors.As inside the function.
func (e *UserError) Unwrap() error { return e.Cause }

// Refuse builds a UserError.
func Refuse(message string, reason Reason, cause error) *UserError {
	return &UserError{Message: message, Reason: reason, Cause: cause}
}

// The texts for failures that are not a trigger's own policy.
const (
	// GenericMessage is for failures the user can do nothing about but
	// retry: a dependency down or too slow, a bug.
	GenericMessage = "The service is temporarily unavailable. Please try again."
	// MalformedMessage is for events Cognito would never send.
	MalformedMessage = "We could not process this request. Please try again."
)

// AsUserError returns err as a UserError, turning anything else into the
// generic message so that no internal text can reach Cognito by accident.
func AsUserError(err error) *UserError {
	var ue *UserError
	if errors.As(err, &ue) {
		return ue
	}
	return &UserError{Message: GenericMessage, Reason: InternalError, Cause: err}
}
