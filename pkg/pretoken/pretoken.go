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
//     whoever calls the API and are never read for them. The look-alike
//     custom:tenant_id and custom:app_role claims are suppressed so that a
//     backend reading the wrong claim finds nothing.
//   - A user without a record whose email is verified is bound once to the
//     tenant of their email domain's domain# record, by a conditional write
//     that never overwrites an existing record, so the tenant stays fixed
//     even if the email changes later. An unverified email is whatever the
//     user typed, so it never binds a tenant.
//   - Any doubt denies the token: a table error or timeout, a broken row, an
//     unknown client. There is no fallback to attributes.
//   - The user's groups are copied into the group override, because
//     Cognito replaces the groups with the override and drops them for an
//     empty or null one; reserved claims (sub, aud, cognito:...) are never
//     touched, because Cognito ignores the change at best and fails every
//     token issue at worst.
//   - Warm sign-ins usually make no table call: records are cached per
//     container for CLAIMS_CACHE_TTL (at most 60 s), which is how long a
//     role change may take to reach new tokens.
//
// Decide takes the typed event (package triggers: V1 for LambdaVersion
// V1_0, V2 for V2_0 and V3_0, client credentials included), writes the
// response in the event's own shape and returns the decision; package
// invoke decodes the event before and encodes it after.
package pretoken

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// DenyMessage is the one text every denied token shows (Cognito displays
// it as "PreTokenGeneration failed with error …"). It names no rule: which
// rule fired is in the log. Table failures show decision.GenericMessage
// instead, because retrying may help there.
const DenyMessage = "Your account is not set up for this application. Please contact your administrator."

// The metrics of every decision, besides the Invocations and DurationMs
// that package invoke writes. The first three are 0 or 1 on every
// decision, so that an average is a rate; TableLatencyMs is written only
// when the table was called.
const (
	MetricBoundFromDomain = "BoundFromDomain" // this invocation wrote a binding
	MetricCacheHit        = "CacheHit"        // the user# or client# record came from the cache
	MetricCacheMiss       = "CacheMiss"       // it was read from the table
	MetricTableLatency    = "TableLatencyMs"  // all table calls of the invocation, from the first
)

// MetricNames lists the metrics this package reports, for the template's
// cross-checks.
func MetricNames() []string {
	return []string{MetricBoundFromDomain, MetricCacheHit, MetricCacheMiss, MetricTableLatency}
}

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
// implements it. Bind must be the conditional write: it never overwrites
// an existing record, and returns the record that is there (written is
// false) when it finds one.
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

// Deps are what a Decider calls.
type Deps struct {
	Store Store
	// Now is the clock of the cache and of TableLatencyMs; nil means
	// time.Now.
	Now func() time.Time
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

	// suppress is the claimsToSuppress of every changed token: the
	// look-alikes, then SUPPRESS_CLAIMS.
	suppress []string
}

// New returns a Decider. It fails on a configuration LoadConfig would have
// refused, so that a Decider built by hand cannot touch a reserved claim
// either.
func New(cfg Config, deps Deps) (*Decider, error) {
	if deps.Store == nil {
		return nil, errors.New("pretoken: no store")
	}
	if deps.Now == nil {
		deps.Now = time.Now
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
		store: deps.Store,
		now:   deps.Now,
		// Negative answers are not cached for users: a user bound or
		// created by an operator a moment ago must get their claims at
		// once, and the read that finds nothing leads to a binding attempt
		// anyway. Clients and domains change rarely, and caching their
		// absence stops a misconfigured M2M client or an unknown domain
		// from costing a table read per token.
		users:    newCache[trustedtable.UserRecord](cfg.CacheTTL, false),
		clients:  newCache[trustedtable.ClientRecord](cfg.CacheTTL, true),
		domains:  newCache[trustedtable.DomainRecord](cfg.CacheTTL, true),
		suppress: suppress,
	}, nil
}

// Decide decides one pre token generation event and writes its response.
// The response is replaced whole, never merged with what the event
// carried, so that every claim in it is one this trigger put there.
func (d *Decider) Decide(ctx context.Context, ev *triggers.PreToken) decision.Result {
	c := &call{d: d, parent: ctx}
	defer c.done()
	switch {
	case ev.V1 != nil:
		c.version = ev.V1.Version
		add, res := c.user(ev.V1.Request.UserAttributes)
		if res.Err == nil {
			d.answerV1(ev.V1, add)
		}
		return res
	case ev.V2 != nil && ev.V2.TriggerSource == triggers.SourceTokenClientCredentials:
		c.version = ev.V2.Version
		rec, res := c.client(ev.V2.CallerContext.ClientID)
		if res.Err == nil {
			d.answerM2M(ev.V2, rec)
		}
		return res
	case ev.V2 != nil:
		c.version = ev.V2.Version
		add, res := c.user(ev.V2.Request.UserAttributes)
		if res.Err == nil {
			d.answerV2(ev.V2, add)
		}
		return res
	}
	return c.deny(decision.ReasonMalformedEvent, errors.New("pre token event of neither shape"))
}

