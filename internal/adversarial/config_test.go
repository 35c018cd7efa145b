package adversarial

import (
	"strings"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/pkg/custommessage"
	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/postauth"
	"github.com/cognito-triggers/suite/pkg/presignup"
)

// TestAdversarialA3_AllowlistConfigurationTraps: an operator's typo or a
// poisoned parameter must fail the cold start rather than run a wider gate:
// wildcards over a TLD or in the middle, Unicode and fullwidth spellings,
// trailing dots, embedded blanks, URLs, addresses and IP literals.
func TestAdversarialA3_AllowlistConfigurationTraps(t *testing.T) {
	bad := []string{"*.com", "*", "*.", "**.example.com", "*example.com", "ex*ample.com", "*.*.example.com",
		"example.com.", "exa mple.com", "example.com\nevil.io", "ｅxample.com", "exampl\u0435.com", "\u212Aelvin.com",
		"https://example.com", "a@example.com", "[127.0.0.1]", "127.0.0.1", "localhost", "-example.com", "example-.com",
		"example..com", ".example.com", "example.com/path", "example.com:443", "example.com;evil.io", "%2e.com"}
	for _, e := range bad {
		t.Run(e, func(t *testing.T) {
			if _, err := emailgate.ParseAllowlist("good.example, " + e); err == nil {
				t.Errorf("ParseAllowlist accepted the entry %q", e)
			}
			r := envconfig.New(func(k string) string {
				if k == "ALLOWED_EMAIL_DOMAINS" {
					return e
				}
				return ""
			})
			presignup.LoadConfig(r)
			if r.Err() == nil {
				t.Errorf("pre sign-up would start with ALLOWED_EMAIL_DOMAINS=%q", e)
			}
		})
	}
}

// TestAdversarialA11_BudgetAndFailureModeConfigIsBounded: a budget beyond
// Cognito's 5 s, a zero or negative budget, an unknown failure mode or a
// misspelt one, and a display-name support address are configuration
// errors, not silently widened behaviour.
func TestAdversarialA11_BudgetAndFailureModeConfigIsBounded(t *testing.T) {
	env := func(kv ...string) *envconfig.Reader {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return envconfig.New(func(k string) string { return m[k] })
	}
	for _, v := range []string{"5000", "60000", "0", "-1", "4s", "1e3", " 4000", "4000.5"} {
		r := env("TRIGGER_BUDGET_MS", v)
		o := invoke.LoadOptions(r, "presignup", nil)
		if r.Err() == nil && (o.Budget <= 0 || o.Budget >= 5*time.Second) {
			t.Errorf("TRIGGER_BUDGET_MS=%q accepted as %v", v, o.Budget)
		}
	}
	for _, v := range []string{"OPEN", "Open", "closed ", "fail-open", "none", "true"} {
		r := env("AUDIT_TABLE", "audit", "AUDIT_FAILURE_MODE", v)
		c := postauth.LoadConfig(r)
		if r.Err() == nil && c.FailureMode != postauth.FailOpen && c.FailureMode != postauth.FailClosed {
			t.Errorf("AUDIT_FAILURE_MODE=%q accepted as %q", v, c.FailureMode)
		}
	}
	for _, v := range []string{"Support <support@example.com>", "support@example.com\r\nBcc: x@evil.io", "\"s\"@example.com", "support@[127.0.0.1]"} {
		r := env("APP_NAME", "Acme", "APP_URL", "https://app.example.com", "SUPPORT_EMAIL", v)
		custommessage.LoadConfig(r)
		if r.Err() == nil {
			t.Errorf("SUPPORT_EMAIL=%q accepted", v)
		}
	}
	for _, v := range []string{"http://app.example.com", "javascript:alert(1)", "https://app.example.com/?next=x", "https://user@app.example.com",
		"https://app.example.com/#x", "https://app.example.com/{####}", "https://evil.io\\@app.example.com", " https://app.example.com\n/x"} {
		r := env("APP_NAME", "Acme", "APP_URL", v, "SUPPORT_EMAIL", "support@example.com")
		if _, rend := custommessage.Load(r); r.Err() == nil || rend != nil {
			t.Errorf("APP_URL=%q accepted", v)
		}
	}
	r := env("APP_NAME", strings.Repeat("Acme ", 30), "APP_URL", "https://app.example.com", "SUPPORT_EMAIL", "support@example.com")
	if _, rend := custommessage.Load(r); r.Err() == nil || rend != nil {
		t.Error("an APP_NAME that pushes the SMS past 140 runes was accepted")
	}
}
