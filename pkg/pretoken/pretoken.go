// Package pretoken decides what Cognito's pre token generation trigger adds
// to every token it issues: the caller's tenant_id and app_role, read from
// the trusted claims table (package trustedtable) and from nowhere else.
//
// Cognito calls the trigger on every sign-in and every refresh, for users
// and (V3_0) for machine-to-machine client-credentials grants, and waits
// for it synchronously; whatever it answers is signed into the tokens that
// every backend trusts. Hence:
//
//   - Tenant and role come only from the table, keyed by the user's sub or
//     the app client's id. userAttributes (custom:tenant_id is writable by
//     the user by default), clientMetadata and validationData are set by
//     whoever calls the API and are never read for them (threat model A1,
//     A6). The look-alike custom:tenant_id and custom:app_role claims are
//     suppressed so that a backend reading the wrong claim finds nothing.
//   - A user without a record whose email is verified is bound once to the
//     tenant of their email domain's domain# record, by a conditional write
//     that never overwrites an existing record, so the tenant stays fixed
//     even if the email changes later (threat model A2).
//   - Any doubt denies the token: a table error or timeout, a broken row, an
//     unknown client. There is no fallback to attributes.
//   - The user's groups are copied byte for byte into the group override,
//     because Cognito drops the groups for an empty or null override
//     (contracts §3.8); reserved claims are never touched (contracts §3.6).
//   - Warm sign-ins usually make no table call: records are cached per
//     container for CLAIMS_CACHE_TTL (at most 60 s), which is how long a
//     role change may take to reach new tokens.
//
// The handler reads the raw event through the triggers.Envelope (and a
// single non-validating pass over the already validated request, see
// readRequest) and writes the response with append and
// jsonscan.AppendString: a warm invocation of a 2 KB event costs a few
// microseconds, small next to the table read it avoids.
package pretoken

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/jsonscan"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// DenyMessage is the one text every denied token shows (Cognito displays
// it as "PreTokenGeneration failed with error …"). It names no rule: which
// rule fired is in the log. Table failures show triggers.GenericMessage
// instead, because retrying may help there.
const DenyMessage = "Your account is not set up for this application. Please contact your administrator."

// Outcomes (the "outcome" metric dimension; template alarms select on them).
const (
	OutcomeClaimsAdded   = "claims_added"
	OutcomeClaimsOmitted = "claims_omitted"
	OutcomeDenied        = "denied"
)

// Reasons (the "reason" metric dimension). claims_omitted decisions carry
// no_record or email_unverified too, saying why the claims were left out.
const (
	ReasonTableError      = "table_error"
	ReasonTableTimeout    = "table_timeout"
	ReasonNoRecord        = "no_record"
	ReasonUnknownClient   = "unknown_client"
	ReasonEmailUnverified = "email_unverified"
	ReasonClaimsTooLarge  = "claims_too_large"
	ReasonBadRecord       = "bad_record"
	ReasonMalformedEvent  = "malformed_event"
)

// Policy is what happens to a user who has no record and cannot be bound.
type Policy string

// The CLAIMS_MISSING_POLICY values.
const (
	// PolicyDeny refuses the token: the user cannot sign in until an
	// operator creates their record. The default: an application that
	// forgets to check for a missing tenant_id must not get a token.
	PolicyDeny Policy = "deny"
	// PolicyOmit issues the token without tenant_id and app_role (the
	// look-alikes are still suppressed and the groups kept), for
	// applications that onboard users after their first sign-in and deny
	// by the missing claim.
	PolicyOmit Policy = "omit"
)

// Store reads and binds records of the trusted table; *trustedtable.Table
// implements it.
type Store interface {
	User(ctx context.Context, sub string) (trustedtable.UserRecord, bool, error)
	Client(ctx context.Context, clientID string) (trustedtable.ClientRecord, bool, error)
	Domain(ctx context.Context, domain string) (trustedtable.DomainRecord, bool, error)
	Bind(ctx context.Context, sub string, b trustedtable.Binding) (trustedtable.UserRecord, bool, error)
}

