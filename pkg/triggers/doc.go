// Package triggers holds the typed events of the five Amazon Cognito
// user-pool triggers this suite implements (pre sign-up, pre token
// generation V1/V2/V3, post authentication, user migration, custom
// message), their trigger sources, and the one codec that reads them from
// Cognito and writes them back: Decode and Encode. It is the suite's only
// model of the wire format; no other package reads or writes trigger JSON.
//
// Every event has the same shape: the embedded Header plus named Request
// and Response fields. Cognito expects the whole event back with edits
// under "response", and treats an unmodified event as "carry on with the
// default behaviour", so the types are built to give back what came in:
// every type that Cognito may extend has an Unknown field (a ",embed"
// fallback) that keeps members this package does not know, and Encode
// writes them back. The fixtures under events/ are decoded, re-encoded and
// compared in the tests to hold the types to that; the answer is the same
// JSON value as the input apart from the response, not the same bytes.
//
// # Response fields: null, absent and false
//
// The types send what Cognito documents as "use the default":
//
//   - Pre token generation: every part of an override is a pointer omitted
//     until set, above all groupOverrideDetails, because Cognito drops the
//     user's groups on an empty or null override. PreToken holds either
//     shape, chosen by the event's version.
//   - Custom message: the messages are *string and an untouched response
//     sends null, which keeps the message configured on the pool ("" would
//     not). The request carries linkParameter.
//   - Migrate user: finalUserStatus and messageAction are omitted until
//     set, because Cognito documents omission, not "", as "use the
//     default"; the response has enableSMSMFA. The password has a
//     redacting type.
//   - Pre sign-up: the three flags are always sent, false being Cognito's
//     own default.
//
// Request maps and lists that Cognito omits when empty (clientMetadata,
// scopes, and userAttributes and groupConfiguration of machine-to-machine
// tokens) are omitted when nil; validationData, which Cognito sends as
// null when the caller gave none, is sent back as null.
//
// # Decoding
//
// Decode is strict where different JSON parsers would read one event
// differently: a duplicate member, or a member whose name matches a known
// one only case-insensitively ("TRIGGERSOURCE", or a long s or Kelvin sign
// that Unicode folding maps to s and K), would make this package and
// encoding/json (which a backend or tool may use) see different events, so
// both are refused at every level. It refuses a triggerSource that is
// unknown or belongs to another trigger, and a pre token event whose
// version does not fit its shape. version, triggerSource and userPoolId
// must be non-empty; a missing or null callerContext or request reads as
// empty, and each trigger refuses what it cannot decide without. Unknown
// members are never refused: Cognito adds fields over time, and refusing
// them would turn each addition into an outage. Invalid UTF-8 is replaced
// with U+FFFD, as encoding/json replaces it, so that both read the same
// string. When the header is well-formed but the request is not, the
// error wraps ErrMalformedRequest, so that a trigger whose failure mode is
// "fall back" (custom message) can tell it from an event that is not its
// own.
//
// # Secrets
//
// The migrate-user event carries the user's plaintext password. Password
// redacts itself in fmt and log/slog output, and the events log as a group
// of safe header fields only; JSON encoding still sends the real value,
// because Cognito needs the event back.
package triggers
