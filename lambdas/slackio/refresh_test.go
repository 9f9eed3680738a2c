package slackio

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable test clock.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock    { c := &clock{}; c.ns.Store(t.UnixNano()); return c }
func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) Add(d time.Duration) { c.ns.Add(int64(d)) }

// store plays Secrets Manager: the credentials an operator put, and how often they were read.
type store struct {
	mu      sync.Mutex
	creds   Credentials
	err     error
	reads   atomic.Int64
	started chan struct{} // when set, each read signals here and then waits for release
	release chan struct{}
}

func (s *store) put(c Credentials) { s.mu.Lock(); s.creds = c; s.mu.Unlock() }

func (s *store) fetch(ctx context.Context) (Credentials, error) {
	s.reads.Add(1)
	if s.started != nil {
		s.started <- struct{}{}
		select {
		case <-s.release:
		case <-ctx.Done():
			return Credentials{}, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return Credentials{SigningSecret: append([]byte(nil), s.creds.SigningSecret...), BotToken: s.creds.BotToken}, s.err
}

type request struct{ ts, sig string }

func signAt(secret string, now time.Time, body string) request {
	ts := strconv.FormatInt(now.Unix(), 10)
	return request{ts, Sign([]byte(secret), ts, []byte(body))}
}

func refreshing(st *store, c *clock, log *slog.Logger) Verifier {
	r := NewRefresher(st.creds, st.fetch, RefreshOptions{Now: c.Now, Log: log})
	return Verifier{Refresher: r, Now: c.Now}
}

func TestRefresherValidSignatureNeverReads(t *testing.T) {
	c := newClock(docTime)
	st := &store{creds: Credentials{SigningSecret: []byte(docSecret)}}
	v := refreshing(st, c, nil)
	for i := 0; i < 100; i++ {
		c.Add(time.Second)
		r := signAt(docSecret, c.Now(), docBody)
		if err := v.Verify(r.ts, r.sig, []byte(docBody)); err != nil {
			t.Fatalf("request %d: got %v, want nil", i, err)
		}
	}
	if got := st.reads.Load(); got != 0 {
		t.Fatalf("reads after 100 valid requests: got %d, want 0", got)
	}
}

func TestRefresherAddsNoAllocations(t *testing.T) {
	body := []byte(docBody)
	now := func() time.Time { return docTime }
	plain := Verifier{Secret: []byte(docSecret), Now: now}
	live := Verifier{Refresher: NewRefresher(Credentials{SigningSecret: []byte(docSecret)},
		func(context.Context) (Credentials, error) { panic("read on the happy path") }, RefreshOptions{Now: now}), Now: now}
	want := testing.AllocsPerRun(200, func() { _ = plain.Verify(docTimestamp, docSignature, body) })
	got := testing.AllocsPerRun(200, func() {
		if err := live.Verify(docTimestamp, docSignature, body); err != nil {
			t.Fatalf("Verify with a Refresher: got error %v, want nil", err)
		}
	})
	if got != want {
		t.Fatalf("allocations per valid request with a Refresher: got %v, want %v (as without)", got, want)
	}
}

func TestRefresherPicksUpFilledInAndRotatedSecret(t *testing.T) {
	c := newClock(docTime)
	st := &store{} // not filled in yet
	v := refreshing(st, c, nil)
	r := signAt(docSecret, c.Now(), docBody)
	if err := v.Verify(r.ts, r.sig, []byte(docBody)); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("before the secret is put: got %v, want %v", err, ErrNoSecret)
	}
	if got := st.reads.Load(); got != 0 {
		t.Fatalf("reads within the interval of the initial read: got %d, want 0", got)
	}
	st.put(Credentials{SigningSecret: []byte(docSecret)})
	c.Add(DefaultRefreshInterval - time.Second)
	r = signAt(docSecret, c.Now(), docBody)
	if err := v.Verify(r.ts, r.sig, []byte(docBody)); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("put, but within the interval: got %v, want %v", err, ErrNoSecret)
	}
	c.Add(time.Second)
	if err := v.Verify(r.ts, r.sig, []byte(docBody)); err != nil {
		t.Fatalf("put, interval passed: got %v, want nil", err)
	}
	if got := st.reads.Load(); got != 1 {
		t.Fatalf("reads: got %d, want 1", got)
	}

	// Rotation: the next request signed with the new secret fails with the old one,
	// re-reads, and passes.
	st.put(Credentials{SigningSecret: []byte("rotated-secret")})
	c.Add(DefaultRefreshInterval)
	r = signAt("rotated-secret", c.Now(), docBody)
	if err := v.Verify(r.ts, r.sig, []byte(docBody)); err != nil {
		t.Fatalf("signed with the rotated secret: got %v, want nil", err)
	}
	r = signAt(docSecret, c.Now(), docBody)
	if err := v.Verify(r.ts, r.sig, []byte(docBody)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("signed with the old secret after rotation: got %v, want %v", err, ErrBadSignature)
	}
	if got := st.reads.Load(); got != 2 {
		t.Fatalf("reads: got %d, want 2", got)
	}
}

