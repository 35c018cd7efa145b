package adversarial

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/pkg/custommessage"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/message"
	"github.com/cognito-triggers/suite/pkg/postauth"
	"github.com/cognito-triggers/suite/pkg/presignup"
	"github.com/cognito-triggers/suite/pkg/signupgate"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

const (
	testPool   = "us-east-1_EXAMPLE"
	testClient = "1example23456789"
	testSub    = "7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b"
	testBudget = 1500 * time.Millisecond
)

// jstr is s as a JSON string literal.
func jstr(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// obj builds a JSON object from key/raw-value pairs, in order and without
// deduplication, so that tests can write duplicate, escaped and case-variant
// keys exactly as an attacker would. Keys are written verbatim between
// quotes (escape sequences allowed); values are raw JSON.
func obj(kv ...string) string {
	if len(kv)%2 != 0 {
		panic("obj: odd number of arguments")
	}
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + kv[i] + `":` + kv[i+1])
	}
	b.WriteByte('}')
	return b.String()
}

// strObj builds a JSON object of string values from key/value pairs, values
// JSON-encoded (keys verbatim, as in obj).
func strObj(kv ...string) string {
	raw := make([]string, len(kv))
	for i := 0; i < len(kv); i += 2 {
		raw[i], raw[i+1] = kv[i], jstr(kv[i+1])
	}
	return obj(raw...)
}

// event is a full trigger event around a raw request and response.
type event struct {
	version, source, region, pool, userName string
	callerContext                           string
	request, response                       string
	extra                                   []string // more raw top-level key/value pairs, appended last
}

func (e event) bytes() []byte {
	if e.version == "" {
		e.version = jstr("1")
	}
	if e.region == "" {
		e.region = jstr("us-east-1")
	}
	if e.pool == "" {
		e.pool = jstr(testPool)
	}
	if e.userName == "" {
		e.userName = jstr("jane.doe")
	}
	if e.callerContext == "" {
		e.callerContext = strObj("awsSdkVersion", "aws-sdk-unknown-unknown", "clientId", testClient)
	}
	kv := []string{
		"version", e.version,
		"triggerSource", jstr(e.source),
		"region", e.region,
		"userPoolId", e.pool,
		"userName", e.userName,
		"callerContext", e.callerContext,
		"request", e.request,
	}
	if e.response != "" {
		kv = append(kv, "response", e.response)
	}
	kv = append(kv, e.extra...)
	return []byte(obj(kv...))
}

// ---------------------------------------------------------------------------
// Logs

// logBuf is a goroutine-safe log sink.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// lines parses the log as JSON lines and fails the test on any line that is
// not one JSON object (log injection, a broken writer).
func (l *logBuf) lines(tb testing.TB) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(l.String(), "\n"), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(line))
		if err := dec.Decode(&m); err != nil || dec.More() {
			tb.Fatalf("log line is not exactly one JSON object (err %v):\n%q", err, line)
		}
		out = append(out, m)
	}
	return out
}

// decision returns the only decision line.
func (l *logBuf) decision(tb testing.TB) map[string]any {
	tb.Helper()
	lines := l.lines(tb)
	if len(lines) != 1 {
		tb.Fatalf("%d log lines, want exactly one decision line:\n%s", len(lines), l.String())
	}
	return lines[0]
}

// assertNoCanary fails when any canary appears in the text, compared
// case-insensitively and also in the JSON-escaped spelling.
func assertNoCanary(tb testing.TB, where, text string, canaries ...string) {
	tb.Helper()
	low := strings.ToLower(text)
	for _, c := range canaries {
		if c == "" {
			continue
		}
		esc := strings.Trim(jstr(c), `"`)
		if strings.Contains(low, strings.ToLower(c)) || strings.Contains(low, strings.ToLower(esc)) {
			tb.Errorf("%s contains the canary %q:\n%s", where, c, text)
		}
	}
}

func newLogger(w *logBuf) *slog.Logger { return telemetry.NewLogger(w, slog.LevelDebug) }

// userMessages are the only texts any of the three triggers may return to
// Cognito, which shows them to the end user.
var userMessages = map[string]bool{
	presignup.RefusalMessage:  true,
	decision.MalformedMessage: true,
	decision.GenericMessage:   true,
}

// invoker is a trigger function's handler whatever its event type, so
// that one test can drive all three triggers.
type invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// ---------------------------------------------------------------------------
// Pre sign-up

// Domain stores: the trusted table's domain lookups as the tests need them.

// domainsFound answers from a fixed set of domains.
func domainsFound(domains ...string) *fakes.TrustedTable {
	return &fakes.TrustedTable{DomainFn: func(_ context.Context, domain string) (trustedtable.DomainRecord, bool, error) {
		for _, d := range domains {
			if d == domain {
				return trustedtable.DomainRecord{TenantID: "t", DefaultRole: "member"}, true, nil
			}
		}
		return trustedtable.DomainRecord{}, false, nil
	}}
}

