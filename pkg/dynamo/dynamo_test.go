package dynamo

import (
	"testing"

	"github.com/cognito-triggers/suite/pkg/awsconf"
	"github.com/cognito-triggers/suite/pkg/envconfig"
)

// TestEndpointOverride: the service-specific endpoint wins over the general
// one, as the AWS SDKs read them, so local tables are reachable.
func TestEndpointOverride(t *testing.T) {
	env := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b",
		"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:2"}
	r := envconfig.New(func(k string) string { return env[k] })
	c := NewClient(awsconf.Load(r))
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	o := c.Options()
	if o.BaseEndpoint == nil || *o.BaseEndpoint != "http://127.0.0.1:2" || o.Region != "eu-west-1" {
		t.Errorf("endpoint %v region %q", o.BaseEndpoint, o.Region)
	}
	if got := o.Retryer.MaxAttempts(); got != 2 {
		t.Errorf("MaxAttempts = %d, want the bounded default 2", got)
	}
}
