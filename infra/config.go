package infra

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say/i18n"
)

// Context keys: `cdk.json` lists every one with its default, `cdk -c key=value` overrides
// it, and a test keeps cdk.json and Defaults equal.
const (
	KeyStackName          = "stackName"
	KeyBuildDir           = "buildDir"
	KeyStageName          = "stageName"
	KeyLogRetentionDays   = "logRetentionDays"
	KeyLogLevel           = "logLevel"
	KeyExecutionLogLevel  = "executionLogLevel"
	KeyThrottleRate       = "throttleRateLimit"
	KeyThrottleBurst      = "throttleBurstLimit"
	KeyDeletionProtection = "tableDeletionProtection"
	KeySecretName         = "secretName"
	KeyAlarmEmail         = "alarmEmail"
	KeyCloudWatchRole     = "apiGatewayCloudWatchRole"
	KeyGitHubRepo         = "githubRepo"
	KeyGitHubProviderARN  = "githubOidcProviderArn"
	KeyLocale             = "locale"
	KeyTimeZone           = "timezone"
	KeyReminderMinutes    = "reminderMinutes"
	KeyHistoryDays        = "historyDays"
	KeyWAFRateLimit       = "wafRateLimit"
)

// Defaults are the context values used when a key is not set.
var Defaults = map[string]any{
	// The Makefile's STACK default; cdk deploy/diff name the stack this way.
	KeyStackName: "Orderbot",
	// Relative to the directory the cdk CLI runs in (the repo root); `make build` fills it.
	KeyBuildDir:         "lambdas/build",
	KeyStageName:        "prod",
	KeyLogRetentionDays: 30,
	KeyLogLevel:         "INFO",
	// ERROR keeps execution logs to failures: INFO would log every request's metadata a
	// second time next to the access log.
	KeyExecutionLogLevel: "ERROR",
	// One workspace's humans typing slash commands rarely exceed a few requests a second;
	// Slack retries events, so the burst allows a small storm without 429s, while the rate
	// caps what a leaked URL can cost.
	KeyThrottleRate:       10,
	KeyThrottleBurst:      20,
	KeyDeletionProtection: true,
	// Empty: the stack creates the secret. A name: the stack imports that secret.
	KeySecretName: "",
	// Empty: alarms without notifications. An address: an SNS topic emails it.
	KeyAlarmEmail: "",
	// API Gateway's CloudWatch role is one per account and region. Set false when another
	// stack already manages it, so that two stacks do not overwrite each other's setting.
	KeyCloudWatchRole: true,
	// "owner/name": the app also defines the CI stack (GitHubStackName) whose roles that
	// repository's workflows assume: the diff role (pull requests) and the deploy role
	// (the production environment). Empty: no CI stack.
	KeyGitHubRepo: "",
	// An existing GitHub OIDC provider's ARN (one per account); empty creates one.
	KeyGitHubProviderARN: "",
	// The language of every message the bot sends (api.EnvLocale): en or ko. Keywords
	// work in both whatever it is.
	KeyLocale: "en",
	// The team's time zone (IANA) for deadlines typed as a time of day (api.EnvTimeZone).
	KeyTimeZone: api.DefaultTimeZone,
	// How many minutes before a round's deadline the channel is reminded; 0: never.
	KeyReminderMinutes: api.DefaultReminderMinutes,
	// How many days closed rounds stay in a channel's history (api.EnvHistoryDays), after
	// which the table's TTL deletes them.
	KeyHistoryDays: int(orders.DefaultHistoryTTL / (24 * time.Hour)),
	// Requests one IP address may send in 5 minutes before an AWS WAF web ACL blocks it;
	// 0: no web ACL (it costs a fixed ≈ $6 a month; README, "Per-client throttling").
	KeyWAFRateLimit: 0,
}

// Fixed choices, not context: changing them changes the latency budget.
const (
	// MemoryMB: Lambda gives CPU in proportion to memory (1,769 MB = one vCPU), but its
	// published init durations are nearly flat across sizes: the share applies to
	// invocations, not to the init phase. Calibrated on those figures, orderbot's cold start
	// is about the same from 256 to 1,024 MB while GB-seconds grow with memory; at 128 MB a
	// warm invocation overdraws its quota. 256 MB is the power-tuning choice
	// (docs/BENCHMARKS.md, section 7; README, "Cost per million commands").
	MemoryMB = 256
	// DurationAlarmMs is the p99 handler time of synchronous requests that alarms: 2000 ms
	// leaves 500 ms of the 2500 ms integration timeout for API Gateway and the network.
	// Deferred runs are not measured: they answer through response_url, not the deadline.
	DurationAlarmMs = 2000
	// MetricNamespace names the metrics counted from the handlers' logs: MetricRejected,
	// the requests a handler rejected (401/400), and MetricSyncDuration, the handler time
	// of each synchronous request in milliseconds.
	MetricNamespace    = "Orderbot"
	MetricRejected     = "RejectedRequests"
	MetricSyncDuration = "SyncRequestDuration"
	// HandlerName is the executable the provided.al2023 runtime starts.
	HandlerName = "bootstrap"
)

// Config is the stack's context, parsed and checked.
type Config struct {
	StackName          string
	BuildDir           string
	StageName          string
	LogRetention       awslogs.RetentionDays
	LogRetentionDays   int
	LogLevel           string
	ExecutionLogLevel  string
	GitHubRepo         string
	GitHubProviderARN  string
	ThrottleRate       float64
	ThrottleBurst      float64
	DeletionProtection bool
	SecretName         string
	AlarmEmail         string
	CloudWatchRole     bool
	Locale             string
	TimeZone           string
	ReminderMinutes    int
	HistoryDays        int
	WAFRateLimit       int
}

