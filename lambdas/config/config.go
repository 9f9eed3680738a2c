// Package config reads a function's configuration once per cold start: the environment,
// the AWS SDK configuration and the Slack secrets from Secrets Manager. It keeps secrets
// out of the environment in production. It only reads; package wire assembles the
// application from what it read, and the SecretSource lets wire read the secret again
// while the function runs (a function started before the operator filled in the secret
// needs no redeploy).
package config

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	_ "embed" // AmazonRootsPEM
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	// The team's time zone must load whatever the runtime image ships in
	// /usr/share/zoneinfo: the database is compiled in (about 450 KB).
	_ "time/tzdata"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/say/i18n"
)

// Config is a function's configuration.
type Config struct {
	// Function is the route's function this bootstrap serves (ORDERBOT_FUNCTION).
	Function string
	// Self is the name Lambda gives this function (AWS_LAMBDA_FUNCTION_NAME), which its
	// deferred work invokes; empty outside Lambda.
	Self          string
	TableName     string
	SigningSecret string
	BotToken      string
	LogLevel      slog.Level
	// ReplyBudget is how long a command may work before it answers "working on it" and
	// finishes asynchronously (REPLY_BUDGET_MS).
	ReplyBudget time.Duration
	// HistoryTTL is how long closed rounds stay in history (ORDERBOT_HISTORY_DAYS); 0: the
	// store's default, orders.DefaultHistoryTTL.
	HistoryTTL time.Duration
	// Locale is the language of the bot's messages (ORDERBOT_LOCALE, "en" when unset).
	Locale string
	// Zone is the team's time zone (ORDERBOT_TIMEZONE, api.DefaultTimeZone when unset):
	// every message that shows a deadline shows it in this zone.
	Zone *time.Location
	// Reminder is how long before a deadline the channel is reminded (REMINDER_MINUTES);
	// 0: never.
	Reminder time.Duration
	// Schedule is where deadlines are scheduled; its Group is empty for a function that
	// does not schedule.
	Schedule Schedule
	AWS      aws.Config
	// Source is where SigningSecret and BotToken were read from, to be read again when they
	// change: Secrets Manager when SECRET_ARN is set, nil when they come from the
	// environment.
	Source SecretSource
	// SecretARN is the secret Source reads (SECRET_ARN); empty for the environment.
	SecretARN string
	// LocalSlack is the local stack's Slack stand-in (ORDERBOT_LOCAL_SLACK); empty in
	// Lambda.
	LocalSlack string
	// SlackAPI is the Web API the local stack points the function at instead of its
	// stand-in (SLACK_API_URL); empty in Lambda.
	SlackAPI string
}

// Schedule is the EventBridge Scheduler configuration of the schedule function.
type Schedule struct {
	Group, RoleARN, TargetARN string
	// DLQARN is the queue a firing Scheduler cannot deliver goes to ("": none).
	DLQARN string
}

// Secret is what the Secrets Manager secret holds: a JSON object with the keys
// api.SecretKeySigningSecret and api.SecretKeyBotToken.
type Secret struct {
	SigningSecret string
	BotToken      string
}

// SecretSource is where a function's Slack secrets are kept. Its errors never carry a
// secret's value.
type SecretSource interface {
	Fetch(ctx context.Context) (signingSecret, botToken string, err error)
}

// SecretsManager is the SecretSource of a deployed function: the JSON Secret named ARN.
type SecretsManager struct {
	Client SecretGetter // SecretsManagerAPI in production
	ARN    string
}

// Fetch reads the secret once (one GetSecretValue call).
func (s SecretsManager) Fetch(ctx context.Context) (signingSecret, botToken string, err error) {
	v, err := FetchSecret(ctx, s.Client, s.ARN)
	return v.SigningSecret, v.BotToken, err
}

// Load reads the function's whole configuration: the settings of api.Settings (Parse),
// the AWS SDK's (AWSFromEnv) and the secrets: from SECRET_ARN when set, else from
// SLACK_SIGNING_SECRET / SLACK_BOT_TOKEN (local use). Nothing else in the functions reads
// the environment.
//
// A secret SECRET_ARN names that is readable but not filled in yet (no signing_secret,
// as before the operator's first put-secret-value) is not an error: the function starts
// and answers 500 until the secret is filled in. A secret that cannot be read, or is not
// JSON, fails the cold start.
//
// While the secret is read, DynamoDB's connection is opened (Preconnect): the two TLS
// handshakes and round trips overlap instead of the first request paying for its own.
func Load(ctx context.Context) (Config, error) {
	c, err := Parse(os.Getenv)
	if err != nil {
		return Config{}, err
	}
	if c.TableName == "" {
		return Config{}, errors.New(api.EnvTableName + " is not set")
	}
	if c.AWS, err = AWSFromEnv(); err != nil {
		return Config{}, err
	}
	if c.SecretARN != "" {
		connected := Preconnect(ctx, ForService(c.AWS, "DYNAMODB"))
		c.Source = SecretsManager{Client: SecretsManagerAPI{AWS: ForService(c.AWS, "SECRETS_MANAGER")}, ARN: c.SecretARN}
		if c.SigningSecret, c.BotToken, err = c.Source.Fetch(ctx); err != nil {
			return Config{}, err
		}
		<-connected
	}
	if c.SigningSecret == "" && c.Source == nil {
		return Config{}, errors.New("no signing secret: set " + api.SecretKeySigningSecret + " in the secret " + api.EnvSecretARN + " names, or SLACK_SIGNING_SECRET")
	}
	return c, nil
}

