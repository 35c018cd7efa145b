// Package custommessage answers the custom message trigger (all seven
// CustomMessage_* sources): it fills in the SMS text and, where the pool can
// use them, the email subject and HTML body with the branded, localised
// messages of package message, and otherwise leaves Cognito to send the
// pool's own message.
//
// One event: package invoke decodes it into a triggers.CustomMessage and
// calls Decider.Decide, which reads the request, renders, sets the
// response's fields and returns a decision.Result; invoke encodes the event
// back to Cognito and writes the decision line and its metrics.
//
// # Never block a message
//
// Cognito sends the code or invitation only after this trigger answers, and
// an error fails the sign-up, reset or sign-in that asked for it. A broken
// branded message is never worth that: whenever a message cannot be rendered
// for any reason (a missing or unsafe placeholder in the event, a renderer
// error, an output that fails message.Check, a request that does not decode,
// a broken configuration, even a panic) the trigger leaves the response as
// it arrived. Its fields arrive null, and null tells Cognito to use the
// message configured on the pool, so the user still gets a (plain) code. The
// decision line says so (outcome default_message, with a reason) and the
// RenderFailures metric counts it. A request that does not decode is
// answered by MalformedRequest, which main sets as
// invoke.Options.MalformedRequest, with the event exactly as received. Only
// an event whose header is unusable (not JSON, another trigger's, another
// pool's) is refused, by package invoke.
//
// # A broken configuration
//
// A configuration error (a missing APP_NAME, an APP_NAME too long for the
// SMS, a broken MESSAGE_TEMPLATES_DIR, a typo in CUSTOMIZE_EMAIL) does not
// fail the cold start, unlike the other triggers. Failing it would fail
// every sign-up, password reset and invitation until the next deploy,
// while the pool's own messages are a working answer. So Configure returns
// the error, which main logs at cold start with every problem named, and a
// Decider that answers every event with the pool's own message: outcome
// default_message, reason config_error, RenderFailures 1, so that the
// render-failure alarm fires within minutes. template.yaml refuses at deploy
// time what a parameter constraint can say (an APP_NAME longer than the
// longest that fits every embedded template, braces or control characters
// in it, nearly every APP_URL and SUPPORT_EMAIL the checks here refuse), so
// this mode is the last line of defence. The settings all functions share
// (TRIGGER_BUDGET_MS and the like) are read by invoke.Main, and an error in
// them still fails the cold start.
//
// # Email only from SES pools
//
// Cognito honours emailMessage and emailSubject only when the pool sends
// email through SES (EmailSendingAccount DEVELOPER); from a pool on
// Cognito's default email account it fails the request with
// InvalidLambdaResponseException, which would break every sign-up. So the
// email fields are set only when CUSTOMIZE_EMAIL is true, which the template
// sets exactly when it configures SES, and are null otherwise; the SMS text
// is always customised.
//
// # Link verification
//
// The link placeholder (request.linkParameter, e.g. "{##Click Here##}") is
// put into verification emails only when EMAIL_VERIFICATION_OPTION is
// CONFIRM_WITH_LINK, mirroring the pool's VerificationMessageTemplate.
// Cognito's documentation does not say for which sources and pools it sends
// the parameter; a code-verifying pool that received it anyway would
// otherwise mail the literal placeholder text.
//
// # What is read, what is logged
//
// The decision reads the request's codeParameter, usernameParameter and
// linkParameter, the userName (percent-encoded into the app link by the
// renderer) and four user attributes, locale, given_name, name and
// nickname. Everything else in the event, including clientMetadata (chosen
// by the app or whoever calls the API) and email, phone_number, family_name
// and preferred_username, is ignored. The decision line carries the
// template locale chosen and the rune lengths of the fields set, never
// message text, placeholders, names or addresses; a fallback's cause names
// fields, templates and rules only.
package custommessage
