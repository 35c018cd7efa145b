package passhash

import (
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// shape is what VerifyDummy must copy from a typical record: everything
// that decides the cost, and nothing secret.
type shape struct {
	Scheme               Scheme
	Form                 string
	Cost                 int    // bcrypt
	Memory, Passes       uint32 // argon2id
	Lanes                uint8  // argon2id
	Iterations           int    // pbkdf2
	SaltLen, DigestLen   int
	Django, ExplicitLen  bool
	SaltText, DigestText string // filled only to prove they differ
}

func shapeOf(tb testing.TB, encoded string) shape {
	tb.Helper()
	rec, scheme, err := parse(encoded, defaultLimits)
	if err != nil {
		tb.Fatalf("parse: %v", err)
	}
	s := shape{Scheme: scheme}
	switch r := rec.(type) {
	case *bcryptRecord:
		s.Form = "$2" + string(r.minor) + "$"
		s.Cost, s.SaltLen, s.DigestLen, s.Django = r.cost, len(r.salt), len(r.digest), r.django
		s.SaltText, s.DigestText = r.salt, r.digest
	case *argon2Record:
		s.Memory, s.Passes, s.Lanes, s.Django = r.memory, r.passes, r.lanes, r.django
		s.SaltLen, s.DigestLen = len(r.salt), len(r.digest)
		s.SaltText, s.DigestText = string(r.salt), string(r.digest)
	case *pbkdf2Record:
		s.Form = [...]string{"django", "passlib", "phc"}[r.form]
		s.Iterations, s.ExplicitLen = r.iter, r.explicitLen
		s.SaltLen, s.DigestLen = len(r.salt), len(r.digest)
		s.SaltText, s.DigestText = string(r.salt), string(r.digest)
	case *firebaseRecord:
		s.SaltLen, s.DigestLen = len(r.salt), len(r.digest)
		s.SaltText, s.DigestText = string(r.salt), string(r.digest)
	}
	return s
}

// withoutSecrets drops the salt and digest so shapes can be compared.
func (s shape) withoutSecrets() shape {
	s.SaltText, s.DigestText = "", ""
	return s
}

const readmeRecord = "$firebase-scrypt$42xEC+ixf3L2lw==$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=="

func readmeParams(tb testing.TB) *FirebaseParams {
	tb.Helper()
	p, err := ParseFirebaseParams("jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==", "Bw==", 8, 14)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// TestDummyDefaults pins the parameters VerifyDummy uses when the caller
// gives no typical hash, as documented on VerifyDummy.
func TestDummyDefaults(t *testing.T) {
	v, err := New(Options{Firebase: readmeParams(t)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[Scheme]shape{
		SchemeBcrypt:         {Scheme: SchemeBcrypt, Form: "$2b$", Cost: 10, SaltLen: 22, DigestLen: 31},
		SchemeArgon2id:       {Scheme: SchemeArgon2id, Memory: 19456, Passes: 2, Lanes: 1, SaltLen: 16, DigestLen: 32},
		SchemePBKDF2SHA256:   {Scheme: SchemePBKDF2SHA256, Form: "django", Iterations: 600_000, SaltLen: 22, DigestLen: 32},
		SchemeFirebaseScrypt: {Scheme: SchemeFirebaseScrypt, SaltLen: 10, DigestLen: 64},
	}
	got := map[Scheme]shape{}
	for scheme, enc := range v.dummies {
		got[scheme] = shapeOf(t, enc).withoutSecrets()
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("default dummies (-want +got):\n%s", diff)
	}

	// Without Firebase parameters there is no Firebase dummy, and asking
	// for one falls back to bcrypt rather than doing nothing.
	plain, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := plain.dummies[SchemeFirebaseScrypt]; ok {
		t.Error("firebase dummy without project parameters")
	}
}

// TestDummyCopiesTypicalHashes: the dummy has the typical record's shape,
// a fresh salt and digest, and verifies cleanly to "no match", so
// VerifyDummy runs exactly the code a real wrong password runs.
func TestDummyCopiesTypicalHashes(t *testing.T) {
	typical := map[Scheme]string{
		SchemeBcrypt:         "$2y$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq",
		SchemeArgon2id:       "argon2$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc",
		SchemePBKDF2SHA256:   "$pbkdf2-sha256$i=4096,l=40$c2FsdFNBTFRzYWx0U0FMVHNhbHRTQUxUc2FsdFNBTFRzYWx0$NIyJ28vTKy8y2BS4EW6EzysXNH68GAAYHE4qH7jdU+HGNVGMfaxH6Q",
		SchemeFirebaseScrypt: readmeRecord,
	}
	v, err := New(Options{Firebase: readmeParams(t), TypicalHashes: typical})
	if err != nil {
		t.Fatal(err)
	}
	for scheme, enc := range typical {
		dummy := v.dummies[scheme]
		want, got := shapeOf(t, enc), shapeOf(t, dummy)
		if diff := cmp.Diff(want.withoutSecrets(), got.withoutSecrets()); diff != "" {
			t.Errorf("%s dummy shape (-want +got):\n%s", scheme, diff)
		}
		if got.SaltText == want.SaltText || got.DigestText == want.DigestText {
			t.Errorf("%s dummy reuses the typical record's salt or digest", scheme)
		}
		for _, pw := range [][]byte{[]byte("password"), {0xa3}, nil} {
			ok, gotScheme, err := v.Verify(dummy, pw)
			if diff := cmp.Diff(outcome{Scheme: scheme}, outcome{ok, gotScheme, errKind(err)}); diff != "" {
				t.Errorf("Verify(%s dummy, %q) (-want +got):\n%s", scheme, pw, diff)
			}
		}
	}
	for _, like := range []Scheme{SchemeBcrypt, SchemeArgon2id, SchemePBKDF2SHA256, SchemeFirebaseScrypt, "md5", ""} {
		v.VerifyDummy([]byte("password"), like) // must not panic
	}
	other, err := New(Options{Firebase: readmeParams(t), TypicalHashes: typical})
	if err != nil {
		t.Fatal(err)
	}
	if other.dummies[SchemeBcrypt] == v.dummies[SchemeBcrypt] {
		t.Error("two Verifiers share a dummy record; it should be random")
	}
}

// TestDummyTimingParity measures what VerifyDummy is for: an unknown user
// (VerifyDummy) costs as much as a known user with a wrong password
// (Verify). Cost is the CPU time the process spends, not wall time: other
// processes on a loaded machine stretch wall time by whatever share of the
// CPU they take, but not the work done here. The two are measured in
// alternation, in the same run, and their medians compared.
func TestDummyTimingParity(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("timing test; run without -short and -race")
	}
	cases := []struct {
		scheme Scheme
		record string
		rounds int
	}{
		{SchemeBcrypt, "$2a$10$WvvTPHKwdBJ3uk0Z37EMR.hLA2W6N9AEBhEgrAOljy2Ae5MtaSIUi", 7},
		{SchemeArgon2id, "$argon2id$v=19$m=65536,t=1,p=1$c29tZXNhbHQ$9qWtwbpyPd3vm1rB1GThgPzZ3/ydHL92zKL+15XZypg", 7},
		{SchemePBKDF2SHA256, "pbkdf2_sha256$10000$seasalt$FQCNpiZpTb0zub+HBsH6TOwyRxJ19FwvjbweatNmK/Y=", 21},
		{SchemeFirebaseScrypt, readmeRecord, 7},
	}
	for _, tc := range cases {
		t.Run(string(tc.scheme), func(t *testing.T) {
			v, err := New(Options{Firebase: readmeParams(t), TypicalHashes: map[Scheme]string{tc.scheme: tc.record}})
			if err != nil {
				t.Fatal(err)
			}
			wrong := []byte("wrong password")
			verify := func() {
				if ok, _, err := v.Verify(tc.record, wrong); ok || err != nil {
					t.Fatalf("Verify(wrong password) = %v, %v", ok, err)
				}
			}
			dummy := func() { v.VerifyDummy(wrong, tc.scheme) }
			verify() // warm up: first use of the KDF's code and memory
			dummy()
			var real, fake []time.Duration
			for i := 0; i < tc.rounds; i++ {
				// Alternate which goes first, so that neither always runs
				// just after a garbage collection the other triggered.
				if i%2 == 0 {
					real = append(real, cpuCost(t, verify))
					fake = append(fake, cpuCost(t, dummy))
				} else {
					fake = append(fake, cpuCost(t, dummy))
					real = append(real, cpuCost(t, verify))
				}
			}
			ratio := float64(median(fake)) / float64(median(real))
			t.Logf("median CPU time: Verify %v, VerifyDummy %v, ratio %.3f", median(real), median(fake), ratio)
			if ratio < 0.8 || ratio > 1.25 {
				t.Errorf("VerifyDummy costs %.2f× the CPU time of Verify (medians %v and %v of %d runs); want within 0.8×..1.25×",
					ratio, median(fake), median(real), tc.rounds)
			}
		})
	}
}

// cpuCost returns the CPU time, user and system over all threads, that the
// process spent in f. All of it is f's: this test runs alone (no parallel
// test is running meanwhile), and what the runtime does meanwhile
// (garbage collection, argon2id's lane goroutines) is part of f's cost.
func cpuCost(t *testing.T, f func()) time.Duration {
	t.Helper()
	before := processCPU(t)
	f()
	return processCPU(t) - before
}

func processCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestConcurrentVerify shares one Verifier across goroutines, as a warm
// Lambda with concurrent invocations in one process would, for the race
// detector to check that nothing in it is written after New.
func TestConcurrentVerify(t *testing.T) {
	p := readmeParams(t)
	p.MemCost = 4 // cheap; the record below then never matches, which is fine here
	records := []string{
		"$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
		"$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc",
		"$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ",
		readmeRecord,
	}
	v, err := New(Options{Firebase: p, TypicalHashes: map[Scheme]string{
		SchemeBcrypt:       records[0],
		SchemeArgon2id:     records[1],
		SchemePBKDF2SHA256: records[2],
	}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for _, r := range records {
				if ok, _, err := v.Verify(r, []byte("wrong")); ok || err != nil {
					t.Errorf("Verify = %v, %v", ok, err)
				}
			}
			for _, s := range []Scheme{SchemeBcrypt, SchemeArgon2id, SchemePBKDF2SHA256, SchemeFirebaseScrypt} {
				v.VerifyDummy([]byte("wrong"), s)
			}
		})
	}
	wg.Wait()
}
