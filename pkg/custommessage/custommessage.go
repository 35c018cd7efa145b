package custommessage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/message"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// Values of EMAIL_VERIFICATION_OPTION, as the pool's
// VerificationMessageTemplate.DefaultEmailOption spells them.
const (
	EmailOptionCode = "CONFIRM_WITH_CODE"
	EmailOptionLink = "CONFIRM_WITH_LINK"
)

// The metrics every decision writes, each 0 or 1, so that each series has a
// data point per invocation and its average is a rate. template.yaml alarms
// on RenderFailures.
const (
	MetricRendered       = "Rendered"
	MetricRenderFailures = "RenderFailures"
)

// MetricNames lists the metrics the decision writes, for the template's
// cross-checks.
func MetricNames() []string { return []string{MetricRendered, MetricRenderFailures} }

// Renderer renders one message; *message.Renderer implements it.
type Renderer interface {
	Render(message.Input) (message.Output, error)
	// Locale resolves a user's locale attribute to a template locale.
	Locale(userLocale string) string
}

var _ Renderer = (*message.Renderer)(nil)

// Config is the custom message configuration.
type Config struct {
	// Message brands the messages: APP_NAME, APP_URL, SUPPORT_EMAIL,
	// DEFAULT_LOCALE, MESSAGE_TEMPLATES_DIR.
	Message message.Config
	// CustomizeEmail sets emailMessage and emailSubject (CUSTOMIZE_EMAIL).
	// Only for pools that send email through SES: see the package
	// documentation.
	CustomizeEmail bool
	// LinkVerification passes the event's linkParameter to the renderer
	// (EMAIL_VERIFICATION_OPTION=CONFIRM_WITH_LINK).
	LinkVerification bool
}

// LoadConfig reads the configuration; problems are recorded on r. It does
// not load the templates: Load does both.
func LoadConfig(r *envconfig.Reader) Config {
	var c Config
	c.Message.AppName = r.Required("APP_NAME")
	c.Message.AppURL = r.Required("APP_URL")
	c.Message.SupportEmail = r.Required("SUPPORT_EMAIL")
	if c.Message.SupportEmail != "" {
		if _, err := emailgate.Parse(c.Message.SupportEmail); err != nil {
			r.Fail("SUPPORT_EMAIL", "is not a plain address like support@example.com (%s)", emailgate.ReasonOf(err))
		}
	}
	c.Message.DefaultLocale = r.String("DEFAULT_LOCALE", "en")
	c.Message.TemplatesDir = r.String("MESSAGE_TEMPLATES_DIR", "")
	c.CustomizeEmail = r.Bool("CUSTOMIZE_EMAIL", false)
	c.LinkVerification = r.Enum("EMAIL_VERIFICATION_OPTION", EmailOptionCode, EmailOptionCode, EmailOptionLink) == EmailOptionLink
	return c
}

// Load reads the configuration and builds the renderer, which parses every
// template and renders each with hostile sample input (message.New). A
// broken template, a branding that pushes an SMS past 140 characters or an
// invalid APP_URL is recorded on r like any other bad variable, so that one
// error lists every problem instead of a user's message failing later. The
// templates are checked even when another variable is wrong, so that one
// deploy attempt reports everything; the renderer is nil when anything
// recorded on r is wrong.
func Load(r *envconfig.Reader) (Config, *message.Renderer) {
	c := LoadConfig(r)
	m := c.Message
	if m.AppName == "" || m.AppURL == "" {
		return c, nil // already recorded; without the branding no template can be checked
	}
	if _, err := emailgate.Parse(m.SupportEmail); err != nil {
		// Already recorded. The templates and the rest of the branding can
		// still be checked: the footer simply leaves the address out.
		m.SupportEmail = ""
	}
	rend, err := message.New(m)
	if err != nil {
		text := envNames.Replace(err.Error())
		text = strings.TrimPrefix(strings.TrimPrefix(text, "message: invalid Config: "), "message: ")
		switch {
		case errors.Is(err, message.ErrTemplate) && m.TemplatesDir != "":
			r.Fail("MESSAGE_TEMPLATES_DIR", "%s", text)
		case errors.Is(err, message.ErrTemplate):
			// The embedded set passes its own tests, so the branding broke
			// it: a long APP_NAME pushes an SMS or subject over 140.
			r.Fail("APP_NAME", "the embedded templates fail with this branding: %s", text)
		default:
			r.Fail("message configuration", "%s", text)
		}
		return c, nil
	}
	if r.Err() != nil {
		return c, nil // the templates are fine, something else is not
	}
	return c, rend
}

