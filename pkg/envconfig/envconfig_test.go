package envconfig

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestReaderCollectsEveryProblem(t *testing.T) {
	r := New(env(map[string]string{
		"N":    "abc",
		"MODE": "sideways",
		"TTL":  "forever",
		"B":    "maybe",
		"MS":   "99999",
	}))
	r.Int("N", 1, 0, 10)
	r.Enum("MODE", "open", "open", "closed")
	r.Duration("TTL", time.Second, 0, time.Hour)
	r.Bool("B", false)
	r.Millis("MS", time.Second, 100*time.Millisecond, 4900*time.Millisecond)
	r.Required("TABLE")
	err := r.Err()
	if err == nil {
		t.Fatal("Err() = nil, want every problem")
	}
	for _, name := range []string{"N:", "MODE:", "TTL:", "B:", "MS:", "TABLE:"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestReaderValues(t *testing.T) {
	r := New(env(map[string]string{
		"S": "  x  ", "L": " a, ,b ,", "E": "closed", "I": "7", "D": "30s", "D0": "0", "DS": "45", "B": "TRUE", "M": "250",
	}))
	type got struct {
		S, Def string
		L      []string
		E      string
		I      int
		D, D0  time.Duration
		DS     time.Duration
		B      bool
		M      time.Duration
	}
	g := got{
		S: r.String("S", "d"), Def: r.String("UNSET", "d"), L: r.List("L"), E: r.Enum("E", "open", "open", "closed"),
		I: r.Int("I", 1, 0, 10), D: r.Duration("D", 0, 0, time.Hour), D0: r.Duration("D0", time.Minute, 0, time.Hour),
		DS: r.Duration("DS", 0, 0, time.Hour), B: r.Bool("B", false), M: r.Millis("M", 0, 0, time.Second),
	}
	want := got{S: "x", Def: "d", L: []string{"a", "b"}, E: "closed", I: 7, D: 30 * time.Second, D0: 0, DS: 45 * time.Second, B: true, M: 250 * time.Millisecond}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if err := r.Err(); err != nil {
		t.Errorf("Err() = %v, want nil", err)
	}
}
