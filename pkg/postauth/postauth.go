// Package postauth keeps the login audit trail behind the post
// authentication trigger: one DynamoDB item per sign-in, never two for one
// sign-in, and never a blocked sign-in by accident.
//
// Cognito calls post authentication after the credentials were accepted and
// before tokens are issued, and an error from it fails the sign-in. So the
// decision is about the audit write alone: the response is always the event
// with "response":{} (Cognito reads nothing back), and only a deliberate
// policy (AUDIT_FAILURE_MODE=closed) turns a failed write into a refusal.
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
package postauth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/cognito-triggers/suite/pkg/budget"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/telemetry"
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

// Outcomes, the decision line's "outcome".
const (
	OutcomeRecorded    = "recorded"     // the item was written
	OutcomeDuplicate   = "duplicate"    // a redelivery of a recorded sign-in: nothing written, sign-in goes on
	OutcomeAuditFailed = "audit_failed" // write failed, FailOpen: sign-in goes on, item in the log line
	OutcomeRefused     = "refused"      // write failed, FailClosed: sign-in refused
)

// Metric names; template.yaml's alarms select on them.
const (
	MetricSignIns             = "SignIns"
	MetricNewDeviceSignIns    = "NewDeviceSignIns"
	MetricAuditWriteFailures  = "AuditWriteFailures"
	MetricAuditWriteLatencyMs = "AuditWriteLatencyMs"
	MetricDuplicateDeliveries = "DuplicateDeliveries"
)

// Config is the post authentication configuration.
type Config struct {
	Table        string        // AUDIT_TABLE (required)
	Retention    time.Duration // AUDIT_RETENTION_DAYS, 1..3650, default 365: the item's TTL
	FailureMode  string        // AUDIT_FAILURE_MODE: FailOpen (default) or FailClosed
	WriteTimeout time.Duration // AUDIT_TIMEOUT_MS, 50..4000, default 1500: the write's own budget
	// Now is the clock; nil means time.Now. Tests set a fake one to cross
	// the dedupe window without waiting.
	Now func() time.Time
}

// Defaults, shared by LoadConfig and New.
const (
	defaultRetentionDays = 365
	defaultWriteTimeout  = 1500 * time.Millisecond
)

// LoadConfig reads the configuration; problems are recorded on r.
func LoadConfig(r *envconfig.Reader) Config {
	return Config{
		Table:        r.Required("AUDIT_TABLE"),
		Retention:    time.Duration(r.Int("AUDIT_RETENTION_DAYS", defaultRetentionDays, 1, 3650)) * 24 * time.Hour,
		FailureMode:  r.Enum("AUDIT_FAILURE_MODE", FailOpen, FailOpen, FailClosed),
		WriteTimeout: r.Millis("AUDIT_TIMEOUT_MS", defaultWriteTimeout, 50*time.Millisecond, 4*time.Second),
	}
}

// Decider is the post authentication decision.
type Decider struct {
	cfg   Config
	store Store
	now   func() time.Time
}

// New returns a Decider writing through store.
func New(cfg Config, store Store) *Decider {
	if cfg.Retention <= 0 {
		cfg.Retention = defaultRetentionDays * 24 * time.Hour
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = defaultWriteTimeout
	}
	if cfg.FailureMode == "" {
		cfg.FailureMode = FailOpen
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Decider{cfg: cfg, store: store, now: now}
}

// emptyResponse is post authentication's whole response.
var emptyResponse = []byte(`{}`)

// Decide implements invoke.DecideFunc.
func (d *Decider) Decide(ctx context.Context, ev *triggers.Envelope) invoke.Decision {
	var metaBuf, keyBuf [256]byte
	in, err := parseRequest(ev.Request, metaBuf[:0])
	if err != nil {
		return invoke.Decision{Outcome: "error", Reason: "malformed_event",
			Err:   triggers.Refuse(invoke.MalformedMessage, "malformed_event", err),
			Attrs: []slog.Attr{slog.String("event", "sign_in")}}
	}
	now := d.now().UTC().Truncate(time.Millisecond)
	rec := &Record{
		Sub:           in.sub,
		Time:          now,
		UserPoolID:    ev.UserPoolID,
		ClientID:      ev.CallerContext.ClientID,
		TriggerSource: string(ev.TriggerSource),
		NewDeviceUsed: in.newDevice,
		RequestID:     requestID(ctx),
		Key:           idempotencyKey(ev, &in, keyBuf[:0]),
		ExpiresAt:     now.Add(d.cfg.Retention).Unix(),
	}

	wctx, cancel := budget.For(ctx, d.cfg.WriteTimeout)
	start := time.Now()
	err = d.store.Put(wctx, rec)
	latency := float64(time.Since(start).Microseconds()) / 1000
	reason := ""
	if err != nil && !errors.Is(err, ErrDuplicate) {
		reason = failureReason(wctx, err)
	}
	cancel()

	dec := invoke.Decision{Attrs: make([]slog.Attr, 3, 5)}
	dec.Attrs[0] = slog.String("event", "sign_in")
	dec.Attrs[1] = slog.String("sub", in.sub)
	dec.Attrs[2] = slog.Bool("newDevice", in.newDevice)
	var signIn, duplicate, failure float64
	switch {
	case err == nil:
		dec.Outcome, signIn = OutcomeRecorded, 1
		dec.Response = ev.WithResponse(emptyResponse)
	case reason == "":
		dec.Outcome, duplicate = OutcomeDuplicate, 1
		dec.Response = ev.WithResponse(emptyResponse)
	case d.cfg.FailureMode == FailClosed:
		dec.Outcome, dec.Reason, failure = OutcomeRefused, reason, 1
		dec.Err = triggers.Refuse(triggers.GenericMessage, reason, err)
	default:
		dec.Outcome, dec.Reason, signIn, failure = OutcomeAuditFailed, reason, 1, 1
		dec.Response = ev.WithResponse(emptyResponse)
		// The one line of this invocation carries the whole item, so the
		// trail can be rebuilt from the logs; cause is the SDK's error text,
		// which names the operation and the error code, never item values.
		dec.Attrs = append(dec.Attrs,
			slog.Attr{Key: "audit", Value: slog.GroupValue(rec.Attrs()...)},
			slog.String("cause", err.Error()))
	}
	newDevice := 0.0
	if signIn == 1 && in.newDevice {
		newDevice = 1
	}
	dec.Metrics = []telemetry.Metric{
		{Name: MetricSignIns, Unit: telemetry.Count, Value: signIn},
		{Name: MetricNewDeviceSignIns, Unit: telemetry.Count, Value: newDevice},
		{Name: MetricAuditWriteFailures, Unit: telemetry.Count, Value: failure},
		{Name: MetricAuditWriteLatencyMs, Unit: telemetry.Milliseconds, Value: latency},
		{Name: MetricDuplicateDeliveries, Unit: telemetry.Count, Value: duplicate},
	}
	return dec
}

// requestID is the Lambda request id, which makes the sort key unique. Lambda
// always provides one; outside Lambda (tools, tests without a context) a
// random id stands in, so that two records never share a sort key.
func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails on Linux
	return "local-" + hex.EncodeToString(b[:])
}
