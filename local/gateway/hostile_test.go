package gateway_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
	"github.com/orderbot/orderbot/local/gateway"
)

// Size limits on the request path, outermost first:
//   - gateway.MaxPayload (10 MB, API Gateway's payload limit): a larger body is refused by
//     the gateway with 413 {"message":"Request Too Long"} before any template or handler runs.
//   - api.MaxBodyBytes (64 KiB): the handler refuses a larger body with 400 bad_request
//     before computing the HMAC over it. Everything from 64 KiB + 1 up to 10 MB is a 400.
//   - Go's http.Server refuses more than 1 MB of headers with 431.
//
// Other documented answers: 401 unauthorized for any signature or timestamp problem
// (including a timestamp more than 5 minutes from the verifier's clock in either
// direction; exactly 5 minutes is accepted), 400 bad_request for a signed body that is
// not a slash command / event, 415 for a content type without a template (no header
// counts as application/json), 403 for an unknown path or method, and a 200 usage reply
// (nothing stored) for signed item text that is empty, too long or not storable.

// Fixed values of the matrix: the workspace slacksim's defaults use, so the harness's
// store lookups find what a case wrote.
const (
	hTeam    = "T0LOCAL"
	hChannel = "C0LOCAL"
	hUser    = "U0LOCAL"
)

// form is a slash command body for text, in Slack's field order.
func form(command, text string) []byte {
	return []byte(url.Values{
		"token": {"legacy"}, "team_id": {hTeam}, "team_domain": {"local"}, "channel_id": {hChannel},
		"channel_name": {"orders"}, "user_id": {hUser}, "user_name": {"you"}, "command": {command},
		"text": {text}, "api_app_id": {"A0LOCAL"}, "is_enterprise_install": {"false"},
		"response_url": {"https://hooks.slack.com/commands/T0LOCAL/1/x"}, "trigger_id": {"1.2.3"},
	}.Encode())
}

// rawForm is a form whose text field is sent byte for byte (no percent-encoding).
func rawForm(rawText string) []byte {
	return []byte("team_id=" + hTeam + "&channel_id=" + hChannel + "&user_id=" + hUser +
		"&user_name=you&command=%2Forder-update&text=" + rawText)
}

// hostileCase is one request of the matrix.
type hostileCase struct {
	name string
	path string // "/order-update" when empty
	// method is POST when empty.
	method string
	// contentType: "" is the form type of a command route; "-" sends no Content-Type.
	contentType string
	body        []byte
	// signAt signs body at the clock plus this offset (seconds); noSign leaves it unsigned.
	signAt int64
	noSign bool
	// edit changes the signed headers: drop, duplicate, garble.
	edit func(h http.Header, ts string, body []byte)
	// direct calls gateway.ServeHTTP with the headers exactly as edited (Go's client and
	// server canonicalise header names on the wire; this shows what the template sees).
	direct bool
	status int
	// reply is the exact body expected; "" skips the check (a Slack message is checked by
	// stored / usage).
	reply string
	// usage: a 200 usage reply, nothing stored.
	usage bool
	// stored is the item that must be stored literally; "" means nothing may be written.
	stored string
	// writes: the request may write without storing an order (an event id).
	writes bool
	// empty: the reply body must be empty (Slack's ssl_check).
	empty bool
	// usageFor: the usage reply must be this command's.
	usageFor string
}

const (
	unauthorized = `{"error":"unauthorized"}`
	badRequest   = `{"error":"bad_request"}`
	unsupported  = `{"message": "Unsupported Media Type"}`
	forbidden    = `{"message":"Missing Authentication Token"}`
	tooLong      = `{"message":"Request Too Long"}`
)

func set(name string, values ...string) func(http.Header, string, []byte) {
	return func(h http.Header, _ string, _ []byte) { h[name] = values }
}

