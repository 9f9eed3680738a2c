package awsfront_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/orderbot/orderbot/local/awsfront"
)

// signed sends a GetItem signed with creds at time at, after tamper changes the request.
func (e *env) signed(t *testing.T, creds awsfront.Credentials, service, path string, at time.Time, tamper func(*http.Request)) (int, map[string]string, http.Header) {
	t.Helper()
	body := []byte(`{"TableName":"` + e.table + `","Key":{"pk":{"S":"C#T1#C1"},"sk":{"S":"round"}}}`)
	h := http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amz-Target": {"DynamoDB_20120810.GetItem"}}
	return e.call(t, creds, service, http.MethodPost, path, h, body, at, tamper)
}

// call sends a request signed with creds at time at, after tamper changes it, and returns
// the status, the error document (message under "message") and the headers.
func (e *env) call(t *testing.T, creds awsfront.Credentials, service, method, path string, h http.Header, body []byte, at time.Time, tamper func(*http.Request)) (int, map[string]string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	for k, v := range h {
		req.Header[k] = v
	}
	sum := sha256.Sum256(body)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey,
		SessionToken: creds.SessionToken}, req, hex.EncodeToString(sum[:]), service, "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	if tamper != nil {
		tamper(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := map[string]string{}
	var raw map[string]any
	json.Unmarshal(b, &raw)
	for k, v := range raw {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	if m, ok := out["Message"]; ok && out["message"] == "" {
		out["message"] = m
	}
	return resp.StatusCode, out, resp.Header
}

// Forged requests are refused as DynamoDB and Lambda refuse them.
func TestForgedRequestsAreRefused(t *testing.T) {
	e := newEnv(t, awsfront.Enforce)
	a, _ := e.front.Issue("Orderbot-order-update")
	b, _ := e.front.Issue("Orderbot-order-list")
	now := time.Now()
	cases := []struct {
		name   string
		creds  awsfront.Credentials
		at     time.Time
		tamper func(*http.Request)
		status int
		typ    string
		msg    string
	}{
		{"valid", a, now, nil, 200, "", ""},
		{"wrong secret", awsfront.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: b.SecretAccessKey, SessionToken: a.SessionToken}, now, nil,
			400, "com.amazon.coral.service#InvalidSignatureException", "The request signature we calculated does not match the signature you provided."},
		{"body changed after signing", a, now, func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(`{"TableName":"other"}`))
			r.ContentLength = int64(len(`{"TableName":"other"}`))
		}, 400, "com.amazon.coral.service#InvalidSignatureException", "The request signature we calculated does not match"},
		{"another function's key with this one's token", awsfront.Credentials{AccessKeyID: b.AccessKeyID, SecretAccessKey: b.SecretAccessKey, SessionToken: a.SessionToken}, now, nil,
			400, "com.amazon.coral.service#UnrecognizedClientException", "The security token included in the request is invalid."},
		{"unknown key", awsfront.Credentials{AccessKeyID: "ASIAXXXXXXXXXXXXXXXX", SecretAccessKey: a.SecretAccessKey, SessionToken: a.SessionToken}, now, nil,
			400, "com.amazon.coral.service#UnrecognizedClientException", "The security token included in the request is invalid."},
		{"expired", a, now.Add(-6 * time.Minute), nil, 400, "com.amazon.coral.service#InvalidSignatureException", "Signature expired: " + now.Add(-6*time.Minute).UTC().Format("20060102T150405Z") + " is now earlier than "},
		{"from the future", a, now.Add(6 * time.Minute), nil, 400, "com.amazon.coral.service#InvalidSignatureException", "Signature not yet current: "},
		{"unsigned", a, now, func(r *http.Request) { r.Header.Del("Authorization") }, 400, "com.amazon.coral.service#MissingAuthenticationTokenException", "Request is missing Authentication Token"},
	}
	for _, c := range cases {
		status, out, _ := e.signed(t, c.creds, "dynamodb", "/", c.at, c.tamper)
		if status != c.status || out["__type"] != c.typ || !strings.HasPrefix(out["message"], c.msg) {
			t.Errorf("%s: got %d %s %q, want %d %s %q…", c.name, status, out["__type"], out["message"], c.status, c.typ, c.msg)
		}
	}
	// Lambda, a REST service, refuses with 403 and the exception in X-Amzn-ErrorType.
	bad := awsfront.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: b.SecretAccessKey, SessionToken: a.SessionToken}
	status, _, h := e.signed(t, bad, "lambda", "/2015-03-31/functions/Orderbot-order-update/invocations", now, nil)
	if status != http.StatusForbidden || h.Get("X-Amzn-ErrorType") != "InvalidSignatureException" {
		t.Errorf("Lambda, wrong signature: got %d %q, want 403 InvalidSignatureException", status, h.Get("X-Amzn-ErrorType"))
	}
	if n := len(e.lambda.reached()); n != 0 {
		t.Errorf("Lambda stand-in: got %d requests, want none", n)
	}
}
