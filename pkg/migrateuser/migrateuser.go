// Package migrateuser decides the user migration trigger: a user unknown
// to the pool signs in (UserMigration_Authentication) or asks for a
// password reset (UserMigration_ForgotPassword), and the legacy store
// (package legacy) says whether the user exists and the password is right.
//
// What Cognito does with the answer is the whole design:
//
//   - The event returned with its response untouched (userAttributes
//     null) makes Cognito treat the user as unknown, exactly as if the
//     trigger did not exist, and with PreventUserExistenceErrors it masks
//     that like any unknown user. An error is instead shown to the caller
//     as "UserMigration failed with error <text>", which no masking hides.
//     So every "no" (unknown user, wrong password, an address the legacy
//     store never proved, a user the sign-up gate refuses) leaves the
//     response as it came, and only infrastructure failures return an
//     error, always the same user-safe text (decision.GenericMessage):
//     anything else would tell an attacker which usernames exist. The
//     reason is in the decision line, never in the answer.
//   - The profile returned becomes the Cognito user. Only attributes on the
//     allowlist are copied, so that a legacy store cannot assign what it
//     does not own (roles, tenants, Cognito's identifiers); the
//     verification flags are set only from the legacy store's typed
//     booleans; sub and username are never returned; and
//     forceAliasCreation is never set, because it would move an email or
//     phone alias away from the pool user who holds it.
//   - For a forgotten password Cognito mails the reset code to the
//     returned address, which must be marked verified. The trigger answers
//     only when the legacy store vouches for the email or phone; otherwise
//     the user stays unknown, and no code goes to an address nobody
//     proved.
//   - Migration creates users without pre sign-up, so the sign-up gate
//     (package signupgate, the same code and configuration pre sign-up
//     uses) runs here too: a domain sign-up refuses must not arrive
//     through migration, nor a phone number whose calling code sign-up
//     refuses (the number is dropped).
//   - Cognito does not apply the pool's password policy to a migrated
//     password; MIGRATION_MIN_PASSWORD_LENGTH migrates shorter (correct)
//     passwords as RESET_REQUIRED.
//
// The plaintext password is a triggers.Password, which prints and logs as
// "REDACTED"; the decision line carries only closed-set reasons and
// counts.
package migrateuser

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/legacy"
	"github.com/cognito-triggers/suite/pkg/signupgate"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// Store is the legacy user store (package legacy: HTTP or Table).
type Store interface {
	// Authenticate verifies a password. Answer.OK false (unknown user or
	// wrong password) is a "no"; an error is a failure of the store.
	Authenticate(ctx context.Context, username string, password triggers.Password) (legacy.Answer, error)
	// Lookup finds a user without a password, for a forgotten password.
	Lookup(ctx context.Context, username string) (legacy.Answer, error)
}

// Marker is implemented by stores that record who has been migrated
// (legacy.Table).
type Marker interface {
	MarkMigrated(ctx context.Context, username string) error
}

// Gate is the sign-up gate; *signupgate.Gate implements it.
type Gate interface {
	// Admit applies the sign-up email rules to the legacy email.
	Admit(ctx context.Context, email string) signupgate.Verdict
	// Phone applies the sign-up phone rules (E.164, allowed calling
	// codes) to a legacy phone number: "" when it passes.
	Phone(phone string) decision.Reason
}

// Metric names; the template's alarms select on them.
const (
	MetricMigrated      = "Migrated"
	MetricNotMigrated   = "NotMigrated"
	MetricLegacyErrors  = "LegacyErrors"
	MetricLegacyLatency = "LegacyLatencyMs"
	// MetricMarkErrors counts failures to record migrated_at (table source).
	MetricMarkErrors = "MarkMigratedErrors"
	// MetricGateLatency is the sign-up gate's table lookup, as pre sign-up
	// reports it.
	MetricGateLatency = "TableLatencyMs"
)

