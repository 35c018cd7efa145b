// Package invoke adapts a trigger's decision to the Lambda runtime, the
// same way for all five triggers: event bytes in, one typed event to the
// decision, one typed Result back, response bytes out, inside the
// invocation budget, with exactly one JSON decision line (which is also
// the EMF metric record) per invocation.
//
// Everything the five functions must do alike lives here, so that no
// trigger can forget it: the budget below Cognito's 5 s; decoding the
// event strictly into its type from package triggers and refusing events
// that are malformed, meant for another trigger or for another user pool;
// encoding the answer; turning panics into a user-safe error; keeping
// internal error text away from Cognito, which shows it to the end user;
// and logging without secrets. A decision package never sees bytes, a log
// handler, the metric format or the environment.
//
// One event, from main to the decision and back:
//
//	main → invoke.Main(name, build)     configuration, clients, lambda.Start
//	Lambda → Handler.Invoke(ctx, bytes) budget; triggers.Decode → *E
//	       → decide(ctx, *E)            edits E's response, returns decision.Result
//	       → triggers.Encode(*E)        the event with its response, back to Cognito
//	       → one decision line + EMF    from the Result's outcome, reason, facts, metrics
package invoke

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/cognito-triggers/suite/pkg/budget"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// Event is the constraint on the event types: E is the struct, P its
// pointer, which implements triggers.Event.
type Event[E any] interface {
	*E
	triggers.Event
}

// DecideFunc decides one event: it edits the event's response in place and
// returns what it decided. It must honour ctx: the invocation budget is
// its deadline.
type DecideFunc[E any] func(ctx context.Context, ev *E) decision.Result

// Options configure a Handler.
type Options struct {
	Function string        // short function name for logs and metrics, e.g. "presignup"
	Budget   time.Duration // per-invocation budget; default budget.Default
	Logger   *slog.Logger
	EMF      *telemetry.EMF
	// AllowedPools, when set, refuses events from any other user pool: a
	// defence in depth behind the Lambda permission's SourceArn condition.
	AllowedPools []string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MalformedRequest, when set, answers an event whose header is
	// well-formed (the right trigger, an allowed pool) but whose request or
	// response is not, with the event exactly as received and the Result
	// it returns, instead of refusing it. The custom message trigger uses
	// it: its failure mode is "send the pool's own message", never "block
	// the message".
	MalformedRequest func(err error) decision.Result
}

// Handler implements lambda.Handler for events of type E.
type Handler[E any, P Event[E]] struct {
	opts   Options
	decide DecideFunc[E]
}

// New returns a Handler calling decide for each well-formed event.
func New[E any, P Event[E]](opts Options, decide DecideFunc[E]) *Handler[E, P] {
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
		opts.EMF = telemetry.NewEMF(DefaultNamespace)
	}
	return &Handler[E, P]{opts: opts, decide: decide}
}

// DefaultNamespace is the CloudWatch namespace when METRICS_NAMESPACE is
// unset.
const DefaultNamespace = "CognitoTriggers"

// Invoke runs one invocation. The returned error, if any, is a
// *decision.UserError whose text is safe for the end user.
func (h *Handler[E, P]) Invoke(ctx context.Context, payload []byte) (out []byte, err error) {
	start := h.opts.Now()
	ctx, cancel := budget.Start(ctx, h.opts.Budget)
	defer cancel()

	var header *triggers.Header
	var res decision.Result
	defer func() {
		if p := recover(); p != nil {
			// The panic value may quote event data (a password, a code), so
			// only its type is logged.
			res = decision.Refusal(decision.OutcomeError, decision.ReasonPanic, decision.GenericMessage,
				fmt.Errorf("panic of type %T", p))
			out = nil
		}
		h.log(ctx, start, header, &res)
		if res.Err != nil {
			out, err = nil, res.Err
		}
	}()

	ev, derr := triggers.Decode[E, P](payload)
	if derr != nil {
		header, res = h.refuseDecode(payload, derr)
		if res.Err == nil {
			out = payload // MalformedRequest: the event exactly as received
		}
		return out, nil
	}
	header = P(ev).EventHeader()
	if !h.poolAllowed(header.UserPoolID) {
		res = decision.Refusal(decision.OutcomeError, decision.ReasonUnexpectedPool, decision.MalformedMessage,
			fmt.Errorf("user pool %q is not in ALLOWED_USER_POOL_IDS", header.UserPoolID))
		return nil, nil
	}
	res = h.decide(ctx, ev)
	if res.Err != nil {
		return nil, nil
	}
	out, eerr := triggers.Encode(P(ev))
	if eerr != nil {
		res = decision.Refusal(decision.OutcomeError, decision.InternalError, decision.GenericMessage,
			fmt.Errorf("encode the response: %w", eerr))
		return nil, nil
	}
	return out, nil
}

