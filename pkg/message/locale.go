package message

import "strings"

// matcher maps a user's free-form locale attribute to one of the template
// locales. Built once by New; read-only afterwards, so safe for concurrent use.
type matcher struct {
	exact map[string]int // the locale as named, e.g. "zh-CN"
	fold  map[string]int // lower-case language-region, e.g. "zh-cn"
	lang  map[string]int // lower-case primary language, e.g. "zh"
}

// newMatcher indexes locales, which must be sorted. For the language
// fallback a locale that is the bare language ("en") wins; otherwise the
// first in sort order does, which keeps the choice stable when a team adds,
// say, zh-TW next to zh-CN.
func newMatcher(locales []string) *matcher {
	m := &matcher{
		exact: make(map[string]int, len(locales)),
		fold:  make(map[string]int, len(locales)),
		lang:  make(map[string]int, len(locales)),
	}
	for i, l := range locales {
		m.exact[l] = i
		low := strings.ToLower(l)
		m.fold[low] = i
		lang, _, region := strings.Cut(low, "-")
		if _, taken := m.lang[lang]; !taken || !region {
			m.lang[lang] = i
		}
	}
	return m
}

// match resolves s in three steps: exact ("zh-CN"), case-insensitive with '_'
// read as '-' ("zh-cn", "zh_CN", "ZH-cn"), then by primary language ("zh",
// "zh-Hans-SG", "en-GB"). POSIX decorations ("en_US.UTF-8", "de_DE@euro")
// and anything after a list separator ("fr-CH, fr;q=0.9") are ignored.
// Anything else, including the empty string, does not match.
func (m *matcher) match(s string) (int, bool) {
	if i, ok := m.exact[s]; ok {
		return i, true
	}
	s = strings.TrimSpace(s)
	if j := strings.IndexAny(s, ".@,; "); j >= 0 {
		s = s[:j]
	}
	if s == "" || len(s) > 35 { // 35: the longest tag RFC 5646 asks parsers to handle
		return 0, false
	}
	s = strings.ToLower(strings.ReplaceAll(s, "_", "-"))
	if i, ok := m.fold[s]; ok {
		return i, true
	}
	lang, _, _ := strings.Cut(s, "-")
	i, ok := m.lang[lang]
	return i, ok
}

// validLocaleName accepts the template directory names this package
// understands: a 2–3 letter lower-case language, an optional title-case
// script and an optional upper-case region ("en", "zh-CN", "zh-Hant-TW",
// "es-419"). Other directory names are reported by New as mistakes rather
// than silently skipped.
func validLocaleName(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) > 3 || !isLower(parts[0], 2, 3) {
		return false
	}
	rest := parts[1:]
	if len(rest) > 0 && len(rest[0]) == 4 {
		if !(isUpper(rest[0][:1], 1, 1) && isLower(rest[0][1:], 3, 3)) {
			return false
		}
		rest = rest[1:]
	}
	switch len(rest) {
	case 0:
		return true
	case 1:
		return isUpper(rest[0], 2, 2) || isDigits(rest[0], 3)
	}
	return false
}

func isLower(s string, lo, hi int) bool {
	return len(s) >= lo && len(s) <= hi && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz") == ""
}

func isUpper(s string, lo, hi int) bool {
	return len(s) >= lo && len(s) <= hi && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
}

func isDigits(s string, n int) bool {
	return len(s) == n && strings.Trim(s, "0123456789") == ""
}
