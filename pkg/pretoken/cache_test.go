package pretoken

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// TestCacheHitMissExpiry: the first sign-in reads the table, the next ones
// within the TTL do not, and the first after the TTL reads it again. A
// role changed in the table reaches tokens within the TTL.
func TestCacheHitMissExpiry(t *testing.T) {
	const ttl = 30 * time.Second
	tbl := seeded()
	r := newRig(t, Config{CacheTTL: ttl}, tbl)
	in := testevent.Load(t, "pretoken-v2-hosted-auth.json")
	step := func(wantCache string, wantReads int, wantRole string) {
		t.Helper()
		out, ue := r.invoke(t, in)
		if ue != nil {
			t.Fatalf("denied: %v", ue.Cause)
		}
		line := r.lastLine(t)
		if line["cache"] != wantCache || line["role"] != wantRole {
			t.Errorf("cache %v role %v, want %s %s", line["cache"], line["role"], wantCache, wantRole)
		}
		if n := tbl.Calls("User"); n != wantReads {
			t.Errorf("%d table reads so far, want %d", n, wantReads)
		}
		for where, cl := range addedClaims(t, out) {
			if diff := cmp.Diff(claims("initech", wantRole), cl); diff != "" {
				t.Errorf("%s claims (-want +got):\n%s", where, diff)
			}
		}
	}
	step("miss", 1, "analyst")
	step("hit", 1, "analyst")
	// An operator changes the role; the container keeps the cached one
	// until the TTL runs out, and not a moment longer.
	tbl.PutUser(subSam, trustedtable.UserRecord{TenantID: "initech", AppRole: "viewer"})
	r.clock.Advance(ttl - time.Nanosecond)
	step("hit", 1, "analyst")
	r.clock.Advance(time.Nanosecond)
	step("miss", 2, "viewer")
	step("hit", 2, "viewer")
}

// TestCacheDisabled: CLAIMS_CACHE_TTL=0 reads the table on every token.
func TestCacheDisabled(t *testing.T) {
	tbl := seeded()
	r := newRig(t, Config{CacheTTL: 0}, tbl)
	for i := 1; i <= 3; i++ {
		if _, ue := r.invoke(t, testevent.Load(t, "pretoken-v3-authenticate-device.json")); ue != nil {
			t.Fatal(ue.Cause)
		}
		if line := r.lastLine(t); line["cache"] != "miss" {
			t.Errorf("invocation %d: cache = %v", i, line["cache"])
		}
	}
	if n := tbl.Calls("User"); n != 3 {
		t.Errorf("%d table reads for 3 tokens, want 3", n)
	}
	if n := r.dec.users.len(); n != 0 {
		t.Errorf("disabled cache holds %d entries", n)
	}
}

// TestNegativeCaching: a user without a record is looked up every time
// (so a record an operator adds applies at once), while an unknown client
// and an unknown domain are remembered for the TTL.
func TestNegativeCaching(t *testing.T) {
	t.Run("user", func(t *testing.T) {
		tbl := seeded()
		tbl.DeleteUser(subSam)
		r := newRig(t, Config{CacheTTL: DefaultCacheTTL}, tbl)
		in := testevent.Load(t, "pretoken-v2-hosted-auth.json")
		if _, ue := r.invoke(t, in); ue == nil || ue.Reason != decision.ReasonNoRecord {
			t.Fatalf("got %v, want no_record", ue)
		}
		tbl.PutUser(subSam, trustedtable.UserRecord{TenantID: "acme", AppRole: "member"})
		if _, ue := r.invoke(t, in); ue != nil {
			t.Fatalf("a record created after a miss was not used at once: %v", ue.Cause)
		}
		if n := tbl.Calls("User"); n != 2 {
			t.Errorf("%d user reads, want 2", n)
		}
	})
	t.Run("domain", func(t *testing.T) {
		tbl := seeded()
		tbl.DeleteUser(subSam)
		r := newRig(t, Config{CacheTTL: DefaultCacheTTL}, tbl)
		in := testevent.Load(t, "pretoken-v2-hosted-auth.json")
		for range 3 {
			if _, ue := r.invoke(t, in); ue == nil || ue.Reason != decision.ReasonNoRecord {
				t.Fatalf("got %v, want no_record", ue)
			}
		}
		if n := tbl.Calls("Domain"); n != 1 {
			t.Errorf("%d domain reads for 3 tokens, want 1 (negative cached)", n)
		}
		r.clock.Advance(DefaultCacheTTL)
		if _, ue := r.invoke(t, in); ue == nil || ue.Reason != decision.ReasonNoRecord {
			t.Fatalf("got %v, want no_record", ue)
		}
		if n := tbl.Calls("Domain"); n != 2 {
			t.Errorf("%d domain reads after the TTL, want 2", n)
		}
	})
	t.Run("client", func(t *testing.T) {
		tbl := seeded()
		tbl.DeleteClient(clientM2M)
		r := newRig(t, Config{CacheTTL: DefaultCacheTTL}, tbl)
		in := testevent.Load(t, "pretoken-v3-client-credentials.json")
		for range 3 {
			if _, ue := r.invoke(t, in); ue == nil || ue.Reason != decision.ReasonUnknownClient {
				t.Fatalf("got %v, want unknown_client", ue)
			}
		}
		if line := r.lastLine(t); line["cache"] != "hit" {
			t.Errorf("cache = %v, want hit for a remembered unknown client", line["cache"])
		}
		if n := tbl.Calls("Client"); n != 1 {
			t.Errorf("%d client reads, want 1", n)
		}
		r.clock.Advance(DefaultCacheTTL)
		tbl.PutClient(clientM2M, trustedtable.ClientRecord{TenantID: "initech", AppRole: "service"})
		if _, ue := r.invoke(t, in); ue != nil {
			t.Fatalf("client added in the table not used after the TTL: %v", ue.Cause)
		}
	})
}

