package custommessage_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/custommessage"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/message"
)

func getenv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// goodEnv is a complete, valid configuration.
func goodEnv() map[string]string {
	return map[string]string{"APP_NAME": "Acme", "APP_URL": "https://app.example.com", "SUPPORT_EMAIL": "support@example.com"}
}

func TestLoadDefaults(t *testing.T) {
	r := envconfig.New(getenv(goodEnv()))
	cfg, rend := custommessage.Load(r)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if rend == nil {
		t.Fatal("no renderer for a valid configuration")
	}
	want := custommessage.Config{Message: message.Config{AppName: "Acme", AppURL: "https://app.example.com", SupportEmail: "support@example.com", DefaultLocale: "en"}}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if got := rend.Locales(); !cmp.Equal(got, []string{"en", "zh-CN"}) {
		t.Errorf("locales = %v", got)
	}
}

func TestLoadSettings(t *testing.T) {
	e := goodEnv()
	e["APP_URL"] = "http://localhost:3000/" // local development
	e["DEFAULT_LOCALE"] = "en-US"
	e["CUSTOMIZE_EMAIL"] = "true"
	e["EMAIL_VERIFICATION_OPTION"] = custommessage.EmailOptionLink
	e["MESSAGE_TEMPLATES_DIR"] = "../message/testdata/custom-templates/valid"
	r := envconfig.New(getenv(e))
	cfg, rend := custommessage.Load(r)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if !cfg.CustomizeEmail || !cfg.LinkVerification {
		t.Errorf("config = %+v", cfg)
	}
	if cfg.Message.DefaultLocale != "en-US" || cfg.Message.TemplatesDir == "" {
		t.Errorf("config = %+v", cfg.Message)
	}
	// The team's set replaces the embedded one entirely.
	if got := rend.Locales(); !cmp.Equal(got, []string{"en"}) {
		t.Errorf("custom set locales = %v, want [en]", got)
	}
}

