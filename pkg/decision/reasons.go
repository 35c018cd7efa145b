package decision

// Outcome is the closed-set word for what a decision did: the decision
// line's "outcome" and the metric dimension of the same name.
type Outcome string

// Every outcome of the five triggers. template.yaml's alarms select on
// several of them; internal/samtemplate checks that each alarm names one
// that exists (see Outcomes).
const (
	// Any trigger: the invocation layer refused the event, or a bug or a
	// failure that is not the trigger's policy stopped the decision.
	OutcomeError Outcome = "error"

	// Pre sign-up.
	OutcomeAllowed Outcome = "allowed"
	// OutcomeRefused: pre sign-up refused the sign-up, or post
	// authentication (AUDIT_FAILURE_MODE=closed) refused the sign-in.
	OutcomeRefused Outcome = "refused"

	// Pre token generation.
	OutcomeClaimsAdded   Outcome = "claims_added"
	OutcomeClaimsOmitted Outcome = "claims_omitted"
	OutcomeDenied        Outcome = "denied"

	// Post authentication.
	OutcomeRecorded    Outcome = "recorded"     // the audit item was written
	OutcomeDuplicate   Outcome = "duplicate"    // a redelivery of a recorded sign-in: nothing written
	OutcomeAuditFailed Outcome = "audit_failed" // the write failed, fail-open: the sign-in goes on

	// User migration.
	OutcomeMigrated    Outcome = "migrated"
	OutcomeNotMigrated Outcome = "not_migrated"

	// Custom message.
	OutcomeRendered       Outcome = "rendered"
	OutcomeDefaultMessage Outcome = "default_message"
)

// Reason says why a decision came out as it did: the decision line's
// "reason" and the metric dimension of the same name. Refusals and
// failures always carry one; so do the answers that go ahead only in part
// (claims omitted, a default message).
type Reason string

// Reasons the invocation layer gives, for any trigger.
const (
	ReasonMalformedEvent Reason = "malformed_event" // not an event Cognito would send
	ReasonWrongTrigger   Reason = "wrong_trigger"   // an event of another trigger: the function is attached to the wrong slot
	ReasonUnexpectedPool Reason = "unexpected_pool" // a user pool outside ALLOWED_USER_POOL_IDS
	ReasonPanic          Reason = "panic"           // a bug, contained
	InternalError        Reason = "internal_error"  // a failure that is nobody's policy, such as a response that cannot be encoded
	ReasonConfigError    Reason = "config_error"    // the function's configuration is broken (custom message falls back instead of failing)
)

// Dependency failures: one Reason per Dependency and Failure, built by
// Dependency.Failed, so that "table_timeout" means the same for every
// trigger and the alarms can rely on it.
const (
	ReasonTableTimeout   Reason = "table_timeout"
	ReasonTableThrottled Reason = "table_throttled"
	ReasonTableMissing   Reason = "table_missing"
	ReasonTableRefused   Reason = "table_refused"
	ReasonTableError     Reason = "table_error"

	ReasonLegacyTimeout   Reason = "legacy_timeout"
	ReasonLegacyThrottled Reason = "legacy_throttled"
	ReasonLegacyMissing   Reason = "legacy_missing"
	ReasonLegacyRefused   Reason = "legacy_refused"
	ReasonLegacyError     Reason = "legacy_error"
	// ReasonLegacyMalformed: the legacy store answered, but with a response
	// or record that breaks its protocol or item format.
	ReasonLegacyMalformed Reason = "legacy_malformed"

	ReasonSecretTimeout   Reason = "secret_timeout"
	ReasonSecretThrottled Reason = "secret_throttled"
	ReasonSecretMissing   Reason = "secret_missing"
	ReasonSecretRefused   Reason = "secret_refused"
	ReasonSecretError     Reason = "secret_error"
	// ReasonSecretMalformed: the secret was read but its value is not
	// what the function needs.
	ReasonSecretMalformed Reason = "secret_malformed"
)

// Pre sign-up and the sign-up gate that user migration shares. A refused
// address also carries "email_" followed by the emailgate rule that
// refused it (see EmailReason).
const (
	ReasonMissingEmail       Reason = "missing_email"
	ReasonDomainNotAllowed   Reason = "domain_not_allowed"
	ReasonPhoneInvalid       Reason = "phone_invalid"
	ReasonPhoneCountryDenied Reason = "phone_country_not_allowed"
	// ReasonEmailInvalid is an email refused by a rule without a name of
	// its own.
	ReasonEmailInvalid Reason = "email_invalid"
)

