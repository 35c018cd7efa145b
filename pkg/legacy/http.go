package legacy

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/cognito-triggers/suite/pkg/budget"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/secretcache"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// MaxBodyBytes caps a legacy response. A profile is a few hundred bytes;
// anything near this is a broken or hostile endpoint, and reading it whole
// would cost memory and time the trigger does not have.
const MaxBodyBytes = 64 << 10

// DefaultTimeout is LEGACY_TIMEOUT_MS's default: one legacy request's
// share of the 4 s invocation budget.
const DefaultTimeout = 2500 * time.Millisecond

// Doer sends one HTTP request; *http.Client implements it.
type Doer interface {
	Do(req *http.Request) (*http.Response, error)
}

// KeySource hands out the API key; *secretcache.Cache[Secret] implements it.
type KeySource interface {
	Get(ctx context.Context) (secretcache.Value[Secret], error)
	Refresh(ctx context.Context, stale secretcache.Value[Secret]) (secretcache.Value[Secret], error)
}

// HTTPOptions configure an HTTP store.
type HTTPOptions struct {
	// BaseURL is LEGACY_AUTH_URL, checked with ParseBaseURL; the store
	// posts to BaseURL+"/verify" and BaseURL+"/lookup".
	BaseURL string
	// Timeout bounds one request, from connecting to the last body byte;
	// the invocation's budget caps it further. 0 means DefaultTimeout.
	Timeout time.Duration
	// Client sends the requests; nil means NewHTTPClient(Timeout).
	Client Doer
}

// HTTP is the legacy source behind an authentication endpoint.
type HTTP struct {
	verifyURL, lookupURL string
	timeout              time.Duration
	client               Doer
	keys                 KeySource
}

// NewHTTP returns the store. It performs no I/O: the key is fetched on the
// first request.
func NewHTTP(opts HTTPOptions, keys KeySource) *HTTP {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Client == nil {
		opts.Client = NewHTTPClient(opts.Timeout)
	}
	base := strings.TrimRight(opts.BaseURL, "/")
	return &HTTP{verifyURL: base + "/verify", lookupURL: base + "/lookup", timeout: opts.Timeout, client: opts.Client, keys: keys}
}

