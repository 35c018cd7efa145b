package telemetry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/cognito-triggers/suite/pkg/jsonscan"
)

// Handler is a slog.Handler that writes one JSON object per line in
// Lambda's key names. It exists because slog's JSONHandler with a
// ReplaceAttr hook costs about three times as much per line, and the
// decision line sits on every sign-in's path.
//
// It also refuses to print values under keys that name secrets (password,
// code, secret, token, ...): typed redaction (LogValue) is the first line of
// defence, this is the second.
type Handler struct {
	mu     *sync.Mutex
	w      io.Writer
	level  slog.Leveler
	prefix []byte // attributes and open groups from WithAttrs/WithGroup
	open   int    // groups opened in prefix
	// pendingGroups are groups opened by WithGroup that have no attribute yet;
	// an empty group must not appear, as in slog's own handlers.
	pendingGroups []string
}

// NewHandler returns a Handler writing to w.
func NewHandler(w io.Writer, level slog.Leveler) *Handler {
	if level == nil {
		level = slog.LevelInfo
	}
	return &Handler{mu: &sync.Mutex{}, w: w, level: level}
}

// Enabled reports whether the level is logged.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Handle writes the record as one line.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	bp := bufPool.Get().(*[]byte)
	buf := (*bp)[:0]
	buf = append(buf, `{"timestamp":"`...)
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	buf = t.UTC().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","level":`...)
	buf = jsonscan.AppendString(buf, r.Level.String())
	buf = append(buf, `,"message":`...)
	buf = jsonscan.AppendString(buf, r.Message)
	buf = append(buf, h.prefix...)
	open := h.open
	if r.NumAttrs() > 0 {
		for _, g := range h.pendingGroups {
			buf = append(buf, ',')
			buf = jsonscan.AppendString(buf, g)
			buf = append(buf, ":{"...)
			open++
		}
		first := len(h.pendingGroups) > 0
		r.Attrs(func(a slog.Attr) bool {
			buf = appendAttr(buf, a, &first)
			return true
		})
	}
	for ; open > 0; open-- {
		buf = append(buf, '}')
	}
	buf = append(buf, '}', '\n')
	h.mu.Lock()
	_, err := h.w.Write(buf)
	h.mu.Unlock()
	*bp = buf
	if cap(buf) <= 64<<10 {
		bufPool.Put(bp)
	}
	return err
}

// WithAttrs pre-renders attributes shared by later records.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := *h
	h2.prefix = append([]byte(nil), h.prefix...)
	for _, g := range h.pendingGroups {
		h2.prefix = append(h2.prefix, ',')
		h2.prefix = jsonscan.AppendString(h2.prefix, g)
		h2.prefix = append(h2.prefix, ":{"...)
		h2.open++
	}
	first := len(h.pendingGroups) > 0
	h2.pendingGroups = nil
	for _, a := range attrs {
		h2.prefix = appendAttr(h2.prefix, a, &first)
	}
	return &h2
}

// WithGroup nests later attributes under name.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.pendingGroups = append(append([]string(nil), h.pendingGroups...), name)
	return &h2
}

// appendAttr writes `,"key":value` (without the comma when *first).
func appendAttr(buf []byte, a slog.Attr, first *bool) []byte {
	v := a.Value.Resolve()
	if a.Key == "" && v.Kind() != slog.KindGroup {
		return buf
	}
	if v.Kind() == slog.KindGroup {
		attrs := v.Group()
		if len(attrs) == 0 {
			return buf
		}
		if a.Key == "" { // inline an unnamed group, as slog does
			for _, ga := range attrs {
				buf = appendAttr(buf, ga, first)
			}
			return buf
		}
		buf = sep(buf, first)
		buf = jsonscan.AppendString(buf, a.Key)
		buf = append(buf, ":{"...)
		inner := true
		for _, ga := range attrs {
			buf = appendAttr(buf, ga, &inner)
		}
		return append(buf, '}')
	}
	buf = sep(buf, first)
	buf = jsonscan.AppendString(buf, a.Key)
	buf = append(buf, ':')
	if secretKey(a.Key) {
		return append(buf, `"[REDACTED]"`...)
	}
	return appendValue(buf, v)
}

