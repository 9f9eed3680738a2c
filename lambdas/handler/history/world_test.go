package history

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/schedule"
	"github.com/orderbot/orderbot/lambdas/slackio"
	"github.com/orderbot/orderbot/lambdas/store/faulty"
)

var secret = []byte("history-signing-secret")

// deferredReserve is what a deferred run keeps back from its deadline for answering and
// giving up (handler's respondTimeout + giveUpReserve): a run whose context ends
// deferredReserve+w from now may retry the store for about w.
const deferredReserve = 8 * time.Second

// hookPrefix is every command's response_url, followed by the command's index: loopback,
// which Deps.LoopbackResponseURLs admits, and never dialled — Deps.Respond captures it.
const hookPrefix = "http://127.0.0.1/hook/"

// config is how one history is played: who sends what, how the store misbehaves, and how
// Lambda delivers deferred work.
type config struct {
	Users   int
	PerUser int           // commands each user sends
	Pause   time.Duration // most a user waits between commands (now and then 10× that)
	Budget  time.Duration // Deps.Budget
	Latency time.Duration // faulty latency on every store call
	Mix     faulty.Mix
	// Plan replaces faulty.Random(Mix) when set (scripted scenarios).
	Plan func(faulty.Call) faulty.Fault
	// Deferred delivery: each delivery starts after a delay in [DeferMin, DeferMax];
	// Duplicate is the chance that an event is delivered twice, DeferFail that the hand-off
	// itself fails (the command then gets an error status: no answer).
	DeferMin, DeferMax time.Duration
	Duplicate          float64
	DeferFail          float64
	// ShortRun is the chance that a deferred run has at most 300 ms to retry before it must
	// give up (Abandon), instead of a second.
	ShortRun float64
	// Manual: deferred events wait until the test delivers them (world.deliver), for
	// scripted scenarios; the fields above about deliveries then do not apply.
	Manual bool
	// RespondFail is the chance that a request's first response_url post fails before
	// Slack gets it, so the run fails and Lambda retries it. Only the first: Lambda tries
	// a run three times, and a request whose every post fails is silent by design.
	RespondFail float64
}

// profiles are the kinds of weather a random history gets.
var profiles = []struct {
	name string
	mix  faulty.Mix
	// shortRun, duplicate: see config.
	shortRun, duplicate float64
}{
	{"calm", faulty.Mix{FailBeforeCommit: 0.03, LoseAck: 0.03, Delay: 0.02, DelayRaced: 0.02, MaxDelay: 80 * time.Millisecond}, 0, 0.1},
	{"flaky", faulty.Mix{FailBeforeCommit: 0.1, LoseAck: 0.1, Delay: 0.04, DelayRaced: 0.04, MaxDelay: 350 * time.Millisecond}, 0.2, 0.2},
	{"storm", faulty.Mix{FailBeforeCommit: 0.25, LoseAck: 0.15, Delay: 0.05, DelayRaced: 0.08, MaxDelay: 350 * time.Millisecond}, 0.5, 0.3},
}

// randomConfig draws a history's configuration from its seed.
func randomConfig(seed uint64) (config, string) {
	rng := rand.New(rand.NewPCG(seed, 0))
	p := profiles[rng.IntN(len(profiles))]
	return config{
		Users:       3 + rng.IntN(2),
		PerUser:     6 + rng.IntN(7),
		Pause:       time.Duration(2+rng.IntN(6)) * time.Millisecond,
		Budget:      time.Duration(20+rng.IntN(31)) * time.Millisecond,
		Latency:     time.Duration(rng.IntN(3)) * time.Millisecond,
		Mix:         p.mix,
		DeferMin:    0,
		DeferMax:    time.Duration(10+rng.IntN(90)) * time.Millisecond,
		Duplicate:   p.duplicate,
		DeferFail:   0.02,
		ShortRun:    p.shortRun,
		RespondFail: 0.1,
	}, p.name
}

// command is one slash command and everything observed about it. Times are nanoseconds
// since the history started.
type command struct {
	id    int
	user  int
	kind  kind
	item  string
	at    int64  // request time, ms since the history started (input.At)
	reqID string // the handler's request id: sha256 of timestamp ":" body
	// signed is the request's signed timestamp (Unix seconds; input.Signed), set with reqID.
	signed int64
	call   int64
	// ev is the event as API Gateway handed it over; replayOf, when set, is the command
	// this one delivers again: the same signed body and headers, received later.
	ev       api.Event
	replayOf *command
	// round: a click's round, by when it was opened (input.Round); deadlineBy: a
	// firing's deadline, by its setting command's at (input.DeadlineBy).
	round, deadlineBy int64

	// Guarded by world.mu.
	returned   int64 // when the synchronous reply came back
	sync       *slack.Msg
	syncErr    error
	posts      []post
	failedPost bool // one post already failed (config.RespondFail)
}

type post struct {
	at  int64
	msg *slack.Msg
}

// stats counts what a history did, for the log and for tuning the mix.
type stats struct {
	histories, operations int
	faults                [faulty.DelayRaced + 1]int // by faulty.Kind
	answers               map[answer]int
	deferred              int // commands answered "Working on it…"
	replays               int // signed requests delivered again later (world.replay)
	duplicates            int // deferred events delivered twice
	lambdaRetries         int // deferred runs that failed and ran again
	respondFailures       int
	excusedRepeats        int // answers posted twice after a failed reply claim (by design)
	excusedLapsed         int // answers posted twice after a reply lease lapsed (by design)
	excusedTallies        int // of which close tallies, posted to the channel twice
	inconclusive          int // porcupine timed out
	checking, slowest     time.Duration
}

