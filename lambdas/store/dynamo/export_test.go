package dynamo

// LeaveClosesInSlot makes every CloseRound of s leave the round it closed in the slot
// instead of moving it to history, as a function that timed out or crashed right after
// its close committed would: every later call meets the closed round first.
func LeaveClosesInSlot(s *Store) { s.closesLinger = true }
