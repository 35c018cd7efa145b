// Package trustedtable reads the suite's trusted claims table: the only
// source of tenant and role. Its items are written by the operators (and, for
// a user's first binding, by pre token generation), never by end users.
//
// Items (partition key "pk", string):
//
//	domain#<domain>    tenant_id, default_role   — a sign-up domain and its tenant
//	user#<sub>         tenant_id, app_role       — a user's tenant and role
//	client#<client_id> tenant_id, app_role, scopes (string set) — an M2M client
package trustedtable

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// GetItemAPI is the one DynamoDB call a reader needs.
type GetItemAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

// DomainRecord is a domain#<domain> item.
type DomainRecord struct {
	TenantID    string
	DefaultRole string
}

// Table reads the trusted table.
type Table struct {
	client GetItemAPI
	name   string
}

// New returns a Table reading the named table through client.
func New(client GetItemAPI, name string) *Table { return &Table{client: client, name: name} }

// Name is the table's name.
func (t *Table) Name() string { return t.name }

// Domain returns the record of exactly this domain (no parent-domain
// fallback: admitting subdomains is an explicit allowlist decision).
func (t *Table) Domain(ctx context.Context, domain string) (DomainRecord, bool, error) {
	item, err := t.get(ctx, "domain#"+domain, "tenant_id, default_role")
	if err != nil || item == nil {
		return DomainRecord{}, false, err
	}
	return DomainRecord{TenantID: str(item, "tenant_id"), DefaultRole: str(item, "default_role")}, true, nil
}

func (t *Table) get(ctx context.Context, pk, projection string) (map[string]types.AttributeValue, error) {
	out, err := t.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:            aws.String(t.name),
		Key:                  map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}},
		ProjectionExpression: aws.String(projection),
	})
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