// Function is the route's function the bootstrap serves (ORDERBOT_FUNCTION), read before
// anything else so that a cold start for no function says so first.
func Function() string { return os.Getenv(api.EnvFunction) }

// Parse reads every variable of api.Settings through getenv, each exactly once and
// whatever the others hold (a test records the reads), and checks them: a value a
// function cannot use fails the cold start, naming the variable. It reads no secret and
// makes no call.
func Parse(getenv func(string) string) (Config, error) {
	v := map[string]string{}
	for _, s := range api.Settings {
		v[s.Name] = getenv(s.Name)
	}
	c := Config{
		Function: v[api.EnvFunction], Self: v[api.EnvLambdaFunctionName],
		TableName: v[api.EnvTableName], SecretARN: v[api.EnvSecretARN],
		SigningSecret: v[api.EnvSigningSecret], BotToken: v[api.EnvBotToken], LocalSlack: v[api.EnvLocalSlack],
		SlackAPI:    v[api.EnvSlackAPI],
		LogLevel:    level(v[api.EnvLambdaLogLevel], v[api.EnvLogLevel]),
		ReplyBudget: handler.DefaultBudget,
		Schedule: Schedule{Group: v[api.EnvScheduleGroup], RoleARN: v[api.EnvScheduleRoleARN], TargetARN: v[api.EnvScheduleTargetARN],
			DLQARN: v[api.EnvScheduleDLQARN]},
	}
	if s := v[api.EnvHistoryDays]; s != "" {
		days, err := strconv.Atoi(s)
		if err != nil || days < 1 {
			return Config{}, fmt.Errorf("%s=%q: want a whole number of days, at least 1", api.EnvHistoryDays, s)
		}
		c.HistoryTTL = time.Duration(days) * 24 * time.Hour
	}
	if s := v[api.EnvReplyBudget]; s != "" {
		ms, err := strconv.Atoi(s)
		if err != nil || ms < 1 {
			return Config{}, fmt.Errorf("%s=%q: want whole milliseconds, at least 1", api.EnvReplyBudget, s)
		}
		c.ReplyBudget = time.Duration(ms) * time.Millisecond
	}
	var err error
	if c.Locale, err = i18n.Check(v[api.EnvLocale]); err != nil {
		return Config{}, fmt.Errorf("%s: %w", api.EnvLocale, err)
	}
	tz := cmp.Or(v[api.EnvTimeZone], api.DefaultTimeZone)
	if c.Zone, err = time.LoadLocation(tz); err != nil {
		return Config{}, fmt.Errorf("%s=%q: %w", api.EnvTimeZone, tz, err)
	}
	minutes := api.DefaultReminderMinutes
	if s := v[api.EnvReminderMinutes]; s != "" {
		if minutes, err = strconv.Atoi(s); err != nil || minutes < 0 {
			return Config{}, fmt.Errorf("%s=%q: want whole minutes, 0 for none", api.EnvReminderMinutes, s)
		}
	}
	c.Reminder = time.Duration(minutes) * time.Minute
	return c, nil
}

// PreconnectTimeout bounds Preconnect: it only saves the first request a handshake.
const PreconnectTimeout = time.Second

// Preconnect opens, in the background, the connection DynamoDB's first request will use,
// and returns a channel closed when it is open or has failed (an error is not reported:
// the request would then dial as it always does). It sends GET / to the endpoint the
// DynamoDB client resolves for cfg — DynamoDB answers that without authentication
// ("healthy: dynamodb.<region>.amazonaws.com") — through cfg.HTTPClient, which the SDK
// clients share (AWSFromEnv), so that the connection waits in its pool for GetItem.
func Preconnect(ctx context.Context, cfg aws.Config) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(ctx, PreconnectTimeout)
		defer cancel()
		ep, err := dynamodb.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, dynamodb.EndpointParameters{
			Region: aws.String(cfg.Region), Endpoint: cfg.BaseEndpoint})
		if err != nil || cfg.HTTPClient == nil {
			return
		}
		u := ep.URI
		u.Path, u.RawQuery = "/", ""
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return
		}
		resp, err := cfg.HTTPClient.Do(req)
		if err != nil {
			return
		}
		// Read to the end, so that the connection goes back to the pool.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}()
	return done
}

