package main

import (
	"net/http"

	"github.com/orderbot/orderbot/local/slacksim"
)

// SlackCallsPath lists every Web API call the stand-in answered, in call order, as a JSON
// array of {"method","args","ok","error"} (slacksim.CallsHandler).
const SlackCallsPath = "/_slack/calls"

// privateChannel is a --private-channel: a channel the stand-in treats as private, with
// the bot a member of it or not.
type privateChannel struct {
	id     string
	member bool
}

// addPrivateChannel reads one --private-channel value ("C123" or "C123:member").
func (f *devFlags) addPrivateChannel(v string) error {
	id, member, err := slacksim.ParsePrivateChannel(v)
	if err != nil {
		return err
	}
	f.private = append(f.private, privateChannel{id, member})
	return nil
}

// devWebAPI is the dev server's stand-in for Slack's Web API: the app's scopes are the
// manifest's (chat:write.public, so the bot posts in any public channel), every channel is
// public unless --private-channel says otherwise, and it accepts the trigger_ids that
// `orderbot send` makes in another process.
func devWebAPI(f devFlags) *slacksim.WebAPI {
	web := slacksim.NewWebAPI(devBotToken)
	web.Open = true
	web.WritePublic, web.PublicUnlisted = true, true
	for _, p := range f.private {
		web.SetPrivate(p.id, p.member)
	}
	return web
}

// mountSlackCalls serves the stand-in's record of calls at SlackCallsPath.
func mountSlackCalls(mux *http.ServeMux, web *slacksim.WebAPI) {
	mux.Handle("GET "+SlackCallsPath, web.CallsHandler())
}
