// Package boltdb is the embedded orders.Store for running orderbot on one machine
// (`orderbot dev`): one bbolt file, no server.
//
// bbolt over SQLite: the store needs ordered keys and serialisable read-modify-write, which
// bbolt's single-writer transactions give with a pure-Go package a fraction of SQLite's
// size (modernc.org/sqlite is a transpiled C library of several MB). Every write commits
// with fsync, so an acknowledged order survives a crash; the single writer makes every
// race of the Store contract trivially serialisable.
//
// Layout: bucket "slots" maps team\x00channel to the channel's slot (JSON): the open
// round and the records of recent requests (see slot); bucket "closed" maps
// team\x00channel\x00roundID to each closed round; bucket "events" maps an event id to its
// expiry (Unix nanoseconds, 8 bytes big-endian); bucket "recent" maps
// team\x00channel\x00user to that user's recent request keys and floor (see recent);
// bucket "changes" maps team\x00channel\x00roundID\x00user to the entries of the user's
// change set that left the round (JSON list, see round.Changes).
package boltdb

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/orderbot/orderbot/lambdas/orders"
)

var (
	bucketSlots  = []byte("slots")
	bucketClosed = []byte("closed")
	bucketEvents = []byte("events")
	bucketRecent = []byte("recent") // see recent
	// bucketChanges keeps the change-set entries that left a round (see round.Changes).
	bucketChanges = []byte("changes")
	// bucketLegacy held the open round itself before request records existed; a slot
	// missing from bucketSlots is read from it once.
	bucketLegacy = []byte("open")
)

// Store is an orders.Store in a bbolt file. It is safe for concurrent use; one process
// holds the file at a time.
type Store struct {
	db *bolt.DB
	// historyTTL is how long a closed round stays in history after it closed.
	historyTTL time.Duration
}

// Option configures a Store.
type Option func(*Store)

// HistoryTTL keeps closed rounds for d after they closed instead of
// orders.DefaultHistoryTTL: ClosedRounds leaves older ones out, and closes delete a few
// of them each. A d shorter than orders.RequestMemory counts as that, as in store/dynamo.
func HistoryTTL(d time.Duration) Option {
	return func(s *Store) { s.historyTTL = max(d, orders.RequestMemory) }
}

// Open opens or creates the database at path, creating its directory.
func Open(path string, opts ...Option) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("open %s: another process (is orderbot dev already running?) holds it", path)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketSlots, bucketClosed, bucketEvents, bucketLegacy, bucketRecent, bucketChanges} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{db: db, historyTTL: orders.DefaultHistoryTTL}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Close releases the file.
func (s *Store) Close() error { return s.db.Close() }

// slot is everything the store keeps about a channel besides its closed rounds: the open
// round and the records of recent requests that decide whether a request already
// applied or was superseded. It mirrors the DynamoDB slot item.
type slot struct {
	Round *round `json:"round,omitempty"`
	// Idle are the requests that found nothing to cancel while no round was open, and
	// those given up then (+ givenUpMark).
	Idle      map[string][]string   `json:"idle,omitempty"`
	Users     map[string]requestRec `json:"users,omitempty"`     // each user's latest order request
	Closes    map[string]requestRec `json:"closes,omitempty"`    // close requests by request id
	Deadlines map[string]requestRec `json:"deadlines,omitempty"` // deadline requests by request id
	// DeadlineFloor is the latest signed second of a deadline record dropped by
	// trimRecords: a deadline request signed at or before it never applies.
	DeadlineFloor int64 `json:"deadline_floor,omitempty"`
}

// recent is what bucket "recent" keeps per channel and user (key team\x00channel\x00user):
// the keys (orders.Request.Key) of the user's recent order requests and the user's floor —
// a request signed at or before it (Unix seconds) never applies (orders.MaxRecent). They
// are checked before a request is ordered by its receive time, so a delivery arriving
// later is still a repeat, and written in the transaction that records the request. A
// bucket of their own rather than the slot: the slot is decoded and encoded by every
// write, and a few hundred users' keys would double it.
type recent struct {
	Keys  []string `json:"keys"`
	Floor int64    `json:"floor,omitempty"`
}