func (s *stats) add(o stats) {
	s.histories += o.histories
	s.operations += o.operations
	for k := range s.faults {
		s.faults[k] += o.faults[k]
	}
	if s.answers == nil {
		s.answers = map[answer]int{}
	}
	for a, n := range o.answers {
		s.answers[a] += n
	}
	s.deferred += o.deferred
	s.replays += o.replays
	s.duplicates += o.duplicates
	s.lambdaRetries += o.lambdaRetries
	s.respondFailures += o.respondFailures
	s.excusedRepeats += o.excusedRepeats
	s.excusedTallies += o.excusedTallies
	s.excusedLapsed += o.excusedLapsed
	s.inconclusive += o.inconclusive
	s.checking += o.checking
	s.slowest = max(s.slowest, o.slowest)
}

func (s *stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d histories, %d operations; store calls: %d unfaulted,", s.histories, s.operations, s.faults[faulty.None])
	for k := faulty.None + 1; k <= faulty.DelayRaced; k++ {
		fmt.Fprintf(&b, " %s %d,", k, s.faults[k])
	}
	fmt.Fprintf(&b, " response_url failures %d; deferred %d, duplicate deliveries %d, Lambda retries %d, replays %d; answers:",
		s.respondFailures, s.deferred, s.duplicates, s.lambdaRetries, s.replays)
	for a := ansNone; a < ansSnapshot; a++ {
		if n := s.answers[a]; n > 0 {
			fmt.Fprintf(&b, " %s %d,", a, n)
		}
	}
	fmt.Fprintf(&b, " repeated answers after a failed reply claim %d (final tallies %d), after a lapsed reply lease %d; porcupine took %v (slowest history %v), inconclusive %d",
		s.excusedRepeats, s.excusedTallies, s.excusedLapsed, s.checking.Round(time.Millisecond), s.slowest.Round(time.Millisecond), s.inconclusive)
	return b.String()
}

// world is one history's system under test: the two command handlers wired as in AWS
// (budget, hand-off to an asynchronous run, answer on response_url) over a store with
// injected faults, and the record of every command sent to it.
type world struct {
	id     int
	cfg    config
	ch     orders.Channel
	inner  orders.Store // the store itself, for the snapshot
	faults *faulty.Store
	track  *tracked
	trace  *trace // every store call, for a failure's report (trace_test.go)
	lambda *fakeLambda
	sched  *fakeScheduler
	run    map[string]func(context.Context, api.Event) (*slack.Msg, error)
	// seen are the rounds the clickers have seen (round messages they may click on).
	seen []orders.Round

	start   time.Time
	startMs int64

	mu       sync.Mutex
	lastMs   int64
	cmds     []*command
	rng      *rand.Rand // Lambda's and response_url's choices
	problems []string   // violations seen outside the linearizability check
	st       stats
}

func newWorld(id int, seed uint64, cfg config, store orders.Store) *world {
	w := &world{
		id:    id,
		cfg:   cfg,
		ch:    orders.Channel{Team: "T1", Channel: fmt.Sprintf("C%d", id)},
		inner: store,
		rng:   rand.New(rand.NewPCG(seed, 2)),
		start: time.Now(),
	}
	w.startMs = w.start.UnixMilli()
	w.lastMs = w.startMs
	w.trace = &trace{since: w.since}
	w.faults = faulty.New(recorder{Store: store, t: w.trace})
	w.faults.SetLatency(cfg.Latency)
	w.faults.Plan = cfg.Plan
	if w.faults.Plan == nil {
		w.faults.Plan = faulty.Random(rand.New(rand.NewPCG(seed, 1)), cfg.Mix)
	}
	w.track = &tracked{Store: w.faults, since: w.since, trace: w.trace, spans: map[string]span{}, claimFailed: map[string]bool{},
		held: map[string]time.Time{}, lapsed: map[string]bool{}}
	w.lambda = &fakeLambda{w: w, queued: map[int]queuedEvent{}}
	w.sched = &fakeScheduler{made: map[string]schedule.Schedule{}}
	deps := handler.Deps{
		Orders:               &orders.Service{Store: w.track},
		Verifier:             slackio.Verifier{Secret: secret},
		Log:                  slog.New(slog.DiscardHandler),
		Deferrer:             w.lambda,
		Budget:               cfg.Budget,
		Respond:              w.respond,
		LoopbackResponseURLs: true,
		Scheduler:            w.sched,
	}
	interactive := handler.Interactive(deps)
	w.run = map[string]func(context.Context, api.Event) (*slack.Msg, error){
		"order-update": handler.OrderUpdate(deps),
		"order-list":   handler.OrderList(deps),
		// Its answers go to response_url; the HTTP answer is an empty acknowledgement.
		"interactive": func(ctx context.Context, ev api.Event) (*slack.Msg, error) {
			_, err := interactive(ctx, ev)
			return nil, err
		},
	}
	return w
}

func (w *world) since() int64 { return int64(time.Since(w.start)) }

func (w *world) chance(p float64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rng.Float64() < p
}

func (w *world) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return lo + time.Duration(w.rng.Int64N(int64(hi-lo)))
}

func (w *world) problem(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.problems = append(w.problems, fmt.Sprintf(format, args...))
}

