package pretoken

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/pretoken/pretokentest"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// tableOf is a trusted table whose every look-up answers with the
// fuzzer's record: whatever key is asked for, the table holds (tenant,
// role, scopes) or nothing. It remembers the keys it was asked for.
type tableOf struct {
	tenant, role string
	scopes       []string
	user, other  bool // user#… present; client#…/domain#… present

	mu            sync.Mutex
	bound         map[string]trustedtable.UserRecord
	bindingWrites int
	subs          []string // the keys of User and Bind
}

func (s *tableOf) fake() *fakes.TrustedTable {
	return &fakes.TrustedTable{
		UserFn: func(_ context.Context, sub string) (trustedtable.UserRecord, bool, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.subs = append(s.subs, sub)
			if r, ok := s.bound[sub]; ok {
				return r, true, nil
			}
			return trustedtable.UserRecord{TenantID: s.tenant, AppRole: s.role}, s.user, nil
		},
		ClientFn: func(context.Context, string) (trustedtable.ClientRecord, bool, error) {
			return trustedtable.ClientRecord{TenantID: s.tenant, AppRole: s.role, Scopes: s.scopes}, s.other, nil
		},
		DomainFn: func(context.Context, string) (trustedtable.DomainRecord, bool, error) {
			return trustedtable.DomainRecord{TenantID: s.tenant, DefaultRole: s.role}, s.other, nil
		},
		BindFn: func(_ context.Context, sub string, b trustedtable.Binding) (trustedtable.UserRecord, bool, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.subs = append(s.subs, sub)
			if r, ok := s.bound[sub]; ok {
				return r, false, nil
			}
			if s.bound == nil {
				s.bound = map[string]trustedtable.UserRecord{}
			}
			r := trustedtable.UserRecord{TenantID: b.TenantID, AppRole: b.AppRole}
			s.bound[sub] = r
			s.bindingWrites++
			return r, true, nil
		},
	}
}

