// Package telemetry writes the suite's logs and metrics: JSON lines through
// log/slog, in the key names Lambda's own JSON log format uses, and CloudWatch
// embedded-metric-format (EMF) fields, so that the one line a handler writes
// per decision is at once the audit log entry and the metric data point.
//
// One line per decision keeps logs cheap and makes CloudWatch Logs Insights
// queries trivial; EMF on that same line means metrics cost no API call and
// cannot disagree with the logs.
//
// The handler is slog's own JSONHandler; a ReplaceAttr renames the built-in
// keys to Lambda's (timestamp, level, message), writes times in UTC and
// redacts by key and by kind of value (see redact). A decision line costs
// about 5 µs with it, against 2 µs with the hand-written encoder it
// replaced (BenchmarkDecisionLine, same machine and run): a few
// microseconds against a budget of seconds buys not owning a JSON encoder.
//
// Logs are JSON whatever AWS_LAMBDA_LOG_FORMAT says. With "JSON" (what
// template.yaml sets and its tests require) Lambda filters the lines by
// level. With "Text", Lambda passes each line through as written, and a
// JSON line is still what CloudWatch needs to read the EMF block: plain-text
// lines would silently drop every metric and with them every alarm. So
// Install keeps JSON and says so once, in a WARN line at cold start.
package telemetry

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cognito-triggers/suite/pkg/decision"
)

// NewLogger returns a JSON logger writing to w. Keys follow Lambda's JSON
// log format (timestamp, level, message) and times are UTC.
func NewLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(NewHandler(w, level))
}

// ParseLevel reads a level name as Lambda's AWS_LAMBDA_LOG_LEVEL spells it
// (TRACE, DEBUG, INFO, WARN, ERROR, FATAL); unknown or empty means INFO.
func ParseLevel(s string) slog.Level {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "TRACE", "DEBUG":
		return slog.LevelDebug
	case "WARN":
		return slog.LevelWarn
	case "ERROR", "FATAL":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// Unit and Metric are the decision's own types: a decision reports data
// points, and this package writes them as EMF.
type (
	Unit   = decision.Unit
	Metric = decision.Metric
)

// The units the suite uses.
const (
	Count        = decision.Count
	Milliseconds = decision.Milliseconds
)

// Dimension keys written on every decision line. Alarms in template.yaml
// select on these names.
const (
	DimFunction = "function"
	DimOutcome  = "outcome"
	DimReason   = "reason"
)

// EMF turns a decision's metrics into EMF fields. Metrics are published per
// function, per function and outcome, and (when the decision has a reason)
// per function, outcome and reason, so an alarm can watch "pre token denied
// because the table failed" without counting every denial.
type EMF struct {
	namespace  string
	mu         sync.RWMutex
	directives map[string][]byte // shape key -> the fixed tail of "_aws"
}

// NewEMF returns an EMF writer for a CloudWatch namespace.
func NewEMF(namespace string) *EMF {
	return &EMF{namespace: namespace, directives: map[string][]byte{}}
}

// Attrs returns the "_aws" metadata and one attribute per metric. The caller
// writes the dimension keys (DimFunction, DimOutcome, DimReason) itself.
func (e *EMF) Attrs(dst []slog.Attr, now time.Time, withReason bool, metrics []Metric) []slog.Attr {
	tail := e.directive(withReason, metrics)
	buf := make([]byte, 0, 32+len(tail))
	buf = append(buf, `{"Timestamp":`...)
	buf = strconv.AppendInt(buf, now.UnixMilli(), 10)
	buf = append(buf, tail...)
	dst = append(dst, slog.Any("_aws", json.RawMessage(buf)))
	for _, m := range metrics {
		dst = append(dst, slog.Float64(m.Name, m.Value))
	}
	return dst
}

// directive returns `,"CloudWatchMetrics":[...]}` for a metric shape, built
// once per shape: a function emits only a handful of shapes.
func (e *EMF) directive(withReason bool, metrics []Metric) []byte {
	var kb [256]byte
	key := kb[:0]
	if withReason {
		key = append(key, 'r')
	}
	for _, m := range metrics {
		key = append(key, '|')
		key = append(key, m.Name...)
		key = append(key, ':')
		key = append(key, m.Unit...)
	}
	e.mu.RLock()
	d, ok := e.directives[string(key)]
	e.mu.RUnlock()
	if ok {
		return d
	}
	type metricDef struct {
		Name string `json:"Name"`
		Unit Unit   `json:"Unit"`
	}
	type directive struct {
		Namespace  string      `json:"Namespace"`
		Dimensions [][]string  `json:"Dimensions"`
		Metrics    []metricDef `json:"Metrics"`
	}
	dir := directive{Namespace: e.namespace, Dimensions: [][]string{{DimFunction}, {DimFunction, DimOutcome}}}
	if withReason {
		dir.Dimensions = append(dir.Dimensions, []string{DimFunction, DimOutcome, DimReason})
	}
	for _, m := range metrics {
		dir.Metrics = append(dir.Metrics, metricDef{Name: m.Name, Unit: m.Unit})
	}
	body, err := json.Marshal([]directive{dir})
	if err != nil {
		panic(err) // only strings: cannot happen
	}
	tail := append(append([]byte(`,"CloudWatchMetrics":`), body...), '}')
	e.mu.Lock()
	e.directives[string(key)] = tail
	e.mu.Unlock()
	return tail
}

// Install returns the process logger writing to w at the named level and
// makes it slog's default, which also routes the standard log package
// through it: aws-lambda-go reports every returned error with log.Printf,
// and without this that line would be the one non-JSON line in the logs.
// It reads AWS_LAMBDA_LOG_FORMAT (see the package comment). Only a main
// calls it, once.
func Install(w io.Writer, levelName string) *slog.Logger {
	return install(w, levelName, os.Getenv("AWS_LAMBDA_LOG_FORMAT"))
}

func install(w io.Writer, levelName, format string) *slog.Logger {
	logger := NewLogger(w, ParseLevel(levelName))
	slog.SetDefault(logger)
	if format != "" && !strings.EqualFold(format, "JSON") {
		logger.Warn("logging JSON although AWS_LAMBDA_LOG_FORMAT is not JSON: the decision line carries the EMF metrics, which CloudWatch reads only from JSON lines",
			"logFormat", format)
	}
	return logger
}
