package samtemplate

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cognito-triggers/suite/pkg/custommessage"
	"github.com/cognito-triggers/suite/pkg/envconfig"
)

// The custom message function checks its branding at cold start and, when
// it refuses it, sends every message as the pool's own. The template's
// constraints on AppName, AppUrl and SupportEmail are there to refuse such
// values at deploy time instead. These tests derive the constraints from
// the function: the longest value the template allows loads, one more
// character does not, and every value the template's pattern admits loads.
//
// CloudFormation counts a parameter's length in characters, and no
// character counts less there than the one rune it is for Cognito, so a
// value within MaxLength in runes is the worst case; the patterns are Java
// regular expressions on the whole value, written so that RE2 reads them
// the same way.

const (
	goodName  = "Example App"
	goodURL   = "https://app.example.com"
	goodEmail = "support@example.com"
)

// loadBranding is the custom message function's cold start with this
// branding: nil when it builds its renderer, else every problem.
func loadBranding(name, url, email string) error {
	env := map[string]string{"APP_NAME": name, "APP_URL": url, "SUPPORT_EMAIL": email}
	r := envconfig.New(func(k string) string { return env[k] })
	_, rend := custommessage.Load(r)
	if err := r.Err(); err != nil {
		return err
	}
	if rend == nil {
		return errors.New("no renderer and no error")
	}
	return nil
}

// constraint is a String parameter's MaxLength and AllowedPattern.
type constraint struct {
	name    string
	max     int
	pattern *regexp.Regexp
}

func parameterConstraint(t *testing.T, name string) constraint {
	t.Helper()
	p := loadTemplate(t).Parameter(name)
	if p == nil {
		t.Fatalf("template has no parameter %s", name)
	}
	n, ok := number(p["MaxLength"])
	if !ok || n < 1 {
		t.Fatalf("%s has no MaxLength (%v): a value too long for the messages would only fail at cold start", name, p["MaxLength"])
	}
	pat, ok := p["AllowedPattern"].(string)
	if !ok {
		t.Fatalf("%s has no AllowedPattern", name)
	}
	re, err := regexp.Compile(`^(?:` + pat + `)$`)
	if err != nil {
		t.Fatalf("%s AllowedPattern: %v", name, err)
	}
	return constraint{name: name, max: int(n), pattern: re}
}

// admits reports whether CloudFormation could accept v: within MaxLength
// (in runes, the most lenient count) and matching the pattern.
func (c constraint) admits(v string) bool {
	return utf8.RuneCountInString(v) <= c.max && c.pattern.MatchString(v)
}

// TestAppNameMaxLength: an AppName of exactly MaxLength characters loads,
// whichever character it is made of, and one more character does not. The
// characters are the worst cases: each counts once against Cognito's
// 140-character SMS and subject limits ('&' is also the one html/template
// escapes longest in the email body, and the emoji counts twice in
// UTF-16), so no name the template admits is longer for Cognito.
func TestAppNameMaxLength(t *testing.T) {
	c := parameterConstraint(t, "AppName")
	for _, ch := range []string{"W", "&", "中", "😀"} {
		name := strings.Repeat(ch, c.max)
		if !c.pattern.MatchString(name) {
			t.Errorf("AllowedPattern refuses %q: not a worst case the template admits", ch)
		}
		if err := loadBranding(name, goodURL, goodEmail); err != nil {
			t.Errorf("AppName of %d %q, as MaxLength allows, fails the cold start:\n%v", c.max, ch, err)
		}
		if err := loadBranding(name+ch, goodURL, goodEmail); err == nil || !strings.Contains(err.Error(), "APP_NAME") {
			t.Errorf("AppName of %d %q: cold start error %v, want one naming APP_NAME: MaxLength %d is lower than it needs to be",
				c.max+1, ch, err, c.max)
		}
	}
}

// TestAppNameBrandingMaxLengths: AppUrl and SupportEmail at their MaxLength load,
// together with the longest AppName (so the email body, where all three
// appear, stays within Cognito's limit), and one character more is
// refused by the function too, so the template allows all it can.
func TestAppNameBrandingMaxLengths(t *testing.T) {
	name, url, email := parameterConstraint(t, "AppName"), parameterConstraint(t, "AppUrl"), parameterConstraint(t, "SupportEmail")
	longName := strings.Repeat("&", name.max)
	base := "https://app.example.com/"
	longURL := base + strings.Repeat("a", url.max-len(base))
	longEmail := address(email.max)
	for _, v := range []struct {
		c constraint
		v string
	}{{name, longName}, {url, longURL}, {email, longEmail}} {
		if n := utf8.RuneCountInString(v.v); n != v.c.max || !v.c.admits(v.v) {
			t.Fatalf("test value for %s (%d characters) is not one the template admits at MaxLength %d", v.c.name, n, v.c.max)
		}
	}
	if err := loadBranding(longName, longURL, longEmail); err != nil {
		t.Errorf("the longest branding the template admits fails the cold start:\n%v", err)
	}
	if err := loadBranding(goodName, longURL+"a", goodEmail); err == nil || !strings.Contains(err.Error(), "APP_URL") {
		t.Errorf("AppUrl of %d characters: cold start error %v, want one naming APP_URL: MaxLength %d is lower than it needs to be",
			url.max+1, err, url.max)
	}
	if err := loadBranding(goodName, goodURL, address(email.max+1)); err == nil || !strings.Contains(err.Error(), "SUPPORT_EMAIL") {
		t.Errorf("SupportEmail of %d characters: cold start error %v, want one naming SUPPORT_EMAIL: MaxLength %d is lower than it needs to be",
			email.max+1, err, email.max)
	}
}

