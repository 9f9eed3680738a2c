package config

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// capturedRequest is what a stub Secrets Manager received.
type capturedRequest struct {
	method, path, target, contentType, auth, token string
	body                                           map[string]any
}

// stubSecretsManager answers every request with status and body, after recording it.
func stubSecretsManager(t *testing.T, answers ...[2]string) (*httptest.Server, *[]capturedRequest) {
	t.Helper()
	var mu sync.Mutex
	var got []capturedRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c := capturedRequest{method: r.Method, path: r.URL.Path, target: r.Header.Get("X-Amz-Target"),
			contentType: r.Header.Get("Content-Type"), auth: r.Header.Get("Authorization"), token: r.Header.Get("X-Amz-Security-Token")}
		json.Unmarshal(b, &c.body)
		mu.Lock()
		got = append(got, c)
		a := answers[min(len(got), len(answers))-1]
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		status, _ := strconv.Atoi(a[0])
		w.WriteHeader(status)
		io.WriteString(w, a[1])
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func testAWS(endpoint string) aws.Config {
	return aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(endpoint), HTTPClient: http.DefaultClient,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "session-token")}
}

const testSecretARN = "arn:aws:secretsmanager:eu-west-1:000000000000:secret:orderbot-slack-AbCdEf"

// GetSecretValue is one signed POST of the JSON 1.1 protocol: the target header, the
// SecretId in the body, a SigV4 signature for secretsmanager in the region, and the
// session token.
func TestSecretsManagerAPI(t *testing.T) {
	srv, got := stubSecretsManager(t, [2]string{"200", `{"ARN":"x","Name":"orderbot-slack","SecretString":"{\"signing_secret\":\"abc\"}"}`})
	v, err := SecretsManagerAPI{AWS: testAWS(srv.URL)}.GetSecretString(context.Background(), testSecretARN)
	if err != nil || v == nil || *v != `{"signing_secret":"abc"}` {
		t.Fatalf("GetSecretString: got %v, error %v; want the SecretString, nil", v, err)
	}
	r := (*got)[0]
	if r.method != http.MethodPost || r.path != "/" || r.target != "secretsmanager.GetSecretValue" ||
		r.contentType != "application/x-amz-json-1.1" || r.body["SecretId"] != testSecretARN || len(r.body) != 1 ||
		!strings.HasPrefix(r.auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(r.auth, "/eu-west-1/secretsmanager/aws4_request") ||
		r.token != "session-token" {
		t.Fatalf("request: got %+v, want a signed POST / of GetSecretValue with the SecretId", r)
	}
}

// Throttling and server errors are tried again (three attempts in all); a client error
// is not, and names the service's exception.
func TestSecretsManagerAPIRetries(t *testing.T) {
	defer func(b time.Duration) { secretsManagerBase = b }(secretsManagerBase)
	secretsManagerBase = time.Millisecond
	srv, got := stubSecretsManager(t, [2]string{"503", `{"__type":"ServiceUnavailable"}`},
		[2]string{"400", `{"__type":"ThrottlingException","message":"Rate exceeded"}`}, [2]string{"200", `{"SecretString":"s"}`})
	if v, err := (SecretsManagerAPI{AWS: testAWS(srv.URL)}).GetSecretString(context.Background(), testSecretARN); err != nil || *v != "s" || len(*got) != 3 {
		t.Fatalf("after a 503 and a throttle: got %v, error %v, %d attempts; want the secret on the third", v, err, len(*got))
	}
	srv, got = stubSecretsManager(t, [2]string{"400", `{"__type":"com.amazonaws.secretsmanager#ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}`})
	_, err := SecretsManagerAPI{AWS: testAWS(srv.URL)}.GetSecretString(context.Background(), testSecretARN)
	if err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException: Secrets Manager can't find") || strings.Contains(err.Error(), "#") || len(*got) != 1 {
		t.Fatalf("a missing secret: got error %v after %d attempts, want ResourceNotFoundException and its message after 1", err, len(*got))
	}
}

// The request is the SDK client's: the same target, content type and body, signed for the
// same service, and the SDK and SecretsManagerAPI read the same answer the same way.
func TestSecretsManagerAPIMatchesSDK(t *testing.T) {
	answer := `{"ARN":"x","Name":"n","SecretString":"{\"signing_secret\":\"abc\",\"bot_token\":\"xoxb-1\"}","VersionId":"v","VersionStages":["AWSCURRENT"],"CreatedDate":1.7e9}`
	srv, got := stubSecretsManager(t, [2]string{"200", answer})
	cfg := testAWS(srv.URL)
	sdk, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(testSecretARN)})
	if err != nil {
		t.Fatal(err)
	}
	ours, err := SecretsManagerAPI{AWS: cfg}.GetSecretString(context.Background(), testSecretARN)
	if err != nil || *ours != *sdk.SecretString {
		t.Fatalf("SecretString: got %v, error %v; want the SDK's %q", ours, err, *sdk.SecretString)
	}
	a, b := (*got)[0], (*got)[1]
	scope := func(auth string) string { _, s, _ := strings.Cut(auth, "/"); s, _, _ = strings.Cut(s, ","); return s }
	if a.method != b.method || a.path != b.path || a.target != b.target || a.contentType != b.contentType ||
		!equalJSON(a.body, b.body) || scope(a.auth) != scope(b.auth) || a.token != b.token {
		t.Fatalf("request: got %+v, want the SDK's %+v", b, a)
	}
}

func equalJSON(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
