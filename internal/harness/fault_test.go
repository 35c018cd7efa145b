package harness

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
)

// faultConfig is an SDK config for endpoint with retries off: these tests
// check the wire format of each fault, and retry back-off would turn every
// retryable fault into a deadline error.
func faultConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 1,
	}
}

func TestFaultDynamoDB(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault Fault
		check func(error) bool
		want  string
	}{
		{FaultStall, func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }, "context.DeadlineExceeded"},
		{FaultRefuse, func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }, "ECONNREFUSED"},
		{FaultThrottle, isA[*types.ProvisionedThroughputExceededException], "*types.ProvisionedThroughputExceededException"},
		{Fault5xx, isA[*types.InternalServerError], "*types.InternalServerError"},
		{FaultMalformed, isA[*smithy.DeserializationError], "*smithy.DeserializationError"},
		{FaultMissingTable, isA[*types.ResourceNotFoundException], "*types.ResourceNotFoundException"},
	}
	if len(tests) != len(Faults) {
		t.Fatalf("%d cases for %d faults", len(tests), len(Faults))
	}
	for _, tc := range tests {
		t.Run(string(tc.fault), func(t *testing.T) {
			t.Parallel()
			endpoint, stop, err := StartFault(t.Context(), tc.fault)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			client := dynamodb.NewFromConfig(faultConfig(endpoint))
			ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
			defer cancel()
			_, err = client.GetItem(ctx, &dynamodb.GetItemInput{
				TableName: aws.String("users"),
				Key:       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "alice"}},
			})
			// The error says how the call ended, without a clock: a stall
			// ends only at the caller's deadline (DeadlineExceeded), and
			// every other fault ends with the server's answer or the refused
			// connection, a different error, before the deadline.
			if !tc.check(err) {
				t.Errorf("GetItem err = %v; want %s", err, tc.want)
			}
			if tc.fault != FaultStall && errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s ended at the caller's deadline (%v); want the fault's own failure", tc.fault, err)
			}
		})
	}
}

// TestFaultSecretsManager checks that the same fault server speaks Secrets
// Manager's error dialect, so a function reading a secret at init through
// AWS_ENDPOINT_URL sees realistic errors too.
func TestFaultSecretsManager(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault    Fault
		wantCode string
		check    func(error) bool
	}{
		{FaultThrottle, "ThrottlingException", nil},
		{Fault5xx, "InternalServiceError", isA[*smtypes.InternalServiceError]},
		{FaultMissingTable, "ResourceNotFoundException", isA[*smtypes.ResourceNotFoundException]},
	}
	for _, tc := range tests {
		t.Run(string(tc.fault), func(t *testing.T) {
			t.Parallel()
			endpoint, stop, err := StartFault(t.Context(), tc.fault)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			client := secretsmanager.NewFromConfig(faultConfig(endpoint))
			ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
			defer cancel()
			_, err = client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/signing")})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.wantCode {
				t.Errorf("GetSecretValue err = %v; want API error %s", err, tc.wantCode)
			}
			if tc.check != nil && !tc.check(err) {
				t.Errorf("GetSecretValue err = %T in chain %v; want the modeled type", err, err)
			}
		})
	}
}

// TestFaultPlainHTTP checks the dialect a caller that is not an AWS SDK
// gets (no X-Amz-Target), such as the legacy authentication endpoint's
// client: plain statuses a generic HTTP client can classify, and for
// malformed, a truncated body under the JSON content type it expects.
func TestFaultPlainHTTP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault      Fault
		wantStatus int
	}{
		{FaultThrottle, http.StatusTooManyRequests},
		{Fault5xx, http.StatusInternalServerError},
		{FaultMissingTable, http.StatusNotFound},
		{FaultMalformed, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(string(tc.fault), func(t *testing.T) {
			t.Parallel()
			endpoint, stop, err := StartFault(t.Context(), tc.fault)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint+"/verify", strings.NewReader(`{"username":"alice"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if resp.Header.Get("x-amzn-ErrorType") != "" {
				t.Errorf("x-amzn-ErrorType %q sent to a plain HTTP caller", resp.Header.Get("x-amzn-ErrorType"))
			}
			if tc.fault == FaultMalformed {
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q, want application/json (the body, not the type, must be what is wrong)", ct)
				}
				var v any
				if json.Unmarshal(body, &v) == nil {
					t.Errorf("body %q is valid JSON, want a truncated document", body)
				}
			}
		})
	}
}

func TestFaultStopIsIdempotent(t *testing.T) {
	t.Parallel()
	for _, f := range Faults {
		_, stop, err := StartFault(t.Context(), f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		stop()
		stop()
	}
	if _, _, err := StartFault(t.Context(), Fault("bogus")); err == nil {
		t.Error("StartFault(bogus) succeeded")
	}
}

// isA reports whether err's chain holds a T.
func isA[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}