// send plays one slash command as Slack and API Gateway deliver it and waits for the
// synchronous reply. Request times are distinct and increase in the order commands are
// sent, as API Gateway's receive times in milliseconds would for one channel's requests.
func (w *world) send(user int, k kind, item string) *command {
	c, ms := w.newCommand(user, k, item)

	name, text := "/order-update", item
	switch k {
	case opCancel:
		text = "cancel"
	case opClose:
		name, text = "/order-list", "close"
	case opList:
		name, text = "/order-list", ""
	case opDeadline:
		name, text = "/order-list", "close "+item
	}
	body := url.Values{
		"token": {"legacy"}, "team_id": {w.ch.Team}, "team_domain": {"acme"}, "channel_id": {w.ch.Channel},
		"channel_name": {"coffee"}, "user_id": {userID(user)}, "user_name": {strings.ToLower(userID(user))},
		"command": {name}, "text": {text}, "api_app_id": {"A1"}, "is_enterprise_install": {"false"},
		"response_url": {hookPrefix + strconv.Itoa(c.id)},
		// Unique like Slack's, so that every command is a distinct request.
		"trigger_id": {fmt.Sprintf("%d.%d.%d", w.id, c.id, ms)},
	}.Encode()
	w.deliverFirst(c, strings.TrimPrefix(name, "/"), body, ms)
	return c
}

// newCommand records a command of user sent now, with a request time later than every
// earlier one's.
func (w *world) newCommand(user int, k kind, item string) (*command, int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := &command{id: len(w.cmds), user: user, kind: k, item: item}
	ms := max(time.Now().UnixMilli(), w.lastMs+1)
	w.lastMs = ms
	c.at = ms - w.startMs
	c.call = w.since()
	w.cmds = append(w.cmds, c)
	return c, ms
}

// deliverFirst signs body as Slack would now, hands it to function as API Gateway would
// (received at ms) and records the synchronous answer.
func (w *world) deliverFirst(c *command, function, body string, ms int64) {
	stamp := strconv.FormatInt(time.Now().Unix(), 10)
	// requestOf's id, so that the store calls of this request can be told apart. Set
	// before the handler runs; read only by history, after every command has returned.
	sum := sha256.Sum256([]byte(stamp + ":" + body))
	c.reqID = hex.EncodeToString(sum[:16])
	c.signed, _ = strconv.ParseInt(stamp, 10, 64)
	ev := api.Event{
		Body:    []byte(body),
		Headers: api.Headers{Signature: []byte(slackio.Sign(secret, stamp, []byte(body))), Timestamp: []byte(stamp)},
		Context: api.Context{RequestID: fmt.Sprintf("api-%d-%d", w.id, c.id), RequestTimeEpoch: strconv.FormatInt(ms, 10)},
	}
	c.ev = ev
	msg, err := w.run[function](context.WithValue(context.Background(), deliveryKey{}, c.id), ev)
	ret := w.since()
	w.mu.Lock()
	c.sync, c.syncErr, c.returned = msg, err, ret
	w.mu.Unlock()
}

// replay delivers the signed request of an earlier command again, as an attacker who
// captured it (or a proxy retrying it) would within its signature window: the same body
// and headers, received now, so API Gateway stamps a later requestTimeEpoch (issue #21).
// It must change nothing. Its answer is its synchronous reply; a deferred run of it
// answers on the original's response_url, where the request's reply claim keeps it
// from answering twice.
func (w *world) replay(of *command) *command {
	w.mu.Lock()
	c := &command{id: len(w.cmds), user: of.user, kind: of.kind, item: of.item, reqID: of.reqID, signed: of.signed, replayOf: of, round: of.round}
	ms := max(time.Now().UnixMilli(), w.lastMs+1)
	w.lastMs = ms
	c.at = ms - w.startMs
	c.call = w.since()
	ev := of.ev
	w.cmds = append(w.cmds, c)
	w.st.replays++
	w.mu.Unlock()
	ev.Context.RequestID = fmt.Sprintf("api-%d-%d", w.id, c.id)
	ev.Context.RequestTimeEpoch = strconv.FormatInt(ms, 10)
	c.ev = ev
	msg, err := w.run[functionOf(of.kind)](context.WithValue(context.Background(), deliveryKey{}, c.id), ev)
	ret := w.since()
	w.mu.Lock()
	c.sync, c.syncErr, c.returned = msg, err, ret
	w.mu.Unlock()
	return c
}

// deliveryKey marks a deferred run's context with the command whose delivery it runs: a
// replay shares its original's response_url, and its posts are its own answers.
type deliveryKey struct{}

// deliveryOf is a context naming the command whose event ev is (by the request id the
// world gave it), for respond.
func (w *world) deliveryOf(ev api.Event) context.Context {
	var hist, id int
	if _, err := fmt.Sscanf(ev.Context.RequestID, "api-%d-%d", &hist, &id); err != nil {
		return context.Background()
	}
	return context.WithValue(context.Background(), deliveryKey{}, id)
}

