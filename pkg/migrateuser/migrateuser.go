// Package migrateuser decides the user migration trigger: a user unknown
// to the pool signs in (UserMigration_Authentication) or asks for a
// password reset (UserMigration_ForgotPassword), and the legacy store
// (package legacy) says whether the user exists and the password is right.
//
// What Cognito does with the answer is the whole design:
//
//   - The event returned unchanged (response.userAttributes null) makes
//     Cognito treat the user as unknown, exactly as if the trigger did not
//     exist, and with PreventUserExistenceErrors it masks that like any
//     unknown user. An error is instead shown to the caller as
//     "UserMigration failed with error <text>", which no masking hides.
//     So every "no" (unknown user, wrong password, an address the legacy
//     store never proved, a user the sign-up gate refuses) returns the
//     input bytes untouched, and only infrastructure failures return an
//     error, always the same user-safe text (threat model A5, ASVS 5.0
//     6.3.8). The reason is in the decision line, never in the answer.
//   - The profile returned becomes the Cognito user. Only attributes on the
//     allowlist are copied (A12.6 mass assignment), the verification flags
//     are set only from the legacy store's typed booleans, sub and username
//     are never returned, and forceAliasCreation is never set: it would
//     move an email or phone alias away from the user who holds it (A12.3).
//   - For a forgotten password Cognito mails the reset code to the
//     returned address, which must be marked verified. The trigger answers
//     only when the legacy store vouches for the email or phone (A12.4);
//     otherwise the user stays unknown.
//   - Migration creates users without pre sign-up, so the sign-up domain
//     gate (presignup.Decider.Admit) runs here too (A12.5, ASVS 5.0 6.1.3).
//   - Cognito does not apply the pool's password policy to a migrated
//     password; MIGRATION_MIN_PASSWORD_LENGTH migrates shorter (correct)
//     passwords as RESET_REQUIRED (A12.2).
//
// The plaintext password is read from the raw request with jsonscan, kept
// as []byte, and never logged; the decision line carries only closed-set
// reasons and counts.
package migrateuser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/jsonscan"
	"github.com/cognito-triggers/suite/pkg/legacy"
	"github.com/cognito-triggers/suite/pkg/presignup"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// Store is the legacy user store (package legacy: HTTP or Table).
type Store interface {
	// Authenticate verifies a password. Answer.OK false (unknown user or
	// wrong password) is a "no"; an error is a failure of the store.
	Authenticate(ctx context.Context, username string, password []byte) (legacy.Answer, error)
	// Lookup finds a user without a password, for a forgotten password.
	Lookup(ctx context.Context, username string) (legacy.Answer, error)
}

// Marker is implemented by stores that record who has been migrated
// (legacy.Table).
type Marker interface {
	MarkMigrated(ctx context.Context, username string) error
}

// Gate is the sign-up domain gate; *presignup.Decider implements it.
type Gate interface {
	Admit(ctx context.Context, email string) presignup.Verdict
	// PhoneAllowed applies the sign-up phone rules (E.164, allowed
	// calling codes) to a legacy phone number.
	PhoneAllowed(phone string) bool
}

// Outcomes of the decision line.
const (
	OutcomeMigrated    = "migrated"
	OutcomeNotMigrated = "not_migrated"
	OutcomeError       = "error"
)

// Reasons for not_migrated, beyond the legacy.Note* values the store
// reports. They are logged, never answered.
const (
	ReasonNotVouched   = "not_vouched"          // forgot password: no verified email or phone to send the code to
	ReasonGateRefused  = "gate_refused"         // the sign-up domain gate refused the legacy email
	ReasonInvalidEmail = "invalid_legacy_email" // the legacy email fails the strict email checks
	ReasonNoPassword   = "no_password"          // authentication event without a password
)

