package legacy

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/legacyserver"
	"github.com/cognito-triggers/suite/pkg/secretcache"
)

// fakeSecrets is a Secrets Manager whose SecretString a test rotates.
type fakeSecrets struct {
	mu    sync.Mutex
	value string
	err   error
	calls atomic.Int32
}

func (f *fakeSecrets) set(v string) { f.mu.Lock(); f.value = v; f.mu.Unlock() }

func (f *fakeSecrets) GetSecretValue(_ context.Context, _ *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	v := f.value
	return &secretsmanager.GetSecretValueOutput{SecretString: &v}, nil
}

const (
	testKey      = "key-current-3b9e"
	testPassword = `correct "horse" battery \ staple ✓`
)

var maria = legacyserver.Account{
	Password: testPassword,
	User: legacyserver.User{
		Username: "maria.rivera@example.com", Email: "maria.rivera@example.com", EmailVerified: true,
		PhoneNumber: "+15555550100", Attributes: map[string]string{"name": "Maria Rivera", "custom:plan": "gold"},
	},
}

var mariaUser = User{
	Username: "maria.rivera@example.com", Email: "maria.rivera@example.com", EmailVerified: true,
	PhoneNumber: "+15555550100", Attributes: map[string]string{"name": "Maria Rivera", "custom:plan": "gold"},
}

// httpStore starts a fake endpoint and a store talking to it with a
// secret holding secretKey.
func httpStore(t *testing.T, secretKey string, timeout time.Duration) (*HTTP, *legacyserver.Server, *fakeSecrets) {
	t.Helper()
	srv, err := legacyserver.Start(testKey, maria)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	sm := &fakeSecrets{value: `{"api_key":"` + secretKey + `"}`}
	keys := secretcache.New(sm, "legacy/api", secretcache.Options{TTL: time.Hour}, ParseAPIKeySecret)
	return NewHTTP(HTTPOptions{BaseURL: srv.URL, Timeout: timeout}, keys), srv, sm
}

func TestHTTPAnswers(t *testing.T) {
	h, srv, _ := httpStore(t, testKey, time.Second)
	ctx := context.Background()
	tests := []struct {
		name     string
		call     func() (Answer, error)
		want     Answer
		path     string
		wantCall int
	}{
		{"right password", func() (Answer, error) {
			return h.Authenticate(ctx, "maria.rivera@example.com", []byte(testPassword))
		}, Answer{OK: true, User: mariaUser}, legacyserver.PathVerify, 1},
		{"wrong password", func() (Answer, error) {
			return h.Authenticate(ctx, "maria.rivera@example.com", []byte(testPassword+" "))
		}, Answer{Note: NoteInvalid}, legacyserver.PathVerify, 2},
		{"unknown user answers as a wrong password", func() (Answer, error) {
			return h.Authenticate(ctx, "nobody@example.com", []byte(testPassword))
		}, Answer{Note: NoteInvalid}, legacyserver.PathVerify, 3},
		{"lookup", func() (Answer, error) { return h.Lookup(ctx, "maria.rivera@example.com") },
			Answer{OK: true, User: mariaUser}, legacyserver.PathLookup, 1},
		{"lookup unknown", func() (Answer, error) { return h.Lookup(ctx, "nobody@example.com") },
			Answer{Note: NoteNotFound}, legacyserver.PathLookup, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.call()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			if n := srv.Calls(tt.path); n != tt.wantCall {
				t.Errorf("%d calls to %s so far, want %d", n, tt.path, tt.wantCall)
			}
		})
	}
}

// TestHTTPRefreshesTheKeyOnceOn401: the legacy side rotated; the cached
// key is refused, the secret is fetched again, and the request is retried
// once with the new key.
func TestHTTPRefreshesTheKeyOnceOn401(t *testing.T) {
	h, srv, sm := httpStore(t, "key-old", time.Second)
	ctx := context.Background()
	if _, err := h.Lookup(ctx, "maria.rivera@example.com"); ReasonOf(err) != ReasonUnauthorized {
		t.Fatalf("with only the old key: err = %v, want %s", err, ReasonUnauthorized)
	}
	if n := srv.Calls(legacyserver.PathLookup); n != 1 {
		t.Errorf("%d requests, want 1: the refreshed secret held the same key, so no retry", n)
	}
	sm.set(`{"api_key":"` + testKey + `"}`)
	ans, err := h.Authenticate(ctx, "maria.rivera@example.com", []byte(testPassword))
	if err != nil || !ans.OK {
		t.Fatalf("after rotation: %+v, %v", ans, err)
	}
	if got, want := srv.Refused(legacyserver.PathVerify), 1; got != want {
		t.Errorf("%d refused verify requests, want %d", got, want)
	}
	if got, want := srv.Calls(legacyserver.PathVerify), 2; got != want {
		t.Errorf("%d verify requests, want %d (one refused, one retried)", got, want)
	}
	if got, want := sm.calls.Load(), int32(3); got != want {
		t.Errorf("%d secret fetches, want %d", got, want)
	}
	// Refused again with yet another key: one retry, then an error.
	sm.set(`{"api_key":"key-other"}`)
	srv.SetAPIKey("key-newest")
	if _, err := h.Authenticate(ctx, "maria.rivera@example.com", []byte(testPassword)); ReasonOf(err) != ReasonUnauthorized {
		t.Errorf("err = %v, want %s", err, ReasonUnauthorized)
	}
	if got, want := srv.Calls(legacyserver.PathVerify), 4; got != want {
		t.Errorf("%d verify requests, want %d", got, want)
	}
}

