package message

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	texttemplate "text/template"

	"github.com/cognito-triggers/suite/pkg/triggers"
)

// Config brands the messages. It is trusted (it comes from the deployment),
// but New still validates it, because it is written into every message
// without further changes: a typo should fail the deploy, not a sign-up.
type Config struct {
	// AppName is the product name shown in subjects, SMS and the mail
	// header: plain text, no braces or control characters.
	AppName string
	// AppURL is the https base of the app's pages: /confirm-signup,
	// /reset-password, /verify-email and /sign-in are appended to it. No
	// query, fragment or user info; a trailing slash is ignored. Plain http
	// is accepted for a loopback host only (http://localhost:3000), for
	// local development: such a link leads nowhere outside the developer's
	// machine.
	AppURL string
	// SupportEmail, if set, is shown and linked in the mail footer.
	SupportEmail string
	// DefaultLocale is used when the user's locale attribute matches none
	// of the template locales. It is itself resolved like a user locale
	// ("en-US" finds "en"); empty means "en". If it matches nothing New
	// fails rather than guess.
	DefaultLocale string
	// TemplatesDir, if set, is a directory with the same layout as the
	// embedded templates/ that replaces them entirely.
	TemplatesDir string
}

// Input is what the custom-message trigger knows about the message to send.
type Input struct {
	Source triggers.Source
	// Locale is the user's locale attribute: free text, often empty.
	Locale string
	// CodeParameter is the placeholder Cognito replaces with the code or
	// temporary password, normally "{####}". Required.
	CodeParameter string
	// UsernameParameter is the username placeholder, "{username}"; required
	// for AdminCreateUser and ignored otherwise.
	UsernameParameter string
	// LinkParameter is the pool's link placeholder, e.g. "{##Click Here##}",
	// or "". It is used by the four verification sources only. Pass it only
	// when the pool verifies by link (CONFIRM_WITH_LINK): Cognito's
	// documentation does not say whether it also sends it to
	// code-verification pools, and there it would show as literal text.
	LinkParameter string
	// UserName is the event's userName; it only ever appears percent-encoded
	// in a link's query.
	UserName string
	// Attributes are the user's attributes. Untrusted: see the package
	// documentation for what may come out of them.
	Attributes map[string]string
}

// Output is the trigger's response: emailSubject, emailMessage, smsMessage.
type Output struct {
	EmailSubject, EmailMessage, SMSMessage string
}

// ErrTemplate wraps the error New returns for a template set that does not
// load or does not pass the checks.
var ErrTemplate = errors.New("message: broken template set")

// Renderer renders custom messages. Build it once at cold start with New;
// it is safe for concurrent use.
type Renderer struct {
	appName, appURL, supportEmail string

	locales []string
	sets    [][numKinds]templateSet // [locale][kind]
	match   *matcher
	def     int // index of the default locale

	// Sentinels stand in for the placeholders while the templates execute;
	// see the package documentation ("Placeholders").
	prefix, codeMark, userMark, linkMark string

	bufs sync.Pool
}

// templateSet is the three templates of one locale and source.
type templateSet struct {
	subject, sms *texttemplate.Template
	email        *htmltemplate.Template // the "layout" template of the set
	paths        [3]string              // file of each, in channelSuffixes order, for errors
}

// data is what templates see. It holds no raw user input: Name is
// sanitised, and the placeholders are sentinels. Fields are documented in
// doc.go for template authors.
type data struct {
	AppName, AppURL, SupportEmail string
	Lang                          string
	Name                          string
	Code, Username, Link          string
	ActionURL                     string
	Subject                       string
}

// New loads, parses and checks every template: each locale × source ×
// channel is rendered with hostile sample input and must pass Check and
// leak nothing of the sample's attributes. All problems are reported
// together, each naming its template file, so that a bad template set fails
// the deploy instead of a user's message.
func New(cfg Config) (*Renderer, error) {
	cfg, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	fsys, err := templateFS(cfg.TemplatesDir)
	if err != nil {
		return nil, err
	}
	locales, sets, errs := load(fsys)
	if len(locales) == 0 {
		return nil, templateErrors(errs)
	}
	r := &Renderer{
		appName:      cfg.AppName,
		appURL:       cfg.AppURL,
		supportEmail: cfg.SupportEmail,
		locales:      locales,
		sets:         sets,
		match:        newMatcher(locales),
	}
	r.bufs.New = func() any { return new(bytes.Buffer) }
	def := cfg.DefaultLocale
	if def == "" {
		def = "en"
	}
	var ok bool
	if r.def, ok = r.match.match(def); !ok {
		return nil, fmt.Errorf("message: DefaultLocale %q matches none of the template locales %v", def, locales)
	}
	// The nonce keeps the sentinels unguessable, so no input can forge one;
	// '_' keeps them out of the display-name alphabet entirely.
	r.prefix = "_" + rand.Text()[:16] + "_"
	r.codeMark, r.userMark, r.linkMark = r.prefix+"c_", r.prefix+"u_", r.prefix+"l_"
	// Templates that loaded are checked even when others did not, so one
	// deploy attempt reports every problem.
	if errs = append(errs, r.selfCheck()...); len(errs) > 0 {
		return nil, templateErrors(errs)
	}
	return r, nil
}

