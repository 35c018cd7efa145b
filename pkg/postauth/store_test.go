package postauth_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/postauth"
)

func testRecord() *postauth.Record {
	at := time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)
	return &postauth.Record{Sub: "s-1", Time: at, UserPoolID: "pool", ClientID: "client", TriggerSource: "PostAuthentication_Authentication",
		NewDeviceUsed: true, RequestID: "req", Key: "0123456789abcdef0123456789abcdef", ExpiresAt: at.Unix() + 86400*365}
}

// TestTablePutInput pins the transaction: two puts on one table, the
// marker first, with the documented conditions and values.
func TestTablePutInput(t *testing.T) {
	var got *dynamodb.TransactWriteItemsInput
	tbl := postauth.NewTable(&fakes.AuditTransactions{TransactWriteItemsFn: func(_ context.Context, in *dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
		got = in
		return &dynamodb.TransactWriteItemsOutput{}, nil
	}}, "audit")
	r := testRecord()
	if err := tbl.Put(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	want := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{
			TableName: aws.String("audit"),
			Item: map[string]types.AttributeValue{
				"pk":         &types.AttributeValueMemberS{Value: "user#s-1"},
				"sk":         &types.AttributeValueMemberS{Value: "dedupe#0123456789abcdef0123456789abcdef"},
				"until":      &types.AttributeValueMemberN{Value: fmt.Sprint(r.Time.UnixMilli() + 60_000)},
				"expires_at": &types.AttributeValueMemberN{Value: fmt.Sprint(r.Time.Unix() + 86400)},
			},
			ConditionExpression:       aws.String("attribute_not_exists(sk) OR #until < :now"),
			ExpressionAttributeNames:  map[string]string{"#until": "until"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: fmt.Sprint(r.Time.UnixMilli())}},
		}},
		{Put: &types.Put{
			TableName: aws.String("audit"),
			Item: map[string]types.AttributeValue{
				"pk":              &types.AttributeValueMemberS{Value: "user#s-1"},
				"sk":              &types.AttributeValueMemberS{Value: "signin#2026-03-14T15:09:26.535Z#req"},
				"sub":             &types.AttributeValueMemberS{Value: "s-1"},
				"signed_in_at":    &types.AttributeValueMemberS{Value: "2026-03-14T15:09:26.535Z"},
				"user_pool_id":    &types.AttributeValueMemberS{Value: "pool"},
				"client_id":       &types.AttributeValueMemberS{Value: "client"},
				"trigger_source":  &types.AttributeValueMemberS{Value: "PostAuthentication_Authentication"},
				"new_device_used": &types.AttributeValueMemberBOOL{Value: true},
				"request_id":      &types.AttributeValueMemberS{Value: "req"},
				"expires_at":      &types.AttributeValueMemberN{Value: fmt.Sprint(r.ExpiresAt)},
			},
			ConditionExpression: aws.String("attribute_not_exists(sk)"),
		}},
	}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(
		dynamodb.TransactWriteItemsInput{}, types.TransactWriteItem{}, types.Put{},
		types.AttributeValueMemberS{}, types.AttributeValueMemberN{}, types.AttributeValueMemberBOOL{})); diff != "" {
		t.Errorf("TransactWriteItems input (-want +got):\n%s", diff)
	}
}

func cancelledWith(codes ...string) error {
	e := &types.TransactionCanceledException{Message: aws.String("Transaction cancelled")}
	for _, c := range codes {
		e.CancellationReasons = append(e.CancellationReasons, types.CancellationReason{Code: aws.String(c)})
	}
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "TransactWriteItems", Err: e}
}

