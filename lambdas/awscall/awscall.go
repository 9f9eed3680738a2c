// Package awscall makes one AWS API call without the SDK's service client: the request,
// signed with the SDK's SigV4 signer, over plain net/http. orderbot calls three services
// this way — Lambda's Invoke (selfinvoke), Secrets Manager's GetSecretValue (config) and
// EventBridge Scheduler (schedule) — because a client's generated schemas and endpoint
// tables are initialised at every cold start whether or not it is used (milliseconds of
// CPU on a 256 MB function's share, a few hundred KB of binary), for calls made once per
// cold start or only on the slow path. Each caller keeps its service's protocol (paths,
// headers, error shapes); this package is the part they share.
package awscall

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Call is one request to an AWS service.
type Call struct {
	Service string // the SigV4 signing name: "lambda", "secretsmanager", "scheduler"
	Method  string
	URL     string
	Header  http.Header // the service's headers (Content-Type, X-Amz-Target, …); the signature's are added
	Body    []byte      // nil for none
}

// ErrUnsigned marks a call that was never sent: the credentials could not be read or
// the request could not be signed. Sending it again will not help.
var ErrUnsigned = errors.New("not sent")

// Endpoint is the regional endpoint of the service whose host starts with prefix
// (https://<prefix>.<region>.amazonaws.com, ".cn" added in China's regions), or
// cfg.BaseEndpoint when set (AWS_ENDPOINT_URL_<SERVICE>, see config.ForService).
func Endpoint(cfg aws.Config, prefix string) string {
	if cfg.BaseEndpoint != nil {
		return strings.TrimRight(*cfg.BaseEndpoint, "/")
	}
	host := "https://" + prefix + "." + cfg.Region + ".amazonaws.com"
	if strings.HasPrefix(cfg.Region, "cn-") {
		host += ".cn"
	}
	return host
}

// Send signs c with cfg's credentials and region and sends it with client (nil, or a nil
// *http.Client, is http.DefaultClient). The caller closes the response's body.
func Send(ctx context.Context, cfg aws.Config, client aws.HTTPClient, c Call) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, c.Method, c.URL, bytes.NewReader(c.Body))
	if err != nil {
		return nil, err
	}
	for k, vs := range c.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: credentials: %w", ErrUnsigned, err)
	}
	sum := sha256.Sum256(c.Body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), c.Service, cfg.Region, time.Now()); err != nil {
		return nil, fmt.Errorf("%w: sign: %w", ErrUnsigned, err)
	}
	if hc, ok := client.(*http.Client); client == nil || ok && hc == nil {
		client = http.DefaultClient
	}
	return client.Do(req)
}