func recentKey(ch orders.Channel, user string) []byte {
	return []byte(string(channelKey(ch)) + "\x00" + user)
}

func getRecent(tx *bolt.Tx, ch orders.Channel, user string) (recent, error) {
	var r recent
	if v := tx.Bucket(bucketRecent).Get(recentKey(ch, user)); v != nil {
		if err := json.Unmarshal(v, &r); err != nil {
			return recent{}, fmt.Errorf("decode recent requests of %s in %s: %w", user, ch, err)
		}
	}
	return r, nil
}

// seen reports whether user's request req is one the store knows: its key is recent, or
// it was signed at or before the user's floor.
func seen(tx *bolt.Tx, ch orders.Channel, user string, req orders.Request) (bool, error) {
	r, err := getRecent(tx, ch, user)
	return slices.Contains(r.Keys, req.Key()) || r.Floor > 0 && req.SignedAt().Unix() <= r.Floor, err
}

// remember records req's key among user's recent requests, in the transaction that
// records req.
func remember(tx *bolt.Tx, ch orders.Channel, user string, req orders.Request) error {
	r, err := getRecent(tx, ch, user)
	if err != nil {
		return err
	}
	r.Keys, r.Floor = orders.TrimRecent(append(r.Keys, req.Key()), r.Floor)
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketRecent).Put(recentKey(ch, user), v)
}

// requestRec is a request that took effect; Round is the round it changed, "" when it
// changed nothing (a cancel without an order, an abandoned request).
type requestRec struct {
	Req    string    `json:"req"`
	At     time.Time `json:"at"`
	Round  string    `json:"round,omitempty"`
	Signed int64     `json:"signed,omitempty"` // the request's signed second (0: unsigned, or written before it was kept)
}

// userRec is a user's record of req: with its signed second, which orders.Request.Newer
// compares first (a schedule firing has none).
func userRec(req orders.Request, round string) requestRec {
	rec := requestRec{Req: req.ID, At: req.At, Round: round}
	if !req.Signed.IsZero() {
		rec.Signed = req.Signed.Unix()
	}
	return rec
}

// request is the request r records, for orders.Request.Newer: a record without a signed
// second (a deadline's, or one written before users' records kept it) orders by At alone.
func (r requestRec) request() orders.Request {
	req := orders.Request{ID: r.Req, At: r.At}
	if r.Signed != 0 {
		req.Signed = time.Unix(r.Signed, 0)
	}
	return req
}

