// Package adversarial holds the red-team tests of the trigger suite: attack
// inputs driven black-box, as event bytes, through the handlers the
// functions run (package invoke around the pre sign-up, post
// authentication and custom message decisions) and the shared layers
// under them (triggers, telemetry, emailgate, message).
//
// A test is named TestAdversarial<Class>_<Case>, where the class is the
// kind of attack it stands against:
//
//	A1   data the caller writes (custom attributes, validationData,
//	     clientMetadata) never vouches for a user or admits one
//	A2   a sign-up is never auto-confirmed or auto-verified: verifying an
//	     email moves an existing user's alias to the new user
//	A3   the email allowlist is not bypassed by case, Unicode, plus
//	     addressing, trailing dots, subdomains or mail-parser differentials
//	A4   homograph and punycode domains do not pass for allowed ones
//	A5   refusals look alike, so that the answer tells no one which rule or
//	     dependency fired
//	A6   clientMetadata, which whoever calls the API chooses, neither shapes
//	     a message nor chooses the audited user
//	A8   custom messages carry no attacker text, markup or links to
//	     recipients, keep Cognito's placeholders intact and never fail the
//	     user's flow
//	A9   phone numbers are strict E.164, against SMS pumping to look-alike
//	     and premium numbers
//	A10  Cognito's retries record a sign-in once, and distinct sign-ins never
//	     merge
//	A11  a slow or failing dependency is cut off within the invocation
//	     budget and fails in the configured direction; configuration that
//	     would widen the gate or the budget fails the cold start
//	A12  no secret or personal data reaches a log line, a user-visible error
//	     or the audit trail, and no panic reaches Cognito
//	A13  an event of another user pool or another trigger is refused
//	A14  the JSON edge: documents that two parsers would read differently
//	     (duplicate or case-folded names, escapes, invalid UTF-8) are
//	     refused, and hostile documents (truncated, deep, huge) are refused
//	     or decided without harm
//
// Tests that pass are regression armour: the attack is stopped today and
// must stay stopped. The tests in findings_test.go were written as failing
// demonstrations of weaknesses the review found; the ones marked FIXED are
// now regression tests of the fix.
package adversarial
