package config

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type fakeSM struct {
	value *string
	err   error
}

func (f fakeSM) GetSecretString(context.Context, string) (*string, error) {
	return f.value, f.err
}

func TestFetchSecret(t *testing.T) {
	s, err := FetchSecret(context.Background(), fakeSM{value: aws.String(`{"signing_secret":"abc","bot_token":"xoxb-1"}`)}, "arn:x")
	if err != nil || s.SigningSecret != "abc" || s.BotToken != "xoxb-1" {
		t.Fatalf("FetchSecret: got %+v, error %v; want signing secret abc, bot token xoxb-1, nil", s, err)
	}
	for _, bad := range []fakeSM{{value: aws.String("signing_secret=abc")}, {value: nil}, {err: errors.New("AccessDenied")}} {
		_, err := FetchSecret(context.Background(), bad, "arn:x")
		if err == nil || !strings.Contains(err.Error(), "arn:x") || strings.Contains(err.Error(), "abc") {
			t.Errorf("FetchSecret(%+v): got error %v, want an error naming the secret and not its value", bad, err)
		}
	}
}

func TestLevel(t *testing.T) {
	for _, tc := range []struct {
		lambda, env string
		want        slog.Level
	}{
		{"", "", slog.LevelInfo},
		{"", "debug", slog.LevelDebug},
		{"WARN", "debug", slog.LevelWarn},
		{"ERROR", "", slog.LevelError},
		{"TRACE", "", slog.LevelInfo},
	} {
		t.Setenv("AWS_LAMBDA_LOG_LEVEL", tc.lambda)
		t.Setenv("LOG_LEVEL", tc.env)
		if got := Level(); got != tc.want {
			t.Errorf("Level(%q, %q): got %v, want %v", tc.lambda, tc.env, got, tc.want)
		}
	}
}

