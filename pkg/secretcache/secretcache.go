// Package secretcache fetches a Secrets Manager secret on first use and
// keeps it, parsed, for the life of the Lambda container.
//
// A trigger must not touch the network at cold start: init time is part of
// the first sign-in's five seconds, and a function that cannot start because
// Secrets Manager blinked fails every invocation until it is recycled. So the
// secret is fetched by the first invocation that needs it, under that
// invocation's budget, and a failure fails only that invocation.
//
// Rotation is handled two ways: the cached value expires after a TTL, and a
// caller that finds the value rejected (the legacy endpoint answering 401)
// asks for a Refresh, which fetches again at most once per cached version no
// matter how many callers ask.
//
// Errors never contain the secret's value, only its id and what was wrong.
package secretcache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/cognito-triggers/suite/pkg/awsconf"
	"github.com/cognito-triggers/suite/pkg/budget"
)

// NewClient returns a Secrets Manager client, honouring
// AWS_ENDPOINT_URL(_SECRETS_MANAGER) for a local server. It performs no I/O,
// so it is safe (and cheap) at cold start.
func NewClient(s awsconf.Settings) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(s.Config(), func(o *secretsmanager.Options) {
		if ep := s.EndpointFor("SECRETS_MANAGER"); ep != "" {
			o.BaseEndpoint = &ep
		}
	})
}

// GetSecretValueAPI is the one Secrets Manager call the cache makes;
// *secretsmanager.Client implements it.
type GetSecretValueAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// DefaultTTL is how long a fetched value is used before it is fetched again.
const DefaultTTL = 5 * time.Minute

// DefaultTimeout bounds one fetch (all SDK attempts), within the
// invocation's budget.
const DefaultTimeout = 1200 * time.Millisecond

// Options configure a Cache.
type Options struct {
	// TTL is how long a value is used; 0 fetches on every Get.
	TTL time.Duration
	// Timeout bounds one fetch; 0 means DefaultTimeout. The invocation's
	// budget (see package budget) caps it further.
	Timeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Value is a parsed secret and the generation it belongs to. Generations
// only grow; Refresh uses them to tell "the value I was given is stale"
// from "someone already fetched a newer one".
type Value[T any] struct {
	V          T
	Generation uint64
}

// ErrFetch wraps every failure to obtain a usable value: the call failed or
// timed out, the secret is binary, or it did not parse.
var ErrFetch = errors.New("secret unavailable")

// Cache holds one secret. It is safe for concurrent use; concurrent callers
// that find it empty or expired wait for a single fetch.
type Cache[T any] struct {
	client GetSecretValueAPI
	id     string
	parse  func([]byte) (T, error)
	ttl    time.Duration
	limit  time.Duration
	now    func() time.Time

	// sem is a one-slot lock that a waiter can abandon when its context
	// ends, which sync.Mutex cannot do.
	sem     chan struct{}
	have    bool
	value   Value[T]
	fetched time.Time
}

// New returns a Cache for secretID. parse turns the SecretString into T; its
// error must not quote the input (it is the secret).
func New[T any](client GetSecretValueAPI, secretID string, opts Options, parse func([]byte) (T, error)) *Cache[T] {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Cache[T]{
		client: client, id: secretID, parse: parse,
		ttl: opts.TTL, limit: opts.Timeout, now: opts.Now,
		sem: make(chan struct{}, 1),
	}
}

// Get returns the cached value, fetching it first when there is none or it
// has expired. A failed fetch is not cached: the next Get tries again.
func (c *Cache[T]) Get(ctx context.Context) (Value[T], error) {
	if err := c.lock(ctx); err != nil {
		return Value[T]{}, err
	}
	defer c.unlock()
	if c.have && (c.ttl > 0 && c.now().Sub(c.fetched) < c.ttl) {
		return c.value, nil
	}
	return c.fetchLocked(ctx)
}

// Refresh fetches the secret again because stale was rejected, unless a
// newer generation than stale's is already cached (another caller
// refreshed first), in which case that one is returned without a call.
func (c *Cache[T]) Refresh(ctx context.Context, stale Value[T]) (Value[T], error) {
	if err := c.lock(ctx); err != nil {
		return Value[T]{}, err
	}
	defer c.unlock()
	if c.have && c.value.Generation > stale.Generation {
		return c.value, nil
	}
	return c.fetchLocked(ctx)
}

func (c *Cache[T]) lock(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: get secret %s: waiting for another fetch: %w", ErrFetch, c.id, ctx.Err())
	}
}

func (c *Cache[T]) unlock() { <-c.sem }

func (c *Cache[T]) fetchLocked(ctx context.Context) (Value[T], error) {
	fctx, cancel := budget.For(ctx, c.limit)
	defer cancel()
	out, err := c.client.GetSecretValue(fctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(c.id)})
	if err != nil {
		return Value[T]{}, fmt.Errorf("%w: get secret %s: %w", ErrFetch, c.id, err)
	}
	if out.SecretString == nil {
		return Value[T]{}, fmt.Errorf("%w: secret %s has no SecretString (binary secrets are not supported)", ErrFetch, c.id)
	}
	v, err := c.parse([]byte(*out.SecretString))
	if err != nil {
		return Value[T]{}, fmt.Errorf("%w: secret %s: %w", ErrFetch, c.id, err)
	}
	c.value = Value[T]{V: v, Generation: c.value.Generation + 1}
	c.have = true
	c.fetched = c.now()
	return c.value, nil
}
