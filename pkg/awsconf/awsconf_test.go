package awsconf

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/pkg/envconfig"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadRequiresRegionAndCredentials(t *testing.T) {
	r := envconfig.New(env(nil))
	Load(r)
	err := r.Err()
	if err == nil {
		t.Fatal("Load with an empty environment: no error")
	}
	for _, name := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestConfig(t *testing.T) {
	r := envconfig.New(env(map[string]string{
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "canary-secret",
		"AWS_SESSION_TOKEN": "tok", "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:2",
		"AWS_MAX_ATTEMPTS": "3", "AWS_ATTEMPT_TIMEOUT_MS": "300",
	}))
	s := Load(r)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	cfg := s.Config()
	if cfg.Region != "eu-west-1" || *cfg.BaseEndpoint != "http://127.0.0.1:1" {
		t.Errorf("region %q endpoint %q", cfg.Region, *cfg.BaseEndpoint)
	}
	if got := s.EndpointFor("DYNAMODB"); got != "http://127.0.0.1:2" {
		t.Errorf("EndpointFor(DYNAMODB) = %q", got)
	}
	if got := s.EndpointFor("SECRETS_MANAGER"); got != "http://127.0.0.1:1" {
		t.Errorf("EndpointFor(SECRETS_MANAGER) = %q", got)
	}
	if got := cfg.Retryer().MaxAttempts(); got != 3 {
		t.Errorf("MaxAttempts = %d, want 3", got)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "AKIDEXAMPLE" || creds.SessionToken != "tok" {
		t.Errorf("credentials %+v, %v", creds, err)
	}
	if s.AttemptTimeout != 300*time.Millisecond {
		t.Errorf("AttemptTimeout = %v", s.AttemptTimeout)
	}
}
