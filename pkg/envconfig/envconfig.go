// Package envconfig reads a function's configuration from the environment
// once, at cold start, and reports every bad variable in one error.
//
// A Lambda that starts with a broken configuration should fail its init, with
// a message that lets an operator fix everything in one deploy rather than
// discovering the problems one cold start at a time. Reader therefore never
// stops at the first problem: each accessor records what is wrong and returns
// a usable zero value, and Err joins them all.
//
// A Reader also remembers the name of every variable it was asked for
// (Names), set or not, so that a test can build a function's configuration
// the way its main does and compare what the code reads with what the
// deployment template sets, computed names ("AWS_ENDPOINT_URL_"+service)
// included.
package envconfig

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Reader reads typed values from a getenv function (os.Getenv in main, a map
// in tests) and collects problems.
type Reader struct {
	getenv   func(string) string
	problems []error
	read     map[string]bool
}

// New returns a Reader over getenv.
func New(getenv func(string) string) *Reader {
	return &Reader{getenv: getenv, read: map[string]bool{}}
}

// get reads one variable and remembers that it was asked for.
func (r *Reader) get(name string) string {
	r.read[name] = true
	return r.getenv(name)
}

// Names returns, sorted, the name of every variable read so far through
// any accessor, whether it was set or not.
func (r *Reader) Names() []string {
	names := make([]string, 0, len(r.read))
	for n := range r.read {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Err returns nil when every read succeeded, else one error naming each bad
// variable.
func (r *Reader) Err() error {
	if len(r.problems) == 0 {
		return nil
	}
	return fmt.Errorf("invalid configuration: %w", errors.Join(r.problems...))
}

// Fail records a problem found by the caller's own cross-field validation.
func (r *Reader) Fail(name, format string, args ...any) {
	r.problems = append(r.problems, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

// String returns the trimmed value, or def when unset or blank.
func (r *Reader) String(name, def string) string {
	if v := strings.TrimSpace(r.get(name)); v != "" {
		return v
	}
	return def
}

// Required returns the trimmed value and records a problem when it is unset.
func (r *Reader) Required(name string) string {
	v := strings.TrimSpace(r.get(name))
	if v == "" {
		r.Fail(name, "is required")
	}
	return v
}

// List splits a comma-separated value into trimmed, non-empty entries.
func (r *Reader) List(name string) []string {
	var out []string
	for _, part := range strings.Split(r.get(name), ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Enum returns the value if it is one of allowed (exact match), def when
// unset, and records a problem otherwise.
func (r *Reader) Enum(name, def string, allowed ...string) string {
	v := r.String(name, def)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.Fail(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
	return def
}

// Int returns an integer within [min, max], def when unset.
func (r *Reader) Int(name string, def, min, max int) int {
	raw := r.String(name, "")
	if raw == "" {
		return def
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		r.Fail(name, "%q is not a whole number", raw)
		return def
	}
	if n < min || n > max {
		r.Fail(name, "%d is outside %d..%d", n, min, max)
		return def
	}
	return n
}

// Millis reads a whole number of milliseconds within [min, max].
func (r *Reader) Millis(name string, def, min, max time.Duration) time.Duration {
	ms := r.Int(name, int(def/time.Millisecond), int(min/time.Millisecond), int(max/time.Millisecond))
	return time.Duration(ms) * time.Millisecond
}

// Duration reads a Go duration ("30s", "5m") or a bare number of seconds,
// within [min, max]; "0" is allowed when min is 0 (it usually disables a
// cache).
func (r *Reader) Duration(name string, def, min, max time.Duration) time.Duration {
	raw := r.String(name, "")
	if raw == "" {
		return def
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		secs, serr := strconv.Atoi(raw)
		if serr != nil {
			r.Fail(name, "%q is not a duration such as 30s or 5m", raw)
			return def
		}
		d = time.Duration(secs) * time.Second
	}
	if d < min || d > max {
		r.Fail(name, "%s is outside %s..%s", d, min, max)
		return def
	}
	return d
}

// Bool reads true/false (also 1/0, yes/no), def when unset.
func (r *Reader) Bool(name string, def bool) bool {
	switch strings.ToLower(r.String(name, "")) {
	case "":
		return def
	case "true", "1", "yes":
		return true
	case "false", "0", "no":
		return false
	default:
		r.Fail(name, "%q is not true or false", r.get(name))
		return def
	}
}
