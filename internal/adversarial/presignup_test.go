package adversarial

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/signupgate"
)

// runPresignup reports what the pre sign-up handler did with payload:
// whether the sign-up goes ahead, and the decision line. It checks the
// invariants every decision must keep: a fixed user-visible text for a
// refusal, all three flags false for an admission.
func runPresignup(t *testing.T, s presignupSetup, payload []byte) (allowed bool, line map[string]any) {
	t.Helper()
	logs := &logBuf{}
	h := presignupHandler(t, s, logs)
	out, err := h.Invoke(ctx(t), payload)
	line = logs.decision(t)
	if err != nil {
		if msg := userErr(t, err); !userMessages[msg] {
			t.Errorf("user-visible error %q is not one of the fixed texts", msg)
		}
		return false, line
	}
	var ev map[string]any
	if jerr := json.Unmarshal(out, &ev); jerr != nil {
		t.Fatalf("allowed response is not JSON: %v", jerr)
	}
	resp, ok := ev["response"].(map[string]any)
	if !ok {
		t.Fatalf("allowed answer has no response object: %s", out)
	}
	for _, k := range []string{"autoConfirmUser", "autoVerifyEmail", "autoVerifyPhone"} {
		if resp[k] != false {
			t.Errorf("response.%s = %v, want false (A2: never auto-verify or auto-confirm)", k, resp[k])
		}
	}
	return true, line
}

