package adversarial

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/pkg/custommessage"
	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/message"
	"github.com/cognito-triggers/suite/pkg/postauth"
	"github.com/cognito-triggers/suite/pkg/presignup"
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
	presignup.RefusalMessage: true,
	invoke.MalformedMessage:  true,
	triggers.GenericMessage:  true,
}

// ---------------------------------------------------------------------------
// Pre sign-up

// fakeDomains is a DomainStore.
type fakeDomains struct {
	mu      sync.Mutex
	records map[string]bool
	err     error
	stall   bool          // wait for the context
	delay   time.Duration // answer after this long, honouring the context
	seen    []string
}

func (f *fakeDomains) Domain(ctx context.Context, domain string) (trustedtable.DomainRecord, bool, error) {
	f.mu.Lock()
	f.seen = append(f.seen, domain)
	err, stall, delay, ok := f.err, f.stall, f.delay, f.records[domain]
	f.mu.Unlock()
	if stall {
		<-ctx.Done()
		return trustedtable.DomainRecord{}, false, ctx.Err()
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return trustedtable.DomainRecord{}, false, ctx.Err()
		}
	}
	if err != nil {
		return trustedtable.DomainRecord{}, false, err
	}
	return trustedtable.DomainRecord{TenantID: "t", DefaultRole: "member"}, ok, nil
}

type presignupSetup struct {
	allow   string
	store   presignup.DomainStore
	pools   []string
	budget  time.Duration
	timeout time.Duration
}

func presignupHandler(tb testing.TB, s presignupSetup, logs *logBuf) *invoke.Handler {
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
	d, _ := presignup.New(presignup.Config{Allowlist: al, TableTimeout: s.timeout}, s.store)
	if logs == nil {
		logs = &logBuf{}
	}
	return invoke.New(invoke.Options{Function: "presignup", Trigger: triggers.TriggerPreSignUp,
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

// memStore is an in-memory postauth.Store with the semantics Table.Put
// documents: a dedupe marker per (sub, key) valid for DedupeWindow from the
// last recorded sign-in, and one item per recorded sign-in.
type memStore struct {
	mu      sync.Mutex
	markers map[string]int64 // sub + "\x00" + key -> until (epoch ms)
	items   []postauth.Record
	err     error
	stall   bool
}

func newMemStore() *memStore { return &memStore{markers: map[string]int64{}} }

func (m *memStore) Put(ctx context.Context, r *postauth.Record) error {
	m.mu.Lock()
	stall, err := m.stall, m.err
	m.mu.Unlock()
	if stall {
		<-ctx.Done()
		return ctx.Err()
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := r.Time.UnixMilli()
	mk := r.Sub + "\x00" + r.Key
	if until, ok := m.markers[mk]; ok && !(until < now) {
		return postauth.ErrDuplicate
	}
	m.markers[mk] = now + postauth.DedupeWindow.Milliseconds()
	// Keep exactly what the DynamoDB store writes to the audit item, so
	// tests see what a reader of the real table would see.
	stored, err := postauth.RecordFromItem(postauth.Item(r))
	if err != nil {
		return err
	}
	m.items = append(m.items, stored)
	return nil
}

func (m *memStore) records() []postauth.Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]postauth.Record(nil), m.items...)
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func postauthHandler(tb testing.TB, store postauth.Store, clock *fakeClock, mode string, logs *logBuf) *invoke.Handler {
	tb.Helper()
	cfg := postauth.Config{Table: "audit", FailureMode: mode, WriteTimeout: 200 * time.Millisecond}
	if clock != nil {
		cfg.Now = clock.Now
	}
	if logs == nil {
		logs = &logBuf{}
	}
	return invoke.New(invoke.Options{Function: "postauth", Trigger: triggers.TriggerPostAuthentication,
		Budget: testBudget, Logger: newLogger(logs)}, postauth.New(cfg, store).Decide)
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

func customMessageHandler(tb testing.TB, cfg custommessage.Config, r custommessage.Renderer, logs *logBuf) *invoke.Handler {
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
	return invoke.New(invoke.Options{Function: "custommessage", Trigger: triggers.TriggerCustomMessage,
		Budget: testBudget, Logger: newLogger(logs)}, custommessage.New(cfg, r).Decide)
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

// unverifiedSources are the messages to recipients who have not proven they
// own the address: no user-controlled text may reach them (A8).
var unverifiedSources = map[triggers.Source]bool{
	triggers.SourceMessageSignUp: true, triggers.SourceMessageResendCode: true,
	triggers.SourceMessageUpdateUserAttribute: true, triggers.SourceMessageVerifyUserAttribute: true,
}

// userErr returns the user-visible text of an Invoke error, failing the
// test when the error is not a *triggers.UserError.
func userErr(tb testing.TB, err error) string {
	tb.Helper()
	if err == nil {
		return ""
	}
	var ue *triggers.UserError
	if !errors.As(err, &ue) {
		tb.Fatalf("Invoke returned %T, want *triggers.UserError", err)
	}
	return err.Error()
}

func ctx(tb testing.TB) context.Context { return tb.Context() }

var errBoom = errors.New("boom: dependency failed")
