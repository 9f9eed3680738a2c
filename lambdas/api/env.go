package api

// Names the stack and the functions must agree on: the stack sets them (infra), the
// functions read them (lambdas/config, the one place that reads the environment).
// Defined once here, imported by both sides; Settings lists every one with who sets it.
const (
	// EnvFunction names the route's function (Route.Function) the bootstrap serves: every
	// function runs the same binary.
	EnvFunction = "ORDERBOT_FUNCTION"
	// EnvHistoryDays is how many days a closed round stays in the channel's history
	// (/order-list history, /order-update again): the TTL of history items.
	EnvHistoryDays = "ORDERBOT_HISTORY_DAYS"
	// EnvTableName names the DynamoDB table.
	EnvTableName = "TABLE_NAME"
	// EnvSecretARN names the Secrets Manager secret holding the JSON object whose keys are
	// SecretKeySigningSecret and SecretKeyBotToken.
	EnvSecretARN = "SECRET_ARN"
	// EnvLogLevel is the handler's log level (DEBUG, INFO, WARN, ERROR); Lambda's own
	// AWS_LAMBDA_LOG_LEVEL wins over it.
	EnvLogLevel = "LOG_LEVEL"
	// EnvReplyBudget is how long, in milliseconds, a command may work before it answers
	// "working on it" and finishes asynchronously.
	EnvReplyBudget = "REPLY_BUDGET_MS"
	// EnvLocale is the language of every message the bot sends: "en" (the default) or
	// "ko". Keywords work in every language whatever it is.
	EnvLocale = "ORDERBOT_LOCALE"
)

// SetBy is who puts a variable into a function's environment.
type SetBy int

const (
	// ByStack: the stack sets it on every function, from one table (infra).
	ByStack SetBy = iota
	// ByStackSchedule: the stack sets it on ScheduleFunction only, the one function that
	// may create schedules.
	ByStackSchedule
	// ByLambda: Lambda sets it (the function's name, its log level).
	ByLambda
	// ByLocal: only a local run sets it (the secrets without Secrets Manager).
	ByLocal
)

// Setting is one environment variable a function reads.
type Setting struct {
	Name string
	By   SetBy
}

// Settings is every variable config.Load reads to configure a function, besides the AWS
// SDK's own (region, credentials, endpoints). A test holds config.Load to this list and
// another the synthesized template's Environment of every function.
var Settings = []Setting{
	{EnvFunction, ByStack}, {EnvTableName, ByStack}, {EnvSecretARN, ByStack}, {EnvLogLevel, ByStack},
	{EnvReplyBudget, ByStack}, {EnvLocale, ByStack}, {EnvHistoryDays, ByStack},
	{EnvTimeZone, ByStack}, {EnvReminderMinutes, ByStack},
	{EnvScheduleGroup, ByStackSchedule}, {EnvScheduleRoleARN, ByStackSchedule}, {EnvScheduleTargetARN, ByStackSchedule},
	{EnvScheduleDLQARN, ByStackSchedule},
	{EnvLambdaFunctionName, ByLambda}, {EnvLambdaLogLevel, ByLambda},
	{EnvSigningSecret, ByLocal}, {EnvBotToken, ByLocal}, {EnvLocalSlack, ByLocal}, {EnvSlackAPI, ByLocal},
}

// SettingsFor is the names of the variables the stack sets on function, in Settings'
// order.
func SettingsFor(function FunctionName) []string {
	var out []string
	for _, s := range Settings {
		if s.By == ByStack || s.By == ByStackSchedule && function == ScheduleFunction {
			out = append(out, s.Name)
		}
	}
	return out
}

// Variables Lambda sets, and the local stand-ins for the secret.
const (
	EnvLambdaFunctionName = "AWS_LAMBDA_FUNCTION_NAME"
	EnvLambdaLogLevel     = "AWS_LAMBDA_LOG_LEVEL"
	// EnvSigningSecret and EnvBotToken carry the Slack secrets where there is no
	// EnvSecretARN (tests, local runs).
	EnvSigningSecret = "SLACK_SIGNING_SECRET"
	EnvBotToken      = "SLACK_BOT_TOKEN"
	// EnvLocalSlack is the base URL of `orderbot dev`'s Slack stand-in, set by the local
	// stack only: the function calls its Web API (LocalSlackWebAPIPath) and accepts
	// response_urls on this machine. Lambda never sets it.
	EnvLocalSlack = "ORDERBOT_LOCAL_SLACK"
	// EnvSlackAPI is the base URL of the Slack Web API the function calls with the bot
	// token, set by the local stack only when `orderbot dev` is given a real workspace's
	// SLACK_BOT_TOKEN (the value of its SLACK_API_URL, else slack.com's): it wins over
	// EnvLocalSlack's stand-in. Lambda never sets it (slack.com's).
	EnvSlackAPI = "SLACK_API_URL"
)

// LocalSlackWebAPIPath is where the local Slack stand-in serves the Web API, under
// EnvLocalSlack.
const LocalSlackWebAPIPath = "/_slack/api/"

// Keys of the JSON object in the secret EnvSecretARN names.
const (
	SecretKeySigningSecret = "signing_secret"
	SecretKeyBotToken      = "bot_token"
)
