package slackio_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/orderbot/orderbot/lambdas/slackio"
)

// Verify checks a request against the signing secret before anything of it is decoded:
// here Slack's own documented example, then the same request with one byte changed and
// the same request replayed ten minutes later.
func ExampleVerifier_Verify() {
	const (
		secret    = "8f742231b10e8888abcd99yyyzzz85a5"
		timestamp = "1531420618" // X-Slack-Request-Timestamp
		signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
		body      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	)
	sent := time.Unix(1531420618, 0)
	at := func(t time.Time) func() time.Time { return func() time.Time { return t } }

	v := slackio.Verifier{Secret: []byte(secret), Now: at(sent.Add(2 * time.Second))}
	fmt.Println(v.Verify(timestamp, signature, []byte(body)))
	fmt.Println(v.Verify(timestamp, signature, []byte(body+"&text=latte")))

	late := slackio.Verifier{Secret: []byte(secret), Now: at(sent.Add(10 * time.Minute))}
	err := late.Verify(timestamp, signature, []byte(body))
	fmt.Println(errors.Is(err, slackio.ErrStaleTimestamp))
	// Output:
	// <nil>
	// signature does not match
	// true
}
