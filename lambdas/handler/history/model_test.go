package history

import (
	"flag"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/anishathalye/porcupine"
)

// tolerate names known violations (see findings_test.go) that a run accepts, so that it
// can look for others behind them; by default none is accepted:
//   - overtaken: a request that took effect and was then overtaken by a newer request of
//     the same user in the same round, before a later run of it decided its answer, is
//     answered "superseded — this one changed nothing". With it, "superseded" may also
//     mean "applied earlier".
var tolerateFlag = flag.String("tolerate", "", "comma-separated known violations to accept: overtaken")

var tolerated = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for name := range strings.SplitSeq(*tolerateFlag, ",") {
		if name = strings.TrimSpace(name); name != "" {
			m[name] = true
		}
	}
	return m
})

func tolerates(name string) bool { return tolerated()[name] }

// checkTolerate refuses a -tolerate naming no known violation: a typo would otherwise
// tolerate nothing, silently.
func checkTolerate(t testing.TB) {
	for name := range tolerated() {
		if name != "overtaken" {
			t.Fatalf("-tolerate=%s: got %q, want one of: overtaken", *tolerateFlag, name)
		}
	}
}

// maxUsers bounds the users of one history, so that a round fits in an array and the
// model's state stays comparable with ==.
const maxUsers = 4

// kind is what a command asks for.
type kind int

const (
	opSet        kind = iota // /order-update <item>
	opCancel                 // /order-update cancel
	opClose                  // /order-list close
	opList                   // /order-list
	opSubmit                 // the order modal submitted with <item>: a set by another way in
	opJoin                   // "+1 same" clicked on round Round's message for <item>
	opUnjoin                 // "Cancel mine" clicked on round Round's message
	opCloseClick             // "Close round" clicked on round Round's message
	opDeadline               // /order-list close in <item> (or "never"): the round's deadline
	opFire                   // the close schedule of the deadline request DeadlineBy fires
	opSnapshot               // the test reading every round from the store at the end
)

func (k kind) String() string {
	return [...]string{"set", "cancel", "close", "list", "submit", "join click", "cancel click", "close click",
		"deadline", "deadline fires", "snapshot"}[k]
}

// clicked reports whether k is a click on a round message: a request with the
// precondition that its round is the open one (orders.Request.Round).
func (k kind) clicked() bool { return k == opJoin || k == opUnjoin || k == opCloseClick }

// answer is what a command's final reply means, classified from its text (classify).
type answer int

const (
	ansNone                answer = iota // never answered, or an error status: anything may have happened
	ansUnknown                           // "cannot tell whether your request took effect"
	ansSet                               // saved: in the open round, or in the round that has closed since
	ansSuperseded                        // a newer request of the user came first; says the user's current order
	ansNotSaved                          // gave up: the change never happens
	ansWithdrawn                         // the order was removed
	ansNothingToCancel                   // the user had no order
	ansClosed                            // the round closed, with this final tally
	ansNoOpenRound                       // no round this close may close
	ansNotClosed                         // gave up: the round stays open
	ansListed                            // the open round as shown by /order-list
	ansNotRead                           // gave up reading
	ansStale                             // a click on a round that is not the open one: nothing changed
	ansItemGone                          // a join of an item nobody has any more: nothing changed
	ansYouClosed                         // a close click closed the round
	ansDeadlineSet                       // the round's deadline (set now, or the one a newer request set)
	ansDeadlineRemoved                   // the round has no deadline (removed now, or by a newer request)
	ansDeadlineNotSet                    // gave up: no deadline change
	ansDeadlineClosedSince               // the round the deadline request was for has closed since
	ansSnapshot                          // the store's contents at the end
)

func (a answer) String() string {
	return [...]string{"no answer", "cannot tell", "saved", "superseded", "not saved", "withdrawn",
		"nothing to cancel", "closed", "no open round", "not closed", "listed", "not read", "stale click",
		"item gone", "you closed", "deadline set", "deadline removed", "deadline not set", "deadline's round closed since", "snapshot"}[a]
}