func TestLoadNeedsTableAndSecret(t *testing.T) {
	t.Setenv("TABLE_NAME", "")
	if _, err := Load(context.Background()); err == nil {
		t.Fatal("Load without TABLE_NAME: got nil error, want one")
	}
	t.Setenv("TABLE_NAME", "t")
	t.Setenv("SECRET_ARN", "")
	t.Setenv("SLACK_SIGNING_SECRET", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	if _, err := Load(context.Background()); err == nil || !strings.Contains(err.Error(), "signing secret") {
		t.Fatalf("Load without a secret: got error %v, want one about the signing secret", err)
	}
	t.Setenv("SLACK_SIGNING_SECRET", "local")
	c, err := Load(context.Background())
	if err != nil || c.SigningSecret != "local" || c.TableName != "t" {
		t.Fatalf("Load: got %+v, error %v; want signing secret local, table t, nil", c, err)
	}
}

func TestAWSFromEnv(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	if _, err := AWSFromEnv(); err == nil {
		t.Fatal("AWSFromEnv without a region: got nil error, want one")
	}
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	if _, err := AWSFromEnv(); err == nil {
		t.Fatal("AWSFromEnv without credentials: got nil error, want one")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "token")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000")
	cfg, err := AWSFromEnv()
	if err != nil {
		t.Fatalf("AWSFromEnv: got error %v, want nil", err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || cfg.Region != "eu-west-1" || creds.AccessKeyID != "AKIDEXAMPLE" || creds.SessionToken != "token" || cfg.BaseEndpoint != nil {
		t.Fatalf("AWSFromEnv: got config %+v, credentials %+v, error %v; want region eu-west-1, key AKIDEXAMPLE, session token \"token\", no base endpoint, nil", cfg, creds, err)
	}
	if ep := ForService(cfg, "DYNAMODB").BaseEndpoint; ep == nil || *ep != "http://127.0.0.1:8000" {
		t.Fatalf("DYNAMODB endpoint: got %q (nil: %v), want %q", aws.ToString(ep), ep == nil, "http://127.0.0.1:8000")
	}
	if ep := ForService(cfg, "LAMBDA").BaseEndpoint; ep != nil {
		t.Fatalf("LAMBDA endpoint: got %q, want none (DynamoDB's must not leak to another service)", *ep)
	}
}

// AWS_CA_BUNDLE adds certificate authorities for the AWS clients (the benchmarks' TLS
// proxy): a server signed by one is trusted, one that is not is refused, and a bundle that
// cannot be used fails the cold start instead of being ignored.
func TestAWSFromEnvCABundle(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CA_BUNDLE", "")
	cfg, err := AWSFromEnv()
	if err != nil {
		t.Fatalf("AWSFromEnv without AWS_CA_BUNDLE: got error %v, want nil", err)
	}
	get, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	if resp, err := cfg.HTTPClient.Do(get); err == nil || !strings.Contains(err.Error(), "certificate") {
		if resp != nil {
			resp.Body.Close()
		}
		t.Fatalf("GET %s without the bundle: got error %v, want a certificate error", srv.URL, err)
	}

	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	if cfg, err = AWSFromEnv(); err != nil || cfg.HTTPClient == nil {
		t.Fatalf("AWSFromEnv with AWS_CA_BUNDLE: got HTTP client %v, error %v; want a client, nil", cfg.HTTPClient, err)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := cfg.HTTPClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s trusting the bundle: got error %v, want 200", srv.URL, err)
	}
	resp.Body.Close()

	for name, content := range map[string]string{"junk.pem": "not a certificate", "missing.pem": ""} {
		path := filepath.Join(t.TempDir(), name)
		if content != "" {
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		t.Setenv("AWS_CA_BUNDLE", path)
		if _, err := AWSFromEnv(); err == nil || !strings.Contains(err.Error(), "AWS_CA_BUNDLE") {
			t.Errorf("AWSFromEnv with AWS_CA_BUNDLE=%s: got error %v, want one naming AWS_CA_BUNDLE", name, err)
		}
	}
}

// Load opens DynamoDB's connection while it reads the secret, through the HTTP client the
// SDK clients share: the DynamoDB client's first request finds it in the pool instead of
// dialling.
func TestLoadPreconnectsDynamoDB(t *testing.T) {
	var mu sync.Mutex
	var conns, gets, posts int
	ddb := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if r.Method == http.MethodGet && r.URL.Path == "/" {
			gets++
		} else {
			posts++
		}
		mu.Unlock()
		io.WriteString(w, "healthy: dynamodb.us-east-1.amazonaws.com ")
	}))
	ddb.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	ddb.Start()
	defer ddb.Close()
	sm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"SecretString":"{\"signing_secret\":\"abc\"}"}`)
	}))
	defer sm.Close()
	for k, v := range map[string]string{
		"TABLE_NAME": "t", "SECRET_ARN": "arn:x", "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY": "secret", "AWS_ENDPOINT_URL": "", "AWS_CA_BUNDLE": "",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": sm.URL, "AWS_ENDPOINT_URL_DYNAMODB": ddb.URL,
	} {
		t.Setenv(k, v)
	}
	c, err := Load(context.Background())
	if err != nil || c.SigningSecret != "abc" {
		t.Fatalf("Load: got %+v, error %v; want signing secret abc, nil", c, err)
	}
	mu.Lock()
	if gets != 1 || conns != 1 {
		t.Errorf("after Load: got %d GET / on %d connections to DynamoDB, want 1 on 1", gets, conns)
	}
	mu.Unlock()
	// The stub's answer is no GetItem output; only the connection it came on matters.
	dynamodb.NewFromConfig(ForService(c.AWS, "DYNAMODB")).GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String("t"), Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "C#1"}}})
	mu.Lock()
	if posts != 1 {
		t.Errorf("GetItem: got %d requests to DynamoDB, want 1", posts)
	}
	defer mu.Unlock()
	if conns != 1 {
		t.Errorf("first request after Load: got %d connections to DynamoDB, want the preconnected one only", conns)
	}
}

// The AWS clients trust the roots amazontrust.com publishes, identified by the SHA-256
// of their public keys as listed there, and nothing else.
func TestAmazonRoots(t *testing.T) {
	want := map[string]string{
		"Amazon Root CA 1": "fbe3018031f9586bcbf41727e417b7d1c45c2f47f93be372a17b96b50757d5a2",
		"Amazon Root CA 2": "7f4296fc5b6a4e3b35d3c369623e364ab1af381d8fa7121533c9d6c633ea2461",
		"Amazon Root CA 3": "36abc32656acfc645c61b71613c4bf21c787f5cabbee48348d58597803d7abc9",
		"Amazon Root CA 4": "f7ecded5c66047d28ed6466b543c40e0743abe81d109254dcf845d4c2c7853c5",
		"Starfield Services Root Certificate Authority - G2": "2b071c59a0a0ae76b0eadb2bad23bad4580b69c3601b630c2eaf0613afa83f92",
	}
	got := map[string]string{}
	for rest := AmazonRootsPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
		got[c.Subject.CommonName] = hex.EncodeToString(sum[:])
		if !c.IsCA || c.NotAfter.Before(time.Date(2037, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: got CA %v, valid until %v; want a CA valid past 2037", c.Subject.CommonName, c.IsCA, c.NotAfter)
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("AmazonRootsPEM: got %v, want %v", got, want)
	}
}
