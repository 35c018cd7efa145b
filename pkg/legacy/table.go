package legacy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cognito-triggers/suite/pkg/budget"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/passhash"
	"github.com/cognito-triggers/suite/pkg/secretcache"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// TableAPI is the DynamoDB calls the table source makes; *dynamodb.Client
// implements it.
type TableAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// Verifier checks a password against an encoded hash; *passhash.Verifier
// implements it.
type Verifier interface {
	Verify(encoded string, password []byte) (bool, passhash.Scheme, error)
	VerifyDummy(password []byte, like passhash.Scheme)
}

// VerifierSource hands out a Verifier that knows the Firebase project
// parameters, built from the LEGACY_SECRET_ID secret;
// *secretcache.Cache[Verifier] implements it (see FirebaseVerifierParser).
type VerifierSource interface {
	Get(ctx context.Context) (secretcache.Value[Verifier], error)
}

// FirebaseVerifierParser returns the parse function for a secretcache of
// Firebase verifiers: the secret's "firebase" member becomes the project
// parameters of a passhash.Verifier built with base's other options.
func FirebaseVerifierParser(base passhash.Options) func([]byte) (Verifier, error) {
	return func(b []byte) (Verifier, error) {
		s, err := ParseSecret(b)
		if err != nil {
			return nil, err
		}
		if s.Firebase == nil {
			return nil, fmt.Errorf("%w: \"firebase\" is missing", errSecret)
		}
		opts := base
		opts.Firebase = s.Firebase
		v, err := passhash.New(opts)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errSecret, err)
		}
		return v, nil
	}
}

// Item attribute names of the legacy users table.
const (
	AttrUsername            = "username" // partition key (S)
	AttrPasswordHash        = "password_hash"
	AttrEmail               = "email"
	AttrEmailVerified       = "email_verified" // BOOL
	AttrPhoneNumber         = "phone_number"
	AttrPhoneNumberVerified = "phone_number_verified" // BOOL
	AttrMigratedAt          = "migrated_at"           // S, RFC 3339 UTC, written by MarkMigrated
)

// TableOptions configure a Table.
type TableOptions struct {
	Name string
	// Timeout bounds each DynamoDB call; the budget caps it further. 0
	// means DefaultTimeout.
	Timeout time.Duration
	// Attributes are the profile attributes to read (the migration's
	// allowlist), beyond email and phone_number, which are always read.
	Attributes []string
	// DummyScheme is the scheme VerifyDummy imitates for unknown users:
	// the one most records use (LEGACY_DUMMY_SCHEME).
	DummyScheme passhash.Scheme
	// Now is the clock for migrated_at; nil means time.Now.
	Now func() time.Time
}

// Table is the legacy source exported into DynamoDB. Hashes are verified
// here; Firebase scrypt hashes need the project parameters, which are
// fetched from the secret only when the first such hash is met (or, when
// DummyScheme is firebase_scrypt, on every authentication, so that an
// unknown user needs the secret exactly as a known one does).
type Table struct {
	api      TableAPI
	opts     TableOptions
	verifier Verifier
	firebase VerifierSource // nil: no secret configured

	projection string
	names      map[string]string
}

// NewTable returns the store. verifier handles every scheme but Firebase
// scrypt; firebase may be nil when no secret is configured, and Firebase
// hashes are then reported as unsupported.
func NewTable(api TableAPI, opts TableOptions, verifier Verifier, firebase VerifierSource) *Table {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.DummyScheme == "" {
		opts.DummyScheme = passhash.SchemeBcrypt
	}
	t := &Table{api: api, opts: opts, verifier: verifier, firebase: firebase, names: map[string]string{}}
	// Read only what a migration may use: the projection keeps every other
	// legacy attribute (roles, internal flags) out of the function's memory.
	// The key is projected too, so that an item holding none of the other
	// attributes still reads as present.
	seen := map[string]bool{}
	for _, a := range append([]string{AttrUsername, AttrPasswordHash, AttrEmail, AttrEmailVerified, AttrPhoneNumber, AttrPhoneNumberVerified}, opts.Attributes...) {
		if seen[a] {
			continue
		}
		seen[a] = true
		ph := "#a" + strconv.Itoa(len(t.names))
		t.names[ph] = a
		if t.projection != "" {
			t.projection += ","
		}
		t.projection += ph
	}
	return t
}

