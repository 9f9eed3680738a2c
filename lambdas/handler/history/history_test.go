package history

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	bolt "go.etcd.io/bbolt"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/store/boltdb"
	"github.com/orderbot/orderbot/lambdas/store/dynamo"
	"github.com/orderbot/orderbot/lambdas/store/dynamo/dynamotest"
	"github.com/orderbot/orderbot/lambdas/store/faulty"
)

var (
	seedFlag      = flag.Uint64("seed", 0, "first history's seed (0: from the clock); history i gets seed+i")
	historiesFlag = flag.Int("histories", 0, "most histories to check on bbolt (0: 2000, or 200 with -short); dynalite checks a twentieth")
	forFlag       = flag.Duration("for", 0, "stop starting histories on bbolt after this long (0: 14s, or 4s with -short); dynalite gets half of it")
)

// checkTimeout bounds porcupine on one history; a history it cannot decide in time is
// counted as inconclusive, not failed.
const checkTimeout = 3 * time.Second

// checkSlots limits how many histories porcupine checks at once, to half the CPUs: the
// search is CPU-bound, and histories still being played are timing-sensitive — starved of
// CPU, their commands overrun the budget, get deferred, and make every history harder to
// check. A worker waiting for a slot starts no new history.
var checkSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))

// One dynalite for the package (dynamotest.Main), started only if a test asks for it.
func TestMain(m *testing.M) { dynamotest.Main(m) }

// TestHistoriesLinearizable checks random histories, as many as fit the time limit, and
// fails on the first few that no sequential order of commands explains.
func TestHistoriesLinearizable(t *testing.T) {
	t.Parallel() // with the scripted tests that mostly wait
	checkTolerate(t)
	base := *seedFlag
	if base == 0 {
		base = uint64(time.Now().UnixNano())
	}
	t.Logf("seeds from %d (rerun these histories with -seed=%d)", base, base)
	n, limit := 2000, 14*time.Second
	if testing.Short() {
		n, limit = 200, 4*time.Second
	}
	if *historiesFlag > 0 {
		n = *historiesFlag
	}
	if *forFlag > 0 {
		limit = *forFlag
	}
	// The stores side by side: the package's time is the longer of the two, not their sum.
	t.Run("boltdb", func(t *testing.T) {
		t.Parallel()
		// Histories mostly wait (budget, backoff, injected delays), so many run at once;
		// not too many, or the machine gets so slow that every command is deferred.
		workers := min(max(20*runtime.GOMAXPROCS(0), 8), 40)
		checkMany(t, boltBackend(t.TempDir()), base, n, workers, limit)
	})
	t.Run("dynalite", func(t *testing.T) {
		t.Parallel()
		client, table := dynamotest.NewTable(t)
		checkMany(t, dynamoBackend(client, table), base, max(n/20, 10), 8, limit/2)
	})
}

// FuzzHistories checks one randomized history on bbolt per input; the fuzzer only
// varies the seed. Scheduling is not replayed, so an input may not fail twice in the same
// way: the seed fixes the commands, the configuration and the fault plan's draws.
func FuzzHistories(f *testing.F) {
	for _, seed := range []uint64{1, 2, 3} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		checkTolerate(t)
		b := boltBackend(t.TempDir())
		cfg, profile := randomConfig(seed)
		r := runHistory(b, 0, seed, cfg)
		r.profile = profile
		if r.check == porcupine.Illegal {
			r.visual = visualize(r.ops, seed)
		}
		if msg := r.failure(); msg != "" {
			t.Fatal(msg)
		}
		if r.check == porcupine.Unknown {
			t.Logf("seed %d: porcupine could not decide within %v", seed, checkTimeout)
		}
	})
}