func sep(buf []byte, first *bool) []byte {
	if *first {
		*first = false
		return buf
	}
	return append(buf, ',')
}

func appendValue(buf []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindString:
		return jsonscan.AppendString(buf, v.String())
	case slog.KindInt64:
		return strconv.AppendInt(buf, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(buf, v.Uint64(), 10)
	case slog.KindFloat64:
		return appendFloat(buf, v.Float64())
	case slog.KindBool:
		return strconv.AppendBool(buf, v.Bool())
	case slog.KindDuration:
		return strconv.AppendInt(buf, int64(v.Duration()), 10)
	case slog.KindTime:
		buf = append(buf, '"')
		buf = v.Time().UTC().AppendFormat(buf, time.RFC3339Nano)
		return append(buf, '"')
	}
	switch x := v.Any().(type) {
	case json.RawMessage:
		// Only the suite's own code builds raw JSON (the EMF block); refuse
		// anything that would break the line rather than trusting it.
		if jsonscan.Valid(x) {
			return append(buf, x...)
		}
		return append(buf, `"[invalid raw JSON]"`...)
	case error:
		return jsonscan.AppendString(buf, errorText(x))
	case nil:
		return append(buf, "null"...)
	case []string:
		buf = append(buf, '[')
		for i, e := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = jsonscan.AppendString(buf, e)
		}
		return append(buf, ']')
	default:
		// Maps, structs and other composite values are not marshalled: their
		// nested keys would escape the secret-key check above, and a struct
		// logged whole bypasses its fields' LogValue. Log fields one by one,
		// or give the type a LogValue.
		return jsonscan.AppendString(buf, fmt.Sprintf("[unlogged %T]", x))
	}
}

// errorText returns err.Error(), or a fixed text when that panics (a typed
// nil error is the classic case): a log line must never take the function
// down with it.
func errorText(err error) (s string) {
	defer func() {
		if recover() != nil {
			s = fmt.Sprintf("[unprintable %T]", err)
		}
	}()
	return err.Error()
}

// appendFloat formats like encoding/json: no exponent for ordinary numbers,
// and NaN/Inf (not JSON) as strings.
func appendFloat(buf []byte, f float64) []byte {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return jsonscan.AppendString(buf, strconv.FormatFloat(f, 'g', -1, 64))
	case f != 0 && (math.Abs(f) < 1e-6 || math.Abs(f) >= 1e21):
		return strconv.AppendFloat(buf, f, 'e', -1, 64)
	default:
		return strconv.AppendFloat(buf, f, 'f', -1, 64)
	}
}

// secretKey reports whether a key names a value that must never be logged:
// any key containing one of the words below, case-insensitively, so that
// "client_secret", "tempPassword" or "sessionToken" are caught as well as
// "password". "code" is matched exactly, because as a part it is too common
// ("codeDeliveryMedium", "errorCode") to mean a verification code.
func secretKey(k string) bool {
	if len(k) > 64 {
		return true // nothing legitimate has such a key; refuse rather than scan
	}
	var lower [64]byte
	for i := 0; i < len(k); i++ {
		c := k[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	l := lower[:len(k)]
	if string(l) == "code" || string(l) == "otp" || string(l) == "pin" {
		return true
	}
	// One pass over the key: at each position, try only the words that
	// start with that byte. This runs for every key of every log line, so
	// it must cost tens of nanoseconds, not a scan per word.
	for i := range l {
		for _, word := range secretWordsByFirst[l[i]] {
			if len(l)-i >= len(word) && string(l[i:i+len(word)]) == word {
				return true
			}
		}
	}
	return false
}

var secretWords = []string{"password", "passwd", "pwd", "jwt", "api-key", "secret", "token", "credential", "authorization",
	"apikey", "api_key", "privatekey", "private_key", "accesskey", "access_key", "session", "cookie", "codeparameter", "signature"}

// secretWordsByFirst indexes secretWords by their first byte.
var secretWordsByFirst = func() (idx [256][]string) {
	for _, w := range secretWords {
		idx[w[0]] = append(idx[w[0]], w)
	}
	return idx
}()