// Authenticate verifies password against the record's password_hash. An
// unknown user costs a dummy verification of the usual scheme, and so does
// a record whose hash cannot be verified, so that the time taken does not
// tell them from a wrong password: a "no" that returns early would tell an
// attacker which usernames exist.
// The profile is read only after the password matched: a record with a
// broken profile is reported (legacy_malformed) to someone who knows the
// password, never to someone probing for names.
func (t *Table) Authenticate(ctx context.Context, username string, password triggers.Password) (Answer, error) {
	v := t.verifier
	var fb Verifier
	if t.opts.DummyScheme == passhash.SchemeFirebaseScrypt && t.firebase != nil {
		var err error
		if fb, err = t.firebaseVerifier(ctx); err != nil {
			return Answer{}, err
		}
	}
	dummy := func() error {
		dv := v
		if fb != nil {
			dv = fb
		}
		return within(ctx, password, func(pw []byte) { dv.VerifyDummy(pw, t.opts.DummyScheme) })
	}
	item, err := t.get(ctx, username)
	if err != nil {
		return Answer{}, err
	}
	if item == nil {
		return Answer{Note: decision.ReasonInvalidCredentials}, dummy()
	}
	hv, ok := item[AttrPasswordHash].(*types.AttributeValueMemberS)
	if !ok || hv.Value == "" {
		return Answer{Note: decision.ReasonHashMissing}, dummy()
	}
	if scheme, _ := passhash.Detect(hv.Value); scheme == passhash.SchemeFirebaseScrypt && t.firebase != nil {
		if fb == nil {
			if fb, err = t.firebaseVerifier(ctx); err != nil {
				return Answer{}, err
			}
		}
		v = fb
	}
	var match bool
	var scheme passhash.Scheme
	var verr error
	if err := within(ctx, password, func(pw []byte) { match, scheme, verr = v.Verify(hv.Value, pw) }); err != nil {
		return Answer{}, err
	}
	switch {
	case errors.Is(verr, passhash.ErrMalformedHash):
		return Answer{Note: decision.ReasonHashMalformed, Scheme: scheme}, dummy()
	case verr != nil:
		return Answer{Note: decision.ReasonHashUnsupported, Scheme: scheme}, dummy()
	case !match:
		return Answer{Note: decision.ReasonInvalidCredentials, Scheme: scheme}, nil
	}
	u, err := profile(item, username, t.opts.Attributes)
	if err != nil {
		return Answer{}, fail(decision.ReasonLegacyMalformed, err)
	}
	return Answer{OK: true, User: u, Scheme: scheme}, nil
}

// Lookup returns username's profile, for a forgotten password.
func (t *Table) Lookup(ctx context.Context, username string) (Answer, error) {
	item, err := t.get(ctx, username)
	if err != nil {
		return Answer{}, err
	}
	if item == nil {
		return Answer{Note: decision.ReasonNotFound}, nil
	}
	u, err := profile(item, username, t.opts.Attributes)
	if err != nil {
		return Answer{}, fail(decision.ReasonLegacyMalformed, err)
	}
	return Answer{OK: true, User: u}, nil
}

// MarkMigrated records that username was handed to Cognito, so that the
// operators can list who is left (a Scan with attribute_not_exists
// (migrated_at)). It is idempotent: a retry, or a second migration after
// Cognito failed to create the user, keeps the first timestamp. The
// condition keeps it from creating an item for a record deleted meanwhile.
func (t *Table) MarkMigrated(ctx context.Context, username string) error {
	cctx, cancel := budget.For(ctx, t.opts.Timeout)
	defer cancel()
	_, err := t.api.UpdateItem(cctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(t.opts.Name),
		Key:                      map[string]types.AttributeValue{AttrUsername: &types.AttributeValueMemberS{Value: username}},
		UpdateExpression:         aws.String("SET #m = if_not_exists(#m, :now)"),
		ConditionExpression:      aws.String("attribute_exists(#u)"),
		ExpressionAttributeNames: map[string]string{"#m": AttrMigratedAt, "#u": AttrUsername},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberS{Value: t.opts.Now().UTC().Format(time.RFC3339)},
		},
	})
	if err != nil {
		return t.tableErr(cctx, "mark migrated in", err)
	}
	return nil
}