// Metric names; the template's alarms select on them.
const (
	MetricMigrated      = "Migrated"
	MetricNotMigrated   = "NotMigrated"
	MetricLegacyErrors  = "LegacyErrors"
	MetricLegacyLatency = "LegacyLatencyMs"
	// MetricMarkErrors counts failures to record migrated_at (table source).
	MetricMarkErrors = "MarkMigratedErrors"
	// MetricGateLatency is the domain gate's table lookup, as pre sign-up
	// reports it.
	MetricGateLatency = "TableLatencyMs"
)

// maxAttributeValue is Cognito's limit on one attribute value (2,048
// bytes); a longer legacy value would fail the whole migration.
const maxAttributeValue = 2048

// maxUsername bounds the name sent to the legacy store. Cognito usernames
// are at most 128 characters; anything far longer is not a real sign-in.
const maxUsername = 512

// Decider is the migration decision.
type Decider struct {
	cfg     Config
	store   Store
	gate    Gate // nil when MIGRATION_DOMAIN_GATE=off
	profile []string
	phone   bool // phone_number is on the allowlist
}

// New returns a Decider. gate must be non-nil when cfg.DomainGate is set.
func New(cfg Config, store Store, gate Gate) (*Decider, error) {
	if cfg.DomainGate && gate == nil {
		return nil, errors.New("the domain gate is on but no gate was given")
	}
	if !cfg.DomainGate {
		gate = nil
	}
	d := &Decider{cfg: cfg, store: store, gate: gate}
	for _, a := range cfg.Attributes {
		switch {
		case a == "phone_number":
			d.phone = true
		case a == "email":
		case checkAttribute(a) != "":
			// LoadConfig refuses these; checked again so that no caller
			// can hand a reserved name to the response.
			return nil, fmt.Errorf("attribute %q is not allowed", a)
		default:
			d.profile = append(d.profile, a)
		}
	}
	return d, nil
}

var passwordField = []string{"password"}

// Decide implements invoke.DecideFunc.
func (d *Decider) Decide(ctx context.Context, ev *triggers.Envelope) invoke.Decision {
	username := ev.UserName
	if username == "" {
		return d.malformed(errors.New("no userName"))
	}
	var req [1][]byte
	if err := triggers.Fields(ev.Request, passwordField, req[:]); err != nil {
		return d.malformed(err)
	}
	switch ev.TriggerSource {
	case triggers.SourceMigrateAuthentication:
		var password []byte
		if v := req[0]; v != nil && !jsonscan.IsNull(v) {
			pw, err := jsonscan.StringBytes(v)
			if err != nil {
				return d.malformed(errors.New("request.password is not a string"))
			}
			password = pw
		}
		return d.authenticate(ctx, ev, username, password)
	case triggers.SourceMigrateForgotPassword:
		// A password, if any, is ignored: a reset proves nothing about it.
		return d.forgot(ctx, ev, username)
	default:
		return d.malformed(fmt.Errorf("unexpected source %s", ev.TriggerSource))
	}
}

func (d *Decider) authenticate(ctx context.Context, ev *triggers.Envelope, username string, password []byte) invoke.Decision {
	if len(password) == 0 {
		// Cognito never sends an empty password; nothing can verify one.
		return d.notMigrated(ev, ReasonNoPassword, nil)
	}
	if len(username) > maxUsername {
		return d.notMigrated(ev, legacy.NoteInvalid, nil)
	}
	start := time.Now()
	ans, err := d.store.Authenticate(ctx, username, password)
	lat := time.Since(start)
	if err != nil {
		return d.failed(err, lat)
	}
	if !ans.OK {
		dec := d.notMigrated(ev, ans.Note, schemeAttr(ans, nil))
		dec.Metrics = append(dec.Metrics, latency(lat))
		return dec
	}
	status := triggers.StatusConfirmed
	var attrs []slog.Attr
	if d.cfg.MinPasswordLength > 0 && utf8.RuneCount(password) < d.cfg.MinPasswordLength {
		// Right password, too short for the pool's policy, which Cognito
		// does not apply to migrated passwords: the user must choose a
		// new one before the first sign-in completes.
		status = triggers.StatusResetRequired
		attrs = append(attrs, slog.Bool("belowMinimumLength", true))
	}
	return d.migrate(ctx, ev, ans, status, false, lat, schemeAttr(ans, attrs))
}

