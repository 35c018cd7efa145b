package telemetry

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
)

// Keys of the built-in attributes as Lambda's JSON log format spells them
// ("level" is slog's own). Lambda filters a function's JSON logs by
// ApplicationLogLevel only when each line has a "level" and an RFC 3339
// "timestamp".
const (
	timestampKey = "timestamp"
	messageKey   = "message"
)

// redacted replaces every value logged under a secret-named key.
const redacted = "[REDACTED]"

// NewHandler returns slog's own JSON handler writing to w, one object per
// line (each record is one Write), with the built-in keys renamed to
// Lambda's (timestamp, level, message), times in UTC, and redact applied to
// every attribute.
func NewHandler(w io.Writer, level slog.Leveler) slog.Handler {
	if level == nil {
		level = slog.LevelInfo
	}
	return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: replaceAttr})
}

// replaceAttr is the handler's ReplaceAttr: Lambda's names for the built-in
// keys, then redact for everything else.
//
// The built-ins are recognised by name at the top level and by the kind of
// value slog gives them, so that an attribute of the same name but another
// kind (a map under "level", say) still goes through redact. A top-level
// attribute of the built-ins' own kinds named "time" or "msg" is renamed as
// they are; the suite logs none.
func replaceAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 {
		switch a.Key {
		case slog.TimeKey:
			if a.Value.Kind() == slog.KindTime {
				return slog.Time(timestampKey, a.Value.Time().UTC())
			}
		case slog.LevelKey:
			if _, ok := a.Value.Any().(slog.Level); ok {
				return a // slog writes Level.String(): DEBUG, INFO, WARN, ERROR
			}
		case slog.MessageKey:
			if a.Value.Kind() == slog.KindString {
				return slog.String(messageKey, a.Value.String())
			}
		}
	}
	return redact(a)
}

// redact is the second line of defence after typed redaction (a LogValue
// or a redacting Format on the secret's type): it decides what of an
// attribute may reach a log line.
//
//   - A key that names a secret (see secretKey) has its value replaced by
//     "[REDACTED]", at any depth of groups.
//   - Maps, structs, slices other than []string, and every other value
//     encoding/json would marshal by reflection are written as
//     "[unlogged <type>]": their nested keys would escape the key check,
//     and a struct logged whole bypasses its fields' LogValue. Log fields
//     one by one, or give the type a LogValue.
//   - json.RawMessage is written as raw JSON (the EMF "_aws" block is one),
//     or "[invalid raw JSON]" when it is not valid, so that it can never
//     break the line.
//   - An error is written as its text, or "[unprintable <type>]" when
//     Error panics (a typed nil error): a log line must never take the
//     function down with it.
//   - NaN and ±Inf, which JSON cannot hold, are written as strings; times
//     are written in UTC.
//   - An attribute with an empty key is dropped.
func redact(a slog.Attr) slog.Attr {
	if a.Key == "" {
		return slog.Attr{}
	}
	if secretKey(a.Key) {
		return slog.String(a.Key, redacted)
	}
	v := a.Value
	switch v.Kind() {
	case slog.KindString, slog.KindInt64, slog.KindUint64, slog.KindBool, slog.KindDuration, slog.KindGroup:
		return a
	case slog.KindFloat64:
		if f := v.Float64(); math.IsNaN(f) || math.IsInf(f, 0) {
			return slog.String(a.Key, strconv.FormatFloat(f, 'g', -1, 64))
		}
		return a
	case slog.KindTime:
		return slog.Time(a.Key, v.Time().UTC())
	}
	switch x := v.Any().(type) {
	case json.RawMessage:
		if !json.Valid(x) {
			return slog.String(a.Key, "[invalid raw JSON]")
		}
		return a
	case error:
		return slog.String(a.Key, errorText(x))
	case nil, []string:
		return a
	default:
		return slog.String(a.Key, fmt.Sprintf("[unlogged %T]", x))
	}
}

// errorText returns err.Error(), or a fixed text when that panics.
func errorText(err error) (s string) {
	defer func() {
		if recover() != nil {
			s = fmt.Sprintf("[unprintable %T]", err)
		}
	}()
	return err.Error()
}

// secretKey reports whether a key names a value that must never be logged:
// any key containing one of the words below, case-insensitively, so that
// "client_secret", "tempPassword" or "sessionToken" are caught as well as
// "password". "code", "otp" and "pin" are matched only as the whole key,
// because as parts they are too common ("codeDeliveryMedium", "errorCode",
// "option", "pinpoint") to mean a one-time code.
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
	// start with that byte. This runs for every key of every log line.
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