// NewHTTPClient returns the dedicated client for the legacy endpoint. Never
// http.DefaultClient: it has no timeouts at all, follows redirects (which
// would re-send a password to wherever a Location header points) and is
// shared with any library in the binary. Every phase of a request has its
// own bound; the request context (LEGACY_TIMEOUT_MS within the budget)
// bounds the whole.
func NewHTTPClient(timeout time.Duration) *http.Client {
	dial := min(timeout, time.Second)
	return &http.Client{
		Transport: &http.Transport{
			// A corporate egress proxy is configured the standard way
			// (HTTPS_PROXY); loopback addresses never go through one.
			Proxy:                  http.ProxyFromEnvironment,
			DialContext:            (&net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:    dial,
			TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
			ResponseHeaderTimeout:  timeout,
			MaxResponseHeaderBytes: 16 << 10,
			MaxIdleConnsPerHost:    4,
			// Lambda freezes idle containers; a connection idle longer
			// than this is likely closed on the far side already.
			IdleConnTimeout:    50 * time.Second,
			DisableCompression: true,
			// HTTP/1.1 only: shipped binaries are built without net/http's
			// bundled HTTP/2 (Makefile LAMBDA_TAGS), so asking for it would
			// silently do nothing.
			ForceAttemptHTTP2: false,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// ParseBaseURL checks LEGACY_AUTH_URL: https, or http only to this host
// (127.0.0.1, ::1, localhost) for local tests; no user info (credentials
// come from the secret, and a URL is printed in transport errors), no query
// and no fragment. It returns the URL without a trailing slash.
func ParseBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("not a URL")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	case u.Scheme == "http":
		return "", errors.New("must be https:// (http:// is allowed only for 127.0.0.1, ::1 and localhost)")
	default:
		return "", errors.New("must be an https:// URL")
	}
	switch {
	case u.Host == "" || u.Hostname() == "":
		return "", errors.New("has no host")
	case u.User != nil:
		return "", errors.New("must not carry user info: the API key comes from LEGACY_SECRET_ID")
	case u.RawQuery != "" || u.ForceQuery:
		return "", errors.New("must not have a query")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "", errors.New("must not have a fragment")
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// verifyRequest and lookupRequest are the protocol's request bodies.
type verifyRequest struct {
	Username string            `json:"username"`
	Password triggers.Password `json:"password"`
}

type lookupRequest struct {
	Username string `json:"username"`
}

// requestOptions encode the requests as encoding/json would: invalid UTF-8
// (which the event decoder has already replaced) as U+FFFD, and U+2028 and
// U+2029 escaped, so that an adapter written in JavaScript reads the same
// string.
var requestOptions = json.JoinOptions(jsontext.AllowInvalidUTF8(true), jsontext.EscapeForJS(true))

// Authenticate asks the endpoint whether password is username's.
//
// The POST is never retried, except once after a 401 with a refreshed key:
// a legacy system may count failed attempts toward a lockout, so a second
// attempt after an unclear failure could lock the user out; a 401 means
// the endpoint refused our key before looking at the credentials.
func (h *HTTP) Authenticate(ctx context.Context, username string, password triggers.Password) (Answer, error) {
	body, err := json.Marshal(verifyRequest{Username: username, Password: password}, requestOptions)
	if err != nil {
		// The encoder's error could quote the password.
		return Answer{}, fail(decision.ReasonLegacyError, errors.New("cannot encode the request"))
	}
	return h.exchange(ctx, h.verifyURL, body, ResultInvalid, decision.ReasonInvalidCredentials, username)
}

// Lookup asks the endpoint for username's profile, for a forgotten password.
func (h *HTTP) Lookup(ctx context.Context, username string) (Answer, error) {
	body, err := json.Marshal(lookupRequest{Username: username}, requestOptions)
	if err != nil {
		return Answer{}, fail(decision.ReasonLegacyError, errors.New("cannot encode the request"))
	}
	return h.exchange(ctx, h.lookupURL, body, ResultNotFound, decision.ReasonNotFound, username)
}

func (h *HTTP) exchange(ctx context.Context, url string, body []byte, no string, note decision.Reason, username string) (Answer, error) {
	key, err := h.keys.Get(ctx)
	if err != nil {
		return Answer{}, secretErr(ctx, err)
	}
	status, resp, err := h.post(ctx, url, body, key.V.APIKey)
	if err != nil {
		return Answer{}, err
	}
	if status == http.StatusUnauthorized {
		fresh, err := h.keys.Refresh(ctx, key)
		if err != nil {
			return Answer{}, secretErr(ctx, fmt.Errorf("refresh after HTTP 401: %w", err))
		}
		if fresh.V.APIKey == key.V.APIKey {
			return Answer{}, legacyErr(ctx, &StatusError{Code: status, Detail: "and the refreshed secret holds the same key"})
		}
		if status, resp, err = h.post(ctx, url, body, fresh.V.APIKey); err != nil {
			return Answer{}, err
		}
		if status == http.StatusUnauthorized {
			return Answer{}, legacyErr(ctx, &StatusError{Code: status, Detail: "again with the refreshed key"})
		}
	}
	if status != http.StatusOK {
		return Answer{}, legacyErr(ctx, &StatusError{Code: status})
	}
	result, u, err := ParseResponse(resp, no, username)
	if err != nil {
		return Answer{}, fail(decision.ReasonLegacyMalformed, err)
	}
	if result != ResultOK {
		return Answer{Note: note}, nil
	}
	return Answer{OK: true, User: u}, nil
}

// post sends one request under its own deadline and returns the status
// and, for a 200, the body (Content-Type and size checked).
func (h *HTTP) post(ctx context.Context, url string, body []byte, apiKey string) (int, []byte, error) {
	rctx, cancel := budget.For(ctx, h.timeout)
	defer cancel()
	if rctx.Err() != nil {
		return 0, nil, fail(decision.ReasonLegacyTimeout, errors.New("no budget left for the legacy request"))
	}
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fail(decision.ReasonLegacyError, errors.New("cannot build the request"))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("User-Agent", "cognito-triggers-migrateuser/1")
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, nil, legacyErr(rctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Drain a little so the connection can be reused; the body of an
		// error answer is not read further.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		return resp.StatusCode, nil, nil
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return 0, nil, fail(decision.ReasonLegacyMalformed, errors.New("HTTP 200 without Content-Type application/json"))
	}
	if resp.ContentLength > MaxBodyBytes {
		return 0, nil, fail(decision.ReasonLegacyMalformed, fmt.Errorf("body of %d bytes exceeds %d", resp.ContentLength, MaxBodyBytes))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes+1))
	if err != nil {
		return 0, nil, legacyErr(rctx, fmt.Errorf("read body: %w", err))
	}
	if len(data) > MaxBodyBytes {
		return 0, nil, fail(decision.ReasonLegacyMalformed, fmt.Errorf("body exceeds %d bytes", MaxBodyBytes))
	}
	return resp.StatusCode, data, nil
}
