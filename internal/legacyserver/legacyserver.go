// Package legacyserver is a fake legacy authentication endpoint speaking
// the migration trigger's HTTP protocol (docs/migrateuser.md): POST /verify
// and POST /lookup with a bearer API key. Tests and `make demo` run it on a
// loopback port, and it is the reference for teams writing an adapter in
// front of a real legacy system.
//
// It is written independently of package legacy (it encodes with
// encoding/json, which that package does not use to decode), so a test
// through it checks the protocol, not one implementation against itself.
// Faults (a status, a raw body, a hang) can be injected per path.
package legacyserver

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// User is the protocol's user object.
type User struct {
	Username            string            `json:"username"`
	Email               string            `json:"email,omitempty"`
	EmailVerified       bool              `json:"email_verified"`
	PhoneNumber         string            `json:"phone_number,omitempty"`
	PhoneNumberVerified bool              `json:"phone_number_verified"`
	Attributes          map[string]string `json:"attributes,omitempty"`
}

// Account is one legacy user: the password the fake accepts and the
// profile it answers with.
type Account struct {
	Password string
	User     User
}

// Fault replaces the normal answer on one path.
type Fault struct {
	// Status, when not 0, is the HTTP status to answer with.
	Status int
	// Body, when not nil, is sent instead of the normal answer.
	Body []byte
	// ContentType replaces "application/json" when not "".
	ContentType string
	// Hang holds the request until the client gives up or the server is
	// closed: a legacy system that accepted the connection and stalled.
	Hang bool
	// Delay is waited before answering.
	Delay time.Duration
}

// The paths of the protocol.
const (
	PathVerify = "/verify"
	PathLookup = "/lookup"
)

// Server is a running fake on 127.0.0.1.
type Server struct {
	// URL is the base URL, http://127.0.0.1:PORT, for LEGACY_AUTH_URL.
	URL string

	srv     *http.Server
	closing chan struct{}
	once    sync.Once

	mu       sync.Mutex
	apiKey   string
	accounts map[string]Account
	faults   map[string]*Fault
	calls    map[string]int
	refused  map[string]int // 401s per path
}

// Start runs a fake that accepts apiKey, with the given accounts.
func Start(apiKey string, accounts ...Account) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := New(apiKey, accounts...)
	s.URL = "http://" + l.Addr().String()
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go s.srv.Serve(l)
	return s, nil
}

// New returns a fake without a listener, to use as an http.Handler.
func New(apiKey string, accounts ...Account) *Server {
	s := &Server{
		closing:  make(chan struct{}),
		apiKey:   apiKey,
		accounts: map[string]Account{},
		faults:   map[string]*Fault{},
		calls:    map[string]int{},
		refused:  map[string]int{},
	}
	for _, a := range accounts {
		s.accounts[a.User.Username] = a
	}
	return s
}

// Close stops the server, releasing hung requests first.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		close(s.closing)
		if s.srv != nil {
			err = s.srv.Close()
		}
	})
	return err
}

// SetAPIKey changes the key the fake accepts, as a rotation on the legacy
// side does.
func (s *Server) SetAPIKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKey = key
}

// Put adds or replaces an account.
func (s *Server) Put(a Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[a.User.Username] = a
}

// Delete removes an account.
func (s *Server) Delete(username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.accounts, username)
}

// SetFault makes path answer as f describes; nil restores normal answers.
func (s *Server) SetFault(path string, f *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == nil {
		delete(s.faults, path)
		return
	}
	s.faults[path] = f
}

// Calls returns how many requests reached path, 401s included.
func (s *Server) Calls(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

// Refused returns how many requests to path were answered 401.
func (s *Server) Refused(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused[path]
}

// ServeHTTP implements the protocol.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if i := strings.LastIndex(path, "/"); i > 0 {
		path = path[i:] // a base URL may carry a path prefix
	}
	if path != PathVerify && path != PathLookup {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.calls[path]++
	key := s.apiKey
	var fault *Fault
	if f := s.faults[path]; f != nil {
		c := *f
		fault = &c
	}
	s.mu.Unlock()

	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(key)) != 1 {
		s.mu.Lock()
		s.refused[path]++
		s.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Bearer realm="legacy"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if fault != nil {
		s.serveFault(w, r, fault)
		return
	}
	req, err := decodeRequest(r, path)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	acct, known := s.accounts[req.Username]
	s.mu.Unlock()
	switch path {
	case PathVerify:
		// Unknown user and wrong password answer alike, and both compare
		// a password, so neither answer nor time tells them apart.
		want := acct.Password
		if !known {
			want = "\x00unknown user\x00"
		}
		if subtle.ConstantTimeCompare([]byte(req.Password), []byte(want)) != 1 || !known || req.Password == "" {
			writeJSON(w, map[string]string{"result": "invalid"})
			return
		}
		writeJSON(w, answer{Result: "ok", User: &acct.User})
	case PathLookup:
		if !known {
			writeJSON(w, map[string]string{"result": "not_found"})
			return
		}
		writeJSON(w, answer{Result: "ok", User: &acct.User})
	}
}

type answer struct {
	Result string `json:"result"`
	User   *User  `json:"user,omitempty"`
}

type request struct {
	Username string  `json:"username"`
	Password *string `json:"password"`
}

// decodedRequest is a request with the password made plain.
type decodedRequest struct {
	Username, Password string
}

// decodeRequest reads a request strictly: JSON only, a 4 KiB cap, no
// unknown members, no trailing data, a password on /verify and none on
// /lookup.
func decodeRequest(r *http.Request, path string) (decodedRequest, error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return decodedRequest{}, errors.New("Content-Type must be application/json")
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 4<<10))
	dec.DisallowUnknownFields()
	var req request
	if err := dec.Decode(&req); err != nil {
		return decodedRequest{}, errors.New("malformed request body")
	}
	if dec.Decode(&struct{}{}) != io.EOF {
		return decodedRequest{}, errors.New("trailing data after the request")
	}
	if req.Username == "" {
		return decodedRequest{}, errors.New("username is required")
	}
	switch {
	case path == PathVerify && req.Password == nil:
		return decodedRequest{}, errors.New("password is required")
	case path == PathLookup && req.Password != nil:
		return decodedRequest{}, errors.New("lookup takes no password")
	}
	out := decodedRequest{Username: req.Username}
	if req.Password != nil {
		out.Password = *req.Password
	}
	return out, nil
}

func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, f *Fault) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 4<<10))
	if f.Hang {
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		return
	}
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		}
	}
	ct := f.ContentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(f.Body)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