// Metrics lists every metric name, for the template's cross-checks.
func Metrics() []string {
	return []string{MetricMigrated, MetricNotMigrated, MetricLegacyErrors, MetricLegacyLatency, MetricMarkErrors, MetricGateLatency}
}

// maxAttributeValue is Cognito's limit on one attribute value (2,048
// bytes); a longer legacy value would fail the whole migration.
const maxAttributeValue = 2048

// maxUsername bounds the name sent to the legacy store. Cognito usernames
// are at most 128 characters; anything far longer is not a real sign-in.
const maxUsername = 512

// Deps are what a Decider calls.
type Deps struct {
	// Store is the legacy user store (see NewStore).
	Store Store
	// Gate is the sign-up gate; nil when MIGRATION_DOMAIN_GATE=off.
	Gate Gate
	// Now is the clock for the latency metrics; nil means time.Now.
	Now func() time.Time
}

// Decider is the migration decision.
type Decider struct {
	cfg     Config
	store   Store
	gate    Gate // nil when MIGRATION_DOMAIN_GATE=off
	now     func() time.Time
	profile []string
	phone   bool // phone_number is on the allowlist
}

// New returns a Decider. deps.Gate must be set when cfg.DomainGate is, and
// is not used when it is not.
func New(cfg Config, deps Deps) (*Decider, error) {
	if deps.Store == nil {
		return nil, errors.New("migrateuser: no legacy store was given")
	}
	if cfg.DomainGate && deps.Gate == nil {
		return nil, errors.New("migrateuser: the domain gate is on but no gate was given")
	}
	d := &Decider{cfg: cfg, store: deps.Store, now: deps.Now}
	if cfg.DomainGate {
		d.gate = deps.Gate
	}
	if d.now == nil {
		d.now = time.Now
	}
	for _, a := range cfg.Attributes {
		switch {
		case a == "phone_number":
			d.phone = true
		case a == "email":
		case checkAttribute(a) != "":
			// LoadConfig refuses these; checked again so that no caller
			// can hand a reserved name to the response.
			return nil, fmt.Errorf("migrateuser: attribute %q is not allowed", a)
		default:
			d.profile = append(d.profile, a)
		}
	}
	return d, nil
}

// Decide decides one event. A migration sets ev.Response; every other
// answer leaves it as it came.
func (d *Decider) Decide(ctx context.Context, ev *triggers.MigrateUser) decision.Result {
	if ev.UserName == "" {
		return d.malformed(errors.New("no userName"))
	}
	switch ev.TriggerSource {
	case triggers.SourceMigrateAuthentication:
		return d.authenticate(ctx, ev)
	case triggers.SourceMigrateForgotPassword:
		// A password, if any, is ignored: a reset proves nothing about it.
		return d.forgot(ctx, ev)
	default:
		return d.malformed(fmt.Errorf("unexpected source %s", ev.TriggerSource))
	}
}

// outcome collects the facts and metrics of one decision as it goes.
type outcome struct {
	facts   []decision.Fact
	metrics []decision.Metric
}

func (o *outcome) fact(f decision.Fact)     { o.facts = append(o.facts, f) }
func (o *outcome) metric(m decision.Metric) { o.metrics = append(o.metrics, m) }

// legacy records the time spent in the legacy store.
func (o *outcome) legacy(lat time.Duration) { o.metric(decision.Latency(MetricLegacyLatency, lat)) }

// scheme records the hash scheme of a table record, when known.
func (o *outcome) scheme(ans legacy.Answer) {
	if ans.Scheme != "" {
		o.fact(decision.String("hashScheme", string(ans.Scheme)))
	}
}

