package config

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orderbot/orderbot/lambdas/awscall"
)

// SecretsManagerAPI is Secrets Manager's GetSecretValue without the SDK's client: one
// SigV4-signed POST in the service's JSON 1.1 protocol, the request the client sends
// (TestSecretsManagerAPIMatchesSDK compares the two). The client's generated schemas and
// endpoint tables are initialised at every cold start whether or not they are used — 1.5 ms
// of CPU, ten times that on a 256 MB function's share — for the one call a cold start makes.
// Like the client's standard retryer it tries three times, backing off, when the service
// throttles or fails (5xx) or the connection does.
type SecretsManagerAPI struct {
	AWS aws.Config // region, credentials, HTTP client; BaseEndpoint overrides the regional endpoint
}

// secretsManagerAttempts and secretsManagerBackoff are the SDK's standard retryer's: the
// wait before attempt n is random, up to secretsManagerBase × 2ⁿ⁻¹, at most 20 s.
const (
	secretsManagerAttempts = 3
	secretsManagerBackoff  = 20 * time.Second
)

var secretsManagerBase = time.Second // a variable for the tests

// GetSecretString returns the secret's SecretString (nil for a binary secret). An error
// names the service's exception and message, never the secret.
func (c SecretsManagerAPI) GetSecretString(ctx context.Context, secretID string) (*string, error) {
	body, err := json.Marshal(map[string]string{"SecretId": secretID})
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		out, retry, err := c.getSecretValue(ctx, body)
		if err == nil {
			return out.SecretString, nil
		}
		if !retry || attempt == secretsManagerAttempts {
			return nil, err
		}
		// Exponential backoff with full jitter, as the SDK's standard retryer.
		wait := time.Duration(rand.Int64N(int64(min(secretsManagerBackoff, secretsManagerBase<<attempt))))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, err
		}
	}
}

type getSecretValueOutput struct {
	SecretString *string
}

// getSecretValue makes one attempt; retry says whether another one may succeed.
func (c SecretsManagerAPI) getSecretValue(ctx context.Context, body []byte) (out getSecretValueOutput, retry bool, err error) {
	resp, err := awscall.Send(ctx, c.AWS, c.AWS.HTTPClient, awscall.Call{
		Service: "secretsmanager", Method: http.MethodPost, URL: awscall.Endpoint(c.AWS, "secretsmanager") + "/", Body: body,
		Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {"secretsmanager.GetSecretValue"}},
	})
	if err != nil {
		return out, ctx.Err() == nil && !errors.Is(err, awscall.ErrUnsigned), fmt.Errorf("GetSecretValue: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return out, ctx.Err() == nil, fmt.Errorf("GetSecretValue: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return out, retryable(resp.StatusCode, b), serviceError(resp, b)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, false, fmt.Errorf("GetSecretValue: %w", err)
	}
	return out, false, nil
}

// serviceError is the exception a JSON 1.1 error response names: "__type" in the body
// (maybe prefixed with its namespace, "…#Name") or the X-Amzn-ErrorType header.
func serviceError(resp *http.Response, body []byte) error {
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
		Msg     string `json:"Message"`
	}
	json.Unmarshal(body, &e)
	name := e.Type
	if name == "" {
		name, _, _ = strings.Cut(resp.Header.Get("X-Amzn-ErrorType"), ":")
	}
	if i := strings.LastIndex(name, "#"); i >= 0 {
		name = name[i+1:]
	}
	if name == "" {
		name = resp.Status
	}
	msg := e.Message + e.Msg
	if msg == "" {
		return errors.New("GetSecretValue: " + name)
	}
	return fmt.Errorf("GetSecretValue: %s: %s", name, msg)
}

// retryable is the standard retryer's rule for a response: throttling and server errors.
func retryable(status int, body []byte) bool {
	if status >= 500 || status == http.StatusTooManyRequests {
		return true
	}
	for _, t := range []string{"ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "Throttling", "RequestThrottled"} {
		if bytes.Contains(body, []byte(`"`+t+`"`)) || bytes.Contains(body, []byte("#"+t+`"`)) {
			return true
		}
	}
	return false
}
