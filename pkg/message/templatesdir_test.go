package message

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/pkg/triggers"
)

const customDir = "testdata/custom-templates"

func TestTemplatesDirValid(t *testing.T) {
	cfg := testConfig
	cfg.TemplatesDir = filepath.Join(customDir, "valid")
	r := newRenderer(t, cfg)
	if diff := cmp.Diff([]string{"en"}, r.Locales()); diff != "" {
		t.Errorf("Locales() mismatch (-want +got):\n%s", diff)
	}
	// zh-CN is not in the team's set: the default (en) is used.
	in := goldenInput(triggers.SourceMessageSignUp, "zh-CN")
	out, err := r.Render(in)
	if err != nil {
		t.Fatal(err)
	}
	want := Output{
		EmailSubject: "Your code (Acme)",
		SMSMessage:   "Acme code {####}",
		EmailMessage: `<!DOCTYPE html>
<html lang="en"><body style="font-family:Georgia,serif;">
<p style="color:#7c3aed;">Team template</p>
<p>Dear customer,</p><p>Your code: {####}.</p><p><a href="https://app.example.com/confirm-signup?username=zoe.obrien&amp;code={####}">Continue</a></p><p>{##Click Here##}</p>
<hr>
<p style="font-size:12px;">Acme</p>
</body></html>`,
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("Render mismatch (-want +got):\n%s", diff)
	}
}

// TestTemplatesDirBroken: the team directory with one broken template fails
// New, naming that template and nothing else.
func TestTemplatesDirBroken(t *testing.T) {
	cfg := testConfig
	cfg.TemplatesDir = filepath.Join(customDir, "broken")
	_, err := New(cfg)
	if !errors.Is(err, ErrTemplate) {
		t.Fatalf("New error = %v, want ErrTemplate", err)
	}
	want := "message: broken template set: 1 problem(s):\n" +
		"message: en/forgot-password.sms.txt: SMSMessage does not contain the CodeParameter"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("New error mismatch (-want +got):\n%s", diff)
	}
}

// TestTemplatesDirMistakes copies the valid team set, breaks one thing, and
// expects New to name the file responsible.
func TestTemplatesDirMistakes(t *testing.T) {
	tests := []struct {
		name  string
		file  string // relative to the set; "" = no file written
		src   string // new content; "-" removes the file
		extra func(dir string) error
		want  string // expected in the error
	}{
		{"parse error", "en/sign-up.html", `{{define "body"}}<p>{{.Code}</p>{{end}}`, nil,
			"en/sign-up.html: template: en/sign-up.html:1: bad character"},
		{"unknown field", "en/sign-up.subject.txt", `{{.Email}}`, nil,
			"en/sign-up.subject.txt: template: en/sign-up.subject.txt:1:2: executing"},
		{"html has no body", "en/resend-code.html", `<p>{{.Code}}</p>`, nil,
			`en/resend-code.html: html/template:layout.html:4:11: no such template "body"`},
		{"placeholder percent-encoded in href", "en/forgot-password.html",
			`{{define "action"}}x{{end}}{{define "body"}}<a href="https://x.example/?c={{"{####}"}}">go</a>{{end}}`, nil,
			"en/forgot-password.html: EmailMessage does not contain the CodeParameter"},
		{"hard-coded placeholder", "en/authentication.sms.txt", `Code: {####}`, nil,
			"en/authentication.sms.txt: SMSMessage does not contain the CodeParameter"},
		{"hard-coded placeholder next to the real one", "en/authentication.html",
			`{{define "body"}}<p>{{.Code}} or {####}</p>{{end}}`, nil,
			"en/authentication.html: EmailMessage has a '{'"},
		{"invitation without username", "en/admin-create-user.sms.txt", `{{.AppName}} {{.Code}}`, nil,
			"en/admin-create-user.sms.txt: SMSMessage does not contain the UsernameParameter"},
		{"verification without link", "en/verify-user-attribute.html",
			`{{define "action"}}x{{end}}{{define "body"}}<p>{{.Code}}</p>{{end}}`, nil,
			"en/verify-user-attribute.html: EmailMessage does not contain the LinkParameter"},
		{"style block", "layout.html",
			`{{define "layout"}}<style>p{color:red}</style>{{template "body" .}}{{end}}{{define "link"}}{{end}}`, nil,
			"EmailMessage has a '{'"},
		{"subject with newline", "en/sign-up.subject.txt", "Hello\n{{.AppName}}", nil,
			"en/sign-up.subject.txt: EmailSubject contains U+000A"},
		{"sms too long", "en/sign-up.sms.txt", strings.Repeat("x", 140) + "{{.Code}}", nil,
			"en/sign-up.sms.txt: SMSMessage is 146 runes, want 6 to 140"},
		{"nbsp in body", "en/authentication.html", "{{define \"body\"}}<p>{{.Code}}\u00a0</p>{{end}}", nil,
			"en/authentication.html: EmailMessage contains U+00A0"},
		{"missing file", "en/sign-up.sms.txt", "-", nil, "en/sign-up.sms.txt: is missing"},
		{"misspelt file", "en/sign-up.sms.text", "x", nil, "en/sign-up.sms.text: is not part of the template layout"},
		{"missing layout", "layout.html", "-", nil, "layout.html: is missing"},
		{"bad locale directory", "", "", func(dir string) error { return os.Mkdir(filepath.Join(dir, "English"), 0o755) },
			"English/: is not a locale directory name"},
		{"incomplete second locale", "de/common.html", `{{define "footer"}}{{end}}`, nil, "de/sign-up.html: is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, filepath.Join(customDir, "valid"))
			if tt.file != "" {
				path := filepath.Join(dir, filepath.FromSlash(tt.file))
				var err error
				if tt.src == "-" {
					err = os.Remove(path)
				} else if err = os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
					err = os.WriteFile(path, []byte(tt.src), 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if tt.extra != nil {
				if err := tt.extra(dir); err != nil {
					t.Fatal(err)
				}
			}
			cfg := testConfig
			cfg.TemplatesDir = dir
			_, err := New(cfg)
			if !errors.Is(err, ErrTemplate) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v\nwant ErrTemplate containing %q", err, tt.want)
			}
		})
	}
}

// TestTemplatesDirReportsAll: two broken files, one error naming both.
func TestTemplatesDirReportsAll(t *testing.T) {
	dir := copyDir(t, filepath.Join(customDir, "broken"))
	if err := os.WriteFile(filepath.Join(dir, "en", "sign-up.html"), []byte(`{{define "body"}}{{.Code}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig
	cfg.TemplatesDir = dir
	_, err := New(cfg)
	for _, want := range []string{"2 problem(s)", "en/forgot-password.sms.txt:", "en/sign-up.html:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New error = %v, want it to contain %q", err, want)
		}
	}
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := fs.WalkDir(os.DirFS(src), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == "." {
			return err
		}
		target := filepath.Join(dst, filepath.FromSlash(path))
		if d.IsDir() {
			return os.Mkdir(target, 0o755)
		}
		b, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(path)))
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
