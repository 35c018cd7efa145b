package pretoken

import (
	"bytes"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// TestCacheHitMissExpiry: the first sign-in reads the table, the next ones
// within the TTL do not, and the first after the TTL reads it again. A
// role changed in the table reaches tokens within the TTL.
func TestCacheHitMissExpiry(t *testing.T) {
	const ttl = 30 * time.Second
	store := seeded()
	r := newRig(t, Config{CacheTTL: ttl}, store)
	in := fixture(t, "pretoken-v2-hosted-auth.json", nil)
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
		if n := store.count("User"); n != wantReads {
			t.Errorf("%d table reads so far, want %d", n, wantReads)
		}
		if !bytes.Contains(out, []byte(`"app_role":"`+wantRole+`"`)) {
			t.Errorf("token lacks role %s", wantRole)
		}
	}
	step("miss", 1, "analyst")
	step("hit", 1, "analyst")
	// An operator changes the role; the container keeps the cached one
	// until the TTL runs out, and not a moment longer.
	store.mu.Lock()
	store.users[subSam] = trustedtable.UserRecord{TenantID: "initech", AppRole: "viewer"}
	store.mu.Unlock()
	r.clock.Advance(ttl - time.Nanosecond)
	step("hit", 1, "analyst")
	r.clock.Advance(time.Nanosecond)
	step("miss", 2, "viewer")
	step("hit", 2, "viewer")
}

// TestCacheDisabled: CLAIMS_CACHE_TTL=0 reads the table on every token.
func TestCacheDisabled(t *testing.T) {
	store := seeded()
	r := newRig(t, Config{CacheTTL: 0}, store)
	for i := 1; i <= 3; i++ {
		if _, ue := r.invoke(t, fixture(t, "pretoken-v3-authenticate-device.json", nil)); ue != nil {
			t.Fatal(ue.Cause)
		}
		if line := r.lastLine(t); line["cache"] != "miss" {
			t.Errorf("invocation %d: cache = %v", i, line["cache"])
		}
	}
	if n := store.count("User"); n != 3 {
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
		store := seeded()
		delete(store.users, subSam)
		r := newRig(t, Config{CacheTTL: DefaultCacheTTL}, store)
		in := fixture(t, "pretoken-v2-hosted-auth.json", nil)
		if _, ue := r.invoke(t, in); ue == nil || ue.Reason != ReasonNoRecord {
			t.Fatalf("got %v, want no_record", ue)
		}
		store.mu.Lock()
		store.users[subSam] = trustedtable.UserRecord{TenantID: "acme", AppRole: "member"}
		store.mu.Unlock()
		if _, ue := r.invoke(t, in); ue != nil {
			t.Fatalf("a record created after a miss was not used at once: %v", ue.Cause)
		}
		if n := store.count("User"); n != 2 {
			t.Errorf("%d user reads, want 2", n)
		}
	})
	t.Run("domain", func(t *testing.T) {
		store := seeded()
		delete(store.users, subSam)
		r := newRig(t, Config{CacheTTL: DefaultCacheTTL}, store)
		in := fixture(t, "pretoken-v2-hosted-auth.json", nil)
		for i := 0; i < 3; i++ {
			r.invoke(t, in)
		}
		if n := store.count("Domain"); n != 1 {
			t.Errorf("%d domain reads for 3 tokens, want 1 (negative cached)", n)
		}
		r.clock.Advance(DefaultCacheTTL)
		r.invoke(t, in)
		if n := store.count("Domain"); n != 2 {
			t.Errorf("%d domain reads after the TTL, want 2", n)
		}
	})
	t.Run("client", func(t *testing.T) {
		store := seeded()
		delete(store.clients, clientM2M)
		r := newRig(t, Config{CacheTTL: DefaultCacheTTL}, store)
		in := fixture(t, "pretoken-v3-client-credentials.json", nil)
		for i := 0; i < 3; i++ {
			if _, ue := r.invoke(t, in); ue == nil || ue.Reason != ReasonUnknownClient {
				t.Fatalf("got %v, want unknown_client", ue)
			}
		}
		if line := r.lastLine(t); line["cache"] != "hit" {
			t.Errorf("cache = %v, want hit for a remembered unknown client", line["cache"])
		}
		if n := store.count("Client"); n != 1 {
			t.Errorf("%d client reads, want 1", n)
		}
		r.clock.Advance(DefaultCacheTTL)
		store.mu.Lock()
		store.clients[clientM2M] = trustedtable.ClientRecord{TenantID: "initech", AppRole: "service"}
		store.mu.Unlock()
		if _, ue := r.invoke(t, in); ue != nil {
			t.Fatalf("client added in the table not used after the TTL: %v", ue.Cause)
		}
	})
}