// round is the stored form of a round.
type round struct {
	ID       string           `json:"id"`
	OpenedAt time.Time        `json:"opened_at"`
	ClosedAt time.Time        `json:"closed_at,omitzero"`
	Orders   map[string]order `json:"orders"`
	// Changes are the requests that set or withdrew each user's order in this round, so
	// that a repeat of one is recognised after a newer one replaced it (as in DynamoDB).
	// At maxChanges the older half leaves the round for bucket "changes" (spilled, then
	// spill), where a request not found here is looked up (changedIn): an entry dropped
	// outright once told a request that had applied that it changed nothing (issue #21).
	Changes map[string][]string `json:"changes,omitempty"`
	// spilled are the entries addChange took out of Changes, by user, until spill writes
	// them in the transaction.
	spilled  map[string][]string
	OpenedBy string    `json:"opened_by,omitempty"`
	ClosedBy string    `json:"closed_by,omitempty"`
	Deadline time.Time `json:"deadline,omitzero"`
	// DeadlineReq is the latest deadline request that changed the round (set, replaced
	// or removed its deadline): Deadline's DeadlineBy while Deadline is set.
	DeadlineReq requestRec `json:"deadline_req,omitzero"`
	// ExpiresAt is when a closed round leaves history (its close + the store's history
	// TTL); zero on rounds closed before history expired.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// maxChanges bounds a user's Changes; the older half goes when it is full.
const maxChanges = 8

// noChangeMark ends the entry of a request that changed nothing (a cancel without an
// order).
const noChangeMark = "|-"

// givenUpMark ends the entry of a user's request that was given up (Abandon): a later
// delivery of it, after a newer request of the user replaced its record, is still told it
// was given up — not "superseded", which would tell the person a newer request of theirs
// came first although this one was decided before that one arrived (issue #21).
const givenUpMark = "|x"

// changedNothing reports whether entry is one of a request that changed nothing: trimmed
// first, since a repeat of it told "superseded" is told nothing changed either way.
func changedNothing(entry string) bool {
	return strings.HasSuffix(entry, noChangeMark) || strings.HasSuffix(entry, givenUpMark)
}

func (r *round) addChange(user string, req orders.Request) {
	if r.Changes == nil {
		r.Changes = map[string][]string{}
	}
	c := append(r.Changes[user], req.ID)
	if len(c) > maxChanges {
		kept := trimChanges(c, changedNothing)
		if r.spilled == nil {
			r.spilled = map[string][]string{}
		}
		for _, e := range c {
			if !slices.Contains(kept, e) {
				r.spilled[user] = append(r.spilled[user], e)
			}
		}
		c = kept
	}
	r.Changes[user] = c
}

func changesKey(ch orders.Channel, rid, user string) []byte {
	return []byte(string(closedKey(ch, rid)) + "\x00" + user)
}

// spill writes the entries addChange took out of r's change sets to bucket "changes", in
// the transaction that trimmed them.
func (r *round) spill(tx *bolt.Tx, ch orders.Channel) error {
	for user, entries := range r.spilled {
		old, err := spilledChanges(tx, ch, r.ID, user)
		if err != nil {
			return err
		}
		v, err := json.Marshal(append(old, entries...))
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketChanges).Put(changesKey(ch, r.ID, user), v); err != nil {
			return err
		}
	}
	r.spilled = nil
	return nil
}

func spilledChanges(tx *bolt.Tx, ch orders.Channel, rid, user string) ([]string, error) {
	var out []string
	if v := tx.Bucket(bucketChanges).Get(changesKey(ch, rid, user)); v != nil {
		if err := json.Unmarshal(v, &out); err != nil {
			return nil, fmt.Errorf("decode trimmed changes of %s in round %s: %w", user, rid, err)
		}
	}
	return out, nil
}

// changedIn reports whether entry (a request id, + noChangeMark for one that changed
// nothing) is in user's change set of r, in the round or spilled from it.
func changedIn(tx *bolt.Tx, ch orders.Channel, r *round, user, entry string) (bool, error) {
	if r == nil {
		return false, nil
	}
	if slices.Contains(r.Changes[user], entry) {
		return true, nil
	}
	if len(r.Changes[user]) < maxChanges/2 { // never trimmed: a trim leaves half
		return false, nil
	}
	spilled, err := spilledChanges(tx, ch, r.ID, user)
	return slices.Contains(spilled, entry), err
}

// trimChanges keeps maxChanges/2 entries of a full change set, in order: the entries of
// requests that changed nothing go first, then the oldest. A trimmed entry of a request
// that changed nothing is answered "superseded" if the request comes again — also
// "nothing changed" — while a trimmed applied one would be told it changed nothing
// although it did, so those are kept longest (as in store/dynamo).
func trimChanges(c []string, noChange func(string) bool) []string {
	drop := len(c) - maxChanges/2
	out := make([]string, 0, maxChanges/2)
	for _, e := range c {
		if drop > 0 && noChange(e) {
			drop--
			continue
		}
		out = append(out, e)
	}
	return out[drop:]
}

type order struct {
	UserName string    `json:"user_name"`
	Item     string    `json:"item"`
	At       time.Time `json:"at"`
	Req      string    `json:"req,omitempty"`
}

func channelKey(ch orders.Channel) []byte { return []byte(ch.Team + "\x00" + ch.Channel) }

func closedKey(ch orders.Channel, id string) []byte {
	return []byte(string(channelKey(ch)) + "\x00" + id)
}

