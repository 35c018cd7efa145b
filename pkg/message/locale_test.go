package message

import (
	"strings"
	"testing"

	"github.com/cognito-triggers/suite/pkg/triggers"
)

func TestLocaleResolution(t *testing.T) {
	tests := []struct {
		defaultLocale string
		in            string
		want          string
	}{
		// exact
		{"", "en", "en"},
		{"", "zh-CN", "zh-CN"},
		// case-insensitive language-region, '_' as '-'
		{"", "zh-cn", "zh-CN"},
		{"", "zh_CN", "zh-CN"},
		{"", "ZH_cn", "zh-CN"},
		{"", " zh-CN ", "zh-CN"},
		{"", "zh_CN.UTF-8", "zh-CN"},
		{"", "zh-CN;q=0.9", "zh-CN"},
		{"", "zh-CN, en;q=0.5", "zh-CN"},
		// language prefix
		{"", "zh", "zh-CN"},
		{"", "ZH", "zh-CN"},
		{"", "zh-Hans-SG", "zh-CN"},
		{"", "zh-TW", "zh-CN"},
		{"", "en-GB", "en"},
		{"", "en_US.UTF-8", "en"},
		{"", "en-US@posix", "en"},
		// no match: the default
		{"", "", "en"},
		{"", "fr", "en"},
		{"", "fr-FR", "en"},
		{"", "e", "en"},
		{"", "-", "en"},
		{"", "zhx", "en"},
		{"", "english", "en"},
		{"", "\x00zh", "en"},
		{"", "<script>", "en"},
		{"", strings.Repeat("zh-", 30), "en"},
		// a configured default, itself resolved
		{"zh-CN", "fr", "zh-CN"},
		{"zh-CN", "", "zh-CN"},
		{"zh-CN", "en-AU", "en"},
		{"zh", "garbage", "zh-CN"},
		{"ZH_cn", "", "zh-CN"},
		{"en-US", "", "en"},
	}
	renderers := map[string]*Renderer{}
	for _, tt := range tests {
		r := renderers[tt.defaultLocale]
		if r == nil {
			cfg := testConfig
			cfg.DefaultLocale = tt.defaultLocale
			r = newRenderer(t, cfg)
			renderers[tt.defaultLocale] = r
		}
		in := goldenInput(triggers.SourceMessageSignUp, tt.in)
		out, err := r.Render(in)
		if err != nil {
			t.Fatalf("Render(locale %q): %v", tt.in, err)
		}
		if want := `<html lang="` + tt.want + `">`; !strings.Contains(out.EmailMessage, want) {
			t.Errorf("default %q, locale %q: want %s", tt.defaultLocale, tt.in, tt.want)
		}
		if got := r.Locale(tt.in); got != tt.want {
			t.Errorf("default %q: Locale(%q) = %q, want %q", tt.defaultLocale, tt.in, got, tt.want)
		}
	}
}

func TestMatcherLanguagePreference(t *testing.T) {
	m := newMatcher([]string{"pt-BR", "pt-PT", "zh-CN", "zh-TW"})
	for in, want := range map[string]string{"pt": "pt-BR", "zh": "zh-CN", "zh-HK": "zh-CN", "pt-pt": "pt-PT"} {
		i, ok := m.match(in)
		if !ok || []string{"pt-BR", "pt-PT", "zh-CN", "zh-TW"}[i] != want {
			t.Errorf("match(%q) = %d %v, want %s", in, i, ok, want)
		}
	}
	// A bare-language locale beats a regional one whatever the order.
	m = newMatcher([]string{"es", "es-419"})
	if i, _ := m.match("es-MX"); i != 0 {
		t.Errorf("es-MX matched %d, want es", i)
	}
}

func TestValidLocaleName(t *testing.T) {
	for s, want := range map[string]bool{
		"en": true, "zh-CN": true, "zh-Hant-TW": true, "es-419": true, "fil": true, "sr-Latn": true,
		"": false, "EN": false, "zh-cn": false, "zh_CN": false, "english": false, "zh-CN-x": false,
		"en-": false, "-en": false, "zh-hant": false, "en-GBR": false, "..": false, "testdata": false,
	} {
		if got := validLocaleName(s); got != want {
			t.Errorf("validLocaleName(%q) = %v, want %v", s, got, want)
		}
	}
}