func hostileCases() []hostileCase {
	latte := form("/order-update", "latte")
	other := form("/order-update", "mocha")
	sigOf := func(body []byte, ts string) string { return slackio.Sign(secret, ts, body) }
	bigForm := func(size int) []byte { // a valid command padded to exactly size bytes
		b := append(form("/order-update", "latte"), "&pad="...)
		return append(b, bytes.Repeat([]byte("p"), size-len(b))...)
	}
	fields := func(n int) []byte {
		return append(form("/order-update", "latte"), bytes.Repeat([]byte("&f="), n)...)
	}
	mention := func(text string) []byte {
		b, _ := json.Marshal(map[string]any{"type": "event_callback", "team_id": hTeam, "event_id": "EvHOSTILE",
			"event": map[string]string{"type": "app_mention", "user": hUser, "text": text, "ts": "1.2", "channel": hChannel}})
		return b
	}
	challenge := func(c string) []byte {
		b, _ := json.Marshal(map[string]string{"type": "url_verification", "challenge": c})
		return b
	}

	cases := []hostileCase{
		{name: "baseline signed update", body: latte, status: 200, stored: "latte"},

		// Signature header.
		{name: "signature missing", body: latte, edit: set("X-Slack-Signature"), status: 401, reply: unauthorized},
		{name: "timestamp missing", body: latte, edit: set("X-Slack-Request-Timestamp"), status: 401, reply: unauthorized},
		{name: "both missing", body: latte, noSign: true, status: 401, reply: unauthorized},
		{name: "signature empty", body: latte, edit: set("X-Slack-Signature", ""), status: 401, reply: unauthorized},
		{name: "signature v0= only", body: latte, edit: set("X-Slack-Signature", "v0="), status: 401, reply: unauthorized},
		{name: "signature without v0=", body: latte, edit: func(h http.Header, ts string, b []byte) {
			h.Set("X-Slack-Signature", strings.TrimPrefix(sigOf(b, ts), "v0="))
		}, status: 401, reply: unauthorized},
		{name: "signature v1=", body: latte, edit: func(h http.Header, ts string, b []byte) {
			h.Set("X-Slack-Signature", "v1="+strings.TrimPrefix(sigOf(b, ts), "v0="))
		}, status: 401, reply: unauthorized},
		{name: "signature upper-case hex of the right MAC", body: latte, edit: func(h http.Header, ts string, b []byte) {
			h.Set("X-Slack-Signature", "v0="+strings.ToUpper(strings.TrimPrefix(sigOf(b, ts), "v0=")))
		}, status: 401, reply: unauthorized},
		{name: "signature one hex digit short", body: latte, edit: func(h http.Header, ts string, b []byte) {
			h.Set("X-Slack-Signature", sigOf(b, ts)[:66])
		}, status: 401, reply: unauthorized},
		{name: "signature one hex digit long", body: latte, edit: func(h http.Header, ts string, b []byte) {
			h.Set("X-Slack-Signature", sigOf(b, ts)+"0")
		}, status: 401, reply: unauthorized},
		{name: "signature last digit flipped", body: latte, edit: func(h http.Header, ts string, b []byte) {
			s := sigOf(b, ts)
			h.Set("X-Slack-Signature", s[:66]+map[bool]string{true: "1", false: "0"}[s[66] == '0'])
		}, status: 401, reply: unauthorized},
		{name: "signature not hex", body: latte, edit: set("X-Slack-Signature", "v0="+strings.Repeat("zz", 32)), status: 401, reply: unauthorized},
		{name: "signature of another body", body: latte, edit: func(h http.Header, ts string, _ []byte) {
			h.Set("X-Slack-Signature", sigOf(other, ts))
		}, status: 401, reply: unauthorized},
		{name: "signature with another secret", body: latte, edit: func(h http.Header, ts string, b []byte) {
			h.Set("X-Slack-Signature", slackio.Sign([]byte("not-the-secret"), ts, b))
		}, status: 401, reply: unauthorized},
		{name: "signature 8 KB", body: latte, edit: set("X-Slack-Signature", "v0="+strings.Repeat("a", 8<<10)), status: 401, reply: unauthorized},
		// HTTP strips optional whitespace around a header value (RFC 9110 §5.5): still valid.
		{name: "signature with surrounding spaces", body: latte, edit: func(h http.Header, ts string, b []byte) {
			h.Set("X-Slack-Signature", "  "+sigOf(b, ts)+" ")
		}, status: 200, stored: "latte"},
		// A repeated header reaches the template as its last value (API Gateway's
		// $input.params().header): only the last copy counts.
		{name: "signature duplicated, good last", body: latte, edit: func(h http.Header, ts string, b []byte) {
			h["X-Slack-Signature"] = []string{sigOf(other, ts), sigOf(b, ts)}
		}, status: 200, stored: "latte"},
		{name: "signature duplicated, good first", body: latte, edit: func(h http.Header, ts string, b []byte) {
			h["X-Slack-Signature"] = []string{sigOf(b, ts), sigOf(other, ts)}
		}, status: 401, reply: unauthorized},
		{name: "timestamp duplicated, good first", body: latte, edit: func(h http.Header, ts string, b []byte) {
			h["X-Slack-Request-Timestamp"] = []string{ts, "1531420618"}
		}, status: 401, reply: unauthorized},
		{name: "timestamp duplicated, good last", body: latte, edit: func(h http.Header, ts string, b []byte) {
			h["X-Slack-Request-Timestamp"] = []string{"1531420618", ts}
		}, status: 200, stored: "latte"},

		// Timestamp header.
		{name: "timestamp garbled", body: latte, edit: set("X-Slack-Request-Timestamp", "15314206l8"), status: 401, reply: unauthorized},
		{name: "timestamp with plus sign, signed as sent", body: latte, edit: func(h http.Header, ts string, b []byte) {
			h.Set("X-Slack-Request-Timestamp", "+"+ts)
			h.Set("X-Slack-Signature", sigOf(b, "+"+ts))
		}, status: 401, reply: unauthorized},
		{name: "timestamp with leading zero, signature of the original", body: latte, edit: func(h http.Header, ts string, _ []byte) {
			h.Set("X-Slack-Request-Timestamp", "0"+ts)
		}, status: 401, reply: unauthorized},
		{name: "timestamp fractional", body: latte, edit: func(h http.Header, ts string, b []byte) {
			h.Set("X-Slack-Request-Timestamp", ts+".5")
			h.Set("X-Slack-Signature", sigOf(b, ts+".5"))
		}, status: 401, reply: unauthorized},
		{name: "timestamp negative", body: latte, edit: set("X-Slack-Request-Timestamp", "-1"), status: 401, reply: unauthorized},
		{name: "timestamp zero", body: latte, edit: func(h http.Header, _ string, b []byte) {
			h.Set("X-Slack-Request-Timestamp", "0")
			h.Set("X-Slack-Signature", sigOf(b, "0"))
		}, status: 401, reply: unauthorized},
		{name: "timestamp 20 digits", body: latte, edit: set("X-Slack-Request-Timestamp", "99999999999999999999"), status: 401, reply: unauthorized},
		{name: "timestamp hex", body: latte, edit: set("X-Slack-Request-Timestamp", "0x5b4f0a3a"), status: 401, reply: unauthorized},
		{name: "timestamp 8 KB", body: latte, edit: set("X-Slack-Request-Timestamp", strings.Repeat("1", 8<<10)), status: 401, reply: unauthorized},
		// The ±5 minute window, with the verifier's clock fixed: both sides of each boundary.
		{name: "timestamp -5m-1s", body: latte, signAt: -301, status: 401, reply: unauthorized},
		{name: "timestamp -5m exactly", body: latte, signAt: -300, status: 200, stored: "latte"},
		{name: "timestamp -5m+1s", body: latte, signAt: -299, status: 200, stored: "latte"},
		{name: "timestamp +5m-1s", body: latte, signAt: 299, status: 200, stored: "latte"},
		{name: "timestamp +5m exactly", body: latte, signAt: 300, status: 200, stored: "latte"},
		{name: "timestamp +5m+1s", body: latte, signAt: 301, status: 401, reply: unauthorized},
		{name: "timestamp a day old", body: latte, signAt: -86400, status: 401, reply: unauthorized},

		// The body after signing.
		{name: "body one byte changed", body: latte, edit: func(h http.Header, ts string, b []byte) {
			h.Set("X-Slack-Signature", sigOf(bytes.Replace(b, []byte("latte"), []byte("lattf"), 1), ts))
		}, status: 401, reply: unauthorized},
		{name: "body signed without its last byte", body: latte, edit: func(h http.Header, ts string, b []byte) {
			h.Set("X-Slack-Signature", sigOf(b[:len(b)-1], ts))
		}, status: 401, reply: unauthorized},
		{name: "body signed with an extra &", body: latte, edit: func(h http.Header, ts string, b []byte) {
			h.Set("X-Slack-Signature", sigOf(append(bytes.Clone(b), '&'), ts))
		}, status: 401, reply: unauthorized},
		{name: "body first byte case-flipped", body: latte, edit: func(h http.Header, ts string, b []byte) {
			c := bytes.Clone(b)
			c[0] ^= 0x20
			h.Set("X-Slack-Signature", sigOf(c, ts))
		}, status: 401, reply: unauthorized},

		// Content types.
		{name: "content type text/plain", body: latte, contentType: "text/plain", status: 415, reply: unsupported},
		{name: "content type json on a command", body: latte, contentType: api.ContentTypeJSON, status: 415, reply: unsupported},
		{name: "content type missing (counts as json)", body: latte, contentType: "-", status: 415, reply: unsupported},
		{name: "content type multipart", body: latte, contentType: "multipart/form-data; boundary=x", status: 415, reply: unsupported},
		{name: "content type garbage", body: latte, contentType: ";;;", status: 415, reply: unsupported},
		{name: "content type with charset", body: latte, contentType: api.ContentTypeForm + "; charset=utf-8", status: 200, stored: "latte"},
		{name: "content type upper case", body: latte, contentType: strings.ToUpper(api.ContentTypeForm), status: 200, stored: "latte"},
		{name: "content type form on the events route", path: "/", body: challenge("c"), contentType: api.ContentTypeForm, status: 415, reply: unsupported},

		// Empty and oversized bodies.
		{name: "empty body signed as empty (arrives as {})", body: []byte{}, status: 401, reply: unauthorized},
		{name: "empty body signed as {}", body: []byte{}, edit: func(h http.Header, ts string, _ []byte) {
			h.Set("X-Slack-Signature", sigOf([]byte("{}"), ts))
		}, status: 400, reply: badRequest},
		// Slack's periodic certificate check of a command URL: an empty 200, nothing else.
		{name: "ssl_check unsigned", body: []byte("ssl_check=1&token=legacy"), noSign: true, status: 200, empty: true},
		{name: "ssl_check signed", body: []byte("ssl_check=1&token=legacy"), status: 200, empty: true},
		{name: "ssl_check on order-list", path: "/order-list", body: []byte("ssl_check=1&token=legacy"), noSign: true, status: 200, empty: true},
		{name: "ssl_check with a command is a command", body: append(form("/order-update", "latte"), "&ssl_check=1"...), status: 200, stored: "latte"},
		// Each route serves only its own command.
		{name: "order-list close posted to order-update", body: form("/order-list", "close"), status: 200, usageFor: "/order-update"},
		{name: "order-update posted to order-list", path: "/order-list", body: form("/order-update", "latte"), status: 200, usageFor: "/order-list"},
		{name: "unknown command posted to order-update", body: form("/order-delete", "all"), status: 200, usageFor: "/order-update"},
		{name: "body exactly MaxBodyBytes", body: bigForm(api.MaxBodyBytes), status: 200, stored: "latte"},
		{name: "body MaxBodyBytes+1", body: bigForm(api.MaxBodyBytes + 1), status: 400, reply: badRequest},
		{name: "body 1 MB", body: bigForm(1 << 20), status: 400, reply: badRequest},
		{name: "body 4.5 MB (base64 past Lambda's 6 MB)", body: bigForm(4_700_000), status: 400, reply: badRequest},
		{name: "body MaxInvokePayload", body: bigForm(gateway.MaxInvokePayload), status: 400, reply: badRequest},
		{name: "body exactly MaxPayload", body: bigForm(gateway.MaxPayload), status: 400, reply: badRequest},
		{name: "event of 90 KB in 30,000 characters (under the template's character bound)", path: "/", contentType: api.ContentTypeJSON,
			body: challenge(strings.Repeat("가", 30000)), status: 400, reply: badRequest},
		{name: "body MaxPayload+1", body: bigForm(gateway.MaxPayload + 1), status: 413, reply: tooLong},

		// Form decoding.
		{name: "bad percent-encoding %zz", body: []byte("team_id=" + hTeam + "&channel_id=%zz&user_id=U&command=%2Fx&text=latte"), status: 400, reply: badRequest},
		{name: "bad percent-encoding trailing %", body: rawForm("latte%"), status: 400, reply: badRequest},
		{name: "semicolon separator", body: []byte("team_id=" + hTeam + ";channel_id=" + hChannel + "&user_id=U&command=%2Fx&text=latte"), status: 400, reply: badRequest},
		{name: "required field missing", body: []byte("team_id=" + hTeam + "&user_id=U&command=%2Fx&text=latte"), status: 400, reply: badRequest},
		{name: "percent-encoded invalid UTF-8", body: rawForm("%ff%fe"), status: 200, usage: true},
		{name: "percent-encoded truncated UTF-8", body: rawForm("caf%c3"), status: 200, usage: true},
		{name: "raw invalid UTF-8 bytes", body: rawForm("\xff\xfe\xfd"), status: 200, usage: true},
		{name: "percent-encoded NUL", body: rawForm("a%00b"), status: 200, usage: true},
		{name: "raw NUL byte", body: rawForm("a\x00b"), status: 200, usage: true},
		{name: "control character", body: form("/order-update", "bell\a"), status: 200, usage: true},
		{name: "9,000 extra form fields", body: fields(9000), status: 200, stored: "latte"},
		// net/url refuses more than 10,000 fields (GODEBUG urlmaxqueryparams): a 400.
		{name: "10,000 extra form fields", body: fields(10000), status: 400, reply: badRequest},
		{name: "text of 201 runes", body: form("/order-update", strings.Repeat("가", orders.MaxItemRunes+1)), status: 200, usage: true},
		{name: "text of 60 KB", body: form("/order-update", strings.Repeat("x", 60<<10)), status: 200, usage: true},
		{name: "text of 200 runes", body: form("/order-update", strings.Repeat("가", orders.MaxItemRunes)), status: 200, stored: strings.Repeat("가", orders.MaxItemRunes)},
		{name: "text blank", body: form("/order-update", " \n "), status: 200, usage: true},

		// JSON and VTL metacharacters: signed correctly, they are an order like any other
		// and must be stored byte for byte.
		{name: `text "`, body: form("/order-update", `say "hi"`), status: 200, stored: `say "hi"`},
		{name: `text \`, body: form("/order-update", `back\slash\`), status: 200, stored: `back\slash\`},
		{name: `text $`, body: form("/order-update", `$5 $x $!y`), status: 200, stored: `$5 $x $!y`},
		{name: `text #`, body: form("/order-update", `#1 ## #* x *#`), status: 200, stored: `#1 ## #* x *#`},
		{name: `text '`, body: form("/order-update", `it's 'x'`), status: 200, stored: `it's 'x'`},
		{name: `text ${`, body: form("/order-update", `${input.body} ${x}`), status: 200, stored: `${input.body} ${x}`},
		{name: `text #set(`, body: form("/order-update", `#set($x = "y")$x#end`), status: 200, stored: `#set($x = "y")$x#end`},
		{name: `text $util`, body: form("/order-update", `$util.base64Decode("eA==") $util.escapeJavaScript('x')`), status: 200, stored: `$util.base64Decode("eA==") $util.escapeJavaScript('x')`},
		{name: `text $input and $context`, body: form("/order-update", `$input.json('$') $context.requestId`), status: 200, stored: `$input.json('$') $context.requestId`},
		{name: `text JSON break-out`, body: form("/order-update", `"}, "body": "x", "a": {"`), status: 200, stored: `"}, "body": "x", "a": {"`},
		{name: `text unicode escape`, body: form("/order-update", `\u0022 \n \"`), status: 200, stored: `\u0022 \n \"`},
		{name: `text markup`, body: form("/order-update", `<@U1> <!channel> & </script>`), status: 200, stored: `<@U1> <!channel> & </script>`},

		// Header name case: the template matches names case-insensitively.
		{name: "header names lower case", body: latte, edit: lowerCaseNames, status: 200, stored: "latte"},
		{name: "header names upper case", body: latte, edit: upperCaseNames, status: 200, stored: "latte"},
		// Content-Type stays canonical here: the gateway picks the template with
		// Header.Get, and a real request's names are canonical by the time it runs.
		{name: "header names lower case, template sees them", body: latte, edit: func(h http.Header, _ string, _ []byte) {
			moveHeader(h, "X-Slack-Signature", "x-slack-signature")
			moveHeader(h, "X-Slack-Request-Timestamp", "x-slack-request-timestamp")
		}, direct: true, status: 200, stored: "latte"},
		{name: "header names upper case, template sees them", body: latte, edit: upperCaseNames, direct: true, status: 200, stored: "latte"},
		{name: "header names mixed case, template sees them", body: latte, edit: func(h http.Header, ts string, b []byte) {
			moveHeader(h, "X-Slack-Signature", "x-SLACK-signature")
			moveHeader(h, "X-Slack-Request-Timestamp", "X-slack-REQUEST-timestamp")
		}, direct: true, status: 200, stored: "latte"},
		{name: "two signature headers differing in case, template sees them", body: latte, edit: func(h http.Header, ts string, b []byte) {
			h["x-slack-signature"] = []string{sigOf(other, ts)}
		}, direct: true, status: 0 /* see run: either copy may win, never a write of mocha */},
		{name: "retry headers on a command are ignored", body: latte, edit: func(h http.Header, _ string, _ []byte) {
			h.Set("X-Slack-Retry-Num", "-1")
			h.Set("X-Slack-Retry-Reason", "\"}#set($x=1)")
		}, status: 200, stored: "latte"},

		// Routing.
		{name: "unknown path", path: "/order-delete", body: latte, status: 403, reply: forbidden},
		{name: "trailing slash", path: "/order-update/", body: latte, status: 403, reply: forbidden},
		{name: "GET", method: "GET", body: latte, status: 403, reply: forbidden},
		{name: "PUT", method: "PUT", body: latte, status: 403, reply: forbidden},
		{name: "query string is ignored", path: "/order-update?text=evil&team_id=X", body: latte, status: 200, stored: "latte"},

		// The Events API route.
		{name: "event unsigned", path: "/", contentType: api.ContentTypeJSON, body: challenge("c"), noSign: true, status: 401, reply: unauthorized},
		{name: "event tampered", path: "/", contentType: api.ContentTypeJSON, body: challenge("c"), edit: func(h http.Header, ts string, _ []byte) {
			h.Set("X-Slack-Signature", sigOf(challenge("d"), ts))
		}, status: 401, reply: unauthorized},
		{name: "event truncated JSON", path: "/", contentType: api.ContentTypeJSON, body: []byte(`{"type":"url_verification","challenge":"c"`), status: 400, reply: badRequest},
		{name: "event raw NUL", path: "/", contentType: api.ContentTypeJSON, body: []byte("{\"type\":\"url_verification\",\"challenge\":\"a\x00b\"}"), status: 400, reply: badRequest},
		{name: "event challenge with metacharacters", path: "/", contentType: api.ContentTypeJSON, body: challenge(`"\$#'${x}#set($a=1)$util.x</b>`), status: 200, reply: `{"challenge":"\"\\$#'${x}#set($a=1)$util.x</b>"}`},
		{name: "event mention with metacharacters", path: "/", contentType: api.ContentTypeJSON, body: mention(`<@B1> "}#set($x=1)${x}\u0000`), status: 200, reply: `{}`, writes: true},
		{name: "event JSON with a form content type header duplicated", path: "/", contentType: api.ContentTypeJSON, body: challenge("c"), edit: func(h http.Header, _ string, _ []byte) {
			h.Add("Content-Type", api.ContentTypeForm)
		}, status: 200, reply: `{"challenge":"c"}`},
	}
	return cases
}

func lowerCaseNames(h http.Header, _ string, _ []byte) {
	moveHeader(h, "X-Slack-Signature", "x-slack-signature")
	moveHeader(h, "X-Slack-Request-Timestamp", "x-slack-request-timestamp")
	moveHeader(h, "Content-Type", "content-type")
}

func upperCaseNames(h http.Header, _ string, _ []byte) {
	moveHeader(h, "X-Slack-Signature", "X-SLACK-SIGNATURE")
	moveHeader(h, "X-Slack-Request-Timestamp", "X-SLACK-REQUEST-TIMESTAMP")
}

// moveHeader renames a header without canonicalising the new name.
func moveHeader(h http.Header, from, to string) {
	v := h[from]
	delete(h, from)
	h[to] = v
}

// TestHostileInputMatrix sends each case through the gateway (over HTTP, or straight into
// ServeHTTP when the case needs header names Go would canonicalise) against a fresh store
// with the verifier's clock fixed. It asserts the exact status, never a 5xx, and that a
// refused request wrote nothing: no open round, no event id, no store write at all.
func TestHostileInputMatrix(t *testing.T) {
	cases := hostileCases()
	if len(cases) < 60 {
		t.Fatalf("cases: got %d, want at least 60", len(cases))
	}
	clock := time.Unix(time.Now().Unix(), 0)
	statuses := map[int]int{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarnessAt(t, boltStore(t), func() time.Time { return clock })
			status, body := h.sendHostile(t, tc, clock)
			statuses[status]++
			checkHostile(t, tc, status, body, func() orders.Round { return h.open(t) }, func() string {
				if len(h.store.events) == 0 && h.store.total() == 0 {
					return ""
				}
				return fmt.Sprintf("events %q, writes %v", h.store.events, h.store.writes)
			})
		})
	}
	t.Logf("%d cases, statuses %s", len(cases), histogram(statuses))
}

