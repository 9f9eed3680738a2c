package i18n

// The ids of every message, grouped as package say uses them. A message is a Text in
// each catalogue (en.go, ko.go); its arguments are listed here, by index.
const (
	// Usage: the command's lines, and the problems a usage reply starts with.
	UsageUpdate        ID = "usage.update"
	UsageList          ID = "usage.list"
	ProblemEmptyItem   ID = "problem.empty_item"
	ProblemItemTooLong ID = "problem.item_too_long" // 1: the most runes an item may have
	ProblemInvalidItem ID = "problem.invalid_item"
	ProblemOtherItem   ID = "problem.other_item"
	ProblemWrongRoute  ID = "problem.wrong_route" // 1: this route's command, 2: the command posted (escaped)
	ProblemUnknownArg  ID = "problem.unknown_arg" // 1: the argument (escaped)
	FieldBoth          ID = "field.both"          // the modal: a pick and text
	FieldEmpty         ID = "field.empty"         // the modal: neither

	// Answers to an order, a withdrawal, a close and the database failing.
	OrderSet            ID = "order.set"             // 1: item, 2: orders in the round
	OrderSetHint        ID = "order.set.hint"        //
	OrderInClosedRound  ID = "order.in_closed_round" // 1: item, 2: orders in the final tally
	OvertakenOpenNone   ID = "overtaken.open.none"   // 1: item
	OvertakenOpenItem   ID = "overtaken.open.item"   // 1: item, 2: the order now
	OvertakenClosedNone ID = "overtaken.closed.none" // 1: item
	OvertakenClosedItem ID = "overtaken.closed.item" // 1: item, 2: the order now
	SupersededNone      ID = "superseded.none"
	SupersededItem      ID = "superseded.item" // 1: the order now
	RoundFull           ID = "round.full"      // 1: orders.MaxOrders
	NotSaved            ID = "not_saved"       // 1: what (NotSavedOrder or NotSavedWithdrawal)
	NotSavedOrder       ID = "not_saved.order" // 1: item
	NotSavedWithdrawal  ID = "not_saved.withdrawal"
	NotClosed           ID = "not_closed"
	Unknown             ID = "unknown"
	// HandOffUnknown: the hand-off to a deferred run did not answer in time (issue #21).
	HandOffUnknown  ID = "unknown.hand_off"
	NotRead         ID = "not_read"
	OrderCancelled  ID = "order.cancelled" // 1: orders left
	NothingToCancel ID = "nothing_to_cancel"
	NoOpenRound     ID = "no_open_round"
	WorkingOnIt     ID = "working_on_it"
	MentionHelp     ID = "mention_help"

	// The round message: titles, tally, its buttons and the close confirmation.
	RoundEmpty        ID = "round.empty"
	RoundClosedEmpty  ID = "round.closed_empty"
	RoundTitle        ID = "round.title"        // 1: orders, 2: items
	RoundTitleClosed  ID = "round.title.closed" // 1: orders, 2: items
	RoundMoreItems    ID = "round.more_items"   // 1: items left out
	RoundMorePeople   ID = "round.more_people"  // 1: people left out of an item's line
	RoundHint         ID = "round.hint"
	ButtonJoin        ID = "button.join"
	ButtonCancel      ID = "button.cancel"
	ButtonClose       ID = "button.close"
	ConfirmCloseTitle ID = "confirm.close.title"
	ConfirmCloseText  ID = "confirm.close.text"
	ConfirmCloseYes   ID = "confirm.close.yes"
	ConfirmCloseNo    ID = "confirm.close.no"

	// Memory: again and history, and who opened and closed a round.
	AgainNone       ID = "again.none"
	HistoryNone     ID = "history.none"
	HistoryTitle    ID = "history.title"
	HistoryRound    ID = "history.round"    // 1: when it closed, 2: who closed it, 3: orders, 4: the tally in one line
	HistoryDeadline ID = "history.deadline" // who closed a round closed at its deadline
	RoundOpenedBy   ID = "round.opened_by"  // 1: who (a mention)
	RoundClosedBy   ID = "round.closed_by"  // 1: who (a mention)
	// Poke (/order-list poke): who ordered in the last closed round but not in this one.
	Poke         ID = "poke"          // 1: the mentions, 2: who poked them (a mention)
	PokeNobody   ID = "poke.nobody"   // everyone of the last round has ordered in this one
	PokeNoRounds ID = "poke.no_round" // no closed round to go by

	// Answers to a click on the round message.
	ClickStale     ID = "click.stale"
	ClickItemGone  ID = "click.item_gone"
	ClickYouClosed ID = "click.you_closed" // 1: orders in the final tally

	// The order modal.
	ModalTitle           ID = "modal.title"
	ModalSubmit          ID = "modal.submit"
	ModalClose           ID = "modal.close"
	ModalPickLabel       ID = "modal.pick.label"
	ModalPickPlaceholder ID = "modal.pick.placeholder"
	ModalTextLabel       ID = "modal.text.label"
	ModalTextPlaceholder ID = "modal.text.placeholder"

	// Deadlines (/order-list close at|in|never).
	ProblemDeadline     ID = "problem.deadline"      // 1: the argument (escaped)
	ProblemDeadlinePast ID = "problem.deadline_past" // 1: the time
	ProblemDeadlineFar  ID = "problem.deadline_far"  // 1: the most hours ahead
	DeadlineSet         ID = "deadline.set"          // 1: the time, 2: minutes until it
	DeadlineRemoved     ID = "deadline.removed"
	DeadlineNotSaved    ID = "deadline.not_saved"
	// DeadlineRoundClosed: a deadline request for a round which has closed since — applied
	// or superseded there (issue #21: a repeat of it once said "the deadline is removed,
	// the round stays open").
	DeadlineRoundClosed ID = "deadline.round_closed"
	// Daylight-saving choices (issue #21). DeadlineSkipped: 1: the time typed (02:30),
	// 2: the deadline chosen (03:30 EDT). DeadlineTwice: 1: the time typed, 2: the one
	// chosen (01:30 EDT), 3: the other one (01:30 EST).
	DeadlineSkipped ID = "deadline.skipped"
	// DeadlineInviteHint: the tally of a deadline past response_url's life goes with the
	// bot token, and the channel refused the bot when the deadline was set;
	// NotPostedInChannel (1: the channel id) prefixes the tally in the setter's direct
	// messages when the channel refused the bot at the deadline (issue #21).
	DeadlineInviteHint ID = "deadline.invite_hint"
	NotPostedInChannel ID = "deadline.not_posted"
	DeadlineTwice      ID = "deadline.twice"
	// DeadlineNotScheduled: the schedules that close the round could not be created, so
	// no deadline was set (issue #21).
	DeadlineNotScheduled ID = "deadline.not_scheduled"
	DeadlineLine         ID = "deadline.line"     // 1: the time
	DeadlineReminder     ID = "deadline.reminder" // 1: the time, 2: minutes left, 3: orders so far
	DeadlineClosed       ID = "deadline.closed"   // 1: the time

	// Keywords: the words a command's text may be. Each catalogue has its language's word;
	// every language's word works whatever the setting (Forms).
	KeywordCancel  ID = "keyword.cancel"
	KeywordClose   ID = "keyword.close"
	KeywordShare   ID = "keyword.share"
	KeywordAgain   ID = "keyword.again"
	KeywordHistory ID = "keyword.history"
	KeywordHelp    ID = "keyword.help"
	KeywordPoke    ID = "keyword.poke"
)
