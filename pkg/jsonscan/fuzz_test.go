package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// addSeeds seeds a fuzz target with the realistic events in testdata, every
// string, object and array inside them, and the hand-written edge cases.
func addSeeds(f *testing.F) {
	f.Helper()
	for _, data := range fixtures(f) {
		f.Add(data)
		var c bytes.Buffer
		if err := json.Compact(&c, data); err != nil {
			f.Fatalf("compact fixture: %v", err)
		}
		f.Add(c.Bytes())
		dec := json.NewDecoder(bytes.NewReader(data))
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			if s, ok := tok.(string); ok {
				b, _ := json.Marshal(s)
				f.Add(b)
			}
		}
	}
	for _, tc := range validCases {
		f.Add([]byte(tc.in))
	}
	for _, tc := range stringCases {
		f.Add([]byte(tc.in))
	}
	f.Add([]byte(`{"\u0074ype":1,"type":2," a":[{"b":"\uD83D\uDE00"}],"n":-0.5e-7}`))
	f.Add([]byte("{\"a\xff\":\"\\uDC00\\uD800\"}"))
}

func FuzzValid(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		got, want := Valid(data), json.Valid(data)
		if got != want && !(want && nesting(data) > maxDepth) {
			t.Fatalf("Valid(%q) = %v, json.Valid = %v", data, got, want)
		}
		if got {
			return
		}
		// Whatever is invalid must never reach a callback.
		for _, err := range []error{
			Object(data, func(Member) error { t.Fatalf("Object called fn for invalid %q", data); return nil }),
			Array(data, func([]byte) error { t.Fatalf("Array called fn for invalid %q", data); return nil }),
		} {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error for invalid %q = %v, want *SyntaxError", data, err)
			}
			if se.Offset < 0 || se.Offset > len(data) {
				t.Fatalf("error offset %d outside input of %d bytes", se.Offset, len(data))
			}
		}
	})
}

func FuzzString(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := String(data)
		gotBytes, errBytes := StringBytes(data)
		if (err == nil) != (errBytes == nil) || string(gotBytes) != got {
			t.Fatalf("StringBytes(%q) = %q, %v; String = %q, %v", data, gotBytes, errBytes, got, err)
		}
		var want string
		jerr := json.Unmarshal(data, &want)
		if KindOf(data) != KindString {
			if err == nil {
				t.Fatalf("String(%q) = %q, want error for a non-string", data, got)
			}
			return
		}
		if (err == nil) != (jerr == nil) {
			t.Fatalf("String(%q) error = %v, json.Unmarshal error = %v", data, err, jerr)
		}
		if got != want {
			t.Fatalf("String(%q) = %q, json.Unmarshal = %q", data, got, want)
		}
	})
}

func FuzzObject(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var got []member
		err := Object(data, func(m Member) error {
			if !bytes.Equal(data[m.Start:m.End], m.Value) {
				t.Fatalf("Value %q is not data[%d:%d] = %q", m.Value, m.Start, m.End, data[m.Start:m.End])
			}
			got = append(got, member{Key: string(m.Key), Value: string(m.Value)})
			return nil
		})
		var want map[string]json.RawMessage
		jerr := json.Unmarshal(data, &want)
		if err != nil {
			if len(got) > 0 {
				t.Fatalf("Object called fn %d times, then failed: %v", len(got), err)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Object(%q) error = %v, want *SyntaxError", data, err)
			}
			if jerr == nil && KindOf(data) == KindObject && nesting(data) <= maxDepth {
				t.Fatalf("Object(%q) error = %v, json.Unmarshal accepted it", data, err)
			}
			return
		}
		if jerr != nil {
			t.Fatalf("Object(%q) succeeded, json.Unmarshal error = %v", data, jerr)
		}

		// Last duplicate wins, as in encoding/json.
		gotMap := make(map[string]string, len(got))
		for _, m := range got {
			v := []byte(m.Value)
			if len(v) == 0 || isSpace(v[0]) || isSpace(v[len(v)-1]) || !Valid(v) {
				t.Fatalf("member %q has malformed value %q", m.Key, v)
			}
			gotMap[m.Key] = compact(t, v)
		}
		wantMap := make(map[string]string, len(want))
		for k, v := range want {
			wantMap[k] = compact(t, v)
		}
		if diff := cmp.Diff(wantMap, gotMap); diff != "" {
			t.Fatalf("Object(%q) members mismatch with json.Unmarshal (-want +got):\n%s", data, diff)
		}

		// Order and duplicates, checked against encoding/json's tokenizer.
		var ordered []member
		dec := json.NewDecoder(bytes.NewReader(data))
		if _, err := dec.Token(); err != nil {
			t.Fatalf("decoder: %v", err)
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatalf("decoder key: %v", err)
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				t.Fatalf("decoder value: %v", err)
			}
			ordered = append(ordered, member{Key: tok.(string), Value: compact(t, raw)})
		}
		for i := range got {
			got[i].Value = compact(t, []byte(got[i].Value))
		}
		if diff := cmp.Diff(ordered, got); diff != "" {
			t.Fatalf("Object(%q) member order mismatch with json.Decoder (-want +got):\n%s", data, diff)
		}
	})
}

func FuzzArray(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var got []string
		err := Array(data, func(e []byte) error {
			got = append(got, string(e))
			return nil
		})
		var want []json.RawMessage
		jerr := json.Unmarshal(data, &want)
		if err != nil {
			if len(got) > 0 {
				t.Fatalf("Array called fn %d times, then failed: %v", len(got), err)
			}
			if jerr == nil && KindOf(data) == KindArray && nesting(data) <= maxDepth {
				t.Fatalf("Array(%q) error = %v, json.Unmarshal accepted it", data, err)
			}
			return
		}
		if jerr != nil {
			t.Fatalf("Array(%q) succeeded, json.Unmarshal error = %v", data, jerr)
		}
		wantC := make([]string, len(want))
		for i, v := range want {
			wantC[i] = compact(t, v)
		}
		gotC := make([]string, len(got))
		for i, v := range got {
			gotC[i] = compact(t, []byte(v))
		}
		if diff := cmp.Diff(wantC, gotC); diff != "" {
			t.Fatalf("Array(%q) elements mismatch with json.Unmarshal (-want +got):\n%s", data, diff)
		}
	})
}

func FuzzAppendString(f *testing.F) {
	for _, tc := range appendCases {
		f.Add(tc.in)
	}
	for _, tc := range stringCases {
		f.Add(tc.want)
	}
	f.Add(string(readFixture(f, "pretoken-v2.json")))
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendString([]byte("prefix"), s)
		if !bytes.HasPrefix(out, []byte("prefix")) {
			t.Fatalf("AppendString overwrote dst: %q", out)
		}
		out = out[len("prefix"):]
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("json.Marshal(%q): %v", s, err)
		}
		if !bytes.Equal(out, want) {
			t.Fatalf("AppendString(%q) = %s, json.Marshal = %s", s, out, want)
		}
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("json.Unmarshal(%s): %v", out, err)
		}
		// Each invalid byte becomes one U+FFFD, as a []rune conversion does.
		if wantBack := string([]rune(s)); back != wantBack {
			t.Fatalf("round trip of %q = %q, want %q", s, back, wantBack)
		}
		if got, err := String(out); err != nil || got != back {
			t.Fatalf("String(%s) = %q, %v; want %q", out, got, err, back)
		}
	})
}
