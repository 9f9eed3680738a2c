package wire

import (
	"context"
	"net/http"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/config"
	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/schedule"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// deadlines configures rounds' deadlines from the configuration: every function gets the
// team's time zone (round messages show deadlines in it) and the reminder; the function
// the stack gives a schedule group (api.ScheduleFunction) also gets the EventBridge
// Scheduler client.
func deadlines(d *handler.Deps, c config.Config) {
	d.Zone, d.Reminder = c.Zone, c.Reminder
	if c.Schedule.Group != "" {
		d.Scheduler = schedule.AWS{AWS: config.ForService(c.AWS, "SCHEDULER"), Group: c.Schedule.Group,
			RoleARN: c.Schedule.RoleARN, TargetARN: c.Schedule.TargetARN, DeadLetterARN: c.Schedule.DLQARN,
			HTTP: &http.Client{Timeout: schedule.CallTimeout}}
	}
}

// PostEphemeral shows msg to user in channel with the current bot token: the answer
// when a response_url refuses it for good (expired, used up).
func (p *livePoster) PostEphemeral(ctx context.Context, channel, user string, msg *slack.Msg) error {
	return p.withToken(ctx, func(sp *slackio.Poster) error { return sp.PostEphemeral(ctx, channel, user, msg) })
}

// PostMessage posts to a channel with the current bot token (a deadline's tally once the
// command's response_url has expired).
func (p *livePoster) PostMessage(ctx context.Context, channel string, msg *slack.Msg) (string, error) {
	var ts string
	err := p.withToken(ctx, func(sp *slackio.Poster) error {
		var err error
		ts, err = sp.PostMessage(ctx, channel, msg)
		return err
	})
	return ts, err
}
