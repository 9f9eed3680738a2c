package history

// The model's rules for clicks, deadlines and their firings (issue #21: histories beyond
// typed commands). A click carries a precondition — the round it was made on is the open
// one (orders.Request.Round) — checked in the same conditional write as its change, after
// the request's records, so that an applied click is replayed and a stale one changes
// nothing, not even the user's record. A deadline request changes the open round's
// deadline if it is newer than the round's latest deadline request; a firing closes the
// round only while its deadline is still the one the firing's request set.

// onRound is a click's precondition: the round it was made on is the open one.
func (s state) onRound(in input) bool { return s.open && s.openedAt == in.Round }

// stepClick is step for the three buttons of a round message.
func stepClick(s state, in input, out output) []any {
	u, pre := in.User, s.onRound(in)
	switch {
	case in.Kind == opCloseClick:
		return stepCloseClick(s, pre, out)
	case out.Answer == ansStale:
		if s.newer(in) && !pre {
			return []any{s}
		}
	case out.Answer == ansSuperseded:
		if !s.newer(in) && s.orders[u] == out.Item {
			return []any{s}
		}
	case out.Answer == ansNotSaved:
		if s.newer(in) {
			return []any{s.record(in)} // given up: recorded whatever the round
		}
	case out.Answer == ansUnknown, out.Answer == ansNone:
		if !s.newer(in) {
			return []any{s}
		}
		if pre && (in.Kind == opJoin || s.orders[u] != "") {
			return []any{s.applyClick(in), s.record(in), s}
		}
		return []any{s.record(in), s}
	case in.Kind == opJoin && out.Answer == ansSet:
		if s.newer(in) && pre {
			return []any{s.set(in)}
		}
	case in.Kind == opJoin && out.Answer == ansItemGone:
		if s.newer(in) {
			return []any{s.record(in)} // given up: it never applies
		}
	case in.Kind == opUnjoin && out.Answer == ansWithdrawn:
		if s.newer(in) && pre && s.orders[u] != "" {
			return []any{s.cancel(in)}
		}
	case in.Kind == opUnjoin && out.Answer == ansNothingToCancel:
		if s.newer(in) && pre && s.orders[u] == "" {
			return []any{s.record(in)}
		}
	}
	return nil
}

// applyClick is what an applied join or cancel click does.
func (s state) applyClick(in input) state {
	if in.Kind == opJoin {
		return s.set(in)
	}
	return s.cancel(in)
}

// stepCloseClick: a close click closes the round it was made on, whenever it was opened,
// and nothing else.
func stepCloseClick(s state, pre bool, out output) []any {
	switch out.Answer {
	case ansYouClosed:
		if pre {
			return []any{s.close()}
		}
	case ansClosed: // a run that gave up found the close made, and answers with its tally
		if pre && s.orders == out.Round {
			return []any{s.close()}
		}
	case ansStale:
		if !pre {
			return []any{s}
		}
	case ansNotClosed:
		return []any{s}
	case ansUnknown, ansNone:
		if pre {
			return []any{s.close(), s}
		}
		return []any{s}
	}
	return nil
}

// stepDeadline is step for deadline requests (Item "never" removes the deadline) and the
// firings of their close schedules.
func stepDeadline(s state, in input, out output) []any {
	if in.Kind == opFire {
		pre := s.open && s.dlBy != 0 && s.dlBy == in.DeadlineBy
		switch out.Answer {
		case ansClosed:
			if pre && s.orders == out.Round {
				return []any{s.close()}
			}
		case ansNone:
			if pre {
				return []any{s.close(), s}
			}
			return []any{s}
		}
		return nil
	}
	// A typed deadline request takes only a round opened no later than itself.
	pre := s.open && s.openedAt <= in.At
	newer := pre && in.At > s.dlAt
	applied := s
	if newer {
		applied.dlAt, applied.dlBy = in.At, in.At
		if in.Item == "never" {
			applied.dlBy = 0
		}
	}
	switch out.Answer {
	case ansDeadlineSet, ansDeadlineRemoved, ansDeadlineClosedSince:
		// The store decided the request in the round — applied, or superseded by a newer
		// deadline request — and the reply says the round's deadline as it is when the
		// reply is made: a later run of the request (after a lost acknowledgement) finds
		// it Replayed and words the round as it is by then, changed or closed since. So
		// the words tell that the round was there, not which of the two happened.
		if newer {
			return []any{applied, s}
		}
		if pre {
			return []any{s}
		}
	case ansNoOpenRound:
		if !pre {
			return []any{s}
		}
	case ansDeadlineNotSet:
		return []any{s}
	case ansUnknown, ansNone:
		if newer {
			return []any{applied, s}
		}
		return []any{s}
	}
	return nil
}
