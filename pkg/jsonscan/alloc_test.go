package jsonscan

import (
	"strings"
	"testing"
)

// TestZeroAllocs holds the package to its reason for existing: the hot path
// of a trigger must not allocate per field.
func TestZeroAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation changes allocation counts")
	}
	event := readFixture(t, "pretoken-v2.json")
	var request, scopes, attr []byte
	err := Object(event, func(m Member) error {
		if string(m.Key) == "request" {
			request = m.Value
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Object: %v", err)
	}
	err = Object(request, func(m Member) error {
		switch string(m.Key) {
		case "scopes":
			scopes = m.Value
		case "userAttributes":
			return Object(m.Value, func(m Member) error {
				if string(m.Key) == "custom:tenant_id" {
					attr = m.Value
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Object: %v", err)
	}
	many := []byte("[" + strings.Repeat(`{"k":"v"},`, 3*batch) + `{"k":"v"}]`)
	buf := make([]byte, 0, 4096)
	var sink int

	tests := []struct {
		name string
		fn   func()
	}{
		{"Valid", func() { sink += btoi(Valid(event)) }},
		{"Object", func() {
			_ = Object(event, func(m Member) error { sink += len(m.Key) + m.End; return nil })
		}},
		{"Object nested", func() {
			_ = Object(request, func(m Member) error {
				if string(m.Key) == "userAttributes" {
					return Object(m.Value, func(m Member) error { sink += len(m.Value); return nil })
				}
				return nil
			})
		}},
		{"Array", func() { _ = Array(scopes, func(e []byte) error { sink += len(e); return nil }) }},
		{"Array over several batches", func() { _ = Array(many, func(e []byte) error { sink += len(e); return nil }) }},
		{"StringBytes", func() { b, _ := StringBytes(attr); sink += len(b) }},
		{"KindOf", func() { sink += int(KindOf(request)) }},
		{"Bool", func() { b, _ := Bool([]byte("true")); sink += btoi(b) }},
		{"IsNull", func() { sink += btoi(IsNull([]byte("null"))) }},
		{"AppendString", func() { buf = AppendString(buf[:0], "María <García> \u2028 \xff"); sink += len(buf) }},
	}
	for _, tc := range tests {
		if got := testing.AllocsPerRun(100, tc.fn); got != 0 {
			t.Errorf("%s: %v allocs per run, want 0", tc.name, got)
		}
	}
	_ = sink
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
