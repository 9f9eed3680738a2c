package slackio

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

// Slack's documented example (https://api.slack.com/authentication/verifying-requests-from-slack).
const (
	docSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	docTimestamp = "1531420618"
	docBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	docSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

var docTime = time.Unix(1531420618, 0)

func docVerifier(now time.Time) Verifier {
	return Verifier{Secret: []byte(docSecret), Now: func() time.Time { return now }}
}

func TestVerifyDocumentedExample(t *testing.T) {
	if err := docVerifier(docTime).Verify(docTimestamp, docSignature, []byte(docBody)); err != nil {
		t.Fatalf("Verify(documented example): got error %v, want nil", err)
	}
	if got := Sign([]byte(docSecret), docTimestamp, []byte(docBody)); got != docSignature {
		t.Fatalf("Sign: got %s, want %s", got, docSignature)
	}
}

func TestVerifyRejects(t *testing.T) {
	body := []byte(docBody)
	tests := []struct {
		name    string
		v       Verifier
		ts, sig string
		body    []byte
		want    error
	}{
		{"one byte of body changed", docVerifier(docTime), docTimestamp, docSignature, append([]byte("T"), body[1:]...), ErrBadSignature},
		{"body truncated", docVerifier(docTime), docTimestamp, docSignature, body[:len(body)-1], ErrBadSignature},
		{"body extended", docVerifier(docTime), docTimestamp, docSignature, append(append([]byte(nil), body...), '&'), ErrBadSignature},
		{"wrong secret", Verifier{Secret: []byte("not-the-secret"), Now: func() time.Time { return docTime }}, docTimestamp, docSignature, body, ErrBadSignature},
		{"no secret configured", Verifier{Now: func() time.Time { return docTime }}, docTimestamp, docSignature, body, ErrNoSecret},
		{"missing signature", docVerifier(docTime), docTimestamp, "", body, ErrMissingHeaders},
		{"missing timestamp", docVerifier(docTime), "", docSignature, body, ErrMissingHeaders},
		{"signature without v0", docVerifier(docTime), docTimestamp, docSignature[3:], body, ErrBadSignature},
		{"signature v1", docVerifier(docTime), docTimestamp, "v1=" + docSignature[3:], body, ErrBadSignature},
		{"signature not hex", docVerifier(docTime), docTimestamp, "v0=" + string(make([]byte, 64)), body, ErrBadSignature},
		{"signature short", docVerifier(docTime), docTimestamp, docSignature[:len(docSignature)-2], body, ErrBadSignature},
		{"signature upper-case hex of another mac", docVerifier(docTime), docTimestamp, "v0=A2114D57B48EAC39B9AD189DD8316235A7B4A8D21A10BD27519666489C69B504", body, ErrBadSignature},
		{"timestamp garbled", docVerifier(docTime), "15314206l8", docSignature, body, ErrBadTimestamp},
		{"timestamp with plus sign", docVerifier(docTime), "+1531420618", docSignature, body, ErrBadTimestamp},
		{"timestamp negative", docVerifier(docTime), "-1", docSignature, body, ErrBadTimestamp},
		{"timestamp huge", docVerifier(docTime), "99999999999999999999", docSignature, body, ErrBadTimestamp},
		{"timestamp with space", docVerifier(docTime), " 1531420618", docSignature, body, ErrBadTimestamp},
		{"timestamp changed, signature kept", docVerifier(docTime), "1531420619", docSignature, body, ErrBadSignature},
		{"stale by 5m1s", docVerifier(docTime.Add(MaxSkew + time.Second)), docTimestamp, docSignature, body, ErrStaleTimestamp},
		{"future by 5m1s", docVerifier(docTime.Add(-MaxSkew - time.Second)), docTimestamp, docSignature, body, ErrStaleTimestamp},
		{"stale by a day", docVerifier(docTime.Add(24 * time.Hour)), docTimestamp, docSignature, body, ErrStaleTimestamp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.v.Verify(tc.ts, tc.sig, tc.body)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify: got error %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifyBoundaries(t *testing.T) {
	for _, skew := range []time.Duration{0, MaxSkew, -MaxSkew, MaxSkew - time.Second, -MaxSkew + time.Second} {
		if err := docVerifier(docTime.Add(skew)).Verify(docTimestamp, docSignature, []byte(docBody)); err != nil {
			t.Errorf("Verify at skew %v: got error %v, want nil", skew, err)
		}
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	secret := []byte("s3cr3t")
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	for _, body := range []string{"", "{}", "text=%E2%98%95+%26", "\x00\xff"} {
		sig := Sign(secret, ts, []byte(body))
		v := Verifier{Secret: secret, Now: func() time.Time { return now }}
		if err := v.Verify(ts, sig, []byte(body)); err != nil {
			t.Errorf("Verify of body %q: got error %v, want nil", body, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(docTimestamp, docSignature, []byte(docBody))
	f.Add("", "", []byte(nil))
	f.Add("1531420618", "v0=", []byte("{}"))
	f.Add("+1531420618", docSignature, []byte(docBody))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		v := docVerifier(docTime)
		err := v.Verify(ts, sig, body)
		if err == nil {
			// Accepting is only allowed for a signature we would produce ourselves.
			if mac := Sign([]byte(docSecret), ts, body); mac != sig {
				t.Fatalf("Verify(ts=%q, sig=%q): got nil, want an error (the HMAC is %q)", ts, sig, mac)
			}
		}
		// A correctly signed request within the window is never refused.
		good := Sign([]byte(docSecret), docTimestamp, body)
		if err := v.Verify(docTimestamp, good, body); err != nil {
			t.Fatalf("Verify of a correct signature: got error %v, want nil", err)
		}
	})
}