func (r round) domain(ch orders.Channel) orders.Round {
	out := orders.Round{
		Channel: ch, ID: r.ID, OpenedAt: r.OpenedAt, ClosedAt: r.ClosedAt, Orders: make([]orders.Order, 0, len(r.Orders)),
		OpenedBy: r.OpenedBy, ClosedBy: r.ClosedBy,
	}
	if !r.Deadline.IsZero() {
		out.Deadline, out.DeadlineBy = r.Deadline, r.DeadlineReq.Req
	}
	for user, o := range r.Orders {
		out.Orders = append(out.Orders, orders.Order{User: user, UserName: o.UserName, Item: o.Item, At: o.At, Req: o.Req})
	}
	orders.SortOrders(out.Orders)
	return out
}

func getSlot(tx *bolt.Tx, ch orders.Channel) (slot, error) {
	var sl slot
	if v := tx.Bucket(bucketSlots).Get(channelKey(ch)); v != nil {
		if err := json.Unmarshal(v, &sl); err != nil {
			return slot{}, fmt.Errorf("decode slot of %s: %w", ch, err)
		}
	} else if v := tx.Bucket(bucketLegacy).Get(channelKey(ch)); v != nil {
		var r round
		if err := json.Unmarshal(v, &r); err != nil {
			return slot{}, fmt.Errorf("decode round of %s: %w", ch, err)
		}
		sl.Round = &r
	}
	if sl.Users == nil {
		sl.Users = map[string]requestRec{}
	}
	if sl.Closes == nil {
		sl.Closes = map[string]requestRec{}
	}
	if sl.Deadlines == nil {
		sl.Deadlines = map[string]requestRec{}
	}
	return sl, nil
}

func putSlot(tx *bolt.Tx, ch orders.Channel, sl slot) error {
	v, err := json.Marshal(sl)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketLegacy).Delete(channelKey(ch)); err != nil {
		return err
	}
	return tx.Bucket(bucketSlots).Put(channelKey(ch), v)
}

// roundByID is the round a request record names: the open one or a closed one.
func roundByID(tx *bolt.Tx, ch orders.Channel, sl slot, id string) (orders.Round, error) {
	if id == "" {
		return orders.Round{}, nil
	}
	if sl.Round != nil && sl.Round.ID == id {
		return sl.Round.domain(ch), nil
	}
	v := tx.Bucket(bucketClosed).Get(closedKey(ch, id))
	if v == nil {
		return orders.Round{}, fmt.Errorf("round %s of %s is neither open nor closed", id, ch)
	}
	var r round
	if err := json.Unmarshal(v, &r); err != nil {
		return orders.Round{}, fmt.Errorf("decode round %s of %s: %w", id, ch, err)
	}
	return r.domain(ch), nil
}

// deadlineGone reports whether a scheduled close (req.DeadlineBy) finds its deadline gone:
// no round is open, or its deadline was removed or set by another request.
func (sl slot) deadlineGone(req orders.Request) bool {
	return req.DeadlineBy != "" && (sl.Round == nil || sl.Round.Deadline.IsZero() || sl.Round.DeadlineReq.Req != req.DeadlineBy)
}

// closeGone reports whether a close's precondition fails for good: stale, or its deadline gone.
func (sl slot) closeGone(req orders.Request) bool { return sl.stale(req) || sl.deadlineGone(req) }

// stale reports whether req's precondition fails: req.Round is set and is not the open
// round. A closed round never reopens, so it never holds again once it fails.
func (sl slot) stale(req orders.Request) bool {
	return req.Round != "" && (sl.Round == nil || sl.Round.ID != req.Round)
}

func (sl slot) open(ch orders.Channel) orders.Round {
	if sl.Round == nil {
		return orders.Round{}
	}
	return sl.Round.domain(ch)
}

