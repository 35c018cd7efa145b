// Package trustedtable reads the suite's trusted claims table: the only
// source of tenant and role. Its items are written by the operators (and, for
// a user's first binding, by pre token generation), never by end users.
//
// Items (partition key "pk", string):
//
//	domain#<domain>    tenant_id, default_role   — a sign-up domain and its tenant
//	user#<sub>         tenant_id, app_role       — a user's tenant and role
//	                   (+ bound_at, bound_from when pre token generation bound the user)
//	client#<client_id> tenant_id, app_role, scopes (string set) — an M2M client
package trustedtable

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// GetItemAPI is the one DynamoDB call a reader needs.
type GetItemAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

// PutItemAPI is the DynamoDB call that binds a user on first sign-in.
type PutItemAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// ReadWriteAPI is what a Table that binds users needs; *dynamodb.Client
// implements it.
type ReadWriteAPI interface {
	GetItemAPI
	PutItemAPI
}

// DomainRecord is a domain#<domain> item.
type DomainRecord struct {
	TenantID    string
	DefaultRole string
}

// UserRecord is a user#<sub> item: the user's tenant and role.
type UserRecord struct {
	TenantID string
	AppRole  string
}

// ClientRecord is a client#<client_id> item: a machine-to-machine app
// client's tenant, role and the extra scopes its access tokens carry.
type ClientRecord struct {
	TenantID string
	AppRole  string
	// Scopes is the item's "scopes" string set, sorted (DynamoDB keeps no
	// order in a set, and the same item must always give the same token).
	Scopes []string
}

// Binding is the user#<sub> item written when a user is first bound to
// the tenant of their email domain.
type Binding struct {
	TenantID string
	AppRole  string
	// From names the record the binding was derived from, e.g.
	// "domain#example.com", for the operators' audit.
	From string
	// At is when the binding was made; stored as RFC 3339 UTC.
	At time.Time
}

// ErrBadItem reports an item whose attributes have the wrong DynamoDB type
// (for example "scopes" written as a list or a string instead of a string
// set). The table is trusted, but a broken row must fail loudly rather than
// silently change what a token carries.
var ErrBadItem = errors.New("malformed item")

// ErrReadOnly is returned by Bind on a Table opened with New.
var ErrReadOnly = errors.New("table opened read-only")

// Table reads the trusted table (and, when opened with NewReadWrite, binds
// users).
type Table struct {
	client GetItemAPI
	put    PutItemAPI // nil: read-only
	name   string
}

// New returns a Table reading the named table through client.
func New(client GetItemAPI, name string) *Table { return &Table{client: client, name: name} }

// NewReadWrite returns a Table that can also Bind users.
func NewReadWrite(client ReadWriteAPI, name string) *Table {
	return &Table{client: client, put: client, name: name}
}

// Domain returns the record of exactly this domain (no parent-domain
// fallback: admitting subdomains is an explicit allowlist decision).
func (t *Table) Domain(ctx context.Context, domain string) (DomainRecord, bool, error) {
	item, err := t.get(ctx, "domain#"+domain, false)
	if err != nil || item == nil {
		return DomainRecord{}, false, err
	}
	return DomainRecord{TenantID: str(item, "tenant_id"), DefaultRole: str(item, "default_role")}, true, nil
}

// User returns the record of the user with this sub. The read is eventually
// consistent: a binding written a moment ago may not be seen yet, which
// Bind's conditional write makes harmless.
func (t *Table) User(ctx context.Context, sub string) (UserRecord, bool, error) {
	return t.user(ctx, sub, false)
}

func (t *Table) user(ctx context.Context, sub string, consistent bool) (UserRecord, bool, error) {
	item, err := t.get(ctx, "user#"+sub, consistent)
	if err != nil || item == nil {
		return UserRecord{}, false, err
	}
	return UserRecord{TenantID: str(item, "tenant_id"), AppRole: str(item, "app_role")}, true, nil
}