// EmailReason is the Reason for an email address that the emailgate rule
// named rule refused ("email_non_ascii", "email_trailing_dot", ...).
// emailgate's rules are a closed set of their own; the prefix keeps them
// apart from every other reason.
func EmailReason(rule string) Reason {
	if rule == "" {
		return ReasonEmailInvalid
	}
	return Reason("email_" + rule)
}

// Pre token generation.
const (
	ReasonNoRecord        Reason = "no_record"
	ReasonUnknownClient   Reason = "unknown_client"
	ReasonEmailUnverified Reason = "email_unverified"
	ReasonClaimsTooLarge  Reason = "claims_too_large"
	ReasonBadRecord       Reason = "bad_record"
)

// User migration: why a user was not migrated. They are logged, never
// answered: every "no" looks the same to the caller.
const (
	ReasonInvalidCredentials Reason = "invalid_credentials"  // unknown user or wrong password
	ReasonNotFound           Reason = "not_found"            // forgot password: unknown user
	ReasonHashMissing        Reason = "hash_missing"         // the legacy record has no usable password hash
	ReasonHashMalformed      Reason = "hash_malformed"       // the hash claims a known scheme but is corrupt or out of bounds
	ReasonHashUnsupported    Reason = "hash_unsupported"     // unknown scheme, or Firebase scrypt without its parameters
	ReasonNotVouched         Reason = "not_vouched"          // forgot password: no verified email or phone to send the code to
	ReasonGateRefused        Reason = "gate_refused"         // the sign-up gate refused the legacy email
	ReasonInvalidLegacyEmail Reason = "invalid_legacy_email" // the legacy email fails the strict email checks
	ReasonNoPassword         Reason = "no_password"          // an authentication event without a password
)

// Custom message: why the pool's own message was sent instead.
const (
	ReasonMissingCodeParameter Reason = "missing_code_parameter"
	ReasonInvalidPlaceholder   Reason = "invalid_placeholder"
	ReasonMalformedRequest     Reason = "malformed_request"
	ReasonRenderFailed         Reason = "render_failed"
)

// Outcomes lists every Outcome, for the template's cross-checks.
func Outcomes() []Outcome {
	return []Outcome{
		OutcomeError, OutcomeAllowed, OutcomeRefused,
		OutcomeClaimsAdded, OutcomeClaimsOmitted, OutcomeDenied,
		OutcomeRecorded, OutcomeDuplicate, OutcomeAuditFailed,
		OutcomeMigrated, OutcomeNotMigrated,
		OutcomeRendered, OutcomeDefaultMessage,
	}
}

// Reasons lists every fixed Reason (the email_ reasons are built by
// EmailReason), for the template's cross-checks.
func Reasons() []Reason {
	return []Reason{
		ReasonMalformedEvent, ReasonWrongTrigger, ReasonUnexpectedPool, ReasonPanic, InternalError, ReasonConfigError,
		ReasonTableTimeout, ReasonTableThrottled, ReasonTableMissing, ReasonTableRefused, ReasonTableError,
		ReasonLegacyTimeout, ReasonLegacyThrottled, ReasonLegacyMissing, ReasonLegacyRefused, ReasonLegacyError, ReasonLegacyMalformed,
		ReasonSecretTimeout, ReasonSecretThrottled, ReasonSecretMissing, ReasonSecretRefused, ReasonSecretError, ReasonSecretMalformed,
		ReasonMissingEmail, ReasonDomainNotAllowed, ReasonPhoneInvalid, ReasonPhoneCountryDenied, ReasonEmailInvalid,
		ReasonNoRecord, ReasonUnknownClient, ReasonEmailUnverified, ReasonClaimsTooLarge, ReasonBadRecord,
		ReasonInvalidCredentials, ReasonNotFound, ReasonHashMissing, ReasonHashMalformed, ReasonHashUnsupported,
		ReasonNotVouched, ReasonGateRefused, ReasonInvalidLegacyEmail, ReasonNoPassword,
		ReasonMissingCodeParameter, ReasonInvalidPlaceholder, ReasonMalformedRequest, ReasonRenderFailed,
	}
}