// envNames turns message.Config field names in the renderer's errors into
// the variables an operator sets.
var envNames = strings.NewReplacer(
	"AppName", "APP_NAME", "AppURL", "APP_URL", "SupportEmail", "SUPPORT_EMAIL",
	"DefaultLocale", "DEFAULT_LOCALE", "TemplatesDir", "MESSAGE_TEMPLATES_DIR")

// Deps are what a Decider renders with.
type Deps struct {
	// Renderer is built once, at cold start (Load); required.
	Renderer Renderer
}

// Decider is the custom message decision.
type Decider struct {
	cfg Config
	r   Renderer
	// broken, when set, is the configuration error the cold start found:
	// every message then falls back to the pool's own.
	broken error
}

// New returns a Decider rendering with deps.Renderer.
func New(cfg Config, deps Deps) (*Decider, error) {
	if deps.Renderer == nil {
		return nil, errors.New("custommessage: Deps.Renderer is nil")
	}
	return &Decider{cfg: cfg, r: deps.Renderer}, nil
}

// Configure is the cold start: it reads the configuration from r, builds
// and checks the renderer (Load) and returns the Decider. When anything is
// wrong it returns the error, naming every problem, together with a Decider
// that answers every event with the pool's own message (see "A broken
// configuration" in the package documentation); the Decider is never nil.
func Configure(r *envconfig.Reader) (*Decider, error) {
	cfg, rend := Load(r)
	err := r.Err()
	if err == nil && rend == nil {
		err = errors.New("custommessage: no renderer was built")
	}
	if err != nil {
		return &Decider{cfg: cfg, broken: err}, err
	}
	return New(cfg, Deps{Renderer: rend})
}

// errBroken is the cause logged with every fallback of a Decider whose
// configuration is broken. The problems themselves are on the cold start's
// log line: repeating them on every decision line would only make each
// line longer.
var errBroken = errors.New("the configuration is invalid: the cold start logged every problem")

// greetingAttributes are the user attributes the renderer may greet by, in
// the order package message tries them; besides them the decision reads
// only "locale". Other attributes are never read.
var greetingAttributes = [...]string{"given_name", "name", "nickname"}

// Decide implements invoke.DecideFunc. It never refuses: see "Never block a
// message" in the package documentation.
func (d *Decider) Decide(_ context.Context, ev *triggers.CustomMessage) (res decision.Result) {
	if d.broken != nil {
		return fallback(decision.ReasonConfigError, errBroken)
	}
	received := ev.Response
	defer func() {
		// Last resort: a bug here must cost the branded message, not the
		// user's sign-up. The panic value may quote event data; only its
		// type is logged.
		if p := recover(); p != nil {
			ev.Response = received
			res = fallback(decision.ReasonRenderFailed, fmt.Errorf("panic of type %T", p))
		}
	}()

	req := &ev.Request
	if req.CodeParameter == "" {
		return fallback(decision.ReasonMissingCodeParameter, errors.New("request has no codeParameter"))
	}
	in := message.Input{
		Source:        ev.TriggerSource,
		Locale:        d.r.Locale(req.UserAttributes.Get("locale")),
		CodeParameter: req.CodeParameter,
		UserName:      ev.UserName,
	}
	if req.UsernameParameter != nil {
		in.UsernameParameter = *req.UsernameParameter
	}
	if d.cfg.LinkVerification {
		in.LinkParameter = req.LinkParameter
	}
	for _, name := range greetingAttributes {
		if v := req.UserAttributes.Get(name); v != "" {
			if in.Attributes == nil {
				in.Attributes = make(map[string]string, len(greetingAttributes))
			}
			in.Attributes[name] = v
		}
	}

	out, err := d.r.Render(in)
	if err == nil {
		// Render checks its output already; checking again here keeps this
		// decision's promise independent of the Renderer behind it, for
		// about a microsecond.
		err = message.Check(in, out)
	}
	if err != nil {
		reason := decision.ReasonRenderFailed
		if errors.Is(err, message.ErrPlaceholder) {
			reason = decision.ReasonInvalidPlaceholder
		}
		return fallback(reason, err)
	}

	// The email fields stay null unless CustomizeEmail: null keeps the
	// pool's own email, and a pool that does not send through SES fails the
	// whole request when either is set.
	ev.Response.SMSMessage = &out.SMSMessage
	ev.Response.EmailMessage, ev.Response.EmailSubject = nil, nil
	facts := make([]decision.Fact, 2, 3)
	facts[0] = decision.String("locale", in.Locale)
	facts[1] = decision.Int("smsLength", utf8.RuneCountInString(out.SMSMessage))
	if d.cfg.CustomizeEmail {
		ev.Response.EmailMessage, ev.Response.EmailSubject = &out.EmailMessage, &out.EmailSubject
		facts = append(facts, decision.Int("emailLength", utf8.RuneCountInString(out.EmailMessage)))
	}
	return decision.Result{Outcome: decision.OutcomeRendered, Facts: facts, Metrics: metrics(true)}
}

