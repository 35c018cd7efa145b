package pretoken

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/cognito-triggers/suite/pkg/budget"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// tableCalls gives every table call of one invocation the same deadline:
// TABLE_TIMEOUT_MS from the first call, capped by the invocation budget.
// The context is only created when a call is needed, so a cache hit pays
// nothing for it.
type tableCalls struct {
	d      *Decider
	parent context.Context
	ctx    context.Context
	cancel context.CancelFunc
	start  time.Time
}

func (t *tableCalls) context() context.Context {
	if t.ctx == nil {
		t.ctx, t.cancel = budget.For(t.parent, t.d.cfg.TableTimeout)
		t.start = t.d.now()
	}
	return t.ctx
}

// timedOut reports whether the table calls ran out of time (their own
// share or the whole budget), as opposed to failing.
func (t *tableCalls) timedOut(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || (t.ctx != nil && t.ctx.Err() != nil)
}

func (t *tableCalls) done() {
	if t.cancel != nil {
		t.cancel()
	}
}

// user returns the user#<sub> record, from the cache when fresh.
func (d *Decider) user(t *tableCalls, f *facts, sub string) (trustedtable.UserRecord, bool, error) {
	if rec, found, ok := d.users.get(sub, d.now()); ok {
		f.cache = "hit"
		return rec, found, nil
	}
	f.cache = "miss"
	rec, found, err := d.store.User(t.context(), sub)
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

// client returns the client#<id> record, from the cache when fresh.
func (d *Decider) client(t *tableCalls, f *facts, id string) (trustedtable.ClientRecord, bool, error) {
	if rec, found, ok := d.clients.get(id, d.now()); ok {
		f.cache = "hit"
		return rec, found, nil
	}
	f.cache = "miss"
	rec, found, err := d.store.Client(t.context(), id)
	if err != nil {
		return rec, false, err
	}
	if !found || (valueProblem(rec.TenantID) == "" && valueProblem(rec.AppRole) == "" && scopesProblem(rec.Scopes) == "") {
		d.clients.put(id, rec, found, d.now())
	}
	return rec, found, nil
}

// domain returns the domain#<domain> record, from the cache when fresh.
// It does not change the decision's cache fact: that describes the user#
// look-up, which missed when a domain is needed.
func (d *Decider) domain(t *tableCalls, domain string) (trustedtable.DomainRecord, bool, error) {
	if rec, found, ok := d.domains.get(domain, d.now()); ok {
		return rec, found, nil
	}
	rec, found, err := d.store.Domain(t.context(), domain)
	if err != nil {
		return rec, false, err
	}
	if !found || (valueProblem(rec.TenantID) == "" && valueProblem(rec.DefaultRole) == "") {
		d.domains.put(domain, rec, found, d.now())
	}
	return rec, found, nil
}

// answer is a decision that issues the token.
func (d *Decider) answer(f *facts, outcome, reason string, event []byte) invoke.Decision {
	return invoke.Decision{Outcome: outcome, Reason: reason, Response: event, Attrs: f.attrs(), Metrics: d.metrics(f)}
}

// deny refuses the token with the one denial text.
func (d *Decider) deny(f *facts, reason string, cause error) invoke.Decision {
	return invoke.Decision{Outcome: OutcomeDenied, Reason: reason, Err: triggers.Refuse(DenyMessage, reason, cause),
		Attrs: f.attrs(), Metrics: d.metrics(f)}
}

// tableFailure refuses the token because the table failed or was too slow:
// fail closed, never fall back to attributes. The user sees the generic
// "try again" text, since a retry may well succeed.
func (d *Decider) tableFailure(f *facts, t *tableCalls, err error) invoke.Decision {
	reason := ReasonTableError
	if t.timedOut(err) {
		reason = ReasonTableTimeout
	}
	return invoke.Decision{Outcome: OutcomeDenied, Reason: reason, Err: triggers.Refuse(triggers.GenericMessage, reason, err),
		Attrs: f.attrs(), Metrics: d.metrics(f)}
}

// attrs are the decision line's facts: who (sub; the client id is on
// every line already), what was decided, and how. Never the email.
func (f *facts) attrs() []slog.Attr {
	a := make([]slog.Attr, 0, 6)
	if f.sub != "" {
		a = append(a, slog.String("sub", f.sub))
	}
	if f.tenant != "" {
		a = append(a, slog.String("tenantId", f.tenant), slog.String("role", f.role))
	}
	a = append(a, slog.String("version", f.ev.Version))
	if f.cache != "" {
		a = append(a, slog.String("cache", f.cache))
	}
	return append(a, slog.Bool("bound", f.bound))
}

// metrics are BoundFromDomain, CacheHit and CacheMiss on every decision
// (0 or 1 each, so that sums are rates), and the table time when the table
// was called.
func (d *Decider) metrics(f *facts) []telemetry.Metric {
	m := make([]telemetry.Metric, 3, 4)
	m[0] = telemetry.Metric{Name: "BoundFromDomain", Unit: telemetry.Count, Value: b2f(f.bound)}
	m[1] = telemetry.Metric{Name: "CacheHit", Unit: telemetry.Count, Value: b2f(f.cache == "hit")}
	m[2] = telemetry.Metric{Name: "CacheMiss", Unit: telemetry.Count, Value: b2f(f.cache == "miss")}
	if t := &f.table; t.ctx != nil {
		ms := float64(d.now().Sub(t.start).Microseconds()) / 1000
		m = append(m, telemetry.Metric{Name: "TableLatencyMs", Unit: telemetry.Milliseconds, Value: ms})
	}
	return m
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
