package trustedtable

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/harness"
)

// The integration tests run the real Table against moto_server (DynamoDB
// API). A missing moto_server fails them, with the fix in the message.
func TestMain(m *testing.M) { harness.Main(m) }

const tableName = "claims"

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// motoTable returns an empty claims table on moto and a read-write Table
// over it.
func motoTable(t *testing.T) (*harness.Moto, *Table) {
	t.Helper()
	m := harness.MotoT(t)
	if err := m.CreateTable(t.Context(), tableName, "pk", ""); err != nil {
		t.Fatal(err)
	}
	return m, NewReadWrite(m.DynamoDB(), tableName)
}

func put(t *testing.T, m *harness.Moto, item map[string]types.AttributeValue) {
	t.Helper()
	if err := m.PutItem(t.Context(), tableName, item); err != nil {
		t.Fatal(err)
	}
}

func TestGetItems(t *testing.T) {
	m, tbl := motoTable(t)
	ctx := t.Context()
	put(t, m, map[string]types.AttributeValue{"pk": s("domain#example.com"), "tenant_id": s("acme"), "default_role": s("member")})
	put(t, m, map[string]types.AttributeValue{"pk": s("user#sub-1"), "tenant_id": s("acme"), "app_role": s("admin"),
		"bound_at": s("2026-11-25T12:00:00Z"), "bound_from": s("domain#example.com")})
	put(t, m, map[string]types.AttributeValue{"pk": s("client#m2m"), "tenant_id": s("initech"), "app_role": s("service"),
		"scopes": &types.AttributeValueMemberSS{Value: []string{"orders.write", "orders.read"}}})
	put(t, m, map[string]types.AttributeValue{"pk": s("client#noscopes"), "tenant_id": s("initech"), "app_role": s("service")})
	put(t, m, map[string]types.AttributeValue{"pk": s("client#listscopes"), "tenant_id": s("initech"), "app_role": s("service"),
		"scopes": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("orders.read")}}})
	put(t, m, map[string]types.AttributeValue{"pk": s("user#bare")})
	put(t, m, map[string]types.AttributeValue{"pk": s("user#numeric"), "tenant_id": &types.AttributeValueMemberN{Value: "7"}, "app_role": s("admin")})

	dom, found, err := tbl.Domain(ctx, "example.com")
	if err != nil || !found || dom != (DomainRecord{TenantID: "acme", DefaultRole: "member"}) {
		t.Errorf("Domain = %+v %v %v", dom, found, err)
	}
	if _, found, err := tbl.Domain(ctx, "sub.example.com"); err != nil || found {
		t.Errorf("Domain(sub.example.com) found=%v err=%v, want absent (exact match only)", found, err)
	}
	user, found, err := tbl.User(ctx, "sub-1")
	if err != nil || !found || user != (UserRecord{TenantID: "acme", AppRole: "admin"}) {
		t.Errorf("User = %+v %v %v", user, found, err)
	}
	if _, found, err := tbl.User(ctx, "sub-2"); err != nil || found {
		t.Errorf("User(absent) found=%v err=%v", found, err)
	}
	// An item with no attributes but its key still exists: it must read
	// as present (and fail validation upstream), not as absent, or the
	// trigger would try to bind over it.
	if rec, found, err := tbl.User(ctx, "bare"); err != nil || !found || rec != (UserRecord{}) {
		t.Errorf("User(bare) = %+v %v %v, want present and empty", rec, found, err)
	}
	if rec, found, err := tbl.User(ctx, "numeric"); err != nil || !found || rec.TenantID != "" {
		t.Errorf("User(numeric) = %+v %v %v, want present with no string tenant", rec, found, err)
	}
	client, found, err := tbl.Client(ctx, "m2m")
	if err != nil || !found {
		t.Fatalf("Client = %v %v", found, err)
	}
	if diff := cmp.Diff(ClientRecord{TenantID: "initech", AppRole: "service", Scopes: []string{"orders.read", "orders.write"}}, client); diff != "" {
		t.Errorf("Client (-want +got):\n%s", diff)
	}
	if c, found, err := tbl.Client(ctx, "noscopes"); err != nil || !found || c.Scopes != nil {
		t.Errorf("Client(noscopes) = %+v %v %v", c, found, err)
	}
	if _, _, err := tbl.Client(ctx, "listscopes"); !errors.Is(err, ErrBadItem) {
		t.Errorf("Client(listscopes) err = %v, want ErrBadItem", err)
	}
	if _, found, err := tbl.Client(ctx, "nobody"); err != nil || found {
		t.Errorf("Client(absent) found=%v err=%v", found, err)
	}
}

