package migrateuser_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/internal/legacyserver"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/legacy"
	"github.com/cognito-triggers/suite/pkg/migrateuser"
	"github.com/cognito-triggers/suite/pkg/passhash"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// instantVerifier stands in for the hash, so a benchmark measures the
// trigger's own work: decoding, the table call (in memory), the checks,
// the response and the decision line.
func instantVerifier() legacy.Verifier {
	return &fakes.PasswordVerifier{
		VerifyFn: func(_ string, pw []byte) (bool, passhash.Scheme, error) {
			return string(pw) == fixturePassword, passhash.SchemeBcrypt, nil
		},
		VerifyDummyFn: func([]byte, passhash.Scheme) {},
	}
}

func benchHandler(b *testing.B, v legacy.Verifier, hash string) *handler {
	b.Helper()
	mem := legacyserver.NewTable()
	mem.Put(map[string]types.AttributeValue{"username": s(fixtureUser), "password_hash": s(hash),
		"email": s(fixtureUser), "email_verified": b2(true), "name": s("Maria Rivera"), "given_name": s("Maria")})
	cfg := baseConfig()
	cfg.Source = migrateuser.SourceTable
	store := legacy.NewTable(mem, legacy.TableOptions{Name: "legacy-users", Attributes: cfg.Attributes, Timeout: time.Second}, v, nil)
	d, err := migrateuser.New(cfg, migrateuser.Deps{Store: store, Gate: exampleGate(b)})
	if err != nil {
		b.Fatal(err)
	}
	return invoke.New[triggers.MigrateUser](invoke.Options{Function: "migrateuser",
		Logger: telemetry.NewLogger(io.Discard, slog.LevelInfo)}, d.Decide)
}

func b2(v bool) types.AttributeValue { return &types.AttributeValueMemberBOOL{Value: v} }

// BenchmarkHandler is the row `make bench` reports for this function
// (table source, in-memory table, logging to io.Discard):
//   - no_hash: a migration with the hash replaced by instantVerifier, i.e.
//     what the trigger itself adds on top of the legacy store;
//   - bcrypt10: the same migration verifying a real bcrypt cost-10 hash
//     (pkg/passhash's x-crypto-allmine-cost10 vector).
func BenchmarkHandler(b *testing.B) {
	vec := bcryptVector(b)
	for _, bc := range []struct {
		name     string
		verifier legacy.Verifier
		hash     string
		in       []byte
	}{
		{"no_hash", instantVerifier(), "$2b$10$unused", authEvent(b, fixtureUser, fixturePassword)},
		{"bcrypt10", realVerifier(b), vec.Encoded, authEvent(b, fixtureUser, string(vec.Password))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := benchHandler(b, bc.verifier, bc.hash)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				out, err := h.Invoke(ctx, bc.in)
				if err != nil || len(out) == len(bc.in) {
					b.Fatalf("not migrated: %v", err)
				}
			}
		})
	}
}

// BenchmarkDecidePaths is the handler without the hash on each path.
func BenchmarkDecidePaths(b *testing.B) {
	h := benchHandler(b, instantVerifier(), "$2b$10$unused")
	for _, bc := range []struct {
		name string
		in   []byte
	}{
		{"migrated", authEvent(b, fixtureUser, fixturePassword)},
		{"wrong_password", authEvent(b, fixtureUser, "nope")},
		{"unknown_user", authEvent(b, "nobody@example.com", fixturePassword)},
		{"forgot_password", forgotEvent(b, fixtureUser)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Invoke(ctx, bc.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// bcryptVector is a cost-10 bcrypt hash from pkg/passhash/testdata
// (x-crypto-allmine-cost10), the cost passhash's default dummy uses.
func bcryptVector(b *testing.B) legacyserver.Vector {
	b.Helper()
	vectors, _, err := legacyserver.LoadVectors("../passhash/testdata")
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range vectors {
		if v.Name == "x-crypto-allmine-cost10" {
			return v
		}
	}
	b.Fatal("no cost-10 bcrypt vector")
	return legacyserver.Vector{}
}

func realVerifier(b *testing.B) *passhash.Verifier {
	b.Helper()
	v, err := passhash.New(passhash.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// BenchmarkUnknownVsWrong times an unknown user (a dummy verification of
// passhash's default bcrypt cost 10) against a wrong password for a user
// whose hash has cost 10. The two are interleaved in one loop, so load on
// the machine hits both alike, and reported as unknown-ms, wrong-ms and
// their difference in percent of the wrong-password time.
func BenchmarkUnknownVsWrong(b *testing.B) {
	vec := bcryptVector(b)
	h := benchHandler(b, realVerifier(b), vec.Encoded)
	unknown := authEvent(b, "nobody@example.com", "a wrong password")
	wrong := authEvent(b, fixtureUser, "a wrong password")
	ctx := context.Background()
	var tUnknown, tWrong time.Duration
	n := 0
	for b.Loop() {
		start := time.Now()
		if _, err := h.Invoke(ctx, unknown); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if _, err := h.Invoke(ctx, wrong); err != nil {
			b.Fatal(err)
		}
		tUnknown += mid.Sub(start)
		tWrong += time.Since(mid)
		n++
	}
	u := float64(tUnknown.Microseconds()) / 1000 / float64(n)
	w := float64(tWrong.Microseconds()) / 1000 / float64(n)
	b.ReportMetric(u, "unknown-ms")
	b.ReportMetric(w, "wrong-ms")
	b.ReportMetric(100*(u-w)/w, "diff-%")
}