// decided reports the outcome of a request the user's record already decides: a repeat
// of the recorded request, or an older one.
func decided(tx *bolt.Tx, ch orders.Channel, sl slot, rec requestRec, ok bool, user string, req orders.Request) (orders.Result, bool, error) {
	known, err := seen(tx, ch, user, req)
	if err != nil {
		return orders.Result{}, true, err
	}
	switch {
	case ok && rec.Req == req.ID:
		return replayed(tx, ch, sl, rec.Round)
	case known || ok && !req.Newer(rec.request()):
		// A request seen before (whatever its receive time: a delivery arriving later is
		// stamped later), or older than the user's latest — it may have taken effect before
		// that one was applied: in this round or in one that has closed since. Then it is
		// a repeat; otherwise it never applies.
		if applied, err := changedIn(tx, ch, sl.Round, user, req.ID); applied || err != nil {
			return orders.Result{Round: sl.open(ch), Outcome: orders.Replayed}, true, err
		}
		nothing, err := changedIn(tx, ch, sl.Round, user, req.ID+noChangeMark)
		if nothing || err != nil || slices.Contains(sl.Idle[user], req.ID) {
			return orders.Result{Outcome: orders.Replayed, NoChange: true}, true, err
		}
		givenUp, err := changedIn(tx, ch, sl.Round, user, req.ID+givenUpMark)
		if givenUp || err != nil || slices.Contains(sl.Idle[user], req.ID+givenUpMark) {
			return orders.Result{Outcome: orders.Replayed}, true, err // no round: given up
		}
		if res, found, err := closedWith(tx, ch, user, req); found || err != nil {
			return res, true, err
		}
		return orders.Result{Round: sl.open(ch), Outcome: orders.Superseded}, true, nil
	}
	return orders.Result{}, false, nil
}

// decidedOnce is decided, and records the key of a request it finds superseded, in the
// same transaction: that request never applies, and a delivery of it arriving later —
// stamped later, so no longer "older" — must be recognised too (issue #21).
func decidedOnce(tx *bolt.Tx, ch orders.Channel, sl *slot, rec requestRec, ok bool, user string, req orders.Request) (orders.Result, bool, error) {
	res, done, err := decided(tx, ch, *sl, rec, ok, user, req)
	if err == nil && done && res.Outcome == orders.Superseded {
		if known, serr := seen(tx, ch, user, req); serr != nil || !known {
			err = errors.Join(serr, remember(tx, ch, user, req))
		}
	}
	return res, done, err
}

// replayed is the outcome of a repeat of a recorded request that changed round id.
func replayed(tx *bolt.Tx, ch orders.Channel, sl slot, id string) (orders.Result, bool, error) {
	if id == orders.NoChange {
		return orders.Result{Outcome: orders.Replayed, NoChange: true}, true, nil
	}
	r, err := roundByID(tx, ch, sl, id)
	return orders.Result{Round: r, Outcome: orders.Replayed}, true, err
}

// closedWith finds the closed round holding user's order set by req, newest first: only
// rounds closed after req was received can (give or take clock skew between API Gateway,
// which stamps req, and the function, which stamps a close).
func closedWith(tx *bolt.Tx, ch orders.Channel, user string, req orders.Request) (orders.Result, bool, error) {
	prefix := append(channelKey(ch), 0)
	c := tx.Bucket(bucketClosed).Cursor()
	var k, v []byte
	if k, _ = c.Seek(append(append([]byte(nil), prefix...), 0xff)); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
		var r round
		if err := json.Unmarshal(v, &r); err != nil {
			return orders.Result{}, false, fmt.Errorf("decode round %s of %s: %w", k, ch, err)
		}
		if r.ClosedAt.Before(req.At.Add(-orders.RequestMemory)) {
			break // older rounds closed before req could run (with room for clock skew)
		}
		applied, err := changedIn(tx, ch, &r, user, req.ID)
		if o, ok := r.Orders[user]; ok && o.Req == req.ID || applied || err != nil {
			return orders.Result{Round: r.domain(ch), Outcome: orders.Replayed}, true, err
		}
		if nothing, err := changedIn(tx, ch, &r, user, req.ID+noChangeMark); nothing || err != nil {
			return orders.Result{Outcome: orders.Replayed, NoChange: true}, true, err
		}
		if givenUp, err := changedIn(tx, ch, &r, user, req.ID+givenUpMark); givenUp || err != nil {
			return orders.Result{Outcome: orders.Replayed}, true, err
		}
	}
	return orders.Result{}, false, nil
}