// TestLoadErrors: every bad setting is reported, by the variable's name, in
// one error; a broken template set names each broken file.
func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		edit map[string]string // "" deletes
		want []string
	}{
		{"nothing set", map[string]string{"APP_NAME": "", "APP_URL": "", "SUPPORT_EMAIL": ""}, []string{"APP_NAME: is required", "APP_URL: is required", "SUPPORT_EMAIL: is required"}},
		{"support email with display name", map[string]string{"SUPPORT_EMAIL": "Support <support@example.com>"}, []string{"SUPPORT_EMAIL", "display_name"}},
		{"bad support email and url in one error", map[string]string{"SUPPORT_EMAIL": "support", "APP_URL": "http://app.example.com"},
			[]string{"SUPPORT_EMAIL", "APP_URL must be an absolute https URL"}},
		{"support email trailing dot", map[string]string{"SUPPORT_EMAIL": "support@example.com."}, []string{"SUPPORT_EMAIL", "trailing_dot"}},
		{"plain http", map[string]string{"APP_URL": "http://app.example.com"}, []string{"APP_URL must be an absolute https URL"}},
		{"url with query", map[string]string{"APP_URL": "https://app.example.com/?x=1"}, []string{"APP_URL contains '?'"}},
		{"app name with braces", map[string]string{"APP_NAME": "Acme {####}"}, []string{"APP_NAME may contain only"}},
		{"branding too long for an SMS", map[string]string{"APP_NAME": strings.Repeat("Acme", 25)}, []string{"APP_NAME: the embedded templates fail with this branding", "sms.txt", "SMSMessage is"}},
		{"unknown default locale", map[string]string{"DEFAULT_LOCALE": "fr"}, []string{`DEFAULT_LOCALE "fr" matches none`}},
		{"customize email typo", map[string]string{"CUSTOMIZE_EMAIL": "ture"}, []string{"CUSTOMIZE_EMAIL"}},
		{"typo and broken templates in one error", map[string]string{"CUSTOMIZE_EMAIL": "ture", "MESSAGE_TEMPLATES_DIR": "../message/testdata/custom-templates/broken"},
			[]string{"CUSTOMIZE_EMAIL", "en/forgot-password.sms.txt"}},
		{"verification option typo", map[string]string{"EMAIL_VERIFICATION_OPTION": "LINK"}, []string{"EMAIL_VERIFICATION_OPTION"}},
		{"broken templates", map[string]string{"MESSAGE_TEMPLATES_DIR": "../message/testdata/custom-templates/broken"},
			[]string{"MESSAGE_TEMPLATES_DIR", "broken template set", "en/forgot-password.sms.txt", "does not contain the CodeParameter"}},
		{"missing templates dir", map[string]string{"MESSAGE_TEMPLATES_DIR": "testdata/nope"}, []string{"MESSAGE_TEMPLATES_DIR"}},
		{"templates dir is the events", map[string]string{"MESSAGE_TEMPLATES_DIR": "../../events"}, []string{"MESSAGE_TEMPLATES_DIR", "layout.html", "is missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := goodEnv()
			for k, v := range tt.edit {
				e[k] = v
			}
			r := envconfig.New(getenv(e))
			_, rend := custommessage.Load(r)
			err := r.Err()
			if err == nil || rend != nil {
				t.Fatalf("Load accepted it (renderer %v)", rend != nil)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestLoadedRendererServes: the renderer Load builds is the one the
// handler uses, with the branding from the environment.
func TestLoadedRendererServes(t *testing.T) {
	e := goodEnv()
	e["APP_NAME"] = "Zebra Cloud"
	e["CUSTOMIZE_EMAIL"] = "true"
	r := envconfig.New(getenv(e))
	cfg, rend := custommessage.Load(r)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	out, err := handler(t, cfg, rend, nil).Invoke(context.Background(), testevent.Raw(t, "custommessage-signup.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := responseOutput(t, out)
	if !strings.Contains(got.SMSMessage, "Zebra Cloud") || !strings.Contains(got.EmailSubject, "Zebra Cloud") {
		t.Errorf("branding not applied: %+v", got)
	}
}

// TestConfigureFallsBackOnAConfigError: a function whose configuration is
// broken does not fail its cold start, which would fail every sign-up until
// the next deploy. Configure returns the error, naming every problem, and a
// Decider that answers every event with the pool's own message, the
// response as received, with reason config_error and RenderFailures 1 so
// that the render-failure alarm fires.
func TestConfigureFallsBackOnAConfigError(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit map[string]string
		want []string
	}{
		{"nothing set", map[string]string{"APP_NAME": "", "APP_URL": "", "SUPPORT_EMAIL": ""}, []string{"APP_NAME", "APP_URL", "SUPPORT_EMAIL"}},
		{"app name too long for an SMS", map[string]string{"APP_NAME": strings.Repeat("W", 47)}, []string{"APP_NAME", "sms.txt"}},
		{"broken templates and a typo", map[string]string{"MESSAGE_TEMPLATES_DIR": "../message/testdata/custom-templates/broken", "CUSTOMIZE_EMAIL": "ture"},
			[]string{"MESSAGE_TEMPLATES_DIR", "CUSTOMIZE_EMAIL"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := goodEnv()
			for k, v := range tt.edit {
				e[k] = v
			}
			d, err := custommessage.Configure(envconfig.New(getenv(e)))
			if err == nil {
				t.Fatal("Configure accepted a broken configuration")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not name %s:\n%v", w, err)
				}
			}
			if d == nil {
				t.Fatal("Configure returned no Decider: the function would have nothing to answer with")
			}
			var logs bytes.Buffer
			h := handlerFor(d, &logs)
			for _, fx := range fixtures {
				in := testevent.Raw(t, fx)
				out, ierr := h.Invoke(context.Background(), in)
				if ierr != nil {
					t.Fatalf("%s: Invoke failed (%v): a message must never be blocked", fx, ierr)
				}
				assertUnchanged(t, in, out)
				line := lastDecision(t, &logs)
				assertFallbackLine(t, line, decision.ReasonConfigError)
			}
		})
	}
}

// TestConfigureServes: with a good configuration Configure returns the
// rendering Decider and no error.
func TestConfigureServes(t *testing.T) {
	d, err := custommessage.Configure(envconfig.New(getenv(goodEnv())))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	if _, err := handlerFor(d, &logs).Invoke(context.Background(), testevent.Raw(t, "custommessage-signup.json")); err != nil {
		t.Fatal(err)
	}
	if line := lastDecision(t, &logs); line["outcome"] != string(decision.OutcomeRendered) {
		t.Errorf("decision line %v, want rendered", line)
	}
}