// retentions are the values CloudWatch Logs accepts.
var retentions = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

var (
	lambdaLogLevels    = []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
	executionLogLevels = []string{"ERROR", "INFO"}
)

// ConfigFrom reads the context of scope. Values from cdk.json arrive as JSON numbers and
// booleans, values from `-c key=value` as strings: both are accepted.
func ConfigFrom(scope constructs.Construct) (Config, error) {
	r := reader{node: scope.Node()}
	c := Config{
		StackName:          r.str(KeyStackName),
		BuildDir:           r.str(KeyBuildDir),
		StageName:          r.str(KeyStageName),
		LogRetentionDays:   int(r.num(KeyLogRetentionDays)),
		LogLevel:           strings.ToUpper(r.str(KeyLogLevel)),
		ExecutionLogLevel:  strings.ToUpper(r.str(KeyExecutionLogLevel)),
		ThrottleRate:       r.num(KeyThrottleRate),
		ThrottleBurst:      r.num(KeyThrottleBurst),
		DeletionProtection: r.boolean(KeyDeletionProtection),
		SecretName:         r.str(KeySecretName),
		AlarmEmail:         r.str(KeyAlarmEmail),
		GitHubRepo:         r.str(KeyGitHubRepo),
		GitHubProviderARN:  r.str(KeyGitHubProviderARN),
		CloudWatchRole:     r.boolean(KeyCloudWatchRole),
		TimeZone:           r.str(KeyTimeZone),
		ReminderMinutes:    int(r.num(KeyReminderMinutes)),
		HistoryDays:        int(r.num(KeyHistoryDays)),
		WAFRateLimit:       int(r.num(KeyWAFRateLimit)),
	}
	var ok bool
	locale, localeErr := i18n.Check(r.str(KeyLocale))
	switch {
	case r.err != nil:
		return c, r.err
	case localeErr != nil:
		return c, fmt.Errorf("context %s: %w", KeyLocale, localeErr)
	case c.StackName == "" || c.BuildDir == "" || c.StageName == "":
		return c, fmt.Errorf("context: %s, %s and %s must not be empty", KeyStackName, KeyBuildDir, KeyStageName)
	case !slices.Contains(lambdaLogLevels, c.LogLevel):
		return c, fmt.Errorf("context %s=%q: want one of %v", KeyLogLevel, c.LogLevel, lambdaLogLevels)
	case !slices.Contains(executionLogLevels, c.ExecutionLogLevel):
		return c, fmt.Errorf("context %s=%q: want one of %v", KeyExecutionLogLevel, c.ExecutionLogLevel, executionLogLevels)
	case c.ThrottleRate <= 0 || c.ThrottleBurst < 1:
		return c, fmt.Errorf("context %s and %s must be positive", KeyThrottleRate, KeyThrottleBurst)
	case c.AlarmEmail != "" && !strings.Contains(c.AlarmEmail, "@"):
		return c, fmt.Errorf("context %s=%q: not an email address", KeyAlarmEmail, c.AlarmEmail)
	case c.HistoryDays < 1 || c.HistoryDays > 3650:
		return c, fmt.Errorf("context %s=%d: want 1 to 3650 days", KeyHistoryDays, c.HistoryDays)
	case c.ReminderMinutes < 0 || c.ReminderMinutes > 60:
		return c, fmt.Errorf("context %s=%d: want 0 (no reminder) to 60", KeyReminderMinutes, c.ReminderMinutes)
	case c.WAFRateLimit != 0 && (c.WAFRateLimit < 10 || c.WAFRateLimit > 2e9):
		return c, fmt.Errorf("context %s=%d: want 0 (no web ACL) or 10 to 2,000,000,000 requests per IP in 5 minutes", KeyWAFRateLimit, c.WAFRateLimit)
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "" || c.TimeZone == "Local" {
		return c, fmt.Errorf("context %s=%q: want an IANA time zone such as %s", KeyTimeZone, c.TimeZone, api.DefaultTimeZone)
	}
	if c.LogRetention, ok = retentions[c.LogRetentionDays]; !ok {
		return c, fmt.Errorf("context %s=%d: not a CloudWatch Logs retention", KeyLogRetentionDays, c.LogRetentionDays)
	}
	c.Locale = locale
	return c, nil
}

type reader struct {
	node constructs.Node
	err  error
}

func (r *reader) get(key string) any {
	if v := r.node.TryGetContext(&key); v != nil {
		return v
	}
	return Defaults[key]
}

func (r *reader) fail(key string, v any, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("context %s=%v: want %s", key, v, want)
	}
}

func (r *reader) str(key string) string {
	switch v := r.get(key).(type) {
	case string:
		return strings.TrimSpace(v)
	default:
		r.fail(key, v, "a string")
		return ""
	}
}

func (r *reader) num(key string) float64 {
	switch v := r.get(key).(type) {
	case float64:
		return v
	case int:
		return float64(v)
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err == nil {
			return f
		}
		r.fail(key, v, "a number")
	default:
		r.fail(key, v, "a number")
	}
	return 0
}

func (r *reader) boolean(key string) bool {
	switch v := r.get(key).(type) {
	case bool:
		return v
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err == nil {
			return b
		}
		r.fail(key, v, "true or false")
	default:
		r.fail(key, v, "true or false")
	}
	return false
}
