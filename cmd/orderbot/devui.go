package main

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/orderbot/orderbot/lambdas/config"
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