// TestAdversarialA3_EmailGateBypasses throws the "splitting the email atom"
// and allowlist-confusion corpus at the whole pre sign-up path. Nothing may
// be admitted unless its domain is byte-equal (ASCII, case-folded) to an
// allowed domain and the raw string is exactly what a mailer would deliver
// to that domain.
func TestAdversarialA3_EmailGateBypasses(t *testing.T) {
	const allow = "example.com, *.corp.example.org"
	refused := []struct{ name, email string }{
		// Case and Unicode folding (GitHub dotless-i, Django CVE-2019-19844).
		{"kelvin sign in domain", "a@\u212Aorp.example.org"},
		{"long s in domain", "a@example.co\u017F"},
		{"dotless i in local", "m\u0131ke@example.com"},
		{"sharp s in domain", "a@exa\u00DFmple.com"},
		{"fi ligature", "a@\uFB01le.corp.example.org"},
		{"fullwidth domain", "a@\uFF45xample.com"},
		{"fullwidth at", "a\uFF20example.com"},
		{"small commercial at", "a\uFE6Bexample.com"},
		{"cyrillic e homograph", "a@exampl\u0435.com"},
		{"greek omicron homograph", "a@examp\u03BFle.com"},
		{"zero width joiner", "a@exam\u200Dple.com"},
		{"zero width space before at", "a\u200B@example.com"},
		{"bidi override", "a@\u202Emoc.elpmaxe"},
		{"nbsp", "a\u00A0@example.com"},
		{"ideographic full stop", "a@example\u3002com"},
		{"fullwidth full stop", "a@example\uFF0Ecom"},
		{"halfwidth ideographic stop", "a@example\uFF61com"},
		{"replacement char (invalid UTF-8)", "a@example.com\uFFFD"},
		// Punycode (A4).
		{"punycode homograph", "a@xn--exampl-8of.com"},
		{"punycode under wildcard", "a@xn--80ak6aa92e.corp.example.org"},
		{"upper-case punycode under wildcard", "a@XN--80AK6AA92E.corp.example.org"},
		// Label and suffix confusion.
		{"suffix lookalike", "a@evil-example.com"},
		{"prefix concat", "a@notexample.com"},
		{"example.com as subdomain of evil", "a@example.com.evil.io"},
		{"trailing dot", "a@example.com."},
		{"trailing dot upper", "a@EXAMPLE.COM."},
		{"double dot", "a@example..com"},
		{"leading dot domain", "a@.example.com"},
		{"unlisted subdomain of exact", "a@sub.example.com"},
		{"wildcard apex", "a@corp.example.org"},
		{"wildcard suffix lookalike", "a@evilcorp.example.org"},
		{"hyphen label edge", "a@-x.corp.example.org"},
		{"underscore label", "a@x_y.corp.example.org"},
		{"numeric tld", "a@example.123"},
		{"single label", "a@localhost"},
		// RFC 5322 forms and SES/PortSwigger parser differentials.
		{"quoted local hides at", `"a@example.com"@evil.io`},
		{"quoted local allowed domain", `"a b"@example.com`},
		{"display name", "Alice <alice@example.com>"},
		{"ses angle differential", "<a@evil.io>b@example.com"},
		{"angle then allowed", "a@evil.io<b@example.com>"},
		{"encoded word utf-7", "=?utf-7?q?a&AEA-evil.io?=@example.com"},
		{"encoded word b", "=?utf-8?b?YUBldmlsLmlv?=@example.com"},
		{"comment domain", "a@evil.io(@example.com"},
		{"comment local", "a(comment)@example.com"},
		{"ip literal", "a@[127.0.0.1]"},
		{"ip literal then comment", "a@[1.2.3.4](@example.com"},
		{"bare ip", "a@127.0.0.1"},
		{"backslash quoted pair", `a\@evil.io@example.com`},
		{"two ats", "a@evil.io@example.com"},
		{"address list", "a@evil.io,b@example.com"},
		{"semicolon list", "a@evil.io;b@example.com"},
		{"group syntax", "g:a@evil.io;@example.com"},
		{"source route", "@evil.io:a@example.com"},
		{"percent hack", "a%evil.io@example.com"},
		{"bang path", "evil.io!a@example.com"},
		{"leading hyphen (sendmail argv)", "-oQ/tmp/x@example.com"},
		{"crlf header injection", "a@example.com\r\nBcc: v@evil.io"},
		{"lf only", "a@example.com\nx"},
		{"nul truncation", "a@example.com\x00@evil.io"},
		{"nul before domain", "a\x00@example.com"},
		{"tab", "a\t@example.com"},
		{"space", "a @example.com"},
		{"leading space", " a@example.com"},
		{"trailing space", "a@example.com "},
		{"dot start local", ".a@example.com"},
		{"dot end local", "a.@example.com"},
		{"double dot local", "a..b@example.com"},
		{"backtick", "a`id`@example.com"},
		{"template braces", "{####}@example.com"},
		{"html in local", "<img>@example.com"},
		{"too long local", strings.Repeat("a", 65) + "@example.com"},
		{"too long total", strings.Repeat("a", 60) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".corp.example.org"},
		{"empty local", "@example.com"},
		{"no at", "example.com"},
		{"empty", ""},
		{"only at", "@"},
	}
	for _, tc := range refused {
		t.Run("refused/"+tc.name, func(t *testing.T) {
			if ok, line := runPresignup(t, presignupSetup{allow: allow}, signUpEmail(tc.email)); ok {
				t.Errorf("admitted %q (decision %v)", tc.email, line)
			}
		})
	}
	// Near misses that must stay admitted: the gate may not win by refusing
	// everything (Keycloak's "deny variants, allow near misses").
	admitted := []string{
		"jane@example.com", "Jane.Doe@EXAMPLE.COM", "jane+tag@example.com", "o'brien@example.com",
		"a_b-c@example.com", "x@a.corp.example.org", "x@a.b.c.corp.example.org", "x@CORP-1.corp.example.org",
	}
	for _, email := range admitted {
		t.Run("admitted/"+email, func(t *testing.T) {
			if ok, line := runPresignup(t, presignupSetup{allow: allow}, signUpEmail(email)); !ok {
				t.Errorf("refused the legitimate %q (decision %v)", email, line)
			}
		})
	}
}