// outcome is what a request's transaction answers: its result, or refused — the answer
// of a request recorded although it changed nothing (orders.ErrNoOrder,
// orders.ErrNoOpenRound), returned after the record commits.
type outcome struct {
	res     orders.Result
	refused error
}

// change runs apply for req in one write transaction on ch's slot, after the prelude every
// request shares: a request its records already decide — a repeat (Replayed) or, for an
// order request, an older one (Superseded) — is answered from them, a repeat of one that
// changed nothing with noChange, as its first delivery was; a request whose precondition
// failed for good (gone) is orders.ErrStale and writes nothing. t says whose records
// decide: the user's (t.User) or the per-request ones of closes and deadline changes.
// apply's slot is written back.
func (s *Store) change(ctx context.Context, ch orders.Channel, t orders.Target, req orders.Request, noChange error,
	gone func(slot, orders.Request) bool, apply func(*bolt.Tx, *slot) (outcome, error)) (orders.Result, error) {
	var out outcome
	err := s.update(ctx, func(tx *bolt.Tx) error {
		sl, err := getSlot(tx, ch)
		if err != nil {
			return err
		}
		if res, done, err := sl.decided(tx, ch, t, req); done || err != nil {
			out = outcome{res: res}
			if res.NoChange && noChange != nil {
				out = outcome{refused: noChange}
			}
			return err
		}
		if gone != nil && gone(sl, req) {
			return orders.ErrStale // the transaction rolls back: nothing written
		}
		if out, err = apply(tx, &sl); err != nil {
			return err
		}
		if sl.Round != nil {
			if err := sl.Round.spill(tx, ch); err != nil {
				return err
			}
		}
		return putSlot(tx, ch, sl)
	})
	if err == nil && out.refused != nil {
		return orders.Result{}, out.refused
	}
	return out.res, err
}

// decided is what the records of t's requests decide about req (see change).
func (sl *slot) decided(tx *bolt.Tx, ch orders.Channel, t orders.Target, req orders.Request) (orders.Result, bool, error) {
	if records := sl.records(t); records != nil {
		rec, ok := records[req.ID]
		if !ok {
			return orders.Result{}, false, nil
		}
		return replayed(tx, ch, *sl, rec.Round)
	}
	rec, ok := sl.Users[t.User]
	return decidedOnce(tx, ch, sl, rec, ok, t.User, req)
}

// SetOrder implements orders.Store.
func (s *Store) SetOrder(ctx context.Context, ch orders.Channel, o orders.Order, req orders.Request, newID string) (orders.Result, error) {
	return s.change(ctx, ch, orders.Target{User: o.User}, req, nil, slot.stale, func(tx *bolt.Tx, sl *slot) (outcome, error) {
		if sl.Round == nil {
			sl.Round = &round{ID: newID, OpenedAt: req.At, Orders: map[string]order{}, OpenedBy: o.User}
		}
		_, has := sl.Round.Orders[o.User]
		if !has && len(sl.Round.Orders) >= orders.MaxOrders {
			return outcome{}, orders.ErrRoundFull
		}
		sl.Round.Orders[o.User] = order{UserName: o.UserName, Item: o.Item, At: req.At, Req: req.ID}
		sl.Round.addChange(o.User, req)
		sl.Users[o.User] = userRec(req, sl.Round.ID)
		return outcome{res: orders.Result{Round: sl.Round.domain(ch), Outcome: orders.Applied, NewOrder: !has}}, remember(tx, ch, o.User, req)
	})
}

