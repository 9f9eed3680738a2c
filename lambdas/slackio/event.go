package slackio

import (
	"encoding/json"
	"fmt"

	"github.com/slack-go/slack/slackevents"
)

// Event is the part of an Events API payload orderbot acts on.
type Event struct {
	Type      string // slackevents.URLVerification, slackevents.CallbackEvent, …
	Challenge string // url_verification
	ID        string // event_id of a callback, the key for de-duplicating retries
	TeamID    string
	// Inner is the callback's inner event type ("app_mention", …).
	Inner   string
	Mention *slackevents.AppMentionEvent
	// Home is an app_home_opened event (its Tab says which tab the user opened).
	Home *slackevents.AppHomeOpenedEvent
}

// ParseEvent decodes an Events API body. Call it only after Verify. The deprecated
// verification token is not checked: the signature already proved the sender.
func ParseEvent(body []byte) (Event, error) {
	if !json.Valid(body) {
		return Event{}, fmt.Errorf("%w: not JSON", ErrMalformed)
	}
	e, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	out := Event{Type: e.Type, TeamID: e.TeamID}
	switch data := e.Data.(type) {
	case *slackevents.EventsAPIURLVerificationEvent:
		out.Challenge = data.Challenge
		if out.Challenge == "" {
			return Event{}, fmt.Errorf("%w: url_verification without challenge", ErrMalformed)
		}
	case *slackevents.EventsAPICallbackEvent:
		out.ID = data.EventID
		if out.ID == "" {
			return Event{}, fmt.Errorf("%w: event_callback without event_id", ErrMalformed)
		}
	}
	out.Inner = e.InnerEvent.Type
	switch inner := e.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		out.Mention = inner
	case *slackevents.AppHomeOpenedEvent:
		out.Home = inner
	}
	return out, nil
}
