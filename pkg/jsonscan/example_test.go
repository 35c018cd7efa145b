package jsonscan_test

import (
	"fmt"

	"github.com/cognito-triggers/suite/pkg/jsonscan"
)

// A handler reads the fields it needs and splices its answer into the event
// at the offsets Object reports, leaving every other byte untouched.
func Example() {
	event := []byte(`{"triggerSource":"PreSignUp_SignUp","request":{"userAttributes":{"email":"ana@example.com"}},"response":{"autoConfirmUser":false}}`)

	var source string
	var flag jsonscan.Member
	err := jsonscan.Object(event, func(m jsonscan.Member) error {
		switch string(m.Key) {
		case "triggerSource":
			var err error
			source, err = jsonscan.String(m.Value)
			return err
		case "response":
			return jsonscan.Object(m.Value, func(r jsonscan.Member) error {
				if string(r.Key) == "autoConfirmUser" {
					// r's offsets are relative to m.Value.
					flag = r
					flag.Start += m.Start
					flag.End += m.Start
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	out := make([]byte, 0, len(event)+8)
	out = append(out, event[:flag.Start]...)
	out = append(out, "true"...)
	out = append(out, event[flag.End:]...)
	fmt.Println(source)
	fmt.Println(string(out))
	// Output:
	// PreSignUp_SignUp
	// {"triggerSource":"PreSignUp_SignUp","request":{"userAttributes":{"email":"ana@example.com"}},"response":{"autoConfirmUser":true}}
}

func ExampleObject_malformed() {
	truncated := []byte(`{"triggerSource":"PreSignUp_SignUp","request":{"userAttributes":{`)
	calls := 0
	err := jsonscan.Object(truncated, func(jsonscan.Member) error { calls++; return nil })
	fmt.Println(calls, err)
	// Output:
	// 0 jsonscan: unexpected end of JSON input at offset 65
}

func ExampleAppendString() {
	out := []byte(`{"name":`)
	out = jsonscan.AppendString(out, "<María>\n")
	out = append(out, '}')
	fmt.Println(string(out))
	// Output:
	// {"name":"\u003cMaría\u003e\n"}
}