// domainsFailing fails every lookup with err.
func domainsFailing(err error) *fakes.TrustedTable {
	return &fakes.TrustedTable{DomainFn: func(context.Context, string) (trustedtable.DomainRecord, bool, error) {
		return trustedtable.DomainRecord{}, false, err
	}}
}

// domainsStalled never answers: each lookup waits for its context.
func domainsStalled() *fakes.TrustedTable {
	return &fakes.TrustedTable{DomainFn: func(ctx context.Context, _ string) (trustedtable.DomainRecord, bool, error) {
		<-ctx.Done()
		return trustedtable.DomainRecord{}, false, ctx.Err()
	}}
}

// domainsSlow answers like domainsFound after delay, unless the context
// ends first.
func domainsSlow(delay time.Duration, domains ...string) *fakes.TrustedTable {
	found := domainsFound(domains...)
	return &fakes.TrustedTable{DomainFn: func(ctx context.Context, domain string) (trustedtable.DomainRecord, bool, error) {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return trustedtable.DomainRecord{}, false, ctx.Err()
		}
		return found.Domain(ctx, domain)
	}}
}

type presignupSetup struct {
	allow   string
	store   signupgate.DomainStore // nil: allowlist only
	pools   []string
	budget  time.Duration
	timeout time.Duration
}

func presignupHandler(tb testing.TB, s presignupSetup, logs *logBuf) *invoke.Handler[triggers.PreSignUp, *triggers.PreSignUp] {
	tb.Helper()
	al, err := emailgate.ParseAllowlist(s.allow)
	if err != nil {
		tb.Fatal(err)
	}
	if s.timeout == 0 {
		s.timeout = 300 * time.Millisecond
	}
	if s.budget == 0 {
		s.budget = testBudget
	}
	cfg := presignup.Config{Allowlist: al, TableTimeout: s.timeout}
	if s.store != nil {
		cfg.Table = "trusted"
	}
	d, err := presignup.New(cfg, presignup.Deps{Domains: s.store})
	if err != nil {
		tb.Fatalf("presignup.New: %v", err)
	}
	if logs == nil {
		logs = &logBuf{}
	}
	return invoke.New[triggers.PreSignUp](invoke.Options{Function: "presignup",
		Budget: s.budget, Logger: newLogger(logs), AllowedPools: s.pools}, d.Decide)
}

// signUp is a PreSignUp_SignUp event with the given raw userAttributes.
func signUp(attrs string) []byte {
	return event{source: "PreSignUp_SignUp",
		request:  obj("userAttributes", attrs, "validationData", "null", "clientMetadata", strObj("signup_source", "web")),
		response: obj("autoConfirmUser", "false", "autoVerifyEmail", "false", "autoVerifyPhone", "false")}.bytes()
}

func signUpEmail(email string) []byte { return signUp(strObj("email", email, "name", "Jane Doe")) }

// ---------------------------------------------------------------------------
// Post authentication

// newMemStore is an empty in-memory audit store with the semantics of the
// DynamoDB one: a dedupe marker per (sub, idempotency key) valid for
// DedupeWindow from the last recorded sign-in, one item per sign-in.
func newMemStore() *fakes.MemAuditStore { return new(fakes.MemAuditStore) }

// failingStore fails every write with err.
func failingStore(err error) *fakes.AuditStore {
	return &fakes.AuditStore{PutFn: func(context.Context, *postauth.Record) error { return err }}
}

// stalledStore never answers: each write waits for its context.
func stalledStore() *fakes.AuditStore {
	return &fakes.AuditStore{PutFn: func(ctx context.Context, _ *postauth.Record) error {
		<-ctx.Done()
		return ctx.Err()
	}}
}

// newClock is a settable clock for the audit trail's timestamps.
func newClock() *fakes.Clock { return fakes.NewClock() }

// lambdaInvoker gives every invocation its own Lambda request id, as the
// runtime does: the audit item's sort key holds it, so that two sign-ins
// of one user in the same millisecond are two items.
type lambdaInvoker struct {
	h invoker
}

var requestIDs atomic.Int64

func (l lambdaInvoker) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	id := fmt.Sprintf("req-%06d", requestIDs.Add(1))
	return l.h.Invoke(lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: id}), payload)
}

func postauthHandler(tb testing.TB, store postauth.Store, clock *fakes.Clock, mode string, logs *logBuf) invoker {
	tb.Helper()
	deps := postauth.Deps{Store: store}
	if clock != nil {
		deps.Now = clock.Now
	}
	d, err := postauth.New(postauth.Config{Table: "audit", FailureMode: mode, WriteTimeout: 200 * time.Millisecond}, deps)
	if err != nil {
		tb.Fatalf("postauth.New: %v", err)
	}
	if logs == nil {
		logs = &logBuf{}
	}
	return lambdaInvoker{invoke.New[triggers.PostAuth](invoke.Options{Function: "postauth",
		Budget: testBudget, Logger: newLogger(logs)}, d.Decide)}
}