// CancelOrder implements orders.Store. A cancel that finds no order is recorded all the
// same (see store/dynamo).
func (s *Store) CancelOrder(ctx context.Context, ch orders.Channel, user string, req orders.Request) (orders.Result, error) {
	return s.change(ctx, ch, orders.Target{User: user}, req, orders.ErrNoOrder, slot.stale, func(tx *bolt.Tx, sl *slot) (outcome, error) {
		var out outcome
		newRec := userRec(req, orders.NoChange)
		switch {
		case sl.Round == nil:
			out.refused = orders.ErrNoOpenRound
			sl.keepIdle(user, req.ID)
		case !hasOrder(sl.Round, user):
			out.refused = orders.ErrNoOrder
			sl.Round.addChange(user, orders.Request{ID: req.ID + noChangeMark})
		default:
			delete(sl.Round.Orders, user)
			sl.Round.addChange(user, req)
			newRec.Round = sl.Round.ID
			out.res = orders.Result{Round: sl.Round.domain(ch), Outcome: orders.Applied}
		}
		sl.Users[user] = newRec
		return out, remember(tx, ch, user, req)
	})
}

func hasOrder(r *round, user string) bool {
	_, ok := r.Orders[user]
	return ok
}

// OpenRound implements orders.Store.
func (s *Store) OpenRound(ctx context.Context, ch orders.Channel) (orders.Round, error) {
	if err := ctx.Err(); err != nil {
		return orders.Round{}, err
	}
	var out orders.Round
	err := s.db.View(func(tx *bolt.Tx) error {
		sl, err := getSlot(tx, ch)
		if err != nil {
			return err
		}
		if sl.Round == nil {
			return orders.ErrNoOpenRound
		}
		out = sl.Round.domain(ch)
		return nil
	})
	return out, err
}

// CloseRound implements orders.Store: the open round moves to the closed bucket in one
// transaction, so an order is either in it or lands in the next round.
func (s *Store) CloseRound(ctx context.Context, ch orders.Channel, req orders.Request, at time.Time) (orders.Result, error) {
	return s.change(ctx, ch, orders.Target{Close: true}, req, orders.ErrNoOpenRound, slot.closeGone, func(tx *bolt.Tx, sl *slot) (outcome, error) {
		if sl.Round == nil || (req.Round == "" && req.DeadlineBy == "" && sl.Round.OpenedAt.After(req.At)) {
			// Recorded, so that another delivery of this close cannot close a round
			// opened since by an order older than it.
			sl.Closes[req.ID] = requestRec{Req: req.ID, At: req.At, Round: orders.NoChange}
			return outcome{refused: orders.ErrNoOpenRound}, nil
		}
		r := *sl.Round
		r.ClosedAt, r.ClosedBy, r.ExpiresAt = at, req.User, at.Add(s.historyTTL)
		if req.DeadlineBy != "" {
			r.ClosedBy = orders.ClosedByDeadline
		}
		v, err := json.Marshal(r)
		if err != nil {
			return outcome{}, err
		}
		if err := tx.Bucket(bucketClosed).Put(closedKey(ch, r.ID), v); err != nil {
			return outcome{}, err
		}
		if err := s.sweepClosed(tx, ch, at, 8); err != nil {
			return outcome{}, err
		}
		sl.Round = nil
		sl.Closes[req.ID] = requestRec{Req: req.ID, At: req.At, Round: r.ID}
		for _, user := range sl.forget(at.Add(-orders.RequestMemory)) {
			if err := tx.Bucket(bucketRecent).Delete(recentKey(ch, user)); err != nil {
				return outcome{}, err
			}
		}
		return outcome{res: orders.Result{Round: r.domain(ch), Outcome: orders.Applied}}, nil
	})
}

