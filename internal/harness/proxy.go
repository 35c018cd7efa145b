package harness

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
)

// Proxy is a reverse proxy in front of an AWS endpoint (normally moto) that
// counts requests per operation, so a test can assert what a function did
// on the wire, e.g. "the warm sign-in made no table call".
type Proxy struct {
	// Endpoint is the proxy's base URL; use it in place of the target's.
	Endpoint string

	srv    *http.Server
	mu     sync.Mutex
	counts map[string]int
}

// StartCountingProxy starts a proxy on 127.0.0.1 forwarding to target
// (e.g. Moto.Endpoint).
func StartCountingProxy(ctx context.Context, target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("start proxy: bad target %q", target)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start proxy: %w", err)
	}
	p := &Proxy{Endpoint: "http://" + l.Addr().String(), counts: make(map[string]int)}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			// Keep the Host the client signed; moto ignores signatures, but a
			// proxy should not be why a request differs.
			r.Out.Host = r.In.Host
		},
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4},
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.counts[opName(r)]++
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	})}
	go p.srv.Serve(l)
	return p, nil
}

// opName is the X-Amz-Target of JSON-protocol calls, such as
// "DynamoDB_20120810.GetItem" or "secretsmanager.GetSecretValue", and
// "METHOD /path" for anything else.
func opName(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t
	}
	return r.Method + " " + r.URL.Path
}

// Count returns how many requests for op (an X-Amz-Target value) passed
// since the start or the last Reset.
func (p *Proxy) Count(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[op]
}

// Counts returns a snapshot of all counts, for diffing against a want map.
func (p *Proxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.counts)
}

// Reset zeroes the counts, e.g. after seeding and before the invocation
// under test.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.counts)
}

// Stop closes the proxy and its connections.
func (p *Proxy) Stop() error {
	return p.srv.Close()
}
