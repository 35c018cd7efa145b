package secretcache

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/cognito-triggers/suite/internal/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

// fakeSM is a GetSecretValueAPI whose answer a test sets.
type fakeSM struct {
	mu     sync.Mutex
	value  *string
	binary bool
	err    error
	stall  bool
	calls  atomic.Int32
}

func (f *fakeSM) set(v string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.value = &v
}

func (f *fakeSM) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls.Add(1)
	if f.stall {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	if f.binary {
		return &secretsmanager.GetSecretValueOutput{SecretBinary: []byte("x")}, nil
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: f.value, VersionId: aws.String("v")}, nil
}

func identity(b []byte) (string, error) { return string(b), nil }

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestGetFetchesOnceWithinTTL(t *testing.T) {
	sm := &fakeSM{}
	sm.set("one")
	clk := &clock{t: time.Unix(1e9, 0)}
	c := New(sm, "legacy/api", Options{TTL: time.Minute, Now: clk.now}, identity)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		v, err := c.Get(ctx)
		if err != nil || v.V != "one" {
			t.Fatalf("Get = %q, %v", v.V, err)
		}
	}
	if n := sm.calls.Load(); n != 1 {
		t.Errorf("%d fetches within the TTL, want 1", n)
	}
	sm.set("two")
	clk.add(time.Minute)
	v, err := c.Get(ctx)
	if err != nil || v.V != "two" || v.Generation != 2 {
		t.Errorf("after the TTL: %+v, %v; want generation 2 holding two", v, err)
	}
}

func TestTTLZeroFetchesEveryTime(t *testing.T) {
	sm := &fakeSM{}
	sm.set("k")
	c := New(sm, "s", Options{}, identity)
	for i := 0; i < 3; i++ {
		if _, err := c.Get(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := sm.calls.Load(); n != 3 {
		t.Errorf("%d fetches, want 3", n)
	}
}

// TestRefreshOncePerGeneration: many callers holding the same stale value
// cause one fetch; a caller holding a value older than the cache gets the
// cached one without a call.
func TestRefreshOncePerGeneration(t *testing.T) {
	sm := &fakeSM{}
	sm.set("old")
	c := New(sm, "s", Options{TTL: time.Hour}, identity)
	ctx := context.Background()
	stale, err := c.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sm.set("new")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			v, err := c.Refresh(ctx, stale)
			if err != nil || v.V != "new" {
				t.Errorf("Refresh = %q, %v", v.V, err)
			}
		})
	}
	wg.Wait()
	if n := sm.calls.Load(); n != 2 {
		t.Errorf("%d fetches, want 2 (first use + one refresh)", n)
	}
	// A refresh of the current generation fetches again (the key was
	// rejected once more).
	cur, _ := c.Get(ctx)
	if _, err := c.Refresh(ctx, cur); err != nil {
		t.Fatal(err)
	}
	if n := sm.calls.Load(); n != 3 {
		t.Errorf("%d fetches, want 3", n)
	}
}

func TestFailuresAreNotCachedAndDoNotLeak(t *testing.T) {
	const secretValue = `{"api_key":"sk-canary-5f1e"}`
	tests := []struct {
		name  string
		sm    *fakeSM
		parse func([]byte) (string, error)
		want  string
	}{
		{"call fails", &fakeSM{err: errors.New("AccessDeniedException: not allowed")}, identity, "AccessDenied"},
		{"binary secret", &fakeSM{binary: true}, identity, "no SecretString"},
		{"parse fails", &fakeSM{}, func([]byte) (string, error) { return "", errors.New("bad shape") }, "bad shape"},
		{"stalls past the timeout", &fakeSM{stall: true}, identity, "deadline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.sm.set(secretValue)
			c := New(tt.sm, "legacy/api", Options{TTL: time.Hour, Timeout: 50 * time.Millisecond}, tt.parse)
			start := time.Now()
			_, err := c.Get(context.Background())
			if err == nil || !errors.Is(err, ErrFetch) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrFetch mentioning %q", err, tt.want)
			}
			if time.Since(start) > time.Second {
				t.Errorf("took %v", time.Since(start))
			}
			if strings.Contains(err.Error(), "sk-canary") {
				t.Errorf("error leaks the secret: %v", err)
			}
			_, _ = c.Get(context.Background())
			if n := tt.sm.calls.Load(); n != 2 {
				t.Errorf("%d calls after two failed Gets, want 2 (failures are not cached)", n)
			}
		})
	}
}

// TestBudgetCapsTheFetch: an invocation with 100 ms left does not wait the
// full fetch timeout.
func TestBudgetCapsTheFetch(t *testing.T) {
	c := New(&fakeSM{stall: true}, "s", Options{Timeout: 5 * time.Second}, identity)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.Get(ctx); err == nil {
		t.Fatal("a stalled fetch succeeded")
	}
	if d := time.Since(start); d > 300*time.Millisecond {
		t.Errorf("fetch took %v with 100 ms of budget", d)
	}
}

// TestRotationAgainstMoto: the real client against moto, rotated with
// PutSecretValue between a Get and a Refresh.
func TestRotationAgainstMoto(t *testing.T) {
	ctx := context.Background()
	moto := harness.MotoT(t)
	if err := moto.CreateSecret(ctx, "legacy/api", `{"api_key":"first"}`); err != nil {
		t.Fatal(err)
	}
	c := New(moto.SecretsManager(), "legacy/api", Options{TTL: time.Hour}, identity)
	v1, err := c.Get(ctx)
	if err != nil || v1.V != `{"api_key":"first"}` {
		t.Fatalf("Get = %q, %v", v1.V, err)
	}
	if _, err := moto.SecretsManager().PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String("legacy/api"), SecretString: aws.String(`{"api_key":"second"}`),
	}); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Get(ctx); v.V != v1.V {
		t.Errorf("Get within the TTL fetched again: %q", v.V)
	}
	v2, err := c.Refresh(ctx, v1)
	if err != nil || v2.V != `{"api_key":"second"}` {
		t.Fatalf("Refresh = %q, %v", v2.V, err)
	}
	c2 := New(moto.SecretsManager(), "no/such/secret", Options{}, identity)
	if _, err := c2.Get(ctx); err == nil || !errors.Is(err, ErrFetch) {
		t.Errorf("missing secret: err = %v", err)
	}
}
