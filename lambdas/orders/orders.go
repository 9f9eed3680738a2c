// Package orders is the domain: order rounds per channel, at most one order per person in
// a round, grouped into a tally. It knows nothing of Slack, Lambda or a database; a Store
// persists rounds and must keep the rules under concurrency (see Store).
package orders

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxItemRunes bounds an order's item text.
const MaxItemRunes = 200

// Errors the domain reports. Store implementations return ErrNoOpenRound and ErrNoOrder.
var (
	ErrNoOpenRound  = errors.New("no open round")
	ErrNoOrder      = errors.New("no order in the open round")
	ErrEmptyItem    = errors.New("item is empty")
	ErrItemTooLong  = fmt.Errorf("item is longer than %d characters", MaxItemRunes)
	ErrInvalidItem  = errors.New("item holds control characters or invalid UTF-8")
	ErrInvalidInput = errors.New("team, channel and user are required")
	ErrRoundFull    = fmt.Errorf("the round holds %d orders, the most one round takes", MaxOrders)
	ErrNoRequest    = errors.New("a change needs the id and time of the request that asked for it")
	ErrStale        = errors.New("the round the request was made on is no longer open")
	ErrInvalidLimit = errors.New("a listing takes at least one round")
	// ErrRefused: the store's service refused the request outright — not authorised, not
	// valid — so it wrote nothing, and sending it again would change nothing either.
	ErrRefused = errors.New("the store refused the request; nothing was written")
)

// MaxOrders caps a round. A round lives in one DynamoDB item (400 KB); 250 orders of the
// longest item (200 runes, up to 800 bytes of UTF-8) with their names and request records
// stay under 300 KB, so closing a full round — which only adds a few attributes — can
// never fail on size.
const MaxOrders = 250

// RequestMemory is how long a store remembers a user's latest request once the round it
// changed is closed. A request older than this is never run again — Lambda starts a
// deferred run at most api.MaxEventAge (25 min) after the command and the run lasts at
// most api.DeferredTimeout (30 s); a replay is refused after Slack's 5-minute signature
// window — so older records cannot decide anything.
const RequestMemory = time.Hour

// DefaultHistoryTTL is how long a closed round stays in history (ClosedRounds) after it
// closed, unless the store is configured otherwise (dynamo.HistoryTTL, boltdb.HistoryTTL).
// A store never keeps history shorter than RequestMemory: a repeat of a request reads the
// round it changed back from history.
const DefaultHistoryTTL = 90 * 24 * time.Hour

// ClosedByDeadline is Round.ClosedBy of a round closed by its deadline (a CloseRound whose
// request carries Request.DeadlineBy). Slack ids never hold '!'.
const ClosedByDeadline = "!deadline"

// Request identifies the Slack request that asked for a change. A change is applied at
// most once per request, and a user's order only ever moves forward in request time:
// a request arriving late (a deferred run, a retry) never undoes a newer one.
type Request struct {
	ID string    // a digest of the signed request: equal for every delivery of it
	At time.Time // when it was received; orders one user's requests signed in one second
	// Signed is Slack's signed timestamp (whole seconds), the same for every delivery of
	// the request; zero for a request Slack did not sign (a schedule firing), for which At
	// stands in. With ID it is the request's identity (Key), which a store checks before
	// it orders the request by At: a delivery arriving later carries a later At, and
	// must still be recognised (issue #21).
	Signed time.Time
	// Round, when set, is the round the request was made on (a click on that round's
	// message): the change applies only while that round is open, and is ErrStale
	// otherwise — unless the request already took effect, which is replayed as always.
	Round string
	// User is who asked: CloseRound records it as the round's ClosedBy. Order changes
	// name their user otherwise (Order.User, the user argument) and ignore it.
	User string
	// DeadlineBy, when set, makes a CloseRound a scheduled close: it applies only while the
	// open round's deadline is the one request DeadlineBy set (Round.DeadlineBy), and is
	// ErrStale otherwise — the deadline was replaced or removed, or the round closed —
	// unless the close already took effect, which is replayed as always. Only CloseRound
	// reads it.
	DeadlineBy string
}

func (r Request) valid() bool { return r.ID != "" && !r.At.IsZero() }

// SignedAt is when the request was signed: Signed, or At for a request Slack did not sign.
func (r Request) SignedAt() time.Time {
	if !r.Signed.IsZero() {
		return r.Signed
	}
	return r.At
}

