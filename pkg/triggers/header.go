package triggers

import (
	"log/slog"

	"github.com/go-json-experiment/json/jsontext"
)

// CallerContext names the SDK and the app client behind the call.
type CallerContext struct {
	AWSSDKVersion string `json:"awsSdkVersion"`
	ClientID      string `json:"clientId"`
	// Unknown holds members Cognito may add, sent back as they came.
	Unknown jsontext.Value `json:",embed"`
}

// Header is the part of the event every user-pool trigger shares.
type Header struct {
	// Version is the event version: "1" for every trigger here and for pre
	// token V1_0, "2" for V2_0, "3" for V3_0. Real events carry a JSON
	// string; old documentation samples show a bare number, which is refused
	// rather than guessed at.
	Version       string        `json:"version"`
	TriggerSource Source        `json:"triggerSource"`
	Region        string        `json:"region"`
	UserPoolID    string        `json:"userPoolId"`
	CallerContext CallerContext `json:"callerContext"`
	// UserName is omitted when empty because a machine-to-machine
	// (TokenGeneration_ClientCredentials) event has no user; every user
	// event carries a non-empty name, so nothing else changes.
	UserName string `json:"userName,omitzero"`
}

// LogValue logs the header as the fields that identify an invocation and
// nothing that identifies a person. Every event embeds Header, so logging a
// whole event with slog logs only this: a struct logged whole goes through
// encoding/json and would bypass the redaction of fields such as the
// migrate-user password, and would write attributes (email, phone) to the
// log.
func (h Header) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("triggerSource", string(h.TriggerSource)),
		slog.String("userPoolId", h.UserPoolID),
		slog.String("clientId", h.CallerContext.ClientID),
	)
}
