package testrig

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
)

// Fault is what a FaultProxy does to one request instead of passing it on.
type Fault struct {
	// Status, when not zero, answers with this status and a JSON message
	// without passing the request on.
	Status int
	// Cut reads the request's body, then drops the connection without an
	// answer (a network failure half way).
	Cut bool
}

// FaultProxy is a reverse proxy on loopback in front of a real server
// that fails the requests a rule picks, to test what a client leaves
// behind when the network or the server fails.
type FaultProxy struct {
	// URL is the proxy's base URL.
	URL string

	mu     sync.Mutex
	rule   func(*http.Request) *Fault
	faults []string
}

// NewFaultProxy starts a proxy to target on a free loopback port; it
// stops when the test ends.
func NewFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		rule := p.rule
		p.mu.Unlock()
		if rule != nil {
			if f := rule(r); f != nil {
				p.mu.Lock()
				p.faults = append(p.faults, r.Method+" "+r.URL.Path)
				p.mu.Unlock()
				switch {
				case f.Cut:
					_, _ = io.Copy(io.Discard, r.Body)
					dropConnection(w)
				default:
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(f.Status)
					_, _ = io.WriteString(w, `{"message": "injected fault"}`)
				}
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Fail makes the proxy fail the requests rule returns a Fault for; nil
// passes everything on.
func (p *FaultProxy) Fail(rule func(*http.Request) *Fault) {
	p.mu.Lock()
	p.rule = rule
	p.mu.Unlock()
}

// Faults returns the requests failed so far as "METHOD PATH".
func (p *FaultProxy) Faults() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.faults...)
}
