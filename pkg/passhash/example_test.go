package passhash_test

import (
	"errors"
	"fmt"

	"github.com/cognito-triggers/suite/pkg/passhash"
)

// The migration trigger's use: verify the legacy hash of a known user,
// spend the same effort on an unknown one, and never echo either secret.
func ExampleVerifier_Verify() {
	v, err := passhash.New(passhash.Options{})
	if err != nil {
		panic(err)
	}
	legacy := map[string]string{ // user → hash, from the legacy export
		"alice": "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", // password "U*U"
	}
	signIn := func(user, password string) bool {
		encoded, known := legacy[user]
		if !known {
			v.VerifyDummy([]byte(password), passhash.SchemeBcrypt)
			return false
		}
		ok, scheme, err := v.Verify(encoded, []byte(password))
		if err != nil {
			fmt.Println("unusable legacy record:", scheme, err)
			return false
		}
		return ok
	}
	fmt.Println(signIn("alice", "U*U"))
	fmt.Println(signIn("alice", "wrong"))
	fmt.Println(signIn("bob", "U*U"))
	// Output:
	// true
	// false
	// false
}

func ExampleDetect() {
	for _, encoded := range []string{
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=1048576,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$1$saltsalt$hash",
	} {
		scheme, err := passhash.Detect(encoded)
		fmt.Printf("%q malformed=%v unsupported=%v\n", scheme,
			errors.Is(err, passhash.ErrMalformedHash), errors.Is(err, passhash.ErrUnsupportedScheme))
	}
	// Output:
	// "argon2id" malformed=false unsupported=false
	// "argon2id" malformed=true unsupported=false
	// "" malformed=false unsupported=true
}
