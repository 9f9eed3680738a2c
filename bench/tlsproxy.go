package bench

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"maps"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// proxyCA is a certificate chain shaped like an AWS endpoint's: a root, an intermediate
// and a leaf, all RSA 2048 (as Amazon Root CA 1 → Amazon RSA 2048 M0x → the regional
// endpoint), so a function verifies as much as it does against DynamoDB. The leaf names
// 127.0.0.1 and localhost.
type proxyCA struct {
	RootPEM []byte
	Leaf    tls.Certificate // leaf + intermediate, as a server sends them
}

func newProxyCA() (*proxyCA, error) {
	key := func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) }
	now := time.Now()
	rootKey, err := key()
	if err != nil {
		return nil, err
	}
	root := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "orderbot bench Root CA", Organization: []string{"orderbot bench"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, root, root, &rootKey.PublicKey, rootKey)
	if err != nil {
		return nil, err
	}
	interKey, err := key()
	if err != nil {
		return nil, err
	}
	inter := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "orderbot bench RSA 2048 M01", Organization: []string{"orderbot bench"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	rootCert, _ := x509.ParseCertificate(rootDER)
	interDER, err := x509.CreateCertificate(rand.Reader, inter, rootCert, &interKey.PublicKey, rootKey)
	if err != nil {
		return nil, err
	}
	leafKey, err := key()
	if err != nil {
		return nil, err
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	interCert, _ := x509.ParseCertificate(interDER)
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, interCert, &leafKey.PublicKey, interKey)
	if err != nil {
		return nil, err
	}
	return &proxyCA{
		RootPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rootDER}),
		Leaf:    tls.Certificate{Certificate: [][]byte{leafDER, interDER}, PrivateKey: leafKey},
	}, nil
}

// writeBundle writes the root for AWS_CA_BUNDLE.
func (ca *proxyCA) writeBundle(dir string) (string, error) {
	path := filepath.Join(dir, "bench-ca.pem")
	return path, os.WriteFile(path, ca.RootPEM, 0o644)
}

// tlsProxy puts a plain-HTTP backend (dynalite, the Secrets Manager stub) behind TLS and
// an injected network round-trip time, the way a function in Lambda reaches a regional
// AWS endpoint. The model is a link with a one-way delay of RTT/2 in each direction:
//
//   - every chunk of bytes the client writes reaches the proxy's TLS server RTT/2 after
//     the proxy read it, and every chunk the server writes reaches the client RTT/2 after
//     it was written; chunks keep their order and a later chunk is never delivered before
//     an earlier one (a pipe with propagation delay, no bandwidth limit);
//   - TCP's handshake: the kernel completes the loopback connect at once, so the first
//     client bytes are held until 1.5 RTT after the connection was accepted, when they
//     would arrive had the client sent them right after its SYN/ACK (1 RTT). Client work
//     between connect and its first write overlaps that wait, which is optimistic by at
//     most one RTT per connection.
//
// A TLS 1.3 handshake then costs 1 RTT after the TCP one and each request 1 RTT more,
// plus the backend's own time (loopback, not throttled). Delays are slept with
// nanosleep(2); Lateness records how late each delivery actually was.
type tlsProxy struct {
	URL     string
	rtt     time.Duration
	backend string // host:port
	ln      net.Listener
	tlsCfg  *tls.Config

	mu       sync.Mutex
	conns    int
	requests map[string]int // by X-Amz-Target, "GET /" for the others
	late     []time.Duration
	wg       sync.WaitGroup
}

