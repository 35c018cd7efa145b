// Package custommessage answers the custom message trigger (all seven
// CustomMessage_* sources): it fills in the SMS text and, where the pool can
// use them, the email subject and HTML body with the branded, localised
// messages of package message, and otherwise leaves Cognito to send the
// pool's own message.
//
// # Never block a message
//
// Cognito sends the code or invitation only after this trigger answers, and
// an error fails the sign-up, reset or sign-in that asked for it. A broken
// branded message is never worth that: whenever a message cannot be rendered
// for any reason (a missing or unsafe placeholder in the event, a renderer
// error, an output that fails message.Check, a request this package cannot
// read, even a panic) the trigger returns the event exactly as received.
// Its response fields arrive null, and null tells Cognito to use the message
// configured on the pool, so the user still gets a (plain) code. The
// decision line says so (outcome default_message, with a reason) and the
// RenderFailures metric counts it. Only an event the invocation layer cannot
// read at all is refused, by package invoke.
//
// # Email only from SES pools
//
// Cognito honours emailMessage and emailSubject only when the pool sends
// email through SES (EmailSendingAccount DEVELOPER); from a pool on
// Cognito's default email account it fails the request with
// InvalidLambdaResponseException (contracts §6.3), which would break every
// sign-up. So the email fields are set only when CUSTOMIZE_EMAIL is true,
// which the template sets exactly when it configures SES, and are null
// otherwise; the SMS text is always customised.
//
// # Link verification
//
// The link placeholder (request.linkParameter, e.g. "{##Click Here##}") is
// put into verification emails only when EMAIL_VERIFICATION_OPTION is
// CONFIRM_WITH_LINK, mirroring the pool's VerificationMessageTemplate.
// Which sources and pools Cognito sends it for is unconfirmed (contracts
// §10); a code-verifying pool that received it anyway would otherwise mail
// the literal placeholder text.
//
// # What is read, what is logged
//
// The decision reads the event through triggers.Envelope without decoding
// it: the request's codeParameter, usernameParameter and linkParameter, the
// userName (percent-encoded into the app link by the renderer) and four user
// attributes, locale, given_name, name and nickname. Everything else in the
// event, including clientMetadata (chosen by the app or whoever calls the
// API) and email, phone_number, family_name and preferred_username, is
// ignored. The decision line carries the template locale chosen and the
// rune lengths of the fields set, never message text, placeholders, names
// or addresses.
package custommessage