// Key is the request's identity as stores record it: its signed second, then its id, so
// that keys sort by signing time. Every delivery of a request has the same key.
// The id is cut to 16 characters (64 bits of a digest) to keep the records small; two
// requests of one user signed in the same second never share them in practice.
func (r Request) Key() string {
	id := r.ID
	if len(id) > 16 {
		id = id[:16]
	}
	return fmt.Sprintf("%010d.%s", r.SignedAt().Unix(), id)
}

// KeySecond is the signed second a Key starts with (0 when k is not a key).
func KeySecond(k string) int64 {
	sec, _, _ := strings.Cut(k, ".")
	var n int64
	for _, c := range sec {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// MaxRecent bounds the identities (Key) a store keeps of one user's recent order
// requests. Once a user has more, the oldest go — except those signed in the newest
// second — and the user's floor (the latest signed second dropped) rises: a request
// signed at or before its user's floor never applies. So a request delivered again is
// recognised whenever it arrives (issue #21), by its key while kept and by the floor
// after, and the records stay small: fewer than MaxRecent keys per user, unless one user's
// requests signed in a single second outnumber them.
const MaxRecent = 6

// TrimRecent keeps at most MaxRecent/2 of a user's recent keys once they number MaxRecent
// or more, dropping the oldest but never one signed in the newest second; it returns the
// keys kept and the new floor (at least floor).
func TrimRecent(keys []string, floor int64) ([]string, int64) {
	if len(keys) < MaxRecent {
		return keys, floor
	}
	sorted := append([]string(nil), keys...)
	sort.Strings(sorted)
	newest := KeySecond(sorted[len(sorted)-1])
	drop := 0
	for drop < len(sorted)-MaxRecent/2 && KeySecond(sorted[drop]) < newest {
		floor = max(floor, KeySecond(sorted[drop]))
		drop++
	}
	return sorted[drop:], floor
}

// Newer reports whether r comes after o in (signed second, receive time, id): signed in
// a later second; or in the same one and received later, or at the same instant with a
// greater id — so that any two requests are ordered the same way everywhere. The signed
// second comes first because every delivery of a request carries its first delivery's:
// a replay received after a newer request of its user, while its first delivery was
// still undecided, is older than that request, as its first delivery is (issue #21). A
// user's requests are all signed on one clock (Slack's), so skew between Slack and AWS
// does not reorder them. When either is unsigned (Signed zero: a schedule firing, or a
// record a store wrote before it kept the signed second) they are ordered by receive
// time alone, as before.
func (r Request) Newer(o Request) bool {
	if !r.Signed.IsZero() && !o.Signed.IsZero() && r.Signed.Unix() != o.Signed.Unix() {
		return r.Signed.Unix() > o.Signed.Unix()
	}
	if !r.At.Equal(o.At) {
		return r.At.After(o.At)
	}
	return r.ID > o.ID
}

// Outcome says what a change did.
type Outcome int

const (
	// Applied: this call made the change.
	Applied Outcome = iota
	// Replayed: an earlier delivery of the same request made it; nothing changed now.
	// Result.Round is the round it changed, as it is now (it may have closed since), or
	// the zero Round when the request changed nothing (a cancel without an order).
	Replayed
	// Superseded: a newer request of the same user was applied first; nothing changed.
	// Result.Round is the open round (zero when none).
	Superseded
)

func (o Outcome) String() string {
	switch o {
	case Applied:
		return "applied"
	case Replayed:
		return "replayed"
	case Superseded:
		return "superseded"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Result is what a change returns.
type Result struct {
	Round   Round
	Outcome Outcome
	// NoChange marks a Replayed request that changed nothing the first time either (a
	// cancel without an order, a close without a round to close): stores answer those
	// repeats with the same error as the first delivery (ErrNoOrder, ErrNoOpenRound), and
	// Abandon reports them with NoChange.
	NoChange bool
	// NewOrder marks an Applied SetOrder that added the user's order to the round (they
	// had none in it); false when it replaced their order. The Home index is noted only
	// then (Service.Set).
	NewOrder bool
}

// NoChange is the round id a store's request record names for a request that changed
// nothing; "" names an abandoned one.
const NoChange = "-"

// Target names whose request record a change consults: every order request of one user
// shares one record (SetOrder, CancelOrder); closes and deadline changes are recorded
// per request.
type Target struct {
	User     string // the user whose order the request changes; "" for a close or deadline
	Close    bool   // a CloseRound request
	Deadline bool   // a SetDeadline request
}

// Channel identifies where a round lives: one Slack channel of one workspace.
type Channel struct {
	Team    string
	Channel string
}

func (c Channel) String() string { return c.Team + "/" + c.Channel }

func (c Channel) valid() bool { return c.Team != "" && c.Channel != "" }

// Order is one person's order in a round.
type Order struct {
	User     string    // stable id (Slack user id)
	UserName string    // display name at the time of ordering
	Item     string    // as typed, after validation
	At       time.Time // when the request that set it was received
	Req      string    // that request's id
}

// Round is a channel's collection of orders from opening to closing.
type Round struct {
	Channel  Channel
	ID       string // sortable by opening time
	OpenedAt time.Time
	ClosedAt time.Time // zero while open
	Orders   []Order   // sorted by At, then User
	OpenedBy string    // the user whose order opened the round
	// ClosedBy is who closed the round: the closing request's User, or ClosedByDeadline
	// for a scheduled close. "" while open (and for a close whose request named no one).
	ClosedBy string
	// Deadline is when the round is to close (zero: none), set by request DeadlineBy
	// ("" when none) with SetDeadline. A closed round keeps the deadline it had.
	Deadline   time.Time
	DeadlineBy string
}

// Open reports whether the round still takes orders.
func (r Round) Open() bool { return r.ClosedAt.IsZero() }

// Store persists rounds. Implementations must be safe for concurrent use, also across
// processes sharing one database, and keep these guarantees:
//   - SetOrder racing CloseRound lands in exactly one round: either the closed round (and
//     is in the tally CloseRound returns) or the next one, never neither.
//   - Concurrent SetOrder calls by different users all land.
//   - Every change is identified by its Request and decided by the store's own record of
//     it, never by whether an earlier call timed out: a request applies at most once
//     (a repeat reports Replayed and the round it changed — also when a newer request of
//     the user has been applied since and the round has closed), and a user's request
//     older than one already applied for that user changes nothing (Superseded).
//   - Every returned Round reflects the state right after the operation.
//   - A request with a precondition (Request.Round) applies only while it holds, decided
//     in the same atomic step as the change, after the request's record: a request that
//     already took effect is Replayed (or Superseded) as without one; otherwise a failed
//     precondition is ErrStale and writes nothing — no round is opened and the request
//     is not recorded. It need not be: the round it names has closed, or is not the open
//     one, and a closed round never reopens, so the request could never apply later
//     either. Abandon too: a request whose precondition failed, and that did not take
//     effect, is ErrStale there and writes nothing — it needs no fence (issue #21).
type Store interface {
	// SetOrder puts o into the channel's open round, replacing o.User's previous order,
	// and opens a round (with id newID) if none is open. ErrRoundFull when the round
	// already holds MaxOrders orders and o.User has none in it. With req.Round set it
	// never opens a round: ErrStale unless req.Round is the open round.
	SetOrder(ctx context.Context, ch Channel, o Order, req Request, newID string) (Result, error)
	// CancelOrder removes user's order from the open round: ErrNoOpenRound, ErrNoOrder.
	// A cancel that finds no order still counts as the user's latest request. With
	// req.Round set: ErrStale unless req.Round is the open round (also when none is).
	CancelOrder(ctx context.Context, ch Channel, user string, req Request) (Result, error)
	// OpenRound returns the open round, or ErrNoOpenRound.
	OpenRound(ctx context.Context, ch Channel) (Round, error)
	// CloseRound closes the open round at the given time and returns its final orders,
	// or ErrNoOpenRound. A round opened after req was received is not the one req asked
	// to close: it stays open (ErrNoOpenRound). A close that found nothing to close is
	// recorded too, so a repeat of it answers ErrNoOpenRound again instead of closing a
	// round opened since. With req.Round set: ErrStale unless req.Round is the open round
	// (also when none is); such a close never closes another round. With req.DeadlineBy
	// set (a scheduled close): ErrStale unless the open round's deadline is the one that
	// request set — so after a close by hand it is ErrStale, never ErrNoOpenRound. The
	// round records req.User as ClosedBy (ClosedByDeadline for a scheduled close), in the
	// same write that closes it.
	CloseRound(ctx context.Context, ch Channel, req Request, at time.Time) (Result, error)
	// SetDeadline sets or replaces the open round's deadline with at, or removes it when
	// at is zero, and returns the round. Deadline requests are ordered by Request.Newer
	// within a round: one older than the round's latest deadline request changes nothing
	// (Superseded). ErrNoOpenRound when none is open, or when the open round opened after
	// req was received (it is not the round req meant) — recorded, like CloseRound's, so
	// that a repeat answers the same; with req.Round set, ErrStale unless req.Round is the
	// open round. A repeat of a request is Replayed with the round it changed, as it is now.
	SetDeadline(ctx context.Context, ch Channel, at time.Time, req Request) (Result, error)
	// ClosedRounds returns the channel's last limit closed rounds with their orders, newest
	// first — in round id order, which is opening order; rounds close in that order except
	// when a late request opened a round with an earlier time than the one before. A round
	// whose history expired by now (closed longer than the store's history TTL ago) is
	// left out, whether or not it has been deleted yet. None: an empty slice, no error.
	ClosedRounds(ctx context.Context, ch Channel, limit int, now time.Time) ([]Round, error)
	// Abandon gives up on req for good: it records req so that no later delivery of it
	// can take effect, unless it already has — then it reports Replayed with the round,
	// as the change itself would. Applied means req is now sure never to apply. ErrStale,
	// nothing written, for a request whose precondition (req.Round) failed: it never can.
	Abandon(ctx context.Context, ch Channel, t Target, req Request) (Result, error)
	// MarkEvent records an event id until expires. It reports false when the id was
	// already recorded and had not expired at now: the event is a duplicate.
	MarkEvent(ctx context.Context, id string, now, expires time.Time) (bool, error)
	// EventRecorded reports whether id is recorded and not expired at now, writing nothing.
	EventRecorded(ctx context.Context, id string, now time.Time) (bool, error)
	// ForgetEvent removes an event id's record, so that a later MarkEvent of it is a
	// first delivery again (a claim given back after the work it guarded failed).
	ForgetEvent(ctx context.Context, id string) error
}

// NewRoundID returns an id that sorts by time and does not collide between processes.
func NewRoundID(at time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return at.UTC().Format("20060102T150405.000000000Z") + "-" + hex.EncodeToString(b[:])
}

// CleanItem validates item text and returns it trimmed.
func CleanItem(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", ErrInvalidItem
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrEmptyItem
	}
	if utf8.RuneCountInString(s) > MaxItemRunes {
		return "", ErrItemTooLong
	}
	for _, r := range s {
		if r != '\n' && (unicode.IsControl(r) || r == utf8.RuneError) {
			return "", ErrInvalidItem
		}
	}
	return s, nil
}

// ItemKey is what makes two spellings the same item: case-insensitive, whitespace runs
// collapsed.
func ItemKey(item string) string {
	return strings.ToLower(strings.Join(strings.Fields(item), " "))
}

// Group is one item of a tally with everyone who ordered it.
type Group struct {
	Item   string // the first spelling ordered
	Orders []Order
}

// Tally groups a round's orders by item: most ordered first, ties by who ordered first.
func Tally(r Round) []Group {
	orders := append([]Order(nil), r.Orders...)
	SortOrders(orders)
	index := map[string]int{}
	var groups []Group
	for _, o := range orders {
		k := ItemKey(o.Item)
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, Group{Item: o.Item})
		}
		groups[i].Orders = append(groups[i].Orders, o)
	}
	sort.SliceStable(groups, func(i, j int) bool { return len(groups[i].Orders) > len(groups[j].Orders) })
	return groups
}

// SortOrders puts orders in the order Round.Orders promises.
func SortOrders(orders []Order) {
	sort.Slice(orders, func(i, j int) bool {
		if !orders[i].At.Equal(orders[j].At) {
			return orders[i].At.Before(orders[j].At)
		}
		return orders[i].User < orders[j].User
	})
}

// Service applies the rules on top of a Store.
type Service struct {
	Store Store
	Now   func() time.Time // injectable clock; time.Now when nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Set validates item and makes it user's order in the channel's open round, on behalf of
// request req.
func (s *Service) Set(ctx context.Context, ch Channel, user, userName, item string, req Request) (Result, error) {
	if !ch.valid() || user == "" {
		return Result{}, ErrInvalidInput
	}
	if !req.valid() {
		return Result{}, ErrNoRequest
	}
	item, err := CleanItem(item)
	if err != nil {
		return Result{}, err
	}
	o := Order{User: user, UserName: userName, Item: item, At: req.At, Req: req.ID}
	r, err := s.Store.SetOrder(ctx, ch, o, req, NewRoundID(req.At))
	if err != nil {
		return Result{}, fmt.Errorf("set order in %s: %w", ch, err)
	}
	if err := s.noteHome(ctx, ch, user, req.At, r); err != nil {
		return Result{}, err
	}
	return r, nil
}

// Cancel withdraws user's order from the open round.
func (s *Service) Cancel(ctx context.Context, ch Channel, user string, req Request) (Result, error) {
	if !ch.valid() || user == "" {
		return Result{}, ErrInvalidInput
	}
	if !req.valid() {
		return Result{}, ErrNoRequest
	}
	r, err := s.Store.CancelOrder(ctx, ch, user, req)
	if err != nil {
		return Result{}, fmt.Errorf("cancel order in %s: %w", ch, err)
	}
	return r, nil
}

// Current returns the open round; a channel without one gets an empty, unsaved round.
func (s *Service) Current(ctx context.Context, ch Channel) (Round, error) {
	if !ch.valid() {
		return Round{}, ErrInvalidInput
	}
	r, err := s.Store.OpenRound(ctx, ch)
	if errors.Is(err, ErrNoOpenRound) {
		return Round{Channel: ch}, nil
	}
	if err != nil {
		return Round{}, fmt.Errorf("read round in %s: %w", ch, err)
	}
	return r, nil
}

// Close closes the open round and returns its final tally.
func (s *Service) Close(ctx context.Context, ch Channel, req Request) (Result, error) {
	if !ch.valid() {
		return Result{}, ErrInvalidInput
	}
	if !req.valid() {
		return Result{}, ErrNoRequest
	}
	r, err := s.Store.CloseRound(ctx, ch, req, s.now())
	if err != nil {
		return Result{}, fmt.Errorf("close round in %s: %w", ch, err)
	}
	return r, nil
}

// SetDeadline sets (or, with a zero at, removes) the open round's deadline on behalf of
// req; see Store.SetDeadline.
func (s *Service) SetDeadline(ctx context.Context, ch Channel, at time.Time, req Request) (Result, error) {
	if !ch.valid() {
		return Result{}, ErrInvalidInput
	}
	if !req.valid() {
		return Result{}, ErrNoRequest
	}
	r, err := s.Store.SetDeadline(ctx, ch, at, req)
	if err != nil {
		return Result{}, fmt.Errorf("set deadline in %s: %w", ch, err)
	}
	return r, nil
}

// ClosedRounds returns the channel's last limit closed rounds, newest first, with their
// orders; rounds whose history has expired are left out.
func (s *Service) ClosedRounds(ctx context.Context, ch Channel, limit int) ([]Round, error) {
	if !ch.valid() {
		return nil, ErrInvalidInput
	}
	if limit < 1 {
		return nil, ErrInvalidLimit
	}
	rs, err := s.Store.ClosedRounds(ctx, ch, limit, s.now())
	if err != nil {
		return nil, fmt.Errorf("list closed rounds in %s: %w", ch, err)
	}
	return rs, nil
}

// Abandon makes sure req never takes effect, or reports (Replayed) that it already has.
func (s *Service) Abandon(ctx context.Context, ch Channel, t Target, req Request) (Result, error) {
	if !ch.valid() || (!t.Close && !t.Deadline && t.User == "") {
		return Result{}, ErrInvalidInput
	}
	if !req.valid() {
		return Result{}, ErrNoRequest
	}
	r, err := s.Store.Abandon(ctx, ch, t, req)
	if err != nil {
		return Result{}, fmt.Errorf("abandon request %s in %s: %w", req.ID, ch, err)
	}
	return r, nil
}

// FirstDelivery records an event id for ttl and reports whether this is its first
// delivery.
func (s *Service) FirstDelivery(ctx context.Context, eventID string, ttl time.Duration) (bool, error) {
	now := s.now()
	first, err := s.Store.MarkEvent(ctx, eventID, now, now.Add(ttl))
	if err != nil {
		return false, fmt.Errorf("mark event %s: %w", eventID, err)
	}
	return first, nil
}

// Recorded reports whether an event id is recorded (and not expired), writing nothing.
func (s *Service) Recorded(ctx context.Context, eventID string) (bool, error) {
	ok, err := s.Store.EventRecorded(ctx, eventID, s.now())
	if err != nil {
		return false, fmt.Errorf("read event %s: %w", eventID, err)
	}
	return ok, nil
}

// ReplyClaimPrefix starts the event id that claims the deferred answer to a request.
const ReplyClaimPrefix = "reply#"

// ReplyClaim is the event id that claims the deferred answer to request id for a short
// lease: one delivery of the request answers at a time.
func ReplyClaim(id string) string { return ReplyClaimPrefix + id }

// ReplySent is the event id recorded once the deferred answer to request id was
// delivered: later deliveries of the request do not answer again.
func ReplySent(id string) string { return ReplyClaimPrefix + id + "#sent" }

// Release gives back a claim taken with FirstDelivery, after the work it guarded failed.
func (s *Service) Release(ctx context.Context, eventID string) error {
	if err := s.Store.ForgetEvent(ctx, eventID); err != nil {
		return fmt.Errorf("forget event %s: %w", eventID, err)
	}
	return nil
}
