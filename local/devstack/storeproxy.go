package devstack

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// storeProxy stands between the functions and DynamoDB to rehearse a slow or flaky table
// (--store-latency, --store-lost-acks), in the functions' own SDK calls: every call
// waits latency before it is forwarded (a call whose client gives up during the wait is
// never forwarded, like a request the SDK abandoned before sending), and the next
// lostAcks writes are forwarded and commit, but their response is lost (the connection
// closes), as when DynamoDB's answer never arrives.
type storeProxy struct {
	url      string
	target   string
	mu       sync.Mutex
	latency  time.Duration
	lostAcks int
	srv      *http.Server
	client   *http.Client
}

func newStoreProxy(target string, latency time.Duration, lostAcks int) (*storeProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &storeProxy{url: "http://" + ln.Addr().String(), target: strings.TrimRight(target, "/"), latency: latency,
		lostAcks: lostAcks, client: &http.Client{}}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

func (p *storeProxy) close() { p.srv.Close() }

// writes are the DynamoDB operations that change items.
var writes = []string{"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}

// set replaces the faults: what --store-latency and --store-lost-acks set at start.
func (p *storeProxy) set(latency time.Duration, lostAcks int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency, p.lostAcks = latency, lostAcks
}

func (p *storeProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	latency := p.latency
	p.mu.Unlock()
	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := p.client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if p.loseAck(r.Header.Get("X-Amz-Target")) {
		io.Copy(io.Discard, resp.Body)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// loseAck reports whether this call's response is to be lost (a write, while lost
// acknowledgements remain).
func (p *storeProxy) loseAck(target string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lostAcks == 0 {
		return false
	}
	for _, op := range writes {
		if strings.HasSuffix(target, "."+op) {
			p.lostAcks--
			return true
		}
	}
	return false
}