// Locales lists the template locales, sorted.
func (r *Renderer) Locales() []string { return slices.Clone(r.locales) }

// Locale returns the template locale Render uses for a user's locale
// attribute (see "Locales" in the package documentation), so that the
// trigger can log which one it chose without logging the free-text
// attribute. Passing the result back as Input.Locale selects the same
// templates at the cost of one map lookup.
func (r *Renderer) Locale(userLocale string) string {
	return r.locales[r.localeIndex(userLocale)]
}

// localeIndex resolves a user's locale attribute to an index into locales,
// falling back to the default locale.
func (r *Renderer) localeIndex(userLocale string) int {
	if li, ok := r.match.match(userLocale); ok {
		return li
	}
	return r.def
}

// Render renders the message for in. It returns an error, and never panics,
// for an unknown source, a missing or unsafe placeholder parameter, or an
// output that Check rejects; the trigger should then return the event
// unchanged so that Cognito sends the pool's default message. Error texts
// name the template and the rule, never user data, so they can be logged.
func (r *Renderer) Render(in Input) (out Output, err error) {
	defer func() {
		// Last resort: a bug here must cost the branded message, not the
		// user's sign-in. The panic value may quote input (a name, a
		// placeholder) and the error is logged, so only its type is kept.
		if p := recover(); p != nil {
			out, err = Output{}, fmt.Errorf("message: internal error: panic of type %T", p)
		}
	}()
	ki, ok := kindIndex(in.Source)
	if !ok {
		return Output{}, fmt.Errorf("message: %w %.64q", triggers.ErrUnknownSource, string(in.Source))
	}
	k := &kinds[ki]
	if err := checkInput(k, &in); err != nil {
		return Output{}, err
	}
	li := r.localeIndex(in.Locale)
	out, err = r.render(li, ki, &in)
	if err != nil {
		return Output{}, err
	}
	if errs := r.checkOutput(li, ki, &in, &out); errs != [3]error{} {
		return Output{}, errors.Join(errs[:]...)
	}
	return out, nil
}

// render executes the three templates and swaps the sentinels for the
// event's placeholders. It does not check the result.
func (r *Renderer) render(li, ki int, in *Input) (Output, error) {
	k, set := &kinds[ki], &r.sets[li][ki]
	d := &data{
		AppName:      r.appName,
		AppURL:       r.appURL,
		SupportEmail: r.supportEmail,
		Lang:         r.locales[li],
		Name:         displayName(k, in.Attributes),
		Code:         r.codeMark,
		ActionURL:    r.actionURL(k, in.UserName),
	}
	if k.invitation {
		d.Username = r.userMark
	}
	if k.unverified && in.LinkParameter != "" {
		d.Link = r.linkMark
	}

	buf := r.bufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 {
			r.bufs.Put(buf)
		}
	}()
	var parts [3]string
	for i, t := range set.executors() {
		if t == nil {
			continue // only New renders incomplete sets, to check the rest
		}
		buf.Reset()
		if err := t.Execute(buf, d); err != nil {
			return Output{}, fmt.Errorf("message: %s: %w", set.paths[i], err)
		}
		parts[i] = r.fill(bytes.TrimSpace(buf.Bytes()), in)
		if i == 0 {
			d.Subject = parts[0] // the HTML <title>
		}
	}
	return Output{EmailSubject: parts[0], SMSMessage: parts[1], EmailMessage: parts[2]}, nil
}

// executors returns the set's templates in Output order, nil for any that
// did not load.
func (s *templateSet) executors() [3]executor {
	var e [3]executor
	if s.subject != nil {
		e[0] = s.subject
	}
	if s.sms != nil {
		e[1] = s.sms
	}
	if s.email != nil {
		e[2] = s.email
	}
	return e
}

// executor is what html/template and text/template templates have in common.
type executor interface {
	Execute(w io.Writer, data any) error
}

