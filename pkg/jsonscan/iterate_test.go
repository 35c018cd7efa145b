package jsonscan

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// member is Member with strings, for readable diffs.
type member struct {
	Key, Value string
	Start, End int
}

func collectObject(data []byte) ([]member, error) {
	var got []member
	err := Object(data, func(m Member) error {
		got = append(got, member{string(m.Key), string(m.Value), m.Start, m.End})
		return nil
	})
	return got, err
}

func collectArray(data []byte) ([]string, error) {
	var got []string
	err := Array(data, func(elem []byte) error {
		got = append(got, string(elem))
		return nil
	})
	return got, err
}

func TestObject(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []member
	}{
		{"empty", `{}`, nil},
		{"empty with spaces", " { \n } ", nil},
		{"one", `{"a":1}`, []member{{"a", "1", 5, 6}}},
		{
			"whitespace is not part of values",
			"{ \"a\" :\t\"x\" ,\n\"b\": [1, 2] }",
			[]member{{"a", `"x"`, 8, 11}, {"b", "[1, 2]", 19, 25}},
		},
		{
			"all kinds",
			`{"n":null,"t":true,"f":false,"i":-1.5e3,"s":"s","a":[],"o":{"x":{}}}`,
			[]member{
				{"n", "null", 5, 9}, {"t", "true", 14, 18}, {"f", "false", 23, 28},
				{"i", "-1.5e3", 33, 39}, {"s", `"s"`, 44, 47}, {"a", "[]", 52, 54},
				{"o", `{"x":{}}`, 59, 67},
			},
		},
		{
			"duplicates are all yielded in order",
			`{"triggerSource":"A","triggerSource":"B"}`,
			[]member{{"triggerSource", `"A"`, 17, 20}, {"triggerSource", `"B"`, 37, 40}},
		},
		{"escaped key is decoded", `{"\u0074ype":1}`, []member{{"type", "1", 13, 14}}},
		{"escaped quote in key", `{"a\"b":1}`, []member{{`a"b`, "1", 8, 9}}},
		{"invalid UTF-8 key is replaced", "{\"a\xffb\":1}", []member{{"a\ufffdb", "1", 7, 8}}},
		{"surrogate pair key", `{"\uD83D\uDE00":1}`, []member{{"\U0001F600", "1", 16, 17}}},
		{"non-ASCII key is shared", `{"año":1}`, []member{{"año", "1", 8, 9}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := collectObject([]byte(tc.in))
			if err != nil {
				t.Fatalf("Object(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Object(%q) members mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

// TestObjectBatches covers objects larger than one batch, where members
// after the first batch come from a second scan.
func TestObjectBatches(t *testing.T) {
	for _, n := range []int{batch - 1, batch, batch + 1, 2 * batch, 3*batch + 7} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			var b strings.Builder
			var want []member
			b.WriteString("{")
			for i := range n {
				if i > 0 {
					b.WriteString(" , ")
				}
				fmt.Fprintf(&b, `"k%d" : `, i)
				start := b.Len()
				fmt.Fprintf(&b, `[%d,{"x":"y"}]`, i)
				want = append(want, member{"k" + strconv.Itoa(i), b.String()[start:], start, b.Len()})
			}
			b.WriteString("}")
			got, err := collectObject([]byte(b.String()))
			if err != nil {
				t.Fatalf("Object: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("members mismatch (-want +got):\n%s", diff)
			}

			// A defect past the first batch must still stop fn being called.
			bad := b.String()[:b.Len()-1] + `,"z":}`
			if _, err := collectObject([]byte(bad)); err == nil {
				t.Fatal("Object accepted malformed input")
			}
		})
	}
}

func TestArrayBatches(t *testing.T) {
	for _, n := range []int{batch, batch + 1, 3*batch + 7} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			var want []string
			for i := range n {
				want = append(want, fmt.Sprintf(`{"i":%d}`, i))
			}
			in := "[ " + strings.Join(want, " ,\n") + " ]"
			got, err := collectArray([]byte(in))
			if err != nil {
				t.Fatalf("Array: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("elements mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestArray(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", `[]`, nil},
		{"empty with spaces", " [ ] ", nil},
		{"scalars", `[1, "a" ,true,null , -0]`, []string{"1", `"a"`, "true", "null", "-0"}},
		{"nested", `[[1,[2]],{"a":[]}]`, []string{"[1,[2]]", `{"a":[]}`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := collectArray([]byte(tc.in))
			if err != nil {
				t.Fatalf("Array(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Array(%q) elements mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

// TestMalformedNeverCallsFn is the central safety property: a handler must
// not act on the valid prefix of a malformed event.
func TestMalformedNeverCallsFn(t *testing.T) {
	event := string(readFixture(t, "pretoken-v2.json"))
	tests := []struct {
		name string
		in   string
	}{
		{"truncated event", event[:len(event)-10]},
		{"trailing garbage", event + `{"triggerSource":"x"}`},
		{"trailing comma", strings.Replace(event, `"openid",`, `"openid",]`, 1)},
		{"raw control char late", strings.Replace(event, "Europe/Madrid", "Europe/\x01Madrid", 1)},
		{"bad escape late", strings.Replace(event, `\"Google\"`, `\"Go\ogle\"`, 1)},
		{"leading zero late", strings.Replace(event, `"claimsAndScopeOverrideDetails": null`, `"x": 01`, 1)},
		{"too deep late", event[:len(event)-2] + `,"deep":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + "}"},
		{"empty", ""},
		{"whitespace only", " \n\t "},
		{"array of objects", `[{"a":1}]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := Object([]byte(tc.in), func(Member) error { calls++; return nil })
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("Object error = %v, want *SyntaxError", err)
			}
			if calls != 0 {
				t.Errorf("fn called %d times for malformed input", calls)
			}
			if Valid([]byte("[" + tc.in + "]")) {
				return // empty, whitespace or an array: fine as an element list
			}
			err = Array([]byte("["+tc.in+"]"), func([]byte) error { calls++; return nil })
			if !errors.As(err, &se) {
				t.Errorf("Array error = %v, want *SyntaxError", err)
			}
			if calls != 0 {
				t.Errorf("fn called %d times for malformed input", calls)
			}
		})
	}
}

func TestCallbackErrorStops(t *testing.T) {
	errStop := errors.New("stop")
	var keys []string
	err := Object([]byte(`{"a":1,"b":2,"c":3}`), func(m Member) error {
		keys = append(keys, string(m.Key))
		if string(m.Key) == "b" {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) {
		t.Errorf("Object error = %v, want %v", err, errStop)
	}
	if diff := cmp.Diff([]string{"a", "b"}, keys); diff != "" {
		t.Errorf("keys seen mismatch (-want +got):\n%s", diff)
	}

	var elems []string
	err = Array([]byte(`[1,2,3]`), func(e []byte) error {
		elems = append(elems, string(e))
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Errorf("Array error = %v, want %v", err, errStop)
	}
	if diff := cmp.Diff([]string{"1"}, elems); diff != "" {
		t.Errorf("elements seen mismatch (-want +got):\n%s", diff)
	}
}

func TestArrayWrongKind(t *testing.T) {
	err := Array([]byte(` {"a":1}`), func([]byte) error { return nil })
	want := &SyntaxError{Offset: 1, Msg: "expected array, found object"}
	if diff := cmp.Diff(want, err); diff != "" {
		t.Errorf("Array error mismatch (-want +got):\n%s", diff)
	}
}

// TestFixtureWalk reads the fields a pre-token handler needs the way a
// handler would, by nesting Object and Array over the raw event.
func TestFixtureWalk(t *testing.T) {
	event := readFixture(t, "pretoken-v2.json")
	var (
		source, preferred string
		attrs             = map[string]string{}
		groups, scopes    []string
		meta              int
	)
	strs := func(dst *[]string) func([]byte) error {
		return func(e []byte) error {
			s, err := String(e)
			*dst = append(*dst, s)
			return err
		}
	}
	err := Object(event, func(m Member) error {
		var err error
		switch string(m.Key) {
		case "triggerSource":
			source, err = String(m.Value)
		case "request":
			err = Object(m.Value, func(m Member) error {
				switch string(m.Key) {
				case "userAttributes":
					return Object(m.Value, func(m Member) error {
						v, err := String(m.Value)
						attrs[string(m.Key)] = v
						return err
					})
				case "groupConfiguration":
					return Object(m.Value, func(m Member) error {
						switch string(m.Key) {
						case "groupsToOverride":
							return Array(m.Value, strs(&groups))
						case "preferredRole":
							var err error
							preferred, err = String(m.Value)
							return err
						}
						return nil
					})
				case "scopes":
					return Array(m.Value, strs(&scopes))
				case "clientMetadata":
					return Object(m.Value, func(Member) error { meta++; return nil })
				}
				return nil
			})
		}
		return err
	})
	if err != nil {
		t.Fatalf("walk fixture: %v", err)
	}
	got := fmt.Sprintln(source, len(attrs), attrs["given_name"], attrs["identities"][:20], groups, preferred, len(scopes), meta)
	want := "TokenGeneration_Authentication 15 María [{\"dateCreated\":\"173 [eu-west-1_Xk3pQ9aZr_Google tenant-admins billing support-agents] arn:aws:iam::123456789012:role/cognito-tenant-admins 6 6\n"
	if got != want {
		t.Errorf("walk = %s\nwant   %s", got, want)
	}
}