func startTLSProxy(backendURL string, ca *proxyCA, rtt time.Duration) (*tlsProxy, error) {
	u, err := url.Parse(backendURL)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &tlsProxy{URL: "https://" + ln.Addr().String(), rtt: rtt, backend: u.Host, ln: ln, requests: map[string]int{},
		tlsCfg: &tls.Config{Certificates: []tls.Certificate{ca.Leaf}, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

func (p *tlsProxy) serve() {
	defer p.wg.Done()
	for {
		raw, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns++
		p.mu.Unlock()
		go p.handle(raw)
	}
}

func (p *tlsProxy) handle(raw net.Conn) {
	d := newDelayConn(raw, p.rtt, p.noteLate)
	c := tls.Server(d, p.tlsCfg)
	defer c.Close()
	if err := c.Handshake(); err != nil {
		return
	}
	b, err := net.Dial("tcp", p.backend)
	if err != nil {
		return
	}
	defer b.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(c, b); done <- struct{}{} }()
	go func() { p.copyCounting(b, c); done <- struct{}{} }()
	<-done
}

// copyCounting forwards the client's bytes and counts the requests in them, line by line:
// an X-Amz-Target header counts as its operation, a "GET / HTTP/1.1" request line (the
// connection warm-up) as "GET /". Bodies are JSON without line breaks.
func (p *tlsProxy) copyCounting(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	var line []byte
	for {
		n, err := src.Read(buf)
		for _, c := range buf[:n] {
			if c != '\n' {
				if len(line) < 256 {
					line = append(line, c)
				}
				continue
			}
			p.countLine(bytes.TrimSuffix(line, []byte("\r")))
			line = line[:0]
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *tlsProxy) countLine(line []byte) {
	op := ""
	if v, ok := bytes.CutPrefix(line, []byte("X-Amz-Target: ")); ok {
		op = string(v)
	} else if bytes.Equal(line, []byte("GET / HTTP/1.1")) {
		op = "GET /"
	}
	if op != "" {
		p.mu.Lock()
		p.requests[op]++
		p.mu.Unlock()
	}
}

func (p *tlsProxy) noteLate(d time.Duration) {
	p.mu.Lock()
	p.late = append(p.late, d)
	p.mu.Unlock()
}

// proxyCounts is what a proxy saw: TLS connections and requests by operation.
type proxyCounts struct {
	Conns    int
	Requests map[string]int
}

func (p *tlsProxy) counts() proxyCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return proxyCounts{Conns: p.conns, Requests: maps.Clone(p.requests)}
}

// sub is the difference a - b: what happened between two snapshots.
func (a proxyCounts) sub(b proxyCounts) proxyCounts {
	d := proxyCounts{Conns: a.Conns - b.Conns, Requests: map[string]int{}}
	for k, v := range a.Requests {
		if n := v - b.Requests[k]; n != 0 {
			d.Requests[k] = n
		}
	}
	return d
}

// Lateness is how much later than scheduled the proxy delivered bytes: median and p95.
func (p *tlsProxy) Lateness() (p50, p95 time.Duration) {
	p.mu.Lock()
	d := slices.Clone(p.late)
	p.mu.Unlock()
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	return d[len(d)/2], d[min(len(d)-1, len(d)*95/100)]
}

func (p *tlsProxy) close() {
	p.ln.Close()
	p.wg.Wait()
}

// delayConn is one end of the delayed link (see tlsProxy): Read returns the client's
// bytes RTT/2 after they arrived (the first ones not before 1.5 RTT after accept), Write
// queues bytes that a writer goroutine sends RTT/2 later.
type delayConn struct {
	net.Conn
	oneWay  time.Duration
	first   time.Time // earliest delivery of the first inbound bytes
	late    func(time.Duration)
	in      chan chunk
	pending []byte
	readErr error

	out       chan chunk
	wrote     chan struct{} // closed when the writer has sent everything
	done      chan struct{} // closed by Close
	closeOnce sync.Once
	mu        sync.Mutex
	closed    bool
}

type chunk struct {
	at   time.Time
	data []byte
	err  error
}

func newDelayConn(raw net.Conn, rtt time.Duration, late func(time.Duration)) *delayConn {
	d := &delayConn{Conn: raw, oneWay: rtt / 2, first: time.Now().Add(rtt + rtt/2), late: late,
		in: make(chan chunk, 64), out: make(chan chunk, 64), wrote: make(chan struct{}), done: make(chan struct{})}
	go d.reader()
	go d.writer()
	return d
}

func (d *delayConn) reader() {
	for {
		buf := make([]byte, 32<<10)
		n, err := d.Conn.Read(buf)
		at := time.Now()
		c := chunk{at: at, data: buf[:n], err: err}
		select {
		case d.in <- c:
		case <-d.done:
			return
		}
		if err != nil {
			close(d.in)
			return
		}
	}
}

func (d *delayConn) Read(p []byte) (int, error) {
	if len(d.pending) == 0 {
		if d.readErr != nil {
			return 0, d.readErr
		}
		c, ok := <-d.in
		if !ok {
			return 0, io.EOF
		}
		due := c.at.Add(d.oneWay)
		if !d.first.IsZero() {
			due = maxTime(due, d.first)
			d.first = time.Time{}
		}
		sleepUntil(due)
		if d.late != nil && len(c.data) > 0 {
			d.late(time.Since(due))
		}
		d.pending, d.readErr = c.data, c.err
		if len(d.pending) == 0 {
			return 0, d.readErr
		}
	}
	n := copy(p, d.pending)
	d.pending = d.pending[n:]
	return n, nil
}

func (d *delayConn) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return 0, net.ErrClosed
	}
	d.out <- chunk{at: time.Now(), data: slices.Clone(p)}
	return len(p), nil
}

func (d *delayConn) writer() {
	defer close(d.wrote)
	for c := range d.out {
		sleepUntil(c.at.Add(d.oneWay))
		if _, err := d.Conn.Write(c.data); err != nil {
			for range d.out {
			}
			return
		}
	}
}

// Close delivers what was written, then closes the connection.
func (d *delayConn) Close() error {
	d.closeOnce.Do(func() {
		d.mu.Lock()
		d.closed = true
		close(d.out)
		close(d.done)
		d.mu.Unlock()
		select {
		case <-d.wrote:
		case <-time.After(time.Second):
		}
	})
	return d.Conn.Close()
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
