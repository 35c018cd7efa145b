package message

import (
	"testing"

	"github.com/cognito-triggers/suite/pkg/triggers"
)

// BenchmarkRender measures one Render, checks included, for the most
// frequent message (SignUp) and the largest (AdminCreateUser, with a
// greeting name) in both locales. Budget: the whole custom-message handler
// under 50 µs, so Render well under 30 µs.
func BenchmarkRender(b *testing.B) {
	r := newRenderer(b, testConfig)
	for _, loc := range []string{"en", "zh-CN"} {
		for _, src := range []triggers.Source{triggers.SourceMessageSignUp, triggers.SourceMessageAdminCreateUser} {
			in := goldenInput(src, loc)
			b.Run(loc+"/"+string(src), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := r.Render(in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkNew is the cold-start cost: load, parse and check all 42
// templates (84 renders).
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(testConfig); err != nil {
			b.Fatal(err)
		}
	}
}