// TestHTTPFailures: every way the endpoint can misbehave is an *Error with
// its reason, within the timeout, after exactly one request (no retry of a
// POST that may count toward a lockout).
func TestHTTPFailures(t *testing.T) {
	const timeout = 300 * time.Millisecond
	big := append(append([]byte(`{"result":"invalid","pad":"`), bytes.Repeat([]byte("x"), MaxBodyBytes)...), `"}`...)
	tests := []struct {
		name   string
		fault  *legacyserver.Fault
		reason string
	}{
		{"HTTP 500", &legacyserver.Fault{Status: 500, Body: []byte(`{"result":"ok"}`)}, ReasonError},
		{"HTTP 503", &legacyserver.Fault{Status: 503}, ReasonError},
		{"HTTP 429", &legacyserver.Fault{Status: 429}, ReasonError},
		{"HTTP 403", &legacyserver.Fault{Status: 403}, ReasonError},
		{"hang past the timeout", &legacyserver.Fault{Hang: true}, ReasonTimeout},
		{"slower than the timeout", &legacyserver.Fault{Delay: 10 * timeout, Body: []byte(`{"result":"invalid"}`)}, ReasonTimeout},
		{"truncated JSON", &legacyserver.Fault{Body: []byte(`{"result":"ok","user":{"usern`)}, ReasonMalformed},
		{"string-typed boolean", &legacyserver.Fault{Body: []byte(`{"result":"ok","user":{"username":"maria.rivera@example.com","email_verified":"true"}}`)}, ReasonMalformed},
		{"unknown result", &legacyserver.Fault{Body: []byte(`{"result":"locked"}`)}, ReasonMalformed},
		{"oversized body", &legacyserver.Fault{Body: big}, ReasonMalformed},
		{"not JSON content type", &legacyserver.Fault{Body: []byte(`{"result":"invalid"}`), ContentType: "text/html"}, ReasonMalformed},
		{"trailing data", &legacyserver.Fault{Body: []byte(`{"result":"invalid"} {"result":"ok"}`)}, ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, srv, _ := httpStore(t, testKey, timeout)
			srv.SetFault(legacyserver.PathVerify, tt.fault)
			start := time.Now()
			ans, err := h.Authenticate(context.Background(), "maria.rivera@example.com", []byte(testPassword))
			elapsed := time.Since(start)
			if ReasonOf(err) != tt.reason || ans.OK {
				t.Fatalf("answer %+v, err %v; want reason %s", ans, err, tt.reason)
			}
			var le *Error
			if !errors.As(err, &le) {
				t.Errorf("err is %T, want *Error", err)
			}
			if elapsed > timeout+400*time.Millisecond { // margin for a loaded machine
				t.Errorf("answered after %v, timeout %v", elapsed, timeout)
			}
			if strings.Contains(err.Error(), "horse") || strings.Contains(err.Error(), testKey) {
				t.Errorf("error leaks a secret: %v", err)
			}
		})
	}
}

// TestHTTPNoRetry: a 500 is answered after exactly one request.
func TestHTTPNoRetry(t *testing.T) {
	h, srv, _ := httpStore(t, testKey, time.Second)
	srv.SetFault(legacyserver.PathVerify, &legacyserver.Fault{Status: 500})
	_, _ = h.Authenticate(context.Background(), "maria.rivera@example.com", []byte(testPassword))
	if n := srv.Calls(legacyserver.PathVerify); n != 1 {
		t.Errorf("%d requests for one failed verification, want 1", n)
	}
}

// TestHTTPRedirectNotFollowed: a 3xx would re-send the password to
// wherever Location points; it is an error instead.
func TestHTTPRedirectNotFollowed(t *testing.T) {
	h, _, _ := httpStore(t, testKey, time.Second)
	target, err := legacyserver.Start(testKey, maria)
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+legacyserver.PathVerify, http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	h2 := NewHTTP(HTTPOptions{BaseURL: redirector.URL, Timeout: time.Second}, h.keys)
	if _, err := h2.Authenticate(context.Background(), "maria.rivera@example.com", []byte(testPassword)); ReasonOf(err) != ReasonError {
		t.Errorf("err = %v, want %s", err, ReasonError)
	}
	if n := target.Calls(legacyserver.PathVerify); n != 0 {
		t.Errorf("the redirect was followed (%d requests at the target)", n)
	}
}

func TestHTTPSecretUnavailable(t *testing.T) {
	h, srv, sm := httpStore(t, testKey, time.Second)
	sm.err = errors.New("ServiceUnavailable")
	if _, err := h.Authenticate(context.Background(), "maria.rivera@example.com", []byte(testPassword)); ReasonOf(err) != ReasonSecret {
		t.Errorf("err = %v, want %s", err, ReasonSecret)
	}
	if n := srv.Calls(legacyserver.PathVerify); n != 0 {
		t.Errorf("%d requests without a key", n)
	}
}

func TestHTTPConnectionRefused(t *testing.T) {
	h, srv, _ := httpStore(t, testKey, time.Second)
	srv.Close()
	if _, err := h.Lookup(context.Background(), "maria.rivera@example.com"); ReasonOf(err) != ReasonError {
		t.Errorf("err = %v, want %s", err, ReasonError)
	}
}

// TestHTTPBudget: an invocation with less time left than LEGACY_TIMEOUT_MS
// gets an answer before its own deadline.
func TestHTTPBudget(t *testing.T) {
	h, srv, _ := httpStore(t, testKey, 3*time.Second)
	srv.SetFault(legacyserver.PathLookup, &legacyserver.Fault{Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := h.Lookup(ctx, "maria.rivera@example.com")
	if ReasonOf(err) != ReasonTimeout {
		t.Errorf("err = %v, want %s", err, ReasonTimeout)
	}
	if d := time.Since(start); d > 600*time.Millisecond { // margin for a loaded machine
		t.Errorf("answered after %v with a 200 ms budget", d)
	}
}
