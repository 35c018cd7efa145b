package message

import (
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strings"
	texttemplate "text/template"
	"unicode/utf8"
)

// embedded is the default template set; see doc.go for its layout.
//
//go:embed templates
var embedded embed.FS

const (
	layoutFile = "layout.html"
	commonFile = "common.html"
)

// channelSuffixes are the file suffixes of a source's three templates, in
// Output order: subject, SMS, email body.
var channelSuffixes = [3]string{".subject.txt", ".sms.txt", ".html"}

// validate checks and normalises a Config.
func (c Config) validate() (Config, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s "+format, append([]any{field}, args...)...))
	}
	c.AppName = strings.TrimSpace(c.AppName)
	switch {
	case c.AppName == "":
		bad("AppName", "is required")
	case utf8.RuneCountInString(c.AppName) > 100:
		bad("AppName", "is longer than 100 runes")
	case !plainText(c.AppName):
		bad("AppName", "may contain only letters, marks, numbers, punctuation, symbols and spaces, no braces")
	}
	c.AppURL = strings.TrimRight(strings.TrimSpace(c.AppURL), "/")
	if err := validAppURL(c.AppURL); err != nil {
		bad("AppURL", "%v", err)
	}
	c.SupportEmail = strings.TrimSpace(c.SupportEmail)
	if c.SupportEmail != "" && !validSupportEmail(c.SupportEmail) {
		bad("SupportEmail", "is not a plain address like support@example.com")
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("message: invalid Config: %w", errors.Join(errs...))
	}
	return c, nil
}

// plainText is text that may go unescaped into a subject or SMS.
func plainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == '{' || r == '}' || (r != ' ' && !cognitoVisible(r)) {
			return false
		}
	}
	return true
}

// validAppURL accepts an https origin with an optional path, spelled with
// URL-safe ASCII only, so that appending a page and a query is all that is
// needed to build a link and nothing in it needs escaping.
func validAppURL(s string) error {
	if s == "" {
		return errors.New("is required")
	}
	if len(s) > 200 {
		return errors.New("is longer than 200 bytes")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~:/%", c) >= 0) {
			return fmt.Errorf("contains %q; use a plain https URL without query or fragment", c)
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("does not parse as a URL")
	}
	if (u.Scheme != "https" && !(u.Scheme == "http" && loopbackHost(u.Hostname()))) || u.Host == "" || u.Opaque != "" {
		return errors.New("must be an absolute https URL such as https://app.example.com (http only for localhost)")
	}
	return nil
}

// loopbackHost reports the hosts a local development app runs on. (An IPv6
// literal never gets here: '[' is not in the accepted alphabet.)
func loopbackHost(h string) bool { return h == "localhost" || h == "127.0.0.1" }

// validSupportEmail accepts a conservative ASCII address.
func validSupportEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || len(s) > 254 || !strings.Contains(domain, ".") ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return false
	}
	allowed := func(s, extra string) bool {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(extra, c) >= 0) {
				return false
			}
		}
		return true
	}
	return allowed(local, ".-_+") && allowed(domain, ".-")
}

// templateFS returns the team's directory or the embedded set.
func templateFS(dir string) (fs.FS, error) {
	if dir == "" {
		return fs.Sub(embedded, "templates")
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("message: TemplatesDir: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("message: TemplatesDir %s is not a directory", dir)
	}
	return os.DirFS(dir), nil
}

// load reads and parses a template set. It keeps going after a problem so
// that one deploy attempt reports every broken or missing file.
func load(fsys fs.FS) (locales []string, sets [][numKinds]templateSet, errs []error) {
	fail := func(path string, err error) { errs = append(errs, &templateError{path, err}) }

	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, nil, []error{fmt.Errorf("message: read template directory: %w", err)}
	}
	haveLayout := false
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "."), !e.IsDir() && strings.HasSuffix(name, ".md"):
			// dotfiles and notes for template authors
		case name == layoutFile && !e.IsDir():
			haveLayout = true
		case e.IsDir() && validLocaleName(name):
			locales = append(locales, name)
		case e.IsDir():
			fail(name+"/", errors.New("is not a locale directory name (want e.g. en, zh-CN)"))
		default:
			fail(name, errors.New("is not part of the template layout"))
		}
	}
	if !haveLayout {
		fail(layoutFile, errors.New("is missing"))
	}
	if len(locales) == 0 {
		fail(".", errors.New("has no locale directories"))
	}
	sort.Strings(locales)

	var layout *htmltemplate.Template
	if haveLayout {
		layout, err = parseHTML(fsys, htmltemplate.New(layoutFile), layoutFile)
		if err != nil {
			errs = append(errs, err)
		}
	}
	sets = make([][numKinds]templateSet, len(locales))
	for li, loc := range locales {
		errs = append(errs, loadLocale(fsys, loc, layout, &sets[li])...)
	}
	return locales, sets, errs
}

