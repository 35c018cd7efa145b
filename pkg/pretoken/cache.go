package pretoken

import (
	"sync"
	"time"
)

// MaxCacheTTL is the longest CLAIMS_CACHE_TTL allowed. A cached record
// keeps an old role alive after the table changed (threat model §3: a
// cache only with a TTL of at most 60 s), so the bound is not
// configurable.
const MaxCacheTTL = 60 * time.Second

// maxCacheEntries bounds each cache so that a container serving many users
// cannot grow without limit. Reaching it first drops the expired entries
// and, if that frees nothing, empties the cache: a sign-in after that pays
// one table read, which is the same as a cold container.
const maxCacheEntries = 10000

// cache is a per-container map of table records with a fixed time to live.
// Lambda runs one invocation at a time per container, but the cache is
// still guarded by a lock: tests and fuzzing call one Decider from many
// goroutines, and a future runtime change must not turn it into a data
// race.
type cache[V any] struct {
	ttl time.Duration
	// negative caches "no such record" answers too.
	negative bool

	mu sync.RWMutex
	m  map[string]cacheEntry[V]
}

type cacheEntry[V any] struct {
	v       V
	found   bool
	expires time.Time
}

// newCache returns a cache, or nil (which caches nothing) when ttl is 0.
func newCache[V any](ttl time.Duration, negative bool) *cache[V] {
	if ttl <= 0 {
		return nil
	}
	return &cache[V]{ttl: ttl, negative: negative, m: make(map[string]cacheEntry[V])}
}

// get returns the cached answer for key: ok reports a fresh entry, found
// whether that entry is a record or a cached "no record".
func (c *cache[V]) get(key string, now time.Time) (v V, found, ok bool) {
	if c == nil {
		return v, false, false
	}
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return v, false, false
	}
	return e.v, e.found, true
}

// put remembers an answer until now + ttl. A "no record" answer is only
// kept by a negative cache.
func (c *cache[V]) put(key string, v V, found bool, now time.Time) {
	if c == nil || (!found && !c.negative) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, exists := c.m[key]; !exists && len(c.m) >= maxCacheEntries {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCacheEntries {
			clear(c.m)
		}
	}
	c.m[key] = cacheEntry[V]{v: v, found: found, expires: now.Add(c.ttl)}
}

// len reports the number of entries, expired ones included (for tests).
func (c *cache[V]) len() int {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