// checkHostile checks one case's answer, and what it stored: open reads the channel's open
// round, writes describes what the request wrote ("" for nothing).
func checkHostile(t *testing.T, tc hostileCase, status int, body string, open func() orders.Round, writes func() string) {
	t.Helper()
	if status >= 500 {
		t.Fatalf("got HTTP %d %s, want a status below 500", status, body)
	}
	if tc.status == 0 {
		// Two copies of one header under names that differ only in case: which one the
		// template keeps depends on map order, but a forged body never lands.
		if status != 200 && status != 401 {
			t.Fatalf("got HTTP %d %s, want 200 or 401", status, body)
		}
		if got := byUser(open())[hUser]; got != "" && got != "latte" {
			t.Fatalf("stored: got %q, want nothing or %q", got, "latte")
		}
		return
	}
	if status != tc.status {
		t.Fatalf("got HTTP %d %.300s, want %d", status, body, tc.status)
	}
	checkHostileReply(t, tc, status, body)
	round := open()
	switch {
	case tc.stored != "":
		if got := byUser(round)[hUser]; got != tc.stored || len(round.Orders) != 1 {
			t.Errorf("stored: got %q (%d orders), want %q only", got, len(round.Orders), tc.stored)
		}
	case tc.writes:
	default:
		if w := writes(); round.ID != "" || w != "" {
			t.Errorf("refused request: got round %+v, %s; want no writes", round, w)
		}
	}
}

