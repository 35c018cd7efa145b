package legacy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/internal/legacyserver"
	"github.com/cognito-triggers/suite/pkg/budget"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/legacy"
	"github.com/cognito-triggers/suite/pkg/secretcache"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// rotatingSecret is a Secrets Manager whose SecretString a test rotates or
// breaks, counting the fetches.
type rotatingSecret struct {
	mu    sync.Mutex
	value string
	err   error
	calls atomic.Int32
}

func (r *rotatingSecret) set(v string) { r.mu.Lock(); r.value = v; r.mu.Unlock() }

func (r *rotatingSecret) fail(err error) { r.mu.Lock(); r.err = err; r.mu.Unlock() }

func (r *rotatingSecret) fake() *fakes.SecretsManager {
	return &fakes.SecretsManager{GetSecretValueFn: func(context.Context, *secretsmanager.GetSecretValueInput) (*secretsmanager.GetSecretValueOutput, error) {
		r.calls.Add(1)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.err != nil {
			return nil, r.err
		}
		return fakes.SecretString(r.value), nil
	}}
}

const (
	testKey      = "key-current-3b9e"
	testPassword = triggers.Password(`correct "horse" battery \ staple ✓`)
)

var maria = legacyserver.Account{
	Password: string(testPassword),
	User: legacyserver.User{
		Username: "maria.rivera@example.com", Email: "maria.rivera@example.com", EmailVerified: true,
		PhoneNumber: "+15555550100", Attributes: map[string]string{"name": "Maria Rivera", "custom:plan": "gold"},
	},
}

var mariaUser = legacy.User{
	Username: "maria.rivera@example.com", Email: "maria.rivera@example.com", EmailVerified: true,
	PhoneNumber: "+15555550100", Attributes: map[string]string{"name": "Maria Rivera", "custom:plan": "gold"},
}

// httpStore starts a fake endpoint and a store talking to it with a
// secret holding secretKey.
func httpStore(t *testing.T, secretKey string, timeout time.Duration) (*legacy.HTTP, *legacyserver.Server, *rotatingSecret) {
	t.Helper()
	srv, err := legacyserver.Start(testKey, maria)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	sm := &rotatingSecret{value: `{"api_key":"` + secretKey + `"}`}
	return legacy.NewHTTP(legacy.HTTPOptions{BaseURL: srv.URL, Timeout: timeout}, keys(sm)), srv, sm
}

func keys(sm *rotatingSecret) *secretcache.Cache[legacy.Secret] {
	return secretcache.New(sm.fake(), "legacy/api", secretcache.Options{TTL: time.Hour}, legacy.ParseAPIKeySecret)
}

func TestHTTPAnswers(t *testing.T) {
	h, srv, _ := httpStore(t, testKey, time.Second)
	ctx := context.Background()
	tests := []struct {
		name     string
		call     func() (legacy.Answer, error)
		want     legacy.Answer
		path     string
		wantCall int
	}{
		{"right password", func() (legacy.Answer, error) {
			return h.Authenticate(ctx, "maria.rivera@example.com", testPassword)
		}, legacy.Answer{OK: true, User: mariaUser}, legacyserver.PathVerify, 1},
		{"wrong password", func() (legacy.Answer, error) {
			return h.Authenticate(ctx, "maria.rivera@example.com", testPassword+" ")
		}, legacy.Answer{Note: decision.ReasonInvalidCredentials}, legacyserver.PathVerify, 2},
		{"unknown user answers as a wrong password", func() (legacy.Answer, error) {
			return h.Authenticate(ctx, "nobody@example.com", testPassword)
		}, legacy.Answer{Note: decision.ReasonInvalidCredentials}, legacyserver.PathVerify, 3},
		{"lookup", func() (legacy.Answer, error) { return h.Lookup(ctx, "maria.rivera@example.com") },
			legacy.Answer{OK: true, User: mariaUser}, legacyserver.PathLookup, 1},
		{"lookup unknown", func() (legacy.Answer, error) { return h.Lookup(ctx, "nobody@example.com") },
			legacy.Answer{Note: decision.ReasonNotFound}, legacyserver.PathLookup, 2},
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

// capture is an HTTP client that records the requests and answers each
// with the endpoint's "no".
type capture struct {
	mu     sync.Mutex
	bodies [][]byte
	reqs   []*http.Request
}

func (c *capture) doer() *fakes.HTTPDoer {
	return &fakes.HTTPDoer{DoFn: func(req *http.Request) (*http.Response, error) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.bodies = append(c.bodies, body)
		c.reqs = append(c.reqs, req)
		c.mu.Unlock()
		answer := `{"result":"not_found"}`
		if strings.HasSuffix(req.URL.Path, legacyserver.PathVerify) {
			answer = `{"result":"invalid"}`
		}
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": []string{"application/json"}},
			Body: io.NopCloser(strings.NewReader(answer)), ContentLength: -1, Request: req}, nil
	}}
}

