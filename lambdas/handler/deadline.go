package handler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/schedule"
	"github.com/orderbot/orderbot/lambdas/slack"
)

// deadlineArg is what `/order-list close <arg>` asks for: a deadline, or none (remove).
type deadlineArg struct {
	at      time.Time // zero: remove the deadline
	problem string    // the argument could not be taken; the usage reply says why
	// note names a choice the time of day left open (a daylight-saving gap or overlap),
	// for the reply: never a silent shift (issue #21).
	note string
}

// The patterns compile at the first `close <arg>`, not at every cold start: a cold
// /order-list never needs them (issue #24).
var (
	// 11:30, 11:30pm, 11:30 PM, 11 pm, 11 p.m. (lower-cased before matching).
	clockPattern = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$`)
	})
	// 11시, 11시 30분, 3시 반, 오후 3시, 오전 11시 30분.
	clockPatternKo = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:(오전|오후)\s*)?(\d{1,2})\s*시(?:\s*(?:(\d{1,2})\s*분|(반)))?$`)
	})
	durationPattern = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:(\d+)\s*(?:h|hr|hrs|hour|hours|시간))?\s*(?:(\d+)\s*(?:m|min|mins|minute|minutes|분))?$`)
	})
	neverWords = map[string]bool{"never": true, "none": true, "off": true, "없음": true, "해제": true, "취소": true, "cancel": true}
)

// parseDeadline reads close's argument, in English or Korean: `never` (없음, 해제)
// removes the deadline; `[at] 11:30` (11시 30분) is that time today in zone, refused
// when it has passed; `[in] 20m` / `1h30m` (20분, 1시간 30분, optionally followed by 후 or
// 뒤) is that long from now. A deadline is at most api.MaxDeadline ahead.
func parseDeadline(m slack.Messages, arg string, now time.Time, zone *time.Location) deadlineArg {
	s := strings.ToLower(strings.Join(strings.Fields(arg), " "))
	if neverWords[s] {
		return deadlineArg{}
	}
	var at time.Time
	var note string
	switch rest, isAt := strings.CutPrefix(s, "at "); {
	case isClock(rest):
		h, mi, twelve, ok := clockOf(rest)
		if !ok {
			return deadlineArg{problem: m.DeadlineProblem(arg)}
		}
		var past bool
		at, note, past = today(m, h, mi, now, zone)
		if past && twelve {
			// 3시 said without 오전/오후 is read on a 12-hour clock, as it is spoken: the
			// afternoon one once the morning one has passed (the reply shows which).
			at, note, past = today(m, h+12, mi, now, zone)
		}
		if past {
			return deadlineArg{problem: m.DeadlinePast(at, now)}
		}
	case isAt:
		return deadlineArg{problem: m.DeadlineProblem(arg)}
	default:
		d, ok := parseDuration(s)
		if !ok {
			return deadlineArg{problem: m.DeadlineProblem(arg)}
		}
		at = now.Add(d).Truncate(time.Second)
	}
	if at.Sub(now) > api.MaxDeadline {
		return deadlineArg{problem: m.DeadlineTooFar(api.MaxDeadline)}
	}
	return deadlineArg{at: at, note: note}
}

// isClock reports whether s is written as a time of day: with a colon or am/pm, or
// Korean 시; a bare number is not (a duration without its unit is refused).
func isClock(s string) bool {
	if g := clockPattern().FindStringSubmatch(s); g != nil {
		return g[2] != "" || g[3] != ""
	}
	return clockPatternKo().MatchString(s)
}

// clockOf reads a time of day as people write it, into 24-hour h:mi: 11:30, 11:30pm,
// 11:30 PM, 12am (00:00), 12pm (noon), 11시 30분, 3시 반 (3:30), 오후 3시 (15:00), 오전 11시.
// With am/pm (오전/오후) the hour is 1–12. twelve marks a Korean hour of 1–11 said
// without 오전/오후, which may mean the afternoon.
func clockOf(s string) (h, mi int, twelve, ok bool) {
	var half string
	var hs, ms string
	if g := clockPattern().FindStringSubmatch(s); g != nil {
		hs, ms, half = g[1], g[2], strings.ReplaceAll(g[3], ".", "")
	} else if g := clockPatternKo().FindStringSubmatch(s); g != nil {
		hs, ms, half = g[2], g[3], map[string]string{"오전": "am", "오후": "pm"}[g[1]]
		if g[4] != "" {
			ms = "30" // 반: half past
		}
		twelve = g[1] == ""
	} else {
		return 0, 0, false, false
	}
	h, _ = strconv.Atoi(hs)
	if ms != "" {
		mi, _ = strconv.Atoi(ms)
	}
	if half != "" {
		if h < 1 || h > 12 {
			return 0, 0, false, false
		}
		h %= 12
		if half == "pm" {
			h += 12
		}
	}
	return h, mi, twelve && h >= 1 && h <= 11, h <= 23 && mi <= 59
}

// today is h:mi today in zone, the next one still ahead when the clocks fall back and it
// comes twice, with a note naming the choice; past reports that it has gone by (at is
// then the latest one). A time the clocks skip (spring forward) is read on the clock
// before the change, which the note says: 02:30 becomes 03:30 EDT.
func today(m slack.Messages, h, mi int, now time.Time, zone *time.Location) (at time.Time, note string, past bool) {
	local := now.In(zone)
	typed := fmt.Sprintf("%02d:%02d", h, mi)
	times := wallTimes(local.Year(), local.Month(), local.Day(), h, mi, zone)
	switch len(times) {
	case 0:
		before := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, zone)
		_, off := before.Zone()
		at = time.Date(local.Year(), local.Month(), local.Day(), h, mi, 0, 0, time.FixedZone("", off)).In(zone)
		return at, m.DeadlineSkipped(typed, at, now), !at.After(now)
	case 1:
		return times[0], "", !times[0].After(now)
	}
	for i, t := range times {
		if t.After(now) {
			return t, m.DeadlineTwice(typed, t, times[1-i], now), false
		}
	}
	return times[len(times)-1], "", true
}

// wallTimes are the instants that read h:mi on day y-mo-d in zone: one, none (the clocks
// skip it) or two (they fall back over it), earliest first.
func wallTimes(y int, mo time.Month, d, h, mi int, zone *time.Location) []time.Time {
	guess := time.Date(y, mo, d, h, mi, 0, 0, zone)
	var out []time.Time
	for _, shift := range []time.Duration{-2 * time.Hour, -time.Hour, -30 * time.Minute, 0, 30 * time.Minute, time.Hour, 2 * time.Hour} {
		t := guess.Add(shift).In(zone)
		if t.Day() == d && t.Hour() == h && t.Minute() == mi && !slices.ContainsFunc(out, t.Equal) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, time.Time.Compare)
	return out
}

func parseDuration(s string) (time.Duration, bool) {
	s = strings.TrimPrefix(s, "in ")
	for _, suffix := range []string{" 후", " 뒤", "후", "뒤"} {
		s = strings.TrimSuffix(s, suffix)
	}
	g := durationPattern().FindStringSubmatch(strings.TrimSpace(s))
	if g == nil || (g[1] == "" && g[2] == "") {
		return 0, false
	}
	h, _ := strconv.Atoi(g[1])
	mi, _ := strconv.Atoi(g[2])
	if h > 48 || mi > 48*60 {
		return 0, false
	}
	d := time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute
	return d, d > 0
}

// now is the orders service's clock (a test's), else the wall clock.
func (d Deps) now() time.Time {
	if d.Orders != nil && d.Orders.Now != nil {
		return d.Orders.Now()
	}
	return time.Now()
}

func (d Deps) zone() *time.Location {
	if d.Zone != nil {
		return d.Zone
	}
	return time.UTC
}

// inZone is r with its deadline in the team's zone, as messages show it.
func (d Deps) inZone(r orders.Round) orders.Round {
	if !r.Deadline.IsZero() {
		r.Deadline = r.Deadline.In(d.zone())
	}
	return r
}

// deadlineTask is `/order-list close <arg>`: set, replace or remove the round's
// deadline, then schedule its close (and reminder) and delete the replaced one's.
func (d Deps) deadlineTask(t *task, ev api.Event, cmd slackgo.SlashCommand, ch orders.Channel, arg deadlineArg, log *slog.Logger) {
	req := requestOf(ev)
	req.User = cmd.UserID
	var unscheduled atomic.Bool // the last attempt could not create the schedules
	t.op = func(ctx context.Context) (*slackgo.Msg, error) {
		before, err := d.Orders.Current(ctx, ch)
		if err != nil {
			return nil, api.Internal("read round", err)
		}
		// The schedules first, the deadline after (issue #21): a deadline is never saved
		// that nothing will close. A schedule whose deadline was never saved finds the
		// round's deadline set by another request, or none, when it fires and does nothing.
		if !arg.at.IsZero() && !arg.at.After(d.now()) {
			// A run delayed past the deadline it was to set: saved now, it would never fire.
			return d.passedDeadline(ctx, ch, req, arg.at)
		}
		if !arg.at.IsZero() {
			if err := d.scheduleDeadline(ctx, ch, cmd, req, arg.at); err != nil {
				unscheduled.Store(true)
				return nil, api.Internal("schedule deadline", err)
			}
			unscheduled.Store(false)
		}
		res, err := d.Orders.SetDeadline(ctx, ch, arg.at, req)
		switch {
		case errors.Is(err, orders.ErrNoOpenRound):
			if !arg.at.IsZero() {
				d.unschedule(ctx, req.ID, log)
			}
			return d.Messages.NoOpenRound(), nil
		case err != nil:
			return nil, api.Internal("set deadline", err)
		}
		if !arg.at.IsZero() && res.Round.DeadlineBy != req.ID {
			d.unschedule(ctx, req.ID, log) // superseded: its schedules are tidied away
		}
		if before.DeadlineBy != "" && before.DeadlineBy != res.Round.DeadlineBy {
			d.unschedule(ctx, before.DeadlineBy, log)
		}
		log.Info("deadline set", "team", ch.Team, "channel", ch.Channel, "round", res.Round.ID,
			"deadline", res.Round.Deadline, "outcome", res.Outcome.String())
		var notes []string
		if arg.note != "" {
			notes = append(notes, arg.note)
		}
		if !arg.at.IsZero() && arg.at.Sub(req.At) >= api.ResponseURLValidity-respondTimeout {
			// Past the command's response_url the tally goes with the bot token, which
			// a private channel refuses until the bot is invited (issue #21, finding 3).
			notes = append(notes, d.Messages.DeadlineInviteHint())
		}
		if len(notes) > 0 && res.Round.Open() && res.Round.DeadlineBy == req.ID {
			return d.Messages.DeadlineSet(res.Round.Deadline.In(d.zone()), d.now(), notes...), nil
		}
		return d.deadlineReply(res.Round), nil
	}
	t.giveUp = func(ctx context.Context) *slackgo.Msg {
		res, err := d.Orders.Abandon(ctx, ch, orders.Target{Deadline: true}, req)
		switch {
		case err != nil:
			log.Error("abandon failed", "error", err.Error())
			return d.Messages.Unknown()
		case res.Outcome == orders.Applied && unscheduled.Load():
			return d.Messages.DeadlineNotScheduled()
		case res.Outcome == orders.Applied:
			return d.Messages.DeadlineNotSaved()
		}
		return d.deadlineReply(res.Round)
	}
}

// passedDeadline answers a deadline request whose time passed before it could be set: it
// is given up for good (Abandon), unless an earlier delivery set it — then the round says.
func (d Deps) passedDeadline(ctx context.Context, ch orders.Channel, req orders.Request, at time.Time) (*slackgo.Msg, error) {
	res, err := d.Orders.Abandon(ctx, ch, orders.Target{Deadline: true}, req)
	switch {
	case err != nil:
		return nil, api.Internal("abandon a passed deadline", err)
	case res.Outcome == orders.Applied:
		return d.Messages.Usage("/order-list", d.Messages.DeadlinePast(at.In(d.zone()), d.now())), nil
	}
	return d.deadlineReply(res.Round), nil
}

// deadlineReply says what the round's deadline is now.
func (d Deps) deadlineReply(r orders.Round) *slackgo.Msg {
	if r.Deadline.IsZero() || !r.Open() {
		return d.Messages.DeadlineRemoved()
	}
	return d.Messages.DeadlineSet(r.Deadline.In(d.zone()), d.now())
}

// scheduleDeadline creates the close at `at` and, when there is time for it, the
// reminder d.Reminder before. Names are the request's, so a repeat creates nothing new.
func (d Deps) scheduleDeadline(ctx context.Context, ch orders.Channel, cmd slackgo.SlashCommand, req orders.Request, at time.Time) error {
	if d.Scheduler == nil {
		return errors.New("no scheduler configured")
	}
	fire := api.ScheduleFire{Kind: api.ScheduleClose, Team: ch.Team, Channel: ch.Channel, DeadlineBy: req.ID,
		Deadline: at, At: at, User: cmd.UserID, ResponseURL: cmd.ResponseURL, SetAt: req.At}
	if d.Reminder > 0 && at.Sub(d.now()) > d.Reminder {
		remind := fire
		remind.Kind, remind.At = api.ScheduleRemind, at.Add(-d.Reminder)
		if err := d.createSchedule(ctx, remind); err != nil {
			return err
		}
	}
	return d.createSchedule(ctx, fire)
}

func (d Deps) createSchedule(ctx context.Context, f api.ScheduleFire) error {
	name, err := schedule.Name(f.Kind, f.DeadlineBy)
	if err != nil {
		return err
	}
	input, err := json.Marshal(api.Event{Schedule: &f})
	if err != nil {
		return err
	}
	return d.Scheduler.Create(ctx, schedule.Schedule{Name: name, At: f.At, Input: input})
}

// unschedule deletes a replaced or removed deadline's schedules. It is tidying only: a
// schedule that fires anyway finds the round's deadline set by another request and does
// nothing.
func (d Deps) unschedule(ctx context.Context, deadlineBy string, log *slog.Logger) {
	if d.Scheduler == nil {
		return
	}
	for _, k := range []api.ScheduleKind{api.ScheduleRemind, api.ScheduleClose} {
		name, err := schedule.Name(k, deadlineBy)
		if err == nil {
			err = d.Scheduler.Delete(ctx, name)
		}
		if err != nil {
			log.Warn("schedule not deleted: it will find its deadline gone", "kind", k, "error", err.Error())
		}
	}
}

// derivedID is the request id of what a schedule does for deadline request by: the same
// for every firing of it.
func derivedID(kind api.ScheduleKind, by string) string {
	sum := sha256.Sum256([]byte("deadline:" + string(kind) + ":" + by))
	return hex.EncodeToString(sum[:16])
}

// scheduled runs a schedule firing. It accepts only the shape a direct invoke makes (see
// api.Event.IsScheduleOnly). Scheduler and Lambda deliver at least once, so the close is
// a request of its own (derivedID) that the store applies once, only while the round's
// deadline is still the one that fired, and the post is claimed like a deferred answer.
func (d Deps) scheduled(ctx context.Context, ev api.Event, log *slog.Logger) (*slackgo.Msg, error) {
	if !ev.IsScheduleOnly() {
		return nil, api.BadRequest("schedule field alongside a request", nil)
	}
	f := *ev.Schedule
	ch := orders.Channel{Team: f.Team, Channel: f.Channel}
	log = log.With("schedule", string(f.Kind), "deadline_by", f.DeadlineBy, "team", f.Team, "channel", f.Channel)
	if f.DeadlineBy == "" || f.Deadline.IsZero() {
		return nil, api.BadRequest("schedule without its deadline", nil)
	}
	switch f.Kind {
	case api.ScheduleClose:
		return nil, d.closeAtDeadline(ctx, ch, f, log)
	case api.ScheduleRemind:
		return nil, d.remind(ctx, ch, f, log)
	}
	return nil, api.BadRequest("unknown schedule kind", nil)
}

func (d Deps) closeAtDeadline(ctx context.Context, ch orders.Channel, f api.ScheduleFire, log *slog.Logger) error {
	req := orders.Request{ID: derivedID(api.ScheduleClose, f.DeadlineBy), At: f.Deadline, DeadlineBy: f.DeadlineBy,
		User: orders.ClosedByDeadline}
	res, err := d.Orders.Close(ctx, ch, req)
	switch {
	case errors.Is(err, orders.ErrStale), errors.Is(err, orders.ErrNoOpenRound):
		log.Info("deadline no longer applies: replaced, removed or closed by hand")
		return nil
	case err != nil:
		return api.Internal("close at deadline", err) // Lambda retries the invocation
	case res.NoChange || res.Round.ID == "":
		log.Info("deadline close found nothing to close")
		return nil
	}
	log.Info("round closed at its deadline", "round", res.Round.ID, "orders", len(res.Round.Orders), "outcome", res.Outcome.String())
	msg := d.Messages.ClosedAtDeadline(res.Round, f.Deadline.In(d.zone()))
	return d.postToChannel(ctx, req.ID, f, msg, log)
}

func (d Deps) remind(ctx context.Context, ch orders.Channel, f api.ScheduleFire, log *slog.Logger) error {
	r, err := d.Orders.Current(ctx, ch)
	switch {
	case err != nil:
		return api.Internal("read round", err)
	case !r.Open() || r.ID == "" || r.DeadlineBy != f.DeadlineBy:
		log.Info("reminder no longer applies: the deadline was replaced or removed, or the round closed")
		return nil
	}
	msg := d.Messages.Reminder(r, f.Deadline.In(d.zone()), f.Deadline.Sub(f.At))
	return d.postToChannel(ctx, derivedID(api.ScheduleRemind, f.DeadlineBy), f, msg, log)
}

// postToChannel posts msg to the channel once across every firing (id's claim): through
// the deadline-setting command's response_url while Slack still takes it, else with the
// bot token (chat.postMessage). With neither, the round is closed all the same and the
// error is logged: someone's /order-list shows the tally.
func (d Deps) postToChannel(ctx context.Context, id string, f api.ScheduleFire, msg *slackgo.Msg, log *slog.Logger) error {
	urlOK := f.ResponseURL != "" && d.checkResponseURL(f.ResponseURL) == nil &&
		d.now().Sub(f.SetAt) < api.ResponseURLValidity-respondTimeout
	poster, botOK := d.Poster.(ChannelPoster)
	if !urlOK && (!botOK || d.Poster == nil) {
		log.Error("deadline message not posted: the command's response_url has expired and no bot token is configured")
		return nil
	}
	post := func(ctx context.Context) error {
		pctx, cancel := context.WithTimeout(ctx, respondTimeout)
		defer cancel()
		if urlOK {
			err := d.respond(pctx, f.ResponseURL, msg)
			if !finalPost(err) {
				return err
			}
			if !botOK || d.Poster == nil {
				// Used up or expired early: no retry brings it back.
				log.Error("deadline message not posted: the command's response_url refused it for good and no bot token is configured", "error", err.Error())
				return nil
			}
		}
		_, err := poster.PostMessage(pctx, f.Channel, msg)
		if !cannotPostIn(err) {
			return err
		}
		if f.Kind != api.ScheduleClose || f.User == "" {
			log.Warn("reminder not postable in the channel: the bot is not in it", "error", err.Error())
			return nil // final; the tally, when it comes, goes to the setter
		}
		// A channel the bot cannot post in (private and not invited; public without
		// chat:write.public): no retry changes that. The setter hears it in the app's
		// direct messages, with how to fix it (issue #21, finding 3).
		log.Warn("deadline message not postable in the channel: sent to the setter", "error", err.Error())
		if _, derr := poster.PostMessage(pctx, f.User, d.Messages.NotPostedInChannel(f.Channel, msg)); derr != nil {
			log.Error("deadline message not delivered: the channel refused the bot and so did the setter's direct messages", "error", derr.Error())
		}
		return nil
	}
	if err := d.postOnce(ctx, id, post, orders.RequestMemory, log); err != nil {
		return api.Internal("post deadline message", err)
	}
	return nil
}

// cannotPostIn reports whether Slack refused a chat.postMessage because the bot cannot post
// in that channel: not_in_channel (a public channel, without chat:write.public) or
// channel_not_found (a private channel it was not invited to, which Slack does not reveal).
func cannotPostIn(err error) bool {
	var e slackgo.SlackErrorResponse
	return errors.As(err, &e) && (e.Err == "not_in_channel" || e.Err == "channel_not_found")
}

// ChannelPoster posts a message to a channel with the bot token (chat.postMessage); a
// Poster that has it posts deadline messages once the command's response_url expired.
type ChannelPoster interface {
	PostMessage(ctx context.Context, channel string, msg *slackgo.Msg) (string, error)
}
