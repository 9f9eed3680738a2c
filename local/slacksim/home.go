package slacksim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/slackio"
)

// The Home tab's limits (docs.slack.dev/reference/views/home-tab-views: "blocks … Max of
// 100 blocks", "private_metadata … Max length of 3000 characters", "callback_id … Max length
// of 255 characters") and views.publish's size limit (its method page: "view_too_large —
// the provided view is greater than 250kb").
const (
	HomeMaxBlocks          = 100
	HomeMaxPrivateMetadata = 3000
	HomeMaxCallbackID      = 255
	HomeMaxViewBytes       = 250 * 1024
)

// viewsPublish is views.publish: the user's Home tab replaced by the view. A hash that is
// not the hash of the Home the user has now is hash_conflict ("the provided hash doesn't
// match the current stored value", the method page) and writes nothing; no hash publishes
// whatever is there.
func (s *WebAPI) viewsPublish(p url.Values, call *Call) ([]byte, *apiError) {
	user, raw := p.Get("user_id"), p.Get("view")
	switch {
	case user == "":
		return nil, errCode("invalid_arguments", "missing required field: user_id")
	case raw == "":
		return nil, errCode("invalid_arguments", "missing required field: view")
	case len(raw) > HomeMaxViewBytes:
		return nil, errCode("view_too_large")
	}
	var v slack.HomeTabViewRequest
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return nil, errCode("invalid_arguments", "[ERROR] failed to match all allowed schemas [json-pointer:/view]")
	}
	call.Home = &v
	if problems := checkHome(&v); len(problems) > 0 {
		return nil, errCode("invalid_arguments", problems...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.homes == nil {
		s.homes = map[string]*slack.View{}
	}
	cur := s.homes[user]
	if h := p.Get("hash"); h != "" && (cur == nil || cur.Hash != h) {
		return nil, errCode("hash_conflict")
	}
	view := s.homeView(v, cur)
	s.homes[user] = &view
	s.changed()
	return okBody(map[string]any{"view": viewJSON(view)}), nil
}

// checkHome is why Slack would refuse v as a Home tab, in views.publish's words.
func checkHome(v *slack.HomeTabViewRequest) []string {
	switch {
	case v.Type != slack.VTHomeTab:
		return []string{`[ERROR] must be "home" [json-pointer:/view/type]`}
	case len(v.Blocks.BlockSet) > HomeMaxBlocks:
		return []string{fmt.Sprintf("[ERROR] no more than %d items allowed [json-pointer:/view/blocks]", HomeMaxBlocks)}
	case slackio.Chars(v.PrivateMetadata) > HomeMaxPrivateMetadata:
		return []string{fmt.Sprintf("[ERROR] must be less than %d characters [json-pointer:/view/private_metadata]", HomeMaxPrivateMetadata+1)}
	case slackio.Chars(v.CallbackID) > HomeMaxCallbackID:
		return []string{fmt.Sprintf("[ERROR] must be less than %d characters [json-pointer:/view/callback_id]", HomeMaxCallbackID+1)}
	}
	// Each block's own limits are those of a message's blocks; the 50-block limit of a
	// message is checked in slices of 50, since a Home may hold 100.
	for i := 0; i < len(v.Blocks.BlockSet); i += 50 {
		part := v.Blocks.BlockSet[i:min(i+50, len(v.Blocks.BlockSet))]
		if err := slackio.Validate(&slack.Msg{Text: "home", Blocks: slack.Blocks{BlockSet: part}}); err != nil {
			return []string{"[ERROR] " + err.Error() + fmt.Sprintf(" [json-pointer:/view/blocks (from %d)]", i)}
		}
	}
	return nil
}

// homeView is v as Slack keeps a published Home: the same id as the Home it replaces, a new
// hash every time; s.mu is held.
func (s *WebAPI) homeView(v slack.HomeTabViewRequest, cur *slack.View) slack.View {
	id := "V" + strings.ToUpper(randomHex(10))
	if cur != nil {
		id = cur.ID
	}
	s.seq++
	return slack.View{
		ID: id, TeamID: s.team(), Type: slack.VTHomeTab,
		Blocks:          slack.Blocks{BlockSet: withBlockIDs(v.Blocks.BlockSet, fmt.Sprintf("%s/%d", id, s.seq))},
		PrivateMetadata: v.PrivateMetadata, CallbackID: v.CallbackID, ExternalID: v.ExternalID,
		State:      &slack.ViewState{Values: map[string]map[string]slack.BlockAction{}},
		Hash:       fmt.Sprintf("%d.%s", s.now().Unix(), randomHex(8)),
		RootViewID: id, AppID: s.appID(), BotID: s.botID(), AppInstalledTeamID: s.team(),
	}
}

// Home is the Home tab user sees now, and whether one was ever published.
func (s *WebAPI) Home(user string) (slack.View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.homes[user]
	if v == nil {
		return slack.View{}, false
	}
	return *v, true
}

// WaitHome returns user's Home once one has been published with a hash other than
// notHash, or what there is when ctx ends (with its error): `orderbot send --home` waits
// for the Home an app_home_opened publishes.
func (s *WebAPI) WaitHome(ctx context.Context, user, notHash string) (slack.View, error) {
	for {
		s.mu.Lock()
		s.init()
		ch := s.notify
		v := s.homes[user]
		s.mu.Unlock()
		if v != nil && v.Hash != notHash {
			return *v, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			if v == nil {
				return slack.View{}, ctx.Err()
			}
			return *v, ctx.Err()
		}
	}
}

// HomeOpenedBody is the app_home_opened event Slack sends when the client's user opens
// the app's Home tab: with the Home they see now (its id and hash) when one was
// published, without a view the first time (https://docs.slack.dev/reference/events/app_home_opened).
func (c *Client) HomeOpenedBody(shown *slack.View) ([]byte, error) {
	ts := fmt.Sprintf("%d.%06d", c.now().Unix(), c.now().Nanosecond()/1000)
	event := map[string]any{"type": "app_home_opened", "user": c.User, "channel": "D0LOCAL", "tab": "home", "event_ts": ts}
	if shown != nil && shown.ID != "" {
		event["view"] = viewJSON(*shown)
	}
	return json.Marshal(map[string]any{
		"token": "local", "team_id": c.Team, "api_app_id": "A0LOCAL", "type": "event_callback",
		"event_id": "Ev" + strings.ToUpper(randomHex(8)), "event_time": c.now().Unix(), "event": event,
	})
}

// HomeBlockActions is the block_actions payload Slack sends when the client's user clicks
// the button with actionID (and value, when several share it) on their Home tab v: the
// container is the view, the view is the Home as published (with its hash), and there is
// no response_url and no channel — a Home belongs to no conversation
// (docs.slack.dev/reference/interaction-payloads/block_actions-payload).
func (c *Client) HomeBlockActions(v slack.View, actionID, value string) ([]byte, error) {
	b, err := pick(buttons(&slack.Msg{Blocks: v.Blocks}), actionID, value)
	if err != nil {
		return nil, err
	}
	return marshalSlack(map[string]any{
		"type":       "block_actions",
		"team":       c.teamJSON(),
		"user":       c.userJSON(),
		"api_app_id": DefaultAppID,
		"token":      verificationToken,
		"container":  map[string]any{"type": "view", "view_id": v.ID},
		"trigger_id": c.triggerID(),
		"view":       viewJSON(v),
		"actions":    []any{c.actionJSON(b)},
	})
}

// HomeButtons lists the buttons of a Home as HomeBlockActions can click them.
func HomeButtons(v slack.View) []Button { return Buttons(&slack.Msg{Blocks: v.Blocks}) }

// RenderHome shows a Home tab as text, its buttons in brackets.
func RenderHome(v slack.View) string {
	var b strings.Builder
	b.WriteString("[home]\n")
	writeBlocks(&b, v.Blocks.BlockSet)
	return b.String()
}
