package handler

import (
	"context"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/lambdas/slackio"
	"github.com/orderbot/orderbot/lambdas/store/dynamo"
	"github.com/orderbot/orderbot/lambdas/store/dynamo/dynamotest"
)

// pokeStores runs test on the embedded store and on DynamoDB (dynalite through the real
// SDK): poke reads the last closed round and the open one, as both stores keep them.
func pokeStores(t *testing.T, test func(t *testing.T, f *fixture)) {
	t.Run("bbolt", func(t *testing.T) { test(t, newFixture(t)) })
	t.Run("dynamo", func(t *testing.T) {
		f := newFixture(t)
		client, table := dynamotest.NewTable(t)
		f.deps.Orders = &orders.Service{Store: dynamo.New(client, table), Now: f.deps.Orders.Now}
		test(t, f)
	})
}

// TestPoke: `/order-list poke` mentions, in the channel, everyone who ordered in the last
// closed round but has no order in this one — not who has ordered again, not who never
// ordered — in English and in Korean (`재촉`), and changes nothing.
func TestPoke(t *testing.T) {
	pokeStores(t, func(t *testing.T, f *fixture) {
		wantText(t, f.list(t, "U9", "poke"), slack.ResponseTypeEphemeral, "no closed round yet")
		for _, u := range []string{"U1", "U2", "U3"} {
			f.update(t, u, "latte")
		}
		f.list(t, "U1", "close")
		f.update(t, "U2", "mocha") // opens this round: U2 has ordered again
		f.update(t, "U4", "tea")   // U4 did not order last time

		msg := f.list(t, "U4", "poke")
		wantText(t, msg, slack.ResponseTypeInChannel, "<@U1> <@U3> —", "(asked by <@U4>)", "`/order-update again`")
		for _, u := range []string{"<@U2>", "<@U4> <@", "<@U9>"} {
			if strings.Contains(msg.Text, u) {
				t.Errorf("poke text: got %q, want no %s", msg.Text, u)
			}
		}
		if err := slackio.Validate(msg); err != nil {
			t.Errorf("poke message: got %v, want a valid message", err)
		}
		if r := f.roundOf(t); len(r.Orders) != 2 {
			t.Errorf("round after poke: got %d orders, want 2 (poke changes nothing)", len(r.Orders))
		}

		ko, err := say.NewMessages("ko")
		if err != nil {
			t.Fatal(err)
		}
		f.deps.Messages = ko
		wantText(t, f.list(t, "U4", "재촉"), slack.ResponseTypeInChannel, "<@U1> <@U3> —", "(요청: <@U4>)", "`/order-update 다시`")
		f.update(t, "U1", "latte")
		f.update(t, "U3", "latte")
		wantText(t, f.list(t, "U4", "재촉"), slack.ResponseTypeEphemeral, "재촉할 사람이 없어요")
		f.deps.Messages = say.Messages{}
		wantText(t, f.list(t, "U4", "POKE"), slack.ResponseTypeEphemeral, "nobody to poke")
		wantText(t, f.list(t, "U4", "poke everyone"), slack.ResponseTypeEphemeral, "poke everyone")
	})
}

// TestPokeWithoutAnOpenRound: with no round open, everyone of the last round is poked.
func TestPokeWithoutAnOpenRound(t *testing.T) {
	pokeStores(t, func(t *testing.T, f *fixture) {
		f.update(t, "U1", "latte")
		f.update(t, "U2", "tea")
		f.list(t, "U1", "close")
		wantText(t, f.list(t, "U3", "poke"), slack.ResponseTypeInChannel, "<@U1> <@U2> —")
	})
}

// TestPokeManyFitsSlack: the largest last round — every order of it missing now — still
// makes a message within Block Kit's limits, and its text names everyone.
func TestPokeManyFitsSlack(t *testing.T) {
	var users []string
	for i := range orders.MaxOrders {
		users = append(users, "U"+strings.Repeat("X", 10)+string(rune('A'+i%26))+string(rune('A'+i/26)))
	}
	for _, m := range []say.Messages{{}, mustMessages(t, "ko")} {
		msg := m.Poke(users, "U1")
		if err := slackio.Validate(msg); err != nil {
			t.Fatalf("%s: %d mentions: got %v, want a valid message", m.Locale(), len(users), err)
		}
		for _, u := range users {
			if !strings.Contains(msg.Text, "<@"+u+">") {
				t.Fatalf("%s: text: got no mention of %s, want everyone named", m.Locale(), u)
			}
		}
		if n := len(msg.Blocks.BlockSet); n < 2 {
			t.Errorf("%s: blocks: got %d, want the mentions cut into several sections", m.Locale(), n)
		}
	}
}

func mustMessages(t *testing.T, locale string) say.Messages {
	t.Helper()
	m, err := say.NewMessages(locale)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// roundOf is the channel's open round, read through the fixture's store (either one).
func (f *fixture) roundOf(t *testing.T) orders.Round {
	t.Helper()
	r, err := f.deps.Orders.Current(context.Background(), orders.Channel{Team: "T1", Channel: "C1"})
	if err != nil {
		t.Fatalf("Current: got error %v, want nil", err)
	}
	return r
}
