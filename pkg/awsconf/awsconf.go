// Package awsconf builds the AWS SDK configuration a trigger needs, cheaply
// and without touching the network at cold start.
//
// config.LoadDefaultConfig reads shared config files, probes credential
// sources and costs about 3.5 ms and 12,000 allocations, which is more than
// the whole cold-start budget of a trigger that sits in every sign-in. In
// Lambda the region and the execution role's credentials are always in the
// environment, so this package reads exactly those and nothing else.
//
// It also bounds every call: the SDK's default retryer makes 3 attempts with
// up to 20 s of backoff and a client-side retry quota that fails fast during
// throttling storms. Here attempts, backoff and each attempt's duration are
// small and fixed, the quota is off, and the invocation's context deadline
// (see package budget) ends whatever is still running.
package awsconf

import (
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/cognito-triggers/suite/pkg/envconfig"
)

// Settings are the knobs read from the environment.
type Settings struct {
	Region         string
	MaxAttempts    int           // AWS_MAX_ATTEMPTS, 1..3, default 2
	AttemptTimeout time.Duration // AWS_ATTEMPT_TIMEOUT_MS, default 1000 ms: one attempt's whole HTTP exchange
	MaxBackoff     time.Duration // fixed: 50 ms
	// Endpoint overrides every service's endpoint (AWS_ENDPOINT_URL), as the
	// SDK does; used for local DynamoDB and Secrets Manager.
	Endpoint string
	// ServiceEndpoints holds AWS_ENDPOINT_URL_<SERVICE> overrides, keyed by
	// the SDK service id in that form (DYNAMODB, SECRETS_MANAGER).
	ServiceEndpoints map[string]string
	accessKeyID      string
	secretAccessKey  string
	sessionToken     string
}

// Load reads the settings; problems are recorded on r.
func Load(r *envconfig.Reader) Settings {
	s := Settings{
		Region:          r.Required("AWS_REGION"),
		MaxAttempts:     r.Int("AWS_MAX_ATTEMPTS", 2, 1, 3),
		AttemptTimeout:  r.Millis("AWS_ATTEMPT_TIMEOUT_MS", time.Second, 50*time.Millisecond, 4*time.Second),
		MaxBackoff:      50 * time.Millisecond,
		Endpoint:        r.String("AWS_ENDPOINT_URL", ""),
		accessKeyID:     r.Required("AWS_ACCESS_KEY_ID"),
		secretAccessKey: r.Required("AWS_SECRET_ACCESS_KEY"),
		sessionToken:    r.String("AWS_SESSION_TOKEN", ""),
	}
	for _, svc := range []string{"DYNAMODB", "SECRETS_MANAGER"} {
		if v := r.String("AWS_ENDPOINT_URL_"+svc, ""); v != "" {
			if s.ServiceEndpoints == nil {
				s.ServiceEndpoints = map[string]string{}
			}
			s.ServiceEndpoints[svc] = v
		}
	}
	return s
}

// EndpointFor returns the endpoint override for a service id (DYNAMODB,
// SECRETS_MANAGER), or "" to use AWS's.
func (s Settings) EndpointFor(service string) string {
	if v := s.ServiceEndpoints[service]; v != "" {
		return v
	}
	return s.Endpoint
}

// Config builds the aws.Config. It performs no I/O.
func (s Settings) Config() aws.Config {
	httpClient := awshttp.NewBuildableClient().
		WithTimeout(s.AttemptTimeout).
		WithDialerOptions(func(d *net.Dialer) {
			d.Timeout = min(s.AttemptTimeout, 500*time.Millisecond)
			d.KeepAlive = 30 * time.Second
		}).
		WithTransportOptions(func(t *http.Transport) {
			t.TLSHandshakeTimeout = min(s.AttemptTimeout, 800*time.Millisecond)
			t.ResponseHeaderTimeout = s.AttemptTimeout
			t.MaxIdleConnsPerHost = 8
			// Lambda freezes idle environments; an idle connection older
			// than this is likely dead on the server side already.
			t.IdleConnTimeout = 50 * time.Second
		})
	maxAttempts, maxBackoff := s.MaxAttempts, s.MaxBackoff
	return aws.Config{
		Region: s.Region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
			s.accessKeyID, s.secretAccessKey, s.sessionToken)),
		HTTPClient: httpClient,
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = maxAttempts
				o.MaxBackoff = maxBackoff
				o.RateLimiter = ratelimit.None
			})
		},
		RetryMaxAttempts: maxAttempts,
		BaseEndpoint:     nilIfEmpty(s.Endpoint),
	}
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
