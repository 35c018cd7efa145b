package custommessage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/jsonscan"
	"github.com/cognito-triggers/suite/pkg/message"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// Outcomes of a decision (the "outcome" dimension).
const (
	// OutcomeRendered: the response carries the branded message.
	OutcomeRendered = "rendered"
	// OutcomeDefaultMessage: the event went back unchanged and Cognito sends
	// the pool's configured message.
	OutcomeDefaultMessage = "default_message"
)

// Reasons for OutcomeDefaultMessage (the "reason" dimension).
const (
	// ReasonMissingCodeParameter: the request has no codeParameter, or an
	// empty one, so there is nothing to put the code in place of.
	ReasonMissingCodeParameter = "missing_code_parameter"
	// ReasonInvalidPlaceholder: a placeholder is unsafe to insert verbatim
	// (markup, braces inside) or the usernameParameter an invitation needs is
	// missing (message.ErrPlaceholder).
	ReasonInvalidPlaceholder = "invalid_placeholder"
	// ReasonMalformedRequest: the request or its userAttributes cannot be
	// read (a duplicate or case-variant key, a value of the wrong type).
	ReasonMalformedRequest = "malformed_request"
	// ReasonRenderFailed: any other failure: a template error, an output that
	// fails message.Check, a panic.
	ReasonRenderFailed = "render_failed"
)

// Values of EMAIL_VERIFICATION_OPTION, as the pool's
// VerificationMessageTemplate.DefaultEmailOption spells them.
const (
	EmailOptionCode = "CONFIRM_WITH_CODE"
	EmailOptionLink = "CONFIRM_WITH_LINK"
)

// Renderer renders one message; *message.Renderer implements it.
type Renderer interface {
	Render(message.Input) (message.Output, error)
	// Locale resolves a user's locale attribute to a template locale.
	Locale(userLocale string) string
}

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
// invalid APP_URL is recorded on r like any other bad variable, so the cold
// start fails with one error listing every problem instead of a user's
// message failing later. The templates are checked even when another
// variable is wrong, so that one deploy attempt reports everything; the
// renderer is nil when anything recorded on r is wrong.
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

// Decider is the custom message decision.
type Decider struct {
	cfg  Config
	r    Renderer
	bufs sync.Pool // *[]byte response buffers; WithResponse copies out of them
}

// New returns a Decider rendering with r (built once, at cold start).
func New(cfg Config, r Renderer) *Decider {
	d := &Decider{cfg: cfg, r: r}
	d.bufs.New = func() any { b := make([]byte, 0, 8<<10); return &b }
	return d
}

// The request members and user attributes the decision reads.
var (
	requestFields = []string{"userAttributes", "codeParameter", "usernameParameter", "linkParameter"}
	// attributeNames: the locale, then the greeting candidates in the order
	// package message tries them. Other attributes are never read.
	attributeNames = []string{"locale", "given_name", "name", "nickname"}
)

// Metrics written on every decision line, so each series has a data point
// per invocation and a rate is a plain average.
var (
	renderedMetrics = []telemetry.Metric{{Name: "Rendered", Unit: telemetry.Count, Value: 1}, {Name: "RenderFailures", Unit: telemetry.Count, Value: 0}}
	fallbackMetrics = []telemetry.Metric{{Name: "Rendered", Unit: telemetry.Count, Value: 0}, {Name: "RenderFailures", Unit: telemetry.Count, Value: 1}}
)

