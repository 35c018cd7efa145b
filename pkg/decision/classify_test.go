package decision_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cognito-triggers/suite/pkg/decision"
)

// coded is any error with an AWS error code, as the SDK's modelled and
// generic API errors have.
type coded string

func (c coded) Error() string     { return "api error " + string(c) }
func (c coded) ErrorCode() string { return string(c) }

// status is any error with an HTTP status, as the SDK's response errors
// and the legacy store's HTTP adapter have.
type status int

func (s status) Error() string       { return fmt.Sprintf("http %d", int(s)) }
func (s status) HTTPStatusCode() int { return int(s) }

// sdkError builds the chain the AWS SDK returns for a failed call: an
// operation error around an HTTP response error around the API error.
func sdkError(code int, api error) error {
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "GetItem", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}},
			Err:      api,
		},
		RequestID: "req-1",
	}}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want decision.Failure
	}{
		// Out of time, however the client reports it.
		{"deadline exceeded", context.DeadlineExceeded, decision.Timeout},
		{"wrapped deadline", fmt.Errorf("get item: %w", context.DeadlineExceeded), decision.Timeout},
		{"net timeout", &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "i/o timeout", IsTimeout: true}}, decision.Timeout},
		{"os deadline", fmt.Errorf("read: %w", os.ErrDeadlineExceeded), decision.Timeout},
		{"sdk around a deadline", sdkError(0, context.DeadlineExceeded), decision.Timeout},

		// Throttled.
		{"ErrThrottled", fmt.Errorf("transaction cancelled: %w", decision.ErrThrottled), decision.Throttled},
		{"dynamodb provisioned throughput", sdkError(400, &ddbtypes.ProvisionedThroughputExceededException{}), decision.Throttled},
		{"dynamodb request limit", sdkError(400, &ddbtypes.RequestLimitExceeded{}), decision.Throttled},
		{"generic throttling", sdkError(400, &smithy.GenericAPIError{Code: "ThrottlingException"}), decision.Throttled},
		{"bare throttling code", coded("Throttling"), decision.Throttled},
		{"too many requests code", coded("TooManyRequestsException"), decision.Throttled},
		{"http 429", status(429), decision.Throttled},
		{"sdk 429 without a known code", sdkError(429, &smithy.GenericAPIError{Code: "SlowDown"}), decision.Throttled},

		// Missing: a deployment error.
		{"dynamodb table missing", sdkError(400, &ddbtypes.ResourceNotFoundException{}), decision.Missing},
		{"secret missing", sdkError(400, &smtypes.ResourceNotFoundException{}), decision.Missing},
		{"http 404", status(404), decision.Missing},

		// Refused: credentials or permissions.
		{"access denied", sdkError(400, &smithy.GenericAPIError{Code: "AccessDeniedException"}), decision.Refused},
		{"expired token", coded("ExpiredTokenException"), decision.Refused},
		{"unrecognized client", coded("UnrecognizedClientException"), decision.Refused},
		{"http 401", status(401), decision.Refused},
		{"http 403", fmt.Errorf("legacy: %w", status(403)), decision.Refused},

		// Anything else.
		{"plain error", errors.New("connection refused"), decision.Other},
		{"nil", nil, decision.Other},
		{"server error", sdkError(500, &smithy.GenericAPIError{Code: "InternalServerError"}), decision.Other},
		{"http 500", status(500), decision.Other},
		{"http 400", status(400), decision.Other},
		{"validation error", sdkError(400, &smithy.GenericAPIError{Code: "ValidationException"}), decision.Other},
		// The code is more specific than the status it came with.
		{"code beats status", sdkError(500, &smithy.GenericAPIError{Code: "AccessDeniedException"}), decision.Refused},
		{"canceled is not a timeout by itself", context.Canceled, decision.Other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decision.Classify(context.Background(), tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
	t.Run("a done context is a timeout whatever the error says", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		for _, err := range []error{errors.New("connection reset"), status(429), coded("AccessDeniedException")} {
			if got := decision.Classify(ctx, err); got != decision.Timeout {
				t.Errorf("Classify(done ctx, %v) = %q, want timeout", err, got)
			}
		}
	})
	t.Run("nil context", func(t *testing.T) {
		// A caller without a context is judged by the error alone.
		if got := decision.Classify(nil, status(404)); got != decision.Missing {
			t.Errorf("Classify(nil, 404) = %q", got)
		}
	})
}