// TestAdversarialA3_AdmittedDomainIsByteEqual is the gate's invariant over
// a generated corpus: whenever emailgate.Parse accepts and the allowlist
// matches, the raw string's domain, ASCII-lower-cased, is byte-equal to an
// allowlisted domain or a strict subdomain of a wildcard base, and contains
// only [a-z0-9.-].
func TestAdversarialA3_AdmittedDomainIsByteEqual(t *testing.T) {
	al, err := emailgate.ParseAllowlist("example.com,*.corp.example.org")
	if err != nil {
		t.Fatal(err)
	}
	locals := []string{"a", "A", "a+b", "a.b", "'", "\"a\"", "a\\", "a b", "-a", "a\x00", "ı", "=?x?=", "(c)a"}
	domains := []string{"example.com", "EXAMPLE.com", "example.com.", "xn--exampl-8of.com", "exampl\u0435.com",
		"a.corp.example.org", "corp.example.org", "a.corp.example.org.", "\u212Aorp.example.org", "[1.2.3.4]",
		"example.com>", "evil.io", "example.com@evil.io", "evil.io(@example.com", "ex%41mple.com", "example.com\u200b"}
	for _, l := range locals {
		for _, d := range domains {
			s := l + "@" + d
			addr, err := emailgate.Parse(s)
			if err != nil || !al.Match(addr.Domain) {
				continue
			}
			raw := s[strings.LastIndexByte(s, '@')+1:]
			low := strings.ToLower(raw)
			for _, c := range []byte(low) {
				if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
					t.Errorf("admitted %q: domain byte %q outside [a-z0-9.-]", s, c)
				}
			}
			if low != "example.com" && !strings.HasSuffix(low, ".corp.example.org") {
				t.Errorf("admitted %q: domain %q is not an allowlisted name", s, raw)
			}
			if addr.Raw != s {
				t.Errorf("Parse(%q).Raw = %q: the gate judged a different string from the one Cognito stores", s, addr.Raw)
			}
		}
	}
}

// TestAdversarialA1_UntrustedInputsCannotVouch: custom attributes,
// validationData and clientMetadata are written by whoever calls SignUp; none
// may admit an address outside the allowlist (AWS's own "registered domain"
// sample gets this wrong).
func TestAdversarialA1_UntrustedInputsCannotVouch(t *testing.T) {
	attrs := strObj("email", "mallory@evil.io", "custom:domain", "example.com", "custom:email", "a@example.com",
		"custom:tenant_id", "acme", "email_verified", "true", "cognito:email_alias", "a@example.com")
	cases := map[string][]byte{
		"custom attributes": signUp(attrs),
		"validationData and clientMetadata": event{source: "PreSignUp_SignUp",
			request: obj("userAttributes", strObj("email", "mallory@evil.io"),
				"validationData", strObj("email", "a@example.com", "domain", "example.com", "allow", "true"),
				"clientMetadata", strObj("email", "a@example.com", "autoConfirm", "true"))}.bytes(),
		"email only in metadata": event{source: "PreSignUp_SignUp",
			request: obj("userAttributes", strObj("name", "x"),
				"validationData", strObj("email", "a@example.com"), "clientMetadata", strObj("email", "a@example.com"))}.bytes(),
		"email under a case-variant attribute name": signUp(strObj("Email", "a@example.com", "email", "mallory@evil.io")),
		"email under a custom name":                 signUp(strObj("custom:email", "a@example.com")),
	}
	for name, payload := range cases {
		t.Run(name, func(t *testing.T) {
			if ok, _ := runPresignup(t, presignupSetup{allow: "example.com"}, payload); ok {
				t.Error("admitted on the strength of attacker-controlled data")
			}
		})
	}
}

// TestAdversarialA2_NeverAutoVerifies: even when the incoming response
// already says true (a forged or replayed event), and for every source, the
// answer keeps all three flags false, so no sign-up can steal an existing
// user's email alias.
func TestAdversarialA2_NeverAutoVerifies(t *testing.T) {
	for _, src := range []string{"PreSignUp_SignUp", "PreSignUp_AdminCreateUser", "PreSignUp_ExternalProvider"} {
		t.Run(src, func(t *testing.T) {
			payload := event{source: src,
				request:  obj("userAttributes", strObj("email", "victim@example.com", "phone_number", "+15555550100"), "validationData", "null"),
				response: obj("autoConfirmUser", "true", "autoVerifyEmail", "true", "autoVerifyPhone", "true")}.bytes()
			if ok, _ := runPresignup(t, presignupSetup{allow: "example.com"}, payload); !ok {
				t.Fatal("refused a valid sign-up")
			} // runPresignup asserts the three flags are false
		})
	}
}

