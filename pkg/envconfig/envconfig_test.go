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

// TestReaderNames: every accessor records the name it was asked for, set
// or not, and computed names are recorded like literal ones; Fail (a
// caller's own cross-field check) reads nothing.
func TestReaderNames(t *testing.T) {
	r := New(env(map[string]string{"SET": "x", "AWS_ENDPOINT_URL_DYNAMODB": "http://localhost"}))
	r.String("SET", "")
	r.Required("UNSET_REQUIRED")
	r.List("L")
	r.Enum("E", "a", "a", "b")
	r.Int("I", 0, 0, 1)
	r.Millis("M", 0, 0, time.Second)
	r.Duration("D", 0, 0, time.Second)
	r.Bool("B", false)
	r.Bool("B", false) // read twice, listed once
	for _, svc := range []string{"DYNAMODB", "SECRETS_MANAGER"} {
		r.String("AWS_ENDPOINT_URL_"+svc, "")
	}
	r.Fail("CROSS_FIELD", "is wrong")
	want := []string{"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "B", "D", "E", "I", "L", "M", "SET", "UNSET_REQUIRED"}
	if diff := cmp.Diff(want, r.Names()); diff != "" {
		t.Errorf("Names (-want +got):\n%s", diff)
	}
	if got := New(env(nil)).Names(); len(got) != 0 {
		t.Errorf("a fresh Reader's Names() = %v, want none", got)
	}
}
