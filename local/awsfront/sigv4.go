package awsfront

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Signature Version 4, as the services verify it
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html):
// the canonical request of the method, the URI (each segment URI-encoded again, as every
// service but S3 expects), the sorted query, the signed headers and the payload's SHA-256;
// the string to sign with the credential scope; the signature with the key derived from
// the secret, the date, the region and the service.

const (
	algorithm = "AWS4-HMAC-SHA256"
	amzDate   = "20060102T150405Z"
	// MaxSkew is how far X-Amz-Date may be from the service's clock: AWS answers
	// "Signature expired: … (… - 5 min.)" beyond it.
	MaxSkew = 5 * time.Minute
)

// awsMessage is an error whose text is AWS's own words (capitalised, as AWS writes them).
type awsMessage string

func (m awsMessage) Error() string { return string(m) }

func awsf(format string, args ...any) error { return awsMessage(fmt.Sprintf(format, args...)) }

// authorization is a parsed Authorization header.
type authorization struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

func parseAuthorization(h string) (authorization, error) {
	var a authorization
	rest, ok := strings.CutPrefix(h, algorithm+" ")
	if !ok {
		return a, awsf("Authorization header requires the %s algorithm", algorithm)
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			scope := strings.Split(v, "/")
			if len(scope) != 5 || scope[4] != "aws4_request" {
				return a, awsf("Credential should be scoped to a valid region. ")
			}
			a.accessKey, a.date, a.region, a.service = scope[0], scope[1], scope[2], scope[3]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		}
	}
	if a.accessKey == "" || len(a.signedHeaders) == 0 || a.signature == "" {
		return a, awsf("Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters")
	}
	return a, nil
}

// checkDate answers AWS's messages for a request signed too long ago or too far ahead
// (InvalidSignatureException, e.g. "Signature expired: 20251105T220858Z is now earlier
// than 20251106T132108Z (20251106T132608Z - 5 min.)", as reported in boto/botocore#3587).
func checkDate(stamp string, now time.Time) error {
	t, err := time.Parse(amzDate, stamp)
	if err != nil {
		return awsf("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", stamp)
	}
	now = now.UTC()
	if t.Before(now.Add(-MaxSkew)) {
		return awsf("Signature expired: %s is now earlier than %s (%s - 5 min.)", stamp, now.Add(-MaxSkew).Format(amzDate), now.Format(amzDate))
	}
	if t.After(now.Add(MaxSkew)) {
		return awsf("Signature not yet current: %s is still later than %s (%s + 5 min.)", stamp, now.Add(MaxSkew).Format(amzDate), now.Format(amzDate))
	}
	return nil
}

// signature computes the request's signature with secret.
func signature(r *http.Request, body []byte, a authorization, stamp, secret string) string {
	sum := sha256.Sum256(body)
	canonical := strings.Join([]string{
		r.Method,
		escapePath(r.URL.EscapedPath()),
		canonicalQuery(r.URL.Query()),
		canonicalHeaders(r, a.signedHeaders),
		strings.Join(a.signedHeaders, ";"),
		hex.EncodeToString(sum[:]),
	}, "\n")
	creq := sha256.Sum256([]byte(canonical))
	scope := a.date + "/" + a.region + "/" + a.service + "/aws4_request"
	toSign := algorithm + "\n" + stamp + "\n" + scope + "\n" + hex.EncodeToString(creq[:])
	key := hmacSHA256([]byte("AWS4"+secret), a.date)
	for _, s := range []string{a.region, a.service, "aws4_request"} {
		key = hmacSHA256(key, s)
	}
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

func canonicalHeaders(r *http.Request, names []string) string {
	var b strings.Builder
	for _, n := range names {
		var v string
		switch n {
		case "host":
			v = r.Host
		case "content-length":
			v = strconv.FormatInt(r.ContentLength, 10)
		default:
			vals := r.Header.Values(n)
			for i, x := range vals {
				vals[i] = strings.Join(strings.Fields(x), " ")
			}
			v = strings.Join(vals, ",")
		}
		b.WriteString(n + ":" + v + "\n")
	}
	return b.String()
}

func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vals := append([]string(nil), q[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			parts = append(parts, escape(k, true)+"="+escape(v, true))
		}
	}
	return strings.Join(parts, "&")
}

// escapePath URI-encodes the (already encoded) path once more, keeping "/".
func escapePath(p string) string {
	if p == "" {
		return "/"
	}
	return escape(p, false)
}

// escape percent-encodes everything but RFC 3986's unreserved characters (and "/" unless
// all).
func escape(s string, all bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && !all:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