// checkHostileReply checks the body of an answer with the case's expected status.
func checkHostileReply(t *testing.T, tc hostileCase, status int, body string) {
	t.Helper()
	if tc.reply != "" && strings.TrimSpace(body) != tc.reply {
		t.Errorf("reply: got %.300s, want %s", body, tc.reply)
	}
	if tc.usage && !strings.Contains(body, "/order-update <item>") {
		t.Errorf("reply: got %.300s, want a usage reply", body)
	}
	if tc.usageFor != "" && !strings.Contains(body, "is the Request URL of `"+tc.usageFor+"`") {
		t.Errorf("got %.300s, want the usage reply of %s", body, tc.usageFor)
	}
	if tc.empty && body != "" {
		t.Errorf("got body %q, want an empty one", body)
	}
	var msg slack.Msg
	if status == 200 && json.Unmarshal([]byte(body), &msg) == nil && msg.Text != "" {
		if err := slackio.Validate(&msg); err != nil {
			t.Errorf("Validate(reply): got error %v, want nil (Slack would refuse it)", err)
		}
	}
}

// sendHostile sends one case and returns the status and body.
func (h *harness) sendHostile(t *testing.T, tc hostileCase, clock time.Time) (int, string) {
	t.Helper()
	path, method, ct := tc.path, tc.method, tc.contentType
	if path == "" {
		path = "/order-update"
	}
	if method == "" {
		method = "POST"
	}
	if ct == "" {
		ct = api.ContentTypeForm
	}
	ts := strconv.FormatInt(clock.Unix()+tc.signAt, 10)
	hdr := http.Header{}
	if !tc.noSign {
		hdr.Set("X-Slack-Request-Timestamp", ts)
		hdr.Set("X-Slack-Signature", slackio.Sign(secret, ts, tc.body))
	}
	if ct != "-" {
		hdr.Set("Content-Type", ct)
	}
	if tc.edit != nil {
		tc.edit(hdr, ts, tc.body)
	}
	if tc.direct {
		req := httptest.NewRequest(method, path, bytes.NewReader(tc.body))
		req.Header = hdr
		rec := httptest.NewRecorder()
		h.gw.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	req, err := http.NewRequest(method, h.url+path, bytes.NewReader(tc.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = hdr
	resp, err := h.client.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: got error %v, want an HTTP answer", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestHeaderInjectionRaw: CR and LF inside header values cannot be sent with Go's client,
// so these requests are written to the socket by hand. Whatever Go's server makes of them
// (usually 400 for a malformed header block), the answer is below 500 and nothing is
// written; a request that does reach a handler is unsigned or mis-signed.
func TestHeaderInjectionRaw(t *testing.T) {
	clock := time.Unix(time.Now().Unix(), 0)
	ts := strconv.FormatInt(clock.Unix(), 10)
	body := form("/order-update", "latte")
	sig := slackio.Sign(secret, ts, body)
	cases := []struct{ name, headers string }{
		{"CR inside the signature", "X-Slack-Signature: v0=ab\rcd\r\nX-Slack-Request-Timestamp: " + ts + "\r\n"},
		{"bare LF splits the signature", "X-Slack-Signature: v0=ab\ncd\r\nX-Slack-Request-Timestamp: " + ts + "\r\n"},
		{"CRLF injects a second signature", "X-Slack-Signature: v0=00\r\nX-Slack-Signature: " + sig + "x\r\nX-Slack-Request-Timestamp: " + ts + "\r\n"},
		{"obsolete line folding", "X-Slack-Signature: v0=\r\n " + strings.TrimPrefix(sig, "v0=") + "\r\nX-Slack-Request-Timestamp: " + ts + "\r\n"},
		{"NUL in the timestamp", "X-Slack-Signature: " + sig + "\r\nX-Slack-Request-Timestamp: " + ts + "\x00\r\n"},
		{"CR in the timestamp", "X-Slack-Signature: " + sig + "\r\nX-Slack-Request-Timestamp: " + ts + "\r1\r\n"},
		{"header name with a space", "X-Slack-Signature : " + sig + "\r\nX-Slack-Request-Timestamp: " + ts + "\r\n"},
		{"CRLF smuggles a Content-Length", "X-Slack-Signature: " + sig + "\r\nContent-Length: 3\r\nX-Slack-Request-Timestamp: " + ts + "\r\n"},
	}
	statuses := map[int]int{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarnessAt(t, boltStore(t), func() time.Time { return clock })
			conn, err := net.Dial("tcp", strings.TrimPrefix(h.url, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			req := fmt.Sprintf("POST /order-update HTTP/1.1\r\nHost: local\r\nContent-Type: %s\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n%s",
				api.ContentTypeForm, tc.headers, len(body), body)
			if _, err := io.WriteString(conn, req); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("reading the answer: got error %v, want an HTTP response", err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			statuses[resp.StatusCode]++
			t.Logf("HTTP %d %.80s", resp.StatusCode, b)
			if resp.StatusCode >= 500 {
				t.Fatalf("got HTTP %d %s, want a status below 500", resp.StatusCode, b)
			}
			if r := h.open(t); r.ID != "" || h.store.total() != 0 {
				t.Fatalf("injected headers: got round %+v, writes %v; want no writes", r, h.store.writes)
			}
		})
	}
	t.Logf("%d raw cases, statuses %s", len(cases), histogram(statuses))
}