// checkMany checks up to n random histories on backend b, workers at a time, starting none
// after limit, and fails with the first few violations found.
func checkMany(t *testing.T, b backend, base uint64, n, workers int, limit time.Duration) {
	start := time.Now()
	var (
		mu       sync.Mutex
		total    stats
		failures []result
		next     int
		wg       sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				stop := i >= n || len(failures) >= 3 || time.Since(start) > limit
				mu.Unlock()
				if stop {
					return
				}
				seed := base + uint64(i)
				cfg, profile := randomConfig(seed)
				cfg.Budget += b.budget
				r := runHistory(b, i, seed, cfg)
				r.profile = profile
				mu.Lock()
				total.add(r.st)
				if r.failure() != "" {
					failures = append(failures, r)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	t.Logf("%s: %v in %v", b.name, &total, time.Since(start).Round(time.Millisecond))
	if total.histories < n && len(failures) == 0 {
		t.Logf("%s: stopped at the time limit of %v (-for) after %d of %d histories", b.name, limit, total.histories, n)
	}
	// Histories already running when the third failure came in finish, and may fail too:
	// show three, name the rest.
	for i, r := range failures {
		if i < 3 && r.check == porcupine.Illegal {
			r.visual = visualize(r.ops, r.seed)
		}
		if i == 3 {
			var seeds []string
			for _, r := range failures[3:] {
				seeds = append(seeds, fmt.Sprint(r.seed))
			}
			t.Errorf("%d more failing histories, seeds %s", len(seeds), strings.Join(seeds, ", "))
			break
		}
		t.Error(r.failure())
	}
}

// result is one checked history.
type result struct {
	seed     uint64
	profile  string
	ops      []porcupine.Operation
	check    porcupine.CheckResult
	problems []string
	st       stats
	visual   string // porcupine's visualization, when Illegal
	trace    string // the store-call trace, when the history failed (trace_test.go)
	err      error  // the history could not be played or read back
}

// failure describes what went wrong, or "" when the history is fine.
func (r result) failure() string {
	var b strings.Builder
	name := fmt.Sprintf("seed %d", r.seed)
	if r.profile != "" {
		name += " (" + r.profile + ")"
	}
	if r.err != nil {
		fmt.Fprintf(&b, "%s: %v\n", name, r.err)
	}
	for _, p := range r.problems {
		fmt.Fprintf(&b, "%s: %s\n", name, p)
	}
	if r.check == porcupine.Illegal {
		fmt.Fprintf(&b, "%s: porcupine: got %s, want %s — no order of these commands explains every answer", name, r.check, porcupine.Ok)
		if r.visual != "" {
			fmt.Fprintf(&b, "; visualization: %s", r.visual)
		}
		b.WriteString("\n")
	}
	if b.Len() == 0 {
		return ""
	}
	b.WriteString(dump(r.ops))
	b.WriteString(r.trace)
	return b.String()
}

// dump lists a history by when each command could take effect — from the first to the
// last store call of its request that could decide it, ending no later than its answer
// (ms since the history started; see world.history) — with the answer it got. U1 set
// "latte 1.2" @40 is U1's third command, sent 40 ms in.
func dump(ops []porcupine.Operation) string {
	ops = slices.Clone(ops)
	slices.SortStableFunc(ops, func(a, b porcupine.Operation) int { return int(a.Call - b.Call) })
	var b strings.Builder
	b.WriteString("  [could take effect, ms  ] who command @request time (ms) → answer\n")
	for _, op := range ops {
		fmt.Fprintf(&b, "  [%8.1f – %8.1f ms] %s\n", float64(op.Call)/1e6, float64(op.Return)/1e6, describe(op.Input.(input), op.Output.(output)))
	}
	return b.String()
}

// runHistory plays one random history on a fresh store of b and checks it.
func runHistory(b backend, id int, seed uint64, cfg config) result {
	return playAndCheck(b, id, seed, cfg, nil, func(w *world) {
		var users sync.WaitGroup
		for u := range cfg.Users {
			rng := rand.New(rand.NewPCG(seed, uint64(10+u)))
			users.Go(func() { w.play(u, rng) })
		}
		users.Wait()
	})
}

// playAndCheck runs script against a fresh store of b (wrapped by wrap, if set), waits
// for all work, reads the store back and checks the history.
func playAndCheck(b backend, id int, seed uint64, cfg config, wrap func(orders.Store) orders.Store, script func(*world)) (r result) {
	r.seed = seed
	h, err := b.open(id)
	if err != nil {
		r.err = err
		return r
	}
	defer h.release()
	store := h.store
	if wrap != nil {
		store = wrap(store)
	}
	w := newWorld(id, seed, cfg, store)
	script(w)
	if r.err = w.settle(); r.err != nil {
		return r
	}
	snap, err := w.snapshot(h.closed)
	if err != nil {
		r.err = err
		return r
	}
	r.ops = w.history(snap)
	checkSlots <- struct{}{}
	checkStart := time.Now()
	r.check = porcupine.CheckOperationsTimeout(model, r.ops, checkTimeout)
	checking := time.Since(checkStart)
	<-checkSlots
	w.mu.Lock()
	r.problems = w.problems
	r.st = w.st
	if r.check == porcupine.Illegal || len(r.problems) > 0 {
		r.trace = w.trace.format(w.cmds)
	}
	w.mu.Unlock()
	r.st.histories, r.st.operations = 1, len(r.ops)
	r.st.checking, r.st.slowest = checking, checking
	for k := faulty.None; k <= faulty.DelayRaced; k++ {
		r.st.faults[k] = w.faults.Injected(k)
	}
	if r.check == porcupine.Unknown {
		r.st.inconclusive = 1
	}
	return r
}

// visualize writes porcupine's HTML view of an illegal history to a file that outlives
// the test, and returns its path.
func visualize(ops []porcupine.Operation, seed uint64) string {
	_, info := porcupine.CheckOperationsVerbose(model, ops, checkTimeout)
	f, err := os.CreateTemp("", fmt.Sprintf("orderbot-history-%d-*.html", seed))
	if err != nil {
		return "(not written: " + err.Error() + ")"
	}
	f.Close()
	if err := porcupine.VisualizePath(model, info, f.Name()); err != nil {
		return "(not written: " + err.Error() + ")"
	}
	return f.Name()
}

// menu is what people order; every order also carries its user and sequence number, so
// that each is unique and a tally names exactly whose order it holds.
var menu = []string{"latte", "mocha", "flat white", "iced americano", "chai"}

// play is one user: a few dozen milliseconds of commands with short pauses, not waiting
// for deferred answers — people type the next command while "Working on it…" shows.
func (w *world) play(u int, rng *rand.Rand) {
	for i := range w.cfg.PerUser {
		pause := time.Duration(rng.Int64N(int64(w.cfg.Pause)))
		if rng.IntN(10) == 0 {
			pause *= 10
		}
		time.Sleep(pause)
		item := fmt.Sprintf("%s %d.%d", menu[rng.IntN(len(menu))], u+1, i)
		switch p := rng.Float64(); {
		case p < 0.3:
			w.send(u, opSet, item)
		case p < 0.38:
			w.submit(u, item)
		case p < 0.48:
			w.send(u, opCancel, "")
		case p < 0.58:
			w.send(u, opClose, "")
		case p < 0.66:
			w.click(u, opJoin, rng)
		case p < 0.71:
			w.click(u, opUnjoin, rng)
		case p < 0.75:
			w.click(u, opCloseClick, rng)
		case p < 0.81:
			w.send(u, opDeadline, deadlineArg(rng))
		case p < 0.86 && w.fire(rng):
		case p < 0.93 || !w.replayOne(u, rng):
			w.send(u, opList, "")
		}
	}
}

// replayOne delivers one of user u's earlier requests again (world.replay), and reports
// whether u had one. Only a request already decided — answered at once, or answered on
// response_url after "Working on it…" — is replayed: a delivery racing an undecided first
// delivery is ordered by its own receive time (see the README, "Replays").
func (w *world) replayOne(u int, rng *rand.Rand) bool {
	w.mu.Lock()
	var mine []*command
	for _, c := range w.cmds {
		decided := c.sync != nil && c.syncErr == nil && (!strings.HasPrefix(c.sync.Text, "Working on it") || len(c.posts) > 0)
		if c.kind.interactive() {
			decided = c.syncErr == nil && len(replies(c.posts)) > 0 // answered on response_url only
		}
		if c.user == u && c.replayOf == nil && c.kind != opFire && decided {
			mine = append(mine, c)
		}
	}
	w.mu.Unlock()
	if len(mine) == 0 {
		return false
	}
	w.replay(mine[rng.IntN(len(mine))])
	return true
}

// deadlineArg is what follows `/order-list close`: a deadline minutes from now (each one
// distinct, well inside response_url's life), now and then "never".
func deadlineArg(rng *rand.Rand) string {
	if rng.IntN(5) == 0 {
		return "never"
	}
	return fmt.Sprintf("in %dm", 1+rng.IntN(20))
}

// backend makes a fresh store per history and reads back the rounds it closed.
type backend struct {
	name string
	open func(id int) (handle, error)
	// budget is added to a history's reply budget: a store whose every call takes
	// milliseconds would otherwise defer most commands for its latency alone, not for the
	// faults, and make each history harder to check than the faults make it.
	budget time.Duration
}

type handle struct {
	store orders.Store
	// closed reads every round the store closed in a channel, with opening times in Unix
	// ms. Called once, after all work is done and the open round was read.
	closed  func(orders.Channel) ([]closedRound, error)
	release func()
}

// boltBackend gives every history its own bbolt file: bbolt has one writer per file, so
// separate files let histories run side by side.
func boltBackend(dir string) backend {
	return backend{name: "boltdb", open: func(id int) (handle, error) {
		path := filepath.Join(dir, fmt.Sprintf("history-%d.db", id))
		s, err := boltdb.Open(path)
		if err != nil {
			return handle{}, err
		}
		var once sync.Once
		release := func() {
			once.Do(func() {
				s.Close()
				os.Remove(path)
			})
		}
		closed := func(ch orders.Channel) ([]closedRound, error) {
			// The store holds the file exclusively: close it, then read the file.
			once.Do(func() { s.Close() })
			defer os.Remove(path)
			return boltClosedRounds(path, ch)
		}
		return handle{store: s, closed: closed, release: release}, nil
	}}
}

// boltClosedRounds reads the closed rounds of ch from a bbolt file of store/boltdb, as
// that package's comment lays it out: bucket "closed", key team\x00channel\x00roundID,
// the round as JSON. Reading the file keeps the check independent of any Store method.
func boltClosedRounds(path string, ch orders.Channel) ([]closedRound, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var out []closedRound
	err = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("closed"))
		if b == nil {
			return fmt.Errorf("%s has no bucket \"closed\"", path)
		}
		prefix := []byte(ch.Team + "\x00" + ch.Channel + "\x00")
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, v = c.Next() {
			var r struct {
				OpenedAt time.Time `json:"opened_at"`
				Orders   map[string]struct {
					Item string `json:"item"`
				} `json:"orders"`
			}
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("closed round %q: %w", k, err)
			}
			cr := closedRound{openedAt: r.OpenedAt.UnixMilli()}
			for user, o := range r.Orders {
				u, err := userIndex(user)
				if err != nil {
					return err
				}
				cr.orders[u] = o.Item
			}
			out = append(out, cr)
		}
		return nil
	})
	return out, err
}

