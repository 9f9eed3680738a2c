package slackio

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/slack-go/slack"
)

// ErrMalformed marks a body that is not what Slack sends. Handlers answer it with 400.
var ErrMalformed = errors.New("malformed request body")

// ParseCommand decodes a slash command's form body. Call it only after Verify: the body is
// trusted from then on. Percent-encoding is decoded strictly (a stray '%' is an error,
// not a guess) and the fields a round needs must be present.
func ParseCommand(body []byte) (slack.SlashCommand, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return slack.SlashCommand{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	enterprise, _ := strconv.ParseBool(form.Get("is_enterprise_install"))
	cmd := slack.SlashCommand{
		Token:               form.Get("token"),
		TeamID:              form.Get("team_id"),
		TeamDomain:          form.Get("team_domain"),
		EnterpriseID:        form.Get("enterprise_id"),
		EnterpriseName:      form.Get("enterprise_name"),
		IsEnterpriseInstall: enterprise,
		ChannelID:           form.Get("channel_id"),
		ChannelName:         form.Get("channel_name"),
		UserID:              form.Get("user_id"),
		UserName:            form.Get("user_name"),
		Command:             form.Get("command"),
		Text:                UnescapeText(form.Get("text")), // Slack sends &, < and > as entities
		ResponseURL:         form.Get("response_url"),
		TriggerID:           form.Get("trigger_id"),
		APIAppID:            form.Get("api_app_id"),
	}
	for name, v := range map[string]string{"team_id": cmd.TeamID, "channel_id": cmd.ChannelID, "user_id": cmd.UserID, "command": cmd.Command} {
		if v == "" {
			return slack.SlashCommand{}, fmt.Errorf("%w: %s is missing", ErrMalformed, name)
		}
	}
	return cmd, nil
}

// IsSSLCheck reports whether body is Slack's periodic certificate check of a slash
// command's Request URL (`ssl_check=1`, sent with only the legacy token): it must get an
// empty 200. Bolt answers it before verification too; nothing is read or written for it.
func IsSSLCheck(body []byte) bool {
	if len(body) > 1024 {
		return false
	}
	form, err := url.ParseQuery(string(body))
	return err == nil && form.Get("ssl_check") == "1" && form.Get("command") == ""
}
