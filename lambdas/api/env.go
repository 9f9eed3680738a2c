package api

// Names the stack and the functions must agree on: the stack sets them (infra), the
// functions read them (lambdas/wire). Defined once here, imported by both sides.
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

// Keys of the JSON object in the secret EnvSecretARN names.
const (
	SecretKeySigningSecret = "signing_secret"
	SecretKeyBotToken      = "bot_token"
)
