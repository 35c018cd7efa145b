// Package postauth keeps the login audit trail behind the post
// authentication trigger: one DynamoDB item per sign-in, never two for one
// sign-in, and never a blocked sign-in by accident.
//
// Cognito calls post authentication after the credentials were accepted and
// before tokens are issued, and an error from it fails the sign-in. So the
// decision is about the audit write alone: the response is always empty
// (Cognito reads nothing back), and only a deliberate policy
// (AUDIT_FAILURE_MODE=closed) turns a failed write into a refusal.
//
// Exactly once: Cognito retries a trigger that has not answered within 5 s,
// as a new invocation with a new request id, and the event carries no id or
// timestamp of its own. A retry is therefore recognised by its content (see
// IdempotencyKey), and the item is written together with a dedupe marker in
// one transaction (see Table.Put). The price, documented in
// docs/postauth.md: two genuine sign-ins identical in every keyed field
// within DedupeWindow are recorded once.
//
// Nothing that identifies a person beyond the sub is stored or logged: no
// email, phone number or user name (which is the email in pools that sign
// in by email), and never clientMetadata, which is caller-controlled and
// only enters the idempotency key as a hash.
//
// One event: package invoke decodes it into a *triggers.PostAuth and calls
// Decider.Decide, which validates the sub, builds the Record, writes it
// through the Store within AUDIT_TIMEOUT_MS and returns the outcome, the
// reason, the facts of the decision line and the metrics; invoke encodes
// the event with its empty response and writes the line.
package postauth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/cognito-triggers/suite/pkg/budget"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// Store writes a sign-in's audit item and its dedupe marker atomically. It
// returns ErrDuplicate when the same event was recorded within
// DedupeWindow. *Table is the DynamoDB implementation.
type Store interface {
	Put(ctx context.Context, r *Record) error
}

// Failure modes (AUDIT_FAILURE_MODE).
const (
	// FailOpen lets the sign-in go on when the audit write fails; the
	// decision line then carries the whole item (group "audit") so the trail
	// can be rebuilt from the logs, and AuditWriteFailures is 1.
	FailOpen = "open"
	// FailClosed refuses the sign-in when the audit write fails, for pools
	// where the audit trail is a compliance gate.
	FailClosed = "closed"
)

// Metric names; template.yaml's alarms select on them.
const (
	MetricSignIns             = "SignIns"
	MetricNewDeviceSignIns    = "NewDeviceSignIns"
	MetricAuditWriteFailures  = "AuditWriteFailures"
	MetricAuditWriteLatencyMs = "AuditWriteLatencyMs"
	MetricDuplicateDeliveries = "DuplicateDeliveries"
)

// Metrics lists the metric names the decision writes, for the template's
// cross-checks.
func Metrics() []string {
	return []string{MetricSignIns, MetricNewDeviceSignIns, MetricAuditWriteFailures,
		MetricAuditWriteLatencyMs, MetricDuplicateDeliveries}
}

// Outcomes lists the outcomes the decision gives (package invoke adds
// decision.OutcomeError for events it refuses itself).
func Outcomes() []decision.Outcome {
	return []decision.Outcome{decision.OutcomeRecorded, decision.OutcomeDuplicate,
		decision.OutcomeAuditFailed, decision.OutcomeRefused, decision.OutcomeError}
}

// Config is the post authentication configuration.
type Config struct {
	Table        string        // AUDIT_TABLE (required)
	Retention    time.Duration // AUDIT_RETENTION_DAYS, 1..3650, default 365: the item's TTL
	FailureMode  string        // AUDIT_FAILURE_MODE: FailOpen (default) or FailClosed
	WriteTimeout time.Duration // AUDIT_TIMEOUT_MS, 50..4000, default 1500: the write's own budget
}

// Defaults and bounds, shared by LoadConfig and New.
const (
	defaultRetentionDays = 365
	maxRetentionDays     = 3650
	defaultWriteTimeout  = 1500 * time.Millisecond
	// maxWriteTimeout keeps the write inside Cognito's 5 s wait with room
	// for the rest of the invocation.
	maxWriteTimeout = 4 * time.Second
)

const day = 24 * time.Hour

// LoadConfig reads the configuration; problems are recorded on r.
func LoadConfig(r *envconfig.Reader) Config {
	return Config{
		Table:        r.Required("AUDIT_TABLE"),
		Retention:    time.Duration(r.Int("AUDIT_RETENTION_DAYS", defaultRetentionDays, 1, maxRetentionDays)) * day,
		FailureMode:  r.Enum("AUDIT_FAILURE_MODE", FailOpen, FailOpen, FailClosed),
		WriteTimeout: r.Millis("AUDIT_TIMEOUT_MS", defaultWriteTimeout, 50*time.Millisecond, maxWriteTimeout),
	}
}

// Deps are what the decision calls.
type Deps struct {
	// Store records the sign-ins; required. *Table in production.
	Store Store
	// Now is the clock that dates each sign-in; nil means time.Now.
	Now func() time.Time
}

