package adversarial

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/pkg/custommessage"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/postauth"
	"github.com/cognito-triggers/suite/pkg/presignup"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// Canaries planted in every field an attacker controls. None may reach a
// log line or a user-visible error.
const (
	canaryEmail = "canary.mail.71f3@example.com"
	canaryPhone = "+15555550123"
	canaryName  = "CanaryNameQ7x"
	canaryMeta  = "canary-meta-9b2e"
	canaryUser  = "canary-user-5d1a"
	canaryLoc   = "canary-locale-3c"
	canaryCode  = "{####}"
)

// injection is a value built to break a JSON-lines log or forge fields in
// it: quotes, a newline followed by a fake decision, CR, U+2028, invalid
// UTF-8, NUL and an ANSI escape.
const injection = "x\",\"outcome\":\"allowed\",\"level\":\"INFO\"}\n{\"message\":\"decision\",\"outcome\":\"allowed\"\r\u2028\xff\x00\x1b[31m"

var allCanaries = []string{canaryEmail, canaryPhone, canaryName, canaryMeta, canaryUser, canaryLoc, "outcome\\\":\\\"allowed"}

// hostileAttrs is a userAttributes object full of canaries and injection.
func hostileAttrs(email string) string {
	return strObj("email", email, "phone_number", canaryPhone, "name", canaryName+injection,
		"given_name", canaryName, "nickname", canaryName, "family_name", canaryName+injection,
		"locale", canaryLoc+injection, "custom:note", canaryMeta+injection, "sub", testSub,
		"preferred_username", canaryUser)
}

func hostileMeta() string { return strObj("k", canaryMeta+injection, canaryMeta, "v") }

// emailRule is the shape of the reasons decision.EmailReason builds from
// emailgate's closed set of rules.
var emailRule = regexp.MustCompile(`^email_[a-z0-9_]{1,32}$`)

// checkLogs asserts the log is clean JSON lines with no canary and only
// closed-set outcomes.
func checkLogs(t *testing.T, logs *logBuf) {
	t.Helper()
	lines := logs.lines(t)
	if len(lines) != 1 {
		t.Errorf("%d log lines, want exactly one decision line:\n%s", len(lines), logs)
	}
	for _, l := range lines {
		if o, _ := l["outcome"].(string); !slices.Contains(decision.Outcomes(), decision.Outcome(o)) {
			t.Errorf("outcome %v is outside the closed set", l["outcome"])
		}
		if r, ok := l["reason"]; ok {
			rs, isString := r.(string)
			if !isString || !(slices.Contains(decision.Reasons(), decision.Reason(rs)) || emailRule.MatchString(rs)) {
				t.Errorf("reason %v is outside the closed set", r)
			}
		}
	}
	assertNoCanary(t, "log", logs.String(), allCanaries...)
}

// TestAdversarialA12_NoPIIOrInjectionInDecisionLines drives every trigger
// down each of its paths (admitted, refused, malformed, dependency failure,
// timeout, duplicate, fallback, panic) with canaries and log-injection
// payloads in every attacker-controlled field, and checks each decision line
// is one JSON object, free of canaries, with a closed-set outcome and
// reason, and that the user-visible text is one of the fixed messages.
func TestAdversarialA12_NoPIIOrInjectionInDecisionLines(t *testing.T) {
	signup := func(email string) []byte {
		return event{source: "PreSignUp_SignUp", userName: jstr(canaryUser + injection),
			request:  obj("userAttributes", hostileAttrs(email), "validationData", hostileMeta(), "clientMetadata", hostileMeta()),
			response: obj("autoConfirmUser", "false")}.bytes()
	}
	type run struct {
		name    string
		handler func(*logBuf) invoker
		payload []byte
	}
	ps := func(s presignupSetup) func(*logBuf) invoker {
		return func(l *logBuf) invoker { return presignupHandler(t, s, l) }
	}
	pa := func(store postauth.Store, mode string) func(*logBuf) invoker {
		return func(l *logBuf) invoker { return postauthHandler(t, store, newClock(), mode, l) }
	}
	cm := func(cfg custommessage.Config) func(*logBuf) invoker {
		return func(l *logBuf) invoker { return customMessageHandler(t, cfg, nil, l) }
	}
	failing := failingStore(fmt.Errorf("write sign-in to audit: %w", errBoom))
	stalled := stalledStore()
	dup := newMemStore()
	paEvent := postAuth(hostileAttrs(canaryEmail), "newDeviceUsed", "true", "clientMetadata", hostileMeta())
	runs := []run{
		{"presignup admitted", ps(presignupSetup{allow: "example.com"}), signup(canaryEmail)},
		{"presignup refused", ps(presignupSetup{allow: "example.org"}), signup(canaryEmail)},
		{"presignup bad email", ps(presignupSetup{allow: "example.com"}), signup(canaryEmail + injection)},
		{"presignup table error", ps(presignupSetup{store: domainsFailing(errors.New("GetItem domain#example.com failed"))}), signup(canaryEmail)},
		{"presignup table timeout", ps(presignupSetup{store: domainsStalled(), timeout: 10 * time.Millisecond}), signup(canaryEmail)},
		{"presignup malformed attrs", ps(presignupSetup{allow: "example.com"}), signUp(obj("email", jstr(canaryEmail), "email", jstr(canaryEmail)))},
		{"presignup wrong pool", ps(presignupSetup{allow: "example.com", pools: []string{"us-east-1_OTHER"}}), signup(canaryEmail)},
		{"postauth recorded", pa(newMemStore(), postauth.FailOpen), paEvent},
		{"postauth duplicate", pa(dup, postauth.FailOpen), paEvent},
		{"postauth duplicate again", pa(dup, postauth.FailOpen), paEvent},
		{"postauth fail open", pa(failing, postauth.FailOpen), paEvent},
		{"postauth fail closed", pa(failing, postauth.FailClosed), paEvent},
		{"postauth timeout", pa(stalled, postauth.FailOpen), paEvent},
		{"postauth malformed metadata", pa(newMemStore(), postauth.FailOpen), postAuth(hostileAttrs(canaryEmail), "clientMetadata", jstr(canaryMeta))},
		{"postauth missing sub", pa(newMemStore(), postauth.FailOpen), postAuth(strObj("email", canaryEmail, "name", canaryName))},
		{"postauth sub with spaces", pa(newMemStore(), postauth.FailOpen), postAuth(strObj("sub", canaryName+" x", "email", canaryEmail))},
	}
	for _, src := range allSources {
		ev := cmEvent(string(src), canaryUser+injection, hostileAttrs(canaryEmail), "")
		runs = append(runs,
			run{"custommessage " + string(src), cm(custommessage.Config{CustomizeEmail: true}), ev},
			run{"custommessage fallback " + string(src), cm(custommessage.Config{}),
				[]byte(strings.Replace(string(ev), `"codeParameter":"{####}"`, `"codeParameter":"{`+canaryMeta+`<b>}"`, 1))})
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			logs := &logBuf{}
			_, err := r.handler(logs).Invoke(ctx(t), r.payload)
			if err != nil {
				if msg := userErr(t, err); !userMessages[msg] {
					t.Errorf("user-visible error %q is not a fixed text", msg)
				}
			}
			checkLogs(t, logs)
		})
	}
}