func (d *Decider) authenticate(ctx context.Context, ev *triggers.MigrateUser) decision.Result {
	var o outcome
	password := ev.Request.Password
	if password == "" {
		// Cognito never sends an empty password; nothing can verify one.
		return d.notMigrated(&o, decision.ReasonNoPassword)
	}
	if len(ev.UserName) > maxUsername {
		return d.notMigrated(&o, decision.ReasonInvalidCredentials)
	}
	start := d.now()
	ans, err := d.store.Authenticate(ctx, ev.UserName, password)
	o.legacy(d.now().Sub(start))
	if err != nil {
		return d.failed(ctx, &o, err)
	}
	o.scheme(ans)
	if !ans.OK {
		return d.notMigrated(&o, ans.Note)
	}
	status := triggers.StatusConfirmed
	if d.cfg.MinPasswordLength > 0 && utf8.RuneCountInString(string(password)) < d.cfg.MinPasswordLength {
		// Right password, too short for the pool's policy, which Cognito
		// does not apply to migrated passwords: the user must choose a
		// new one before the first sign-in completes.
		status = triggers.StatusResetRequired
		o.fact(decision.Bool("belowMinimumLength", true))
	}
	return d.migrate(ctx, ev, &o, ans.User, status, false)
}

func (d *Decider) forgot(ctx context.Context, ev *triggers.MigrateUser) decision.Result {
	var o outcome
	if len(ev.UserName) > maxUsername {
		return d.notMigrated(&o, decision.ReasonNotFound)
	}
	start := d.now()
	ans, err := d.store.Lookup(ctx, ev.UserName)
	o.legacy(d.now().Sub(start))
	if err != nil {
		return d.failed(ctx, &o, err)
	}
	if !ans.OK {
		return d.notMigrated(&o, ans.Note)
	}
	return d.migrate(ctx, ev, &o, ans.User, triggers.StatusResetRequired, true)
}

// migrate checks the verified legacy user against the pool's rules and
// answers with the profile.
func (d *Decider) migrate(ctx context.Context, ev *triggers.MigrateUser, o *outcome, u legacy.User, status string, forgot bool) decision.Result {
	// The same strict checks as a sign-up: Cognito stores and mails the
	// raw string, so a legacy address that would need normalising is
	// refused, not repaired.
	if u.Email != "" {
		if _, err := emailgate.Parse(u.Email); err != nil {
			o.fact(decision.String("emailReason", string(emailgate.ReasonOf(err))))
			return d.notMigrated(o, decision.ReasonInvalidLegacyEmail)
		}
	}
	phone := ""
	if d.phone && u.PhoneNumber != "" {
		if d.phoneRule(u.PhoneNumber) == "" {
			phone = u.PhoneNumber
		} else {
			// Cognito refuses a phone_number that is not E.164 and would
			// fail the whole migration, and a calling code sign-up refuses
			// must not arrive through migration either: the user migrates
			// without the number.
			o.fact(decision.Bool("phoneDropped", true))
		}
	}
	if forgot {
		emailOK := u.Email != "" && u.EmailVerified
		phoneOK := phone != "" && u.PhoneNumberVerified
		if !emailOK && !phoneOK {
			return d.notMigrated(o, decision.ReasonNotVouched)
		}
	}
	if d.gate != nil {
		v := d.gate.Admit(ctx, u.Email)
		if v.TableLatency > 0 {
			o.metric(decision.Latency(MetricGateLatency, v.TableLatency))
		}
		switch {
		case v.Admitted():
			o.fact(decision.String("gateRule", v.Rule))
		case v.Failed():
			// The gate could not decide: an infrastructure failure, not a
			// refusal, and like pre sign-up it fails closed. Its table is
			// the suite's claims table, not the legacy store, so the
			// reason stays a table_* one and LegacyErrors stays 0.
			o.fact(decision.String("dependency", "claims_table"))
			return d.result(o, decision.Result{
				Outcome: decision.OutcomeError, Reason: v.Reason,
				Err: decision.Refuse(decision.GenericMessage, v.Reason, fmt.Errorf("domain gate: %w", v.Cause)),
			})
		default:
			o.fact(decision.String("gateReason", string(v.Reason)))
			return d.notMigrated(o, decision.ReasonGateRefused)
		}
	}

	out := triggers.Attributes{}
	if u.Email != "" {
		out["email"] = u.Email
		if u.EmailVerified {
			out["email_verified"] = "true"
		}
	}
	if phone != "" {
		out["phone_number"] = phone
		if u.PhoneNumberVerified {
			out["phone_number_verified"] = "true"
		}
	}
	dropped := 0
	for _, name := range d.profile {
		v := u.Attributes[name]
		switch {
		case v == "":
		case len(v) > maxAttributeValue:
			dropped++
		default:
			out[name] = v
		}
	}
	if dropped > 0 {
		o.fact(decision.Int("attributesDropped", dropped))
	}
	// The whole response is replaced: nothing that arrived in it (an
	// alias takeover, attributes of its own) is sent back.
	ev.Response = triggers.MigrateUserResponse{
		UserAttributes:  out,
		FinalUserStatus: status,
		MessageAction:   triggers.MessageSuppress,
	}
	o.fact(decision.String("finalUserStatus", status))
	o.fact(decision.Int("attributes", len(out)))
	if m, ok := d.store.(Marker); ok {
		// The user is verified and Cognito is about to create them: a
		// failure to record that is the operators' bookkeeping, not a
		// reason to fail a correct sign-in. Logged and counted instead.
		err := m.MarkMigrated(ctx, u.Username)
		if err != nil {
			o.fact(decision.String("markError", err.Error()))
		}
		o.metric(decision.Counter(MetricMarkErrors, err != nil))
	}
	return d.result(o, decision.Result{Outcome: decision.OutcomeMigrated})
}