// Decider is the post authentication decision. It is safe for concurrent
// use.
type Decider struct {
	cfg   Config
	store Store
	now   func() time.Time
}

// New returns a Decider. Zero Retention, FailureMode and WriteTimeout take
// their defaults; a value LoadConfig would refuse is an error, and so is a
// missing store.
func New(cfg Config, deps Deps) (*Decider, error) {
	if deps.Store == nil {
		return nil, errors.New("postauth: no audit store")
	}
	if cfg.Retention == 0 {
		cfg.Retention = defaultRetentionDays * day
	}
	if cfg.Retention < day || cfg.Retention > maxRetentionDays*day {
		return nil, fmt.Errorf("postauth: retention %v is not 1 to %d days", cfg.Retention, maxRetentionDays)
	}
	switch cfg.FailureMode {
	case "":
		cfg.FailureMode = FailOpen
	case FailOpen, FailClosed:
	default:
		return nil, fmt.Errorf("postauth: failure mode %q is neither %q nor %q", cfg.FailureMode, FailOpen, FailClosed)
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = defaultWriteTimeout
	}
	if cfg.WriteTimeout < 0 || cfg.WriteTimeout > maxWriteTimeout {
		return nil, fmt.Errorf("postauth: write timeout %v is not above 0 and at most %v", cfg.WriteTimeout, maxWriteTimeout)
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	return &Decider{cfg: cfg, store: deps.Store, now: now}, nil
}

// Decide records one sign-in. The event's response is always left empty:
// Cognito reads nothing back, so whatever arrived there is not echoed.
func (d *Decider) Decide(ctx context.Context, ev *triggers.PostAuth) decision.Result {
	ev.Response = triggers.PostAuthResponse{}
	signIn := decision.String("event", "sign_in")
	sub := ev.Request.UserAttributes.Get("sub")
	if err := checkSub(sub); err != nil {
		res := decision.Refusal(decision.OutcomeError, decision.ReasonMalformedEvent, decision.MalformedMessage, err)
		res.Facts = []decision.Fact{signIn}
		return res
	}
	newDevice := ev.Request.NewDeviceUsed
	now := d.now().UTC().Truncate(time.Millisecond)
	rec := &Record{
		Sub:           sub,
		Time:          now,
		UserPoolID:    ev.UserPoolID,
		ClientID:      ev.CallerContext.ClientID,
		TriggerSource: string(ev.TriggerSource),
		NewDeviceUsed: newDevice,
		RequestID:     requestID(ctx),
		Key:           idempotencyKey(ev, sub),
		ExpiresAt:     now.Add(d.cfg.Retention).Unix(),
	}

	wctx, cancel := budget.For(ctx, d.cfg.WriteTimeout)
	start := time.Now()
	err := d.store.Put(wctx, rec)
	latency := time.Since(start)
	var reason decision.Reason
	if err != nil && !errors.Is(err, ErrDuplicate) {
		// Classified before cancel: once the write's context is done, the
		// failure counts as a timeout whatever the error says.
		reason = decision.Table.Failed(wctx, err)
	}
	cancel()

	res := decision.Result{Facts: make([]decision.Fact, 3, 5)}
	res.Facts[0] = signIn
	res.Facts[1] = decision.String("sub", sub)
	res.Facts[2] = decision.Bool("newDevice", newDevice)
	var signedIn, duplicate, failed bool
	switch {
	case err == nil:
		res.Outcome, signedIn = decision.OutcomeRecorded, true
	case reason == "":
		res.Outcome, duplicate = decision.OutcomeDuplicate, true
	case d.cfg.FailureMode == FailClosed:
		res.Outcome, res.Reason, failed = decision.OutcomeRefused, reason, true
		res.Err = decision.Refuse(decision.GenericMessage, reason, err)
	default:
		res.Outcome, res.Reason, signedIn, failed = decision.OutcomeAuditFailed, reason, true, true
		// The one line of this invocation carries the whole item, so the
		// trail can be rebuilt from the logs; cause is the SDK's error text,
		// which names the operation and the error code, never item values.
		res.Facts = append(res.Facts,
			decision.Group("audit", rec.Facts()...),
			decision.String("cause", err.Error()))
	}
	res.Metrics = []decision.Metric{
		decision.Counter(MetricSignIns, signedIn),
		decision.Counter(MetricNewDeviceSignIns, signedIn && newDevice),
		decision.Counter(MetricAuditWriteFailures, failed),
		decision.Latency(MetricAuditWriteLatencyMs, latency),
		decision.Counter(MetricDuplicateDeliveries, duplicate),
	}
	return res
}

// requestID is the Lambda request id, which makes the sort key unique. Lambda
// always provides one; outside Lambda (tools, tests without a context) a
// random id stands in, so that two records never share a sort key.
func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	return "local-" + hex.EncodeToString(b[:])
}