// TestAdversarialA12_PanicIsContained: a panic in a decision, whatever its
// value, becomes the generic user text; the value (which may quote a
// password or a code) reaches neither the user nor the log, and exactly one
// decision line is still written.
func TestAdversarialA12_PanicIsContained(t *testing.T) {
	values := []any{
		"password=" + canaryMeta,
		fmt.Errorf("secret %s", canaryMeta),
		struct{ Password string }{canaryMeta},
		[]byte(canaryMeta),
		nil,
	}
	for i, v := range values {
		t.Run(fmt.Sprintf("%T#%d", v, i), func(t *testing.T) {
			logs := &logBuf{}
			h := invoke.New[triggers.PreSignUp](invoke.Options{Function: "presignup", Logger: newLogger(logs)},
				func(context.Context, *triggers.PreSignUp) decision.Result { panic(v) })
			out, err := h.Invoke(ctx(t), signUpEmail("a@example.com"))
			if out != nil || userErr(t, err) != decision.GenericMessage {
				t.Errorf("got %q, %v; want the generic refusal", out, err)
			}
			line := logs.decision(t)
			if line["reason"] != "panic" {
				t.Errorf("reason = %v, want panic", line["reason"])
			}
			assertNoCanary(t, "log", logs.String(), canaryMeta)
		})
	}
}

// TestAdversarialA12_CauseNeverReachesTheUser: whatever a decision's cause
// says (an SDK error quoting a key, a password), Invoke's error text, which
// aws-lambda-go sends as errorMessage and Cognito shows, is the user message
// only.
func TestAdversarialA12_CauseNeverReachesTheUser(t *testing.T) {
	h := invoke.New[triggers.PreSignUp](invoke.Options{Function: "presignup"},
		func(context.Context, *triggers.PreSignUp) decision.Result {
			return decision.Refusal(decision.OutcomeRefused, decision.ReasonTableError, presignup.RefusalMessage,
				fmt.Errorf("dynamodb: key user#%s password=%s", canaryEmail, canaryMeta))
		})
	_, err := h.Invoke(ctx(t), signUpEmail("a@example.com"))
	if err == nil {
		t.Fatal("no error")
	}
	if err.Error() != presignup.RefusalMessage {
		t.Errorf("error text = %q", err.Error())
	}
	assertNoCanary(t, "error text", err.Error(), canaryEmail, canaryMeta)
	assertNoCanary(t, "error type", fmt.Sprintf("%T", err), canaryEmail, canaryMeta)
}

// TestAdversarialA12_TelemetryHandlerLineIntegrity: the JSON log handler
// writes one line per record whatever the values (quotes, line breaks,
// U+2028, invalid UTF-8, NUL, HTML, NaN), including inside groups and
// WithAttrs prefixes, and redacts the secret-named keys it documents at
// any nesting depth.
func TestAdversarialA12_TelemetryHandlerLineIntegrity(t *testing.T) {
	logs := &logBuf{}
	l := telemetry.NewLogger(logs, slog.LevelDebug)
	values := []any{injection, "</script><script>", "\u2029", "\xed\xa0\x80", strings.Repeat("\\", 7), errors.New(injection),
		map[string]string{"k\n": injection}}
	for _, v := range values {
		l.Info(injection, "v", v)
		l.With("w", v).WithGroup(injection).Info("g", "v", v, slog.Group("inner", "v", v))
	}
	if n := len(logs.lines(t)); n != 2*len(values) {
		t.Errorf("%d lines, want %d", n, 2*len(values))
	}
	logs = &logBuf{}
	l = telemetry.NewLogger(logs, slog.LevelDebug)
	for _, k := range []string{"password", "PASSWORD", "newPassword", "code", "codeParameter", "secret", "SecretString",
		"secret_value", "token", "accessToken", "IdToken", "refreshToken", "Authorization", "api_key", "apiKey"} {
		l.Info("x", k, canaryMeta)
		l.Info("x", slog.Group("a", slog.Group("b", k, canaryMeta)))
		l.With(k, canaryMeta).Info("x")
		l.WithGroup("g").With(k, canaryMeta).Info("x", "y", 1)
	}
	assertNoCanary(t, "log", logs.String(), canaryMeta)
}