// dynamoBackend shares one table among histories, each in its own channel.
func dynamoBackend(client *dynamodb.Client, table string) backend {
	return dynamoBackendOver(uncancelled{client}, client, table)
}

// dynamoBackendOver is dynamoBackend with the store calling DynamoDB through db.
func dynamoBackendOver(db dynamo.API, client *dynamodb.Client, table string) backend {
	s := dynamo.New(db, table)
	return backend{name: "dynalite", budget: 200 * time.Millisecond, open: func(int) (handle, error) {
		closed := func(ch orders.Channel) ([]closedRound, error) {
			return dynamoClosedRounds(client, table, ch)
		}
		return handle{store: s, closed: closed, release: func() {}}, nil
	}}
}

// dynamoClosedRounds reads the closed rounds of ch as store/dynamo's schema lays them out:
// history items R#<round id> in the channel's partition, plus the slot itself while it
// holds a closed round not yet moved to history.
func dynamoClosedRounds(client *dynamodb.Client, table string, ch orders.Channel) ([]closedRound, error) {
	esc := strings.NewReplacer("%", "%25", "#", "%23")
	pk := "C#" + esc.Replace(ch.Team) + "#" + esc.Replace(ch.Channel)
	p := dynamodb.NewQueryPaginator(client, &dynamodb.QueryInput{
		TableName:                 &table,
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
		ConsistentRead:            aws.Bool(true),
	})
	seen := map[string]bool{}
	var out []closedRound
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			return nil, err
		}
		for _, item := range page.Items {
			sk := str(item["sk"])
			_, closed := item["closed_at"]
			if !strings.HasPrefix(sk, "R#") && !(sk == "ROUND" && closed) {
				continue
			}
			id := str(item["round_id"])
			if seen[id] {
				continue
			}
			seen[id] = true
			opened, err := time.Parse(time.RFC3339Nano, str(item["opened_at"]))
			if err != nil {
				return nil, fmt.Errorf("round %s: opened_at: %w", id, err)
			}
			cr := closedRound{openedAt: opened.UnixMilli()}
			for name, v := range item {
				user, ok := strings.CutPrefix(name, "o#")
				if !ok {
					continue
				}
				u, err := userIndex(user)
				if err != nil {
					return nil, err
				}
				m, _ := v.(*types.AttributeValueMemberM)
				if m == nil {
					return nil, fmt.Errorf("round %s: %s is not a map", id, name)
				}
				cr.orders[u] = str(m.Value["item"])
			}
			out = append(out, cr)
		}
	}
	return out, nil
}