// TestBrokenRowsNotCached: a bad record is read again next time, so the
// fix an operator makes applies at once.
func TestBrokenRowsNotCached(t *testing.T) {
	store := seeded()
	store.users[subSam] = trustedtable.UserRecord{TenantID: "initech\x7f", AppRole: "analyst"}
	r := newRig(t, Config{CacheTTL: DefaultCacheTTL}, store)
	in := fixture(t, "pretoken-v2-hosted-auth.json", nil)
	if _, ue := r.invoke(t, in); ue == nil || ue.Reason != ReasonBadRecord {
		t.Fatalf("got %v, want bad_record", ue)
	}
	store.mu.Lock()
	store.users[subSam] = trustedtable.UserRecord{TenantID: "initech", AppRole: "analyst"}
	store.mu.Unlock()
	if _, ue := r.invoke(t, in); ue != nil {
		t.Fatalf("fixed row not used: %v", ue.Cause)
	}
}

// TestConcurrentInvocations exercises the cache from many goroutines; run
// with -race.
func TestConcurrentInvocations(t *testing.T) {
	store := seeded()
	store.domains["example.com"] = trustedtable.DomainRecord{TenantID: "acme", DefaultRole: "member"}
	r := newRig(t, Config{CacheTTL: DefaultCacheTTL}, store)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i := 0; i < 50; i++ {
				sub := "e2b7c9d4-5a6f-4b8e-9c1d-" + strconv.Itoa(100000000000+g*1000+i%10)
				in := fixture(t, "pretoken-v2-hosted-auth.json", setAttr("sub", sub))
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
	store.mu.Lock()
	defer store.mu.Unlock()
	if len(store.bindings) != 80 {
		t.Errorf("%d bindings for 80 distinct users", len(store.bindings))
	}
}

// TestCacheBounded: the cache never holds more than maxCacheEntries.
func TestCacheBounded(t *testing.T) {
	c := newCache[int](time.Minute, true)
	now := time.Unix(0, 0)
	for i := 0; i < maxCacheEntries; i++ {
		c.put(strconv.Itoa(i), i, true, now)
	}
	// Half of them expire.
	later := now.Add(30 * time.Second)
	for i := 0; i < maxCacheEntries/2; i++ {
		c.put(strconv.Itoa(i), i, true, later)
	}
	c.put("x", 1, true, now.Add(time.Minute))
	if n := c.len(); n != maxCacheEntries/2+1 {
		t.Errorf("after expiry sweep: %d entries, want %d", n, maxCacheEntries/2+1)
	}
	for i := 0; i < maxCacheEntries; i++ {
		c.put("y"+strconv.Itoa(i), i, true, now.Add(time.Minute))
	}
	if n := c.len(); n > maxCacheEntries {
		t.Errorf("%d entries, more than %d", n, maxCacheEntries)
	}
	if _, found, ok := c.get("y"+strconv.Itoa(maxCacheEntries-1), now.Add(time.Minute)); !ok || !found {
		t.Error("newest entry lost")
	}
	var nilCache *cache[int]
	nilCache.put("a", 1, true, now)
	if _, _, ok := nilCache.get("a", now); ok {
		t.Error("a disabled cache answered")
	}
	pos := newCache[int](time.Minute, false)
	pos.put("a", 0, false, now)
	if _, _, ok := pos.get("a", now); ok {
		t.Error("a positive-only cache kept a negative answer")
	}
}