// Config is the pre token generation configuration.
type Config struct {
	Table         string        // CLAIMS_TABLE (required)
	MissingPolicy Policy        // CLAIMS_MISSING_POLICY: deny (default) or omit
	CacheTTL      time.Duration // CLAIMS_CACHE_TTL: default 30 s, 0 disables, at most MaxCacheTTL
	// Suppress lists claims to suppress besides custom:tenant_id and
	// custom:app_role (SUPPRESS_CLAIMS, comma-separated).
	Suppress     []string
	TableTimeout time.Duration // TABLE_TIMEOUT_MS: all table calls of one invocation together
}

// Defaults.
const (
	DefaultCacheTTL     = 30 * time.Second
	DefaultTableTimeout = 1500 * time.Millisecond
)

// LoadConfig reads the configuration; problems are recorded on r.
func LoadConfig(r *envconfig.Reader) Config {
	c := Config{
		Table:         r.Required("CLAIMS_TABLE"),
		MissingPolicy: Policy(r.Enum("CLAIMS_MISSING_POLICY", string(PolicyDeny), string(PolicyDeny), string(PolicyOmit))),
		CacheTTL:      r.Duration("CLAIMS_CACHE_TTL", DefaultCacheTTL, 0, MaxCacheTTL),
		Suppress:      r.List("SUPPRESS_CLAIMS"),
		TableTimeout:  r.Millis("TABLE_TIMEOUT_MS", DefaultTableTimeout, 50*time.Millisecond, 4*time.Second),
	}
	if _, err := parseSuppress(c.Suppress); err != nil {
		r.Fail("SUPPRESS_CLAIMS", "%v", err)
	}
	return c
}

// Decider is the pre token generation decision. It is safe for concurrent
// use.
type Decider struct {
	cfg   Config
	store Store
	now   func() time.Time

	users   *cache[trustedtable.UserRecord]
	clients *cache[trustedtable.ClientRecord]
	domains *cache[trustedtable.DomainRecord]

	// suppress is `"claimsToSuppress":[…]`, written into every token.
	suppress []byte
}

// New returns a Decider reading store. now is the clock (nil: time.Now).
// It fails on a configuration LoadConfig would have refused, so that a
// Decider built by hand cannot touch a reserved claim either.
func New(cfg Config, store Store, now func() time.Time) (*Decider, error) {
	if store == nil {
		return nil, errors.New("pretoken: no store")
	}
	if now == nil {
		now = time.Now
	}
	switch cfg.MissingPolicy {
	case "":
		cfg.MissingPolicy = PolicyDeny
	case PolicyDeny, PolicyOmit:
	default:
		return nil, fmt.Errorf("pretoken: unknown missing-record policy %q", cfg.MissingPolicy)
	}
	if cfg.CacheTTL < 0 || cfg.CacheTTL > MaxCacheTTL {
		return nil, fmt.Errorf("pretoken: cache TTL %v outside 0..%v", cfg.CacheTTL, MaxCacheTTL)
	}
	if cfg.TableTimeout <= 0 {
		cfg.TableTimeout = DefaultTableTimeout
	}
	suppress, err := parseSuppress(cfg.Suppress)
	if err != nil {
		return nil, fmt.Errorf("pretoken: SUPPRESS_CLAIMS: %w", err)
	}
	return &Decider{
		cfg:   cfg,
		store: store,
		now:   now,
		// Negative answers are not cached for users: a user bound or
		// created by an operator a moment ago must get their claims at
		// once, and the read that finds nothing leads to a binding attempt
		// anyway. Clients and domains change rarely, and caching their
		// absence stops a misconfigured M2M client or an unknown domain
		// from costing a table read per token.
		users:    newCache[trustedtable.UserRecord](cfg.CacheTTL, false),
		clients:  newCache[trustedtable.ClientRecord](cfg.CacheTTL, true),
		domains:  newCache[trustedtable.DomainRecord](cfg.CacheTTL, true),
		suppress: append([]byte(`"claimsToSuppress":`), appendStrings(nil, suppress)...),
	}, nil
}

// shape is the response format the event asks for.
type shape uint8

const (
	shapeV1  shape = iota + 1 // V1_0: claimsOverrideDetails, ID token only
	shapeV2                   // V2_0/V3_0 user: ID and access token
	shapeM2M                  // V3_0 TokenGeneration_ClientCredentials: access token only
)

