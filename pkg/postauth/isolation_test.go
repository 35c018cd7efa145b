package postauth_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// isolation is how isolatingProxy treats overlapping TransactWriteItems.
type isolation int

const (
	// serialize queues them, as if DynamoDB ran them one after another.
	serialize isolation = iota
	// conflict answers every transaction that arrives while another is in
	// flight with TransactionCanceledException [TransactionConflict, None],
	// as DynamoDB answers concurrent transactions on the same item.
	conflict
)

// isolatingProxy stands between the store and moto_server and gives moto's
// transactions the isolation DynamoDB guarantees. moto_server serves
// requests on threads and runs TransactWriteItems without a lock: it checks
// every condition, then writes, and undoes a cancelled transaction by
// restoring a copy of the whole table taken at its start. Two concurrent
// deliveries can therefore both pass the marker's condition (two items), and
// a cancelled one can roll back an item another one committed meanwhile (no
// item at all); 8 of 40 rounds of ten concurrent deliveries went wrong in
// one way or the other without this proxy. Against DynamoDB
// neither can happen, so the tests isolate moto rather than accept either.
type isolatingProxy struct {
	Endpoint  string
	mu        sync.Mutex
	conflicts atomic.Int64 // TransactionConflict answers given
}

func startIsolatingProxy(t *testing.T, target string, mode isolation) *isolatingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &isolatingProxy{Endpoint: "http://" + l.Addr().String()}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host
		},
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16},
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "DynamoDB_20120810.TransactWriteItems" {
			rp.ServeHTTP(w, r)
			return
		}
		switch mode {
		case serialize:
			p.mu.Lock()
			defer p.mu.Unlock()
		case conflict:
			if !p.mu.TryLock() {
				p.conflicts.Add(1)
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/x-amz-json-1.0")
				w.Header().Set("x-amzn-ErrorType", "TransactionCanceledException")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException",`+
					`"Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, None]",`+
					`"CancellationReasons":[{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item."},{"Code":"None"}]}`)
				return
			}
			defer p.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return p
}