// respond is Deps.Respond: Slack's response_url, recording every post per command — the
// delivery's own, when a replay shares the URL.
func (w *world) respond(ctx context.Context, u string, msg *slack.Msg) error {
	id, err := strconv.Atoi(strings.TrimPrefix(u, hookPrefix))
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil || !strings.HasPrefix(u, hookPrefix) || id < 0 || id >= len(w.cmds) {
		w.problems = append(w.problems, fmt.Sprintf("post to unknown response_url %q", u))
		return nil
	}
	if d, ok := ctx.Value(deliveryKey{}).(int); ok && d >= 0 && d < len(w.cmds) && (w.cmds[d].replayOf == w.cmds[id] || w.cmds[d].kind == opFire) {
		id = d // a replay's own answer; a firing's tally on its setter's response_url
	}
	c := w.cmds[id]
	if !c.failedPost && w.rng.Float64() < w.cfg.RespondFail {
		c.failedPost = true
		w.st.respondFailures++
		return errors.New("response_url: 503 Service Unavailable")
	}
	c.posts = append(c.posts, post{w.since(), msg})
	return nil
}

// fakeLambda is Lambda's asynchronous invoke (handler.Deferrer): every event runs later
// in a goroutine, on its own decoded copy, with a deadline; some are delivered twice, and
// a run that returns an error runs again up to twice more, as Lambda retries.
type fakeLambda struct {
	w    *world
	runs sync.WaitGroup
	// queued holds each command's deferred event in Manual mode, by command index.
	queued map[int]queuedEvent
}

type queuedEvent struct {
	function string
	payload  []byte
}

func (l *fakeLambda) Defer(_ context.Context, function string, payload []byte) error {
	w := l.w
	if w.cfg.Manual {
		var ev api.Event
		if err := json.Unmarshal(payload, &ev); err != nil {
			return err
		}
		var hist, id int
		if _, err := fmt.Sscanf(ev.Context.RequestID, "api-%d-%d", &hist, &id); err != nil {
			return err
		}
		w.mu.Lock()
		l.queued[id] = queuedEvent{function, append([]byte(nil), payload...)}
		w.mu.Unlock()
		return nil
	}
	if w.chance(w.cfg.DeferFail) {
		return errors.New("lambda: Invoke throttled")
	}
	deliveries := 1
	if w.chance(w.cfg.Duplicate) {
		deliveries = 2
		w.mu.Lock()
		w.st.duplicates++
		w.mu.Unlock()
	}
	payload = append([]byte(nil), payload...)
	for range deliveries {
		delay := w.between(w.cfg.DeferMin, w.cfg.DeferMax)
		l.runs.Go(func() { l.deliver(function, payload, delay) })
	}
	return nil
}

// deliver runs one delivery of c's deferred event now, with Lambda's retries, and
// reports whether c had one (Manual mode).
func (w *world) deliver(c *command) bool {
	w.mu.Lock()
	q, ok := w.lambda.queued[c.id]
	w.mu.Unlock()
	if ok {
		w.lambda.deliver(q.function, q.payload, 0)
	}
	return ok
}