func captureStore(t *testing.T, c *capture, timeout time.Duration) *legacy.HTTP {
	t.Helper()
	sm := &rotatingSecret{value: `{"api_key":"` + testKey + `"}`}
	return legacy.NewHTTP(legacy.HTTPOptions{BaseURL: "https://legacy.example.com", Timeout: timeout, Client: c.doer()}, keys(sm))
}

// TestHTTPRequestBodies: the adapter reads exactly the username and the
// password that were typed, whatever characters they hold, and /lookup
// carries no password member at all. The bodies are read back with
// encoding/json, independently of the encoder under test.
func TestHTTPRequestBodies(t *testing.T) {
	for _, pw := range []string{"plain", `q"uote\back`, "tab\tnl\nnul\x00del\x7f", "ünïcødé 密码", "\u2028\u2029", "<>&", "  spaces kept  "} {
		c := &capture{}
		h := captureStore(t, c, time.Second)
		user := `odd "name" ` + pw
		if _, err := h.Authenticate(context.Background(), user, triggers.Password(pw)); err != nil {
			t.Fatalf("%q: %v", pw, err)
		}
		if _, err := h.Lookup(context.Background(), user); err != nil {
			t.Fatalf("%q: %v", pw, err)
		}
		var verify map[string]string
		if err := json.Unmarshal(c.bodies[0], &verify); err != nil {
			t.Fatalf("%q: /verify body %q is not JSON: %v", pw, c.bodies[0], err)
		}
		if diff := cmp.Diff(map[string]string{"username": user, "password": pw}, verify); diff != "" {
			t.Errorf("/verify body (-want +got):\n%s", diff)
		}
		var lookup map[string]string
		if err := json.Unmarshal(c.bodies[1], &lookup); err != nil {
			t.Fatalf("%q: /lookup body %q is not JSON: %v", pw, c.bodies[1], err)
		}
		if diff := cmp.Diff(map[string]string{"username": user}, lookup); diff != "" {
			t.Errorf("/lookup body (-want +got):\n%s", diff)
		}
		if bytes.ContainsRune(c.bodies[0], '\u2028') || bytes.ContainsRune(c.bodies[0], '\u2029') {
			t.Errorf("U+2028/U+2029 sent unescaped: %q", c.bodies[0])
		}
		for i, req := range c.reqs {
			if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" || req.Header.Get("Authorization") != "Bearer "+testKey {
				t.Errorf("request %d: %s %s, headers %v", i, req.Method, req.URL, req.Header)
			}
		}
		if got := c.reqs[0].URL.String() + " " + c.reqs[1].URL.String(); got != "https://legacy.example.com/verify https://legacy.example.com/lookup" {
			t.Errorf("URLs %s", got)
		}
	}
}

