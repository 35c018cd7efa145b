package postauth

import (
	"time"

	"github.com/cognito-triggers/suite/pkg/decision"
)

// Attribute names of an audit item. The rebuild log line (see Record.Facts)
// uses exactly these names, so an item can be restored from a log line
// attribute for attribute.
const (
	AttrPK            = "pk"              // user#<sub>
	AttrSK            = "sk"              // signin#<signed_in_at>#<request_id>
	AttrSub           = "sub"             // the user's sub, the only identifier kept
	AttrSignedInAt    = "signed_in_at"    // RFC 3339, UTC, millisecond precision
	AttrUserPoolID    = "user_pool_id"    // userPoolId
	AttrClientID      = "client_id"       // callerContext.clientId
	AttrTriggerSource = "trigger_source"  // triggerSource
	AttrNewDeviceUsed = "new_device_used" // request.newDeviceUsed (BOOL)
	AttrRequestID     = "request_id"      // the Lambda request id of the delivery that wrote it
	AttrExpiresAt     = "expires_at"      // epoch seconds (N), the table's TTL attribute
)

// Sort-key prefixes. "dedupe#" sorts before "signin#", so the markers never
// get in the way of the sign-in query (begins_with(sk, "signin#")).
const (
	SignInPrefix = "signin#"
	DedupePrefix = "dedupe#"
	userPrefix   = "user#"
)

// TimeLayout is RFC 3339 in UTC with exactly three fractional digits. The
// fixed width matters: the time is part of the sort key, and
// time.RFC3339Nano drops trailing zeros (".5Z" sorts after ".123Z"), which
// would break the newest-first order of the query.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Record is one sign-in as the audit trail keeps it. It holds no password,
// code or token (post authentication events carry none) and no email, phone
// or user name: users are correlated by sub only.
type Record struct {
	Sub           string
	Time          time.Time // when the sign-in was recorded: UTC, truncated to the millisecond
	UserPoolID    string
	ClientID      string
	TriggerSource string
	NewDeviceUsed bool
	RequestID     string
	// Key is the idempotency key. It lives only in the short-lived dedupe
	// marker, never in the audit item or the rebuild log line: it is an
	// unkeyed hash over fields the item holds in clear plus the client
	// metadata, so keeping it for the retention period would let anyone
	// who reads the table confirm guesses of that metadata.
	Key       string
	ExpiresAt int64 // epoch seconds
}

// PK is the item's partition key, user#<sub>.
func (r *Record) PK() string { return userPrefix + r.Sub }

// SK is the item's sort key, signin#<time>#<request id>: ordered by time,
// and unique because no two invocations share a request id.
func (r *Record) SK() string { return SignInPrefix + r.TimeString() + "#" + r.RequestID }

// TimeString is Time in TimeLayout.
func (r *Record) TimeString() string { return r.Time.UTC().Format(TimeLayout) }

// Facts returns every attribute of the item, under the item's own names,
// for the rebuild log line written when the item could not be stored.
func (r *Record) Facts() []decision.Fact {
	return []decision.Fact{
		decision.String(AttrPK, r.PK()),
		decision.String(AttrSK, r.SK()),
		decision.String(AttrSub, r.Sub),
		decision.String(AttrSignedInAt, r.TimeString()),
		decision.String(AttrUserPoolID, r.UserPoolID),
		decision.String(AttrClientID, r.ClientID),
		decision.String(AttrTriggerSource, r.TriggerSource),
		decision.Bool(AttrNewDeviceUsed, r.NewDeviceUsed),
		decision.String(AttrRequestID, r.RequestID),
		{Key: AttrExpiresAt, Value: r.ExpiresAt}, // int64, logged as a number
	}
}
