// Package invoke adapts a trigger's decision function to the Lambda runtime:
// raw event bytes in, raw response bytes out, inside the invocation budget,
// with exactly one JSON decision line (which is also the EMF metric record)
// per invocation.
//
// Everything the five functions must do the same way lives here, so that no
// trigger can forget it: the budget below Cognito's 5 s, refusing malformed
// events and events meant for another trigger or another user pool, turning
// panics into a user-safe error, keeping internal error text away from
// Cognito (which shows it to the end user), and logging without secrets.
package invoke

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/cognito-triggers/suite/pkg/budget"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// Decision is what a trigger decided for one event.
type Decision struct {
	// Outcome is a short closed-set word ("allowed", "refused",
	// "claims_added", ...), logged and used as a metric dimension.
	Outcome string
	// Reason says why, for refusals and failures (closed set, snake_case).
	Reason string
	// Response is the full event to return to Cognito; ignored when Err is set.
	Response []byte
	// Err refuses the operation; its Message is what the end user sees.
	Err *triggers.UserError
	// Attrs are extra facts for the decision line. Never secrets or PII
	// beyond the user's sub.
	Attrs []slog.Attr
	// Metrics are extra EMF data points ("Invocations" and "DurationMs" are
	// always written).
	Metrics []telemetry.Metric
}

// DecideFunc decides one event. It must honour ctx: the invocation budget
// is its deadline.
type DecideFunc func(ctx context.Context, ev *triggers.Envelope) Decision

