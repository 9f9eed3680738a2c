package gateway_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// fuzzPaths are the paths FuzzGatewayRequest picks from: every route and a few misses.
var fuzzPaths = []string{"/order-update", "/order-list", "/", "/order-delete", "//", "/order-update/"}

// FuzzGatewayRequest (in-process only: its property is read from the counting store at
// every input, and the fuzzer needs the harness's thousands of inputs a second; the
// template runs the hostile matrix, TestHostileInputMatrixTemplate) sends random bodies and headers through the whole request path
// (gateway → request template → handler → store) with ServeHTTP. mode picks how the
// request is signed: 0 as given (sig, ts), 1 correctly, 2 correctly and then one body
// byte flipped. Properties: no panic, no status ≥ 500 (504 is documented for a handler
// timeout and cannot happen here), and no store write unless the request carried a valid
// signature (Sign over the bytes the handler sees, within the 5 minute window).
func FuzzGatewayRequest(f *testing.F) {
	clock := time.Unix(1_800_000_000, 0)
	for _, tc := range hostileCases() {
		if len(tc.body) > 100<<10 || tc.direct {
			continue // the fuzzer mutates small inputs better; big ones are in the matrix
		}
		path := 0
		for i, p := range fuzzPaths {
			if p == tc.path {
				path = i
			}
		}
		mode := uint8(1)
		if tc.noSign {
			mode = 0
		}
		f.Add(tc.body, "", "", tc.contentType, uint8(path), mode, "", "")
	}
	f.Add([]byte("token=x&team_id=T0LOCAL&channel_id=C0LOCAL&user_id=U&command=%2Forder-update&text=latte"), "1800000000", "v0=00", api.ContentTypeForm, uint8(0), uint8(0), "x-slack-signature", "v0=11")
	f.Add([]byte(`{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention","channel":"C","ts":"1.2"}}`), "", "", api.ContentTypeJSON, uint8(2), uint8(1), "X-Slack-Retry-Num", "3")

	// An in-memory store: bbolt's fsync per write would make the fuzzer (and above all
	// its minimiser) crawl, and the property is about whether the store is called at all.
	h := newHarnessAt(f, boltStore(f), func() time.Time { return clock })
	f.Fuzz(func(t *testing.T, body []byte, ts, sig, contentType string, path, mode uint8, hname, hval string) {
		p := fuzzPaths[int(path)%len(fuzzPaths)]
		hdr := http.Header{}
		switch mode % 3 {
		case 0:
			hdr["X-Slack-Request-Timestamp"] = []string{ts}
			hdr["X-Slack-Signature"] = []string{sig}
		default:
			ts = strconv.FormatInt(clock.Unix(), 10)
			hdr.Set("X-Slack-Request-Timestamp", ts)
			hdr.Set("X-Slack-Signature", slackio.Sign(secret, ts, body))
		}
		sent := body
		if mode%3 == 2 && len(body) > 0 {
			sent = bytes.Clone(body)
			sent[len(sent)/2] ^= 1
		}
		if contentType == "" {
			contentType = api.ContentTypeForm
		}
		if contentType != "-" {
			hdr["Content-Type"] = []string{contentType}
		}
		if hname != "" {
			hdr[hname] = append(hdr[hname], hval)
		}
		req := httptest.NewRequest("POST", "http://local"+p, bytes.NewReader(sent))
		req.URL.Path = p // httptest.NewRequest would clean some of these
		req.Header = hdr
		before := h.store.total()
		rec := httptest.NewRecorder()
		h.gw.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s: got HTTP %d %s, want a status below 500", p, rec.Code, rec.Body)
		}
		if h.store.total() == before {
			return
		}
		// Something was written: some signature/timestamp pair the template could have
		// picked must be valid for the body the handler saw.
		seen := sent
		if len(seen) == 0 {
			seen = []byte("{}") // API Gateway hands templates an empty body as {}
		}
		sigs, stamps := hdr.Values("X-Slack-Signature"), hdr.Values("X-Slack-Request-Timestamp")
		switch strings.ToLower(hname) {
		case "x-slack-signature":
			sigs = append(sigs, hval)
		case "x-slack-request-timestamp":
			stamps = append(stamps, hval)
		}
		for _, s := range sigs {
			for _, st := range stamps {
				n, err := strconv.ParseInt(st, 10, 64)
				if err == nil && st == strconv.FormatInt(n, 10) && n >= clock.Unix()-300 && n <= clock.Unix()+300 &&
					s == slackio.Sign(secret, st, seen) {
					return
				}
			}
		}
		t.Fatalf("ts=%q sig=%q body=%q → HTTP %d: got a store write, want none without a valid signature", stamps, sigs, sent, rec.Code)
	})
}
