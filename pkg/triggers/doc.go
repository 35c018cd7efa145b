// Package triggers holds the typed events of the five Amazon Cognito
// user-pool triggers this suite implements (pre sign-up, pre token
// generation V1/V2/V3, post authentication, user migration, custom
// message), their trigger sources, and the decoders that admit an event to
// a handler.
//
// Every event has the same shape: the embedded Header plus named Request
// and Response fields. Cognito expects the whole event back with edits
// under "response", and treats an unmodified event as "carry on with the
// default behaviour", so the types are built to give back exactly what came
// in. The fixtures under events/ at the repository root are decoded,
// re-encoded and compared in TestRoundTrip to hold the types to that.
//
// # Where the types differ from aws-lambda-go
//
// The aws-lambda-go types are used where they match what Cognito sends and
// reads (the pre sign-up and post authentication responses, the caller
// context and the group configuration). They are replaced where their
// zero values say something Cognito would act on:
//
//   - Pre token generation: aws-lambda-go always emits groupOverrideDetails,
//     and Cognito drops the user's groups on an empty or null override.
//     Here every response part is a pointer that is omitted until set.
//   - Custom message: aws-lambda-go sends "" for messages it did not set;
//     Cognito's own null means "keep the template configured on the pool",
//     so the messages are *string and an untouched response sends null.
//     The request gains linkParameter.
//   - Migrate user: finalUserStatus and messageAction are omitted until set,
//     because Cognito documents omission, not "", as "use the default"; the
//     response gains enableSMSMFA. The password has a redacting type.
//
// # Null, absent and empty on the wire
//
// Cognito does not read the request back, but a test fixture and a
// re-encoded event must agree, so each field's encoding is chosen:
//
//   - Request maps and lists that Cognito omits when empty (clientMetadata,
//     scopes, and userAttributes and groupConfiguration of machine-to-machine
//     tokens) use omitzero: nil is omitted, an empty {} or [] is kept, so
//     decoding and re-encoding never changes a value. validationData, which
//     Cognito sends as null when the caller gave none, is emitted as null.
//   - Response fields keep Cognito's null where null is what Cognito sent
//     and means "default" (claimsOverrideDetails,
//     claimsAndScopeOverrideDetails, the custom messages, the migrated
//     user's userAttributes), and are omitted where the field only matters
//     when set (everything inside the token overrides, the migrate-user
//     options). The fixtures follow the types: a response field the type
//     omits when unset is absent from the fixture rather than null.
//
// # Decoding
//
// The Decode functions are the strict entry: they refuse what Cognito never
// sends and what different JSON parsers would read differently (a
// duplicate key, or a key that encoding/json would match to a field only
// case-insensitively), a triggerSource that is unknown or belongs to
// another trigger, and a pre token event of the other LambdaVersion. They
// never use DisallowUnknownFields: Cognito adds fields over time, and
// refusing them would turn each addition into an outage.
//
// # Secrets
//
// The migrate-user event carries the user's plaintext password. Password
// redacts itself in fmt and log/slog output, and the events log as a group
// of safe header fields only; JSON encoding still sends the real value,
// because Cognito needs the event back.
package triggers
