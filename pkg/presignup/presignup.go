// Package presignup decides whether a sign-up may go ahead: the domain gate
// behind the pre sign-up trigger.
//
// Cognito stores and mails the raw email string and a pre sign-up response
// cannot rewrite attributes, so the gate refuses anything it would have to
// normalise (see package emailgate). It reads only the email (and phone
// number) attributes: never validationData, clientMetadata or custom
// attributes, which whoever calls SignUp controls (threat model A1, A6).
//
// All three sources are gated. PreSignUp_AdminCreateUser is gated too: an
// administrator's typo or a compromised admin credential must not create a
// user outside the allowed domains. PreSignUp_ExternalProvider is gated on
// the email the identity provider asserted.
//
// The response never sets autoConfirmUser, autoVerifyEmail or
// autoVerifyPhone. Auto-verifying an email moves an existing alias to the
// new user (threat model A2), and auto-confirming skips the only proof that
// the person signing up controls the mailbox; a domain allowlist proves
// neither. Users confirm with the code Cognito mails them.
package presignup

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/cognito-triggers/suite/pkg/budget"
	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// RefusalMessage is the one text every refused sign-up shows. It names no
// rule: which rule fired is in the log, not in the attacker's hands.
const RefusalMessage = "Sign-up is not available for this email address."

// DomainStore looks up domain#<domain> records in the trusted table.
type DomainStore interface {
	Domain(ctx context.Context, domain string) (trustedtable.DomainRecord, bool, error)
}

// Config is the pre sign-up configuration.
type Config struct {
	Allowlist    emailgate.Allowlist // ALLOWED_EMAIL_DOMAINS
	Table        string              // CLAIMS_TABLE; empty: no table lookups
	TableTimeout time.Duration       // TABLE_TIMEOUT_MS
	// PhoneCountryCodes, when set, admits a phone_number only with one of
	// these calling codes ("+1", "+44"): the SMS-pumping lever at sign-up
	// (threat model A9). E.164 country codes form a prefix code, so a
	// prefix match is exact.
	PhoneCountryCodes []string // ALLOWED_PHONE_COUNTRY_CODES
}

// LoadConfig reads the configuration; problems are recorded on r.
func LoadConfig(r *envconfig.Reader) Config {
	var c Config
	if list := r.String("ALLOWED_EMAIL_DOMAINS", ""); list != "" {
		al, err := emailgate.ParseAllowlist(list)
		if err != nil {
			r.Fail("ALLOWED_EMAIL_DOMAINS", "%v", err)
		}
		c.Allowlist = al
	}
	c.Table = r.String("CLAIMS_TABLE", "")
	c.TableTimeout = r.Millis("TABLE_TIMEOUT_MS", 1500*time.Millisecond, 50*time.Millisecond, 4*time.Second)
	for _, code := range r.List("ALLOWED_PHONE_COUNTRY_CODES") {
		if !validCallingCode(code) {
			r.Fail("ALLOWED_PHONE_COUNTRY_CODES", "%q is not a calling code such as +1 or +44", code)
			continue
		}
		c.PhoneCountryCodes = append(c.PhoneCountryCodes, code)
	}
	return c
}

// validCallingCode accepts "+" and one to three digits, the first not zero.
func validCallingCode(s string) bool { return plusDigits(s, 1, 3) }

// Decider is the pre sign-up decision.
type Decider struct {
	cfg     Config
	domains DomainStore // nil when no table is configured
}

// New returns a Decider; domains may be nil when cfg.Table is empty. When
// neither an allowlist nor a table is configured every sign-up is refused,
// and the returned warning says why so main can log it at cold start.
func New(cfg Config, domains DomainStore) (d *Decider, warning string) {
	if cfg.Allowlist.Empty() && domains == nil {
		warning = "neither ALLOWED_EMAIL_DOMAINS nor CLAIMS_TABLE is configured: every sign-up will be refused"
	}
	return &Decider{cfg: cfg, domains: domains}, warning
}

// response is what every allowed sign-up answers: all three flags false,
// written explicitly rather than echoed, so nothing in the incoming event
// can switch one on.
var response = []byte(`{"autoConfirmUser":false,"autoVerifyEmail":false,"autoVerifyPhone":false}`)

var attrNames = []string{"email", "phone_number"}

