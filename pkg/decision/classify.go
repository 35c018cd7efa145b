package decision

import (
	"context"
	"errors"
	"net"
)

// Failure is what kind of failure a dependency call ended in. The kinds
// are the ones an operator acts on differently: a timeout (slow or
// unreachable), throttling (raise capacity), a missing resource (a
// deployment error), a refusal (credentials or permissions) and anything
// else.
type Failure string

// The failure kinds.
const (
	Timeout   Failure = "timeout"
	Throttled Failure = "throttled"
	Missing   Failure = "missing"
	Refused   Failure = "refused"
	Other     Failure = "error"
)

// ErrThrottled marks a failure that a caller recognised as throttling in a
// form Classify cannot see, such as a DynamoDB transaction cancelled for a
// throttled item.
var ErrThrottled = errors.New("throttled")

// Classify says what kind of failure err is. ctx is the context the call
// ran under: once it is done the call ran out of time, whatever the error
// says. It reads AWS SDK errors (their error code), HTTP status errors
// (anything with an HTTPStatusCode method) and network timeouts, without
// depending on the SDK.
func Classify(ctx context.Context, err error) (f Failure) {
	// A dependency may return an error whose methods panic (a typed-nil
	// *url.Error or *net.OpError in an error interface, the classic Go
	// mistake): that is still the dependency's failure, not a bug of the
	// decision, and must not turn into a panic.
	defer func() {
		if recover() != nil {
			f = Other
		}
	}()
	var ne net.Error
	switch {
	case ctx != nil && ctx.Err() != nil,
		errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return Timeout
	case errors.Is(err, ErrThrottled):
		return Throttled
	}
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		switch coded.ErrorCode() {
		case "ProvisionedThroughputExceededException", "ProvisionedThroughputExceeded",
			"ThrottlingException", "ThrottlingError", "Throttling", "RequestLimitExceeded",
			"TooManyRequestsException":
			return Throttled
		case "ResourceNotFoundException":
			return Missing
		case "AccessDeniedException", "AccessDenied", "UnrecognizedClientException",
			"InvalidSignatureException", "ExpiredTokenException", "InvalidClientTokenId",
			"MissingAuthenticationTokenException", "IncompleteSignature":
			return Refused
		}
	}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) {
		switch code := status.HTTPStatusCode(); {
		case code == 429:
			return Throttled
		case code == 404:
			return Missing
		case code == 401, code == 403:
			return Refused
		}
	}
	return Other
}

// Dependency names what a trigger depends on, for the failure reasons.
type Dependency string

// The dependencies.
const (
	// Table is a DynamoDB table of the suite: the trusted claims table
	// (pre sign-up, pre token, the migration gate) or the audit table
	// (post authentication).
	Table Dependency = "table"
	// Legacy is the legacy user store of user migration: its HTTP adapter
	// or its exported users table.
	Legacy Dependency = "legacy"
	// Secret is a Secrets Manager secret.
	Secret Dependency = "secret"
)

var failureReasons = map[Dependency]map[Failure]Reason{
	Table:  {Timeout: ReasonTableTimeout, Throttled: ReasonTableThrottled, Missing: ReasonTableMissing, Refused: ReasonTableRefused, Other: ReasonTableError},
	Legacy: {Timeout: ReasonLegacyTimeout, Throttled: ReasonLegacyThrottled, Missing: ReasonLegacyMissing, Refused: ReasonLegacyRefused, Other: ReasonLegacyError},
	Secret: {Timeout: ReasonSecretTimeout, Throttled: ReasonSecretThrottled, Missing: ReasonSecretMissing, Refused: ReasonSecretRefused, Other: ReasonSecretError},
}

// Reason is the Reason for failure f of the dependency.
func (d Dependency) Reason(f Failure) Reason {
	if r, ok := failureReasons[d][f]; ok {
		return r
	}
	return InternalError
}

// Failed classifies err (see Classify) and returns the dependency's
// Reason for it: Table.Failed(ctx, err) is "table_timeout",
// "table_throttled", "table_missing", "table_refused" or "table_error".
func (d Dependency) Failed(ctx context.Context, err error) Reason {
	return d.Reason(Classify(ctx, err))
}

// Of reports which dependency a failure reason belongs to, "" for a
// reason that is not a dependency failure.
func (r Reason) Of() Dependency {
	switch r {
	case ReasonLegacyMalformed:
		return Legacy
	case ReasonSecretMalformed:
		return Secret
	}
	for d, m := range failureReasons {
		for _, reason := range m {
			if reason == r {
				return d
			}
		}
	}
	return ""
}