// shapeOf picks the response format from the event's version and source.
// Answering a V2 event in the V1 shape (or the reverse) would make Cognito
// ignore the claims or fail the token, so an unknown version is refused
// rather than guessed. Client credentials come only to V3_0 triggers; the
// V3 version string is not documented, and V2 and V3 share one shape, so
// "2" is accepted for it as well.
func shapeOf(ev *triggers.Envelope) (shape, error) {
	m2m := ev.TriggerSource == triggers.SourceTokenClientCredentials
	switch ev.Version {
	case "1":
		if m2m {
			return 0, errors.New("client credentials event with version 1")
		}
		return shapeV1, nil
	case "2", "3":
		if m2m {
			return shapeM2M, nil
		}
		return shapeV2, nil
	}
	return 0, fmt.Errorf("unknown event version %.16q", ev.Version)
}

// facts collect what one decision found, for its log line and metrics.
type facts struct {
	ev     *triggers.Envelope
	sub    string
	tenant string
	role   string
	cache  string // "hit", "miss" or "" when no record was looked up
	bound  bool
	table  tableCalls
}

var (
	userRequestKeys = []string{"userAttributes", "groupConfiguration"}
	subKey          = []string{"sub"}
	emailKeys       = []string{"email", "email_verified"}
)

// Decide implements invoke.DecideFunc.
func (d *Decider) Decide(ctx context.Context, ev *triggers.Envelope) invoke.Decision {
	f := facts{ev: ev}
	s, err := shapeOf(ev)
	if err != nil {
		return d.deny(&f, ReasonMalformedEvent, err)
	}
	f.table = tableCalls{d: d, parent: ctx}
	defer f.table.done()
	if s == shapeM2M {
		return d.decideClient(&f.table, &f)
	}
	return d.decideUser(&f.table, &f, s)
}

func (d *Decider) decideUser(t *tableCalls, f *facts, s shape) invoke.Decision {
	attrs, group, sub, err := readRequest(f.ev.Request)
	if err != nil {
		return d.deny(f, ReasonMalformedEvent, err)
	}
	switch jsonscan.KindOf(group) {
	case jsonscan.KindObject:
	case jsonscan.KindNull, jsonscan.KindInvalid: // null or absent: no override at all
		group = nil
	default:
		return d.deny(f, ReasonMalformedEvent, errors.New("groupConfiguration is not an object"))
	}
	if !validKey(sub) {
		return d.deny(f, ReasonMalformedEvent, errors.New("userAttributes.sub is missing or not a Cognito sub"))
	}
	f.sub = sub

	rec, found, err := d.user(t, f, f.sub)
	if err != nil {
		return d.tableFailure(f, t, err)
	}
	if !found {
		var dec invoke.Decision
		if rec, found, dec = d.bind(t, f, attrs, s, group); !found {
			return dec
		}
	}
	if p := valueProblem(rec.TenantID); p != "" {
		return d.deny(f, ReasonBadRecord, fmt.Errorf("tenant_id of user#… %s", p))
	}
	if p := valueProblem(rec.AppRole); p != "" {
		return d.deny(f, ReasonBadRecord, fmt.Errorf("app_role of user#… %s", p))
	}
	f.tenant, f.role = rec.TenantID, rec.AppRole
	var cb [MaxAddition + 64]byte
	claims := appendClaims(cb[:0], rec.TenantID, rec.AppRole)
	if len(claims) > MaxAddition {
		return d.deny(f, ReasonClaimsTooLarge, fmt.Errorf("added claims are %d bytes, more than %d", len(claims), MaxAddition))
	}
	return d.answer(f, OutcomeClaimsAdded, "", d.userResponse(f.ev, s, claims, group))
}