// AWSFromEnv is the SDK configuration from the environment Lambda gives a function:
// AWS_REGION and the role's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN. config.LoadDefaultConfig would also link and initialise the shared
// config files and the SSO, STS and IMDS credential providers — about 550 KB and several
// milliseconds of every cold start — which a Lambda function never uses.
//
// The AWS clients trust the roots of Amazon Trust Services (AmazonRootsPEM), which issue
// every AWS endpoint's certificate, instead of the system's: Go reads the system roots at
// the first TLS handshake, and on provided.al2023 that is 143 roots parsed three times
// over (the bundle, one file per root, the bundle again: golang/go#79018) — the largest
// CPU cost of a cold start on a small function's CPU share (docs/BENCHMARKS.md).
// AWS_CA_BUNDLE names a PEM file of more certificate authorities to trust; the
// benchmarks point it at their TLS proxy's CA. Production never sets it.
//
// Every client made from the result shares one HTTP client, and with it one pool of
// connections (see Preconnect): a frozen one, which no client copies (the SDK copies a
// buildable client, transport and all, when a defaults mode applies).
func AWSFromEnv() (aws.Config, error) {
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		return aws.Config{}, errors.New("AWS_REGION is not set")
	}
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return aws.Config{}, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN"))),
	}
	if ep := os.Getenv("AWS_ENDPOINT_URL"); ep != "" {
		cfg.BaseEndpoint = aws.String(ep)
	}
	roots, err := awsRoots()
	if err != nil {
		return aws.Config{}, err
	}
	cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		if tr.TLSClientConfig == nil {
			tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		tr.TLSClientConfig.RootCAs = roots
	}).Freeze()
	return cfg, nil
}

// AmazonRootsPEM are the five roots of Amazon Trust Services that
// https://www.amazontrust.com/repository/ recommends for a custom trust store: Amazon
// Root CA 1–4 and Starfield Services Root Certificate Authority - G2.
//
//go:embed amazon-trust-services.pem
var AmazonRootsPEM []byte

// awsRoots are the certificate authorities the AWS clients trust: AmazonRootsPEM and the
// PEM file AWS_CA_BUNDLE names.
func awsRoots() (*x509.CertPool, error) {
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(AmazonRootsPEM) {
		return nil, errors.New("no certificate in AmazonRootsPEM")
	}
	bundle := os.Getenv("AWS_CA_BUNDLE")
	if bundle == "" {
		return roots, nil
	}
	pem, err := os.ReadFile(bundle)
	if err != nil {
		return nil, fmt.Errorf("AWS_CA_BUNDLE: %w", err)
	}
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("AWS_CA_BUNDLE: %s holds no PEM certificate", bundle)
	}
	return roots, nil
}

// ForService is cfg for one service, honouring AWS_ENDPOINT_URL_<service> (e.g. DYNAMODB)
// as the SDK's shared config would: local servers and stubs in tests and benchmarks.
func ForService(cfg aws.Config, service string) aws.Config {
	if ep := os.Getenv("AWS_ENDPOINT_URL_" + service); ep != "" {
		cfg.BaseEndpoint = aws.String(ep)
	}
	return cfg
}

// SecretGetter is the Secrets Manager call Load makes: GetSecretValue's SecretString
// (nil for a binary secret).
type SecretGetter interface {
	GetSecretString(ctx context.Context, secretID string) (*string, error)
}

// FetchSecret reads and decodes the secret. Errors name the secret, never its value.
func FetchSecret(ctx context.Context, sm SecretGetter, arn string) (Secret, error) {
	value, err := sm.GetSecretString(ctx, arn)
	if err != nil {
		return Secret{}, fmt.Errorf("read secret %s: %w", arn, err)
	}
	var fields map[string]string
	if value == nil || json.Unmarshal([]byte(*value), &fields) != nil || fields == nil {
		return Secret{}, fmt.Errorf("read secret %s: not a JSON object of strings with %s and %s", arn, api.SecretKeySigningSecret, api.SecretKeyBotToken)
	}
	return Secret{SigningSecret: fields[api.SecretKeySigningSecret], BotToken: fields[api.SecretKeyBotToken]}, nil
}

// Level is the log level from AWS_LAMBDA_LOG_LEVEL (set by Lambda's application log level)
// or LOG_LEVEL; INFO by default.
func Level() slog.Level {
	return level(os.Getenv(api.EnvLambdaLogLevel), os.Getenv(api.EnvLogLevel))
}

func level(lambda, own string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(cmp.Or(lambda, own)))); err != nil {
		return slog.LevelInfo
	}
	return l
}

// Logger is the JSON logger every function writes to stderr, where Lambda collects it.
func (c Config) Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: c.LogLevel}))
}
