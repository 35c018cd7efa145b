package postauth

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cognito-triggers/suite/pkg/decision"
)

// DedupeWindow is how long after a recorded sign-in an identical event is
// taken for a redelivery. Cognito gives up on a trigger after 5 s and makes
// at most three attempts, so every genuine retry lands well inside it.
const DedupeWindow = 60 * time.Second

// markerTTL is how long a dedupe marker is kept; past DedupeWindow it no
// longer blocks anything, and DynamoDB's TTL sweeps it away.
const markerTTL = 24 * time.Hour

// AttrUntil is the dedupe marker's end of window, epoch milliseconds.
const AttrUntil = "until"

// ErrDuplicate reports that the same event was recorded less than
// DedupeWindow ago: the delivery is a retry and no item was written.
var ErrDuplicate = errors.New("duplicate delivery of a recorded sign-in")

// TransactWriteItemsAPI is the one DynamoDB call the audit store makes.
type TransactWriteItemsAPI interface {
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Table is the DynamoDB audit store (AUDIT_TABLE: partition key pk and sort
// key sk, both strings; TTL on expires_at).
type Table struct {
	client TransactWriteItemsAPI
	name   string
}

// NewTable returns a Table writing to the named table through client.
func NewTable(client TransactWriteItemsAPI, name string) *Table {
	return &Table{client: client, name: name}
}

// conflictAttempts bounds how often Put sends a transaction that DynamoDB
// keeps cancelling for a TransactionConflict: another transaction on the
// same marker is in flight, i.e. a concurrent delivery of the same event.
// The next attempt finds that delivery's marker (a duplicate) or, if it
// failed, writes its own. Re-sending is safe because the conditions make
// the write idempotent; the write's deadline bounds the loop as well.
const conflictAttempts = 8

// conflictBackoff returns a random wait before attempt+1: 5-15 ms after
// the first, growing to 5-85 ms, so racing deliveries spread out.
func conflictBackoff(attempt int) time.Duration {
	ceil := 5 * time.Millisecond << min(attempt, 4)
	return 5*time.Millisecond + rand.N(ceil)
}

// Put writes r's audit item and the dedupe marker of r.Key in one
// transaction, so that either both exist or neither does:
//
//	marker  pk=user#<sub> sk=dedupe#<key> until=<now+60 s, ms> expires_at=<now+1 day>
//	        condition attribute_not_exists(sk) OR #until < :now
//	item    pk=user#<sub> sk=signin#<time>#<request id> ...
//	        condition attribute_not_exists(sk)
//
// A failed marker condition means the same event was recorded less than
// DedupeWindow ago, and Put returns ErrDuplicate. The window starts again at
// each recorded sign-in, not at each redelivery (a cancelled transaction
// writes nothing). Two deliveries racing each other are serialised by
// DynamoDB: one commits, the other is cancelled by the condition or by a
// TransactionConflict, after which it is re-sent and finds the marker.
//
// The SDK fills in a ClientRequestToken and keeps it across its own retries,
// so an attempt that committed but whose answer was lost is answered as a
// success by the next attempt rather than as a duplicate.
func (t *Table) Put(ctx context.Context, r *Record) error {
	now := r.Time.UnixMilli()
	pk := &types.AttributeValueMemberS{Value: r.PK()}
	marker := map[string]types.AttributeValue{
		AttrPK:        pk,
		AttrSK:        &types.AttributeValueMemberS{Value: DedupePrefix + r.Key},
		AttrUntil:     number(now + DedupeWindow.Milliseconds()),
		AttrExpiresAt: number(r.Time.Add(markerTTL).Unix()),
	}
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{
			TableName:                 aws.String(t.name),
			Item:                      marker,
			ConditionExpression:       aws.String("attribute_not_exists(sk) OR #until < :now"),
			ExpressionAttributeNames:  map[string]string{"#until": AttrUntil}, // UNTIL is a reserved word
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": number(now)},
		}},
		{Put: &types.Put{
			TableName:           aws.String(t.name),
			Item:                Item(r),
			ConditionExpression: aws.String("attribute_not_exists(sk)"),
		}},
	}}
	for attempt := 1; ; attempt++ {
		in.ClientRequestToken = nil // a new logical write: a fresh token
		_, err := t.client.TransactWriteItems(ctx, in)
		if err == nil {
			return nil
		}
		var tce *types.TransactionCanceledException
		if errors.As(err, &tce) {
			switch cancelled(tce) {
			case cancelDuplicate:
				return ErrDuplicate
			case cancelConflict:
				if attempt < conflictAttempts && sleep(ctx, conflictBackoff(attempt)) {
					continue
				}
			}
			if throttledItem(tce) {
				// The error code is TransactionCanceledException; only the
				// reasons say that an item was throttled, so mark it for
				// decision.Classify.
				return fmt.Errorf("write sign-in to %s: %w: %w", t.name, decision.ErrThrottled, err)
			}
		}
		return fmt.Errorf("write sign-in to %s: %w", t.name, err)
	}
}

type cancelKind int