func (d *Decider) forgot(ctx context.Context, ev *triggers.Envelope, username string) invoke.Decision {
	if len(username) > maxUsername {
		return d.notMigrated(ev, legacy.NoteNotFound, nil)
	}
	start := time.Now()
	ans, err := d.store.Lookup(ctx, username)
	lat := time.Since(start)
	if err != nil {
		return d.failed(err, lat)
	}
	if !ans.OK {
		dec := d.notMigrated(ev, ans.Note, nil)
		dec.Metrics = append(dec.Metrics, latency(lat))
		return dec
	}
	return d.migrate(ctx, ev, ans, triggers.StatusResetRequired, true, lat, nil)
}

// migrate checks the verified legacy user against the pool's rules and
// answers with the profile.
func (d *Decider) migrate(ctx context.Context, ev *triggers.Envelope, ans legacy.Answer, status string, forgot bool, lat time.Duration, attrs []slog.Attr) invoke.Decision {
	u := ans.User
	metrics := []telemetry.Metric{latency(lat)}
	no := func(reason string, extra ...slog.Attr) invoke.Decision {
		dec := d.notMigrated(ev, reason, append(attrs, extra...))
		dec.Metrics = append(dec.Metrics, metrics...)
		return dec
	}
	// The same strict checks as a sign-up (pre sign-up's emailgate):
	// Cognito stores and mails the raw string, so a legacy address that
	// would need normalising is refused, not repaired.
	if u.Email != "" {
		if _, err := emailgate.Parse(u.Email); err != nil {
			return no(ReasonInvalidEmail, slog.String("emailReason", string(emailgate.ReasonOf(err))))
		}
	}
	phone := ""
	if d.phone && u.PhoneNumber != "" {
		if presignup.ValidE164(u.PhoneNumber) && (d.gate == nil || d.gate.PhoneAllowed(u.PhoneNumber)) {
			phone = u.PhoneNumber
		} else {
			// Cognito refuses a phone_number that is not E.164 and would
			// fail the whole migration, and a calling code sign-up refuses
			// must not arrive through migration either: the user migrates
			// without the number.
			attrs = append(attrs, slog.Bool("phoneDropped", true))
		}
	}
	if forgot {
		emailOK := u.Email != "" && u.EmailVerified
		phoneOK := phone != "" && u.PhoneNumberVerified
		if !emailOK && !phoneOK {
			return no(ReasonNotVouched)
		}
	}
	if d.gate != nil {
		v := d.gate.Admit(ctx, u.Email)
		if v.TableLatency > 0 {
			metrics = append(metrics, telemetry.Metric{Name: MetricGateLatency, Unit: telemetry.Milliseconds, Value: ms(v.TableLatency)})
		}
		switch v.Reason {
		case "":
			attrs = append(attrs, slog.String("gateRule", v.Rule))
		case "table_error", "table_timeout":
			// The gate could not decide: an infrastructure failure, not a
			// refusal, and like pre sign-up it fails closed.
			dec := d.decision(OutcomeError, v.Reason, nil, metrics, append(attrs, slog.String("dependency", "claims_table"))...)
			dec.Err = triggers.Refuse(triggers.GenericMessage, v.Reason, fmt.Errorf("domain gate: %w", v.Cause))
			return dec
		default:
			return no(ReasonGateRefused, slog.String("gateReason", v.Reason))
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
		attrs = append(attrs, slog.Int("attributesDropped", dropped))
	}
	resp, err := json.Marshal(triggers.MigrateUserResponse{
		UserAttributes:  out,
		FinalUserStatus: status,
		MessageAction:   triggers.MessageSuppress,
	})
	if err != nil {
		dec := d.decision(OutcomeError, "internal_error", nil, metrics)
		dec.Err = triggers.Refuse(triggers.GenericMessage, "internal_error", fmt.Errorf("encode response: %w", err))
		return dec
	}
	attrs = append(attrs, slog.String("finalUserStatus", status), slog.Int("attributes", len(out)))
	if m, ok := d.store.(Marker); ok {
		// The user is verified and Cognito is about to create them: a
		// failure to record that is the operators' bookkeeping, not a
		// reason to fail a correct sign-in. Logged and counted instead.
		var markErrs float64
		if err := m.MarkMigrated(ctx, u.Username); err != nil {
			markErrs = 1
			attrs = append(attrs, slog.String("markError", err.Error()))
		}
		metrics = append(metrics, telemetry.Metric{Name: MetricMarkErrors, Unit: telemetry.Count, Value: markErrs})
	}
	return d.decision(OutcomeMigrated, "", ev.WithResponse(resp), metrics, attrs...)
}

// notMigrated answers as Cognito's "no such user": the event exactly as
// received.
func (d *Decider) notMigrated(ev *triggers.Envelope, reason string, attrs []slog.Attr) invoke.Decision {
	if reason == "" {
		reason = legacy.NoteInvalid
	}
	return d.decision(OutcomeNotMigrated, reason, ev.Raw(), nil, attrs...)
}

// failed answers a legacy store failure with the generic error.
func (d *Decider) failed(err error, lat time.Duration) invoke.Decision {
	reason := legacy.ReasonOf(err)
	dec := d.decisionOf(OutcomeError, reason, true, nil, []telemetry.Metric{latency(lat)}, slog.String("dependency", "legacy_store"))
	dec.Err = triggers.Refuse(triggers.GenericMessage, reason, err)
	return dec
}

// decision fills in the three counters every decision carries, 0 or 1, so
// that each metric has a data point per invocation (alarms on ratios need
// the zeros).
func (d *Decider) decision(outcome, reason string, resp []byte, metrics []telemetry.Metric, attrs ...slog.Attr) invoke.Decision {
	return d.decisionOf(outcome, reason, false, resp, metrics, attrs...)
}

// decisionOf is decision with legacyFailure saying whether the legacy store
// (its endpoint, table or secret) failed. Only failed() sets it: reasons
// alone cannot tell, because the domain gate's claims-table failures carry
// the same "table_error"/"table_timeout" reasons and must not fire the
// legacy-store alarm.
func (d *Decider) decisionOf(outcome, reason string, legacyFailure bool, resp []byte, metrics []telemetry.Metric, attrs ...slog.Attr) invoke.Decision {
	var migrated, not, errs float64
	switch {
	case outcome == OutcomeMigrated:
		migrated = 1
	case outcome == OutcomeNotMigrated:
		not = 1
	case legacyFailure:
		errs = 1
	}
	all := make([]telemetry.Metric, 0, 3+len(metrics))
	all = append(all,
		telemetry.Metric{Name: MetricMigrated, Unit: telemetry.Count, Value: migrated},
		telemetry.Metric{Name: MetricNotMigrated, Unit: telemetry.Count, Value: not},
		telemetry.Metric{Name: MetricLegacyErrors, Unit: telemetry.Count, Value: errs},
	)
	all = append(all, metrics...)
	attrs = append(attrs, slog.String("legacySource", d.cfg.Source))
	return invoke.Decision{Outcome: outcome, Reason: reason, Response: resp, Attrs: attrs, Metrics: all}
}

// malformed refuses an event Cognito would not send, with the invocation
// layer's text for malformed events.
func (d *Decider) malformed(err error) invoke.Decision {
	dec := d.decision(OutcomeError, "malformed_event", nil, nil)
	dec.Err = triggers.Refuse(invoke.MalformedMessage, "malformed_event", err)
	return dec
}

func latency(d time.Duration) telemetry.Metric {
	return telemetry.Metric{Name: MetricLegacyLatency, Unit: telemetry.Milliseconds, Value: ms(d)}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func schemeAttr(ans legacy.Answer, attrs []slog.Attr) []slog.Attr {
	if ans.Scheme != "" {
		attrs = append(attrs, slog.String("hashScheme", string(ans.Scheme)))
	}
	return attrs
}