// loadLocale parses one locale directory into sets.
func loadLocale(fsys fs.FS, loc string, layout *htmltemplate.Template, sets *[numKinds]templateSet) []error {
	var errs []error
	fail := func(path string, err error) { errs = append(errs, &templateError{path, err}) }

	want := map[string]bool{commonFile: true}
	for _, k := range kinds {
		for _, suffix := range channelSuffixes {
			want[k.file+suffix] = true
		}
	}
	entries, err := fs.ReadDir(fsys, loc)
	if err != nil {
		return []error{&templateError{loc + "/", err}}
	}
	have := make(map[string]bool, len(entries))
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "."):
		case want[name] && !e.IsDir():
			have[name] = true
		default:
			fail(loc+"/"+name, errors.New("is not part of the template layout (misspelt?)"))
		}
	}
	for _, name := range sortedKeys(want) {
		if !have[name] {
			fail(loc+"/"+name, errors.New("is missing"))
		}
	}

	// The locale's HTML base is the shared layout plus common.html; every
	// source clones it, so "body" and "action" are per source.
	var base *htmltemplate.Template
	if layout != nil && have[commonFile] {
		if base, err = layout.Clone(); err == nil {
			base, err = parseHTML(fsys, base, loc+"/"+commonFile)
		}
		if err != nil {
			errs = append(errs, err)
			base = nil
		}
	}
	for ki, k := range kinds {
		set := &sets[ki]
		for i, suffix := range channelSuffixes {
			set.paths[i] = loc + "/" + k.file + suffix
		}
		var err error
		if have[k.file+channelSuffixes[0]] {
			if set.subject, err = parseText(fsys, set.paths[0]); err != nil {
				errs = append(errs, err)
			}
		}
		if have[k.file+channelSuffixes[1]] {
			if set.sms, err = parseText(fsys, set.paths[1]); err != nil {
				errs = append(errs, err)
			}
		}
		if base != nil && have[k.file+channelSuffixes[2]] {
			t, err := base.Clone()
			if err == nil {
				t, err = parseHTML(fsys, t, set.paths[2])
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if set.email = t.Lookup("layout"); set.email == nil {
				fail(layoutFile, errors.New(`does not define "layout"`))
			}
		}
	}
	return errs
}

// parseHTML adds the file at path to t's set under its path, so parse and
// execution errors name the file.
func parseHTML(fsys fs.FS, t *htmltemplate.Template, path string) (*htmltemplate.Template, error) {
	src, err := fs.ReadFile(fsys, path)
	if err != nil {
		return nil, &templateError{path, err}
	}
	nt := t
	if t.Name() != path { // New with the root's own name would orphan the root
		nt = t.New(path)
	}
	if _, err := nt.Parse(string(src)); err != nil {
		return nil, &templateError{path, err}
	}
	return t, nil
}

func parseText(fsys fs.FS, path string) (*texttemplate.Template, error) {
	src, err := fs.ReadFile(fsys, path)
	if err != nil {
		return nil, &templateError{path, err}
	}
	t, err := texttemplate.New(path).Option("missingkey=error").Parse(string(src))
	if err != nil {
		return nil, &templateError{path, err}
	}
	return t, nil
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