// TestDependencyReasons: one reason per dependency and kind of failure,
// the same words for every trigger, and Of maps each back.
func TestDependencyReasons(t *testing.T) {
	want := map[decision.Dependency]map[decision.Failure]decision.Reason{
		decision.Table: {decision.Timeout: "table_timeout", decision.Throttled: "table_throttled", decision.Missing: "table_missing",
			decision.Refused: "table_refused", decision.Other: "table_error"},
		decision.Legacy: {decision.Timeout: "legacy_timeout", decision.Throttled: "legacy_throttled", decision.Missing: "legacy_missing",
			decision.Refused: "legacy_refused", decision.Other: "legacy_error"},
		decision.Secret: {decision.Timeout: "secret_timeout", decision.Throttled: "secret_throttled", decision.Missing: "secret_missing",
			decision.Refused: "secret_refused", decision.Other: "secret_error"},
	}
	for d, byFailure := range want {
		for f, r := range byFailure {
			if got := d.Reason(f); got != r {
				t.Errorf("%s.Reason(%s) = %q, want %q", d, f, got, r)
			}
			if got := r.Of(); got != d {
				t.Errorf("%q.Of() = %q, want %q", r, got, d)
			}
		}
	}
	if got := decision.Dependency("cache").Reason(decision.Timeout); got != decision.InternalError {
		t.Errorf("unknown dependency's reason = %q, want internal_error", got)
	}
	if got := decision.Table.Reason("exploded"); got != decision.InternalError {
		t.Errorf("unknown failure's reason = %q, want internal_error", got)
	}
	for r, d := range map[decision.Reason]decision.Dependency{
		decision.ReasonLegacyMalformed: decision.Legacy, decision.ReasonSecretMalformed: decision.Secret,
		decision.ReasonMalformedEvent: "", decision.ReasonDomainNotAllowed: "", decision.ReasonGateRefused: "",
		decision.InternalError: "", decision.ReasonPanic: "", "": "",
	} {
		if got := r.Of(); got != d {
			t.Errorf("%q.Of() = %q, want %q", r, got, d)
		}
	}

	ctx := context.Background()
	for _, tc := range []struct {
		d    decision.Dependency
		err  error
		want decision.Reason
	}{
		{decision.Table, sdkError(400, &ddbtypes.ProvisionedThroughputExceededException{}), decision.ReasonTableThrottled},
		{decision.Table, sdkError(400, &ddbtypes.ResourceNotFoundException{}), decision.ReasonTableMissing},
		{decision.Table, context.DeadlineExceeded, decision.ReasonTableTimeout},
		{decision.Legacy, status(503), decision.ReasonLegacyError},
		{decision.Legacy, status(403), decision.ReasonLegacyRefused},
		{decision.Secret, sdkError(400, &smtypes.ResourceNotFoundException{}), decision.ReasonSecretMissing},
		{decision.Secret, coded("AccessDeniedException"), decision.ReasonSecretRefused},
	} {
		if got := tc.d.Failed(ctx, tc.err); got != tc.want {
			t.Errorf("%s.Failed(%v) = %q, want %q", tc.d, tc.err, got, tc.want)
		}
	}
}

// TestClassifyPanickingError: an error whose methods panic is classified,
// not propagated as a panic.
func TestClassifyPanickingError(t *testing.T) {
	var typedNil *url.Error // its Timeout method dereferences a nil pointer
	for _, err := range []error{typedNil, fmt.Errorf("get: %w", typedNil)} {
		if got := decision.Classify(context.Background(), err); got != decision.Other {
			t.Errorf("Classify(%T) = %q, want error", err, got)
		}
	}
	if got := decision.Table.Failed(context.Background(), typedNil); got != decision.ReasonTableError {
		t.Errorf("Table.Failed(typed nil) = %q, want table_error", got)
	}
}
