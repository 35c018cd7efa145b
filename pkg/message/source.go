package message

import "github.com/cognito-triggers/suite/pkg/triggers"

// kind is what a custom-message source asks of its recipient. It decides two
// security properties, so it lives in code and not in the templates: whether
// user-controlled text may appear at all, and what the call-to-action link
// may carry.
type kind struct {
	source triggers.Source
	// file is the template base name: <locale>/<file>.subject.txt etc.
	file string
	// unverified is true when Cognito has not yet proven that the recipient
	// owns the address or number. Anyone can make us write to such a
	// recipient (sign up with a victim's address), so these messages carry
	// no user-controlled text and may carry the pool's
	// link placeholder (they are the verification messages).
	unverified bool
	// invitation marks AdminCreateUser, the only source whose messages must
	// carry the username placeholder.
	invitation bool
	// path is the app page the button links to, relative to AppURL; ""
	// means no button (an MFA code belongs in the sign-in form that asked
	// for it, and a link there only trains users to click code mails).
	path string
	// codeInLink adds the code placeholder to the link. Never for the
	// invitation: there the "code" is a temporary password that Cognito
	// inserts unencoded, and a password has no business in a URL (history,
	// proxies, referrers).
	codeInLink bool
	// usernameInLink adds the event's userName, percent-encoded, because the
	// app page must call ConfirmSignUp / ConfirmForgotPassword with it.
	usernameInLink bool
}

// kinds lists the seven custom-message sources in a fixed order; templates,
// goldens and benchmarks iterate in this order.
var kinds = [...]kind{
	{source: triggers.SourceMessageSignUp, file: "sign-up", unverified: true,
		path: "/confirm-signup", codeInLink: true, usernameInLink: true},
	{source: triggers.SourceMessageAdminCreateUser, file: "admin-create-user", invitation: true,
		path: "/sign-in"},
	{source: triggers.SourceMessageResendCode, file: "resend-code", unverified: true,
		path: "/confirm-signup", codeInLink: true, usernameInLink: true},
	{source: triggers.SourceMessageForgotPassword, file: "forgot-password",
		path: "/reset-password", codeInLink: true, usernameInLink: true},
	{source: triggers.SourceMessageUpdateUserAttribute, file: "update-user-attribute", unverified: true,
		path: "/verify-email", codeInLink: true},
	{source: triggers.SourceMessageVerifyUserAttribute, file: "verify-user-attribute", unverified: true,
		path: "/verify-email", codeInLink: true},
	{source: triggers.SourceMessageAuthentication, file: "authentication"},
}

const numKinds = len(kinds)

// kindIndex finds the source in kinds. A linear scan over seven entries
// beats a map lookup and needs no initialisation.
func kindIndex(s triggers.Source) (int, bool) {
	for i := range kinds {
		if kinds[i].source == s {
			return i, true
		}
	}
	return 0, false
}
