// Package slackio is Slack's transport, and nothing of orderbot's: what arrives from
// Slack (signature verification, slash commands, Events API payloads, interactions) and
// what goes back (response_url, the Web API, view_submission answers), with the limits
// Slack puts on Block Kit (Validate, ValidateView, Chars, Clip) and mrkdwn's escaping. It
// imports no package of orderbot's: what the bot says is package say's, and the domain is
// package orders'. slack-go is imported under its own name, slack, beside it.
package slackio

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MaxSkew is how far a request's timestamp may be from now, in either direction, before
// it is refused as a possible replay. Slack documents five minutes.
const MaxSkew = 5 * time.Minute

// Verification errors. None of them carries the signature, the secret or the body.
var (
	ErrNoSecret       = errors.New("signing secret is not configured")
	ErrMissingHeaders = errors.New("missing X-Slack-Signature or X-Slack-Request-Timestamp")
	ErrBadTimestamp   = errors.New("malformed X-Slack-Request-Timestamp")
	ErrStaleTimestamp = errors.New("request timestamp is too far from now")
	ErrBadSignature   = errors.New("signature does not match")
)

// Verifier checks Slack's v0 request signature.
//
// slack-go's SecretsVerifier computes the same HMAC, but it reads the clock itself
// (time.Since) and takes an http.Header; a Lambda handler has neither a request nor a
// reason to trust the wall clock of a test. This is the same algorithm with an injectable
// clock, over the raw bytes the request template hands over.
//
// With a Refresher the secret is the Refresher's current one, and Secret is ignored: a
// request whose signature does not match (or that arrives while no secret is configured)
// makes the Refresher re-read the credentials — at most once per its interval, one read at
// a time — and is checked again if they changed. A valid signature costs one atomic load
// more than without: no lock, no allocation.
type Verifier struct {
	Secret    []byte
	Now       func() time.Time // time.Now when nil
	Refresher *Refresher       // optional; shared by every copy of the Verifier
}

// Verify checks signature ("v0=<hex>") and timestamp (Unix seconds, as sent) over body:
// the timestamp may be at most MaxSkew from now either way.
func (v Verifier) Verify(timestamp, signature string, body []byte) error {
	return v.verify(timestamp, signature, body, MaxSkew)
}

// VerifyAge is Verify for a request that was received and verified earlier and is being
// finished now (a deferred run, possibly a Lambda retry minutes later): the signature must
// still match, and the timestamp may be up to maxAge old — replay protection is the
// job of the store's request records there, not of the clock.
func (v Verifier) VerifyAge(timestamp, signature string, body []byte, maxAge time.Duration) error {
	return v.verify(timestamp, signature, body, maxAge)
}

func (v Verifier) verify(timestamp, signature string, body []byte, maxAge time.Duration) error {
	if v.Refresher == nil {
		return v.check(v.Secret, timestamp, signature, body, maxAge)
	}
	seen := v.Refresher.Current()
	err := v.check(seen.SigningSecret, timestamp, signature, body, maxAge)
	if err != ErrBadSignature && err != ErrNoSecret {
		return err
	}
	// Verify has no context (the handlers call it before anything else); the Refresher
	// bounds the read with its own timeout.
	fresh := v.Refresher.Refresh(context.Background(), seen)
	if fresh == seen {
		return err
	}
	return v.check(fresh.SigningSecret, timestamp, signature, body, maxAge)
}

func (v Verifier) check(secret []byte, timestamp, signature string, body []byte, maxAge time.Duration) error {
	if len(secret) == 0 {
		return ErrNoSecret
	}
	if timestamp == "" || signature == "" {
		return ErrMissingHeaders
	}
	ts, err := parseTimestamp(timestamp)
	if err != nil {
		return err
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if skew := now().Sub(time.Unix(ts, 0)); skew > maxAge || skew < -MaxSkew {
		return ErrStaleTimestamp
	}
	hexSig, ok := strings.CutPrefix(signature, "v0=")
	if !ok || len(hexSig) != 2*sha256.Size {
		return ErrBadSignature
	}
	// Compare the hex text, not the decoded bytes: Slack sends lower-case hex, and only
	// the exact string Sign produces is accepted (hex.DecodeString would also take an
	// upper-case spelling, a second valid signature for the same request).
	want := hex.EncodeToString(mac(secret, timestamp, body))
	if !hmac.Equal([]byte(hexSig), []byte(want)) {
		return ErrBadSignature
	}
	return nil
}

// parseTimestamp accepts only plain decimal seconds: strconv.ParseInt alone would take
// "+1531420618", a different string from the one the signature covers.
func parseTimestamp(s string) (int64, error) {
	if len(s) > 12 {
		return 0, ErrBadTimestamp
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, ErrBadTimestamp
		}
	}
	ts, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrBadTimestamp, err)
	}
	return ts, nil
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("v0:" + timestamp + ":"))
	h.Write(body)
	return h.Sum(nil)
}

