package devui

import (
	"fmt"
	"net/http"
	"sort"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/local/slacksim"
)

type submitIn struct {
	User, View string
	// Values is what the person entered: block_id → action_id → the text, or the value
	// of the option picked.
	Values map[string]map[string]string
}

// submit sends the view_submission payload of user's modal and does what Slack does with
// the app's answer: an empty one closes the modal, response_action errors shows them
// under their fields, update replaces the modal.
func (u *UI) submit(r *http.Request, in submitIn) (any, error) {
	u.mu.Lock()
	v := u.views[in.User]
	u.mu.Unlock()
	if v == nil || v.ID != in.View {
		return nil, conflict("this modal is no longer open")
	}
	user, ok := u.user(in.User)
	if !ok {
		return nil, badRequest("no user " + in.User)
	}
	var inputs []slacksim.Input
	for _, block := range sortedKeys(in.Values) {
		for _, action := range sortedKeys(in.Values[block]) {
			if value := in.Values[block][action]; value != "" {
				inputs = append(inputs, slacksim.Input{BlockID: block, ActionID: action, Value: value})
			}
		}
	}
	c := u.client(user, DefaultChannels[0])
	reply, err := c.Submit(r.Context(), interactivePath(), *v, inputs...)
	if err != nil {
		// What Slack's client would not let the person submit.
		return nil, badRequest(err.Error())
	}
	resp, err := slacksim.ViewResponse(reply, *v)
	if err != nil {
		return nil, fmt.Errorf("view_submission: %w", err)
	}
	defer u.syncAnswers()
	if resp != nil && resp.ResponseAction == slack.RAErrors {
		return map[string]any{"errors": resp.Errors}, nil
	}
	if resp != nil && (resp.ResponseAction == slack.RAUpdate || resp.ResponseAction == slack.RAPush) {
		next := updatedView(*v, resp.View)
		u.mu.Lock()
		u.views[in.User] = &next
		u.mu.Unlock()
		return map[string]any{"view": next}, nil
	}
	u.closeView(in.User)
	return map[string]bool{"closed": true}, nil
}

// updatedView is v after response_action update with m: the same view id, m's content.
func updatedView(v slack.View, m *slack.ModalViewRequest) slack.View {
	v.Title, v.Submit, v.Close, v.Blocks = m.Title, m.Submit, m.Close, m.Blocks
	v.PrivateMetadata, v.CallbackID = m.PrivateMetadata, m.CallbackID
	return v
}

func (u *UI) closeView(user string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.views, user)
	u.publishTo(user, event{Type: "view_closed"})
}

type dismissIn struct{ User, View string }

// dismiss is the modal's close button: the modal goes, nothing is sent (orderbot's modal
// does not ask for view_closed).
func (u *UI) dismiss(r *http.Request, in dismissIn) (any, error) {
	u.closeView(in.User)
	return map[string]bool{"closed": true}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