// Options configure a Handler.
type Options struct {
	Function string           // short function name for logs and metrics, e.g. "presignup"
	Trigger  triggers.Trigger // the only trigger this function serves
	Budget   time.Duration    // per-invocation budget; default budget.Default
	Logger   *slog.Logger
	EMF      *telemetry.EMF
	// AllowedPools, when set, refuses events from any other user pool: a
	// defence in depth behind the Lambda permission's SourceArn condition.
	AllowedPools []string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Handler implements lambda.Handler.
type Handler struct {
	opts   Options
	decide DecideFunc
}

// New returns a Handler calling decide for each well-formed event.
func New(opts Options, decide DecideFunc) *Handler {
	if opts.Budget <= 0 {
		opts.Budget = budget.Default
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.EMF == nil {
		opts.EMF = telemetry.NewEMF("CognitoTriggers")
	}
	return &Handler{opts: opts, decide: decide}
}

// Messages for refusals the invocation layer makes itself.
const (
	MalformedMessage = "We could not process this request. Please try again."
)

// Invoke runs one invocation. The returned error, if any, is a
// *triggers.UserError whose text is safe for the end user.
func (h *Handler) Invoke(ctx context.Context, payload []byte) (out []byte, err error) {
	start := h.opts.Now()
	ctx, cancel := budget.Start(ctx, h.opts.Budget)
	defer cancel()

	var ev triggers.Envelope
	var d Decision
	defer func() {
		if p := recover(); p != nil {
			// The panic value may quote event data (a password, a code), so
			// only its type is logged.
			d = Decision{Outcome: "error", Reason: "panic", Err: triggers.Refuse(triggers.GenericMessage, "panic",
				fmt.Errorf("panic of type %T", p))}
		}
		h.log(ctx, start, &ev, &d)
		if d.Err != nil {
			out, err = nil, d.Err
			return
		}
		out, err = d.Response, nil
	}()

	if perr := triggers.ParseEnvelopeInto(&ev, payload); perr != nil {
		d = Decision{Outcome: "error", Reason: "malformed_event", Err: triggers.Refuse(MalformedMessage, "malformed_event", perr)}
		return
	}
	if got := ev.TriggerSource.Trigger(); got != h.opts.Trigger {
		d = Decision{Outcome: "error", Reason: "wrong_trigger", Err: triggers.Refuse(MalformedMessage, "wrong_trigger",
			fmt.Errorf("%w: %s event sent to the %s function", triggers.ErrWrongTrigger, got, h.opts.Trigger))}
		return
	}
	if !h.poolAllowed(ev.UserPoolID) {
		d = Decision{Outcome: "error", Reason: "unexpected_pool", Err: triggers.Refuse(MalformedMessage, "unexpected_pool",
			fmt.Errorf("user pool %q is not in ALLOWED_USER_POOL_IDS", ev.UserPoolID))}
		return
	}
	d = h.decide(ctx, &ev)
	if d.Err == nil && d.Response == nil {
		d.Err = triggers.Refuse(triggers.GenericMessage, "no_response", fmt.Errorf("decision %q returned no response", d.Outcome))
	}
	return
}

func (h *Handler) poolAllowed(pool string) bool {
	return len(h.opts.AllowedPools) == 0 || slices.Contains(h.opts.AllowedPools, pool)
}

// log writes the decision line: who, what, outcome, why, how long, and the
// EMF metrics. Logging must never take the invocation down: a value that
// panics while being formatted (a typed-nil error is the classic case)
// would otherwise escape to aws-lambda-go, whose panic text reaches the end
// user and whose process then exits. So a panic here is caught and a
// minimal line of fixed strings is written instead.
func (h *Handler) log(ctx context.Context, start time.Time, ev *triggers.Envelope, d *Decision) {
	defer func() {
		if p := recover(); p != nil {
			h.opts.Logger.LogAttrs(ctx, slog.LevelError, "decision",
				slog.String(telemetry.DimFunction, h.opts.Function),
				slog.String(telemetry.DimOutcome, d.Outcome),
				slog.String(telemetry.DimReason, d.Reason),
				slog.String("logError", fmt.Sprintf("panic of type %T while writing the decision line", p)))
		}
	}()
	now := h.opts.Now()
	elapsed := now.Sub(start)
	ms := float64(elapsed.Microseconds()) / 1000
	if d.Err != nil && d.Reason == "" {
		d.Reason = d.Err.Reason
	}
	level := slog.LevelInfo
	if d.Outcome == "error" {
		level = slog.LevelError
	}
	var attrBuf [24]slog.Attr
	attrs := attrBuf[:0]
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		attrs = append(attrs, slog.String("requestId", lc.AwsRequestID))
	}
	attrs = append(attrs,
		slog.String(telemetry.DimFunction, h.opts.Function),
		slog.String("triggerSource", string(ev.TriggerSource)),
		slog.String("userPoolId", ev.UserPoolID),
		slog.String("clientId", ev.CallerContext.ClientID),
		slog.String(telemetry.DimOutcome, d.Outcome),
	)
	if d.Reason != "" {
		attrs = append(attrs, slog.String(telemetry.DimReason, d.Reason))
	}
	attrs = append(attrs, slog.Float64("durationMs", ms))
	if d.Err != nil {
		attrs = append(attrs, slog.String("userMessage", d.Err.Message))
		if d.Err.Cause != nil {
			attrs = append(attrs, slog.String("cause", causeText(d.Err.Cause)))
		}
	}
	attrs = append(attrs, d.Attrs...)
	var metricBuf [8]telemetry.Metric
	metrics := append(metricBuf[:0],
		telemetry.Metric{Name: "Invocations", Unit: telemetry.Count, Value: 1},
		telemetry.Metric{Name: "DurationMs", Unit: telemetry.Milliseconds, Value: ms})
	metrics = append(metrics, d.Metrics...)
	attrs = h.opts.EMF.Attrs(attrs, now, d.Reason != "", metrics)
	h.opts.Logger.LogAttrs(ctx, level, "decision", attrs...)
}

// LoadOptions reads the settings every function shares: TRIGGER_BUDGET_MS,
// METRICS_NAMESPACE and ALLOWED_USER_POOL_IDS. Problems are recorded on r.
func LoadOptions(r *envconfig.Reader, function string, trigger triggers.Trigger, logger *slog.Logger) Options {
	return Options{
		Function:     function,
		Trigger:      trigger,
		Budget:       r.Millis("TRIGGER_BUDGET_MS", budget.Default, 100*time.Millisecond, 4900*time.Millisecond),
		Logger:       logger,
		EMF:          telemetry.NewEMF(r.String("METRICS_NAMESPACE", "CognitoTriggers")),
		AllowedPools: r.List("ALLOWED_USER_POOL_IDS"),
	}
}

// causeText is err.Error(), or a fixed text when that panics.
func causeText(err error) (s string) {
	defer func() {
		if recover() != nil {
			s = fmt.Sprintf("[unprintable %T]", err)
		}
	}()
	return err.Error()
}
