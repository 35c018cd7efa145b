package legacy_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/internal/harness"
	"github.com/cognito-triggers/suite/internal/legacyserver"
	"github.com/cognito-triggers/suite/pkg/awsconf"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/dynamo"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/legacy"
	"github.com/cognito-triggers/suite/pkg/passhash"
	"github.com/cognito-triggers/suite/pkg/secretcache"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

func TestMain(m *testing.M) { harness.Main(m) }

const usersTable = "legacy-users"

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func b(v bool) types.AttributeValue   { return &types.AttributeValueMemberBOOL{Value: v} }

// countingSM counts GetSecretValue calls on the way to moto.
type countingSM struct {
	secretcache.GetSecretValueAPI
	calls atomic.Int32
}

func (c *countingSM) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, o ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	c.calls.Add(1)
	return c.GetSecretValueAPI.GetSecretValue(ctx, in, o...)
}

func newVerifier(t testing.TB) *passhash.Verifier {
	t.Helper()
	v, err := passhash.New(passhash.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// cheapDummies makes the dummy verification a bcrypt of cost 5 (a
// published vector's parameters), for tests that run a hundred "no"s and
// are about which answer comes back, not how long it takes.
var cheapDummies = passhash.Options{TypicalHashes: map[passhash.Scheme]string{
	passhash.SchemeBcrypt: "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
}}

// TestTableVectorsAgainstMoto runs every published vector of
// pkg/passhash/testdata through the table source against moto: the
// record's hash is the vector's, the password the vector's, and a match
// must migrate while a non-match, a corrupted hash or an unsupported one
// must not. Every matching vector is also tried with a wrong password.
// Vectors marked slow (256 MiB of argon2 memory) are left to passhash's own
// tests, which skip them under -short too.
func TestTableVectorsAgainstMoto(t *testing.T) {
	ctx := context.Background()
	moto := harness.MotoT(t)
	if err := moto.CreateTable(ctx, usersTable, "username", ""); err != nil {
		t.Fatal(err)
	}
	vectors, projects, err := legacyserver.LoadVectors("../passhash/testdata")
	if err != nil {
		t.Fatal(err)
	}
	cheap, err := passhash.New(cheapDummies)
	if err != nil {
		t.Fatal(err)
	}
	stores := map[string]*legacy.Table{"": legacy.NewTable(moto.DynamoDB(), legacy.TableOptions{Name: usersTable}, cheap, nil)}
	for name, p := range projects {
		id := "legacy/firebase-" + name
		if err := moto.CreateSecret(ctx, id, p.SecretJSON()); err != nil {
			t.Fatal(err)
		}
		fb := secretcache.New(moto.SecretsManager(), id, secretcache.Options{TTL: time.Hour}, legacy.FirebaseVerifierParser(cheapDummies))
		stores[name] = legacy.NewTable(moto.DynamoDB(), legacy.TableOptions{Name: usersTable}, cheap, fb)
	}
	perScheme := map[string]int{}
	for _, v := range vectors {
		if v.Slow {
			continue
		}
		t.Run(v.File+"/"+v.Name, func(t *testing.T) {
			user := "vec-" + v.File + "-" + v.Name
			if err := moto.PutItem(ctx, usersTable, map[string]types.AttributeValue{
				"username": s(user), "password_hash": s(v.Encoded), "email": s(user + "@example.com"), "email_verified": b(true),
			}); err != nil {
				t.Fatal(err)
			}
			store := stores[v.Project]
			ans, err := store.Authenticate(ctx, user, triggers.Password(v.Password))
			if err != nil {
				t.Fatal(err)
			}
			want := legacy.Answer{Note: decision.ReasonInvalidCredentials}
			switch {
			case v.Match:
				want = legacy.Answer{OK: true, User: legacy.User{Username: user, Email: user + "@example.com", EmailVerified: true}}
			case v.Err == "malformed":
				want.Note = decision.ReasonHashMalformed
			case v.Err == "unsupported":
				want.Note = decision.ReasonHashUnsupported
			}
			want.Scheme = ans.Scheme // compared below on its own
			if diff := cmp.Diff(want, ans); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			if v.Err != "unsupported" && v.Err == "" && string(ans.Scheme) != v.Scheme {
				t.Errorf("scheme = %q, want %q", ans.Scheme, v.Scheme)
			}
			if v.Match {
				perScheme[v.Scheme]++
				wrong := triggers.Password(v.Password) + "x"
				if perScheme[v.Scheme] > 2 {
					return // two wrong-password checks per scheme keep the run short
				}
				ans, err := store.Authenticate(ctx, user, wrong)
				if err != nil || ans.OK || ans.Note != decision.ReasonInvalidCredentials {
					t.Errorf("wrong password: %+v, %v; want %s", ans, err, decision.ReasonInvalidCredentials)
				}
			}
		})
	}
	for _, scheme := range []string{"bcrypt", "argon2id", "pbkdf2_sha256", "firebase_scrypt"} {
		if perScheme[scheme] == 0 {
			t.Errorf("no matching %s vector ran", scheme)
		}
	}
}

// TestTableFetchesFirebaseSecretOnlyWhenNeeded: bcrypt records and unknown
// users never read the secret; the first Firebase record does, once.
func TestTableFetchesFirebaseSecretOnlyWhenNeeded(t *testing.T) {
	ctx := context.Background()
	moto := harness.MotoT(t)
	if err := moto.CreateTable(ctx, usersTable, "username", ""); err != nil {
		t.Fatal(err)
	}
	vectors, projects, err := legacyserver.LoadVectors("../passhash/testdata")
	if err != nil {
		t.Fatal(err)
	}
	if err := moto.CreateSecret(ctx, "legacy/fb", projects["readme"].SecretJSON()); err != nil {
		t.Fatal(err)
	}
	sm := &countingSM{GetSecretValueAPI: moto.SecretsManager()}
	fb := secretcache.New(sm, "legacy/fb", secretcache.Options{TTL: time.Hour}, legacy.FirebaseVerifierParser(passhash.Options{}))
	store := legacy.NewTable(moto.DynamoDB(), legacy.TableOptions{Name: usersTable}, newVerifier(t), fb)
	put := func(user, enc string) {
		if err := moto.PutItem(ctx, usersTable, map[string]types.AttributeValue{"username": s(user), "password_hash": s(enc)}); err != nil {
			t.Fatal(err)
		}
	}
	bc := find(t, vectors, "x-crypto-allmine-cost10")
	fv := find(t, vectors, "readme-user1password")
	put("bob", bc.Encoded)
	put("fiona", fv.Encoded)
	if ans, err := store.Authenticate(ctx, "bob", triggers.Password(bc.Password)); err != nil || !ans.OK {
		t.Fatalf("bcrypt user: %+v, %v", ans, err)
	}
	if ans, err := store.Authenticate(ctx, "nobody", "pw"); err != nil || ans.OK {
		t.Fatalf("unknown user: %+v, %v", ans, err)
	}
	if n := sm.calls.Load(); n != 0 {
		t.Errorf("%d secret fetches before any Firebase record", n)
	}
	for range 2 {
		if ans, err := store.Authenticate(ctx, "fiona", triggers.Password(fv.Password)); err != nil || !ans.OK || ans.Scheme != passhash.SchemeFirebaseScrypt {
			t.Fatalf("firebase user: %+v, %v", ans, err)
		}
	}
	if n := sm.calls.Load(); n != 1 {
		t.Errorf("%d secret fetches for two Firebase sign-ins, want 1", n)
	}
	// Without the secret configured, a Firebase record is unsupported
	// (counted apart in the log), not an error.
	bare := legacy.NewTable(moto.DynamoDB(), legacy.TableOptions{Name: usersTable}, newVerifier(t), nil)
	if ans, err := bare.Authenticate(ctx, "fiona", triggers.Password(fv.Password)); err != nil || ans.OK || ans.Note != decision.ReasonHashUnsupported {
		t.Errorf("firebase without parameters: %+v, %v", ans, err)
	}
	// The secret unavailable: an error, not a "no".
	broken := legacy.NewTable(moto.DynamoDB(), legacy.TableOptions{Name: usersTable}, newVerifier(t),
		secretcache.New(moto.SecretsManager(), "no/such/secret", secretcache.Options{}, legacy.FirebaseVerifierParser(passhash.Options{})))
	if _, err := broken.Authenticate(ctx, "fiona", triggers.Password(fv.Password)); legacy.ReasonOf(ctx, err) != decision.ReasonSecretMissing {
		t.Errorf("missing secret: err = %v, want %s", err, decision.ReasonSecretMissing)
	}
}

func find(t testing.TB, vectors []legacyserver.Vector, name string) legacyserver.Vector {
	t.Helper()
	for _, v := range vectors {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no vector %q", name)
	return legacyserver.Vector{}
}

// TestTableProfile: strict item types, the projection, and a broken
// profile reported only to someone who knows the password.
func TestTableProfile(t *testing.T) {
	ctx := context.Background()
	vectors, _, err := legacyserver.LoadVectors("../passhash/testdata")
	if err != nil {
		t.Fatal(err)
	}
	vec := find(t, vectors, "openwall-2a-U*U") // cost 5: cheap
	mem := legacyserver.NewTable()
	store := legacy.NewTable(mem, legacy.TableOptions{Name: usersTable, Attributes: []string{"name", "custom:plan", "phone_number"}}, newVerifier(t), nil)
	mem.Put(map[string]types.AttributeValue{
		"username": s("ann"), "password_hash": s(vec.Encoded), "email": s("ann@example.com"), "email_verified": b(true),
		"phone_number": s("+15555550101"), "phone_number_verified": b(false),
		"name": s("Ann"), "custom:plan": s("gold"), "custom:role": s("admin"), "given_name": s("not projected"),
	})
	mem.Put(map[string]types.AttributeValue{
		"username": s("bad"), "password_hash": s(vec.Encoded), "email": s("bad@example.com"), "email_verified": s("true"),
	})
	mem.Put(map[string]types.AttributeValue{"username": s("nohash"), "email": s("n@example.com")})
	mem.Put(map[string]types.AttributeValue{"username": s("numhash"), "password_hash": &types.AttributeValueMemberN{Value: "1"}})

	ans, err := store.Authenticate(ctx, "ann", triggers.Password(vec.Password))
	if err != nil {
		t.Fatal(err)
	}
	want := legacy.User{Username: "ann", Email: "ann@example.com", EmailVerified: true, PhoneNumber: "+15555550101",
		Attributes: map[string]string{"name": "Ann", "custom:plan": "gold"}}
	if diff := cmp.Diff(want, ans.User); diff != "" {
		t.Errorf("profile (-want +got):\n%s", diff)
	}
	if _, err := store.Authenticate(ctx, "bad", triggers.Password(vec.Password)); legacy.ReasonOf(ctx, err) != decision.ReasonLegacyMalformed || !strings.Contains(err.Error(), `"email_verified" is a string (S), want a boolean`) {
		t.Errorf("string-typed flag with the right password: err = %v, want %s", err, decision.ReasonLegacyMalformed)
	}
	if ans, err := store.Authenticate(ctx, "bad", "wrong"); err != nil || ans.Note != decision.ReasonInvalidCredentials {
		t.Errorf("string-typed flag with a wrong password: %+v, %v; want a plain no", ans, err)
	}
	if _, err := store.Lookup(ctx, "bad"); legacy.ReasonOf(ctx, err) != decision.ReasonLegacyMalformed {
		t.Errorf("lookup of a malformed record: err = %v", err)
	}
	for _, u := range []string{"nohash", "numhash"} {
		if ans, err := store.Authenticate(ctx, u, "x"); err != nil || ans.Note != decision.ReasonHashMissing {
			t.Errorf("%s: %+v, %v; want %s", u, ans, err, decision.ReasonHashMissing)
		}
	}
	if ans, err := store.Lookup(ctx, "ann"); err != nil || !ans.OK || ans.User.Email != "ann@example.com" {
		t.Errorf("lookup: %+v, %v", ans, err)
	}
	if ans, err := store.Lookup(ctx, "nobody"); err != nil || ans.OK || ans.Note != decision.ReasonNotFound {
		t.Errorf("lookup unknown: %+v, %v", ans, err)
	}
}

// recordingVerifier records what the table source asked of its
// verifier, answering no match (or err) after delay.
type recordingVerifier struct {
	mu      sync.Mutex
	verify  int
	dummies []passhash.Scheme
}

func (r *recordingVerifier) fake(err error, delay time.Duration) *fakes.PasswordVerifier {
	return &fakes.PasswordVerifier{
		VerifyFn: func(string, []byte) (bool, passhash.Scheme, error) {
			r.mu.Lock()
			r.verify++
			r.mu.Unlock()
			time.Sleep(delay)
			return false, passhash.SchemeBcrypt, err
		},
		VerifyDummyFn: func(_ []byte, like passhash.Scheme) {
			r.mu.Lock()
			r.dummies = append(r.dummies, like)
			r.mu.Unlock()
			time.Sleep(delay)
		},
	}
}

// TestTableHashesOnEveryPath: whatever the record, one hash of the
// configured dummy scheme's cost is computed, so time does not tell an
// unknown user or a broken record from a wrong password.
func TestTableHashesOnEveryPath(t *testing.T) {
	tests := []struct {
		name        string
		user        string
		verifierErr error
		wantVerify  int
		wantDummies int
		wantNote    decision.Reason
	}{
		{"unknown user", "nobody", nil, 0, 1, decision.ReasonInvalidCredentials},
		{"wrong password", "ann", nil, 1, 0, decision.ReasonInvalidCredentials},
		{"no hash", "nohash", nil, 0, 1, decision.ReasonHashMissing},
		{"malformed hash", "ann", fmt.Errorf("%w: test", passhash.ErrMalformedHash), 1, 1, decision.ReasonHashMalformed},
		{"unsupported hash", "ann", fmt.Errorf("%w: test", passhash.ErrUnsupportedScheme), 1, 1, decision.ReasonHashUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := legacyserver.NewTable()
			mem.Put(map[string]types.AttributeValue{"username": s("ann"), "password_hash": s("$2b$10$whatever")})
			mem.Put(map[string]types.AttributeValue{"username": s("nohash")})
			fv := &recordingVerifier{}
			store := legacy.NewTable(mem, legacy.TableOptions{Name: usersTable, DummyScheme: passhash.SchemeArgon2id}, fv.fake(tt.verifierErr, 0), nil)
			ans, err := store.Authenticate(context.Background(), tt.user, "pw")
			if err != nil || ans.OK || ans.Note != tt.wantNote {
				t.Fatalf("%+v, %v; want note %s", ans, err, tt.wantNote)
			}
			if fv.verify != tt.wantVerify || len(fv.dummies) != tt.wantDummies {
				t.Errorf("%d verifications and %d dummies, want %d and %d", fv.verify, len(fv.dummies), tt.wantVerify, tt.wantDummies)
			}
			for _, sch := range fv.dummies {
				if sch != passhash.SchemeArgon2id {
					t.Errorf("dummy of %s, want the configured argon2id", sch)
				}
			}
		})
	}
}

// TestTableHashWithinBudget: a hash that outlasts the invocation's budget
// is abandoned with legacy_timeout instead of overrunning it. Had the
// store waited for the hash, it would have answered its plain "no".
func TestTableHashWithinBudget(t *testing.T) {
	mem := legacyserver.NewTable()
	mem.Put(map[string]types.AttributeValue{"username": s("ann"), "password_hash": s("$2b$10$whatever")})
	store := legacy.NewTable(mem, legacy.TableOptions{Name: usersTable}, (&recordingVerifier{}).fake(nil, 3*time.Second), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	ans, err := store.Authenticate(ctx, "ann", "pw")
	if legacy.ReasonOf(ctx, err) != decision.ReasonLegacyTimeout {
		t.Errorf("answer %+v, err = %v, want %s", ans, err, decision.ReasonLegacyTimeout)
	}
}

// TestTableHashPanicIsALegacyError: a panic inside the hash runs on its
// own goroutine, out of reach of the invocation layer's recover; the
// store turns it into a failure instead of a crash of the function.
func TestTableHashPanicIsALegacyError(t *testing.T) {
	mem := legacyserver.NewTable()
	store := legacy.NewTable(mem, legacy.TableOptions{Name: usersTable}, &fakes.PasswordVerifier{}, nil) // VerifyDummy panics
	ctx := context.Background()
	if _, err := store.Authenticate(ctx, "nobody", "pw"); legacy.ReasonOf(ctx, err) != decision.ReasonLegacyError {
		t.Errorf("err = %v, want %s", err, decision.ReasonLegacyError)
	}
}

// TestMarkMigratedAgainstMoto: idempotent, keeps the first timestamp, and
// never creates an item.
func TestMarkMigratedAgainstMoto(t *testing.T) {
	ctx := context.Background()
	moto := harness.MotoT(t)
	if err := moto.CreateTable(ctx, usersTable, "username", ""); err != nil {
		t.Fatal(err)
	}
	if err := moto.PutItem(ctx, usersTable, map[string]types.AttributeValue{"username": s("ann"), "password_hash": s("x")}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	store := legacy.NewTable(moto.DynamoDB(), legacy.TableOptions{Name: usersTable, Now: func() time.Time { return now }}, newVerifier(t), nil)
	if err := store.MarkMigrated(ctx, "ann"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if err := store.MarkMigrated(ctx, "ann"); err != nil {
		t.Fatal(err)
	}
	// The store's projection leaves migrated_at out; read the item whole.
	out, err := moto.DynamoDB().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(usersTable), Key: map[string]types.AttributeValue{"username": s("ann")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Item["migrated_at"]; got == nil || got.(*types.AttributeValueMemberS).Value != "2026-11-25T10:00:00Z" {
		t.Errorf("migrated_at = %#v, want the first call's time", got)
	}
	if err := store.MarkMigrated(ctx, "ghost"); legacy.ReasonOf(ctx, err) != decision.ReasonLegacyError {
		t.Errorf("marking a missing record: err = %v, want %s", err, decision.ReasonLegacyError)
	}
	if out, _ := moto.DynamoDB().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(usersTable), Key: map[string]types.AttributeValue{"username": s("ghost")}}); len(out.Item) != 0 {
		t.Errorf("MarkMigrated created an item: %v", out.Item)
	}
}

// TestTableFailures: the real client, its retries and timeouts against a
// failing endpoint. The users table is the legacy store, so each failure
// is the legacy_* reason the shared classifier gives it.
func TestTableFailures(t *testing.T) {
	ctx := context.Background()
	for _, f := range harness.Faults {
		t.Run(string(f), func(t *testing.T) {
			endpoint, stop, err := harness.StartFault(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(stop)
			env := map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
				"AWS_ENDPOINT_URL": endpoint, "AWS_ATTEMPT_TIMEOUT_MS": "300"}
			r := envconfig.New(func(k string) string { return env[k] })
			client := dynamo.NewClient(awsconf.Load(r))
			if err := r.Err(); err != nil {
				t.Fatal(err)
			}
			store := legacy.NewTable(client, legacy.TableOptions{Name: usersTable, Timeout: 500 * time.Millisecond}, newVerifier(t), nil)
			_, err = store.Lookup(ctx, "ann")
			var le *legacy.Error
			if !errors.As(err, &le) || le.Reason != decision.Legacy.Reason(f.Failure()) {
				t.Fatalf("err = %v, want reason %s", err, decision.Legacy.Reason(f.Failure()))
			}
		})
	}
}