// TestTablePutOutcomes: how each answer of DynamoDB maps to duplicate,
// success after conflicts, and failure reasons (decision.Table.Failed
// over Put's error, as the decision classifies it).
func TestTablePutOutcomes(t *testing.T) {
	timeout := &net.OpError{Op: "read", Err: timeoutErr{}}
	tests := []struct {
		name      string
		answers   []error         // one per call; the last repeats
		wantErr   error           // ErrDuplicate, or nil
		wantWhy   decision.Reason // failure reason when the write failed
		wantCalls int
	}{
		{name: "written", answers: []error{nil}, wantCalls: 1},
		{name: "marker condition failed", answers: []error{cancelledWith("ConditionalCheckFailed", "None")}, wantErr: postauth.ErrDuplicate, wantCalls: 1},
		{name: "item condition failed", answers: []error{cancelledWith("None", "ConditionalCheckFailed")}, wantErr: postauth.ErrDuplicate, wantCalls: 1},
		{name: "conflict then written", answers: []error{cancelledWith("TransactionConflict", "None"), nil}, wantCalls: 2},
		{name: "conflict then duplicate", answers: []error{cancelledWith("TransactionConflict", "None"), cancelledWith("ConditionalCheckFailed", "None")}, wantErr: postauth.ErrDuplicate, wantCalls: 2},
		{name: "conflict every time", answers: []error{cancelledWith("TransactionConflict", "None")}, wantWhy: decision.ReasonTableError, wantCalls: postauth.ConflictAttempts},
		{name: "conflict and throttle every time", answers: []error{cancelledWith("TransactionConflict", "ThrottlingError")}, wantWhy: decision.ReasonTableThrottled, wantCalls: postauth.ConflictAttempts},
		{name: "throttled inside the transaction", answers: []error{cancelledWith("ThrottlingError", "None")}, wantWhy: decision.ReasonTableThrottled, wantCalls: 1},
		{name: "provisioned throughput inside the transaction", answers: []error{cancelledWith("None", "ProvisionedThroughputExceeded")}, wantWhy: decision.ReasonTableThrottled, wantCalls: 1},
		{name: "validation error inside the transaction", answers: []error{cancelledWith("ValidationError", "None")}, wantWhy: decision.ReasonTableError, wantCalls: 1},
		{name: "table missing", answers: []error{&types.ResourceNotFoundException{Message: aws.String("not found")}}, wantWhy: decision.ReasonTableMissing, wantCalls: 1},
		{name: "throughput exceeded", answers: []error{&types.ProvisionedThroughputExceededException{}}, wantWhy: decision.ReasonTableThrottled, wantCalls: 1},
		{name: "request limit", answers: []error{&smithy.GenericAPIError{Code: "RequestLimitExceeded"}}, wantWhy: decision.ReasonTableThrottled, wantCalls: 1},
		{name: "throttling", answers: []error{&smithy.GenericAPIError{Code: "ThrottlingException"}}, wantWhy: decision.ReasonTableThrottled, wantCalls: 1},
		{name: "access denied", answers: []error{&smithy.GenericAPIError{Code: "AccessDeniedException"}}, wantWhy: decision.ReasonTableRefused, wantCalls: 1},
		{name: "internal error", answers: []error{&types.InternalServerError{}}, wantWhy: decision.ReasonTableError, wantCalls: 1},
		{name: "network timeout", answers: []error{timeout}, wantWhy: decision.ReasonTableTimeout, wantCalls: 1},
		{name: "deadline", answers: []error{context.DeadlineExceeded}, wantWhy: decision.ReasonTableTimeout, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			var tokens []*string
			tbl := postauth.NewTable(&fakes.AuditTransactions{TransactWriteItemsFn: func(_ context.Context, in *dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
				tokens = append(tokens, in.ClientRequestToken)
				in.ClientRequestToken = aws.String(fmt.Sprint("token-", calls)) // as the SDK's middleware does
				err := tt.answers[min(calls, len(tt.answers)-1)]
				calls++
				return &dynamodb.TransactWriteItemsOutput{}, err
			}}, "audit")
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			err := tbl.Put(ctx, testRecord())
			if calls != tt.wantCalls {
				t.Errorf("%d calls, want %d", calls, tt.wantCalls)
			}
			for i, tok := range tokens {
				if tok != nil {
					t.Errorf("call %d reused the token %q of an earlier, cancelled transaction", i, *tok)
				}
			}
			switch {
			case tt.wantWhy != "":
				if err == nil || errors.Is(err, postauth.ErrDuplicate) {
					t.Fatalf("err = %v, want a failure", err)
				}
				if got := decision.Table.Failed(ctx, err); got != tt.wantWhy {
					t.Errorf("reason %q, want %q (err %v)", got, tt.wantWhy, err)
				}
			case !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil):
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// TestTablePutHonoursDeadline: conflict retries stop when the write's
// context ends: the write's context ends during the first attempt, and
// no second attempt is sent.
func TestTablePutHonoursDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	calls := 0
	tbl := postauth.NewTable(&fakes.AuditTransactions{TransactWriteItemsFn: func(context.Context, *dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
		calls++
		cancel()
		return nil, cancelledWith("TransactionConflict", "None")
	}}, "audit")
	err := tbl.Put(ctx, testRecord())
	if calls != 1 {
		t.Errorf("%d attempts after the context ended during the first, want 1", calls)
	}
	if got := decision.Table.Failed(ctx, err); got != decision.ReasonTableTimeout {
		t.Errorf("reason %q, want %q", got, decision.ReasonTableTimeout)
	}
}

func TestRecordFromItem(t *testing.T) {
	r := testRecord()
	got, err := postauth.RecordFromItem(postauth.Item(r))
	if err != nil {
		t.Fatal(err)
	}
	want := *r
	want.Key = "" // the item never stores the idempotency key (see Record.Key)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	item := postauth.Item(r)
	delete(item, postauth.AttrRequestID)
	item[postauth.AttrNewDeviceUsed] = &types.AttributeValueMemberS{Value: "true"}
	if _, err := postauth.RecordFromItem(item); err == nil {
		t.Error("an item lacking request_id, with a string new_device_used, was accepted")
	}
	item = postauth.Item(r)
	item[postauth.AttrSignedInAt] = &types.AttributeValueMemberS{Value: "2026-03-14T15:09:26Z"}
	if _, err := postauth.RecordFromItem(item); err == nil {
		t.Error("a time without milliseconds was accepted")
	}
}

// TestItemMatchesFacts: the rebuild line and the item have the same names
// and values, attribute for attribute.
func TestItemMatchesFacts(t *testing.T) {
	r := testRecord()
	fromLog := map[string]any{}
	for _, f := range r.Facts() {
		switch v := f.Value.(type) {
		case int64:
			fromLog[f.Key] = float64(v)
		case string, bool:
			fromLog[f.Key] = v
		default:
			t.Errorf("fact %s is a %T, which the line would not log as the item's value", f.Key, v)
		}
	}
	if diff := cmp.Diff(plain(t, postauth.Item(r)), fromLog); diff != "" {
		t.Errorf("Item vs Facts (-item +facts):\n%s", diff)
	}
}