// round is the orders of a round: each user's item, "" for none.
type round [maxUsers]string

func (r round) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for u, item := range r {
		if item != "" {
			if b.Len() > 1 {
				b.WriteString(", ")
			}
			b.WriteString(userID(u) + "=" + item)
		}
	}
	b.WriteByte('}')
	return b.String()
}

// userID is the Slack user id of user u of a history.
func userID(u int) string { return "U" + strconv.Itoa(u+1) }

// input is a command as sent. At is the request time the handler derives from API
// Gateway's receive time, in milliseconds since the history started; Signed is Slack's
// signed timestamp (Unix seconds), the same for every delivery of the request. The store
// orders one user's requests by (Signed, At) — see state.newer.
type input struct {
	Cmd    int // the command's index in the history (world.cmds), to find it in the trace
	Kind   kind
	User   int
	Item   string // set only
	At     int64
	Signed int64
	// Replay: the signed request of an earlier command (Kind, User, Item as it), delivered
	// again later (issue #21). It never changes anything.
	Replay bool
	// Round: a click's round, by when it was opened (state.openedAt; ≥ 1).
	Round int64
	// DeadlineBy: a firing's deadline, by the At of the request that set it.
	DeadlineBy int64
}

// output is what the command's final answer said.
type output struct {
	Answer answer
	Item   string // superseded: the order the reply says the user has ("" none)
	Round  round  // closed: the final tally; listed: the round shown; snapshot: the open round
	// Snapshot only.
	Open     bool
	OpenedAt int64
	Closed   string // every closed round, as closedRounds renders them
}

// state is one channel as the stores keep it: the open round, when it was opened (the
// request time of the order that opened it), each user's latest recorded request, and
// every round closed so far. Each command of a history is a distinct request and takes
// effect at one point of the linearization, so "a request applies at most once" needs
// no set of applied requests here: a request that applied twice shows up as effects
// that no single point can explain.
type state struct {
	open     bool
	openedAt int64
	orders   round
	latest   [maxUsers]requestOrder // zero: no request recorded
	closed   string                 // closedRound.String() + "\n" per round, in closing order
	// closedHash is closed's hash, kept so that hashing a state need not read the string.
	closedHash uint64
	// The open round's deadline: the At of the request that set it (0: none), and of
	// the latest deadline request that changed it (set or removed; 0: none). A deadline
	// request older than that one never applies.
	dlBy, dlAt int64
}

// hash is consistent with ==: equal states have equal closed strings, so equal closedHash.
func (s state) hash() uint64 {
	type key struct {
		open       bool
		openedAt   int64
		orders     round
		latest     [maxUsers]requestOrder
		closedHash uint64
		dlBy, dlAt int64
	}
	return maphash.Comparable(hashSeed, key{s.open, s.openedAt, s.orders, s.latest, s.closedHash, s.dlBy, s.dlAt})
}

// closedRound is a round that has closed, as the snapshot reads it back.
type closedRound struct {
	openedAt int64
	orders   round
}

func (c closedRound) String() string {
	return "opened@" + strconv.FormatInt(c.openedAt, 10) + " " + c.orders.String()
}