// address is a well-formed address of n characters: a local part of 64
// (the most an address may have) and a domain of labels of at most 63.
func address(n int) string {
	local := strings.Repeat("l", 64)
	domain := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "."
	return local + "@" + domain + strings.Repeat("c", n-len(local)-1-len(domain)-len(".com")) + ".com"
}

// TestAppNameBrandingPatterns: every value the template admits loads; the values
// the function refuses for their characters (not their length) are
// refused at deploy time. A few values the function accepts are refused
// by the template, which is the safe side: the pattern is simpler than the
// function's checks.
func TestAppNameBrandingPatterns(t *testing.T) {
	for _, tt := range []struct {
		param        string
		value        string
		templateOnly bool // the template refuses what the function would accept
		admitted     bool
	}{
		{"AppName", goodName, false, true},
		{"AppName", "Zoë's Café", false, true},
		{"AppName", "王小明云", false, true},
		{"AppName", "Acme (Beta) [EU]", false, true},
		{"AppName", "A&B <Corp> #1 $5 ~ `x` | 100%", false, true},
		{"AppName", "Acme™ ★ ©", false, true},
		{"AppName", "Acme  Cloud", false, true},
		{"AppName", "Acme {####}", false, false},
		{"AppName", "Acme}", false, false},
		{"AppName", "Acme\tCloud", false, false},
		{"AppName", "Acme\nCloud", false, false},
		{"AppName", "Acme\u00a0Cloud", false, false},
		{"AppName", "Acme\u200bCloud", false, false},
		{"AppName", "Acme\u202eduolC", false, false},
		{"AppName", "Acme\x7f", false, false},
		{"AppName", "   ", false, false},
		{"AppName", " Acme", true, false},
		{"AppName", "【Acme】", true, false},
		{"AppUrl", goodURL, false, true},
		{"AppUrl", "https://app.example.com/", false, true},
		{"AppUrl", "https://app.example.com:8443/base/path-1_x~y.z", false, true},
		{"AppUrl", "http://app.example.com", false, false},
		{"AppUrl", "http://localhost:3000", true, false},
		{"AppUrl", "https://app.example.com/?next=x", false, false},
		{"AppUrl", "https://app.example.com/#x", false, false},
		{"AppUrl", "https://user@app.example.com", false, false},
		{"AppUrl", "https://app.example.com/{####}", false, false},
		{"AppUrl", "https://app.example.com/%zz", false, false},
		{"AppUrl", "https://app.example.com/%41", true, false},
		{"AppUrl", "https:///path", false, false},
		{"AppUrl", "https://evil.io\\@app.example.com", false, false},
		{"SupportEmail", goodEmail, false, true},
		{"SupportEmail", "help+cm_1@mail.example.co.uk", false, true},
		{"SupportEmail", "Support <support@example.com>", false, false},
		{"SupportEmail", "support@example.com.", false, false},
		{"SupportEmail", "support@example", false, false},
		{"SupportEmail", "support@123.456", false, false},
		{"SupportEmail", "sup..port@example.com", false, false},
		{"SupportEmail", ".support@example.com", false, false},
		{"SupportEmail", "-support@example.com", false, false},
		{"SupportEmail", "support.@example.com", false, false},
		{"SupportEmail", "o'brien@example.com", false, false},
		{"SupportEmail", "support@-example.com", false, false},
		{"SupportEmail", "support@exa_mple.com", false, false},
		{"SupportEmail", "support@[127.0.0.1]", false, false},
		{"SupportEmail", "supp\u00f6rt@example.com", false, false},
		{"SupportEmail", "support@1example.com", false, true},
		{"SupportEmail", "support@example.c0m", false, true},
		{"SupportEmail", "support@example.1com", true, false},
	} {
		c := parameterConstraint(t, tt.param)
		if got := c.admits(tt.value); got != tt.admitted {
			t.Errorf("%s %+q: template admits = %v, want %v", tt.param, tt.value, got, tt.admitted)
		}
		name, url, email := goodName, goodURL, goodEmail
		switch tt.param {
		case "AppName":
			name = tt.value
		case "AppUrl":
			url = tt.value
		default:
			email = tt.value
		}
		err := loadBranding(name, url, email)
		if c.admits(tt.value) && err != nil {
			t.Errorf("%s %+q: the template admits it, the cold start refuses it:\n%v", tt.param, tt.value, err)
		}
		if fnOK := err == nil; fnOK != (tt.admitted || tt.templateOnly) {
			t.Errorf("%s %+q: the cold start accepts = %v, want %v (%v)", tt.param, tt.value, fnOK, tt.admitted || tt.templateOnly, err)
		}
	}
}

// TestAppNameDefaultLocales: every DefaultLocale the template allows is one
// of the embedded template locales, so it loads.
func TestAppNameDefaultLocales(t *testing.T) {
	allowed, _ := loadTemplate(t).Parameter("DefaultLocale")["AllowedValues"].([]any)
	if len(allowed) == 0 {
		t.Fatal("DefaultLocale has no AllowedValues")
	}
	for _, v := range allowed {
		s, _ := v.(string)
		env := map[string]string{"APP_NAME": goodName, "APP_URL": goodURL, "SUPPORT_EMAIL": goodEmail, "DEFAULT_LOCALE": s}
		r := envconfig.New(func(k string) string { return env[k] })
		if _, rend := custommessage.Load(r); r.Err() != nil || rend == nil {
			t.Errorf("DefaultLocale %q fails the cold start: %v", s, r.Err())
		}
	}
}