// MalformedRequest is the custom message trigger's answer to an event whose
// header is fine but whose request or response does not decode (a
// duplicate or case-variant member, a value of the wrong type): the event
// goes back as received, so that Cognito sends the pool's own message. Set
// it as invoke.Options.MalformedRequest.
func MalformedRequest(err error) decision.Result {
	return fallback(decision.ReasonMalformedRequest, requestProblem(err))
}

// fallback is the Result for a message this trigger leaves to the pool:
// the response stays as received (its fields arrive null, and null makes
// Cognito send the message configured on the pool). cause is logged; it
// names fields, templates and rules, never event values.
func fallback(reason decision.Reason, cause error) decision.Result {
	return decision.Result{
		Outcome: decision.OutcomeDefaultMessage,
		Reason:  reason,
		Facts:   []decision.Fact{decision.String("cause", cause.Error())},
		Metrics: metrics(false),
	}
}

func metrics(rendered bool) []decision.Metric {
	return []decision.Metric{
		decision.Counter(MetricRendered, rendered),
		decision.Counter(MetricRenderFailures, !rendered),
	}
}

// requestProblem says where the request or response failed to decode and
// what kind of problem it was, and nothing else: the decoder's own text
// can quote a value (a code, a name) or a member name that the caller
// chose (clientMetadata's keys are the app's), and the cause is logged.
func requestProblem(err error) error {
	var se *json.SemanticError
	var ye *jsontext.SyntacticError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("%s: %s", place(se.JSONPointer), wrongType(se))
	case errors.As(err, &ye) && errors.Is(ye.Err, jsontext.ErrDuplicateName):
		return fmt.Errorf("%s: a member name appears twice", place(ye.JSONPointer))
	case errors.As(err, &ye):
		return fmt.Errorf("%s: not valid JSON", place(ye.JSONPointer))
	}
	// The only other way a request fails to decode: a member whose name
	// differs from a known one only in case or by a Unicode fold.
	return errors.New("request or response: a member name is a case variant of a known one")
}

// knownMembers are the request and response members a cause may name.
var knownMembers = map[string]bool{
	"request": true, "response": true, "userAttributes": true, "clientMetadata": true,
	"codeParameter": true, "usernameParameter": true, "linkParameter": true,
	"smsMessage": true, "emailMessage": true, "emailSubject": true,
}

// place renders a JSON pointer as a dotted path of known member names,
// with "*" for any other.
func place(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		if !knownMembers[tok] {
			tok = "*"
		}
		b.WriteString(tok)
	}
	if b.Len() == 0 {
		return "event"
	}
	return b.String()
}

// wrongType describes a value the decoder could not read into its field,
// by the JSON kind and the Go type only.
func wrongType(se *json.SemanticError) string {
	kind := "value"
	switch se.JSONKind {
	case 'n':
		kind = "null"
	case 'f', 't':
		kind = "boolean"
	case '"':
		kind = "string"
	case '0':
		kind = "number"
	case '{', '}':
		kind = "object"
	case '[', ']':
		kind = "array"
	}
	if se.GoType == nil {
		return "a JSON " + kind + " of the wrong type"
	}
	return "a JSON " + kind + " cannot be read as " + se.GoType.String()
}
