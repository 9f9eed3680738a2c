package wire

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"
	// The team's time zone must load whatever the runtime image ships in
	// /usr/share/zoneinfo: the database is compiled in (about 450 KB).
	_ "time/tzdata"

	slackgo "github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/config"
	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/schedule"
	"github.com/orderbot/orderbot/lambdas/slack"
)

// deadlines configures rounds' deadlines from the environment the stack sets on the
// schedule function (api.EnvSchedule*, api.EnvTimeZone, api.EnvReminderMinutes): the
// EventBridge Scheduler client, the team's time zone and the reminder. Other functions
// get the zone only (round messages show deadlines in it).
func deadlines(d *handler.Deps, c config.Config) error {
	tz := os.Getenv(api.EnvTimeZone)
	if tz == "" {
		tz = api.DefaultTimeZone
	}
	zone, err := time.LoadLocation(tz)
	if err != nil {
		return fmt.Errorf("%s=%q: %w", api.EnvTimeZone, tz, err)
	}
	d.Zone = zone
	minutes := api.DefaultReminderMinutes
	if v := os.Getenv(api.EnvReminderMinutes); v != "" {
		if minutes, err = strconv.Atoi(v); err != nil || minutes < 0 {
			return fmt.Errorf("%s=%q: want whole minutes, 0 for none", api.EnvReminderMinutes, v)
		}
	}
	d.Reminder = time.Duration(minutes) * time.Minute
	if group := os.Getenv(api.EnvScheduleGroup); group != "" {
		d.Scheduler = schedule.AWS{AWS: config.ForService(c.AWS, "SCHEDULER"), Group: group,
			RoleARN: os.Getenv(api.EnvScheduleRoleARN), TargetARN: os.Getenv(api.EnvScheduleTargetARN)}
	}
	return nil
}

// PostMessage posts to a channel with the current bot token (a deadline's tally once the
// command's response_url has expired).
func (p *livePoster) PostMessage(ctx context.Context, channel string, msg *slackgo.Msg) (string, error) {
	var ts string
	err := p.withToken(ctx, func(sp *slack.Poster) error {
		var err error
		ts, err = sp.PostMessage(ctx, channel, msg)
		return err
	})
	return ts, err
}