// closedRounds renders rounds in a canonical order. They are sorted rather than kept in
// closing order because the stores list closed rounds by id, which sorts by opening time,
// and a round may be opened by a late request with an earlier time than the previous one.
func closedRounds(rs []closedRound) string {
	lines := make([]string, len(rs))
	for i, r := range rs {
		lines[i] = r.String()
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func (s state) String() string {
	open := "none"
	if s.open {
		open = fmt.Sprintf("opened@%d %v", s.openedAt, s.orders)
	}
	closed := strings.ReplaceAll(strings.TrimSuffix(s.closed, "\n"), "\n", "; ")
	if closed == "" {
		closed = "none"
	}
	if s.dlBy != 0 {
		open += fmt.Sprintf(" deadline by @%d", s.dlBy)
	}
	return fmt.Sprintf("open: %s | latest: %v | closed: %s", open, s.latest, closed)
}

// requestOrder is where a request stands in its user's order: its signed second, then
// its request time.
type requestOrder struct{ Signed, At int64 }

// newer is the store's rule for one user's requests (orders.Request.Newer): only a
// request newer than the user's recorded one may change anything — signed in a later
// second, or in the same one and received later. A replay keeps its first delivery's
// signed second, so one received after a newer request of its user is still older than
// it. Request times in a history are distinct, so the store's tie-break on the request id
// never matters.
func (s state) newer(in input) bool {
	l := s.latest[in.User]
	if l.At != 0 && in.Signed != l.Signed {
		return in.Signed > l.Signed
	}
	return in.At > l.At
}

// record notes in as the user's latest request without changing an order: a cancel that
// found nothing, or a request given up (Abandon).
func (s state) record(in input) state {
	s.latest[in.User] = requestOrder{in.Signed, in.At}
	return s
}

// set puts the user's order into the open round, opening one if none is.
func (s state) set(in input) state {
	if !s.open {
		s.open, s.openedAt, s.orders, s.dlBy, s.dlAt = true, in.At, round{}, 0, 0
	}
	s.orders[in.User] = in.Item
	return s.record(in)
}

// cancel removes the user's order, if any, and records the request.
func (s state) cancel(in input) state {
	s.orders[in.User] = ""
	return s.record(in)
}

// canClose: a close takes only a round opened by a request no newer than itself
// (OpenedAt ≤ its time), never one opened after it was sent.
func (s state) canClose(in input) bool { return s.open && s.openedAt <= in.At }

// close moves the open round to the closed ones. They are kept in closing order, which
// is cheap; the snapshot compares them in closedRounds order.
func (s state) close() state {
	s.closed += closedRound{s.openedAt, s.orders}.String() + "\n"
	s.closedHash = maphash.String(hashSeed, s.closed)
	s.open, s.openedAt, s.orders, s.dlBy, s.dlAt = false, 0, round{}, 0, 0
	return s
}

// closedSorted is s.closed in closedRounds form.
func (s state) closedSorted() string {
	lines := strings.Split(strings.TrimSuffix(s.closed, "\n"), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// step is the sequential specification: the states a command can leave behind, given
// the state before it and its answer; none when the answer is impossible there.
// Answers that leave the outcome open ("cannot tell", no answer) allow every outcome.
// (Written with ifs rather than a helper taking the next state, which would compute
// that state — a close formats the round — even where the answer rules it out.)
func step(s state, in input, out output) []any {
	u := in.User
	if in.Replay {
		// Whatever it is answered, a request delivered again leaves the channel as it is;
		// a listing still shows the round as it is.
		if in.Kind == opList && out.Answer == ansListed && s.orders != out.Round {
			return nil
		}
		return []any{s}
	}
	switch in.Kind {
	case opJoin, opUnjoin, opCloseClick:
		return stepClick(s, in, out)
	case opDeadline, opFire:
		return stepDeadline(s, in, out)
	case opSet, opSubmit:
		switch out.Answer {
		case ansSet:
			if s.newer(in) {
				return []any{s.set(in)}
			}
		case ansSuperseded:
			if tolerates("overtaken") && s.newer(in) {
				return []any{s.set(in)}
			}
			if !s.newer(in) && s.orders[u] == out.Item {
				return []any{s}
			}
		case ansNotSaved:
			if s.newer(in) {
				return []any{s.record(in)}
			}
		case ansUnknown, ansNone:
			if s.newer(in) {
				return []any{s.set(in), s.record(in), s}
			}
			return []any{s}
		}
	case opCancel:
		switch out.Answer {
		case ansWithdrawn:
			if s.newer(in) && s.orders[u] != "" {
				return []any{s.cancel(in)}
			}
		case ansNothingToCancel:
			if s.newer(in) && s.orders[u] == "" {
				return []any{s.record(in)}
			}
		case ansSuperseded:
			if tolerates("overtaken") && s.newer(in) {
				return []any{s.cancel(in)}
			}
			if !s.newer(in) && s.orders[u] == out.Item {
				return []any{s}
			}
		case ansNotSaved:
			if s.newer(in) {
				return []any{s.record(in)}
			}
		case ansUnknown, ansNone:
			if s.newer(in) {
				return []any{s.cancel(in), s.record(in), s}
			}
			return []any{s}
		}
	case opClose:
		switch out.Answer {
		case ansClosed:
			if s.canClose(in) && s.orders == out.Round {
				return []any{s.close()}
			}
		case ansNoOpenRound:
			if !s.canClose(in) {
				return []any{s}
			}
		case ansNotClosed:
			return []any{s}
		case ansUnknown, ansNone:
			if s.canClose(in) {
				return []any{s.close(), s}
			}
			return []any{s}
		}
	case opList:
		switch out.Answer {
		case ansListed:
			// A channel without a round lists as an empty one.
			if s.orders == out.Round {
				return []any{s}
			}
		case ansNotRead, ansUnknown, ansNone:
			return []any{s}
		}
	case opSnapshot:
		if s.open == out.Open && s.orders == out.Round && (!s.open || s.openedAt == out.OpenedAt) &&
			s.closedSorted() == out.Closed {
			return []any{s}
		}
	}
	return nil
}

var hashSeed = maphash.MakeSeed()

// model is step as porcupine takes it. The power-set construction of ToModel tracks the
// set of states a prefix can reach, which stays small: only unanswered commands branch.
var model = (&porcupine.NondeterministicModel{
	Init: func() []any { return []any{state{}} },
	Step: func(s, in, out any) []any { return step(s.(state), in.(input), out.(output)) },
	Hash: func(s any) uint64 { return s.(state).hash() },
	DescribeOperation: func(in, out any) string {
		return describe(in.(input), out.(output))
	},
	DescribeState: func(s any) string { return s.(state).String() },
}).ToModel()

// describe renders a command and its answer for failure messages and the visualization.
func describe(in input, out output) string {
	var call string
	switch in.Kind {
	case opSet:
		call = fmt.Sprintf("%s set %q @%d", userID(in.User), in.Item, in.At)
	case opCancel, opClose, opList:
		call = fmt.Sprintf("%s %s @%d", userID(in.User), in.Kind, in.At)
	case opSubmit, opDeadline:
		call = fmt.Sprintf("%s %s %q @%d", userID(in.User), in.Kind, in.Item, in.At)
	case opJoin:
		call = fmt.Sprintf("%s %s %q on round@%d @%d", userID(in.User), in.Kind, in.Item, in.Round, in.At)
	case opUnjoin, opCloseClick:
		call = fmt.Sprintf("%s %s on round@%d @%d", userID(in.User), in.Kind, in.Round, in.At)
	case opFire:
		call = fmt.Sprintf("%s for the deadline set @%d", in.Kind, in.DeadlineBy)
	}
	if in.Replay {
		call = "replay of " + call
	}
	if in.Kind != opSnapshot {
		call = fmt.Sprintf("#%d %s", in.Cmd, call)
	}
	switch in.Kind {
	case opSnapshot:
		open := "no open round"
		if out.Open {
			open = fmt.Sprintf("open opened@%d %v", out.OpenedAt, out.Round)
		}
		return fmt.Sprintf("snapshot → %s; closed: [%s]", open, strings.ReplaceAll(out.Closed, "\n", "; "))
	}
	res := out.Answer.String()
	switch out.Answer {
	case ansSuperseded:
		res += fmt.Sprintf(" (order %q)", out.Item)
	case ansClosed, ansListed:
		res += " " + out.Round.String()
	}
	return call + " → " + res
}
