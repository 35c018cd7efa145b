// Package signupgate is the sign-up gate that pre sign-up and user
// migration share: which email addresses and phone numbers may become
// users of the pool. Migration creates users without pre sign-up, so it
// must pass a migrated user through exactly the gate a new sign-up
// passes; one package, used by both, keeps the two from drifting apart.
//
// An email is admitted when it parses under the strict rules of package
// emailgate (anything that would need normalising is refused, because
// Cognito stores and mails the raw string) and its domain is on the
// allowlist (ALLOWED_EMAIL_DOMAINS) or has a domain#<domain> record in the
// trusted table (CLAIMS_TABLE). A table failure refuses: the gate fails
// closed. A phone number must be strict E.164 and, when
// ALLOWED_PHONE_COUNTRY_CODES is set, carry one of those calling codes,
// the sign-up lever against SMS pumping to premium ranges.
package signupgate

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/cognito-triggers/suite/pkg/budget"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// DomainStore looks up domain#<domain> records in the trusted table;
// *trustedtable.Table implements it.
type DomainStore interface {
	Domain(ctx context.Context, domain string) (trustedtable.DomainRecord, bool, error)
}

// Config is the gate's configuration.
type Config struct {
	Allowlist    emailgate.Allowlist // ALLOWED_EMAIL_DOMAINS
	Table        string              // CLAIMS_TABLE; empty: no table lookups
	TableTimeout time.Duration       // TABLE_TIMEOUT_MS
	// PhoneCountryCodes, when set, admits a phone_number only with one of
	// these calling codes ("+1", "+44"). E.164 country codes form a prefix
	// code, so a prefix match is exact.
	PhoneCountryCodes []string // ALLOWED_PHONE_COUNTRY_CODES
}

// DefaultTableTimeout is TABLE_TIMEOUT_MS when unset.
const DefaultTableTimeout = 1500 * time.Millisecond

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
	c.TableTimeout = r.Millis("TABLE_TIMEOUT_MS", DefaultTableTimeout, 50*time.Millisecond, 4*time.Second)
	for _, code := range r.List("ALLOWED_PHONE_COUNTRY_CODES") {
		if !validCallingCode(code) {
			r.Fail("ALLOWED_PHONE_COUNTRY_CODES", "%q is not a calling code such as +1 or +44", code)
			continue
		}
		c.PhoneCountryCodes = append(c.PhoneCountryCodes, code)
	}
	return c
}

// Deps are what the gate calls.
type Deps struct {
	// Domains reads domain# records; nil when Config.Table is empty.
	Domains DomainStore
}

// Gate is the sign-up gate. It is safe for concurrent use.
type Gate struct {
	cfg     Config
	domains DomainStore
}

// New returns a Gate. It refuses a table name without a store to read it
// and calling codes that LoadConfig would have refused.
func New(cfg Config, deps Deps) (*Gate, error) {
	if cfg.Table != "" && deps.Domains == nil {
		return nil, errors.New("signupgate: CLAIMS_TABLE is set but no domain store was given")
	}
	for _, code := range cfg.PhoneCountryCodes {
		if !validCallingCode(code) {
			return nil, errors.New("signupgate: a phone calling code is not + and 1 to 3 digits")
		}
	}
	if cfg.TableTimeout <= 0 {
		cfg.TableTimeout = DefaultTableTimeout
	}
	return &Gate{cfg: cfg, domains: deps.Domains}, nil
}

// AdmitsNothing reports whether the gate has neither an allowlist nor a
// table, so that every address is refused; a main logs it at cold start.
func (g *Gate) AdmitsNothing() bool { return g.cfg.Allowlist.Empty() && g.domains == nil }

// Verdict is the gate's answer for one address.
type Verdict struct {
	Rule         string          // "allowlist" or "table" when admitted
	Reason       decision.Reason // "" when admitted
	Cause        error           // detail for the log
	TableLatency time.Duration   // time spent on the table lookup, 0 if none
}

// Admitted reports whether the address passed.
func (v Verdict) Admitted() bool { return v.Reason == "" }

// Failed reports whether the gate could not decide because the table
// failed: an infrastructure failure, not a refusal.
func (v Verdict) Failed() bool { return v.Reason.Of() == decision.Table }

// Admit applies the gate to an email address: strict parsing, then the
// allowlist, then the domain#<domain> record.
func (g *Gate) Admit(ctx context.Context, email string) Verdict {
	if email == "" {
		return Verdict{Reason: decision.ReasonMissingEmail, Cause: errors.New("no email attribute")}
	}
	addr, err := emailgate.Parse(email)
	if err != nil {
		return Verdict{Reason: decision.EmailReason(string(emailgate.ReasonOf(err))), Cause: err}
	}
	if g.cfg.Allowlist.Match(addr.Domain) {
		return Verdict{Rule: "allowlist"}
	}
	if g.domains == nil {
		return Verdict{Reason: decision.ReasonDomainNotAllowed, Cause: errors.New("domain not on the allowlist and no table configured")}
	}
	lctx, cancel := budget.For(ctx, g.cfg.TableTimeout)
	defer cancel()
	start := time.Now()
	_, found, err := g.domains.Domain(lctx, addr.Domain)
	latency := time.Since(start)
	switch {
	case err != nil:
		return Verdict{Reason: decision.Table.Failed(lctx, err), Cause: err, TableLatency: latency}
	case !found:
		return Verdict{Reason: decision.ReasonDomainNotAllowed, Cause: errors.New("no allowlist entry and no domain record"), TableLatency: latency}
	}
	return Verdict{Rule: "table", TableLatency: latency}
}

// Phone checks a phone number against the gate's phone rules: "" when it
// passes, otherwise the reason it does not.
func (g *Gate) Phone(phone string) decision.Reason {
	switch {
	case !ValidE164(phone):
		return decision.ReasonPhoneInvalid
	case !g.phoneCountryAllowed(phone):
		return decision.ReasonPhoneCountryDenied
	}
	return ""
}

// phoneCountryAllowed reports whether an E.164 number carries an allowed
// calling code; with no list configured every code is allowed.
func (g *Gate) phoneCountryAllowed(phone string) bool {
	if len(g.cfg.PhoneCountryCodes) == 0 {
		return true
	}
	for _, code := range g.cfg.PhoneCountryCodes {
		if strings.HasPrefix(phone, code) {
			return true
		}
	}
	return false
}

// ValidE164 accepts "+" and 7 to 15 digits, the first not zero. Cognito
// itself accepts looser forms; refusing them keeps SMS pumping and
// look-alike numbers out.
func ValidE164(s string) bool { return plusDigits(s, 7, 15) }

// validCallingCode accepts "+" and one to three digits, the first not zero.
func validCallingCode(s string) bool { return plusDigits(s, 1, 3) }

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