func TestRefresherOnlyForSignatureOrMissingSecret(t *testing.T) {
	c := newClock(docTime.Add(time.Hour))
	st := &store{creds: Credentials{SigningSecret: []byte(docSecret)}}
	v := refreshing(st, c, nil)
	c.Add(DefaultRefreshInterval)
	for _, r := range []request{
		{docTimestamp, docSignature}, // stale
		{"", docSignature},           // missing timestamp
		{"12x", docSignature},        // garbled timestamp
	} {
		if err := v.Verify(r.ts, r.sig, []byte(docBody)); err == nil || errors.Is(err, ErrBadSignature) {
			t.Fatalf("Verify(%q): got %v, want a header or timestamp error", r.ts, err)
		}
	}
	if got := st.reads.Load(); got != 0 {
		t.Fatalf("reads for requests refused before the signature: got %d, want 0", got)
	}
}

func TestRefresherFloodReadsOncePerInterval(t *testing.T) {
	c := newClock(docTime)
	st := &store{creds: Credentials{SigningSecret: []byte(docSecret)}}
	v := refreshing(st, c, nil)
	c.Add(DefaultRefreshInterval)
	// 3000 forged requests over 90 s: one read per 30 s at most.
	for i := 0; i < 3000; i++ {
		r := signAt("forger", c.Now(), docBody)
		if err := v.Verify(r.ts, r.sig, []byte(docBody)); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("forged request %d: got %v, want %v", i, err, ErrBadSignature)
		}
		c.Add(30 * time.Millisecond)
	}
	if got := st.reads.Load(); got > 3 {
		t.Fatalf("reads during 90 s of forged requests: got %d, want ≤ 3", got)
	}
}

// While one read is in flight, concurrent failing requests wait for it instead of
// reading again, and those signed with the new secret pass with its result.
func TestRefresherOneReadAtATime(t *testing.T) {
	c := newClock(docTime)
	st := &store{creds: Credentials{SigningSecret: []byte("old")}, started: make(chan struct{}, 1), release: make(chan struct{})}
	v := refreshing(st, c, nil)
	st.put(Credentials{SigningSecret: []byte(docSecret)})
	c.Add(DefaultRefreshInterval)

	const n = 64
	errs := make(chan error, 2*n)
	var wg sync.WaitGroup
	first := signAt(docSecret, c.Now(), docBody)
	wg.Add(1)
	go func() { defer wg.Done(); errs <- v.Verify(first.ts, first.sig, []byte(docBody)) }()
	<-st.started // the read is in flight
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			r := signAt(docSecret, c.Now(), docBody)
			errs <- v.Verify(r.ts, r.sig, []byte(docBody))
		}()
		go func() {
			defer wg.Done()
			r := signAt("forger", c.Now(), docBody)
			if err := v.Verify(r.ts, r.sig, []byte(docBody)); !errors.Is(err, ErrBadSignature) {
				errs <- err
			}
		}()
	}
	time.Sleep(20 * time.Millisecond) // let them queue behind the read
	close(st.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("request during the read: got %v, want nil (valid) or %v (forged)", err, ErrBadSignature)
		}
	}
	if got := st.reads.Load(); got != 1 {
		t.Fatalf("reads for %d concurrent failing requests: got %d, want 1", 2*n+1, got)
	}
}

func TestRefresherFailedReadKeepsCredentials(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClock(docTime)
	st := &store{creds: Credentials{SigningSecret: []byte(docSecret), BotToken: "xoxb-kept"}}
	v := refreshing(st, c, log)
	st.err = errors.New("read secret arn:x: AccessDeniedException")
	c.Add(DefaultRefreshInterval)
	r := signAt("forger", c.Now(), docBody)
	if err := v.Verify(r.ts, r.sig, []byte(docBody)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("forged request, read failing: got %v, want %v", err, ErrBadSignature)
	}
	r = signAt(docSecret, c.Now(), docBody)
	if err := v.Verify(r.ts, r.sig, []byte(docBody)); err != nil {
		t.Fatalf("valid request after a failed read: got %v, want nil", err)
	}
	if got := v.Refresher.Current().BotToken; got != "xoxb-kept" {
		t.Fatalf("bot token after a failed read: got %q, want %q", got, "xoxb-kept")
	}
	if got := buf.String(); !strings.Contains(got, "AccessDeniedException") {
		t.Fatalf("log: got %q, want the read's error", got)
	}
	for _, s := range []string{docSecret, "xoxb-kept"} {
		if strings.Contains(buf.String(), s) {
			t.Fatalf("log: got %q, want no secret value", buf.String())
		}
	}
}

func TestRefreshReturnsNewerWithoutReading(t *testing.T) {
	c := newClock(docTime)
	st := &store{creds: Credentials{BotToken: "xoxb-1"}}
	r := NewRefresher(st.creds, st.fetch, RefreshOptions{Now: c.Now})
	seen := r.Current()
	st.put(Credentials{SigningSecret: []byte(docSecret), BotToken: "xoxb-2"})
	c.Add(DefaultRefreshInterval)
	got := r.Refresh(context.Background(), seen)
	if got == seen || got.BotToken != "xoxb-2" {
		t.Fatalf("Refresh: got %+v, want the new credentials", got)
	}
	// A caller still holding the old credentials gets the new ones without a read.
	if again := r.Refresh(context.Background(), seen); again != got {
		t.Fatalf("Refresh(stale): got %+v, want %+v", again, got)
	}
	// Nothing changed: the same pointer, so callers know not to retry.
	c.Add(DefaultRefreshInterval)
	if same := r.Refresh(context.Background(), got); same != got {
		t.Fatalf("Refresh(unchanged): got %p, want %p", same, got)
	}
	if n := st.reads.Load(); n != 2 {
		t.Fatalf("reads: got %d, want 2", n)
	}
}
