package slackio_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// ParseInteraction reads the form Slack posts to the interactivity Request URL (after
// Verify); DecodeAction reads the click from the button's ids, never from its label.
// An interaction orderbot does not act on is told apart from a malformed body.
func ExampleParseInteraction() {
	payload := `{"type":"block_actions","team":{"id":"T0CAG"},"user":{"id":"U0CA5"},` +
		`"container":{"type":"message","message_ts":"1548261231.000200","channel_id":"C0CA5"},` +
		`"channel":{"id":"C0CA5"},"response_url":"https://hooks.slack.com/actions/T0CAG/1/x",` +
		`"actions":[{"type":"button","block_id":"b1","action_id":"round.join.0",` +
		`"text":{"type":"plain_text","text":"+1 same"},"value":"{\"r\":\"r1\",\"k\":\"iced americano\"}"}]}`
	ic, err := slackio.ParseInteraction([]byte("payload=" + url.QueryEscape(payload)))
	if err != nil {
		fmt.Println(err)
		return
	}
	click := ic.ActionCallback.BlockActions[0]
	a, err := say.DecodeAction(click.ActionID, click.Value)
	fmt.Printf("%s by %s in %s: %+v %v\n", ic.Type, ic.User.ID, ic.Channel.ID, a, err)

	_, err = slackio.ParseInteraction([]byte("payload=" + url.QueryEscape(`{"type":"shortcut"}`)))
	fmt.Println(errors.Is(err, slackio.ErrUnsupportedInteraction))
	_, err = slackio.ParseInteraction([]byte("payload=" + url.QueryEscape(`{"type":"block_actions"}`)))
	fmt.Println(err)

	// A field error keeps the order modal open with the message under the input.
	body, _ := json.Marshal(slackio.ViewErrors(say.BlockText, "Pick a recent item or type your order."))
	fmt.Println(string(body))
	// Output:
	// block_actions by U0CA5 in C0CA5: {Kind:round.join Round:r1 Key:iced americano Channel: Item:} <nil>
	// true
	// malformed request body: block_actions without team.id
	// {"response_action":"errors","errors":{"order.text":"Pick a recent item or type your order."}}
}