// Client returns the record of the app client with this id. A "scopes"
// attribute that is not a string set is ErrBadItem.
func (t *Table) Client(ctx context.Context, clientID string) (ClientRecord, bool, error) {
	item, err := t.get(ctx, "client#"+clientID, false)
	if err != nil || item == nil {
		return ClientRecord{}, false, err
	}
	rec := ClientRecord{TenantID: str(item, "tenant_id"), AppRole: str(item, "app_role")}
	switch v := item["scopes"].(type) {
	case nil:
	case *types.AttributeValueMemberSS:
		rec.Scopes = slices.Clone(v.Value)
		slices.Sort(rec.Scopes)
	default:
		return ClientRecord{}, false, fmt.Errorf("get client#… from %s: %w: scopes is %T, want a string set", t.name, ErrBadItem, v)
	}
	return rec, true, nil
}

// Bind writes user#<sub> from b unless the item already exists, and
// returns the record that holds afterwards. written is true when this call
// wrote it. When another writer got there first (a concurrent first
// sign-in, a Cognito retry, an operator), the existing item is re-read
// with a strongly consistent read and returned unchanged: an existing
// binding is never overwritten, so a user's tenant is fixed from the first
// binding on, whatever their email later becomes.
func (t *Table) Bind(ctx context.Context, sub string, b Binding) (rec UserRecord, written bool, err error) {
	if t.put == nil {
		return UserRecord{}, false, ErrReadOnly
	}
	_, err = t.put.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(t.name),
		Item: map[string]types.AttributeValue{
			"pk":         &types.AttributeValueMemberS{Value: "user#" + sub},
			"tenant_id":  &types.AttributeValueMemberS{Value: b.TenantID},
			"app_role":   &types.AttributeValueMemberS{Value: b.AppRole},
			"bound_at":   &types.AttributeValueMemberS{Value: b.At.UTC().Format(time.RFC3339)},
			"bound_from": &types.AttributeValueMemberS{Value: b.From},
		},
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if err == nil {
		return UserRecord{TenantID: b.TenantID, AppRole: b.AppRole}, true, nil
	}
	var lost *types.ConditionalCheckFailedException
	if !errors.As(err, &lost) {
		return UserRecord{}, false, fmt.Errorf("bind user#… in %s: %w", t.name, err)
	}
	rec, found, err := t.user(ctx, sub, true)
	if err != nil {
		return UserRecord{}, false, fmt.Errorf("re-read after a lost bind race: %w", err)
	}
	if !found {
		// The item existed at the write and is gone at the consistent read:
		// an operator deleted it in between. Do not guess.
		return UserRecord{}, false, fmt.Errorf("bind user#… in %s: the existing item vanished before it could be re-read", t.name)
	}
	return rec, false, nil
}

// projection names every attribute a record is read from. The names go
// through placeholders so that no attribute can collide with one of
// DynamoDB's reserved words. pk is included so that an item lacking every
// other attribute still reads as present (and then fails validation as a
// broken row) instead of as absent, which would invite a new binding.
const projection = "#k, #t, #r, #d, #s"

func projectionNames() map[string]string {
	return map[string]string{"#k": "pk", "#t": "tenant_id", "#r": "app_role", "#d": "default_role", "#s": "scopes"}
}

func (t *Table) get(ctx context.Context, pk string, consistent bool) (map[string]types.AttributeValue, error) {
	in := &dynamodb.GetItemInput{
		TableName:                aws.String(t.name),
		Key:                      map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}},
		ProjectionExpression:     aws.String(projection),
		ExpressionAttributeNames: projectionNames(),
	}
	if consistent {
		in.ConsistentRead = aws.Bool(true)
	}
	out, err := t.client.GetItem(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("get %s from %s: %w", keyKind(pk), t.name, err)
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

// keyKind names the item type without the user's identifier, so error
// texts that reach the logs carry no sub or email domain.
func keyKind(pk string) string {
	for i := 0; i < len(pk); i++ {
		if pk[i] == '#' {
			return pk[:i+1] + "…"
		}
	}
	return "item"
}

func str(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}
