package history

import (
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say"
)

// TestClassifyEveryReply keeps classify in step with slack/reply.go: a reworded reply
// must fail here, by name, rather than as an "unexpected reply" deep in a history.
func TestClassifyEveryReply(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	open := orders.Round{ID: "r1", OpenedAt: at, Orders: []orders.Order{
		{User: "U1", Item: "latte 1.0", At: at},
		{User: "U3", Item: "mocha 3.2", At: at.Add(time.Second)},
	}}
	closed := open
	closed.ClosedAt = at.Add(time.Minute)
	both := round{0: "latte 1.0", 2: "mocha 3.2"}
	tests := []struct {
		name string
		msg  *slack.Msg
		want output
	}{
		{"OrderSet", say.Messages{}.OrderSet(open, "latte 1.0"), output{Answer: ansSet, Item: "latte 1.0"}},
		{"OrderInClosedRound", say.Messages{}.OrderInClosedRound(closed, "latte 1.0"), output{Answer: ansSet, Item: "latte 1.0"}},
		{"Superseded with an order", say.Messages{}.Superseded(open, "U3"), output{Answer: ansSuperseded, Item: "mocha 3.2"}},
		{"Superseded without", say.Messages{}.Superseded(open, "U2"), output{Answer: ansSuperseded}},
		{"NotSaved", say.Messages{}.NotSaved("your order *latte 1.0*"), output{Answer: ansNotSaved}},
		{"NotClosed", say.Messages{}.NotClosed(), output{Answer: ansNotClosed}},
		{"Unknown", say.Messages{}.Unknown(), output{Answer: ansUnknown}},
		{"NotRead", say.Messages{}.NotRead(), output{Answer: ansNotRead}},
		{"OrderCancelled", say.Messages{}.OrderCancelled(open), output{Answer: ansWithdrawn}},
		{"NothingToCancel", say.Messages{}.NothingToCancel(), output{Answer: ansNothingToCancel}},
		{"NoOpenRound", say.Messages{}.NoOpenRound(), output{Answer: ansNoOpenRound}},
		{"final tally", say.Messages{}.Round(closed, true, true), output{Answer: ansClosed, Round: both}},
		{"empty final tally", say.Messages{}.Round(orders.Round{ID: "r1"}, true, true), output{Answer: ansClosed}},
		{"listed", say.Messages{}.Round(open, false, false), output{Answer: ansListed, Round: both}},
		{"listed, none", say.Messages{}.Round(orders.Round{}, false, false), output{Answer: ansListed}},
	}
	for _, tc := range tests {
		got, err := classify(tc.msg)
		if err != nil || got != tc.want {
			t.Errorf("%s (%q): got %+v, %v; want %+v", tc.name, tc.msg.Text, got, err, tc.want)
		}
	}
	for _, msg := range []*slack.Msg{say.Messages{}.WorkingOnIt(), say.Messages{}.RoundFull(), say.Messages{}.Usage(api.FunctionOrderUpdate, "")} {
		if got, err := classify(msg); err == nil {
			t.Errorf("%q: got %+v, want an error (not a final answer the model knows)", msg.Text, got)
		}
	}
}

// TestModelRules walks the model through the rules the stores implement, one sequence at
// a time.
func TestModelRules(t *testing.T) {
	set := func(u int, item string, at int64) input { return input{Kind: opSet, User: u, Item: item, At: at} }
	cancel := func(u int, at int64) input { return input{Kind: opCancel, User: u, At: at} }
	closeAt := func(at int64) input { return input{Kind: opClose, At: at} }
	type move struct {
		in  input
		out output
		ok  bool // the answer is possible here
	}
	tests := []struct {
		name  string
		moves []move
	}{
		{"an older request changes nothing", []move{
			{set(0, "mocha", 2), output{Answer: ansSet, Item: "mocha"}, true},
			{set(0, "latte", 1), output{Answer: ansSet, Item: "latte"}, false},
			{set(0, "latte", 1), output{Answer: ansSuperseded, Item: "mocha"}, true},
		}},
		{"superseded names the current order", []move{
			{set(0, "mocha", 2), output{Answer: ansSet, Item: "mocha"}, true},
			{set(0, "latte", 1), output{Answer: ansSuperseded, Item: ""}, false},
		}},
		{"a cancel without an order is recorded", []move{
			{cancel(0, 2), output{Answer: ansNothingToCancel}, true},
			{set(0, "latte", 1), output{Answer: ansSet, Item: "latte"}, false},
		}},
		{"a close takes only a round opened before it", []move{
			{set(0, "latte", 5), output{Answer: ansSet, Item: "latte"}, true},
			{closeAt(4), output{Answer: ansClosed, Round: round{0: "latte"}}, false},
			{closeAt(4), output{Answer: ansNoOpenRound}, true},
			{closeAt(5), output{Answer: ansClosed, Round: round{0: "latte"}}, true},
		}},
		{"a given-up request is the user's latest", []move{
			{set(0, "latte", 3), output{Answer: ansNotSaved}, true},
			{set(0, "mocha", 2), output{Answer: ansSet, Item: "mocha"}, false},
		}},
	}
	for _, tc := range tests {
		states := []any{state{}}
		for i, st := range tc.moves {
			var next []any
			for _, s := range states {
				next = append(next, step(s.(state), st.in, st.out)...)
			}
			if ok := len(next) > 0; ok != st.ok {
				t.Errorf("%s, step %d (%s): allowed %v, want %v", tc.name, i, describe(st.in, st.out), ok, st.ok)
			}
			if len(next) > 0 {
				states = next
			}
		}
	}
}