// phoneRule is the gate's verdict on a legacy phone number; without a gate
// the number must still be E.164, which Cognito requires.
func (d *Decider) phoneRule(phone string) decision.Reason {
	if d.gate != nil {
		return d.gate.Phone(phone)
	}
	if !signupgate.ValidE164(phone) {
		return decision.ReasonPhoneInvalid
	}
	return ""
}

// notMigrated answers as Cognito's "no such user": the response is left
// as it came.
func (d *Decider) notMigrated(o *outcome, reason decision.Reason) decision.Result {
	if reason == "" {
		reason = decision.ReasonInvalidCredentials
	}
	return d.result(o, decision.Result{Outcome: decision.OutcomeNotMigrated, Reason: reason})
}

// failed answers a legacy store failure with the generic error.
func (d *Decider) failed(ctx context.Context, o *outcome, err error) decision.Result {
	reason := legacy.ReasonOf(ctx, err)
	o.fact(decision.String("dependency", "legacy_store"))
	return d.result(o, decision.Result{
		Outcome: decision.OutcomeError, Reason: reason,
		Err: decision.Refuse(decision.GenericMessage, reason, err),
	})
}

// malformed refuses an event Cognito would not send.
func (d *Decider) malformed(err error) decision.Result {
	return d.result(&outcome{}, decision.Refusal(decision.OutcomeError, decision.ReasonMalformedEvent, decision.MalformedMessage, err))
}

// result completes res with the facts and metrics collected and the three
// counters every decision carries, 0 or 1, so that each metric has a data
// point per invocation (alarms on ratios need the zeros). LegacyErrors
// counts the failures of the legacy store and its secret, whatever path
// they took; the gate's claims table is another dependency.
func (d *Decider) result(o *outcome, res decision.Result) decision.Result {
	dep := res.Reason.Of()
	res.Metrics = make([]decision.Metric, 0, 3+len(o.metrics))
	res.Metrics = append(res.Metrics,
		decision.Counter(MetricMigrated, res.Outcome == decision.OutcomeMigrated),
		decision.Counter(MetricNotMigrated, res.Outcome == decision.OutcomeNotMigrated),
		decision.Counter(MetricLegacyErrors, res.Outcome == decision.OutcomeError && (dep == decision.Legacy || dep == decision.Secret)),
	)
	res.Metrics = append(res.Metrics, o.metrics...)
	res.Facts = append(o.facts, decision.String("legacySource", d.cfg.Source))
	return res
}