// TestAdversarialA9_PhoneNumberShapes: only strict E.164 passes; look-alike
// and padded numbers that Cognito might normalise are refused.
func TestAdversarialA9_PhoneNumberShapes(t *testing.T) {
	bad := []string{"0044 20 7946 0000", "+44 20 7946 0000", "+0442079460000", "++442079460000", "+44-20-7946-0000",
		"+４４2079460000", "+442079460000\x00", "+442079460000\n", "+1234567890123456", "+123456", "tel:+442079460000",
		"+442079460000;ext=1", "\u202D+442079460000", "+44(20)79460000", "true"}
	for _, p := range bad {
		t.Run(p, func(t *testing.T) {
			payload := signUp(strObj("email", "a@example.com", "phone_number", p))
			if ok, _ := runPresignup(t, presignupSetup{allow: "example.com"}, payload); ok {
				t.Errorf("admitted phone_number %q", p)
			}
		})
	}
	t.Run("boolean phone", func(t *testing.T) {
		payload := signUp(obj("email", jstr("a@example.com"), "phone_number", "true"))
		if ok, _ := runPresignup(t, presignupSetup{allow: "example.com"}, payload); ok {
			t.Error("admitted phone_number true")
		}
	})
}

// TestAdversarialA13_ForeignPoolAndWrongTrigger: an event from another user
// pool (confused deputy) or another trigger is refused before any decision.
func TestAdversarialA13_ForeignPoolAndWrongTrigger(t *testing.T) {
	s := presignupSetup{allow: "example.com", pools: []string{testPool}}
	cases := map[string][]byte{
		"other pool":            event{source: "PreSignUp_SignUp", pool: jstr("us-east-1_ATTACKER"), request: obj("userAttributes", strObj("email", "a@example.com"))}.bytes(),
		"pool case variant":     event{source: "PreSignUp_SignUp", pool: jstr(strings.ToLower(testPool)), request: obj("userAttributes", strObj("email", "a@example.com"))}.bytes(),
		"pool with whitespace":  event{source: "PreSignUp_SignUp", pool: jstr(testPool + " "), request: obj("userAttributes", strObj("email", "a@example.com"))}.bytes(),
		"post auth source":      event{source: "PostAuthentication_Authentication", request: obj("userAttributes", strObj("email", "a@example.com"))}.bytes(),
		"custom message source": event{source: "CustomMessage_SignUp", request: obj("userAttributes", strObj("email", "a@example.com"))}.bytes(),
		"source case variant":   event{source: "presignup_signup", request: obj("userAttributes", strObj("email", "a@example.com"))}.bytes(),
	}
	for name, payload := range cases {
		t.Run(name, func(t *testing.T) {
			if ok, _ := runPresignup(t, s, payload); ok {
				t.Error("admitted")
			}
		})
	}
}

// TestAdversarialA5_RefusalsAreIndistinguishable: every refusal reason
// (syntax, not allowed, table down, table says no, malformed) shows the same
// text, so the message is no oracle for which rule or which dependency
// fired.
func TestAdversarialA5_RefusalsAreIndistinguishable(t *testing.T) {
	inputs := []struct {
		name  string
		store signupgate.DomainStore
		email string
	}{
		{"syntax", nil, "a@@example.com"},
		{"not allowed", nil, "a@evil.io"},
		{"table error", domainsFailing(errBoom), "a@evil.io"},
		{"table timeout", domainsStalled(), "a@evil.io"},
		{"table no record", domainsFound(), "a@evil.io"},
	}
	seen := map[string]string{}
	for _, in := range inputs {
		h := presignupHandler(t, presignupSetup{allow: "example.com", store: in.store, timeout: 20 * time.Millisecond}, nil)
		_, err := h.Invoke(ctx(t), signUpEmail(in.email))
		if err == nil {
			t.Fatalf("%s: admitted", in.name)
		}
		seen[userErr(t, err)] = in.name
	}
	if len(seen) != 1 {
		t.Errorf("refusals show %d different texts, want 1: %v", len(seen), seen)
	}
}
