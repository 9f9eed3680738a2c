package gateway_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
	"github.com/orderbot/orderbot/lambdas/store/boltdb"
	"github.com/orderbot/orderbot/lambdas/store/dynamo"
	"github.com/orderbot/orderbot/lambdas/store/dynamo/dynamotest"
	"github.com/orderbot/orderbot/local/gateway"
	"github.com/orderbot/orderbot/local/slacksim"

	"github.com/slack-go/slack"
)

// This file is the harness shared by the hostile-input, race, retry and fuzz tests: a
// gateway over the real handlers and a chosen store, with a store wrapper that counts
// writes and a poster that counts thread replies, so a test can prove "nothing happened".

// countingStore wraps a store and counts every call that may write.
type countingStore struct {
	orders.Store
	mu     sync.Mutex
	writes map[string]int // by method
	events []string       // event ids that MarkEvent reported as first deliveries
	closed []orders.Round // what CloseRound returned: the store's own final tallies
}

func newCountingStore(s orders.Store) *countingStore {
	return &countingStore{Store: s, writes: map[string]int{}}
}

func (c *countingStore) count(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes[op]++
}

func (c *countingStore) SetOrder(ctx context.Context, ch orders.Channel, o orders.Order, req orders.Request, newID string) (orders.Result, error) {
	c.count("SetOrder")
	return c.Store.SetOrder(ctx, ch, o, req, newID)
}

func (c *countingStore) CancelOrder(ctx context.Context, ch orders.Channel, user string, req orders.Request) (orders.Result, error) {
	c.count("CancelOrder")
	return c.Store.CancelOrder(ctx, ch, user, req)
}

func (c *countingStore) CloseRound(ctx context.Context, ch orders.Channel, req orders.Request, at time.Time) (orders.Result, error) {
	c.count("CloseRound")
	res, err := c.Store.CloseRound(ctx, ch, req, at)
	if err == nil && res.Outcome == orders.Applied {
		c.mu.Lock()
		c.closed = append(c.closed, res.Round)
		c.mu.Unlock()
	}
	return res, err
}

func (c *countingStore) Abandon(ctx context.Context, ch orders.Channel, t orders.Target, req orders.Request) (orders.Result, error) {
	c.count("Abandon")
	return c.Store.Abandon(ctx, ch, t, req)
}

func (c *countingStore) ForgetEvent(ctx context.Context, id string) error {
	c.count("ForgetEvent")
	return c.Store.ForgetEvent(ctx, id)
}

func (c *countingStore) MarkEvent(ctx context.Context, id string, now, expires time.Time) (bool, error) {
	c.count("MarkEvent")
	first, err := c.Store.MarkEvent(ctx, id, now, expires)
	if first && err == nil {
		c.mu.Lock()
		c.events = append(c.events, id)
		c.mu.Unlock()
	}
	return first, err
}

// total is the number of write calls so far.
func (c *countingStore) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.writes {
		n += v
	}
	return n
}

// countingPoster counts thread replies (the only side effect of an app_mention).
type countingPoster struct {
	mu    sync.Mutex
	posts []string
}

func (p *countingPoster) PostThread(_ context.Context, channel, ts, text string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posts = append(p.posts, channel+"|"+ts)
	return nil
}

// OpenView fails: the harness has no modals (/order-update alone answers its usage).
func (p *countingPoster) OpenView(context.Context, string, slack.ModalViewRequest) error {
	return errors.New("views.open: not in this harness")
}

func (p *countingPoster) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.posts)
}

type harness struct {
	gw     *gateway.Gateway
	url    string
	client *slacksim.Client
	store  *countingStore
	poster *countingPoster
}

// boltStore is a fresh embedded store for t.
func boltStore(t testing.TB) orders.Store {
	t.Helper()
	s, err := boltdb.Open(filepath.Join(t.TempDir(), "orders.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// dynamoStore is a fresh table on dynalite (started from the repository's node_modules).
func dynamoStore(t testing.TB) orders.Store {
	t.Helper()
	client, table := dynamotest.NewTable(t)
	return dynamo.New(client, table)
}

// newHarness serves the real handlers over store through a gateway on an httptest server.
func newHarness(t testing.TB, store orders.Store) *harness {
	t.Helper()
	return newHarnessAt(t, store, nil)
}

// newHarnessAt is newHarness with the verifier's and the client's clock fixed at now, so
// a test can place timestamps exactly on the ±5 minute boundaries (nil: the real clock).
func newHarnessAt(t testing.TB, store orders.Store, now func() time.Time) *harness {
	t.Helper()
	h := &harness{store: newCountingStore(store), poster: &countingPoster{}}
	handlers := handler.Handlers(handler.Deps{
		Orders:   &orders.Service{Store: h.store},
		Verifier: slackio.Verifier{Secret: secret, Now: now},
		Poster:   h.poster,
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	gw, err := gateway.New(handlers, gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h.gw = gw
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	h.url = srv.URL
	h.client = slacksim.New(srv.URL, secret)
	if now != nil {
		h.client.Now = now
	}
	// Many goroutines share one transport: keep enough idle connections that a burst does
	// not churn through ephemeral ports.
	h.client.HTTP = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	return h
}

func (h *harness) as(user string) *slacksim.Client {
	c := *h.client
	c.User, c.UserName = user, strings.ToLower(user)
	return &c
}

func (h *harness) channel() orders.Channel {
	return orders.Channel{Team: h.client.Team, Channel: h.client.Channel}
}

// open is the channel's open round, or the zero Round.
func (h *harness) open(t testing.TB) orders.Round {
	t.Helper()
	r, err := h.store.OpenRound(context.Background(), h.channel())
	if errors.Is(err, orders.ErrNoOpenRound) {
		return orders.Round{}
	}
	if err != nil {
		t.Fatalf("OpenRound: got error %v, want nil", err)
	}
	return r
}

// tallyLine matches one group of a round reply's text: "2× latte — <@U1>, <@U2>".
var tallyLine = regexp.MustCompile(`(?m)^(\d+)× (.*) — (.*)$`)
var mentionRE = regexp.MustCompile(`<@([^>]+)>`)

// replyTally reads a round reply's text back into user → item (items are Slack-escaped).
func replyTally(text string) map[string]string {
	out := map[string]string{}
	for _, m := range tallyLine.FindAllStringSubmatch(text, -1) {
		for _, u := range mentionRE.FindAllStringSubmatch(m[3], -1) {
			out[u[1]] = m[2]
		}
	}
	return out
}

// histogram renders status counts as "200×480 401×20" for the report.
func histogram(h map[int]int) string {
	keys := make([]int, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var b strings.Builder
	for _, k := range keys {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(k) + "×" + strconv.Itoa(h[k]))
	}
	return b.String()
}
