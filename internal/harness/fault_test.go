package harness

import (
	"context"
	"errors"
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
			start := time.Now()
			_, err = client.GetItem(ctx, &dynamodb.GetItemInput{
				TableName: aws.String("users"),
				Key:       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "alice"}},
			})
			elapsed := time.Since(start)
			if !tc.check(err) {
				t.Errorf("GetItem err = %v; want %s", err, tc.want)
			}
			// A stall must end at the caller's deadline; every other fault
			// must fail fast, without waiting for it.
			if tc.fault == FaultStall && (elapsed < 450*time.Millisecond || elapsed > 1500*time.Millisecond) {
				t.Errorf("stall took %v; want about 500 ms", elapsed)
			}
			if tc.fault != FaultStall && elapsed > 450*time.Millisecond {
				t.Errorf("%s took %v; want a fast failure", tc.fault, elapsed)
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
