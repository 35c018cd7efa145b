package legacyserver

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Table is an in-memory legacy users table with the two DynamoDB calls the
// table source makes (GetItem, and UpdateItem as MarkMigrated writes it),
// for benchmarks and unit tests that must not measure moto. Integration
// tests use moto instead.
type Table struct {
	mu    sync.Mutex
	items map[string]map[string]types.AttributeValue
	// Err, when set, fails every call.
	Err error
}

// NewTable returns an empty table.
func NewTable() *Table { return &Table{items: map[string]map[string]types.AttributeValue{}} }

// Put stores an item under its "username" attribute.
func (t *Table) Put(item map[string]types.AttributeValue) {
	t.mu.Lock()
	defer t.mu.Unlock()
	u := item["username"].(*types.AttributeValueMemberS).Value
	t.items[u] = item
}

func key(k map[string]types.AttributeValue) string {
	if v, ok := k["username"].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// GetItem applies the projection, as DynamoDB does, so that a caller
// reading an attribute it did not project notices.
func (t *Table) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.Err != nil {
		return nil, t.Err
	}
	item := t.items[key(in.Key)]
	if item == nil {
		return &dynamodb.GetItemOutput{}, nil
	}
	if in.ProjectionExpression == nil {
		return &dynamodb.GetItemOutput{Item: item}, nil
	}
	out := map[string]types.AttributeValue{}
	for _, p := range strings.Split(*in.ProjectionExpression, ",") {
		name := strings.TrimSpace(p)
		if n, ok := in.ExpressionAttributeNames[name]; ok {
			name = n
		}
		if v, ok := item[name]; ok {
			out[name] = v
		}
	}
	return &dynamodb.GetItemOutput{Item: out}, nil
}

// ErrConditionFailed is what UpdateItem returns for a missing item.
var ErrConditionFailed = &types.ConditionalCheckFailedException{Message: strPtr("The conditional request failed")}

// UpdateItem supports exactly "SET #m = if_not_exists(#m, :now)" under
// "attribute_exists(#u)".
func (t *Table) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.Err != nil {
		return nil, t.Err
	}
	if in.UpdateExpression == nil || *in.UpdateExpression != "SET #m = if_not_exists(#m, :now)" {
		return nil, errors.New("memtable: unsupported update expression")
	}
	item := t.items[key(in.Key)]
	if item == nil {
		return nil, ErrConditionFailed
	}
	attr := in.ExpressionAttributeNames["#m"]
	if _, ok := item[attr]; !ok {
		item[attr] = in.ExpressionAttributeValues[":now"]
	}
	return &dynamodb.UpdateItemOutput{}, nil
}

func strPtr(s string) *string { return &s }
