package emailgate

import "testing"

// The pre sign-up path is Parse then Match on one address. The sub-benchmarks
// split the cost: net/mail's agreement check accounts for all allocations of
// a lower-case address; the strict grammar and Match allocate nothing.
//
//	go test -run '^$' -bench . -benchmem ./pkg/emailgate/
func BenchmarkGate(b *testing.B) {
	a, err := ParseAllowlist("example.org, *.example.com")
	if err != nil {
		b.Fatal(err)
	}
	const lower = "alice.smith+news@mail.example.com"
	const mixed = "Alice.Smith+news@Mail.Example.com"

	b.Run("parse+match", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			addr, err := Parse(lower)
			if err != nil || !a.Match(addr.Domain) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("parse+match/mixed-case", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			addr, err := Parse(mixed)
			if err != nil || !a.Match(addr.Domain) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("grammar-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parse(lower, func(string) bool { return true }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("net-mail-check", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !netMailAgrees(lower) {
				b.Fatal("disagrees")
			}
		}
	})
	b.Run("match", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !a.Match("mail.example.com") {
				b.Fatal("refused")
			}
		}
	})
	b.Run("candidates", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = Candidates("mail.example.com")
		}
	})
	b.Run("refuse-homograph", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Parse("alice@exampl\u0435.com"); err == nil {
				b.Fatal("accepted")
			}
		}
	})
}
