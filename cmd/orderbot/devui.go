package main

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/config"
	"github.com/orderbot/orderbot/local/devstack"
	"github.com/orderbot/orderbot/local/devui"
	"github.com/orderbot/orderbot/local/slacksim"
)

// mountChannelPage serves the channel page (local/devui) at GET / of the dev server at
// base: a Slack channel in the browser that reaches the bot only through the signed
// requests, response_urls (served by responses) and Web API stand-in (web) it meets in
// production. It follows them until ctx ends.
func mountChannelPage(ctx context.Context, mux *http.ServeMux, base, secret string,
	web *slacksim.WebAPI, responses *slacksim.ResponseURLs, c config.Config) {
	ui := devui.New(devui.Options{
		Base: base, Secret: []byte(secret), Web: web, Responses: responses, ResponsePath: ResponseURLPath,
		Locale: c.Locale, Zone: c.Zone,
	})
	go ui.Run(ctx)
	ui.Mount(mux)
	fmt.Fprintf(os.Stderr, "orderbot dev: open %s/ in a browser — a Slack channel talking to the bot\n", base)
}

// templateSettings are the locale and time zone the template's functions run with (the
// first function's environment with the dev overrides; the stack sets both on every
// function from one table), for the page's header.
func templateSettings(st *devstack.Stack, overrides map[string]string) config.Config {
	env := map[string]string{}
	if ids := st.Stack.FunctionIDs(); len(ids) > 0 {
		env = st.Stack.Functions[ids[0]].Env
	}
	c, err := config.Parse(func(name string) string {
		if name != api.EnvLocale && name != api.EnvTimeZone {
			return ""
		}
		if v, ok := overrides[name]; ok {
			return v
		}
		return env[name]
	})
	if err != nil {
		c, _ = config.Parse(func(string) string { return "" })
	}
	return c
}