// Decide implements invoke.DecideFunc.
func (d *Decider) Decide(ctx context.Context, ev *triggers.Envelope) invoke.Decision {
	var req [1][]byte
	if err := triggers.Fields(ev.Request, []string{"userAttributes"}, req[:]); err != nil {
		return refuse("malformed_event", err)
	}
	var attrs [2]string
	if err := triggers.Strings(req[0], attrNames, attrs[:]); err != nil {
		return refuse("malformed_event", err)
	}
	email, phone := attrs[0], attrs[1]
	if phone != "" && !ValidE164(phone) {
		return refuse("phone_invalid", errors.New("phone_number is not strict E.164"))
	}
	if phone != "" && !d.phoneCountryAllowed(phone) {
		return refuse("phone_country_not_allowed", errors.New("phone_number's calling code is not in ALLOWED_PHONE_COUNTRY_CODES"))
	}
	v := d.Admit(ctx, email)
	var metrics []telemetry.Metric
	if v.TableLatency > 0 {
		metrics = append(metrics, telemetry.Metric{Name: "TableLatencyMs", Unit: telemetry.Milliseconds, Value: float64(v.TableLatency.Microseconds()) / 1000})
	}
	if v.Reason != "" {
		dec := refuse(v.Reason, v.Cause)
		dec.Metrics = metrics
		return dec
	}
	return invoke.Decision{
		Outcome:  "allowed",
		Response: ev.WithResponse(response),
		Attrs:    []slog.Attr{slog.String("rule", v.Rule)},
		Metrics:  metrics,
	}
}

// Verdict is the gate's answer for one address.
type Verdict struct {
	Rule         string        // "allowlist" or "table" when admitted
	Reason       string        // closed-set refusal reason, "" when admitted
	Cause        error         // detail for the log
	TableLatency time.Duration // time spent on the table lookup, 0 if none
}

// Admit applies the domain gate to an email address: strict parsing, then
// the allowlist, then the domain#<domain> record. User migration calls it
// too, so that a migrated user passes exactly the gate a new sign-up does
// (threat model A12: migration must not bypass the sign-up gate). A table
// failure refuses (fail closed).
func (d *Decider) Admit(ctx context.Context, email string) Verdict {
	if email == "" {
		return Verdict{Reason: "missing_email", Cause: errors.New("no email attribute")}
	}
	addr, err := emailgate.Parse(email)
	if err != nil {
		return Verdict{Reason: gateReason(err), Cause: err}
	}
	if d.cfg.Allowlist.Match(addr.Domain) {
		return Verdict{Rule: "allowlist"}
	}
	if d.domains == nil {
		return Verdict{Reason: "domain_not_allowed", Cause: errors.New("domain not on the allowlist and no table configured")}
	}
	lctx, cancel := budget.For(ctx, d.cfg.TableTimeout)
	defer cancel()
	start := time.Now()
	_, found, err := d.domains.Domain(lctx, addr.Domain)
	latency := time.Since(start)
	switch {
	case err != nil && lctx.Err() != nil:
		return Verdict{Reason: "table_timeout", Cause: err, TableLatency: latency}
	case err != nil:
		return Verdict{Reason: "table_error", Cause: err, TableLatency: latency}
	case !found:
		return Verdict{Reason: "domain_not_allowed", Cause: errors.New("no allowlist entry and no domain record"), TableLatency: latency}
	}
	return Verdict{Rule: "table", TableLatency: latency}
}

// PhoneAllowed reports whether a phone number passes the sign-up phone
// rules: strict E.164 and an allowed calling code. User migration applies
// it to legacy phone numbers, so both pathways admit the same numbers.
func (d *Decider) PhoneAllowed(phone string) bool {
	return ValidE164(phone) && d.phoneCountryAllowed(phone)
}

// phoneCountryAllowed reports whether an E.164 number carries an allowed
// calling code; with no list configured every code is allowed.
func (d *Decider) phoneCountryAllowed(phone string) bool {
	if len(d.cfg.PhoneCountryCodes) == 0 {
		return true
	}
	for _, code := range d.cfg.PhoneCountryCodes {
		if strings.HasPrefix(phone, code) {
			return true
		}
	}
	return false
}

func refuse(reason string, cause error) invoke.Decision {
	return invoke.Decision{Outcome: "refused", Reason: reason, Err: triggers.Refuse(RefusalMessage, reason, cause)}
}

// gateReason turns an emailgate refusal into a metric reason.
func gateReason(err error) string {
	if r := emailgate.ReasonOf(err); r != "" {
		return "email_" + string(r)
	}
	return "email_invalid"
}

// ValidE164 accepts "+" and 7 to 15 digits, the first not zero. Cognito
// itself accepts looser forms; refusing them at sign-up keeps SMS pumping
// (threat model A9) and look-alike numbers out.
func ValidE164(s string) bool { return plusDigits(s, 7, 15) }

// plusDigits reports whether s is "+" and min to max digits, the first not
// zero.
func plusDigits(s string, min, max int) bool {
	if len(s) < 1+min || len(s) > 1+max || s[0] != '+' || s[1] < '1' || s[1] > '9' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
