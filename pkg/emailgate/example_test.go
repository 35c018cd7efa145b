package emailgate_test

import (
	"fmt"

	"github.com/cognito-triggers/suite/pkg/emailgate"
)

func ExampleParse() {
	addr, err := emailgate.Parse("Alice+news@Mail.EXAMPLE.com")
	fmt.Printf("%q %q %q %v\n", addr.Raw, addr.Local, addr.Domain, err)

	// Forms that another parser would read as a different address are
	// refused, not cleaned up.
	for _, s := range []string{
		"Alice <alice@example.com>",
		`"alice@example.com"@evil.io`,
		"alice@example.com.",
		"alice@exampl\u0435.com", // Cyrillic е
	} {
		_, err := emailgate.Parse(s)
		fmt.Println(emailgate.ReasonOf(err))
	}
	// Output:
	// "Alice+news@Mail.EXAMPLE.com" "Alice+news" "mail.example.com" <nil>
	// display_name
	// quoted_local
	// trailing_dot
	// non_ascii
}

func ExampleAllowlist_Match() {
	allow, err := emailgate.ParseAllowlist("example.com, *.corp.example")
	if err != nil {
		panic(err) // configuration error: refuse to start
	}
	for _, d := range []string{
		"example.com",
		"sub.example.com",             // exact entries admit no subdomain
		"evil-example.com",            // never suffix-string matching
		"eu.corp.example",             // wildcard: any subdomain
		"corp.example",                // but not the base itself
		"xn--80ak6aa92e.corp.example", // nor a punycode label it only covers
	} {
		fmt.Println(d, allow.Match(d))
	}
	// Output:
	// example.com true
	// sub.example.com false
	// evil-example.com false
	// eu.corp.example true
	// corp.example false
	// xn--80ak6aa92e.corp.example false
}

func ExampleCandidates() {
	fmt.Println(emailgate.Candidates("eu.mail.example.com"))
	// Output: [eu.mail.example.com mail.example.com example.com]
}