// added is what goes into a user's tokens; nil leaves the claims out.
type added struct{ tenant, role string }

// user decides a user's token from their sub and, for a first binding,
// their email: the claims to add (nil under the omit policy), or a
// refusal.
func (c *call) user(attrs triggers.Attributes) (*added, decision.Result) {
	sub := attrs.Get("sub")
	if !validSub(sub) {
		return nil, c.deny(decision.ReasonMalformedEvent, errors.New("userAttributes.sub is missing or not a Cognito sub"))
	}
	c.sub = sub
	rec, found, err := c.userRecord(sub)
	if err != nil {
		return nil, c.failed(err)
	}
	if !found {
		var res decision.Result
		if rec, found, res = c.bind(attrs); !found {
			return nil, res
		}
	}
	if p := valueProblem(rec.TenantID); p != "" {
		return nil, c.deny(decision.ReasonBadRecord, fmt.Errorf("tenant_id of user#… %s", p))
	}
	if p := valueProblem(rec.AppRole); p != "" {
		return nil, c.deny(decision.ReasonBadRecord, fmt.Errorf("app_role of user#… %s", p))
	}
	c.tenant, c.role = rec.TenantID, rec.AppRole
	if res, ok := c.tooLarge(rec.TenantID, rec.AppRole, nil); !ok {
		return nil, res
	}
	return &added{rec.TenantID, rec.AppRole}, c.result(decision.OutcomeClaimsAdded, "", nil)
}

// bind handles a user without a record: bind them to their verified email
// domain's tenant, or apply the missing-record policy. found reports a
// record to use; otherwise res is the decision.
func (c *call) bind(attrs triggers.Attributes) (rec trustedtable.UserRecord, found bool, res decision.Result) {
	// Only a verified address proves the user controls a mailbox in the
	// domain; an unverified one is whatever the user typed.
	if attrs.Get("email_verified") != "true" {
		return rec, false, c.missing(decision.ReasonEmailUnverified, errors.New("no user record and the email is not verified"))
	}
	addr, err := emailgate.Parse(attrs.Get("email"))
	if err != nil {
		return rec, false, c.missing(decision.ReasonNoRecord, fmt.Errorf("no user record; email not usable for binding: %w", err))
	}
	dom, found, err := c.domainRecord(addr.Domain)
	if err != nil {
		return rec, false, c.failed(err)
	}
	if !found {
		return rec, false, c.missing(decision.ReasonNoRecord, errors.New("no user record and no domain record for the email's domain"))
	}
	if p := valueProblem(dom.TenantID); p != "" {
		return rec, false, c.deny(decision.ReasonBadRecord, fmt.Errorf("tenant_id of domain#… %s", p))
	}
	if p := valueProblem(dom.DefaultRole); p != "" {
		return rec, false, c.deny(decision.ReasonBadRecord, fmt.Errorf("default_role of domain#… %s", p))
	}
	d := c.d
	rec, written, err := d.store.Bind(c.context(), c.sub, trustedtable.Binding{
		TenantID: dom.TenantID,
		AppRole:  dom.DefaultRole,
		From:     "domain#" + addr.Domain,
		At:       d.now(),
	})
	if err != nil {
		return rec, false, c.failed(err)
	}
	c.bound = written
	if valueProblem(rec.TenantID) == "" && valueProblem(rec.AppRole) == "" {
		d.users.put(c.sub, rec, true, d.now())
	}
	return rec, true, res
}

// missing applies CLAIMS_MISSING_POLICY to a user without a record.
func (c *call) missing(reason decision.Reason, cause error) decision.Result {
	if c.d.cfg.MissingPolicy == PolicyOmit {
		return c.result(decision.OutcomeClaimsOmitted, reason, nil)
	}
	return c.deny(reason, cause)
}

