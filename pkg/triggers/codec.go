package triggers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Event is implemented by the pointer to every event type of this
// package. Decode and package invoke are generic over it.
type Event interface {
	// EventHeader returns the event's shared header.
	EventHeader() *Header
	// Trigger is the trigger whose events the type holds.
	Trigger() Trigger
}

// EventHeader implements Event for every type that embeds Header.
func (h *Header) EventHeader() *Header { return h }

// Errors a decode can end in. Every one wraps ErrMalformedEvent; an event
// of a known source but for another trigger also wraps ErrWrongTrigger,
// an unknown source ErrUnknownSource, a pre token event of the other
// LambdaVersion ErrWrongVersion, and an event whose header is well-formed
// while its request or response is not ErrMalformedRequest.
var (
	ErrMalformedEvent   = errors.New("malformed event")
	ErrMalformedRequest = errors.New("malformed request")
)

// ErrWrongVersion is returned for a pre token event whose version does
// not fit its shape: a client-credentials event of version "1" (Cognito
// sends those only to V3_0 triggers) or a version that is neither "1",
// "2" nor "3".
var ErrWrongVersion = errors.New("event version does not match the event")

// decodeOptions make the decoder strict where leniency is dangerous. An
// event with both "triggerSource" and "TRIGGERSOURCE", or two
// "triggerSource" members, means different things to different parsers
// (encoding/json matches names case-insensitively, with Unicode folding,
// and keeps the last duplicate), so: duplicate names are refused (the
// default), names match exactly (the default), and a member whose name is
// only a case variant of a known one is refused (see checkFolds).
// Unknown members are kept (the ",embed" fallbacks) and sent back,
// because Cognito adds fields over time and refusing them would turn each
// addition into an outage. Invalid UTF-8 is replaced with U+FFFD, as
// encoding/json does, so that both parsers read the same string.
var decodeOptions = json.JoinOptions(
	jsontext.AllowInvalidUTF8(true),
)

// encodeOptions write nil maps and slices as null, as Cognito sends them
// (validationData, preferredRole's neighbours); fields that Cognito omits
// when empty say omitzero in their tags.
var encodeOptions = json.JoinOptions(
	json.FormatNilMapAsNull(true),
	json.FormatNilSliceAsNull(true),
	jsontext.AllowInvalidUTF8(true),
)

// Decode decodes one event of type E strictly: the JSON must be a single
// object, duplicate and case-variant member names are refused at every
// level, version, triggerSource and userPoolId must be non-empty strings,
// and the source must be a known one of E's trigger.
func Decode[E any, P interface {
	*E
	Event
}](data []byte) (*E, error) {
	ev := new(E)
	if err := decodeInto(data, P(ev)); err != nil {
		return nil, fmt.Errorf("decode %s event: %w", P(ev).Trigger(), err)
	}
	return ev, nil
}

func decodeInto(data []byte, ev Event) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("%w: empty input", ErrMalformedEvent)
	}
	if err := json.Unmarshal(data, ev, decodeOptions); err != nil {
		if herr := checkShell(data, ev.Trigger()); herr != nil {
			return herr
		}
		if errors.Is(err, ErrWrongVersion) {
			// The version is the header's: not a request a trigger could
			// fall back on.
			return fmt.Errorf("%w: %w", ErrMalformedEvent, err)
		}
		return fmt.Errorf("%w: %w: %w", ErrMalformedEvent, ErrMalformedRequest, err)
	}
	// A JSON null decodes to the zero event, which checkHeader refuses.
	if err := checkHeader(ev.EventHeader(), ev.Trigger()); err != nil {
		return err
	}
	if err := checkFolds(reflect.ValueOf(ev), ""); err != nil {
		if strings.HasPrefix(err.path, "request") || strings.HasPrefix(err.path, "response") {
			return fmt.Errorf("%w: %w: %w", ErrMalformedEvent, ErrMalformedRequest, err)
		}
		return fmt.Errorf("%w: %w", ErrMalformedEvent, err)
	}
	return nil
}

// shell is an event's header with everything else unread: when the whole
// event does not decode, it says whether the header did, so that a
// trigger can tell "not an event for me" from "my event with a broken
// request". Request and Response are named so that a case variant of them
// at the top level is refused as one of a known member.
type shell struct {
	Header
	Request  jsontext.Value `json:"request"`
	Response jsontext.Value `json:"response"`
	Unknown  jsontext.Value `json:",embed"`
}

func (*shell) Trigger() Trigger { return "" }

func checkShell(data []byte, want Trigger) error {
	s, err := decodeShell(data)
	if err != nil {
		return err
	}
	return checkHeader(&s.Header, want)
}

// decodeShell decodes an event's header as strictly as Decode does
// (duplicates and case variants refused at the top level and in
// callerContext), while reading request and response only as JSON: a
// duplicate member inside the request is the request's fault, and must not
// make a well-formed header look broken. The top level is copied without
// the two members' contents (each becomes null, so that a duplicate of
// either is still refused) and that copy is decoded strictly.
func decodeShell(data []byte) (*shell, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedEvent, err)
	}
	if tok.Kind() != '{' {
		return nil, fmt.Errorf("%w: the event is not a JSON object", ErrMalformedEvent)
	}
	head := []byte{'{'}
	for dec.PeekKind() != '}' {
		name, err := dec.ReadValue()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformedEvent, err)
		}
		if len(head) > 1 {
			head = append(head, ',')
		}
		head = append(append(head, name...), ':')
		var unquoted string
		if err := json.Unmarshal(name, &unquoted, decodeOptions); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformedEvent, err)
		}
		if unquoted == "request" || unquoted == "response" {
			if err := dec.SkipValue(); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrMalformedEvent, err)
			}
			head = append(head, "null"...)
			continue
		}
		v, err := dec.ReadValue()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformedEvent, err)
		}
		head = append(head, v...)
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedEvent, err)
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the event", ErrMalformedEvent)
	}
	s := new(shell)
	if err := json.Unmarshal(append(head, '}'), s, decodeOptions); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedEvent, err)
	}
	if err := checkFolds(reflect.ValueOf(s), ""); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedEvent, err)
	}
	return s, nil
}

