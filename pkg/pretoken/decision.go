package pretoken

import (
	"context"
	"errors"
	"time"

	"github.com/cognito-triggers/suite/pkg/budget"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// call is one decision: its table calls and what it found, for the
// decision line and the metrics.
//
// Every table call of one invocation shares one deadline: TABLE_TIMEOUT_MS
// from the first call, capped by the invocation budget. The context is
// only created when a call is needed, so a cache hit pays nothing for it.
type call struct {
	d      *Decider
	parent context.Context
	ctx    context.Context
	cancel context.CancelFunc
	start  time.Time

	sub, tenant, role string
	version           string
	cache             string // "hit", "miss" or "" when no record was looked up
	bound             bool
}

func (c *call) context() context.Context {
	if c.ctx == nil {
		c.ctx, c.cancel = budget.For(c.parent, c.d.cfg.TableTimeout)
		c.start = c.d.now()
	}
	return c.ctx
}

func (c *call) done() {
	if c.cancel != nil {
		c.cancel()
	}
}

// userRecord returns the user#<sub> record, from the cache when fresh.
func (c *call) userRecord(sub string) (trustedtable.UserRecord, bool, error) {
	d := c.d
	if rec, found, ok := d.users.get(sub, d.now()); ok {
		c.cache = "hit"
		return rec, found, nil
	}
	c.cache = "miss"
	rec, found, err := d.store.User(c.context(), sub)
	if err != nil {
		return rec, false, err
	}
	// Only records that can go into a token are cached: a fixed row must
	// take effect at once.
	if found && valueProblem(rec.TenantID) == "" && valueProblem(rec.AppRole) == "" {
		d.users.put(sub, rec, true, d.now())
	}
	return rec, found, nil
}

// clientRecord returns the client#<id> record, from the cache when fresh.
func (c *call) clientRecord(id string) (trustedtable.ClientRecord, bool, error) {
	d := c.d
	if rec, found, ok := d.clients.get(id, d.now()); ok {
		c.cache = "hit"
		return rec, found, nil
	}
	c.cache = "miss"
	rec, found, err := d.store.Client(c.context(), id)
	if err != nil {
		return rec, false, err
	}
	if !found || (valueProblem(rec.TenantID) == "" && valueProblem(rec.AppRole) == "" && scopesProblem(rec.Scopes) == "") {
		d.clients.put(id, rec, found, d.now())
	}
	return rec, found, nil
}

// domainRecord returns the domain#<domain> record, from the cache when
// fresh. It does not change the decision's cache fact: that describes the
// user# look-up, which missed when a domain is needed.
func (c *call) domainRecord(domain string) (trustedtable.DomainRecord, bool, error) {
	d := c.d
	if rec, found, ok := d.domains.get(domain, d.now()); ok {
		return rec, found, nil
	}
	rec, found, err := d.store.Domain(c.context(), domain)
	if err != nil {
		return rec, false, err
	}
	if !found || (valueProblem(rec.TenantID) == "" && valueProblem(rec.DefaultRole) == "") {
		d.domains.put(domain, rec, found, d.now())
	}
	return rec, found, nil
}

// result is the decision with its facts and metrics; ue refuses the
// token.
func (c *call) result(o decision.Outcome, r decision.Reason, ue *decision.UserError) decision.Result {
	return decision.Result{Outcome: o, Reason: r, Err: ue, Facts: c.facts(), Metrics: c.metrics()}
}

// deny refuses the token with the one denial text.
func (c *call) deny(r decision.Reason, cause error) decision.Result {
	return c.result(decision.OutcomeDenied, r, decision.Refuse(DenyMessage, r, cause))
}

// failed refuses the token because a table call failed or ran out of
// time: fail closed, never fall back to attributes. The user sees the
// generic "try again" text, since a retry may well succeed. An item the
// table holds in the wrong shape is a broken row instead, which a retry
// does not mend.
func (c *call) failed(err error) decision.Result {
	if errors.Is(err, trustedtable.ErrBadItem) {
		return c.deny(decision.ReasonBadRecord, err)
	}
	ctx := c.ctx
	if ctx == nil {
		ctx = c.parent
	}
	r := decision.Table.Failed(ctx, err)
	return c.result(decision.OutcomeDenied, r, decision.Refuse(decision.GenericMessage, r, err))
}

// facts are the decision line's: who (sub; the client id is on every line
// already), what was decided, and how. Never the email.
func (c *call) facts() []decision.Fact {
	f := make([]decision.Fact, 0, 6)
	if c.sub != "" {
		f = append(f, decision.String("sub", c.sub))
	}
	if c.tenant != "" {
		f = append(f, decision.String("tenantId", c.tenant), decision.String("role", c.role))
	}
	f = append(f, decision.String("version", c.version))
	if c.cache != "" {
		f = append(f, decision.String("cache", c.cache))
	}
	return append(f, decision.Bool("bound", c.bound))
}

// metrics are BoundFromDomain, CacheHit and CacheMiss on every decision,
// and the table time when the table was called.
func (c *call) metrics() []decision.Metric {
	m := make([]decision.Metric, 0, 4)
	m = append(m,
		decision.Counter(MetricBoundFromDomain, c.bound),
		decision.Counter(MetricCacheHit, c.cache == "hit"),
		decision.Counter(MetricCacheMiss, c.cache == "miss"))
	if c.ctx != nil {
		m = append(m, decision.Latency(MetricTableLatency, c.d.now().Sub(c.start)))
	}
	return m
}