// refuseDecode is the Result for an event that did not decode, and the
// header to log with it when there is one.
func (h *Handler[E, P]) refuseDecode(payload []byte, err error) (*triggers.Header, decision.Result) {
	if errors.Is(err, triggers.ErrWrongTrigger) {
		return nil, decision.Refusal(decision.OutcomeError, decision.ReasonWrongTrigger, decision.MalformedMessage, err)
	}
	if errors.Is(err, triggers.ErrMalformedRequest) && h.opts.MalformedRequest != nil {
		if hd, herr := triggers.DecodeHeader(payload); herr == nil && h.poolAllowed(hd.UserPoolID) {
			return hd, h.opts.MalformedRequest(err)
		}
	}
	return nil, decision.Refusal(decision.OutcomeError, decision.ReasonMalformedEvent, decision.MalformedMessage, err)
}

func (h *Handler[E, P]) poolAllowed(pool string) bool {
	return len(h.opts.AllowedPools) == 0 || slices.Contains(h.opts.AllowedPools, pool)
}

// log writes the decision line: who, what, outcome, why, how long, the
// facts, and the EMF metrics. Logging must never take the invocation down:
// a value that panics while being formatted (a typed-nil error is the
// classic case) would otherwise escape to aws-lambda-go, whose panic text
// reaches the end user and whose process then exits. So a panic here is
// caught and a minimal line of fixed strings is written instead.
func (h *Handler[E, P]) log(ctx context.Context, start time.Time, hd *triggers.Header, res *decision.Result) {
	defer func() {
		if p := recover(); p != nil {
			h.opts.Logger.LogAttrs(ctx, slog.LevelError, "decision",
				slog.String(telemetry.DimFunction, h.opts.Function),
				slog.String(telemetry.DimOutcome, string(res.Outcome)),
				slog.String(telemetry.DimReason, string(res.Reason)),
				slog.String("logError", fmt.Sprintf("panic of type %T while writing the decision line", p)))
		}
	}()
	now := h.opts.Now()
	ms := decision.Millis(now.Sub(start))
	if res.Err != nil && res.Reason == "" {
		res.Reason = res.Err.Reason
	}
	if res.Outcome == "" {
		res.Outcome = decision.OutcomeError
	}
	level := slog.LevelInfo
	if res.Outcome == decision.OutcomeError {
		level = slog.LevelError
	}
	attrs := make([]slog.Attr, 0, 16+len(res.Facts)+len(res.Metrics))
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		attrs = append(attrs, slog.String("requestId", lc.AwsRequestID))
	}
	attrs = append(attrs, slog.String(telemetry.DimFunction, h.opts.Function))
	if hd != nil {
		attrs = append(attrs,
			slog.String("triggerSource", string(hd.TriggerSource)),
			slog.String("userPoolId", hd.UserPoolID),
			slog.String("clientId", hd.CallerContext.ClientID))
	}
	attrs = append(attrs, slog.String(telemetry.DimOutcome, string(res.Outcome)))
	if res.Reason != "" {
		attrs = append(attrs, slog.String(telemetry.DimReason, string(res.Reason)))
	}
	attrs = append(attrs, slog.Float64("durationMs", ms))
	if res.Err != nil {
		attrs = append(attrs, slog.String("userMessage", res.Err.Message))
		if res.Err.Cause != nil {
			attrs = append(attrs, slog.String("cause", causeText(res.Err.Cause)))
		}
	}
	for _, f := range res.Facts {
		attrs = append(attrs, factAttr(f))
	}
	metrics := make([]telemetry.Metric, 0, 2+len(res.Metrics))
	metrics = append(metrics,
		telemetry.Metric{Name: "Invocations", Unit: telemetry.Count, Value: 1},
		telemetry.Metric{Name: "DurationMs", Unit: telemetry.Milliseconds, Value: ms})
	metrics = append(metrics, res.Metrics...)
	attrs = h.opts.EMF.Attrs(attrs, now, res.Reason != "", metrics)
	h.opts.Logger.LogAttrs(ctx, level, "decision", attrs...)
}

// factAttr renders a fact of one of the types decision.Fact allows;
// anything else is logged as its type name only.
func factAttr(f decision.Fact) slog.Attr {
	switch v := f.Value.(type) {
	case string:
		return slog.String(f.Key, v)
	case bool:
		return slog.Bool(f.Key, v)
	case int:
		return slog.Int(f.Key, v)
	case int64:
		return slog.Int64(f.Key, v)
	case float64:
		return slog.Float64(f.Key, v)
	case time.Duration:
		return slog.Float64(f.Key, decision.Millis(v))
	case []decision.Fact:
		group := make([]slog.Attr, len(v))
		for i, g := range v {
			group[i] = factAttr(g)
		}
		return slog.Attr{Key: f.Key, Value: slog.GroupValue(group...)}
	}
	return slog.String(f.Key, fmt.Sprintf("[%T]", f.Value))
}

// LoadOptions reads the settings every function shares: TRIGGER_BUDGET_MS,
// METRICS_NAMESPACE and ALLOWED_USER_POOL_IDS. Problems are recorded on r.
func LoadOptions(r *envconfig.Reader, function string, logger *slog.Logger) Options {
	return Options{
		Function:     function,
		Budget:       r.Millis("TRIGGER_BUDGET_MS", budget.Default, 100*time.Millisecond, 4900*time.Millisecond),
		Logger:       logger,
		EMF:          telemetry.NewEMF(r.String("METRICS_NAMESPACE", DefaultNamespace)),
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