// uncancelled lets every DynamoDB request that was sent run to completion, and only then
// reports a cancellation, as if the server committed the request and the client gave up
// waiting. dynalite needs it: a client that aborts a request mid-flight makes it throw
// an uncaught ECONNRESET and exit, taking every later history down with it. Waiting for
// the response also keeps each store call's effects inside the call, which the
// linearizability check relies on (see span).
type uncancelled struct{ dynamo.API }

func finish[T any](ctx context.Context, call func(context.Context) (T, error)) (T, error) {
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err // not sent: the SDK would not send it either
	}
	out, err := call(context.WithoutCancel(ctx))
	if ctxErr := ctx.Err(); ctxErr != nil {
		var zero T
		return zero, sentError{ctxErr}
	}
	return out, err
}

// sentError is a cancellation reported after the request reached the server: unlike a
// plain context error, it may hide a commit (see decisive).
type sentError struct{ error }

func (e sentError) Unwrap() error { return e.error }

func (u uncancelled) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return finish(ctx, func(ctx context.Context) (*dynamodb.GetItemOutput, error) { return u.API.GetItem(ctx, in, opts...) })
}

func (u uncancelled) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return finish(ctx, func(ctx context.Context) (*dynamodb.PutItemOutput, error) { return u.API.PutItem(ctx, in, opts...) })
}

func (u uncancelled) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return finish(ctx, func(ctx context.Context) (*dynamodb.UpdateItemOutput, error) {
		return u.API.UpdateItem(ctx, in, opts...)
	})
}

func (u uncancelled) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return finish(ctx, func(ctx context.Context) (*dynamodb.DeleteItemOutput, error) {
		return u.API.DeleteItem(ctx, in, opts...)
	})
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}