func (t *Table) get(ctx context.Context, username string) (map[string]types.AttributeValue, error) {
	cctx, cancel := budget.For(ctx, t.opts.Timeout)
	defer cancel()
	out, err := t.api.GetItem(cctx, &dynamodb.GetItemInput{
		TableName:                aws.String(t.opts.Name),
		Key:                      map[string]types.AttributeValue{AttrUsername: &types.AttributeValueMemberS{Value: username}},
		ProjectionExpression:     aws.String(t.projection),
		ExpressionAttributeNames: t.names,
	})
	if err != nil {
		return nil, t.tableErr(cctx, "get item from", err)
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

// tableErr classifies a failed call on the users table. The table is the
// legacy store itself, so its failures are legacy_* reasons (and count as
// legacy errors), never the table_* reasons of the suite's own tables.
func (t *Table) tableErr(cctx context.Context, op string, err error) error {
	return legacyErr(cctx, fmt.Errorf("%s %s: %w", op, t.opts.Name, err))
}

func (t *Table) firebaseVerifier(ctx context.Context) (Verifier, error) {
	v, err := t.firebase.Get(ctx)
	if err != nil {
		return nil, secretErr(ctx, err)
	}
	return v.V, nil
}

// within runs a password hash under the invocation's deadline. The hash
// cannot be interrupted, so when the deadline comes first the trigger
// answers (legacy_timeout) and the hash finishes in the background; its
// result is dropped. The hash gets its own copy of the password as bytes,
// cleared when it ends, so that no copy outlives the verification longer
// than the string the event holds. A panic inside the hash is recovered
// here, since the invocation layer's recover only covers its own
// goroutine.
func within(ctx context.Context, password triggers.Password, hash func(pw []byte)) error {
	hctx, cancel := budget.For(ctx, time.Hour)
	defer cancel()
	if hctx.Err() != nil {
		return fail(decision.ReasonLegacyTimeout, errors.New("no budget left to verify the password"))
	}
	pw := []byte(string(password))
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		defer clear(pw)
		hash(pw)
	}()
	select {
	case p := <-done:
		if p != nil {
			return fail(decision.ReasonLegacyError, fmt.Errorf("password verification panicked (%T)", p))
		}
		return nil
	case <-hctx.Done():
		return fail(decision.ReasonLegacyTimeout, errors.New("password verification did not finish within the budget"))
	}
}

// profile reads the profile attributes of an item, strictly typed: a flag
// stored as the string "true" is malformed, never coerced, because a
// verified flag decides where reset codes go. Errors name attributes and
// types, never values.
func profile(item map[string]types.AttributeValue, username string, attrs []string) (User, error) {
	u := User{Username: username}
	var err error
	if u.Email, err = itemString(item, AttrEmail); err != nil {
		return User{}, err
	}
	if u.EmailVerified, err = itemBool(item, AttrEmailVerified); err != nil {
		return User{}, err
	}
	if u.PhoneNumber, err = itemString(item, AttrPhoneNumber); err != nil {
		return User{}, err
	}
	if u.PhoneNumberVerified, err = itemBool(item, AttrPhoneNumberVerified); err != nil {
		return User{}, err
	}
	for _, a := range attrs {
		switch a {
		case AttrEmail, AttrPhoneNumber:
			continue
		}
		v, err := itemString(item, a)
		if err != nil {
			return User{}, err
		}
		if v != "" {
			if u.Attributes == nil {
				u.Attributes = map[string]string{}
			}
			u.Attributes[a] = v
		}
	}
	return u, nil
}

func itemString(item map[string]types.AttributeValue, name string) (string, error) {
	switch v := item[name].(type) {
	case nil, *types.AttributeValueMemberNULL:
		return "", nil
	case *types.AttributeValueMemberS:
		return v.Value, nil
	default:
		return "", fmt.Errorf("item attribute %q is %s, want a string (S)", name, typeName(v))
	}
}

func itemBool(item map[string]types.AttributeValue, name string) (bool, error) {
	switch v := item[name].(type) {
	case nil, *types.AttributeValueMemberNULL:
		return false, nil
	case *types.AttributeValueMemberBOOL:
		return v.Value, nil
	default:
		return false, fmt.Errorf("item attribute %q is %s, want a boolean (BOOL)", name, typeName(v))
	}
}

func typeName(v types.AttributeValue) string {
	switch v.(type) {
	case *types.AttributeValueMemberS:
		return "a string (S)"
	case *types.AttributeValueMemberN:
		return "a number (N)"
	case *types.AttributeValueMemberBOOL:
		return "a boolean (BOOL)"
	case *types.AttributeValueMemberB:
		return "binary (B)"
	case *types.AttributeValueMemberL:
		return "a list (L)"
	case *types.AttributeValueMemberM:
		return "a map (M)"
	case *types.AttributeValueMemberSS, *types.AttributeValueMemberNS, *types.AttributeValueMemberBS:
		return "a set"
	default:
		return fmt.Sprintf("%T", v)
	}
}
