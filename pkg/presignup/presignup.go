// Package presignup decides whether a sign-up may go ahead: the pre
// sign-up trigger, a thin decision over the sign-up gate of package
// signupgate.
//
// Cognito stores and mails the raw email string and a pre sign-up response
// cannot rewrite attributes, so the gate refuses anything it would have to
// normalise (see package emailgate). The decision reads only the email and
// phone_number attributes: never validationData, clientMetadata or custom
// attributes, which whoever calls SignUp controls and so can say anything,
// including "this address is allowed".
//
// All three sources are gated. PreSignUp_AdminCreateUser is gated too: an
// administrator's typo or a compromised admin credential must not create a
// user outside the allowed domains. PreSignUp_ExternalProvider is gated on
// the email the identity provider asserted.
//
// The response never sets autoConfirmUser, autoVerifyEmail or
// autoVerifyPhone. Auto-verifying an email moves an existing alias (the
// address a current user signs in with) to the new user, and
// auto-confirming skips the only proof that the person signing up controls
// the mailbox; a domain allowlist proves neither. Users confirm with the
// code Cognito mails them.
package presignup

import (
	"context"
	"errors"

	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/signupgate"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// RefusalMessage is the one text every refused sign-up shows. It names no
// rule: which rule fired is in the log, not in the attacker's hands.
const RefusalMessage = "Sign-up is not available for this email address."

// Config is the pre sign-up configuration: the sign-up gate's, which
// pre sign-up has no setting to add to.
type Config = signupgate.Config

// LoadConfig reads the configuration (ALLOWED_EMAIL_DOMAINS, CLAIMS_TABLE,
// TABLE_TIMEOUT_MS, ALLOWED_PHONE_COUNTRY_CODES); problems are recorded on
// r.
func LoadConfig(r *envconfig.Reader) Config { return signupgate.LoadConfig(r) }

// Deps are what the decision calls.
type Deps struct {
	// Domains reads the trusted table's domain# records; nil when
	// Config.Table is empty.
	Domains signupgate.DomainStore
}

// Decider is the pre sign-up decision. It is safe for concurrent use.
type Decider struct {
	gate *signupgate.Gate
}

// New returns a Decider. It refuses a configuration the gate refuses, such
// as a table name without a store to read it.
func New(cfg Config, deps Deps) (*Decider, error) {
	gate, err := signupgate.New(cfg, signupgate.Deps{Domains: deps.Domains})
	if err != nil {
		return nil, err
	}
	return &Decider{gate: gate}, nil
}

// AdmitsNothing reports whether neither an allowlist nor a table is
// configured, so that every sign-up is refused: a deliberate fail-closed
// default, which main logs at cold start so that it is not a mystery.
func (d *Decider) AdmitsNothing() bool { return d.gate.AdmitsNothing() }

// Decide refuses the sign-up unless the phone number (when there is one)
// and the email address pass the gate; an allowed sign-up is answered with
// all three flags false. A table failure refuses: the gate fails closed.
func (d *Decider) Decide(ctx context.Context, ev *triggers.PreSignUp) decision.Result {
	attrs := ev.Request.UserAttributes
	if phone := attrs.Get("phone_number"); phone != "" {
		switch r := d.gate.Phone(phone); r {
		case "":
		case decision.ReasonPhoneCountryDenied:
			return refuse(r, errors.New("phone_number's calling code is not in ALLOWED_PHONE_COUNTRY_CODES"))
		default:
			return refuse(r, errors.New("phone_number is not strict E.164"))
		}
	}
	v := d.gate.Admit(ctx, attrs.Get("email"))
	var metrics []decision.Metric
	if v.TableLatency > 0 {
		metrics = append(metrics, decision.Latency("TableLatencyMs", v.TableLatency))
	}
	if !v.Admitted() {
		res := refuse(v.Reason, v.Cause)
		res.Metrics = metrics
		return res
	}
	// The response is written whole rather than edited, so nothing in the
	// incoming event (a flag set to true, a member Cognito may add later)
	// can switch anything on.
	ev.Response = triggers.PreSignUpResponse{AutoConfirmUser: false, AutoVerifyEmail: false, AutoVerifyPhone: false}
	return decision.Result{
		Outcome: decision.OutcomeAllowed,
		Facts:   []decision.Fact{decision.String("rule", v.Rule)},
		Metrics: metrics,
	}
}

// refuse is a refused sign-up: always the one RefusalMessage, the reason
// and cause for the log only.
func refuse(r decision.Reason, cause error) decision.Result {
	return decision.Refusal(decision.OutcomeRefused, r, RefusalMessage, cause)
}