// client decides a machine-to-machine token from the app client's
// client# record.
func (c *call) client(id string) (trustedtable.ClientRecord, decision.Result) {
	if !validKey(id) {
		return trustedtable.ClientRecord{}, c.deny(decision.ReasonMalformedEvent, errors.New("callerContext.clientId is missing or not a Cognito client id"))
	}
	rec, found, err := c.clientRecord(id)
	if err != nil {
		return rec, c.failed(err)
	}
	if !found {
		return rec, c.deny(decision.ReasonUnknownClient, errors.New("no client# record for this app client"))
	}
	if p := valueProblem(rec.TenantID); p != "" {
		return rec, c.deny(decision.ReasonBadRecord, fmt.Errorf("tenant_id of client#… %s", p))
	}
	if p := valueProblem(rec.AppRole); p != "" {
		return rec, c.deny(decision.ReasonBadRecord, fmt.Errorf("app_role of client#… %s", p))
	}
	if p := scopesProblem(rec.Scopes); p != "" {
		return rec, c.deny(decision.ReasonBadRecord, fmt.Errorf("scopes of client#… %s", p))
	}
	c.tenant, c.role = rec.TenantID, rec.AppRole
	if res, ok := c.tooLarge(rec.TenantID, rec.AppRole, rec.Scopes); !ok {
		return rec, res
	}
	return rec, c.result(decision.OutcomeClaimsAdded, "", nil)
}

// tooLarge applies MaxAddition; ok is true when the addition fits.
func (c *call) tooLarge(tenant, role string, scopes []string) (res decision.Result, ok bool) {
	n, err := additionSize(claimsOf(tenant, role), scopes)
	if err != nil {
		return c.deny(decision.ReasonBadRecord, fmt.Errorf("the record's values cannot be encoded: %w", err)), false
	}
	if n > MaxAddition {
		return c.deny(decision.ReasonClaimsTooLarge, fmt.Errorf("added claims and scopes are %d bytes, more than %d", n, MaxAddition)), false
	}
	return res, true
}

func claimsOf(tenant, role string) map[string]string {
	return map[string]string{ClaimTenantID: tenant, ClaimAppRole: role}
}

// answerV1 writes a V1_0 response: ID token claims, the suppressions and
// the groups.
func (d *Decider) answerV1(ev *triggers.PreTokenV1, add *added) {
	ev.Response = triggers.PreTokenV1Response{}
	o := ev.Response.Overrides()
	if add != nil {
		o.ClaimsToAddOrOverride = claimsOf(add.tenant, add.role)
	}
	o.ClaimsToSuppress = slices.Clone(d.suppress)
	if hasGroups(ev.Request.GroupConfiguration) {
		ev.KeepGroups()
	}
}

// answerV2 writes a V2_0/V3_0 user response: the same claims and
// suppressions in the ID and the access token, and the groups.
func (d *Decider) answerV2(ev *triggers.PreTokenV2, add *added) {
	ev.Response = triggers.PreTokenV2Response{}
	o := ev.Response.Overrides()
	id, access := o.IDToken(), o.AccessToken()
	if add != nil {
		id.ClaimsToAddOrOverride = tokenClaims(add.tenant, add.role)
		access.ClaimsToAddOrOverride = tokenClaims(add.tenant, add.role)
	}
	id.ClaimsToSuppress = slices.Clone(d.suppress)
	access.ClaimsToSuppress = slices.Clone(d.suppress)
	if hasGroups(ev.Request.GroupConfiguration) {
		ev.KeepGroups()
	}
}

// answerM2M writes a V3_0 client-credentials response: an access token
// only (Cognito issues no ID token to a machine), the client's scopes,
// and no group override (a machine has no groups).
func (d *Decider) answerM2M(ev *triggers.PreTokenV2, rec trustedtable.ClientRecord) {
	ev.Response = triggers.PreTokenV2Response{}
	access := ev.Response.Overrides().AccessToken()
	access.ClaimsToAddOrOverride = tokenClaims(rec.TenantID, rec.AppRole)
	access.ClaimsToSuppress = slices.Clone(d.suppress)
	if len(rec.Scopes) > 0 {
		access.ScopesToAdd = slices.Clone(rec.Scopes)
	}
}

func tokenClaims(tenant, role string) triggers.Claims {
	return triggers.Claims{ClaimTenantID: tenant, ClaimAppRole: role}
}

// hasGroups reports whether the request carried a groupConfiguration to
// copy. The override must be an exact copy: Cognito replaces the groups
// with it and drops them for an empty or null one. A request without
// groupConfiguration, or with null, decodes to the zero value, and gets no
// override at all; so does one whose members are all absent or null, which
// says the user has no groups either way.
func hasGroups(g triggers.GroupConfiguration) bool {
	return g.GroupsToOverride != nil || g.IAMRolesToOverride != nil || g.PreferredRole != nil || len(g.Unknown) > 0
}
