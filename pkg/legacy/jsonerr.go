package legacy

import (
	"errors"
	"reflect"
	"slices"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// strict are the decode options for what the legacy side sends (the
// endpoint's answers, the secret): member names match exactly (the
// default), duplicate names are refused (the default), and so are unknown
// members, so that a typo or a case variant ("Result", "EMAIL_VERIFIED")
// fails loudly instead of being read by one parser and ignored by another.
// Booleans must be JSON booleans and strings JSON strings (the default: no
// coercion), and invalid UTF-8 is refused (the default).
var strict = json.RejectUnknownMembers(true)

// problemKind is what a strict decode found wrong.
type problemKind int

const (
	problemSyntax    problemKind = iota // not JSON, truncated, trailing data, invalid UTF-8
	problemDuplicate                    // a member name given twice
	problemUnknown                      // a member the format does not have
	problemType                         // a value of the wrong JSON kind
)

// problem describes a decode error of package json without any value of
// the input: the errors of package json quote member names and numbers,
// and the input here is a profile or a secret. Path holds the member names
// leading to the problem, which may be the input's own data when a name is
// unknown; each format names them with its own known names only.
type problem struct {
	kind   problemKind
	path   []string
	got    string // the JSON kind found ("a string"), for problemType
	want   string // the kind the format needs ("a boolean"), for problemType
	offset int64
}

func problemOf(err error) problem {
	var syn *jsontext.SyntacticError
	var sem *json.SemanticError
	switch {
	case errors.As(err, &syn):
		p := problem{kind: problemSyntax, path: slices.Collect(syn.JSONPointer.Tokens()), offset: syn.ByteOffset}
		if errors.Is(syn.Err, jsontext.ErrDuplicateName) {
			p.kind = problemDuplicate
		}
		return p
	case errors.As(err, &sem):
		p := problem{kind: problemType, path: slices.Collect(sem.JSONPointer.Tokens()), got: kindName(sem.JSONKind), want: goKindName(sem.GoType), offset: sem.ByteOffset}
		if errors.Is(sem.Err, json.ErrUnknownName) {
			p.kind = problemUnknown
		}
		return p
	}
	return problem{kind: problemSyntax}
}

// kindName names a JSON kind with its article, for messages.
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "a value of the wrong kind"
}

// goKindName names the JSON kind a Go type decodes from.
func goKindName(t reflect.Type) string {
	if t == nil {
		return "another kind"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "an integer"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "another kind"
}
