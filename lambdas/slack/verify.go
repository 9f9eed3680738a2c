// Package slack is orderbot's Slack adapter: request signature verification, decoding of
// slash commands and Events API payloads, and the Block Kit replies. It turns Slack's
// wire formats into domain calls and domain results into messages; the domain never sees
// Slack.
package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
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
type Verifier struct {
	Secret []byte
	Now    func() time.Time // time.Now when nil
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
	if len(v.Secret) == 0 {
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
	want := hex.EncodeToString(mac(v.Secret, timestamp, body))
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