func (l *fakeLambda) deliver(function string, payload []byte, delay time.Duration) {
	w := l.w
	time.Sleep(delay)
	for attempt := 1; attempt <= 3; attempt++ {
		var ev api.Event
		if err := json.Unmarshal(payload, &ev); err != nil {
			w.problem("deferred payload does not decode: %v", err)
			return
		}
		window := time.Second
		if w.chance(w.cfg.ShortRun) {
			window = w.between(0, 300*time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(w.deliveryOf(ev), deferredReserve+window)
		_, err := w.run[function](ctx, ev)
		cancel()
		if err == nil {
			return
		}
		if api.CodeOf(err) != api.CodeInternal {
			w.problem("deferred %s run refused its event: %v", function, err)
			return
		}
		w.mu.Lock()
		w.st.lambdaRetries++
		w.mu.Unlock()
		time.Sleep(w.between(0, 20*time.Millisecond)) // Lambda waits a minute, then two
	}
}

// tracked wraps the faulty store and watches every call: when none is in flight any more
// (a synchronous attempt cut off by the budget may still be committing after its handler
// returned), when each request could have taken effect, and which reply claims failed.
type tracked struct {
	orders.Store
	since    func() int64
	trace    *trace
	inflight atomic.Int64
	mu       sync.Mutex
	spans    map[string]span // by request id
	// claimFailed: MarkEvent of this event id returned an error (see claimFailedFor).
	claimFailed map[string]bool
	// held: the expiry of each claim taken (MarkEvent reported a first delivery) and not
	// given back; lapsed: a claim was taken again at or after that expiry (leaseLapsedFor).
	held   map[string]time.Time
	lapsed map[string]bool
}

// span covers the store calls made for one request in which it may have taken effect or
// been decided, ns since the history started: from the start of the first to the end of
// the last. By the Store contract a request changes the store, or is found superseded or
// without a round, only inside such a call; so its linearization point lies in its span,
// which is far narrower than "from the command to its answer" for deferred work.
type span struct{ first, last int64 }

// decisive reports whether a call with this outcome may be where its request took effect
// or was decided: every call but
//   - a Replayed one: an earlier call made the change, this one changed nothing;
//   - one faulty failed before it reached the store;
//   - one that ended with its context's error and nothing else: faulty returns that only
//     when it did not run the call, boltdb before it starts a transaction, and the
//     DynamoDB client of these tests only for a request it did not send (sentError
//     marks one it did).
//
// Any other error may hide a commit (a lost acknowledgement, a raced cancellation), and
// the refusals ErrNoOpenRound and ErrNoOrder are decisions.
func decisive(outcome orders.Outcome, err error) bool {
	var fe *faulty.Error
	var sent sentError
	switch {
	case err == nil:
		return outcome != orders.Replayed
	case errors.As(err, &fe):
		return fe.Kind != faulty.FailBeforeCommit
	case errors.As(err, &sent):
		return true
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	}
	return true
}

// enter counts a call in flight and traces it as the handler sees it; the returned func
// ends it and, for a request's decisive call, widens the request's span.
func (s *tracked) enter(ctx context.Context, method, id, args string) func(req string, res orders.Result, err error) {
	s.inflight.Add(1)
	begin := s.since()
	traced := s.trace.call(ctx, "handler", method, id, args)
	return func(req string, res orders.Result, err error) {
		end := s.since()
		if req == "" {
			traced(errString(err))
		} else {
			traced(resultString(res, err))
		}
		if req != "" && decisive(res.Outcome, err) {
			s.mu.Lock()
			sp, ok := s.spans[req]
			if !ok || begin < sp.first {
				sp.first = begin
			}
			sp.last = max(sp.last, end)
			s.spans[req] = sp
			s.mu.Unlock()
		}
		s.inflight.Add(-1)
	}
}

func (s *tracked) spanOf(req string) (span, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, ok := s.spans[req]
	return sp, ok
}

func (s *tracked) SetOrder(ctx context.Context, ch orders.Channel, o orders.Order, req orders.Request, id string) (res orders.Result, err error) {
	defer func(done func(string, orders.Result, error)) { done(req.ID, res, err) }(s.enter(ctx, "SetOrder", req.ID, o.Item))
	return s.Store.SetOrder(ctx, ch, o, req, id)
}

func (s *tracked) CancelOrder(ctx context.Context, ch orders.Channel, user string, req orders.Request) (res orders.Result, err error) {
	defer func(done func(string, orders.Result, error)) { done(req.ID, res, err) }(s.enter(ctx, "CancelOrder", req.ID, ""))
	return s.Store.CancelOrder(ctx, ch, user, req)
}

func (s *tracked) OpenRound(ctx context.Context, ch orders.Channel) (r orders.Round, err error) {
	defer func(done func(string, orders.Result, error)) { done("", orders.Result{Round: r}, err) }(s.enter(ctx, "OpenRound", "", ""))
	return s.Store.OpenRound(ctx, ch)
}

func (s *tracked) CloseRound(ctx context.Context, ch orders.Channel, req orders.Request, at time.Time) (res orders.Result, err error) {
	defer func(done func(string, orders.Result, error)) { done(req.ID, res, err) }(s.enter(ctx, "CloseRound", req.ID, ""))
	return s.Store.CloseRound(ctx, ch, req, at)
}

func (s *tracked) SetDeadline(ctx context.Context, ch orders.Channel, at time.Time, req orders.Request) (res orders.Result, err error) {
	defer func(done func(string, orders.Result, error)) { done(req.ID, res, err) }(s.enter(ctx, "SetDeadline", req.ID, ""))
	return s.Store.SetDeadline(ctx, ch, at, req)
}

func (s *tracked) Abandon(ctx context.Context, ch orders.Channel, t orders.Target, req orders.Request) (res orders.Result, err error) {
	defer func(done func(string, orders.Result, error)) { done(req.ID, res, err) }(s.enter(ctx, "Abandon", req.ID, ""))
	return s.Store.Abandon(ctx, ch, t, req)
}

func (s *tracked) MarkEvent(ctx context.Context, id string, now, expires time.Time) (first bool, err error) {
	defer func(done func(string, orders.Result, error)) { done("", orders.Result{}, err) }(s.enter(ctx, "MarkEvent", id, ""))
	first, err = s.Store.MarkEvent(ctx, id, now, expires)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err != nil:
		s.claimFailed[id] = true
	case first:
		if prev, ok := s.held[id]; ok && !now.Before(prev) {
			s.lapsed[id] = true
		}
		s.held[id] = expires
	}
	return first, err
}

func (s *tracked) EventRecorded(ctx context.Context, id string, now time.Time) (_ bool, err error) {
	defer func(done func(string, orders.Result, error)) { done("", orders.Result{}, err) }(s.enter(ctx, "EventRecorded", id, ""))
	return s.Store.EventRecorded(ctx, id, now)
}

func (s *tracked) ForgetEvent(ctx context.Context, id string) (err error) {
	defer func(done func(string, orders.Result, error)) { done("", orders.Result{}, err) }(s.enter(ctx, "ForgetEvent", id, ""))
	err = s.Store.ForgetEvent(ctx, id)
	if decisive(orders.Applied, err) { // given back, or it may have been
		s.mu.Lock()
		delete(s.held, id)
		s.mu.Unlock()
	}
	return err
}

// claimFailedFor reports whether taking the reply lease of a request, or recording its
// reply as sent, failed: then a delivery may answer although another does or did, by
// design (respondOnce: twice beats never).
func (s *tracked) claimFailedFor(reqID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.claimFailed[orders.ReplyClaim(reqID)] || s.claimFailed[orders.ReplySent(reqID)]
}

// leaseLapsedFor reports whether a delivery of a request took its reply claim at or after
// the expiry of the claim another delivery held: the holder took longer than the lease
// (handler's replyLease, 6 s) to post and record the answer — a machine starved of CPU
// or disk — and the next delivery answered too, by design.
func (s *tracked) leaseLapsedFor(reqID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lapsed[orders.ReplyClaim(reqID)]
}

// settle waits until all work is done: every deferred delivery with its retries, and
// every store call still running for a synchronous attempt that was cut off.
func (w *world) settle() error {
	w.lambda.runs.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for w.track.inflight.Load() > 0 {
		if time.Now().After(deadline) {
			return errors.New("store calls still in flight 30 s after the last deferred run")
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// snapshot reads the store's final state: the open round through the Store interface,
// the closed rounds through readClosed (store-specific). Call it after settle.
func (w *world) snapshot(readClosed func(orders.Channel) ([]closedRound, error)) (op porcupine.Operation, err error) {
	call := w.since()
	out := output{Answer: ansSnapshot}
	r, err := w.inner.OpenRound(context.Background(), w.ch)
	switch {
	case errors.Is(err, orders.ErrNoOpenRound):
	case err != nil:
		return op, fmt.Errorf("snapshot: read open round: %w", err)
	default:
		out.Open, out.OpenedAt = true, r.OpenedAt.UnixMilli()-w.startMs
		if out.Round, err = w.roundOf(r.Orders); err != nil {
			return op, fmt.Errorf("snapshot: open round: %w", err)
		}
	}
	closed, err := readClosed(w.ch)
	if err != nil {
		return op, fmt.Errorf("snapshot: read closed rounds: %w", err)
	}
	for i := range closed {
		closed[i].openedAt -= w.startMs
	}
	out.Closed = closedRounds(closed)
	return porcupine.Operation{ClientId: w.cfg.Users, Input: input{Kind: opSnapshot}, Call: call, Output: out, Return: w.since()}, nil
}

// roundOf turns a store round's orders into a model round.
func (w *world) roundOf(os []orders.Order) (round, error) {
	var r round
	for _, o := range os {
		u, err := userIndex(o.User)
		if err != nil {
			return r, err
		}
		r[u] = o.Item
	}
	return r, nil
}

func userIndex(id string) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "U"))
	if err != nil || !strings.HasPrefix(id, "U") || n < 1 || n > maxUsers {
		return 0, fmt.Errorf("unknown user %q", id)
	}
	return n - 1, nil
}

// history turns the record into porcupine operations, ending with the snapshot, and
// checks what linearizability cannot: that every "Working on it…" is followed by an
// answer, and that repeated answers to one request agree.
func (w *world) history(snap porcupine.Operation) []porcupine.Operation {
	w.mu.Lock()
	defer w.mu.Unlock()
	ops := make([]porcupine.Operation, 0, len(w.cmds)+1)
	if w.st.answers == nil {
		w.st.answers = map[answer]int{}
	}
	for _, c := range w.cmds {
		in := input{Cmd: c.id, Kind: c.kind, User: c.user, Item: c.item, At: c.at, Signed: c.signed, Round: c.round, DeadlineBy: c.deadlineBy}
		if c.replayOf != nil {
			// A replay changes nothing (the model's rule), whenever it takes effect: its
			// window is its own call and synchronous answer.
			in.Replay = true
			out, ret := w.replayAnswer(c)
			w.st.answers[out.Answer]++
			ops = append(ops, porcupine.Operation{ClientId: c.user, Input: in, Call: c.call, Output: out, Return: ret})
			continue
		}
		var out output
		var ret int64
		if c.kind.interactive() || c.kind == opFire {
			out, ret = w.postedAnswer(c, replies(c.posts)) // no synchronous answer
		} else {
			out, ret = w.finalAnswer(c)
		}
		call := c.call
		open := out.Answer == ansNone || out.Answer == ansUnknown
		// Narrow the window to the request's span (see span). An answer bounds it too: what
		// the person was told must have happened by then. A command whose answer leaves the
		// outcome open is bounded by its span alone — a duplicate delivery may still act
		// after the answer — or, without one, never took effect.
		if c.kind != opList {
			sp, ok := w.track.spanOf(c.reqID)
			switch {
			case ok && open:
				call, ret = max(call, sp.first), max(call, sp.last)
			case ok && sp.first <= ret:
				call, ret = max(call, sp.first), min(ret, sp.last)
			case open:
				ret = call
			default:
				w.problems = append(w.problems, fmt.Sprintf("command %d (%s by %s @%d): answered %q with no store call for request %s that could decide it before the answer — does the test's request id still match the handler's?",
					c.id, c.kind, userID(c.user), c.at, out.Answer, c.reqID))
			}
		} else if out.Answer == ansNone {
			ret = call // a read without an answer constrains nothing
		}
		w.st.answers[out.Answer]++
		ops = append(ops, porcupine.Operation{ClientId: c.user, Input: in, Call: call, Output: out, Return: ret})
	}
	return append(ops, snap)
}

// replayAnswer is what a replay was answered at once, and when; "Working on it…" or an
// error status is no answer (its deferred run answers on the original's response_url).
// Called with w.mu held.
func (w *world) replayAnswer(c *command) (output, int64) {
	if c.kind.interactive() || c.kind == opFire {
		if posts := replies(c.posts); len(posts) > 0 {
			return w.classified(c, posts[0].msg), posts[0].at
		}
		return output{Answer: ansNone}, c.returned
	}
	switch {
	case c.syncErr != nil:
		return output{Answer: ansNone}, c.returned
	case !strings.HasPrefix(c.sync.Text, "Working on it"):
		return w.classified(c, c.sync), c.returned
	case len(c.posts) > 0:
		return w.classified(c, c.posts[0].msg), c.posts[0].at
	}
	return output{Answer: ansNone}, c.returned
}

// finalAnswer is what the person who sent c was finally told, and when: the synchronous
// reply, or the first response_url post after "Working on it…". Called with w.mu held.
func (w *world) finalAnswer(c *command) (output, int64) {
	none := output{Answer: ansNone}
	if c.syncErr != nil {
		if len(c.posts) > 0 {
			w.problems = append(w.problems, fmt.Sprintf("command %d (%s): error status %v, and yet %d response_url posts", c.id, c.kind, c.syncErr, len(c.posts)))
		}
		return none, 0
	}
	if !strings.HasPrefix(c.sync.Text, "Working on it") {
		if len(c.posts) > 0 {
			w.problems = append(w.problems, fmt.Sprintf("command %d (%s): answered at once (%q), and yet %d response_url posts", c.id, c.kind, c.sync.Text, len(c.posts)))
		}
		return w.classified(c, c.sync), c.returned
	}
	w.st.deferred++
	if len(c.posts) == 0 {
		w.problems = append(w.problems, fmt.Sprintf("command %d (%s %q by %s @%d): \"Working on it…\" and then silence, want exactly one answer on response_url",
			c.id, c.kind, c.item, userID(c.user), c.at))
		return none, 0
	}
	return w.postedAnswer(c, c.posts)
}

// postedAnswer is the first of posts (c's answers on response_url), checking that the
// others agree with it; no answer without posts. Called with w.mu held.
func (w *world) postedAnswer(c *command, posts []post) (output, int64) {
	if len(posts) == 0 {
		return output{Answer: ansNone}, 0
	}
	first := w.classified(c, posts[0].msg)
	for _, p := range posts[1:] {
		again := w.classified(c, p.msg)
		// "Cannot tell" and "could not read" assert nothing, so they contradict no other answer.
		vague := func(a answer) bool { return a == ansUnknown || a == ansNotRead }
		differ := again.Answer != first.Answer && !vague(again.Answer) && !vague(first.Answer) ||
			first.Answer == ansClosed && again.Answer == ansClosed && again.Round != first.Round
		switch pair := [2]answer{min(first.Answer, again.Answer), max(first.Answer, again.Answer)}; {
		case tolerates("overtaken") && (pair[0] == ansSuperseded) != (pair[1] == ansSuperseded):
			differ = false // one run decided before the request was overtaken, one after
		case pair == [2]answer{ansNoOpenRound, ansNotClosed}:
			differ = false // both: this close did not happen
		case pair == [2]answer{ansSuperseded, ansNothingToCancel}, pair == [2]answer{ansSuperseded, ansNotSaved},
			pair == [2]answer{ansSuperseded, ansStale}, pair == [2]answer{ansNotSaved, ansStale},
			pair == [2]answer{ansSuperseded, ansItemGone}, pair == [2]answer{ansNotSaved, ansItemGone},
			pair == [2]answer{ansStale, ansItemGone},
			pair == [2]answer{ansDeadlineSet, ansDeadlineClosedSince}, pair == [2]answer{ansDeadlineRemoved, ansDeadlineClosedSince},
			pair == [2]answer{ansDeadlineSet, ansDeadlineRemoved}, pair == [2]answer{ansClosed, ansYouClosed}:
			// A stale click writes nothing, not even its record: a later delivery decides
			// anew, and finds it superseded or gives it up — it changed nothing either way.
			// A close click's run that gave up answers with the tally it finds its close
			// made, where the one that closed said "you closed".
			// A deadline request is answered with the round's deadline as it is when the
			// answer is made: a later run may find it changed or the round closed since.
			// Both: this request changed nothing. A post whose acknowledgement was lost is
			// answered again, decided anew after a newer request of the user was recorded.
			differ = false
		}
		if differ {
			w.problems = append(w.problems, fmt.Sprintf("command %d (%s %q by %s @%d): response_url got %q, then %q: want one meaning",
				c.id, c.kind, c.item, userID(c.user), c.at, posts[0].msg.Text, p.msg.Text))
		}
	}
	if len(posts) > 1 {
		switch {
		case w.track.claimFailedFor(c.reqID):
			// Not a violation, but counted; the answers must still agree (checked above).
			w.st.excusedRepeats++
			if first.Answer == ansClosed {
				w.st.excusedTallies++ // a final tally posted to the channel more than once
			}
		case w.track.leaseLapsedFor(c.reqID):
			w.st.excusedLapsed++ // likewise
		default:
			w.problems = append(w.problems, fmt.Sprintf("command %d (%s by %s @%d): %d response_url posts with every reply claim taken, want exactly one (first %q)",
				c.id, c.kind, userID(c.user), c.at, len(posts), posts[0].msg.Text))
		}
	}
	return first, posts[0].at
}

// classified is classify for c's reply, recording a reply that fits neither the
// command nor any known text as a problem (and as no answer).
func (w *world) classified(c *command, msg *slack.Msg) output {
	out, err := classify(msg)
	if err == nil {
		err = fits(c, out)
	}
	if err != nil {
		w.problems = append(w.problems, fmt.Sprintf("command %d (%s %q by %s): %v", c.id, c.kind, c.item, userID(c.user), err))
		return output{Answer: ansNone}
	}
	return out
}

// fits checks that an answer is one a command of c's kind can get, and that a saved
// order is the one asked for.
func fits(c *command, out output) error {
	allowed := map[kind][]answer{
		opSet:        {ansSet, ansSuperseded, ansNotSaved, ansUnknown},
		opCancel:     {ansWithdrawn, ansNothingToCancel, ansSuperseded, ansNotSaved, ansUnknown},
		opClose:      {ansClosed, ansNoOpenRound, ansNotClosed, ansUnknown},
		opList:       {ansListed, ansNotRead},
		opSubmit:     {ansSet, ansSuperseded, ansNotSaved, ansUnknown},
		opJoin:       {ansSet, ansSuperseded, ansNotSaved, ansUnknown, ansStale, ansItemGone},
		opUnjoin:     {ansWithdrawn, ansNothingToCancel, ansSuperseded, ansNotSaved, ansUnknown, ansStale},
		opCloseClick: {ansYouClosed, ansClosed, ansStale, ansNotClosed, ansUnknown},
		opDeadline:   {ansDeadlineSet, ansDeadlineRemoved, ansNoOpenRound, ansDeadlineNotSet, ansDeadlineClosedSince, ansUnknown},
		opFire:       {ansClosed},
	}[c.kind]
	for _, a := range allowed {
		if a == out.Answer {
			if a == ansSet && out.Item != c.item {
				return fmt.Errorf("reply confirms order %q, want %q", out.Item, c.item)
			}
			return nil
		}
	}
	return fmt.Errorf("got answer %q, want one of %v", out.Answer, allowed)
}

// classify reads what a reply means from its text (slack/reply.go words every reply).
func classify(msg *slack.Msg) (output, error) {
	if msg == nil {
		return output{}, errors.New("nil reply")
	}
	text := msg.Text
	starred := func() string { // the first *…* of text
		_, rest, _ := strings.Cut(text, "*")
		item, _, _ := strings.Cut(rest, "*")
		return item
	}
	switch {
	case strings.HasPrefix(text, "Your order: *"), strings.HasPrefix(text, "Your order *"):
		return output{Answer: ansSet, Item: starred()}, nil
	case strings.HasPrefix(text, "A newer request of yours arrived first"):
		out := output{Answer: ansSuperseded}
		if strings.Contains(text, "your order is *") {
			_, rest, _ := strings.Cut(text, "your order is *")
			out.Item, _, _ = strings.Cut(rest, "*")
		}
		return out, nil
	case strings.HasPrefix(text, "Sorry — I could not save the deadline"),
		strings.HasPrefix(text, "Sorry — I could not schedule the round's close"):
		return output{Answer: ansDeadlineNotSet}, nil
	case strings.HasPrefix(text, "Sorry — I could not save"):
		return output{Answer: ansNotSaved}, nil
	case strings.HasPrefix(text, "That round is already closed"):
		return output{Answer: ansStale}, nil
	case strings.HasPrefix(text, "Nobody has that item in this round any more"):
		return output{Answer: ansItemGone}, nil
	case strings.HasPrefix(text, "You closed the round"):
		return output{Answer: ansYouClosed}, nil
	case strings.HasPrefix(text, "Orders close at"):
		return output{Answer: ansDeadlineSet}, nil
	case strings.HasPrefix(text, "The round this deadline was for has closed since"):
		return output{Answer: ansDeadlineClosedSince}, nil
	case strings.HasPrefix(text, "The deadline is removed"):
		return output{Answer: ansDeadlineRemoved}, nil
	case strings.HasPrefix(text, "Sorry — I could not close the round"):
		return output{Answer: ansNotClosed}, nil
	case strings.HasPrefix(text, "Sorry — the database is not answering, and I cannot tell"):
		return output{Answer: ansUnknown}, nil
	case strings.HasPrefix(text, "Sorry — I could not read the round"):
		return output{Answer: ansNotRead}, nil
	case strings.HasPrefix(text, "Your order is withdrawn"):
		return output{Answer: ansWithdrawn}, nil
	case strings.HasPrefix(text, "You have no order in this channel's round"):
		return output{Answer: ansNothingToCancel}, nil
	case strings.HasPrefix(text, "No open round in this channel"):
		return output{Answer: ansNoOpenRound}, nil
	case text == "Round closed with no orders.":
		return output{Answer: ansClosed}, nil
	case strings.HasPrefix(text, "Round closed — final tally"):
		r, err := tally(text)
		return output{Answer: ansClosed, Round: r}, err
	case strings.HasPrefix(text, "No orders yet in this round"):
		return output{Answer: ansListed}, nil
	case strings.HasPrefix(text, "Order round — "):
		r, err := tally(text)
		return output{Answer: ansListed, Round: r}, err
	}
	return output{}, fmt.Errorf("unexpected reply %q", text)
}

// tally parses the text fallback of a round ("2× latte 1.3 — <@U1>, <@U2>" per line
// after the title) into each user's item. Items are unique per order in these tests, so
// a group names its item exactly.
func tally(text string) (round, error) {
	var r round
	lines := strings.Split(text, "\n")
	for _, line := range lines[1:] {
		_, rest, ok := strings.Cut(line, "× ")
		item, who, ok2 := strings.Cut(rest, " — ")
		if !ok || !ok2 {
			return r, fmt.Errorf("tally line %q is not \"N× item — people\"", line)
		}
		for m := range strings.SplitSeq(who, ", ") {
			u, err := userIndex(strings.TrimSuffix(strings.TrimPrefix(m, "<@"), ">"))
			if err != nil {
				return r, fmt.Errorf("tally line %q: %w", line, err)
			}
			if r[u] != "" {
				return r, fmt.Errorf("tally names %s twice", userID(u))
			}
			r[u] = item
		}
	}
	return r, nil
}