// bind handles a user without a record: bind them to their verified email
// domain's tenant, or apply the missing-record policy. found reports a
// record to use; otherwise dec is the decision.
func (d *Decider) bind(t *tableCalls, f *facts, attrs []byte, s shape, group []byte) (rec trustedtable.UserRecord, found bool, dec invoke.Decision) {
	var email [2]string
	if err := triggers.Strings(attrs, emailKeys, email[:]); err != nil {
		return rec, false, d.deny(f, ReasonMalformedEvent, err)
	}
	// Only a verified address proves the user controls a mailbox in the
	// domain; an unverified one is whatever the user typed (threat model A2).
	if email[1] != "true" {
		return rec, false, d.missing(f, ReasonEmailUnverified, errors.New("no user record and the email is not verified"), s, group)
	}
	addr, err := emailgate.Parse(email[0])
	if err != nil {
		return rec, false, d.missing(f, ReasonNoRecord, fmt.Errorf("no user record; email not usable for binding: %w", err), s, group)
	}
	dom, found, err := d.domain(t, addr.Domain)
	if err != nil {
		return rec, false, d.tableFailure(f, t, err)
	}
	if !found {
		return rec, false, d.missing(f, ReasonNoRecord, errors.New("no user record and no domain record for the email's domain"), s, group)
	}
	if p := valueProblem(dom.TenantID); p != "" {
		return rec, false, d.deny(f, ReasonBadRecord, fmt.Errorf("tenant_id of domain#… %s", p))
	}
	if p := valueProblem(dom.DefaultRole); p != "" {
		return rec, false, d.deny(f, ReasonBadRecord, fmt.Errorf("default_role of domain#… %s", p))
	}
	rec, written, err := d.store.Bind(t.context(), f.sub, trustedtable.Binding{
		TenantID: dom.TenantID,
		AppRole:  dom.DefaultRole,
		From:     "domain#" + addr.Domain,
		At:       d.now(),
	})
	if err != nil {
		return rec, false, d.tableFailure(f, t, err)
	}
	f.bound = written
	if valueProblem(rec.TenantID) == "" && valueProblem(rec.AppRole) == "" {
		d.users.put(f.sub, rec, true, d.now())
	}
	return rec, true, dec
}

func (d *Decider) decideClient(t *tableCalls, f *facts) invoke.Decision {
	id := f.ev.CallerContext.ClientID
	if !validKey(id) {
		return d.deny(f, ReasonMalformedEvent, errors.New("callerContext.clientId is missing or not a Cognito client id"))
	}
	rec, found, err := d.client(t, f, id)
	if errors.Is(err, trustedtable.ErrBadItem) {
		return d.deny(f, ReasonBadRecord, err)
	}
	if err != nil {
		return d.tableFailure(f, t, err)
	}
	if !found {
		return d.deny(f, ReasonUnknownClient, errors.New("no client# record for this app client"))
	}
	if p := valueProblem(rec.TenantID); p != "" {
		return d.deny(f, ReasonBadRecord, fmt.Errorf("tenant_id of client#… %s", p))
	}
	if p := valueProblem(rec.AppRole); p != "" {
		return d.deny(f, ReasonBadRecord, fmt.Errorf("app_role of client#… %s", p))
	}
	if p := scopesProblem(rec.Scopes); p != "" {
		return d.deny(f, ReasonBadRecord, fmt.Errorf("scopes of client#… %s", p))
	}
	f.tenant, f.role = rec.TenantID, rec.AppRole
	var cb [MaxAddition + 64]byte
	claims := appendClaims(cb[:0], rec.TenantID, rec.AppRole)
	var scopes []byte
	if len(rec.Scopes) > 0 {
		var sb [MaxAddition + 64]byte
		scopes = appendStrings(sb[:0], rec.Scopes)
	}
	if n := len(claims) + len(scopes); n > MaxAddition {
		return d.deny(f, ReasonClaimsTooLarge, fmt.Errorf("added claims and scopes are %d bytes, more than %d", n, MaxAddition))
	}
	var rb [2048]byte
	return d.answer(f, OutcomeClaimsAdded, "", f.ev.WithResponse(appendM2M(rb[:0], claims, d.suppress, scopes)))
}

// userResponse returns the event with the response for a user token;
// claims nil leaves tenant and role out.
func (d *Decider) userResponse(ev *triggers.Envelope, s shape, claims, group []byte) []byte {
	var rb [2048]byte
	if s == shapeV1 {
		return ev.WithResponse(appendV1(rb[:0], claims, d.suppress, group))
	}
	return ev.WithResponse(appendV2(rb[:0], claims, d.suppress, group))
}

// missing applies CLAIMS_MISSING_POLICY to a user without a record.
func (d *Decider) missing(f *facts, reason string, cause error, s shape, group []byte) invoke.Decision {
	if d.cfg.MissingPolicy == PolicyOmit {
		return d.answer(f, OutcomeClaimsOmitted, reason, d.userResponse(f.ev, s, nil, group))
	}
	return d.deny(f, reason, cause)
}
