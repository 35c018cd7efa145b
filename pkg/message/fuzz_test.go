package message

import (
	"strings"
	"testing"

	"github.com/cognito-triggers/suite/pkg/triggers"
)

// FuzzRender: for any source, locale, name, code placeholder and username
// placeholder, Render either errors or returns an output that passes Check,
// and the name adds no '<', '>', '{' or '}' of its own: the output has as
// many of each as the same message rendered with a harmless name (or none,
// when the fuzzed one is sanitised away).
func FuzzRender(f *testing.F) {
	r := newRenderer(f, testConfig)
	for i, tt := range hostileNames {
		f.Add(uint8(i), []string{"en", "zh-CN", "zh_cn", "", "xx"}[i%5], tt.in, "{####}", "{username}")
	}
	f.Add(uint8(1), "zh", "王小明", "{####}", "{username}")
	f.Add(uint8(1), "en", "Zoë", "{###}", "")
	f.Add(uint8(0), "en", "a", "{##\u202e##}", "{u}")
	f.Add(uint8(200), "en", "a", "{####}", "{username}")

	f.Fuzz(func(t *testing.T, src uint8, locale, name, code, username string) {
		source := triggers.Source("CustomMessage_Unknown")
		if int(src) < numKinds {
			source = kinds[src].source
		}
		in := Input{
			Source:            source,
			Locale:            locale,
			CodeParameter:     code,
			UsernameParameter: username,
			LinkParameter:     "{##Click Here##}",
			UserName:          name,
			Attributes:        map[string]string{"name": name, "given_name": name, "nickname": name},
		}
		out, err := r.Render(in)
		if err != nil {
			return
		}
		if err := Check(in, out); err != nil {
			t.Fatalf("Render output fails Check: %v", err)
		}
		base := in
		base.Attributes = nil
		if sanitizeName(name) != "" {
			base.Attributes = map[string]string{"name": "Alex"}
		}
		want, err := r.Render(base)
		if err != nil {
			t.Fatalf("baseline Render: %v", err)
		}
		for _, c := range []string{"<", ">", "{", "}"} {
			for field, pair := range map[string][2]string{
				"EmailSubject": {want.EmailSubject, out.EmailSubject},
				"SMSMessage":   {want.SMSMessage, out.SMSMessage},
				"EmailMessage": {want.EmailMessage, out.EmailMessage},
			} {
				if strings.Count(pair[0], c) != strings.Count(pair[1], c) {
					t.Fatalf("name %q changed the number of %q in %s", name, c, field)
				}
			}
		}
		// A raw name with markup may only appear where the template itself
		// has the same text (" <" is in every HTML body).
		if strings.ContainsAny(name, "<>") && strings.Contains(out.EmailMessage, name) &&
			!strings.Contains(want.EmailMessage, name) {
			t.Fatalf("raw name %q in EmailMessage", name)
		}
	})
}