// TestBrokenRowsNotCached: a bad record is read again next time, so the
// fix an operator makes applies at once.
func TestBrokenRowsNotCached(t *testing.T) {
	tbl := seeded()
	tbl.PutUser(subSam, trustedtable.UserRecord{TenantID: "initech\x7f", AppRole: "analyst"})
	r := newRig(t, Config{CacheTTL: DefaultCacheTTL}, tbl)
	in := testevent.Load(t, "pretoken-v2-hosted-auth.json")
	if _, ue := r.invoke(t, in); ue == nil || ue.Reason != decision.ReasonBadRecord {
		t.Fatalf("got %v, want bad_record", ue)
	}
	tbl.PutUser(subSam, trustedtable.UserRecord{TenantID: "initech", AppRole: "analyst"})
	if _, ue := r.invoke(t, in); ue != nil {
		t.Fatalf("fixed row not used: %v", ue.Cause)
	}
}

// TestConcurrentInvocations exercises the cache from many goroutines; run
// with -race.
func TestConcurrentInvocations(t *testing.T) {
	tbl := seeded()
	tbl.PutDomain("example.com", trustedtable.DomainRecord{TenantID: "acme", DefaultRole: "member"})
	r := newRig(t, Config{CacheTTL: DefaultCacheTTL}, tbl)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i := 0; i < 50; i++ {
				sub := "e2b7c9d4-5a6f-4b8e-9c1d-" + strconv.Itoa(100000000000+g*1000+i%10)
				in := testevent.Load(t, "pretoken-v2-hosted-auth.json", testevent.SetAttr("sub", sub))
				if _, err := r.h.Invoke(t.Context(), in); err != nil {
					t.Errorf("goroutine %d: %v", g, err)
					return
				}
				if i%7 == 0 {
					r.clock.Advance(time.Second)
				}
			}
		})
	}
	wg.Wait()
	if n := len(tbl.Bindings()); n != 80 {
		t.Errorf("%d bindings for 80 distinct users", n)
	}
}

// TestCacheBounded: the cache never holds more than maxCacheEntries; a
// full cache drops the entry used least recently, and keeps the one just
// added and one read a moment ago.
func TestCacheBounded(t *testing.T) {
	c := newCache[int](time.Minute, true)
	now := time.Unix(0, 0)
	for i := range maxCacheEntries {
		c.put(strconv.Itoa(i), i, true, now)
	}
	if _, _, ok := c.get("0", now); !ok { // "0" is now the most recently used
		t.Fatal("entry 0 lost before the cache was full")
	}
	c.put("x", -1, true, now)
	if n := c.len(); n != maxCacheEntries {
		t.Errorf("%d entries, want %d", n, maxCacheEntries)
	}
	if _, _, ok := c.get("1", now); ok {
		t.Error("the least recently used entry survived a full cache")
	}
	for _, key := range []string{"0", "x", strconv.Itoa(maxCacheEntries - 1)} {
		if _, found, ok := c.get(key, now); !ok || !found {
			t.Errorf("entry %s lost", key)
		}
	}
	for i := range maxCacheEntries {
		c.put("y"+strconv.Itoa(i), i, true, now)
	}
	if n := c.len(); n > maxCacheEntries {
		t.Errorf("%d entries, more than %d", n, maxCacheEntries)
	}
}

// TestCacheEntries: the TTL on the given clock, and which answers each
// kind of cache keeps.
func TestCacheEntries(t *testing.T) {
	now := time.Unix(0, 0)
	c := newCache[int](time.Minute, true)
	c.put("a", 1, true, now)
	if v, found, ok := c.get("a", now.Add(time.Minute-time.Nanosecond)); !ok || !found || v != 1 {
		t.Errorf("get before expiry = %v %v %v", v, found, ok)
	}
	if _, _, ok := c.get("a", now.Add(time.Minute)); ok {
		t.Error("an entry answered at its expiry")
	}
	c.put("none", 0, false, now)
	if _, found, ok := c.get("none", now); !ok || found {
		t.Errorf("a negative cache's \"no record\" = found %v ok %v", found, ok)
	}
	var disabled *cache[int] = newCache[int](0, true)
	disabled.put("a", 1, true, now)
	if _, _, ok := disabled.get("a", now); ok || disabled.len() != 0 {
		t.Error("a disabled cache answered")
	}
	pos := newCache[int](time.Minute, false)
	pos.put("a", 0, false, now)
	if _, _, ok := pos.get("a", now); ok {
		t.Error("a positive-only cache kept a negative answer")
	}
}