// TestHTTPRequestDeadline: one request gets LEGACY_TIMEOUT_MS, or what is
// left of the invocation's budget minus the reserve to answer, whichever
// is shorter.
func TestHTTPRequestDeadline(t *testing.T) {
	const timeout = 300 * time.Millisecond
	c := &capture{}
	h := captureStore(t, c, timeout)

	before := time.Now()
	if _, err := h.Lookup(context.Background(), "maria"); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	dl, ok := c.reqs[0].Context().Deadline()
	if !ok || dl.Before(before.Add(timeout)) || dl.After(after.Add(timeout)) {
		t.Errorf("request deadline %v (ok %v), want LEGACY_TIMEOUT_MS after the call started", dl, ok)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	invocation, _ := ctx.Deadline()
	if _, err := h.Lookup(ctx, "maria"); err != nil {
		t.Fatal(err)
	}
	dl, ok = c.reqs[1].Context().Deadline()
	if !ok || dl.After(invocation) || dl.Before(invocation.Add(-budget.Reserve-timeout)) {
		t.Errorf("request deadline %v, want the invocation's %v minus the reserve", dl, invocation)
	}
}

// TestHTTPRefreshesTheKeyOnceOn401: the legacy side rotated; the cached
// key is refused, the secret is fetched again, and the request is retried
// once with the new key.
func TestHTTPRefreshesTheKeyOnceOn401(t *testing.T) {
	h, srv, sm := httpStore(t, "key-old", time.Second)
	ctx := context.Background()
	if _, err := h.Lookup(ctx, "maria.rivera@example.com"); legacy.ReasonOf(ctx, err) != decision.ReasonLegacyRefused {
		t.Fatalf("with only the old key: err = %v, want %s", err, decision.ReasonLegacyRefused)
	}
	if n := srv.Calls(legacyserver.PathLookup); n != 1 {
		t.Errorf("%d requests, want 1: the refreshed secret held the same key, so no retry", n)
	}
	sm.set(`{"api_key":"` + testKey + `"}`)
	ans, err := h.Authenticate(ctx, "maria.rivera@example.com", testPassword)
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
	if _, err := h.Authenticate(ctx, "maria.rivera@example.com", testPassword); legacy.ReasonOf(ctx, err) != decision.ReasonLegacyRefused {
		t.Errorf("err = %v, want %s", err, decision.ReasonLegacyRefused)
	}
	if got, want := srv.Calls(legacyserver.PathVerify), 4; got != want {
		t.Errorf("%d verify requests, want %d", got, want)
	}
}

// TestHTTPFailures: every way the endpoint can misbehave is an
// *legacy.Error with the reason the shared classifier gives it (the
// status of a refusal, a missing route or throttling is kept apart from
// other failures), after exactly one request (no retry of a POST that may
// count toward a lockout), and cut off by the request's own timeout, not by
// the caller's much later deadline.
func TestHTTPFailures(t *testing.T) {
	const timeout = 300 * time.Millisecond
	big := append(append([]byte(`{"result":"invalid","pad":"`), bytes.Repeat([]byte("x"), legacy.MaxBodyBytes)...), `"}`...)
	tests := []struct {
		name   string
		fault  *legacyserver.Fault
		reason decision.Reason
	}{
		{"HTTP 500", &legacyserver.Fault{Status: 500, Body: []byte(`{"result":"ok"}`)}, decision.ReasonLegacyError},
		{"HTTP 503", &legacyserver.Fault{Status: 503}, decision.ReasonLegacyError},
		{"HTTP 429", &legacyserver.Fault{Status: 429}, decision.ReasonLegacyThrottled},
		{"HTTP 403", &legacyserver.Fault{Status: 403}, decision.ReasonLegacyRefused},
		{"HTTP 404", &legacyserver.Fault{Status: 404}, decision.ReasonLegacyMissing},
		{"hang past the timeout", &legacyserver.Fault{Hang: true}, decision.ReasonLegacyTimeout},
		{"slower than the timeout", &legacyserver.Fault{Delay: 10 * timeout, Body: []byte(`{"result":"invalid"}`)}, decision.ReasonLegacyTimeout},
		{"truncated JSON", &legacyserver.Fault{Body: []byte(`{"result":"ok","user":{"usern`)}, decision.ReasonLegacyMalformed},
		{"string-typed boolean", &legacyserver.Fault{Body: []byte(`{"result":"ok","user":{"username":"maria.rivera@example.com","email_verified":"true"}}`)}, decision.ReasonLegacyMalformed},
		{"unknown result", &legacyserver.Fault{Body: []byte(`{"result":"locked"}`)}, decision.ReasonLegacyMalformed},
		{"oversized body", &legacyserver.Fault{Body: big}, decision.ReasonLegacyMalformed},
		{"not JSON content type", &legacyserver.Fault{Body: []byte(`{"result":"invalid"}`), ContentType: "text/html"}, decision.ReasonLegacyMalformed},
		{"trailing data", &legacyserver.Fault{Body: []byte(`{"result":"invalid"} {"result":"ok"}`)}, decision.ReasonLegacyMalformed},
		{"invalid UTF-8", &legacyserver.Fault{Body: []byte("{\"result\":\"ok\",\"user\":{\"username\":\"maria.rivera@example.com\",\"email\":\"m\xffx@example.com\"}}")}, decision.ReasonLegacyMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, srv, _ := httpStore(t, testKey, timeout)
			srv.SetFault(legacyserver.PathVerify, tt.fault)
			// A safety net far beyond the timeout: if it is what ended the
			// call, the store's own timeout did not work.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			ans, err := h.Authenticate(ctx, "maria.rivera@example.com", testPassword)
			if got := legacy.ReasonOf(ctx, err); got != tt.reason || ans.OK {
				t.Fatalf("answer %+v, err %v (reason %s); want reason %s", ans, err, got, tt.reason)
			}
			if ctx.Err() != nil {
				t.Errorf("the call ran until the caller's deadline")
			}
			var le *legacy.Error
			if !errors.As(err, &le) {
				t.Errorf("err is %T, want *legacy.Error", err)
			}
			if strings.Contains(err.Error(), "horse") || strings.Contains(err.Error(), testKey) {
				t.Errorf("error leaks a secret: %v", err)
			}
			if n := srv.Calls(legacyserver.PathVerify); n != 1 {
				t.Errorf("%d requests, want exactly 1", n)
			}
		})
	}
}

