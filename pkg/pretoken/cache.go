package pretoken

import (
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// MaxCacheTTL is the longest CLAIMS_CACHE_TTL allowed. A cached record
// keeps an old role or tenant alive after the table changed, so how long
// that may last is a security bound, not a tuning knob: it is fixed here
// rather than configurable.
const MaxCacheTTL = 60 * time.Second

// maxCacheEntries bounds each cache so that a container serving many users
// cannot grow without limit. A full cache drops its least recently used
// entry; the user whose entry went pays one table read, as in a cold
// container.
const maxCacheEntries = 10000

// cache is a per-container, bounded cache of table records with a fixed
// time to live, on the clock of Deps.Now.
//
// It is golang-lru's plain LRU with the expiry kept in the entry, and not
// the library's expirable LRU, which was measured for this and does not
// fit: it reads the wall clock (time.Now) for every expiry, so the TTL
// cannot be tested with a fake clock, only by sleeping; it starts one
// cleanup goroutine per cache that never ends (three per Decider, one
// more leaked for every Decider a test or the fuzzer builds); its
// constructor allocates 100 expiry buckets, 29 KB in 338 allocations and
// 30–60 µs for the three caches against 1 µs and 12 allocations for the
// plain LRU (this machine, 2026-12); and its TTL 0 means "never expire"
// where CLAIMS_CACHE_TTL=0 means "do not cache". The plain LRU gives the
// bound (least recently used out, instead of emptying the whole cache
// when full) and leaves the policy here: which answers are cached, and
// for how long by which clock.
//
// Lambda runs one invocation at a time per container, but the cache is
// safe for concurrent use: tests and fuzzing call one Decider from many
// goroutines.
type cache[V any] struct {
	ttl time.Duration
	// negative caches "no such record" answers too.
	negative bool
	lru      *lru.Cache[string, cacheEntry[V]]
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
	l, err := lru.New[string, cacheEntry[V]](maxCacheEntries)
	if err != nil { // only for a size below 1
		panic(err)
	}
	return &cache[V]{ttl: ttl, negative: negative, lru: l}
}

// get returns the cached answer for key: ok reports a fresh entry, found
// whether that entry is a record or a cached "no record".
func (c *cache[V]) get(key string, now time.Time) (v V, found, ok bool) {
	if c == nil {
		return v, false, false
	}
	e, ok := c.lru.Get(key)
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
	c.lru.Add(key, cacheEntry[V]{v: v, found: found, expires: now.Add(c.ttl)})
}

// len reports the number of entries, expired ones included (for tests).
func (c *cache[V]) len() int {
	if c == nil {
		return 0
	}
	return c.lru.Len()
}