const (
	cancelOther cancelKind = iota
	cancelDuplicate
	cancelConflict
)

// cancelled reads a cancellation's reasons, one per item: the marker is
// item 0, the audit item item 1. A failed condition on either means the
// sign-in is already recorded (on item 1: this very record, written by an
// earlier attempt).
func cancelled(e *types.TransactionCanceledException) cancelKind {
	kind := cancelOther
	for _, r := range e.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "ConditionalCheckFailed":
			return cancelDuplicate
		case "TransactionConflict":
			kind = cancelConflict
		}
	}
	return kind
}

// throttledItem reports whether DynamoDB cancelled the transaction because
// an item was throttled.
func throttledItem(e *types.TransactionCanceledException) bool {
	for _, r := range e.CancellationReasons {
		if throttleCodes[aws.ToString(r.Code)] {
			return true
		}
	}
	return false
}

// throttleCodes are the cancellation-reason codes DynamoDB uses for a
// throttled item.
var throttleCodes = map[string]bool{
	"ProvisionedThroughputExceededException": true,
	"ProvisionedThroughputExceeded":          true,
	"ThrottlingException":                    true,
	"ThrottlingError":                        true,
	"RequestLimitExceeded":                   true,
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Item is the DynamoDB item of r. Every attribute is also on the rebuild
// log line (Record.Facts), under the same name and with the same value.
func Item(r *Record) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK:            &types.AttributeValueMemberS{Value: r.PK()},
		AttrSK:            &types.AttributeValueMemberS{Value: r.SK()},
		AttrSub:           &types.AttributeValueMemberS{Value: r.Sub},
		AttrSignedInAt:    &types.AttributeValueMemberS{Value: r.TimeString()},
		AttrUserPoolID:    &types.AttributeValueMemberS{Value: r.UserPoolID},
		AttrClientID:      &types.AttributeValueMemberS{Value: r.ClientID},
		AttrTriggerSource: &types.AttributeValueMemberS{Value: r.TriggerSource},
		AttrNewDeviceUsed: &types.AttributeValueMemberBOOL{Value: r.NewDeviceUsed},
		AttrRequestID:     &types.AttributeValueMemberS{Value: r.RequestID},
		AttrExpiresAt:     number(r.ExpiresAt),
	}
}

func number(n int64) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// QueryAPI is the DynamoDB call LastSignIns makes.
type QueryAPI interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// MaxLastSignIns bounds n in LastSignIns: one Query page.
const MaxLastSignIns = 1000

// LastSignIns returns the user's last n sign-ins, newest first:
//
//	pk = user#<sub> AND begins_with(sk, "signin#"), ScanIndexForward=false, Limit n
//
// The read is strongly consistent, so a sign-in recorded just before is
// included.
func LastSignIns(ctx context.Context, client QueryAPI, table, sub string, n int) ([]Record, error) {
	if n < 1 || n > MaxLastSignIns {
		return nil, fmt.Errorf("last sign-ins: n = %d, want 1..%d", n, MaxLastSignIns)
	}
	out, err := client.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(table),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":     &types.AttributeValueMemberS{Value: userPrefix + sub},
			":prefix": &types.AttributeValueMemberS{Value: SignInPrefix},
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(n)),
		ConsistentRead:   aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("last sign-ins from %s: %w", table, err)
	}
	recs := make([]Record, 0, len(out.Items))
	for _, item := range out.Items {
		r, err := RecordFromItem(item)
		if err != nil {
			return nil, fmt.Errorf("last sign-ins from %s: %w", table, err)
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// RecordFromItem reads an audit item back. Every attribute must be present
// with its type: an item that lacks one was not written by this package.
func RecordFromItem(item map[string]types.AttributeValue) (Record, error) {
	var r Record
	var missing []string
	str := func(name string) string {
		if v, ok := item[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		missing = append(missing, name)
		return ""
	}
	r.Sub = str(AttrSub)
	r.UserPoolID = str(AttrUserPoolID)
	r.ClientID = str(AttrClientID)
	r.TriggerSource = str(AttrTriggerSource)
	r.RequestID = str(AttrRequestID)
	if v, ok := item[AttrNewDeviceUsed].(*types.AttributeValueMemberBOOL); ok {
		r.NewDeviceUsed = v.Value
	} else {
		missing = append(missing, AttrNewDeviceUsed)
	}
	if v, ok := item[AttrExpiresAt].(*types.AttributeValueMemberN); ok {
		n, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			return r, fmt.Errorf("audit item: %s: %w", AttrExpiresAt, err)
		}
		r.ExpiresAt = n
	} else {
		missing = append(missing, AttrExpiresAt)
	}
	at := str(AttrSignedInAt)
	if len(missing) > 0 {
		return r, fmt.Errorf("audit item lacks %s", strings.Join(missing, ", "))
	}
	t, err := time.Parse(TimeLayout, at)
	if err != nil {
		return r, fmt.Errorf("audit item: %s: %w", AttrSignedInAt, err)
	}
	r.Time = t
	return r, nil
}