// Decide implements invoke.DecideFunc. It never returns an error: see
// "Never block a message" in the package documentation.
func (d *Decider) Decide(_ context.Context, ev *triggers.Envelope) (dec invoke.Decision) {
	defer func() {
		// Last resort: a bug here must cost the branded message, not the
		// user's sign-up. The panic value may quote event data; only its
		// type is logged.
		if p := recover(); p != nil {
			dec = fallback(ev, ReasonRenderFailed, fmt.Errorf("panic of type %T", p))
		}
	}()

	var req [4][]byte
	if err := triggers.Fields(ev.Request, requestFields, req[:]); err != nil {
		return fallback(ev, ReasonMalformedRequest, err)
	}
	var attrs [4]string
	if err := triggers.Strings(req[0], attributeNames, attrs[:]); err != nil {
		return fallback(ev, ReasonMalformedRequest, fmt.Errorf("userAttributes: %w", err))
	}
	var params [3]string // codeParameter, usernameParameter, linkParameter
	for i, v := range req[1:] {
		s, err := optionalString(v)
		if err != nil {
			return fallback(ev, ReasonMalformedRequest, fmt.Errorf("%s: %w", requestFields[i+1], err))
		}
		params[i] = s
	}
	if params[0] == "" {
		return fallback(ev, ReasonMissingCodeParameter, errors.New("request has no codeParameter"))
	}

	in := message.Input{
		Source:            ev.TriggerSource,
		Locale:            d.r.Locale(attrs[0]),
		CodeParameter:     params[0],
		UsernameParameter: params[1],
		UserName:          ev.UserName,
	}
	if d.cfg.LinkVerification {
		in.LinkParameter = params[2]
	}
	for i, name := range attributeNames[1:] {
		if v := attrs[i+1]; v != "" {
			if in.Attributes == nil {
				in.Attributes = make(map[string]string, len(attributeNames)-1)
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
		reason := ReasonRenderFailed
		if errors.Is(err, message.ErrPlaceholder) {
			reason = ReasonInvalidPlaceholder
		}
		return fallback(ev, reason, err)
	}

	logAttrs := make([]slog.Attr, 2, 3)
	logAttrs[0] = slog.String("locale", in.Locale)
	logAttrs[1] = slog.Int("smsLength", utf8.RuneCountInString(out.SMSMessage))
	if d.cfg.CustomizeEmail {
		logAttrs = append(logAttrs, slog.Int("emailLength", utf8.RuneCountInString(out.EmailMessage)))
	}
	return invoke.Decision{
		Outcome:  OutcomeRendered,
		Response: d.respond(ev, &out),
		Attrs:    logAttrs,
		Metrics:  renderedMetrics,
	}
}

// respond splices the three response fields into the event. The email
// fields are null unless CustomizeEmail: null keeps the pool's own email.
func (d *Decider) respond(ev *triggers.Envelope, out *message.Output) []byte {
	bp := d.bufs.Get().(*[]byte)
	b := append((*bp)[:0], `{"smsMessage":`...)
	b = jsonscan.AppendString(b, out.SMSMessage)
	if d.cfg.CustomizeEmail {
		b = append(b, `,"emailMessage":`...)
		b = jsonscan.AppendString(b, out.EmailMessage)
		b = append(b, `,"emailSubject":`...)
		b = jsonscan.AppendString(b, out.EmailSubject)
		b = append(b, '}')
	} else {
		b = append(b, `,"emailMessage":null,"emailSubject":null}`...)
	}
	resp := ev.WithResponse(b)
	if cap(b) <= 64<<10 {
		*bp = b
		d.bufs.Put(bp)
	}
	return resp
}

// fallback returns the event as received: its response fields are null, so
// Cognito sends the message configured on the pool. cause is logged; it
// names fields and rules, never event values.
func fallback(ev *triggers.Envelope, reason string, cause error) invoke.Decision {
	return invoke.Decision{
		Outcome:  OutcomeDefaultMessage,
		Reason:   reason,
		Response: ev.Raw(),
		Attrs:    []slog.Attr{slog.String("cause", cause.Error())},
		Metrics:  fallbackMetrics,
	}
}

// optionalString reads a request member that is a string or null/absent
// (usernameParameter is null except for AdminCreateUser).
func optionalString(v []byte) (string, error) {
	if v == nil || jsonscan.IsNull(v) {
		return "", nil
	}
	if jsonscan.KindOf(v) != jsonscan.KindString {
		return "", errors.New("is not a string")
	}
	return jsonscan.String(v)
}