// postAuth is a PostAuthentication_Authentication event with the given raw
// request members appended after userAttributes.
func postAuth(attrs string, more ...string) []byte {
	return event{source: "PostAuthentication_Authentication",
		request: obj(append([]string{"userAttributes", attrs}, more...)...), response: "{}"}.bytes()
}

func postAuthDefault(more ...string) []byte {
	return postAuth(strObj("sub", testSub, "cognito:user_status", "CONFIRMED", "email_verified", "true",
		"email", "jane.doe@example.com", "name", "Jane Doe"), more...)
}

// ---------------------------------------------------------------------------
// Custom message

var brand = message.Config{AppName: "Acme", AppURL: "https://app.example.com", SupportEmail: "support@example.com"}

var sharedRenderer = sync.OnceValues(func() (*message.Renderer, error) { return message.New(brand) })

func renderer(tb testing.TB) *message.Renderer {
	tb.Helper()
	r, err := sharedRenderer()
	if err != nil {
		tb.Fatalf("message.New: %v", err)
	}
	return r
}

func customMessageHandler(tb testing.TB, cfg custommessage.Config, r custommessage.Renderer, logs *logBuf) *invoke.Handler[triggers.CustomMessage, *triggers.CustomMessage] {
	tb.Helper()
	if cfg.Message == (message.Config{}) {
		cfg.Message = brand
	}
	if r == nil {
		r = renderer(tb)
	}
	if logs == nil {
		logs = &logBuf{}
	}
	d, err := custommessage.New(cfg, custommessage.Deps{Renderer: r})
	if err != nil {
		tb.Fatalf("custommessage.New: %v", err)
	}
	return invoke.New[triggers.CustomMessage](invoke.Options{Function: "custommessage",
		Budget: testBudget, Logger: newLogger(logs), MalformedRequest: custommessage.MalformedRequest}, d.Decide)
}

// cmEvent is a custom message event. usernameParameter is raw JSON ("null"
// for every source but AdminCreateUser).
func cmEvent(source, userName, attrs, usernameParameter string) []byte {
	if usernameParameter == "" {
		usernameParameter = "null"
		if source == string(triggers.SourceMessageAdminCreateUser) {
			usernameParameter = jstr("{username}")
		}
	}
	return event{source: source, userName: jstr(userName),
		request: obj("userAttributes", attrs, "codeParameter", jstr("{####}"), "linkParameter", jstr("{##Click Here##}"),
			"usernameParameter", usernameParameter, "clientMetadata", strObj("signup_source", "web")),
		response: obj("smsMessage", "null", "emailMessage", "null", "emailSubject", "null")}.bytes()
}

// cmResponse reads the three response fields; nil means null.
type cmResponse struct {
	SMSMessage   *string `json:"smsMessage"`
	EmailMessage *string `json:"emailMessage"`
	EmailSubject *string `json:"emailSubject"`
}

func readCMResponse(tb testing.TB, out []byte) cmResponse {
	tb.Helper()
	var ev struct {
		Response cmResponse `json:"response"`
	}
	if err := json.Unmarshal(out, &ev); err != nil {
		tb.Fatalf("response is not JSON: %v\n%s", err, out)
	}
	return ev.Response
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// allSources are the seven custom message sources.
var allSources = []triggers.Source{
	triggers.SourceMessageSignUp, triggers.SourceMessageAdminCreateUser, triggers.SourceMessageResendCode,
	triggers.SourceMessageForgotPassword, triggers.SourceMessageUpdateUserAttribute,
	triggers.SourceMessageVerifyUserAttribute, triggers.SourceMessageAuthentication,
}

// unverifiedSources are the messages to recipients who have not proven
// they own the address: no user-controlled text may reach them, or an
// attacker could send text of their choosing in our signed mail to anyone.
var unverifiedSources = map[triggers.Source]bool{
	triggers.SourceMessageSignUp: true, triggers.SourceMessageResendCode: true,
	triggers.SourceMessageUpdateUserAttribute: true, triggers.SourceMessageVerifyUserAttribute: true,
}

// userErr returns the user-visible text of an Invoke error, failing the
// test when the error is not a *decision.UserError.
func userErr(tb testing.TB, err error) string {
	tb.Helper()
	if err == nil {
		return ""
	}
	var ue *decision.UserError
	if !errors.As(err, &ue) {
		tb.Fatalf("Invoke returned %T, want *decision.UserError", err)
	}
	return err.Error()
}

func ctx(tb testing.TB) context.Context { return tb.Context() }

var errBoom = errors.New("boom: dependency failed")