// Sign returns the X-Slack-Signature Slack would send for body at timestamp. The local
// CLI and the tests sign requests with it.
func Sign(secret []byte, timestamp string, body []byte) string {
	return "v0=" + hex.EncodeToString(mac(secret, timestamp, body))
}

// Refresh defaults: Secrets Manager answers in tens of milliseconds, and a refresh runs
// inside a request Slack wants answered within 3 s.
const (
	DefaultRefreshInterval = 30 * time.Second
	DefaultRefreshTimeout  = 2 * time.Second
)

// Credentials are an app's Slack secrets: the signing secret requests are verified with
// and the bot token replies are posted with. A value that has been handed to a Refresher
// is never modified.
type Credentials struct {
	SigningSecret []byte
	BotToken      string
}

// RefreshOptions tune a Refresher; the zero value is the defaults.
type RefreshOptions struct {
	Interval time.Duration    // least time between two reads; DefaultRefreshInterval when 0
	Timeout  time.Duration    // bound on one read; DefaultRefreshTimeout when 0
	Now      func() time.Time // time.Now when nil
	// Log gets one line per read that changed something or failed, never a value; nil
	// logs nothing.
	Log *slog.Logger
}

// Refresher holds Credentials that can be re-read from where they are stored, so a warm
// function picks up a secret the operator filled in or rotated after it started. Reads are
// rate-limited per Refresher (one per execution environment): none within Interval of the
// previous one — the initial read counts — and at most one at a time; callers that arrive
// while one runs wait for its result instead of starting another. A failed read keeps the
// credentials held. Make one with NewRefresher.
type Refresher struct {
	fetch func(context.Context) (Credentials, error)
	opt   RefreshOptions
	base  time.Time // elapsed times are measured from here (monotonic with time.Now)

	cur     atomic.Pointer[Credentials]
	next    atomic.Int64 // elapsed nanoseconds before which no read starts
	reading atomic.Bool  // a read is in flight: failing callers wait for its result
	mu      sync.Mutex   // held during a read
}

// NewRefresher returns a Refresher holding initial, read just now; fetch reads the current
// credentials. fetch's errors are logged, so they must never carry a secret's value.
func NewRefresher(initial Credentials, fetch func(context.Context) (Credentials, error), opt RefreshOptions) *Refresher {
	if opt.Interval <= 0 {
		opt.Interval = DefaultRefreshInterval
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultRefreshTimeout
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	r := &Refresher{fetch: fetch, opt: opt, base: opt.Now()}
	r.cur.Store(&initial)
	r.next.Store(int64(opt.Interval))
	return r
}

// Current returns the credentials held now. It takes no lock and allocates nothing.
func (r *Refresher) Current() *Credentials { return r.cur.Load() }

// Refresh re-reads the credentials after seen (a Current result) failed the caller, and
// returns the ones held afterwards: seen itself when nothing changed — the read found the
// same values, failed, or was not made because one was made less than Interval ago — and
// without a read when others replaced seen already.
func (r *Refresher) Refresh(ctx context.Context, seen *Credentials) *Credentials {
	if c := r.cur.Load(); c != seen {
		return c
	}
	if r.elapsed() < r.next.Load() && !r.reading.Load() {
		// No read is due and none is in flight; one may have ended since the first Load.
		return r.cur.Load()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.cur.Load(); c != seen {
		return c // replaced by the read we waited for
	}
	now := r.elapsed()
	if now < r.next.Load() {
		return seen // the read we waited for found nothing new
	}
	// reading is set before next and cleared after cur: a caller that sees the new next
	// and no read in flight also sees the read's result.
	r.reading.Store(true)
	defer r.reading.Store(false)
	r.next.Store(now + int64(r.opt.Interval))
	ctx, cancel := context.WithTimeout(ctx, r.opt.Timeout)
	defer cancel()
	fresh, err := r.fetch(ctx)
	if err != nil {
		r.logf(slog.LevelWarn, "slack credentials re-read failed; keeping the ones held", "error", err.Error())
		return seen
	}
	signing := !bytes.Equal(fresh.SigningSecret, seen.SigningSecret)
	token := fresh.BotToken != seen.BotToken
	if !signing && !token {
		r.logf(slog.LevelDebug, "slack credentials re-read: unchanged")
		return seen
	}
	r.cur.Store(&fresh)
	r.logf(slog.LevelInfo, "slack credentials re-read: changed", "signing_secret_changed", signing,
		"signing_secret_set", len(fresh.SigningSecret) > 0, "bot_token_changed", token, "bot_token_set", fresh.BotToken != "")
	return &fresh
}

func (r *Refresher) elapsed() int64 { return int64(r.opt.Now().Sub(r.base)) }

func (r *Refresher) logf(level slog.Level, msg string, args ...any) {
	if r.opt.Log != nil {
		r.opt.Log.Log(context.Background(), level, msg, args...)
	}
}
