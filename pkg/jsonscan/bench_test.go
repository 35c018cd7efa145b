package jsonscan

import (
	"bytes"
	"encoding/json"
	"testing"
)

// BenchmarkPretoken compares one top-level pass over a pre-token V2 event
// with the encoding/json calls it replaces. "indented" is the fixture as
// stored (2 KB); "compact" is the shape Cognito delivers it in.
func BenchmarkPretoken(b *testing.B) {
	indented := readFixture(b, "pretoken-v2.json")
	var c bytes.Buffer
	if err := json.Compact(&c, indented); err != nil {
		b.Fatalf("compact fixture: %v", err)
	}
	inputs := []struct {
		name string
		data []byte
	}{
		{"indented", indented},
		{"compact", c.Bytes()},
	}
	for _, in := range inputs {
		data := in.data
		run := func(name string, fn func(b *testing.B)) {
			b.Run(in.name+"/"+name, func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				fn(b)
			})
		}
		run("jsonscan.Object", func(b *testing.B) {
			n := 0
			for b.Loop() {
				if err := Object(data, func(m Member) error { n += len(m.Value); return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
		run("jsonscan.Valid", func(b *testing.B) {
			for b.Loop() {
				if !Valid(data) {
					b.Fatal("invalid")
				}
			}
		})
		run("json.Valid", func(b *testing.B) {
			for b.Loop() {
				if !json.Valid(data) {
					b.Fatal("invalid")
				}
			}
		})
		run("json.Unmarshal-map-RawMessage", func(b *testing.B) {
			for b.Loop() {
				var m map[string]json.RawMessage
				if err := json.Unmarshal(data, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
		// What a pre-token handler does: read triggerSource, every user
		// attribute, the groups and the scopes, with nested calls that each
		// revalidate their part of the event.
		run("jsonscan.Walk", func(b *testing.B) {
			for b.Loop() {
				if err := walkPretoken(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func walkPretoken(event []byte) error {
	var n int
	count := func(e []byte) error {
		s, err := StringBytes(e)
		n += len(s)
		return err
	}
	return Object(event, func(m Member) error {
		switch string(m.Key) {
		case "triggerSource":
			return count(m.Value)
		case "request":
			return Object(m.Value, func(m Member) error {
				switch string(m.Key) {
				case "userAttributes":
					return Object(m.Value, func(m Member) error { return count(m.Value) })
				case "groupConfiguration":
					return Object(m.Value, func(m Member) error {
						if string(m.Key) == "groupsToOverride" {
							return Array(m.Value, count)
						}
						return nil
					})
				case "scopes":
					return Array(m.Value, count)
				}
				return nil
			})
		}
		return nil
	})
}

func BenchmarkString(b *testing.B) {
	for _, in := range []string{
		`"arn:aws:iam::123456789012:role/cognito-tenant-admins"`,
		`"[{\"dateCreated\":\"1732540800000\",\"userId\":\"104839274615839201746\",\"providerName\":\"Google\"}]"`,
	} {
		data := []byte(in)
		b.Run("jsonscan.StringBytes/"+in[1:8], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := StringBytes(data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("jsonscan.String/"+in[1:8], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := String(data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("json.Unmarshal/"+in[1:8], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var s string
				if err := json.Unmarshal(data, &s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendString(b *testing.B) {
	s := `arn:aws:iam::123456789012:role/cognito-tenant-admins <María García> "quoted"`
	buf := make([]byte, 0, 256)
	b.Run("jsonscan.AppendString", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = AppendString(buf[:0], s)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(s); err != nil {
				b.Fatal(err)
			}
		}
	})
}