// FuzzDecide drives the whole handler with any event bytes and any table
// content. Invariants, for every answer:
//   - the answer is valid JSON;
//   - tenant_id and app_role appear only with the table's values, and no
//     other claim is added; scopes added are the table's;
//   - no reserved claim is added or suppressed;
//   - groupOverrideDetails is the request's groupConfiguration, or absent;
//   - the table is only ever asked for the sub the strict decoder reads
//     from the event (escapes, duplicates and case variants cannot make
//     the decision read another);
//   - a second invocation of the same event gives the same result;
//
// and every refusal is one of the fixed user-safe texts.
func FuzzDecide(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(testevent.Dir(), "pretoken-*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no pre-token fixtures (%v)", err)
	}
	files = append(files, "testdata/pretoken-v2-2kb.json")
	for i, name := range files {
		raw := testevent.Raw(f, name)
		var c bytes.Buffer
		if err := json.Compact(&c, raw); err != nil {
			f.Fatal(err)
		}
		f.Add(raw, "acme", "admin", "", true, true, false)
		f.Add(c.Bytes(), "initech", "member", "orders.read,orders.write", i%2 == 0, true, i%3 == 0)
		f.Add(c.Bytes(), " ACME/../globex\u202e ", "admin", "a b", false, true, false)
		f.Add(c.Bytes(), "globex", "", "", false, false, true)
	}
	const head = `{"version":"1","triggerSource":"TokenGeneration_RefreshTokens","userPoolId":"p","callerContext":{"clientId":"c"},`
	for _, req := range []string{
		`"request":{"userAttributes":{"sub":"s","email":"a@b.example","email_verified":"true"},"groupConfiguration":{ "groupsToOverride" : [ ] }},"response":null}`,
		// The shapes a hand-written reader could misread.
		`"request":{"userAttributes":{"sub":"a","sub":"b"}},"response":null}`,
		`"request":{"userAttributes":{"s\u0075b":"a"},"groupConfiguration":null},"response":null}`,
		`"request":{"userAttributes":{"sub":"a"},"userAttributeſ":{"sub":"b"}},"response":null}`,
		`"request":{"userAttributes":{"sub":"a\u0062c","name":"a\"}b"}},"response":{"claimsOverrideDetails":[]}}`,
		`"request":{"userAttributes":{"sub":1}},"response":null}`,
	} {
		f.Add([]byte(head+req), "t", "r", "", false, true, false)
	}
	f.Fuzz(func(t *testing.T, event []byte, tenant, role, scopes string, user, other, omit bool) {
		store := &tableOf{tenant: tenant, role: role, user: user, other: other}
		if scopes != "" {
			store.scopes = strings.Split(scopes, ",")
		}
		policy := PolicyDeny
		if omit {
			policy = PolicyOmit
		}
		d, err := New(Config{Table: "claims", MissingPolicy: policy, CacheTTL: DefaultCacheTTL, TableTimeout: time.Second},
			Deps{Store: store.fake()})
		if err != nil {
			t.Fatal(err)
		}
		h := invoke.New[triggers.PreToken](invoke.Options{Function: "pretoken",
			Logger: telemetry.NewLogger(discard{}, slog.LevelInfo)}, d.Decide)
		first, err1 := h.Invoke(context.Background(), event)
		checkFuzzResult(t, event, first, err1, store)
		again, err2 := h.Invoke(context.Background(), event)
		checkFuzzResult(t, event, again, err2, store)
		if errText(err1) != errText(err2) || !sameJSON(t, first, again) {
			t.Fatalf("replay differs:\n%s / %v\n%s / %v", first, err1, again, err2)
		}
		if store.bindingWrites > 1 {
			t.Fatalf("%d bindings written for one event", store.bindingWrites)
		}
		checkSubs(t, event, store)
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// sameJSON reports whether two answers are the same JSON (both nil for
// two refusals).
func sameJSON(t *testing.T, a, b []byte) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	return reflect.DeepEqual(x, y)
}

// checkSubs: every key the table was asked for is the sub of the event as
// the strict decoder reads it.
func checkSubs(t *testing.T, event []byte, store *tableOf) {
	store.mu.Lock()
	defer store.mu.Unlock()
	if len(store.subs) == 0 {
		return
	}
	ev, err := triggers.Decode[triggers.PreToken](event)
	if err != nil {
		t.Fatalf("the table was asked for %q on an event that does not decode: %v", store.subs, err)
	}
	var sub string
	switch {
	case ev.V1 != nil:
		sub = ev.V1.Request.UserAttributes.Get("sub")
	case ev.V2 != nil:
		sub = ev.V2.Request.UserAttributes.Get("sub")
	}
	for _, s := range store.subs {
		if s != sub || !validKey(s) {
			t.Fatalf("table asked for %q, the event's sub is %q", s, sub)
		}
	}
}

func checkFuzzResult(t *testing.T, event, out []byte, err error, store *tableOf) {
	t.Helper()
	if err != nil {
		var ue *decision.UserError
		if !errors.As(err, &ue) {
			t.Fatalf("error is not a UserError: %T %v", err, err)
		}
		switch ue.Message {
		case DenyMessage, decision.GenericMessage, decision.MalformedMessage:
		default:
			t.Fatalf("refusal text is not user-safe: %q", ue.Message)
		}
		if out != nil {
			t.Fatalf("refusal with an answer: %s", out)
		}
		return
	}
	if !json.Valid(out) {
		t.Fatalf("answer is not valid JSON:\n%s", out)
	}
	if p := pretokentest.LintClaims(out); len(p) > 0 {
		t.Fatalf("claim lint: %s\n%s", strings.Join(p, "; "), out)
	}
	if err := pretokentest.GroupsCopied(event, out); err != nil {
		t.Fatalf("%v", err)
	}
	var ev struct {
		Response struct {
			V1 *struct {
				Add map[string]string `json:"claimsToAddOrOverride"`
			} `json:"claimsOverrideDetails"`
			V2 *struct {
				ID *struct {
					Add map[string]string `json:"claimsToAddOrOverride"`
				} `json:"idTokenGeneration"`
				Access *struct {
					Add    map[string]string `json:"claimsToAddOrOverride"`
					Scopes []string          `json:"scopesToAdd"`
				} `json:"accessTokenGeneration"`
			} `json:"claimsAndScopeOverrideDetails"`
		} `json:"response"`
	}
	if err := json.Unmarshal(out, &ev); err != nil {
		t.Fatalf("answer does not decode: %v\n%s", err, out)
	}
	var adds []map[string]string
	if v1 := ev.Response.V1; v1 != nil {
		adds = append(adds, v1.Add)
	}
	if v2 := ev.Response.V2; v2 != nil {
		if v2.ID != nil {
			adds = append(adds, v2.ID.Add)
		}
		if v2.Access != nil {
			adds = append(adds, v2.Access.Add)
			if v2.Access.Scopes != nil && !slices.Equal(v2.Access.Scopes, store.scopes) {
				t.Fatalf("scopes %q are not the table's %q", v2.Access.Scopes, store.scopes)
			}
		}
	}
	if ev.Response.V1 == nil && ev.Response.V2 == nil {
		t.Fatalf("answer without overrides:\n%s", out)
	}
	for _, add := range adds {
		if add == nil {
			continue
		}
		if add["tenant_id"] != store.tenant || add["app_role"] != store.role || len(add) != 2 {
			t.Fatalf("added claims %q are not the table's (%q, %q)", add, store.tenant, store.role)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
