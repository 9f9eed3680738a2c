package slacksim

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestRenderMessageShowsButtons(t *testing.T) {
	msg := postedRound().Msg
	got := RenderMessage(&msg)
	want := "*2× iced americano*\n[+1 same] [Cancel mine] [Close round ⚠]\n"
	if got != want {
		t.Errorf("RenderMessage: got %q, want %q", got, want)
	}
	reply := &Reply{Status: 200, Msg: &slack.Msg{ResponseType: slack.ResponseTypeInChannel, Blocks: msg.Blocks}}
	if got := Render(reply); got != "[in channel — everyone sees this]\n"+want {
		t.Errorf("Render: got %q, want the channel marker and %q", got, want)
	}
}

func TestRenderView(t *testing.T) {
	m := orderModal()
	v := slack.View{Title: m.Title, Close: m.Close, Submit: m.Submit, Blocks: m.Blocks}
	got := RenderView(v)
	for _, want := range []string{
		"[modal] New order\n",
		"What would you like?: [iced americano…]\n",
		"Size (optional): ▾ Small | Large\n",
		"[Cancel] [Order]\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("RenderView: got %q, want it to contain %q", got, want)
		}
	}
}
