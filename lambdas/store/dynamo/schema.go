// Package dynamo is the production orders.Store: one DynamoDB table, on-demand, with TTL
// on TTLAttribute for event de-duplication records and closed rounds' history.
//
// # Schema
//
// Keys are strings; team and channel ids are escaped ('%' → "%25", '#' → "%23") so that
// '#' only ever separates key parts.
//
//	pk                     sk            attributes
//	C#<team>#<channel>     ROUND         the channel's current round ("the slot")
//	C#<team>#<channel>     R#<roundID>   a closed round (history), same attributes + expires_at
//	E#<eventID>            EVENT         expires_at (N, epoch seconds; TTL)
//
// A round item holds round_id (S), opened_at (S, RFC 3339 with nanoseconds, UTC),
// closed_at (S, same format; absent while open), n (N, the number of orders, kept against
// orders.MaxOrders) and one attribute per order, named "o#<user id>", a map of user_name
// (S), item (S, byte-exact UTF-8), at (S, time) and req (S, the request's id). Also:
// opened_by (S, the user whose order opened it: if_not_exists in SetOrder's add form),
// closed_by (S, the close request's orders.Request.User, or orders.ClosedByDeadline; set
// in the same UpdateItem as closed_at), and the deadline: deadline (S, time; absent when
// none), deadline_req (S) and deadline_req_at (N, Unix nanoseconds), the latest request
// that set, replaced or removed it (kept when removed, so that an older request cannot
// bring a deadline back). Rounds saved before these existed lack them.
//
// History items sort by round id, which sorts by opening time; ClosedRounds reads them
// newest first (a Query, ScanIndexForward false, plus the slot while it holds a closed
// round not yet moved). Each carries expires_at = closed_at + the history TTL
// (orders.DefaultHistoryTTL, or HistoryTTL), written when the round moves to history;
// ClosedRounds leaves out items past it, which DynamoDB deletes only eventually. The slot
// never carries expires_at.
//
// # Requests
//
// The slot also remembers the requests that changed it, so that a request delivered again
// (a deferred run after a write whose acknowledgement was lost, Lambda's retries and
// duplicate deliveries) is recognised instead of applied twice, and an older request of
// a user never overwrites a newer one:
//
//   - ua#<user> (N, Unix nanoseconds), ur#<user> (S) and ui#<user> (S): the time, id and
//     round of the user's latest order request — set, cancel, or abandoned ("" round).
//     Every order write is conditional on its request being newer than us#/ua#/ur#, in the
//     same UpdateItem that changes the order, so the check and the change are one atomic
//     step. When the condition fails, the store reads the slot to tell a repeat (ur# is
//     this request: Replayed, with the round ui# names, read from history if closed)
//     from an older request (Superseded).
//
//   - us#<user> (N, Unix seconds; 0: unsigned): the signed second of that request, which
//     orders a user's requests before ua# does (orders.Request.Newer, issue #21: a
//     replay keeps its first delivery's second). A record without it (written before
//     us# was) is ordered by ua# alone.
//
//   - c#<request id> (M: at N, round S): a close, written in the same UpdateItem that sets
//     closed_at; a repeat of the close reads it and returns the round it closed. A
//     scheduled close (orders.Request.DeadlineBy) is also conditional on
//     "deadline exists AND deadline_req = <DeadlineBy>" in that write.
//
//   - d#<request id> (M: at N, round S): a SetDeadline request, written in the same
//     UpdateItem that changes the deadline (conditional on the round read being open and
//     on the request being newer than deadline_req_at/deadline_req), or alone when there
//     was no round to change ("-", like an empty close) or it was abandoned (""). At 16
//     the older half is removed in the same write, which bounds the slot.
//
//   - uq#<user> (SS): every request that set or withdrew the user's order in this round,
//     added in the same write ("<ns>|<id>"; "|-" ends one that found nothing to change,
//     "|x" one given up by Abandon); it moves to history with the round, so a repeat of a
//     request is recognised even after a newer one replaced its order — and one given up
//     is still told so, not "superseded" (issue #21). At maxChanges (8)
//     entries half leave the round's item — those of requests that changed nothing first,
//     then the oldest (a compare-and-swap on the set) — which bounds the item. They move
//     to an item of their own, Q#<round id>#<user> in the channel's partition, written
//     before the set is trimmed and read only when a request is not found in a set that
//     may have been trimmed (issue #21: a dropped entry once told a request that had
//     applied that it changed nothing). It expires orders.RequestMemory after its last
//     write: no request older than that runs again.
//
//   - uk#<user> (SS) and uf#<user> (N): a request's identity is checked before it is
//     ordered (issue #21). The same signed request delivered again a minute later is
//     stamped later by API Gateway, and would pass "newer than ua#"; so every order write
//     also adds the request's key (orders.Request.Key: signed second + id) to uk# and is
//     conditional on "NOT contains(uk#, key) AND uf# < signed second", in the same
//     UpdateItem. Once uk# holds orders.MaxRecent keys the oldest go (never one signed in
//     the newest second) by a compare-and-swap that raises uf# to the latest second
//     dropped, so a replay of a dropped request is refused by the floor. Both stay in the
//     slot across rounds, with ua#/ur#/ui#.
//
// A request made on a round's message (orders.Request.Round: a click, or a deadline set
// on it) carries the precondition "round_id = <that round> AND closed_at absent" in the
// same conditional write as its change (SetOrder's add form then never opens a round). When the write
// fails, the request's records above are consulted first — a click that took effect is
// Replayed even after its round closed — and only then is a failed precondition
// orders.ErrStale: nothing is written, not even a request record (a closed round never
// reopens, so the request can never apply later).
//
// These records outlive the round: retiring a closed round resets the slot to them (a
// conditional PutItem on the closed round's id) rather than deleting it, and drops those
// older than orders.RequestMemory, which no deferred run can still be carrying.
//
// # Why one item per round
//
// The guarantee that matters is that an update racing a close lands in exactly one
// round. Keeping the whole open round in one item makes that a property of DynamoDB's
// single-item atomicity instead of a protocol:
//   - SetOrder is one UpdateItem on the slot: it sets the caller's order attribute, opens
//     the round if the slot is empty (if_not_exists), and is conditional on closed_at
//     being absent. ReturnValues ALL_NEW is the round right after the write.
//   - CloseRound is one UpdateItem that sets closed_at; its ALL_NEW is the final tally. Every
//     update ordered before it is in that tally; every update after it fails its condition.
//   - A closed round stays in the slot until it is copied to its history item (an idempotent
//     put: a closed round never changes) and the slot is reset, conditional on its round
//     id. CloseRound does this right away; a writer that meets a closed round (say, after
//     a crash in between) finishes it and retries, and so opens the next round.
//
// The alternative — a "current round" pointer item plus one item per order, tied together
// by TransactWriteItems — needs a transaction on every update. All concurrent updates in a
// channel would then contend on the pointer (TransactionConflict, retries), each update
// costs a transaction, a second read to return the round, and it cannot be tested locally:
// dynalite implements neither TransactWriteItems nor UpdateTimeToLive.
//
// The price is DynamoDB's 400 KB item limit: a round takes at most orders.MaxOrders (250)
// orders, refused cleanly (ErrRoundFull, a condition on n) far below the limit even with
// the longest items, so a close — which adds three attributes — never fails on size. The
// deadline and opened_by/closed_by add about 150 bytes, the d# records at most 16 of
// about 100. Each write costs one write unit per KB of the round, which is negligible for
// rounds of this size. DynamoDB counts strings in UTF-8 bytes, dynalite UTF-16 code units (a
// 4-byte character counts 2), so the suite's full round on dynalite alone cannot show the
// limit: TestWorstCaseRoundSize measures the largest round — the longest items in 4-byte
// characters, 32-character request ids, full change sets — in UTF-8 bytes: about 334 KB
// with change sets of at most 8 entries (maxChanges; 16 measured 386 KB, too close).
//
// Events: MarkEvent is one conditional PutItem. DynamoDB deletes expired items lazily (up to
// days later), so the condition also accepts a record whose expires_at has passed.
package dynamo