// TestHTTPStatusErrorCarriesTheStatus: the status reaches the shared
// classifier through the error chain, so alarms read "refused" or
// "throttled" the same way for every dependency.
func TestHTTPStatusErrorCarriesTheStatus(t *testing.T) {
	h, srv, _ := httpStore(t, testKey, time.Second)
	srv.SetFault(legacyserver.PathLookup, &legacyserver.Fault{Status: 429})
	_, err := h.Lookup(context.Background(), "maria.rivera@example.com")
	var se *legacy.StatusError
	if !errors.As(err, &se) || se.HTTPStatusCode() != 429 {
		t.Fatalf("err = %v, want a *legacy.StatusError with status 429", err)
	}
	if got := decision.Classify(context.Background(), err); got != decision.Throttled {
		t.Errorf("Classify = %s, want %s", got, decision.Throttled)
	}
}

// TestHTTPRedirectNotFollowed: a 3xx would re-send the password to
// wherever Location points; it is an error instead.
func TestHTTPRedirectNotFollowed(t *testing.T) {
	target, err := legacyserver.Start(testKey, maria)
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+legacyserver.PathVerify, http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	sm := &rotatingSecret{value: `{"api_key":"` + testKey + `"}`}
	h := legacy.NewHTTP(legacy.HTTPOptions{BaseURL: redirector.URL, Timeout: time.Second}, keys(sm))
	ctx := context.Background()
	if _, err := h.Authenticate(ctx, "maria.rivera@example.com", testPassword); legacy.ReasonOf(ctx, err) != decision.ReasonLegacyError {
		t.Errorf("err = %v, want %s", err, decision.ReasonLegacyError)
	}
	if n := target.Calls(legacyserver.PathVerify); n != 0 {
		t.Errorf("the redirect was followed (%d requests at the target)", n)
	}
}

// TestHTTPSecretFailures: without a key nothing is sent, and the failure
// is the secret's, classified like any Secrets Manager failure; a secret
// that is read but does not hold a usable key is secret_malformed.
func TestHTTPSecretFailures(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		value  string
		err    error
		reason decision.Reason
	}{
		{"unavailable", "", errors.New("ServiceUnavailable"), decision.ReasonSecretError},
		{"throttled", "", &codedError{"ThrottlingException"}, decision.ReasonSecretThrottled},
		{"missing", "", &codedError{"ResourceNotFoundException"}, decision.ReasonSecretMissing},
		{"access denied", "", &codedError{"AccessDeniedException"}, decision.ReasonSecretRefused},
		{"no api_key", `{"firebase":null}`, nil, decision.ReasonSecretMalformed},
		{"not JSON", `api_key=` + testKey, nil, decision.ReasonSecretMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, srv, sm := httpStore(t, testKey, time.Second)
			sm.set(tc.value)
			sm.fail(tc.err)
			_, err := h.Authenticate(ctx, "maria.rivera@example.com", testPassword)
			if got := legacy.ReasonOf(ctx, err); got != tc.reason {
				t.Errorf("err = %v (reason %s), want %s", err, got, tc.reason)
			}
			if err != nil && strings.Contains(err.Error(), testKey) {
				t.Errorf("error quotes the secret: %v", err)
			}
			if n := srv.Calls(legacyserver.PathVerify); n != 0 {
				t.Errorf("%d requests without a key", n)
			}
		})
	}
}

// codedError is an error with an AWS error code, as the SDK returns.
type codedError struct{ code string }

func (e *codedError) Error() string     { return e.code + ": test" }
func (e *codedError) ErrorCode() string { return e.code }

func TestHTTPConnectionRefused(t *testing.T) {
	h, srv, _ := httpStore(t, testKey, time.Second)
	srv.Close()
	ctx := context.Background()
	if _, err := h.Lookup(ctx, "maria.rivera@example.com"); legacy.ReasonOf(ctx, err) != decision.ReasonLegacyError {
		t.Errorf("err = %v, want %s", err, decision.ReasonLegacyError)
	}
}

// TestHTTPBudget: an invocation with less time left than LEGACY_TIMEOUT_MS
// is answered with legacy_timeout when its own budget runs out, not after
// LEGACY_TIMEOUT_MS (see TestHTTPRequestDeadline for the deadline itself).
func TestHTTPBudget(t *testing.T) {
	h, srv, _ := httpStore(t, testKey, time.Minute)
	srv.SetFault(legacyserver.PathLookup, &legacyserver.Fault{Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := h.Lookup(ctx, "maria.rivera@example.com")
	if got := legacy.ReasonOf(ctx, err); got != decision.ReasonLegacyTimeout {
		t.Errorf("err = %v, want %s", err, decision.ReasonLegacyTimeout)
	}
}