// Abandon implements orders.Store: req is recorded so that it never applies — unless its
// records say it already has, or its precondition failed (stale: nothing to fence).
func (s *Store) Abandon(ctx context.Context, ch orders.Channel, t orders.Target, req orders.Request) (orders.Result, error) {
	return s.change(ctx, ch, t, req, nil, slot.stale, func(tx *bolt.Tx, sl *slot) (outcome, error) {
		if records := sl.records(t); records != nil {
			records[req.ID] = requestRec{Req: req.ID, At: req.At, Signed: req.SignedAt().Unix()}
			if t.Deadline && !t.Close {
				sl.DeadlineFloor = max(sl.DeadlineFloor, trimRecords(records)) // never closes': a forgotten close could close again
			}
		} else {
			sl.Users[t.User] = userRec(req, "")
			sl.noteGivenUp(t.User, req)
			if err := remember(tx, ch, t.User, req); err != nil {
				return outcome{}, err
			}
		}
		return outcome{res: orders.Result{Round: sl.open(ch), Outcome: orders.Applied}}, nil
	})
}

// noteGivenUp adds user's given-up request to the open round's change set, or to the
// requests kept while no round is open (Idle), where decided finds it once a newer request
// replaced the user's record.
func (sl *slot) noteGivenUp(user string, req orders.Request) {
	if sl.Round != nil {
		sl.Round.addChange(user, orders.Request{ID: req.ID + givenUpMark})
		return
	}
	sl.keepIdle(user, req.ID+givenUpMark)
}

// keepIdle keeps entry among user's requests decided while no round was open, the
// newest maxChanges at most.
func (sl *slot) keepIdle(user, entry string) {
	if sl.Idle == nil {
		sl.Idle = map[string][]string{}
	}
	sl.Idle[user] = append(sl.Idle[user], entry)
	if n := len(sl.Idle[user]); n > maxChanges {
		sl.Idle[user] = append([]string(nil), sl.Idle[user][n-maxChanges/2:]...)
	}
}

// records are the per-request records of t's requests (closes, deadline changes); nil for
// order requests, which share the user's record.
func (sl slot) records(t orders.Target) map[string]requestRec {
	switch {
	case t.Close:
		return sl.Closes
	case t.Deadline:
		return sl.Deadlines
	}
	return nil
}

// forget drops request records older than before that no open round needs: a request
// that old is never run again.
func (sl *slot) forget(before time.Time) (dropped []string) {
	for user, rec := range sl.Users {
		if rec.At.Before(before) && (sl.Round == nil || !hasOrder(sl.Round, user)) {
			delete(sl.Users, user)
			dropped = append(dropped, user) // its recent keys go too: too old to arrive again
		}
	}
	for user := range sl.Idle {
		if _, ok := sl.Users[user]; !ok {
			delete(sl.Idle, user)
		}
	}
	for _, records := range []map[string]requestRec{sl.Closes, sl.Deadlines} {
		for id, rec := range records {
			if rec.At.Before(before) {
				delete(records, id)
			}
		}
	}
	return dropped
}

// EventRecorded implements orders.Store.
func (s *Store) EventRecorded(ctx context.Context, id string, now time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	recorded := false
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketEvents).Get([]byte(id))
		recorded = len(v) == 8 && int64(binary.BigEndian.Uint64(v)) > now.UnixNano()
		return nil
	})
	return recorded, err
}

// ForgetEvent implements orders.Store.
func (s *Store) ForgetEvent(ctx context.Context, id string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEvents).Delete([]byte(id))
	})
}

// MarkEvent implements orders.Store. Expired records are overwritten and also swept, a
// few per call, so the bucket does not grow without bound.
func (s *Store) MarkEvent(ctx context.Context, id string, now, expires time.Time) (bool, error) {
	first := false
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		if v := b.Get([]byte(id)); len(v) == 8 && int64(binary.BigEndian.Uint64(v)) > now.UnixNano() {
			return nil
		}
		first = true
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], uint64(expires.UnixNano()))
		if err := b.Put([]byte(id), v[:]); err != nil {
			return err
		}
		return sweep(b, now, 16)
	})
	return first, err
}

func sweep(b *bolt.Bucket, now time.Time, limit int) error {
	var expired [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil && len(expired) < limit; k, v = c.Next() {
		if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) <= now.UnixNano() {
			expired = append(expired, append([]byte(nil), k...))
		}
	}
	for _, k := range expired {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(fn)
}