import (
	"strings"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// Table schema, shared with the CDK stack.
const (
	PartitionKey = "pk"         // S
	SortKey      = "sk"         // S
	TTLAttribute = "expires_at" // N, epoch seconds
)

// Non-key attributes and key parts.
const (
	attrRoundID  = "round_id"
	attrOpenedAt = "opened_at"
	attrClosedAt = "closed_at"
	attrCount    = "n"         // N: orders in the open round, kept against orders.MaxOrders
	attrOpenedBy = "opened_by" // S: the user whose order opened the round
	attrClosedBy = "closed_by" // S: Request.User of the close, or orders.ClosedByDeadline
	// The round's deadline (absent: none) and the latest deadline request that changed it
	// (set, replaced or removed it): its id and time, which order deadline requests.
	attrDeadline      = "deadline"        // S, time
	attrDeadlineReq   = "deadline_req"    // S, request id
	attrDeadlineReqAt = "deadline_req_at" // N, Unix nanoseconds
	orderPrefix       = "o#"              // + user id: one attribute per order
	// A user's latest order request, kept across rounds (see "Requests" above).
	reqAtPrefix = "ua#" // + user id: N, the request's time in Unix nanoseconds
	reqIDPrefix = "ur#" // + user id: S, the request's id
	// + user id: N, the request's signed second (0: unsigned), which orders a user's
	// requests before ua# does (orders.Request.Newer); absent on records written before it.
	reqSignedPrefix = "us#"
	reqRoundPrefix  = "ui#" // + user id: S, the round it changed, "" for none
	closePrefix     = "c#"  // + request id: M {at N, round S}, a close request
	deadlinePrefix  = "d#"  // + request id: M {at N, round S}, a SetDeadline request
	// The requests that changed a user's order in this round ("<ns>|<id>"), kept with the
	// round in history: a repeat of one is found even after a newer request replaced it.
	changesPrefix = "uq#" // + user id: SS
	// The identities (orders.Request.Key) of the user's recent order requests, and the
	// user's floor: a request signed at or before it never applies (see "Requests").
	recentPrefix = "uk#" // + user id: SS
	floorPrefix  = "uf#" // + user id: N, Unix seconds
	// attrDeadlineFloor is the latest signed second of a d# record dropped by the trim: a
	// deadline request signed at or before it never applies.
	attrDeadlineFloor = "dfl" // N, Unix seconds

	slotSK    = "ROUND"
	historySK = "R#" // + round id
	eventSK   = "EVENT"
	// changesSK keys a user's change-set entries of a round that no longer fit the round's
	// item (see "Requests"): an attribute attrChanges (SS) and TTLAttribute.
	changesSK   = "Q#" // + round id + "#" + user id
	attrChanges = "changes"
)

// Partition key prefixes, shared with the CDK stack, which narrows each function's table
// access to the keys that start with them (IAM's dynamodb:LeadingKeys).
const (
	// ChannelKeyPrefix starts the key of a channel's items: its slot and its history
	// ("C#<team>#<channel>", both escaped).
	ChannelKeyPrefix = "C#"
	// EventKeyPrefix starts the key of an event record ("E#<event id>").
	EventKeyPrefix = "E#"
	// ReplyClaimPrefix starts the event id of a deferred reply's claim (see
	// orders.ReplyClaim), the only event records the order functions write.
	ReplyClaimPrefix = orders.ReplyClaimPrefix
)

var keyEscaper = strings.NewReplacer("%", "%25", "#", "%23")

func channelPK(team, channel string) string {
	return ChannelKeyPrefix + keyEscaper.Replace(team) + "#" + keyEscaper.Replace(channel)
}

func eventPK(id string) string { return EventKeyPrefix + id }