// actionURL builds the button's link: AppURL + the source's page, with the
// userName percent-encoded and the code sentinel, which html/template leaves
// intact in an href (it would percent-encode "{####}").
func (r *Renderer) actionURL(k *kind, userName string) string {
	if k.path == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(r.appURL) + len(k.path) + len(r.codeMark) + 3*len(userName) + 16)
	b.WriteString(r.appURL)
	b.WriteString(k.path)
	sep := byte('?')
	if u := linkUserName(userName); k.usernameInLink && u != "" {
		b.WriteString("?username=")
		// %20 rather than '+' for spaces: unambiguous for any query parser.
		b.WriteString(strings.ReplaceAll(url.QueryEscape(u), "+", "%20"))
		sep = '&'
	}
	if k.codeInLink {
		b.WriteByte(sep)
		b.WriteString("code=")
		b.WriteString(r.codeMark)
	}
	return b.String()
}

// fill copies b, replacing each sentinel with the event's placeholder.
func (r *Renderer) fill(b []byte, in *Input) string {
	i := bytes.Index(b, []byte(r.prefix))
	if i < 0 {
		return string(b)
	}
	var s strings.Builder
	s.Grow(len(b))
	for i >= 0 {
		s.Write(b[:i])
		rest := b[i:]
		switch {
		case bytes.HasPrefix(rest, []byte(r.codeMark)):
			s.WriteString(in.CodeParameter)
			b = rest[len(r.codeMark):]
		case bytes.HasPrefix(rest, []byte(r.userMark)):
			s.WriteString(in.UsernameParameter)
			b = rest[len(r.userMark):]
		case bytes.HasPrefix(rest, []byte(r.linkMark)):
			s.WriteString(in.LinkParameter)
			b = rest[len(r.linkMark):]
		default:
			s.WriteString(r.prefix)
			b = rest[len(r.prefix):]
		}
		i = bytes.Index(b, []byte(r.prefix))
	}
	s.Write(b)
	return s.String()
}

// checkOutput runs Check's rules per channel, in Output order, each error
// naming the template behind it.
func (r *Renderer) checkOutput(li, ki int, in *Input, out *Output) [3]error {
	k, set := &kinds[ki], &r.sets[li][ki]
	errs := [3]error{
		checkSubject(out.EmailSubject),
		checkSMS(k, in, out.SMSMessage),
		checkEmail(k, in, out.EmailMessage),
	}
	for i, err := range errs {
		if err != nil {
			errs[i] = &templateError{set.paths[i], err}
		}
	}
	return errs
}

// samples are the inputs New renders every template with. The first is
// hostile and maximal: every attribute a phishing or code-leaking attack, the
// name long enough to be cut to the 40-rune maximum, the link placeholder
// set. The second uses unusual placeholder values and no attributes, which
// exposes templates that hard-code "{####}" or break on the neutral greeting.
var samples = [...]Input{
	{
		CodeParameter:     "{####}",
		UsernameParameter: "{username}",
		LinkParameter:     "{##Click Here##}",
		UserName:          "u<b>\"{####}\"&x=1/..",
		Attributes: map[string]string{
			"given_name":  `<img src="https://canary.invalid/c?x={####}">`,
			"name":        "Bartholomew Maximilian Wolfeschlegelsteinhausenbergerdorff",
			"nickname":    "{username}",
			"family_name": "canary\u202e\r\n\x00",
			"email":       "canary@canary.invalid",
			"custom:bio":  `</a><a href="https://canary.invalid">{##Click##}`,
		},
	},
	{
		CodeParameter:     "{######}",
		UsernameParameter: "{user-name}",
	},
}

// selfCheck renders every template with every sample.
func (r *Renderer) selfCheck() []error {
	var errs []error
	seen := make(map[string]bool)
	add := func(err error) {
		if s := err.Error(); !seen[s] {
			seen[s] = true
			errs = append(errs, err)
		}
	}
	for li := range r.locales {
		for ki := range kinds {
			for _, s := range samples {
				in := s
				in.Source = kinds[ki].source
				out, err := r.render(li, ki, &in)
				if err != nil {
					add(err)
					continue
				}
				set := &r.sets[li][ki]
				tmpls := set.executors()
				for i, err := range r.checkOutput(li, ki, &in, &out) {
					if err != nil && tmpls[i] != nil {
						add(err)
					}
				}
				for i, field := range [3]string{out.EmailSubject, out.SMSMessage, out.EmailMessage} {
					if strings.Contains(strings.ToLower(field), "canary") {
						add(&templateError{set.paths[i], errors.New("shows text from the sample's hostile attributes")})
					}
				}
			}
		}
	}
	return errs
}

// templateError names the template file behind a problem.
type templateError struct {
	path string
	err  error
}

func (e *templateError) Error() string { return "message: " + e.path + ": " + e.err.Error() }
func (e *templateError) Unwrap() error { return e.err }

func templateErrors(errs []error) error {
	return fmt.Errorf("%w: %d problem(s):\n%w", ErrTemplate, len(errs), errors.Join(errs...))
}