func TestBind(t *testing.T) {
	m, tbl := motoTable(t)
	ctx := t.Context()
	at := time.Date(2026, 11, 25, 12, 30, 0, 0, time.FixedZone("CET", 3600))
	rec, written, err := tbl.Bind(ctx, "sub-1", Binding{TenantID: "acme", AppRole: "member", From: "domain#example.com", At: at})
	if err != nil || !written || rec != (UserRecord{TenantID: "acme", AppRole: "member"}) {
		t.Fatalf("first Bind = %+v %v %v", rec, written, err)
	}
	out, err := m.DynamoDB().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(tableName),
		Key: map[string]types.AttributeValue{"pk": s("user#sub-1")}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, v := range out.Item {
		got[k] = v.(*types.AttributeValueMemberS).Value
	}
	want := map[string]string{"pk": "user#sub-1", "tenant_id": "acme", "app_role": "member",
		"bound_at": "2026-11-25T11:30:00Z", "bound_from": "domain#example.com"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored binding (-want +got):\n%s", diff)
	}
	// A second binding, even to another tenant, never overwrites.
	rec, written, err = tbl.Bind(ctx, "sub-1", Binding{TenantID: "globex", AppRole: "admin", From: "domain#globex.example", At: at})
	if err != nil || written || rec != (UserRecord{TenantID: "acme", AppRole: "member"}) {
		t.Errorf("second Bind = %+v %v %v, want the first record, not written", rec, written, err)
	}
	// An operator's record is never overwritten either.
	put(t, m, map[string]types.AttributeValue{"pk": s("user#sub-2"), "tenant_id": s("initech"), "app_role": s("owner")})
	rec, written, err = tbl.Bind(ctx, "sub-2", Binding{TenantID: "acme", AppRole: "member", From: "domain#example.com", At: at})
	if err != nil || written || rec != (UserRecord{TenantID: "initech", AppRole: "owner"}) {
		t.Errorf("Bind over an operator's record = %+v %v %v", rec, written, err)
	}
}

// TestBindRace: concurrent first sign-ins of one user (say, two devices,
// or a Cognito retry racing the original) bind once; every caller gets
// the winner's record.
func TestBindRace(t *testing.T) {
	_, tbl := motoTable(t)
	for round := 0; round < 5; round++ {
		sub := "racer-" + string(rune('a'+round))
		const n = 4
		var wg sync.WaitGroup
		recs := make([]UserRecord, n)
		wrote := make([]bool, n)
		errs := make([]error, n)
		for i := 0; i < n; i++ {
			wg.Go(func() {
				tenant := []string{"acme", "globex", "initech", "umbrella"}[i]
				recs[i], wrote[i], errs[i] = tbl.Bind(context.Background(), sub,
					Binding{TenantID: tenant, AppRole: "member", From: "domain#" + tenant + ".example", At: time.Now()})
			})
		}
		wg.Wait()
		winners := 0
		for i := 0; i < n; i++ {
			if errs[i] != nil {
				t.Fatalf("round %d caller %d: %v", round, i, errs[i])
			}
			if wrote[i] {
				winners++
			}
			if recs[i] != recs[0] {
				t.Errorf("round %d: callers disagree: %+v vs %+v", round, recs[i], recs[0])
			}
		}
		if winners != 1 {
			t.Errorf("round %d: %d callers wrote, want exactly 1", round, winners)
		}
		stored, found, err := tbl.user(context.Background(), sub, true)
		if err != nil || !found || stored != recs[0] {
			t.Errorf("round %d: stored %+v %v %v, answered %+v", round, stored, found, err, recs[0])
		}
	}
}

// TestErrorsNameNoIdentifier: error texts reach the logs; they name the
// item kind, never the sub, client id or domain.
func TestErrorsNameNoIdentifier(t *testing.T) {
	m := harness.MotoT(t) // no table created: every call fails
	tbl := NewReadWrite(m.DynamoDB(), "missing-table")
	ctx := t.Context()
	_, _, err1 := tbl.User(ctx, "secret-sub-123")
	_, _, err2 := tbl.Domain(ctx, "private.example")
	_, _, err3 := tbl.Client(ctx, "client-xyz")
	_, _, err4 := tbl.Bind(ctx, "secret-sub-123", Binding{TenantID: "t", AppRole: "r", From: "domain#private.example", At: time.Now()})
	for i, err := range []error{err1, err2, err3, err4} {
		if err == nil {
			t.Fatalf("call %d succeeded on a missing table", i)
		}
		var rnf *types.ResourceNotFoundException
		if !errors.As(err, &rnf) {
			t.Errorf("call %d: %v does not wrap ResourceNotFoundException", i, err)
		}
		for _, id := range []string{"secret-sub-123", "private.example", "client-xyz"} {
			if strings.Contains(err.Error(), id) {
				t.Errorf("call %d: error names %q: %v", i, id, err)
			}
		}
	}
}

// fakeRW scripts PutItem and GetItem for the paths moto cannot produce.
type fakeRW struct {
	putErr error
	item   map[string]types.AttributeValue
	gets   []*dynamodb.GetItemInput
}

func (f *fakeRW) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.gets = append(f.gets, in)
	return &dynamodb.GetItemOutput{Item: f.item}, nil
}

func (f *fakeRW) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return nil, f.putErr
}

func TestBindLostRaceReadsConsistently(t *testing.T) {
	f := &fakeRW{putErr: &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")},
		item: map[string]types.AttributeValue{"pk": s("user#u"), "tenant_id": s("acme"), "app_role": s("admin")}}
	rec, written, err := NewReadWrite(f, tableName).Bind(context.Background(), "u", Binding{TenantID: "globex", AppRole: "x", At: time.Now()})
	if err != nil || written || rec != (UserRecord{TenantID: "acme", AppRole: "admin"}) {
		t.Fatalf("Bind = %+v %v %v", rec, written, err)
	}
	if len(f.gets) != 1 || f.gets[0].ConsistentRead == nil || !*f.gets[0].ConsistentRead {
		t.Errorf("re-read was not strongly consistent: %+v", f.gets)
	}
	// The item vanished between the failed write and the re-read.
	f.item = nil
	if _, _, err := NewReadWrite(f, tableName).Bind(context.Background(), "u", Binding{TenantID: "globex", AppRole: "x", At: time.Now()}); err == nil {
		t.Error("Bind answered without a record")
	}
	if _, _, err := New(f, tableName).Bind(context.Background(), "u", Binding{}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only Bind err = %v", err)
	}
}