// checkHeader refuses a header without the members every event carries
// (a null reads as empty, as encoding/json reads it) and a source that is
// unknown or belongs to another trigger.
func checkHeader(h *Header, want Trigger) error {
	for _, f := range [...]struct{ name, value string }{
		{"version", h.Version}, {"triggerSource", string(h.TriggerSource)}, {"userPoolId", h.UserPoolID},
	} {
		if f.value == "" {
			return fmt.Errorf("%w: %q is missing, null or empty", ErrMalformedEvent, f.name)
		}
	}
	src, err := ParseSource(string(h.TriggerSource))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedEvent, err)
	}
	if got := src.Trigger(); want != "" && got != want {
		return fmt.Errorf("%w: %w: %s is a %s source", ErrMalformedEvent, ErrWrongTrigger, src, got)
	}
	return nil
}

// Encode encodes an event as the response to Cognito: every member it
// was decoded with, unknown ones included, with the response as the
// decision left it.
func Encode(ev Event) ([]byte, error) {
	return json.Marshal(ev, encodeOptions)
}

// foldError is a member whose name differs from a known one only in case.
type foldError struct {
	path, name, known string
}

func (e *foldError) Error() string {
	return fmt.Sprintf("member %q in %s is a case variant of %q", truncate(e.name, 64), where(e.path), e.known)
}

// checkFolds refuses, in every object decoded into a struct of v, a
// member that the exact matching left unknown but whose name folds to a
// known member's name ("TRIGGERSOURCE", "trigger\u017fource" with a long
// s, a Kelvin-sign "K"): encoding/json would read it as that member, so
// a backend or tool reading the same event would see another value.
func checkFolds(v reflect.Value, path string) *foldError {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	info := structInfoOf(v.Type())
	if info.unknown != nil {
		if raw := v.FieldByIndex(info.unknown).Bytes(); len(raw) > 0 {
			if err := foldedName(raw, info.names, path); err != nil {
				return err
			}
		}
	}
	for _, c := range info.children {
		if err := checkFolds(v.FieldByIndex(c.index), join(path, c.name)); err != nil {
			return err
		}
	}
	return nil
}

// foldedName reads the names of the unknown members (a JSON object) and
// compares them with the known names under Unicode case folding, as
// strings.EqualFold and encoding/json fold.
func foldedName(raw []byte, known []string, path string) *foldError {
	dec := jsontext.NewDecoder(bytes.NewReader(raw), jsontext.AllowInvalidUTF8(true))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil
		}
		name := tok.String()
		for _, k := range known {
			if strings.EqualFold(name, k) {
				return &foldError{path: path, name: name, known: k}
			}
		}
		if err := dec.SkipValue(); err != nil {
			return nil
		}
	}
	return nil
}

type child struct {
	name  string
	index []int
}

type structInfo struct {
	names    []string // the JSON names of the fields, embedded structs flattened
	unknown  []int    // index of the ",embed" jsontext.Value field, nil when none
	children []child  // fields holding structs, to check in turn
}

var structInfos sync.Map // reflect.Type → *structInfo

var valueType = reflect.TypeFor[jsontext.Value]()

func structInfoOf(t reflect.Type) *structInfo {
	if v, ok := structInfos.Load(t); ok {
		return v.(*structInfo)
	}
	info := new(structInfo)
	collectFields(t, nil, info)
	v, _ := structInfos.LoadOrStore(t, info)
	return v.(*structInfo)
}

func collectFields(t reflect.Type, prefix []int, info *structInfo) {
	for i := range t.NumField() {
		f := t.Field(i)
		index := append(append([]int(nil), prefix...), i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		switch {
		case tag == "-" || !f.IsExported():
			// PreToken's V1/V2 are json:"-" and hold events: check them.
			if tag == "-" && f.IsExported() && isStructish(f.Type) {
				info.children = append(info.children, child{name: "", index: index})
			}
			continue
		case f.Type == valueType && strings.Contains(","+opts+",", ",embed,"):
			info.unknown = index
			continue
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			collectFields(f.Type, index, info)
			continue
		}
		if name == "" {
			name = f.Name
		}
		info.names = append(info.names, name)
		if isStructish(f.Type) {
			info.children = append(info.children, child{name: name, index: index})
		}
	}
}

func isStructish(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct && t != valueType
}

func join(path, name string) string {
	switch {
	case path == "":
		return name
	case name == "":
		return path
	}
	return path + "." + name
}

func where(path string) string {
	if path == "" {
		return "the event"
	}
	return path
}

// DecodeHeader decodes only an event's header, whatever its request
// holds; the header must be well-formed as Decode requires.
func DecodeHeader(data []byte) (*Header, error) {
	s, err := decodeShell(data)
	if err != nil {
		return nil, err
	}
	if err := checkHeader(&s.Header, ""); err != nil {
		return nil, err
	}
	return &s.Header, nil
}
