package i18n

import "fmt"

// orders and items are the English plural phrases of a count of orders and of items,
// argument n.
func orders(n int) Plural {
	return Plural{Name: "orders", Arg: n, One: fmt.Sprintf("%%[%d]d order", n), Other: fmt.Sprintf("%%[%d]d orders", n)}
}

func items(n int) Plural {
	return Plural{Name: "items", Arg: n, One: fmt.Sprintf("%%[%d]d item", n), Other: fmt.Sprintf("%%[%d]d items", n)}
}

func minutes(n int) Plural {
	return Plural{Name: "minutes", Arg: n, One: fmt.Sprintf("%%[%d]d minute", n), Other: fmt.Sprintf("%%[%d]d minutes", n)}
}

// en is the English catalogue.
var en = map[ID]Text{
	UsageUpdate: S("`/order-update <item>` sets or replaces your order in this channel's round\n" +
		"`/order-update cancel` withdraws it\n" +
		"`/order-list` shows the round"),
	UsageList: S("`/order-list` shows this channel's round, grouped by item (only you see it)\n" +
		"`/order-list share` posts it to the channel\n" +
		"`/order-list close` closes the round and posts the final tally\n" +
		"`/order-list close at 11:30` or `close in 20m` closes it then; `close never` removes the deadline\n" +
		"`/order-list poke` mentions everyone who ordered last time but not yet this time"),
	ProblemEmptyItem:     S("Tell me what you'd like, e.g. `/order-update iced americano`."),
	ProblemItemTooLong:   S("That order is too long: at most %[1]d characters, please."),
	ProblemInvalidItem:   S("That order holds characters I can't store (control characters or invalid UTF-8)."),
	ProblemOtherItem:     S("That order can't be taken as typed."),
	ProblemWrongRoute:    S("This is the Request URL of `%[1]s`, not of `%[2]s`."),
	ProblemUnknownArg:    S("I don't know `%[1]s`."),
	ProblemDeadline:      S("I can't read `%[1]s` as a deadline: say `close at 11:30`, `close in 20m` or `close never`."),
	ProblemDeadlinePast:  S("%[1]s has passed already today: pick a later time."),
	ProblemDeadlineFar:   S("A deadline can be at most %[1]d hours ahead."),
	DeadlineSet:          P("Orders close at *%[1]s* (in ${minutes}).", minutes(2)),
	DeadlineInviteHint:   S("I cannot post in this channel, so at the deadline the final tally would reach only you: invite me with `/invite @orderbot`."),
	NotPostedInChannel:   S("I could not post the final tally in <#%[1]s>: invite me there with `/invite @orderbot`. Here it is:"),
	DeadlineSkipped:      S("%[1]s does not exist today: the clocks spring forward over it. I read it on the clock before the change: %[2]s."),
	DeadlineTwice:        S("%[1]s comes twice today: the clocks fall back. I took the next one, %[2]s (the other is %[3]s; for it, use `close in …`)."),
	DeadlineRemoved:      S("The deadline is removed: the round stays open until someone closes it."),
	DeadlineRoundClosed:  S("The round this deadline was for has closed since: `/order-list history` shows its final tally."),
	DeadlineNotSaved:     S("Sorry — I could not save the deadline: the database did not answer in time. Nothing was changed; please try again."),
	DeadlineNotScheduled: S("Sorry — I could not schedule the round's close (the scheduler did not take it), so no deadline is set and the round stays as it was. Please try again, or close it with `/order-list close`."),
	DeadlineLine:         S("⏰ Closes at *%[1]s*"),
	DeadlineReminder:     P("⏰ Orders close at *%[1]s*, in ${minutes} — ${orders} so far. Join with `/order-update <item>`.", minutes(2), orders(3)),
	DeadlineClosed:       S("Closed at its deadline, %[1]s."),
	FieldBoth:            S("Pick a recent item or type your order — not both."),
	FieldEmpty:           S("Pick a recent item or type your order."),

	OrderSet:           P("Your order: *%[1]s* — ${orders} in this round.", orders(2)),
	OrderSetHint:       S("Change it with `/order-update <item>`, withdraw it with `/order-update cancel`, see the round with `/order-list`."),
	OrderInClosedRound: P("Your order *%[1]s* was saved — it is in the round that has closed since (${orders} in its final tally).", orders(2)),
	OvertakenOpenNone: S("Your order *%[1]s* was saved, and a newer request of yours has changed it since: " +
		"this round is what counts — you have no order in it now."),
	OvertakenOpenItem: S("Your order *%[1]s* was saved, and a newer request of yours has changed it since: " +
		"this round is what counts — your order in it is *%[2]s*."),
	OvertakenClosedNone: S("Your order *%[1]s* was saved, and a newer request of yours has changed it since: " +
		"the round that has closed since is what counts — you have no order in it now."),
	OvertakenClosedItem: S("Your order *%[1]s* was saved, and a newer request of yours has changed it since: " +
		"the round that has closed since is what counts — your order in it is *%[2]s*."),
	SupersededNone: S("A newer request of yours arrived first, so this one changed nothing: you have no order in this round."),
	SupersededItem: S("A newer request of yours arrived first, so this one changed nothing: your order is *%[1]s*."),
	RoundFull: P("This round already holds ${orders}, the most one round takes. "+
		"Close it with `/order-list close` and start the next.", orders(1)),
	NotSaved:           S("Sorry — I could not save %[1]s: the database did not answer in time. Nothing was changed; please try again."),
	NotSavedOrder:      S("your order *%[1]s*"),
	NotSavedWithdrawal: S("the withdrawal of your order"),
	NotClosed: S("Sorry — I could not close the round: the database did not answer in time. " +
		"The round is still open; please try `/order-list close` again."),
	Unknown: S("Sorry — the database is not answering, and I cannot tell whether your request took effect. " +
		"Check with `/order-list` in a minute."),
	NotRead: S("Sorry — I could not read the round: the database did not answer in time. Please try again."),
	HandOffUnknown: S("Sorry — this is taking longer than Slack waits, and I cannot tell yet whether your request took effect. " +
		"Check with `/order-list` in a minute."),
	OrderCancelled:  P("Your order is withdrawn — ${orders} left in this round.", orders(1)),
	NothingToCancel: S("You have no order in this channel's round, so there is nothing to cancel."),
	NoOpenRound:     S("No open round in this channel. Start one with `/order-update <item>`."),
	WorkingOnIt:     S("Working on it… the answer follows in a moment."),
	MentionHelp: S("Hi! I collect this channel's order round.\n" +
		"• `/order-update <item>` sets or replaces your order (`cancel` withdraws it)\n" +
		"• `/order-list` shows the round · `share` posts it · `close` closes it with the final tally"),

	RoundEmpty:        S("No orders yet in this round — add yours with `/order-update <item>`."),
	RoundClosedEmpty:  S("Round closed with no orders."),
	RoundTitle:        P("Order round — ${orders}, ${items}", orders(1), items(2)),
	RoundTitleClosed:  P("Round closed — final tally: ${orders}, ${items}", orders(1), items(2)),
	RoundMoreItems:    P("…and ${items} more.", items(1)),
	RoundMorePeople:   S("…and %[1]d more"),
	RoundHint:         S("`/order-list share` posts this to the channel · `/order-list close` closes the round"),
	ButtonJoin:        S("+1 same"),
	ButtonCancel:      S("Cancel mine"),
	ButtonClose:       S("Close round"),
	ConfirmCloseTitle: S("Close this round?"),
	ConfirmCloseText:  S("Everyone's orders become the final tally, posted to the channel. The next order starts a new round."),
	ConfirmCloseYes:   S("Close it"),
	ConfirmCloseNo:    S("Keep it open"),

	AgainNone:       S("You had no order in this channel's last closed round — order with `/order-update <item>`."),
	HistoryNone:     S("No closed rounds in this channel yet."),
	HistoryTitle:    S("*The last closed rounds in this channel*"),
	HistoryRound:    P("*%[1]s* — closed by %[2]s · ${orders}\n%[4]s", orders(3)),
	HistoryDeadline: S("its deadline"),
	RoundOpenedBy:   S("Opened by %[1]s"),
	RoundClosedBy:   S("Closed by %[1]s"),

	Poke:         S("%[1]s — you ordered in this channel's last round but not yet in this one (asked by %[2]s): `/order-update <item>`, or `/order-update again` for the same as last time."),
	PokeNobody:   S("Everyone who ordered in the last round has ordered in this one: nobody to poke."),
	PokeNoRounds: S("This channel has no closed round yet, so there is nobody to poke."),

	ClickStale:     S("That round is already closed, so nothing was changed — `/order-list` shows the current one."),
	ClickItemGone:  S("Nobody has that item in this round any more, so nothing was changed — order with `/order-update <item>`."),
	ClickYouClosed: P("You closed the round (${orders}) — the final tally is in the channel.", orders(1)),

	ModalTitle:           S("Your order"),
	ModalSubmit:          S("Order"),
	ModalClose:           S("Cancel"),
	ModalPickLabel:       S("Pick a recent item"),
	ModalPickPlaceholder: S("Choose an item"),
	ModalTextLabel:       S("Or type your order"),
	ModalTextPlaceholder: S("e.g. iced americano"),

	KeywordCancel:  S("cancel"),
	KeywordClose:   S("close"),
	KeywordShare:   S("share"),
	KeywordAgain:   S("again"),
	KeywordHistory: S("history"),
	KeywordHelp:    S("help"),
	KeywordPoke:    S("poke"),
}
