// Package wire assembles a function at cold start: it reads the configuration (package
// config), builds the DynamoDB store, the Slack verifier and poster and the asynchronous
// self-invoke, and starts the Lambda runtime loop with the handler. It is the one place
// that knows every adapter; a main.go names its handler and calls Start.
package wire

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/config"
	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/lambdas/selfinvoke"
	"github.com/orderbot/orderbot/lambdas/slackio"
	"github.com/orderbot/orderbot/lambdas/store/dynamo"
)

// Start is every function's main: it reads which function this is (api.EnvFunction, set
// by the stack from the route table), loads the configuration, builds that function's
// handler and hands it to the Lambda runtime. A cold start that fails (an unknown
// function, no table, an unreadable secret) is logged and exits 1, so Lambda reports an
// init error instead of running a half-configured handler.
func Start() {
	name := config.Function()
	fn, ok := handler.Functions[name]
	if !ok {
		slog.Error("cold start failed", "function", name, "error", api.EnvFunction+" names no function of the route table")
		os.Exit(1)
	}
	deps, err := Deps(context.Background(), fn.WebAPI)
	if err != nil {
		slog.Error("cold start failed", "function", name, "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(fn.New(deps))
}

// Deps loads the configuration and builds what a handler needs in production: the
// DynamoDB store, the verifier, the asynchronous self-invoke for slow commands and, when
// wanted, the poster.
//
// With a SecretSource (SECRET_ARN) the verifier and the poster share a slackio.Refresher:
// a request that fails verification, a mention to answer without a bot token, or a post
// Slack refuses the token of, re-reads the secret — at most once per
// slackio.DefaultRefreshInterval per execution environment, one read at a time.
func Deps(ctx context.Context, withPoster bool) (handler.Deps, error) {
	c, err := config.Load(ctx)
	if err != nil {
		return handler.Deps{}, err
	}
	messages, err := say.NewMessages(c.Locale)
	if err != nil {
		return handler.Deps{}, err
	}
	var w overrides
	switch {
	case c.SlackAPI != "":
		// The local stack given a real workspace's bot token: its Web API.
		w.slackAPI = c.SlackAPI
	case c.LocalSlack != "":
		// The local stack: Slack's Web API and response_urls are its stand-ins.
		w.slackAPI = strings.TrimRight(c.LocalSlack, "/") + api.LocalSlackWebAPIPath
	}
	d := build(c, withPoster, w)
	d.LoopbackResponseURLs = c.LocalSlack != ""
	d.Messages = messages
	deadlines(&d, c)
	return d, nil
}

// overrides is what tests replace; the zero value is production's.
type overrides struct {
	now      func() time.Time // time.Now when nil
	log      *slog.Logger     // Config.Logger() when nil
	interval time.Duration    // slackio.DefaultRefreshInterval when 0
	slackAPI string           // Slack's API base; slack.com's when ""
}

func build(c config.Config, withPoster bool, w overrides) handler.Deps {
	log := w.log
	if log == nil {
		log = c.Logger()
	}
	d := handler.Deps{
		Orders: &orders.Service{Store: dynamo.New(dynamodb.NewFromConfig(config.ForService(c.AWS, "DYNAMODB")), c.TableName, storeOptions(c)...)},
		Log:    log,
	}
	if c.Source == nil {
		d.Verifier = slackio.Verifier{Secret: []byte(c.SigningSecret), Now: w.now}
		if withPoster && c.BotToken != "" {
			d.Poster = slackio.NewPoster(c.BotToken, w.slackAPI)
		}
	} else {
		r := slackio.NewRefresher(
			slackio.Credentials{SigningSecret: []byte(c.SigningSecret), BotToken: c.BotToken},
			fetchFrom(c.Source),
			slackio.RefreshOptions{Interval: w.interval, Now: w.now, Log: log})
		d.Verifier = slackio.Verifier{Refresher: r, Now: w.now}
		if c.SigningSecret == "" {
			log.Warn("signing_secret is not set in the secret yet: requests get 500 until it is")
		}
		if withPoster {
			// Always set, so a bot token put into the secret later is used without a restart.
			d.Poster = &livePoster{creds: r, apiURL: w.slackAPI}
			if c.BotToken == "" {
				log.Warn("bot_token is not set in the secret yet: mentions are not answered until it is")
			}
		}
	}
	if c.Self != "" {
		d.Deferrer = selfinvoke.Deferrer{AWS: config.ForService(c.AWS, "LAMBDA"), Self: c.Self,
			HTTP: &http.Client{Timeout: selfinvoke.CallTimeout}}
		d.Budget = c.ReplyBudget
	}
	return d
}

func fetchFrom(src config.SecretSource) func(context.Context) (slackio.Credentials, error) {
	return func(ctx context.Context) (slackio.Credentials, error) {
		signing, token, err := src.Fetch(ctx)
		if err != nil {
			return slackio.Credentials{}, err
		}
		return slackio.Credentials{SigningSecret: []byte(signing), BotToken: token}, nil
	}
}

// errNoBotToken is a mention's reply failing while the secret has no bot_token.
var errNoBotToken = errors.New("no bot token configured: set " + api.SecretKeyBotToken + " in the secret " + api.EnvSecretARN + " names")

// livePoster posts with the Refresher's current bot token, building a slackio.Poster once per
// token.
type livePoster struct {
	creds  *slackio.Refresher
	apiURL string
	cur    atomic.Pointer[tokenPoster]
}

type tokenPoster struct {
	token  string
	poster *slackio.Poster
}

func (p *livePoster) PostThread(ctx context.Context, channel, threadTS, text string) error {
	return p.withToken(ctx, func(sp *slackio.Poster) error { return sp.PostThread(ctx, channel, threadTS, text) })
}

// OpenView opens a modal with the current bot token, reading the secret again when there
// is none yet or Slack refuses it (a trigger lasts 3 seconds: one retry at most).
func (p *livePoster) OpenView(ctx context.Context, triggerID string, v slack.ModalViewRequest) error {
	return p.withToken(ctx, func(sp *slackio.Poster) error { return sp.OpenView(ctx, triggerID, v) })
}

// withToken calls fn with a poster for the current bot token and, when Slack refuses
// that token and the secret has a different one, once more with that.
func (p *livePoster) withToken(ctx context.Context, fn func(*slackio.Poster) error) error {
	c := p.creds.Current()
	if c.BotToken == "" {
		if c = p.creds.Refresh(ctx, c); c.BotToken == "" {
			return errNoBotToken
		}
	}
	err := fn(p.poster(c.BotToken))
	if !tokenRefused(err) {
		return err
	}
	fresh := p.creds.Refresh(ctx, c)
	if fresh.BotToken == "" || fresh.BotToken == c.BotToken {
		return err
	}
	return fn(p.poster(fresh.BotToken))
}

func (p *livePoster) poster(token string) *slackio.Poster {
	if tp := p.cur.Load(); tp != nil && tp.token == token {
		return tp.poster
	}
	tp := &tokenPoster{token: token, poster: slackio.NewPoster(token, p.apiURL)}
	p.cur.Store(tp)
	return tp.poster
}

// tokenRefused reports whether Slack refused the bot token itself.
func tokenRefused(err error) bool {
	var e slack.SlackErrorResponse
	if !errors.As(err, &e) {
		return false
	}
	switch e.Err {
	case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive":
		return true
	}
	return false
}

// storeOptions are the table's settings from the configuration.
func storeOptions(c config.Config) []dynamo.Option {
	if c.HistoryTTL > 0 {
		return []dynamo.Option{dynamo.HistoryTTL(c.HistoryTTL)}
	}
	return nil
}
